"""Cancelling an order: the status change and its stock and promo effects in one transaction,
through the one guarded status write (`orders.transitions`).

Who may cancel: an admin, the signed-in customer who placed the order, or anyone presenting its
order token (`shop.orders.load_visible`); anyone else gets 404, as for an order that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.auth import Principal
from chalicelib.core.db import Cancelled, transact, utcnow
from chalicelib.core.errors import Conflict
from chalicelib.core.observability import logger
from chalicelib.orders import transitions
from chalicelib.orders.status import OrderStatus
from chalicelib.shop import order_status
from chalicelib.shop.orders import load_visible, order_payload

MAX_ATTEMPTS = 5


def cancel_order(order_id: str, principal: Principal | None, token: str | None) -> dict[str, Any]:
    """Cancel while `PLACED`: status, released stock and returned promo redemption in one
    transaction. Cancelling an order that is already cancelled answers it as it is (harmless)."""
    from chalicelib.shop.models import Order

    for _attempt in range(MAX_ATTEMPTS):
        order = load_visible(order_id, principal, token)
        actor = principal.actor if principal else f"guest:{order.email}"
        if order.status == OrderStatus.CANCELLED:
            return order_payload(order)
        if order.status not in order_status.CUSTOMER_CANCELLABLE:
            raise Conflict(
                f"order {order_id} is {order.status} and can no longer be cancelled",
                orderId=order_id,
                status=order.status,
            )
        now = utcnow()

        def build(tx: Any, order: Any = order, actor: str = actor, now: datetime = now) -> None:
            # Guarded on the status as read: what is given back depends on it.
            transitions.add_to_transaction(
                tx,
                order.order_id,
                OrderStatus.CANCELLED,
                actor=actor,
                at=now,
                extra_actions=[Order.updated_at.set(now)],
                extra_condition=Order.status == order.status,
            )
            give_back_reservations(tx, order, now=now, actor=actor)

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(Order):
                continue  # its status changed since we read it: read again and decide again
            raise
        logger.info("order cancelled", extra={"order_id": order_id, "actor": actor})
        return order_payload(load_visible(order_id, principal, token))
    raise Conflict("the order kept changing while it was being cancelled; try again", orderId=order_id)


def give_back_reservations(tx: Any, order: Any, *, now: datetime, actor: str, reason: str = "order cancelled") -> None:
    """Release the order's reserved stock and return its promo redemption, in `tx`.

    Only for an order whose stock is still reserved (`HOLDS_RESERVATION`), read in the same
    transaction's guard. The promo code cannot have been deleted meanwhile: deletion requires zero
    redemptions, and this order holds one; its counters go back by the one this order took.
    """
    from chalicelib.inventory import reservations
    from chalicelib.shop.models import PromoCode, PromoRedemption

    for line in order.lines:
        reservations.release(
            tx,
            line.product_id,
            line.warehouse_id,
            int(line.quantity),
            now=now,
            actor=actor,
            reference=order.order_id,
            reason=reason,
        )
    if order.promo_code:
        tx.update(
            PromoCode(order.promo_code),
            actions=[PromoCode.redemptions.add(-1), PromoCode.updated_at.set(now)],
            condition=PromoCode.code.exists() & (PromoCode.redemptions >= 1),
        )
        if order.promo_customer:
            tx.update(
                PromoRedemption(order.promo_code, order.promo_customer),
                actions=[PromoRedemption.redeemed.add(-1), PromoRedemption.updated_at.set(now)],
                condition=PromoRedemption.redeemed >= 1,
            )
