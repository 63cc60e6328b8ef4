"""Stock: inventory orders (seed 000), the movement ledger, and reconciliation.

Every change to a stock item happens in one DynamoDB transaction together with the movement that
records it, so the ledger and the levels cannot disagree, except for edits made outside the app,
which `reconcile_all` finds and records.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from chalicelib import validation
from chalicelib.config import DEFAULT_WAREHOUSE_ID, get_settings
from chalicelib.db import Cancelled, decode_cursor, encode_cursor, is_key, iso, transact, utcnow
from chalicelib.errors import IdempotencyKeyReused, InsufficientStock, NotFound, ValidationError
from chalicelib.observability import logger

IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_ORDER_QUANTITY = 100_000


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
    from chalicelib.models import Movement

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


def place_inventory_order(body: dict[str, Any], *, actor: str, idempotency_key: str | None) -> dict[str, Any]:
    """Take `quantity` units of a product out of a warehouse, atomically, never below zero.

    One TransactWriteItems and nothing else on the success path: the stock update guarded by
    `available >= quantity`, the order record, its movement, and the idempotency record.
    """
    from chalicelib.models import IdempotencyRecord, Order, OrderLine, StatusChange, Stock

    validation.reject_unknown(body, {"productId", "quantity", "warehouseId"})
    product_id = validation.identifier(body, "productId")
    quantity = validation.whole_number(body, "quantity", low=1, high=MAX_ORDER_QUANTITY)
    assert quantity is not None
    warehouse_id = validation.identifier(body, "warehouseId", required=False, default=DEFAULT_WAREHOUSE_ID)
    key = validation.idempotency_key(idempotency_key)

    now = utcnow()
    order_id = str(uuid.uuid4())
    response = {
        "orderId": order_id,
        "productId": product_id,
        "warehouseId": warehouse_id,
        "quantity": quantity,
        "status": "FULFILLED",
        "createdAt": iso(now),
    }
    fingerprint = _fingerprint({"productId": product_id, "quantity": quantity, "warehouseId": warehouse_id})
    record_id = f"inventory-order#{actor}#{key}" if key else None

    def build(tx: Any) -> None:
        if record_id:
            # Exists and unexpired: this request was already carried out; the whole
            # transaction is cancelled and the original response is returned instead.
            tx.save(
                IdempotencyRecord(
                    record_id,
                    status="COMPLETED",
                    data=json.dumps({"fingerprint": fingerprint, "status": 201, "body": response}),
                    expiration=now + IDEMPOTENCY_TTL,
                ),
                condition=IdempotencyRecord.id.does_not_exist() | (IdempotencyRecord.expiration < now),
            )
        # No oversell: the decrement only happens if at least `quantity` units are available at the
        # instant the transaction commits; `available` moves together with `on_hand`.
        tx.update(
            Stock(product_id, warehouse_id),
            actions=[
                Stock.on_hand.add(-quantity),
                Stock.available.add(-quantity),
                Stock.version.add(1),
                Stock.updated_at.set(now),
            ],
            condition=Stock.product_id.exists() & (Stock.available >= quantity),
            return_values="ALL_OLD",
        )
        tx.save(
            Order(
                order_id,
                kind="inventory",
                lines=[OrderLine(product_id=product_id, warehouse_id=warehouse_id, quantity=quantity)],  # type: ignore[no-untyped-call]
                status="FULFILLED",
                status_history=[StatusChange(status="FULFILLED", at=now, by=actor)],  # type: ignore[no-untyped-call]
                order_date=now.date().isoformat(),
                created_at=now,
                created_by=actor,
            ),
            condition=Order.order_id.does_not_exist(),
        )
        tx.save(
            new_movement(
                product_id,
                warehouse_id,
                on_hand_delta=-quantity,
                reason="inventory order",
                actor=actor,
                reference=order_id,
            )
        )

    try:
        transact(build)
    except Cancelled as cancelled:
        if cancelled.failed(IdempotencyRecord):
            return _replay(record_id or "", fingerprint)
        stock_reason = cancelled.failed(Stock)
        if stock_reason:
            if stock_reason.item is None:
                raise _missing(product_id, warehouse_id) from None
            available = int(stock_reason.item.get("available", 0))
            raise InsufficientStock(
                f"only {available} of {product_id} available in {warehouse_id}, {quantity} requested",
                productId=product_id,
                warehouseId=warehouse_id,
                available=available,
                requested=quantity,
            ) from None
        raise
    logger.info("inventory order placed", extra={"order_id": order_id, "product_id": product_id, "quantity": quantity})
    return response


def _missing(product_id: str, warehouse_id: str) -> NotFound:
    from chalicelib.models import Product

    try:
        Product.get(product_id)
    except Product.DoesNotExist:
        return NotFound(f"no product {product_id}", productId=product_id)
    return NotFound(
        f"{product_id} is not stocked in warehouse {warehouse_id}", productId=product_id, warehouseId=warehouse_id
    )


def _fingerprint(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _replay(record_id: str, fingerprint: str) -> dict[str, Any]:
    from chalicelib.models import IdempotencyRecord

    record = IdempotencyRecord.get(record_id, consistent_read=True)
    stored = json.loads(record.data or "{}")
    if stored.get("fingerprint") != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
    logger.info("idempotent replay", extra={"idempotency_record": record_id})
    body: dict[str, Any] = stored["body"]
    return body


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
    from chalicelib.models import Movement, Stock

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
    from chalicelib.models import Movement, Stock

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
    return {"checked": checked, "repaired": repaired}
