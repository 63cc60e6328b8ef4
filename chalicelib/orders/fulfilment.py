"""After confirmation: shipping and delivery (admin), and the receipt link.

- `ship_order`: CONFIRMED -> SHIPPED with the shipment (carrier, tracking number and URL, all
  optional) in the same guarded write, then the shipping e-mail (once, `Step.SHIPPED_SENT`).
  Shipping a shipped order again answers it as it is (a double click is harmless).
- `deliver_order`: SHIPPED -> DELIVERED.
- `receipt_location`: where `GET /orders/{orderId}/receipt` redirects: a presigned URL valid for
  `RECEIPT_LINK_SECONDS`, minted per request (an e-mail links the route, never the URL, which
  would expire unread).
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.auth import Principal
from chalicelib.core.errors import Conflict, InvalidTransition, NotFound
from chalicelib.core.validation import reject_unknown, text
from chalicelib.orders import transitions
from chalicelib.orders.status import OrderStatus
from chalicelib.shop.orders import load_visible, order_payload

RECEIPT_LINK_SECONDS = 300


def receipt_location(order_id: str, principal: Principal | None, token: str | None) -> str:
    from chalicelib.orders.receipts import receipt_url

    order = load_visible(order_id, principal, token)
    if not order.receipt_key:
        raise NotFound(f"order {order_id} has no receipt yet (it is {order.status})", orderId=order_id)
    return receipt_url(order_id, expires_in=RECEIPT_LINK_SECONDS)


def _tracking_url(value: str | None) -> str | None:
    from chalicelib.core.errors import ValidationError

    if value is not None and not value.startswith("https://"):
        raise ValidationError("trackingUrl", "must be an https:// URL")
    return value


def ship_order(order_id: str, body: dict[str, Any], *, admin: Principal) -> dict[str, Any]:
    from chalicelib.core.db import utcnow
    from chalicelib.orders import notices, progress
    from chalicelib.orders.emails import shipped
    from chalicelib.orders.progress import Step
    from chalicelib.shop.models import Order

    reject_unknown(body, {"carrier", "trackingNumber", "trackingUrl"})
    carrier = text(body, "carrier", max_length=60, required=False)
    tracking_number = text(body, "trackingNumber", max_length=80, required=False)
    tracking_url = _tracking_url(text(body, "trackingUrl", max_length=500, required=False))
    now = utcnow()
    extra: list[Any] = [Order.updated_at.set(now)]
    extra += [] if carrier is None else [Order.carrier.set(carrier)]
    extra += [] if tracking_number is None else [Order.tracking_number.set(tracking_number)]
    extra += [] if tracking_url is None else [Order.tracking_url.set(tracking_url)]
    try:
        transitions.apply_transition(order_id, OrderStatus.SHIPPED, actor=admin.actor, at=now, extra_actions=extra)
    except InvalidTransition as refused:
        raise Conflict(
            f"order {order_id} is {refused.current}; only a CONFIRMED order can be shipped",
            orderId=order_id,
            status=str(refused.current),
        ) from None
    order = progress.load(order_id)
    if order.email and order.status == OrderStatus.SHIPPED:
        notices.send_once(
            order,
            Step.SHIPPED_SENT,
            lambda view, status_url, _receipt: shipped(
                view,
                status_url=status_url,
                carrier=order.carrier,
                tracking_number=order.tracking_number,
                tracking_url=order.tracking_url,
            ),
        )
    return order_payload(load_visible(order_id, admin, None))


def deliver_order(order_id: str, *, admin: Principal) -> dict[str, Any]:
    from chalicelib.core.db import utcnow
    from chalicelib.shop.models import Order

    now = utcnow()
    try:
        transitions.apply_transition(
            order_id, OrderStatus.DELIVERED, actor=admin.actor, at=now, extra_actions=[Order.updated_at.set(now)]
        )
    except InvalidTransition as refused:
        raise Conflict(
            f"order {order_id} is {refused.current}; only a SHIPPED order can be delivered",
            orderId=order_id,
            status=str(refused.current),
        ) from None
    return order_payload(load_visible(order_id, admin, None))
