"""Applying one status transition to an order: a single conditional write that keeps the history.

The write is guarded by the state machine (`status.allowed_sources`): DynamoDB applies it only if,
at that instant, the order exists and its status is one the target may follow. Two writers racing
(the workflow confirming an order while its customer cancels it) therefore cannot both win: the
second finds the status moved and is refused, reason read back from the order. Each applied
transition appends `{status, at, by}` to `status_history` in the same write, so the history and
the status never disagree.

A step retried after it succeeded (a Lambda retry, a redelivered message) finds the order already
in the target status: that is reported as done (`changed=False`), not as an error, and nothing is
written, so the history holds each status once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.core.db import utcnow
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.observability import logger
from chalicelib.orders.status import Decision, OrderStatus, allowed_sources, decide

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action
    from pynamodb.transactions import TransactWrite

    from chalicelib.shop.models import Order


@dataclass(frozen=True)
class TransitionResult:
    order_id: str
    previous: str  # the status before this call (equal to `status` when nothing changed)
    status: OrderStatus
    changed: bool  # False: the order already had this status (a repeated step); nothing written
    at: datetime | None  # when the order entered `status` (from its history)


def guard(target: OrderStatus | str) -> Condition:
    """The condition of a transition to `target`: the order exists and may move there now."""
    from chalicelib.shop.models import Order

    condition: Condition = Order.order_id.exists() & Order.status.is_in(*sorted(allowed_sources(target)))
    return condition


def actions(target: OrderStatus | str, *, actor: str, at: datetime) -> list[Action]:
    """The updates of a transition: the new status and its history entry (appended, same write)."""
    from chalicelib.shop.models import Order, StatusChange

    change = StatusChange(status=str(OrderStatus(target)), at=at, by=actor)  # type: ignore[no-untyped-call]
    return [
        Order.status.set(str(OrderStatus(target))),
        Order.status_history.set(Order.status_history.append([change])),  # list_append: no read needed
    ]


def apply_transition(
    order_id: str,
    target: OrderStatus | str,
    *,
    actor: str,
    at: datetime | None = None,
    extra_actions: Sequence[Action] = (),
    extra_condition: Condition | None = None,
) -> TransitionResult:
    """Move one order to `target` with one conditional UpdateItem.

    `actor` names who did it in the history (`workflow`, `user:<email>`, `system:<job>`).
    `extra_actions` ride in the same write (e.g. the payment reference with PAID, the receipt key
    with CONFIRMED); `extra_condition` narrows the guard further.

    Raises `NotFound` for an unknown order, `InvalidTransition` (409) when the machine forbids the
    move from the order's current status, `Conflict` when only `extra_condition` failed.
    """
    from pynamodb.exceptions import UpdateError

    from chalicelib.shop.models import Order

    goal = OrderStatus(target)
    moment = at or utcnow()
    condition = guard(goal) if extra_condition is None else guard(goal) & extra_condition
    order = Order(order_id)
    try:
        order.update(actions=[*actions(goal, actor=actor, at=moment), *extra_actions], condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return _refused(order_id, goal)
    history = list(order.status_history or [])
    previous = str(history[-2].status) if len(history) >= 2 else ""
    logger.info("order status changed", extra={"order_id": order_id, "from": previous, "to": str(goal), "actor": actor})
    return TransitionResult(order_id, previous, goal, True, moment)


def add_to_transaction(
    tx: TransactWrite,
    order_id: str,
    target: OrderStatus | str,
    *,
    actor: str,
    at: datetime,
    extra_actions: Sequence[Action] = (),
    extra_condition: Condition | None = None,
) -> None:
    """The same transition as one item of a larger transaction (e.g. cancelling and releasing the
    reserved stock together). If the transaction is cancelled because of this item, call
    `explain_refusal(order_id, target)` to learn whether it was already done or not allowed.

    A writer whose other items depend on the order as it read it (release reserved stock only if
    it was still reserved) narrows the guard with `extra_condition` (`Order.status == read`)."""
    from chalicelib.shop.models import Order

    condition = guard(target) if extra_condition is None else guard(target) & extra_condition
    tx.update(
        Order(order_id),
        actions=[*actions(target, actor=actor, at=at), *extra_actions],
        condition=condition,
        return_values="ALL_OLD",
    )


def explain_refusal(order_id: str, target: OrderStatus | str) -> TransitionResult:
    """Why a guarded write to `target` was refused: already done (returned), or an error raised."""
    return _refused(order_id, OrderStatus(target))


def _refused(order_id: str, goal: OrderStatus) -> TransitionResult:
    from chalicelib.shop.models import Order

    try:
        order = Order.get(order_id, consistent_read=True)
    except Order.DoesNotExist:
        raise NotFound(f"no order {order_id}", orderId=order_id) from None
    current = str(order.status)
    if decide(current, goal) is Decision.ALREADY:  # raises InvalidTransition when not allowed
        return TransitionResult(order_id, current, goal, False, _entered_at(order, goal))
    # The status allows the move, so the caller's extra condition is what failed.
    raise Conflict(f"order {order_id} changed meanwhile; its {goal} update was not applied", orderId=order_id)


def _entered_at(order: Order, status: OrderStatus) -> datetime | None:
    entries: list[Any] = [c for c in (order.status_history or []) if str(c.status) == status]
    return entries[-1].at if entries else None
