"""The order state machine: which status may follow which. Pure: no AWS.

    PLACED -> PAID -> CONFIRMED -> SHIPPED -> DELIVERED
    PLACED -> PAYMENT_FAILED
    PLACED | PAID | CONFIRMED -> CANCELLED

Every change is written as a conditional update guarded on the current status and appends a
`{status, at, by}` entry to the order's history (`shop.orders.advance`), so two racing changes
(a cancel and the payment step, say) cannot both win. The shop lets customers cancel while an
order is `PLACED` (its stock is only reserved); cancelling after payment, which needs a refund, is
the order workflow's (`chalicelib.orders`), which extends `CUSTOMER_CANCELLABLE`.
"""

from __future__ import annotations

PLACED = "PLACED"
PAID = "PAID"
CONFIRMED = "CONFIRMED"
SHIPPED = "SHIPPED"
DELIVERED = "DELIVERED"
PAYMENT_FAILED = "PAYMENT_FAILED"
CANCELLED = "CANCELLED"
FULFILLED = "FULFILLED"  # staff inventory orders (seed 000): taken from stock as placed, final

STATUSES = (PLACED, PAID, CONFIRMED, SHIPPED, DELIVERED, PAYMENT_FAILED, CANCELLED)

TRANSITIONS: dict[str, frozenset[str]] = {
    PLACED: frozenset({PAID, PAYMENT_FAILED, CANCELLED}),
    PAID: frozenset({CONFIRMED, CANCELLED}),
    CONFIRMED: frozenset({SHIPPED, CANCELLED}),
    SHIPPED: frozenset({DELIVERED}),
    DELIVERED: frozenset(),
    PAYMENT_FAILED: frozenset(),
    CANCELLED: frozenset(),
    FULFILLED: frozenset(),
}

# Statuses from which the shop itself cancels (reserved stock is released in the same write).
CUSTOMER_CANCELLABLE = frozenset({PLACED})

# Statuses in which the order holds reserved (not yet committed) stock.
HOLDS_RESERVATION = frozenset({PLACED, PAID})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def is_final(status: str) -> bool:
    return not TRANSITIONS.get(status)
