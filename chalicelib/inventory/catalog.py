"""The catalog: products and their stock across warehouses, as the API shows them (seed 000).

A product's `quantity` is what can be sold now: the sum of `available` over its warehouses. Seed
000's single quantity maps onto the default warehouse; more warehouses need no migration.

Two views of the same routes: admins see seed 000's inventory view (quantity, threshold, last
update, every warehouse's on-hand/reserved/threshold); everyone else sees what a shopper needs
(price, description, availability) and nothing of the shop's stock figures.

Cost: a catalog page (or a search page) is one Query of the `by_name` index for the page's
products and one BatchGetItem of exactly their stock lines (`Product.warehouse_ids` names them):
proportional to the page, whatever the size of the catalog.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.core import validation
from chalicelib.core.config import DEFAULT_WAREHOUSE_ID, get_settings
from chalicelib.core.db import Cancelled, Stale, decode_cursor, encode_cursor, iso, optimistic, transact, utcnow
from chalicelib.core.errors import Conflict, NotFound, ValidationError
from chalicelib.core.observability import logger
from chalicelib.inventory.stock import line_payload, new_line, new_movement

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition

    from chalicelib.inventory.models import Product, Stock

View = Literal["admin", "public"]

PRODUCT_FIELDS = {"productId", "productName", "quantity", "threshold", "description", "priceCents", "leadTimeDays"}
UPDATABLE_FIELDS = PRODUCT_FIELDS - {"productId"}
NAME_MAX, DESCRIPTION_MAX, QUERY_MAX = 200, 2000, 100
LEAD_TIME_MAX_DAYS = 365
# The public view reports availability up to this many units ("50" means 50 or more): enough for
# a shopper's quantity picker and "only 3 left", without publishing the shop's stock levels.
PUBLIC_AVAILABLE_CAP = 50
# Browsers may keep a public catalog response this long, CloudFront a little longer.
PUBLIC_CACHE_CONTROL = "public, max-age=15, s-maxage=30"


def name_key(name: str) -> str:
    """How the `by_name` index sorts and searches names: case- and accent-insensitive."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def availability(total_available: int, threshold: int) -> str:
    if total_available <= 0:
        return "OUT_OF_STOCK"
    return "LOW" if total_available < threshold else "IN_STOCK"


def product_payload(product: Product, stock: Iterable[Stock], view: View = "admin") -> dict[str, Any]:
    lines = sorted(stock, key=lambda s: s.warehouse_id)
    total = sum(int(s.available) for s in lines)
    payload: dict[str, Any] = {
        "productId": product.product_id,
        "productName": product.name,
        "description": product.description or "",
        "priceCents": int(product.price_cents),
        "availability": availability(total, int(product.threshold)),
    }
    if view == "public":
        payload["available"] = min(total, PUBLIC_AVAILABLE_CAP)
        return payload
    updated = max([product.updated_at, *(s.updated_at for s in lines)])
    payload.update(
        {
            "quantity": total,
            "threshold": int(product.threshold),
            "lowStock": any(int(s.available) < int(s.threshold) for s in lines),
            # None: the shop's default (REORDER_LEAD_TIME_DAYS) applies to reorder suggestions.
            "leadTimeDays": None if product.lead_time_days is None else int(product.lead_time_days),
            "lastUpdated": iso(updated),
            "stock": [line_payload(s) for s in lines],
        }
    )
    return payload


def _stock_of(products: list[Product], *, consistent: bool) -> dict[str, list[Stock]]:
    """The stock lines of these products: one BatchGetItem of exactly their lines."""
    from chalicelib.inventory.models import Stock

    by_product: dict[str, list[Stock]] = {p.product_id: [] for p in products}
    keys = [(p.product_id, w) for p in products for w in sorted(p.warehouse_ids or ())]
    if keys:
        for line in Stock.batch_get(keys, consistent_read=consistent):
            by_product[line.product_id].append(line)
    for product in products:
        if product.warehouse_ids is None:  # written before warehouse_ids existed: ask the stock table
            by_product[product.product_id] = list(Stock.query(product.product_id, consistent_read=consistent))
    return by_product


