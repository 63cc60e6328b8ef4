"""The catalog: products and their stock across warehouses, as the API shows them (seed 000).

A product's `quantity` is what can be sold now: the sum of `available` over its warehouses. Seed
000's single quantity maps onto the default warehouse; more warehouses need no migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.core import validation
from chalicelib.core.config import DEFAULT_WAREHOUSE_ID, get_settings
from chalicelib.core.db import Cancelled, decode_cursor, encode_cursor, iso, transact, utcnow
from chalicelib.core.errors import Conflict, NotFound, ValidationError
from chalicelib.core.observability import logger
from chalicelib.inventory.stock import new_movement

PRODUCT_FIELDS = {"productId", "productName", "quantity", "threshold", "description", "priceCents"}
UPDATABLE_FIELDS = PRODUCT_FIELDS - {"productId"}
MAX_UPDATE_ATTEMPTS = 5


def product_payload(product: Any, stock: Iterable[Any]) -> dict[str, Any]:
    items = sorted(stock, key=lambda s: s.warehouse_id)
    updated = max([product.updated_at, *(s.updated_at for s in items)])
    return {
        "productId": product.product_id,
        "productName": product.name,
        "description": product.description or "",
        "priceCents": int(product.price_cents),
        "quantity": sum(int(s.available) for s in items),
        "threshold": int(product.threshold),
        "lowStock": any(int(s.available) < int(s.threshold) for s in items),
        "lastUpdated": iso(updated),
        "stock": [
            {
                "warehouseId": s.warehouse_id,
                "onHand": int(s.on_hand),
                "reserved": int(s.reserved),
                "available": int(s.available),
                "threshold": int(s.threshold),
            }
            for s in items
        ],
    }


def list_products(*, limit: int | None, cursor: str | None) -> dict[str, Any]:
    from chalicelib.inventory.models import Product, Stock

    result = Product.scan(
        limit=limit or get_settings().page_size, last_evaluated_key=decode_cursor(cursor, {"product_id"})
    )
    products = list(result)
    by_product: dict[str, list[Any]] = {p.product_id: [] for p in products}
    if products:
        # One filtered scan of the stock table for the page (at most 100 ids, the IN limit).
        for item in Stock.scan(Stock.product_id.is_in(*by_product)):
            by_product[item.product_id].append(item)
    products.sort(key=lambda p: p.product_id)
    return {
        "items": [product_payload(p, by_product[p.product_id]) for p in products],
        "nextCursor": encode_cursor(result.last_evaluated_key),
    }


def _load(product_id: str) -> tuple[Any, list[Any]]:
    from chalicelib.inventory.models import Product, Stock

    try:
        product = Product.get(product_id, consistent_read=True)
    except Product.DoesNotExist:
        raise NotFound(f"no product {product_id}", productId=product_id) from None
    return product, list(Stock.query(product_id, consistent_read=True))


def get_product(product_id: str) -> dict[str, Any]:
    return product_payload(*_load(product_id))


def create_product(body: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Add a product with its opening stock in the default warehouse, in one transaction."""
    from chalicelib.inventory.models import Product, Stock

    validation.reject_unknown(body, PRODUCT_FIELDS)
    product_id = validation.identifier(body, "productId")
    name = validation.text(body, "productName", max_length=200)
    quantity = validation.whole_number(body, "quantity")
    threshold = validation.whole_number(body, "threshold")
    description = validation.text(body, "description", max_length=2000, required=False, allow_empty=True) or ""
    price = validation.whole_number(body, "priceCents", high=validation.MAX_PRICE_CENTS, required=False) or 0
    assert quantity is not None and threshold is not None

    now = utcnow()
    product = Product(
        product_id,
        name=name,
        description=description,
        price_cents=price,
        threshold=threshold,
        created_at=now,
        updated_at=now,
    )
    stock = Stock(
        product_id,
        DEFAULT_WAREHOUSE_ID,
        on_hand=quantity,
        reserved=0,
        available=quantity,
        threshold=threshold,
        version=1,
        updated_at=now,
    )

    def build(tx: Any) -> None:
        tx.save(product, condition=Product.product_id.does_not_exist())
        tx.save(stock, condition=Stock.product_id.does_not_exist())
        if quantity:
            tx.save(
                new_movement(
                    product_id, DEFAULT_WAREHOUSE_ID, on_hand_delta=quantity, reason="opening stock", actor=actor
                )
            )

    try:
        transact(build)
    except Cancelled:
        raise Conflict(f"a product with id {product_id} already exists", productId=product_id) from None
    logger.info("product created", extra={"product_id": product_id, "actor": actor})
    return product_payload(product, [stock])


