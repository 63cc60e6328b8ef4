"""The admins' purchase notification (seed 001): one e-mail per confirmed order.

    bus --OrderConfirmed--> purchase_emails queue --> send_purchase_emails --SES--> admins

Built from the event alone (it carries the order as confirmed), sent at most once per event
(`events.once`: a redelivered or republished OrderConfirmed finds its record and sends nothing).
SES throttling is absorbed three ways: the mailer backs off with jitter within the invocation's
time left; a message still throttled fails and comes back after the visibility timeout; and the
event source mapping's `maximum_concurrency` (resources.PURCHASE_EMAILS_QUEUE) bounds how many
invocations send at once, so a flash sale's burst queues up instead of outrunning SES's rate.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import events as bus
from chalicelib.core.config import get_settings
from chalicelib.core.observability import logger
from chalicelib.orders.events import SCHEMA_VERSION, order_of

ACCEPT = {"OrderConfirmed": frozenset({SCHEMA_VERSION})}


def admin_url(order_id: str) -> str:
    return f"{get_settings().site_origin.rstrip('/')}/admin/#/orders/{order_id}"


def send_purchase_email(event: dict[str, Any], deadline: float | None = None) -> dict[str, Any]:
    """E-mail the admins about one confirmed order (call through `events.once`)."""
    from chalicelib.orders import emails
    from chalicelib.orders.views import view_of_order

    detail = event["detail"]
    view = view_of_order(detail["order"])
    email = emails.admin_purchase(view, admin_url=admin_url(view.order_id))
    if email is None:
        logger.warning("no ADMIN_EMAILS configured; purchase e-mail not sent", extra={"order_id": view.order_id})
        return {"messageId": None}
    message_id = emails.send(email, deadline=deadline)
    logger.info("purchase e-mail sent", extra={"order_id": view.order_id, "ses_message_id": message_id})
    return {"messageId": message_id}


def handle_messages(records: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    """An SQS batch of OrderConfirmed events -> partial batch response."""
    deadline = bus.deadline_of(context)

    def handle(event: bus.ReceivedEvent) -> None:
        order_of(event)  # malformed: dead-lettered before anything is sent
        bus.once(send_purchase_email)(event=event.message(), deadline=deadline)

    return bus.consume(records, context, handle, accept=ACCEPT)