def list_products(
    *, limit: int | None, cursor: str | None, query: str | None = None, view: View = "admin"
) -> dict[str, Any]:
    """A page of the catalog in name order; with `query`, the products whose name starts with it
    (ignoring case and accents) and, first on the first page (in addition to `limit` name
    matches), the product whose id is exactly `query`."""
    from chalicelib.inventory.models import CATALOG, Product, ProductsByName

    size = limit or get_settings().page_size
    start = decode_cursor(cursor, {"catalog", "name_key", "product_id"})
    prefix = None
    exact: Product | None = None
    if query is not None:
        query = validation.clean_text(query, "q", max_length=QUERY_MAX)
        prefix = name_key(query)
        if not start and validation.ID_PATTERN.fullmatch(query):
            try:
                exact = Product.get(query)
            except Product.DoesNotExist:
                exact = None
    if start and (start["catalog"]["S"] != CATALOG or (prefix and not start["name_key"]["S"].startswith(prefix))):
        # DynamoDB refuses a start key outside the query's key range (a 500 otherwise).
        raise ValidationError("cursor", "is not a cursor of this listing (the search changed?)")
    condition = ProductsByName.name_key.startswith(prefix) if prefix else None
    result = Product.by_name.query(CATALOG, condition, limit=size, last_evaluated_key=start)
    # The exact id match comes first on the first page and is left out of the name matches.
    products = [p for p in result if query is None or p.product_id != query]
    if exact is not None:
        products.insert(0, exact)
    stock = _stock_of(products, consistent=view == "admin")
    return {
        "items": [product_payload(p, stock[p.product_id], view) for p in products],
        "nextCursor": encode_cursor(result.last_evaluated_key),
    }


def _load(product_id: str, *, consistent: bool = True) -> tuple[Product, list[Stock]]:
    from chalicelib.inventory.models import Product, Stock

    validation.product_id(product_id)
    try:
        product = Product.get(product_id, consistent_read=consistent)
    except Product.DoesNotExist:
        raise NotFound(f"no product {product_id}", productId=product_id) from None
    return product, list(Stock.query(product_id, consistent_read=consistent))


def get_product(product_id: str, view: View = "admin") -> dict[str, Any]:
    product, stock = _load(product_id, consistent=view == "admin")
    return product_payload(product, stock, view)


def _description(body: dict[str, Any]) -> str | None:
    """`description`: text (newlines allowed), or null/"" for none."""
    value = validation.text_or_clear(body, "description", max_length=DESCRIPTION_MAX, multiline=True)
    return "" if value is validation.CLEAR else value  # type: ignore[return-value]


def _lead_time(body: dict[str, Any]) -> int | validation._Clear | None:
    """`leadTimeDays`: whole days 0-365, or null for the shop's default (CLEAR); None when absent."""
    if "leadTimeDays" in body and body["leadTimeDays"] is None:
        return validation.CLEAR
    return validation.whole_number(body, "leadTimeDays", high=LEAD_TIME_MAX_DAYS, required=False)


