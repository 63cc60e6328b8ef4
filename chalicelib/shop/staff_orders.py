"""Inventory orders (seed 000): staff take units of a product out of a warehouse, at once.

The order is `FULFILLED` as it is placed: one transaction takes the stock, records the movement,
writes the order and the idempotency record. No oversell, whatever the concurrency.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.core import idempotency, observability, validation
from chalicelib.core.config import DEFAULT_WAREHOUSE_ID
from chalicelib.core.db import Cancelled, business_date, iso, transact, utcnow
from chalicelib.core.errors import InsufficientStock, NotFound
from chalicelib.core.observability import logger
from chalicelib.inventory.stock import change_stock
from chalicelib.shop import order_status

MAX_ORDER_QUANTITY = 100_000


def place_inventory_order(body: dict[str, Any], *, actor: str, idempotency_key: str | None) -> dict[str, Any]:
    """Take `quantity` units of a product out of a warehouse, atomically, never below zero.

    One TransactWriteItems and nothing else on the success path: the stock update guarded by
    `available >= quantity`, the order record, its movement, and the idempotency record.
    """
    from chalicelib.core.idempotency import IdempotencyRecord
    from chalicelib.inventory.models import Stock
    from chalicelib.shop.models import Order, OrderLine, StatusChange, day_shard

    validation.reject_unknown(body, {"productId", "quantity", "warehouseId"})
    product_id = validation.product_identifier(body)
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
    request_fingerprint = idempotency.fingerprint(
        {"productId": product_id, "quantity": quantity, "warehouseId": warehouse_id}
    )
    record_id = f"inventory-order#{actor}#{key}" if key else None

    def build(tx: Any) -> None:
        if record_id:
            idempotency.claim_in(tx, record_id, request_fingerprint, response, now=now)
        # No oversell: change_stock guards the decrement on `available >= quantity` at the
        # instant the transaction commits, and records the movement with it.
        change_stock(
            tx,
            product_id,
            warehouse_id,
            on_hand_delta=-quantity,
            reason="inventory order",
            actor=actor,
            reference=order_id,
            now=now,
        )
        order_date = business_date(now)
        tx.save(
            Order(
                order_id,
                kind="inventory",
                lines=[OrderLine(product_id=product_id, warehouse_id=warehouse_id, quantity=quantity)],  # type: ignore[no-untyped-call]
                status=order_status.FULFILLED,
                status_history=[StatusChange(status=order_status.FULFILLED, at=now, by=actor)],  # type: ignore[no-untyped-call]
                order_date=order_date,
                day_shard=day_shard(order_date, order_id),
                created_at=now,
                created_by=actor,
                updated_at=now,
            ),
            condition=Order.order_id.does_not_exist(),
        )

    try:
        transact(build)
    except Cancelled as cancelled:
        if cancelled.failed(IdempotencyRecord):
            return idempotency.replay(record_id or "", request_fingerprint)
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
    observability.count(observability.ORDERS_PLACED)
    return response


def _missing(product_id: str, warehouse_id: str) -> NotFound:
    from chalicelib.inventory.models import Product

    try:
        Product.get(product_id)
    except Product.DoesNotExist:
        return NotFound(f"no product {product_id}", productId=product_id)
    return NotFound(
        f"{product_id} is not stocked in warehouse {warehouse_id}", productId=product_id, warehouseId=warehouse_id
    )
