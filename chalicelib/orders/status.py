"""The order state machine's rules for the workflow, derived from the one transition table
(`chalicelib.shop.order_status`, which also defines `OrderStatus`). Pure (no AWS); the conditional
write that enforces it is `chalicelib.orders.transitions`.

    PLACED ──▶ PAID ──▶ CONFIRMED ──▶ SHIPPED ──▶ DELIVERED
      │  │       │          │
      │  └───────┴──────────┴──▶ CANCELLED
      └──▶ PAYMENT_FAILED

- PLACED: checkout committed the order and reserved its stock.
- PAID: the payment is captured. CONFIRMED: stock committed, receipt issued, customer told.
- PAYMENT_FAILED, CANCELLED and DELIVERED are final: nothing follows them.
- Orders that are not customer orders (a staff stock withdrawal is `FULFILLED` when placed) are
  outside this machine: no transition applies to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from chalicelib.core.errors import InvalidTransition
from chalicelib.shop.order_status import TRANSITIONS, OrderStatus

__all__ = [
    "FINAL",
    "MAIN_LINE",
    "SOURCES",
    "Decision",
    "OrderStatus",
    "allowed_sources",
    "can_move",
    "decide",
    "is_at_or_past",
    "next_statuses",
    "parse",
]

S = OrderStatus
_NAMES = frozenset(s.value for s in OrderStatus)

# target -> the statuses it may follow. Written by target because each transition is one
# conditional write guarded by "the current status is one of these". Derived from the one
# transition table, `chalicelib.shop.order_status.TRANSITIONS` (checkout and cancellation live in
# `shop`, which may not import `orders`); only checkout creates an order, PLACED.
SOURCES: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    target: frozenset(OrderStatus(s) for s, targets in TRANSITIONS.items() if target in targets and s in _NAMES)
    for target in OrderStatus
}

# The happy path, in order: a status "at or past" another lies at or after it on this line.
MAIN_LINE: tuple[OrderStatus, ...] = (S.PLACED, S.PAID, S.CONFIRMED, S.SHIPPED, S.DELIVERED)
FINAL: frozenset[OrderStatus] = frozenset(s for s in OrderStatus if not any(s in src for src in SOURCES.values()))


def parse(value: str) -> OrderStatus | None:
    """The status named `value`, or None for a status outside the machine (e.g. `FULFILLED`)."""
    try:
        return OrderStatus(value)
    except ValueError:
        return None


def allowed_sources(target: OrderStatus | str) -> frozenset[OrderStatus]:
    """The statuses from which an order may move to `target`."""
    return SOURCES[OrderStatus(target)]


def next_statuses(current: OrderStatus | str) -> frozenset[OrderStatus]:
    """Where an order in `current` may go next (empty for final statuses and foreign ones)."""
    status = parse(str(current))
    return frozenset(t for t, sources in SOURCES.items() if status in sources)


def can_move(current: OrderStatus | str, target: OrderStatus | str) -> bool:
    status = parse(str(current))
    return status is not None and status in allowed_sources(target)


def is_at_or_past(current: OrderStatus | str, target: OrderStatus | str) -> bool:
    """`current` is `target` or lies after it on the happy path (CONFIRMED is past PAID). A
    workflow step that finds its order here has nothing left to do; one that finds it
    CANCELLED or PAYMENT_FAILED instead must not carry on as if it had succeeded."""
    status, goal = parse(str(current)), OrderStatus(target)
    if status is None:
        return False
    if status == goal:
        return True
    return status in MAIN_LINE and goal in MAIN_LINE and MAIN_LINE.index(status) > MAIN_LINE.index(goal)


class Decision(StrEnum):
    APPLY = "apply"  # write the transition
    ALREADY = "already"  # the order already has this status: a repeated step, nothing to write


def decide(current: OrderStatus | str, target: OrderStatus | str) -> Decision:
    """What to do when an order in `current` is asked to become `target`.

    Raises `InvalidTransition` (409) when the machine does not allow the move, naming both.
    """
    goal = OrderStatus(target)
    if str(current) == goal:
        return Decision.ALREADY
    if can_move(current, goal):
        return Decision.APPLY
    allowed = ", ".join(sorted(allowed_sources(goal))) or "none (only checkout creates orders)"
    raise InvalidTransition(
        f"an order that is {current} cannot become {goal} (allowed from: {allowed})",
        current=str(current),
        target=str(goal),
    )