def create_product(body: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Add a product with its opening stock in the default warehouse, in one transaction."""
    from chalicelib.inventory.models import Product, Stock

    validation.reject_unknown(body, PRODUCT_FIELDS)
    product_id = validation.product_identifier(body)
    name = validation.required_text(body, "productName", max_length=NAME_MAX)
    quantity = validation.whole_number(body, "quantity")
    threshold = validation.whole_number(body, "threshold")
    description = _description(body) or ""
    price = validation.whole_number(body, "priceCents", high=validation.MAX_PRICE_CENTS, required=False) or 0
    lead_time = _lead_time(body)
    assert quantity is not None and threshold is not None

    now = utcnow()
    product = Product(
        product_id,
        name=name,
        name_key=name_key(name),
        description=description,
        price_cents=price,
        threshold=threshold,
        lead_time_days=lead_time if isinstance(lead_time, int) else None,
        warehouse_ids={DEFAULT_WAREHOUSE_ID},
        version=1,
        created_at=now,
        updated_at=now,
    )
    stock = new_line(product_id, DEFAULT_WAREHOUSE_ID, on_hand=quantity, threshold=threshold, now=now)

    def build(tx: Any) -> None:
        tx.save(product, condition=Product.product_id.does_not_exist())
        # A line left by an earlier product with this id would be adopted with its figures; the
        # product's deletion removes its lines, so this only guards against a half-made state.
        tx.save(stock, condition=Stock.product_id.does_not_exist())
        if quantity:
            tx.save(
                new_movement(
                    product_id,
                    DEFAULT_WAREHOUSE_ID,
                    on_hand_delta=quantity,
                    reason="opening stock",
                    actor=actor,
                    now=now,
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

    Catalog fields and the threshold are set without reading first: racing edits of them never
    conflict (the last one wins, as with any edit). `quantity` sets what can be sold in the default
    warehouse: the line alone is read, then written guarded on its version, together with the
    movement of the difference; a racing write makes it retry (`core.db.optimistic`: jittered,
    bounded), and only past those retries does the caller get 409 ConcurrentUpdate. Each attempt
    is one read and one transaction, so racing writers hold the item as briefly as possible.
    """
    from pynamodb.exceptions import UpdateError

    from chalicelib.inventory.models import Product, Stock

    validation.product_id(product_id)
    validation.reject_unknown(body, UPDATABLE_FIELDS)
    if "productId" in body:
        raise ValidationError("productId", "cannot be changed")
    name = validation.text(body, "productName", max_length=NAME_MAX, required=False)
    description = _description(body)
    price = validation.whole_number(body, "priceCents", high=validation.MAX_PRICE_CENTS, required=False)
    threshold = validation.whole_number(body, "threshold", required=False)
    quantity = validation.whole_number(body, "quantity", required=False)
    lead_time = _lead_time(body)
    if not body:
        raise ValidationError("body", f"give at least one of {', '.join(sorted(UPDATABLE_FIELDS))}")
    missing = NotFound(f"no product {product_id}", productId=product_id)

    def product_actions(now: Any) -> list[Any]:
        actions: list[Any] = [Product.updated_at.set(now), Product.version.add(1)]
        if name is not None:
            actions += [Product.name.set(name), Product.name_key.set(name_key(name))]
        if description is not None:
            actions.append(Product.description.set(description))
        if price is not None:
            actions.append(Product.price_cents.set(price))
        if threshold is not None:
            actions.append(Product.threshold.set(threshold))
        if lead_time is validation.CLEAR:
            actions.append(Product.lead_time_days.remove())
        elif isinstance(lead_time, int):
            actions.append(Product.lead_time_days.set(lead_time))
        return actions

    def catalog_fields_only() -> None:
        # Only the product item changes: one conditional write, which never conflicts.
        try:
            Product(product_id).update(actions=product_actions(utcnow()), condition=Product.product_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise missing from None
            raise

    def attempt() -> None:
        now = utcnow()
        # Every line for a new threshold; for a quantity, the default line alone.
        lines = _read_lines(product_id, every=threshold is not None)
        default = next((s for s in lines if s.warehouse_id == DEFAULT_WAREHOUSE_ID), None)
        new_line_threshold = threshold
        if quantity is not None and default is None and new_line_threshold is None:
            try:  # a first line in the default warehouse takes the product's threshold
                new_line_threshold = int(Product.get(product_id, consistent_read=True).threshold)
            except Product.DoesNotExist:
                raise missing from None

        def build(tx: Any) -> None:
            actions = product_actions(now)
            if quantity is not None and default is None:
                actions.append(Product.warehouse_ids.add({DEFAULT_WAREHOUSE_ID}))
                tx.save(
                    new_line(
                        product_id, DEFAULT_WAREHOUSE_ID, on_hand=quantity, threshold=new_line_threshold or 0, now=now
                    ),
                    condition=Stock.product_id.does_not_exist(),
                )
                if quantity:
                    tx.save(
                        new_movement(
                            product_id,
                            DEFAULT_WAREHOUSE_ID,
                            on_hand_delta=quantity,
                            reason="stock count",
                            actor=actor,
                            now=now,
                        )
                    )
            tx.update(Product(product_id), actions=actions, condition=Product.product_id.exists())
            for item in lines:
                item_actions: list[Any] = []
                guard: Condition = Stock.product_id.exists()
                if threshold is not None:
                    item_actions.append(Stock.threshold.set(threshold))
                if quantity is not None and item is default:
                    # `quantity` is what can be sold: on_hand follows it, reservations stay held.
                    on_hand = quantity + int(item.reserved)
                    delta = on_hand - int(item.on_hand)
                    ledger = int(item.on_hand) if item.ledger_on_hand is None else int(item.ledger_on_hand)
                    item_actions += [
                        Stock.available.set(quantity),
                        Stock.on_hand.set(on_hand),
                        Stock.ledger_on_hand.set(ledger + delta),
                    ]
                    guard = Stock.version == int(item.version)
                    if delta:
                        tx.save(
                            new_movement(
                                product_id,
                                DEFAULT_WAREHOUSE_ID,
                                on_hand_delta=delta,
                                reason="stock count",
                                actor=actor,
                                now=now,
                            )
                        )
                if item_actions:
                    item_actions += [Stock.version.add(1), Stock.updated_at.set(now)]
                    tx.update(item, actions=item_actions, condition=guard)

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(Product):
                raise missing from None
            raise Stale() from None  # a stock line changed since it was read: read again

    if quantity is None and threshold is None:
        catalog_fields_only()
    else:
        optimistic(attempt, what=f"product {product_id}", productId=product_id)
    logger.info("product updated", extra={"product_id": product_id, "actor": actor, "fields": sorted(body)})
    return get_product(product_id)


def _read_lines(product_id: str, *, every: bool) -> list[Stock]:
    """A product's stock lines (every one), or only its default warehouse's, read consistently."""
    from chalicelib.inventory.models import Stock

    if every:
        return list(Stock.query(product_id, consistent_read=True))
    try:
        return [Stock.get(product_id, DEFAULT_WAREHOUSE_ID, consistent_read=True)]
    except Stock.DoesNotExist:
        return []


def delete_product(product_id: str, *, actor: str) -> None:
    """Remove a product and its stock. Refused while orders hold reserved units of it.

    The product and every line are deleted guarded on their version (and figures) as read, so an
    order that lands between the read and the delete cancels the delete, which reads again: the
    ledger's closing movements always match what was there. The movement ledger is kept (the audit
    trail); a product created later with the same id starts a new lifetime and does not show it.
    """
    from chalicelib.inventory.models import Product, Stock

    def attempt() -> None:
        product, stock = _load(product_id)
        held = sum(int(s.reserved) for s in stock)
        if held:
            raise Conflict(
                f"{held} units of {product_id} are reserved by open orders", productId=product_id, reserved=held
            )
        now = utcnow()

        def build(tx: Any) -> None:
            tx.delete(product, condition=_same_version(Product.version, product.version))
            for item in stock:
                tx.delete(
                    item,
                    condition=(Stock.version == int(item.version))
                    & (Stock.on_hand == int(item.on_hand))
                    & (Stock.reserved == 0),
                )
                if int(item.on_hand):
                    tx.save(
                        new_movement(
                            product_id,
                            item.warehouse_id,
                            on_hand_delta=-int(item.on_hand),
                            reason="product deleted",
                            actor=actor,
                            now=now,
                        )
                    )

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(Product) and _gone(product_id):
                raise NotFound(f"no product {product_id}", productId=product_id) from None
            raise Stale() from None  # changed since read (an order, a new line): read again

    optimistic(attempt, what=f"product {product_id}", productId=product_id)
    logger.info("product deleted", extra={"product_id": product_id, "actor": actor})


def _same_version(attribute: Any, version: Any) -> Condition:
    """Guard on a version as read; a product written before versions existed has none."""
    if version is None:
        return attribute.does_not_exist()  # type: ignore[no-any-return]
    return attribute == int(version)  # type: ignore[no-any-return]


def _gone(product_id: str) -> bool:
    from chalicelib.inventory.models import Product

    try:
        Product.get(product_id, consistent_read=True)
    except Product.DoesNotExist:
        return True
    return False
