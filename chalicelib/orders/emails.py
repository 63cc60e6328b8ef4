"""The order e-mails: built from an `OrderView` with the jinja2 templates under
`templates/email/` (HTML and a text alternative each), sent by `core.notifications.send_mail`.

Builders are pure (render only) so they are tested without SES; `send` hands one to SES. Links
are given by the caller (the workflow knows the storefront's order page and the order token);
the receipt link should be the API's `GET /orders/{id}/receipt`, which checks the caller and
redirects to a fresh presigned URL, since a presigned URL in an e-mail would expire unread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.core import notifications
from chalicelib.core.config import get_settings
from chalicelib.core.errors import EmailRejected
from chalicelib.orders.receipts import CONTENT_TYPE, receipt_filename
from chalicelib.orders.views import OrderView

ORDER_HEADER = "X-Stockroom-Order"


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...]
    subject: str
    html: str
    text: str
    attachments: tuple[notifications.Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()


def _day(value: date | None) -> str:
    return f"{value:%A, %B} {value.day}, {value.year}" if value else ""


def _build(template: str, view: OrderView, subject: str, to: Sequence[str], *, kind: str, **context: Any) -> Email:
    shop = get_settings().shop_name
    values = {"order": view, "shop": shop, "subject": subject, "eta": _day(view.estimated_delivery), **context}
    return Email(
        to=tuple(to),
        subject=subject,
        html=notifications.render(f"email/{template}.html", **values),
        text=notifications.render(f"email/{template}.txt", **values),
        attachments=tuple(context.get("attachments", ())),
        headers=((ORDER_HEADER, view.order_id), ("X-Stockroom-Email", kind)),
    )


def confirmation(
    view: OrderView, *, status_url: str, receipt_url: str | None = None, receipt_pdf: bytes | None = None
) -> Email:
    """To the customer once the order is CONFIRMED: what was ordered, totals, delivery, links to
    the order page and the receipt, the receipt PDF attached (when given)."""
    attachments = (
        (notifications.Attachment(receipt_filename(view.order_id), CONTENT_TYPE, receipt_pdf),) if receipt_pdf else ()
    )
    shop = get_settings().shop_name
    return _build(
        "order_confirmation",
        view,
        f"Your {shop} order {view.order_id} is confirmed",
        [view.customer_email],
        kind="order_confirmation",
        status_url=status_url,
        receipt_url=receipt_url,
        attached=bool(attachments),
        attachments=attachments,
    )


def payment_failed(view: OrderView, *, reason: str, status_url: str) -> Email:
    """To the customer when the payment is declined or fails for good; `reason` is what the
    gateway says the customer may know (`cards.decline_message`)."""
    shop = get_settings().shop_name
    return _build(
        "payment_failed",
        view,
        f"Payment failed for your {shop} order {view.order_id}",
        [view.customer_email],
        kind="payment_failed",
        reason=reason,
        status_url=status_url,
    )


def cancellation(view: OrderView, *, status_url: str, refunded_cents: int = 0, reason: str | None = None) -> Email:
    """To the customer when the order is cancelled, saying what was refunded (0: nothing was
    charged)."""
    shop = get_settings().shop_name
    refunded = " and refunded" if refunded_cents else ""
    return _build(
        "order_cancelled",
        view,
        f"Your {shop} order {view.order_id} is cancelled{refunded}",
        [view.customer_email],
        kind="order_cancelled",
        status_url=status_url,
        refunded_cents=refunded_cents,
        reason=reason,
    )


def shipped(
    view: OrderView,
    *,
    status_url: str,
    carrier: str | None = None,
    tracking_number: str | None = None,
    tracking_url: str | None = None,
) -> Email:
    """To the customer when the order ships."""
    shop = get_settings().shop_name
    return _build(
        "order_shipped",
        view,
        f"Your {shop} order {view.order_id} has shipped",
        [view.customer_email],
        kind="order_shipped",
        status_url=status_url,
        carrier=carrier,
        tracking_number=tracking_number,
        tracking_url=tracking_url,
    )


def admin_purchase(view: OrderView, *, admin_url: str, recipients: Sequence[str] | None = None) -> Email | None:
    """To the shop's admins for every confirmed order (seed 001); None when no admin address is
    configured."""
    from zoneinfo import ZoneInfo

    settings = get_settings()
    to = list(recipients if recipients is not None else settings.admin_emails)
    if not to:
        return None
    local = view.placed_at.astimezone(ZoneInfo(settings.shop_timezone))
    who = view.customer_name or view.customer_email
    return _build(
        "admin_purchase",
        view,
        f"New order {view.order_id}: {view.money(view.total_cents)} from {who}",
        to,
        kind="admin_purchase",
        admin_url=admin_url,
        placed=f"{local:%Y-%m-%d %H:%M} {local.tzname()}",
    )


def send(email: Email, *, deadline: float | None = None) -> str:
    """Send one e-mail through SES (raw MIME, backing off on throttling); SES's message id.

    Raises `EmailThrottled` (transient) or `EmailRejected` (permanent)."""
    if not email.to:
        raise EmailRejected("an e-mail needs at least one recipient")
    return notifications.send_mail(
        to=email.to,
        subject=email.subject,
        html=email.html,
        text=email.text,
        attachments=email.attachments,
        headers=dict(email.headers),
        deadline=deadline,
    )
