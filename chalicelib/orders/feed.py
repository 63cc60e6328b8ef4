"""The order events feed for outside subscribers: every order event, republished on SNS.

    bus --every order event--> order_feed queue --> publish_order_feed --> order_events topic
                                                                            --> subscribers (ERP, ...)

Subscribers get one message per fact (`events.once` on `eventId`: a redelivered or republished
event is not published twice), as JSON (the EventBridge event: `detail-type`, `source`, `time`,
`detail` as documented in docs/events/) with an `event_type` message attribute for subscription
filter policies, and a readable line for e-mail subscriptions. The events carry the customer's
e-mail and shipping address: the topic is encrypted and its subscriptions are the shop's own.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import events as bus
from chalicelib.core.config import get_settings
from chalicelib.core.observability import logger
from chalicelib.orders.events import ACCEPT_ALL, order_of


def summary(message: dict[str, Any]) -> str:
    detail = message["detail"]
    previous = f" (was {detail['previousStatus']})" if detail.get("previousStatus") else ""
    what = f"order {detail['orderId']} is {detail['status']}{previous}"
    return f"{message['detailType']}: {what} at {detail['occurredAt']}"


def publish_to_feed(event: dict[str, Any]) -> dict[str, Any]:
    """Publish one event on the order_events topic (call through `events.once`)."""
    from chalicelib.core import notifications

    payload = {
        "detail-type": event["detailType"],
        "source": event["source"],
        "time": event["time"],
        "detail": event["detail"],
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
        bus.once(publish_to_feed)(event=event.message())

    return bus.consume(records, context, handle, accept=ACCEPT_ALL)
