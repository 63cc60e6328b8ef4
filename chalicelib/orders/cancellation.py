"""Cancelling an order: the status change and its stock and promo effects in one transaction,
through the one guarded status write (`orders.transitions`), then the money settled.

- Before the stock is committed (PLACED, or PAID before CommitStock) the reservations are released;
  after (CONFIRMED) the units go back on the shelf (`on_hand += q`). Which one is decided on the
  order as read and guarded in the same transaction (status, payment reference and the
  `stock_committed` step as read), so a cancel racing the workflow either commits before a step
  (which then finds the order CANCELLED and stops) or is refused and decides again.
- Money (`settle`): an authorization the order knows of is voided, a capture refunded in full (one
  idempotency key per order: at most one refund). Capture and void are both guarded by the gateway
  on AUTHORIZED, so if ChargePayment captured meanwhile the void fails and the capture is refunded;
  an authorization ChargePayment had not yet recorded is voided by ChargePayment itself (its
  recording write is guarded on PLACED). Settling is repeatable (`Step.SETTLED`); the customer is
  e-mailed once (`Step.CANCELLATION_SENT`).

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


def cancel_order(
    order_id: str,
    principal: Principal | None,
    token: str | None,
    *,
    reason: str = "cancelled by request",
    actor: str | None = None,
    visible: bool = True,
) -> dict[str, Any]:
    """Cancel while `PLACED`, `PAID` or `CONFIRMED`; then settle the money and e-mail the customer.
    Cancelling an order that is already cancelled finishes its settlement and answers it as it is.
    `visible=False` (the sweeper, with its own `actor`) skips the caller check."""
    from chalicelib.orders import progress
    from chalicelib.orders.progress import Step, done
    from chalicelib.shop.models import Order

    def read() -> Any:
        return load_visible(order_id, principal, token) if visible else progress.load(order_id)

    for _attempt in range(MAX_ATTEMPTS):
        order = read()
        who = actor or (principal.actor if principal else f"guest:{order.email}")
        if order.status == OrderStatus.CANCELLED:
            settle(order_id)
            return order_payload(read())
        if order.status not in order_status.CUSTOMER_CANCELLABLE:
            raise Conflict(
                f"order {order_id} is {order.status} and can no longer be cancelled",
                orderId=order_id,
                status=order.status,
            )
        now = utcnow()
        committed = done(order, Step.STOCK_COMMITTED)

        def build(
            tx: Any, order: Any = order, who: str = who, now: datetime = now, committed: bool = committed
        ) -> None:
            # Guarded on the order as read: what is given back depends on it.
            steps = Order.workflow_steps.contains(str(Step.STOCK_COMMITTED))
            same_payment = (
                Order.payment_reference.does_not_exist()
                if order.payment_reference is None
                else Order.payment_reference == order.payment_reference
            )
            transitions.add_to_transaction(
                tx,
                order.order_id,
                OrderStatus.CANCELLED,
                actor=who,
                at=now,
                extra_actions=[Order.updated_at.set(now), Order.cancel_reason.set(reason)],
                extra_condition=(Order.status == order.status) & same_payment & (steps if committed else ~steps),
            )
            give_back_reservations(tx, order, now=now, actor=who, committed=committed)

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(Order):
                continue  # it changed since we read it: read again and decide again
            raise
        logger.info("order cancelled", extra={"order_id": order_id, "actor": who, "committed": committed})
        settle(order_id)
        return order_payload(read())
    raise Conflict("the order kept changing while it was being cancelled; try again", orderId=order_id)


def settle(order_id: str) -> int:
    """Give back a cancelled order's money (void or refund), record it, e-mail the customer.
    Returns the cents refunded. Repeatable: each gateway call has the order's idempotency key."""
    from chalicelib.core.errors import PaymentStateError
    from chalicelib.orders import notices, payments, progress
    from chalicelib.orders.emails import cancellation
    from chalicelib.orders.progress import Step
    from chalicelib.shop.models import Order

    order = progress.load(order_id)
    if order.status != OrderStatus.CANCELLED:
        raise Conflict(f"order {order_id} is {order.status}, not CANCELLED", orderId=order_id)
    refunded = int(order.refunded_cents or 0)
    if not progress.done(order, Step.SETTLED):
        refunded, reference = 0, None
        if order.payment_reference:
            gateway = payments.get_gateway()
            payment_id = order.payment_reference
            try:
                gateway.void(payment_id=payment_id, idempotency_key=payments.order_key(order_id, "void"))
                reference = payment_id
            except PaymentStateError:
                record = gateway.get(payment_id)
                if record.captured_cents > 0:
                    refund = gateway.refund(
                        payment_id=payment_id,
                        idempotency_key=payments.order_key(order_id, "refund:cancel"),
                        reason="order cancelled",
                    )
                    refunded, reference = refund.amount_cents, refund.refund_id
                # otherwise declined or voided already: nothing is held
        progress.record(
            order_id,
            Step.SETTLED,
            actions=(Order.refunded_cents.set(refunded),)
            + (() if reference is None else (Order.refund_reference.set(reference),)),
        )
        logger.info("cancelled order settled", extra={"order_id": order_id, "refunded_cents": refunded})
        order = progress.load(order_id)
    if order.email:
        notices.send_once(
            order,
            Step.CANCELLATION_SENT,
            lambda view, status_url, _receipt: cancellation(
                view, status_url=status_url, refunded_cents=refunded, reason=order.cancel_reason
            ),
        )
    return refunded


def give_back_reservations(
    tx: Any, order: Any, *, now: datetime, actor: str, reason: str = "order cancelled", committed: bool = False
) -> None:
    """Release the order's reserved stock (or, `committed`, put its units back on the shelf) and
    return its promo redemption, in `tx`.

    What was taken is read in the same transaction's guard (status and `stock_committed`).
    The promo code cannot have been deleted meanwhile: deletion requires zero
    redemptions, and this order holds one; its counters go back by the one this order took.
    """
    from chalicelib.inventory import reservations
    from chalicelib.shop.models import PromoCode, PromoRedemption

    for line in order.lines:
        if committed:
            reservations.restock(
                tx,
                line.product_id,
                line.warehouse_id,
                int(line.quantity),
                now=now,
                actor=actor,
                reference=order.order_id,
                reason=f"{reason}: restocked",
            )
            continue
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
