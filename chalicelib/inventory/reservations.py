"""The stock moves of an order's life, by name, each added to the caller's transaction through
`inventory.stock.change_stock` (the one place that keeps the `Stock` invariants and records the
movement):

- `reserve`: checkout. `available -= q, reserved += q`, guarded by `available >= q`.
- `release`: cancellation before the stock is committed. `available += q, reserved -= q`,
  guarded by `reserved >= q`.
- `commit`: the order workflow once paid. `on_hand -= q, reserved -= q`, guarded by `reserved >= q`.
- `restock`: an order cancelled after `commit`. `on_hand += q` (`available += q`).

A refused update's cancellation reason carries the line as it was (`ALL_OLD`), so a cancelled
transaction says how much was available without another read. Staff inventory orders take stock
directly (`change_stock(on_hand_delta=-q)`, `shop/staff_orders.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.inventory.stock import change_stock


def reserve(
    tx: Any, product_id: str, warehouse_id: str, quantity: int, *, now: datetime, actor: str, reference: str
) -> None:
    # No oversell: the reservation commits only if `quantity` units are available at that instant.
    change_stock(
        tx,
        product_id,
        warehouse_id,
        reserved_delta=quantity,
        reason="order placed",
        actor=actor,
        reference=reference,
        now=now,
    )


def release(
    tx: Any,
    product_id: str,
    warehouse_id: str,
    quantity: int,
    *,
    now: datetime,
    actor: str,
    reference: str,
    reason: str = "order cancelled",
) -> None:
    change_stock(
        tx, product_id, warehouse_id, reserved_delta=-quantity, reason=reason, actor=actor, reference=reference, now=now
    )


def commit(
    tx: Any, product_id: str, warehouse_id: str, quantity: int, *, now: datetime, actor: str, reference: str
) -> None:
    change_stock(
        tx,
        product_id,
        warehouse_id,
        on_hand_delta=-quantity,
        reserved_delta=-quantity,
        reason="order paid: taken from stock",
        actor=actor,
        reference=reference,
        now=now,
    )


def restock(
    tx: Any,
    product_id: str,
    warehouse_id: str,
    quantity: int,
    *,
    now: datetime,
    actor: str,
    reference: str,
    reason: str = "order cancelled: restocked",
) -> None:
    """A committed order's units back on the shelf (an order cancelled after its stock was
    committed): `on_hand += q`, `available += q`."""
    change_stock(
        tx, product_id, warehouse_id, on_hand_delta=quantity, reason=reason, actor=actor, reference=reference, now=now
    )
