"""Stock: the movement ledger and reconciliation.

Every change to a stock item happens in one DynamoDB transaction together with the movement that
records it, so the ledger and the levels cannot disagree, except for edits made outside the app,
which `reconcile_all` finds and records.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.core import observability
from chalicelib.core.config import DEFAULT_WAREHOUSE_ID, get_settings
from chalicelib.core.db import Cancelled, decode_cursor, encode_cursor, is_key, iso, transact, utcnow
from chalicelib.core.errors import ValidationError
from chalicelib.core.observability import logger


def stock_key(product_id: str, warehouse_id: str) -> str:
    return f"{product_id}#{warehouse_id}"


def new_movement(
    product_id: str,
    warehouse_id: str,
    *,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reason: str,
    actor: str,
    reference: str | None = None,
) -> Any:
    from chalicelib.inventory.models import Movement

    now = utcnow()
    return Movement(
        stock_key(product_id, warehouse_id),
        f"{iso(now)}#{uuid.uuid4().hex[:12]}",
        product_id=product_id,
        warehouse_id=warehouse_id,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        reason=reason,
        actor=actor,
        reference=reference,
        created_at=now,
    )


def movement_payload(movement: Any) -> dict[str, Any]:
    return {
        "movementId": movement.movement_id,
        "productId": movement.product_id,
        "warehouseId": movement.warehouse_id,
        "onHandDelta": int(movement.on_hand_delta),
        "reservedDelta": int(movement.reserved_delta),
        "reason": movement.reason,
        "actor": movement.actor,
        "reference": movement.reference,
        "createdAt": iso(movement.created_at),
    }


def list_movements(product_id: str, *, limit: int | None, cursor: str | None) -> dict[str, Any]:
    """The product's movements, newest first, across its warehouses (one page per warehouse set)."""
    from chalicelib.inventory.models import Movement, Stock

    warehouses = [s.warehouse_id for s in Stock.query(product_id, attributes_to_get=["warehouse_id"])]
    if not warehouses:
        warehouses = [DEFAULT_WAREHOUSE_ID]
    start = decode_cursor(cursor) or {}
    # One movement key per stock item: {"<product>#<warehouse>": {stock_key, movement_id}}.
    if not all(
        is_key(key, {"stock_key", "movement_id"}) and key["stock_key"]["S"] == name for name, key in start.items()
    ):
        raise ValidationError("cursor", "is not a cursor this API returned")
    size = limit or get_settings().page_size
    items: list[dict[str, Any]] = []
    next_cursor: dict[str, Any] = {}
    for warehouse_id in warehouses:
        key = stock_key(product_id, warehouse_id)
        if cursor and key not in start:
            continue
        result = Movement.query(key, scan_index_forward=False, limit=size, last_evaluated_key=start.get(key) or None)
        items.extend(movement_payload(m) for m in result)
        if result.last_evaluated_key:
            next_cursor[key] = result.last_evaluated_key
    items.sort(key=lambda m: m["movementId"], reverse=True)
    return {"items": items, "nextCursor": encode_cursor(next_cursor) if next_cursor else None}


def reconcile_all(*, actor: str) -> dict[str, Any]:
    """Find stock items edited outside the app and bring the item and its ledger back in line.

    The ledger (sum of movements) says what `on_hand` should be. If `on_hand` differs, someone
    changed it outside the app: record the difference as a movement and derive `available`. If
    only `available` was changed, `on_hand` follows it. Each repair is conditional on the item not
    having changed since it was read, so a concurrent order is never overwritten.
    """
    from chalicelib.inventory.models import Movement, Stock

    checked = repaired = 0
    for item in Stock.scan():
        checked += 1
        ledger = sum(int(m.on_hand_delta) for m in Movement.query(stock_key(item.product_id, item.warehouse_id)))
        on_hand, reserved, available = int(item.on_hand), int(item.reserved), int(item.available)
        if on_hand == ledger and available == on_hand - reserved:
            continue
        if on_hand == ledger:  # only `available` was edited: take it as the new level
            on_hand = available + reserved
        delta = on_hand - ledger
        now = utcnow()

        def build(tx: Any, item: Any = item, on_hand: int = on_hand, delta: int = delta, now: Any = now) -> None:
            tx.update(
                item,
                actions=[
                    Stock.on_hand.set(on_hand),
                    Stock.available.set(on_hand - int(item.reserved)),
                    Stock.version.add(1),
                    Stock.updated_at.set(now),
                ],
                condition=(Stock.on_hand == int(item.on_hand))
                & (Stock.available == int(item.available))
                & (Stock.reserved == int(item.reserved)),
            )
            tx.save(
                new_movement(
                    item.product_id,
                    item.warehouse_id,
                    on_hand_delta=delta,
                    reason="edited outside the app",
                    actor=actor,
                )
            )

        try:
            transact(build)
        except Cancelled:
            logger.info(
                "stock changed while reconciling; next run will look again", extra={"product_id": item.product_id}
            )
            continue
        repaired += 1
        logger.warning(
            "stock edited outside the app was reconciled",
            extra={"product_id": item.product_id, "warehouse_id": item.warehouse_id, "on_hand_delta": delta},
        )
    observability.count(observability.RECONCILE_REPAIRS, repaired)
    return {"checked": checked, "repaired": repaired}
