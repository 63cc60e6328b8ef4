"""The stock writes every order path shares, each added to the caller's transaction together with
the movement that records it. One place for the conditions that keep the stock invariant
(`available == on_hand - reserved`, `available >= 0`, `reserved >= 0`):

- `reserve`: checkout. `available -= q, reserved += q`, guarded by `available >= q`.
- `release`: cancellation before the stock is committed. `available += q, reserved -= q`,
  guarded by `reserved >= q`.
- `commit`: the order workflow once paid. `on_hand -= q, reserved -= q`, guarded by `reserved >= q`.
- `take`: staff inventory orders (seed 000). `on_hand -= q, available -= q`, guarded by
  `available >= q`.

Each stock update asks for the item as it was (`ALL_OLD`) when its condition fails, so a cancelled
transaction says how much was available without another read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.inventory.stock import new_movement


def _update(tx: Any, product_id: str, warehouse_id: str, actions: list[Any], condition: Any) -> None:
    from chalicelib.inventory.models import Stock

    tx.update(
        Stock(product_id, warehouse_id),
        actions=actions,
        condition=Stock.product_id.exists() & condition,
        return_values="ALL_OLD",
    )


def reserve(
    tx: Any, product_id: str, warehouse_id: str, quantity: int, *, now: datetime, actor: str, reference: str
) -> None:
    from chalicelib.inventory.models import Stock

    # No oversell: the reservation commits only if `quantity` units are available at that instant.
    _update(
        tx,
        product_id,
        warehouse_id,
        [
            Stock.available.add(-quantity),
            Stock.reserved.add(quantity),
            Stock.version.add(1),
            Stock.updated_at.set(now),
        ],
        Stock.available >= quantity,
    )
    tx.save(
        new_movement(
            product_id, warehouse_id, reserved_delta=quantity, reason="order placed", actor=actor, reference=reference
        )
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
    from chalicelib.inventory.models import Stock

    _update(
        tx,
        product_id,
        warehouse_id,
        [
            Stock.available.add(quantity),
            Stock.reserved.add(-quantity),
            Stock.version.add(1),
            Stock.updated_at.set(now),
        ],
        Stock.reserved >= quantity,
    )
    tx.save(
        new_movement(
            product_id, warehouse_id, reserved_delta=-quantity, reason=reason, actor=actor, reference=reference
        )
    )


def commit(
    tx: Any, product_id: str, warehouse_id: str, quantity: int, *, now: datetime, actor: str, reference: str
) -> None:
    from chalicelib.inventory.models import Stock

    _update(
        tx,
        product_id,
        warehouse_id,
        [
            Stock.on_hand.add(-quantity),
            Stock.reserved.add(-quantity),
            Stock.version.add(1),
            Stock.updated_at.set(now),
        ],
        Stock.reserved >= quantity,
    )
    tx.save(
        new_movement(
            product_id,
            warehouse_id,
            on_hand_delta=-quantity,
            reserved_delta=-quantity,
            reason="order shipped from stock",
            actor=actor,
            reference=reference,
        )
    )


def take(
    tx: Any, product_id: str, warehouse_id: str, quantity: int, *, now: datetime, actor: str, reference: str
) -> None:
    from chalicelib.inventory.models import Stock

    # No oversell: `available` moves together with `on_hand`, and only if enough is available.
    _update(
        tx,
        product_id,
        warehouse_id,
        [
            Stock.on_hand.add(-quantity),
            Stock.available.add(-quantity),
            Stock.version.add(1),
            Stock.updated_at.set(now),
        ],
        Stock.available >= quantity,
    )
    tx.save(
        new_movement(
            product_id,
            warehouse_id,
            on_hand_delta=-quantity,
            reason="inventory order",
            actor=actor,
            reference=reference,
        )
    )
