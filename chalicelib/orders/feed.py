"""The order events feed for outside subscribers: every order event, republished on SNS.

    bus --every order event--> order_feed queue --> publish_order_feed --> order_events topic
                                                                            --> subscribers (ERP, ...)

Subscribers get one message per fact (`events.once` on `eventId`: a redelivered or republished
event is not published twice), as JSON (the EventBridge event: `detail-type`, `source`, `time`,
`detail` as documented in docs/events/) with an `event_type` message attribute for subscription
filter policies, and a readable line for e-mail subscriptions.

The topic is shared with the order workflow, whose `publish_order_notification` task already
announces each confirmed order there (`event_type` OrderConfirmed, its own JSON, docs/CONTRACTS.md):
the feed publishes every *other* order event, so a subscriber never gets a confirmation twice. Like
the workflow's notification, the feed carries no personal data: the order's `email` and
`shippingAddress` are left out (`PERSONAL`), and a guest's actor (`guest:<e-mail>`) is just `guest`.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import events as bus
from chalicelib.core.config import get_settings
from chalicelib.core.observability import logger
from chalicelib.orders.events import ACCEPT_ALL, order_of

# Announced on the topic by the workflow's own task (orders.workflow.NOTIFICATION_TYPE).
ANNOUNCED_BY_WORKFLOW = frozenset({"OrderConfirmed"})
PERSONAL = ("email", "shippingAddress")


def summary(message: dict[str, Any]) -> str:
    detail = message["detail"]
    previous = f" (was {detail['previousStatus']})" if detail.get("previousStatus") else ""
    what = f"order {detail['orderId']} is {detail['status']}{previous}"
    return f"{message['detailType']}: {what} at {detail['occurredAt']}"


def public_actor(actor: Any) -> Any:
    """`guest:<e-mail>` -> `guest`: who acted, without the guest's address."""
    return actor.split(":", 1)[0] if isinstance(actor, str) and "@" in actor else actor


def public_order(order: dict[str, Any]) -> dict[str, Any]:
    """The order without the customer's personal data (e-mail, address, a guest's e-mail as actor)."""
    public = {key: value for key, value in order.items() if key not in PERSONAL}
    history = public.get("statusHistory")
    if isinstance(history, list):
        public["statusHistory"] = [
            {**change, "by": public_actor(change.get("by"))} if isinstance(change, dict) else change
            for change in history
        ]
    return public


def publish_to_feed(event: dict[str, Any]) -> dict[str, Any]:
    """Publish one event on the order_events topic (call through `events.once`)."""
    from chalicelib.core import notifications

    detail = dict(event["detail"])
    detail["order"] = public_order(detail["order"])
    detail["actor"] = public_actor(detail.get("actor"))
    payload = {
        "detail-type": event["detailType"],
        "source": event["source"],
        "time": event["time"],
        "detail": detail,
    }
    message_id = notifications.publish(
        topic_arn=get_settings().order_events_topic_arn,
        subject=summary(event),
        payload=payload,
        email_text=summary(event),
        event_type=event["detailType"],
    )
    logger.info("order event republished", extra={"event_id": event["eventId"], "sns_message_id": message_id})
    return {"messageId": message_id}


def handle_messages(records: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    """An SQS batch of order events -> partial batch response."""

    def handle(event: bus.ReceivedEvent) -> None:
        order_of(event)
        if event.detail_type in ANNOUNCED_BY_WORKFLOW:
            logger.debug("announced by the workflow's notification", extra={"event_id": event.event_id})
            return
        bus.once(publish_to_feed)(event=event.message())

    return bus.consume(records, context, handle, accept=ACCEPT_ALL)
