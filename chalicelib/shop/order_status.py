"""The order state machine: its statuses and which may follow which. Pure: no AWS.

    PLACED -> PAID -> CONFIRMED -> SHIPPED -> DELIVERED
    PLACED -> PAYMENT_FAILED
    PLACED | PAID | CONFIRMED -> CANCELLED

This is the one transition table. It lives in `shop` because checkout creates orders `PLACED` and
the shop's order views say what a customer may still do, and `shop` may not import `orders`;
`chalicelib.orders.status` derives the workflow's rules from it (who may follow whom, "at or past")
and `chalicelib.orders.transitions` is the one guarded write: every change is a conditional update
on the current status that appends a `{status, at, by}` entry to the order's history, so two
racing changes (a cancel and the payment step, say) cannot both win.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """The statuses of a customer's order (members compare equal to their names as strings)."""

    PLACED = "PLACED"
    PAID = "PAID"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CANCELLED = "CANCELLED"


PLACED, PAID, CONFIRMED, SHIPPED, DELIVERED, PAYMENT_FAILED, CANCELLED = OrderStatus
FULFILLED = "FULFILLED"  # staff inventory orders (seed 000): taken from stock as placed, final

STATUSES: tuple[OrderStatus, ...] = tuple(OrderStatus)

TRANSITIONS: dict[str, frozenset[OrderStatus]] = {
    PLACED: frozenset({PAID, PAYMENT_FAILED, CANCELLED}),
    PAID: frozenset({CONFIRMED, CANCELLED}),
    CONFIRMED: frozenset({SHIPPED, CANCELLED}),
    SHIPPED: frozenset({DELIVERED}),
    DELIVERED: frozenset(),
    PAYMENT_FAILED: frozenset(),
    CANCELLED: frozenset(),
    FULFILLED: frozenset(),  # outside the machine: nothing follows it
}

# Statuses from which a customer may cancel: every status CANCELLED may follow. Before payment the
# reserved stock is released; after it, the order workflow refunds and restocks
# (`chalicelib.orders.cancellation`).
CUSTOMER_CANCELLABLE = frozenset(s for s, targets in TRANSITIONS.items() if CANCELLED in targets)

# Statuses in which the order holds reserved (not yet committed) stock.
HOLDS_RESERVATION = frozenset({PLACED, PAID})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def is_final(status: str) -> bool:
    return not TRANSITIONS.get(status)