def update_product(product_id: str, body: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Change catalog fields, the threshold (everywhere) and/or the default warehouse's quantity.

    Optimistic: the stock items are read, then written in one transaction guarded by their
    `version`; if anything changed in between (an order), the whole update is tried again.
    """
    from chalicelib.inventory.models import Product, Stock

    validation.reject_unknown(body, UPDATABLE_FIELDS)
    if "productId" in body:
        raise ValidationError("productId", "cannot be changed")
    name = validation.text(body, "productName", max_length=200, required=False)
    description = validation.text(body, "description", max_length=2000, required=False, allow_empty=True)
    price = validation.whole_number(body, "priceCents", high=validation.MAX_PRICE_CENTS, required=False)
    threshold = validation.whole_number(body, "threshold", required=False)
    quantity = validation.whole_number(body, "quantity", required=False)
    if all(v is None for v in (name, description, price, threshold, quantity)):
        raise ValidationError("body", f"give at least one of {', '.join(sorted(UPDATABLE_FIELDS))}")

    for _attempt in range(MAX_UPDATE_ATTEMPTS):
        product, stock = _load(product_id)
        now = utcnow()
        product_actions: list[Any] = [Product.updated_at.set(now)]
        if name is not None:
            product_actions.append(Product.name.set(name))
        if description is not None:
            product_actions.append(Product.description.set(description))
        if price is not None:
            product_actions.append(Product.price_cents.set(price))
        if threshold is not None:
            product_actions.append(Product.threshold.set(threshold))
        default = next((s for s in stock if s.warehouse_id == DEFAULT_WAREHOUSE_ID), None)

        def build(
            tx: Any,
            product: Any = product,
            stock: list[Any] = stock,
            default: Any = default,
            now: Any = now,
            product_actions: list[Any] = product_actions,
        ) -> None:
            tx.update(product, actions=product_actions, condition=Product.product_id.exists())
            for item in stock:
                actions: list[Any] = []
                if threshold is not None:
                    actions.append(Stock.threshold.set(threshold))
                if quantity is not None and item is default:
                    # `quantity` is what can be sold: on_hand follows it, reservations stay held.
                    actions += [Stock.available.set(quantity), Stock.on_hand.set(quantity + int(item.reserved))]
                if actions:
                    actions += [Stock.version.add(1), Stock.updated_at.set(now)]
                    tx.update(item, actions=actions, condition=Stock.version == int(item.version))
            if quantity is not None and default is None:
                tx.save(
                    Stock(
                        product_id,
                        DEFAULT_WAREHOUSE_ID,
                        on_hand=quantity,
                        reserved=0,
                        available=quantity,
                        threshold=product.threshold if threshold is None else threshold,
                        version=1,
                        updated_at=now,
                    ),
                    condition=Stock.product_id.does_not_exist(),
                )
            if quantity is not None:
                delta = quantity + (int(default.reserved) - int(default.on_hand) if default else 0)
                if delta:
                    tx.save(
                        new_movement(
                            product_id, DEFAULT_WAREHOUSE_ID, on_hand_delta=delta, reason="stock count", actor=actor
                        )
                    )

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(Product):
                raise NotFound(f"no product {product_id}", productId=product_id) from None
            continue  # a stock item changed since we read it: read again and retry
        logger.info("product updated", extra={"product_id": product_id, "actor": actor, "fields": sorted(body)})
        return get_product(product_id)
    raise Conflict("the product kept changing while it was being updated; try again", productId=product_id)


def delete_product(product_id: str, *, actor: str) -> None:
    """Remove a product and its stock. Refused while orders hold reserved units of it.

    The movement ledger is kept: it is the audit trail of what the product's stock did.
    """
    from chalicelib.inventory.models import Product, Stock

    product, stock = _load(product_id)
    held = sum(int(s.reserved) for s in stock)
    if held:
        raise Conflict(f"{held} units of {product_id} are reserved by open orders", productId=product_id, reserved=held)

    def build(tx: Any) -> None:
        tx.delete(product, condition=Product.product_id.exists())
        for item in stock:
            tx.delete(item, condition=Stock.reserved == 0)
            if int(item.on_hand):
                tx.save(
                    new_movement(
                        product_id,
                        item.warehouse_id,
                        on_hand_delta=-int(item.on_hand),
                        reason="product deleted",
                        actor=actor,
                    )
                )

    try:
        transact(build)
    except Cancelled:
        raise Conflict(f"{product_id} changed while being deleted; try again", productId=product_id) from None
    logger.info("product deleted", extra={"product_id": product_id, "actor": actor})
