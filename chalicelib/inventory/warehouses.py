"""Warehouses (admin): where stock is kept and orders ship from, located by zip code.

Coordinates always come from the zip code (`inventory.geo`, offline); an unknown zip is a 400
naming `zip`. A warehouse that holds stock (on hand or reserved) cannot be deleted (409): deactivate
it instead, and allocation stops using it while its stock lines stay visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.core import validation
from chalicelib.core.db import Cancelled, iso, transact, utcnow
from chalicelib.core.errors import Conflict, NotFound, ValidationError
from chalicelib.core.observability import logger

FIELDS = {"warehouseId", "name", "zip", "active"}
UPDATABLE = FIELDS - {"warehouseId"}
# One transaction deletes the warehouse and up to this many of its empty stock lines.
DELETE_BATCH = 90


def warehouse_payload(warehouse: Any) -> dict[str, Any]:
    return {
        "warehouseId": warehouse.warehouse_id,
        "name": warehouse.name,
        "zip": warehouse.zip_code,
        "latitude": float(warehouse.latitude) if warehouse.latitude is not None else None,
        "longitude": float(warehouse.longitude) if warehouse.longitude is not None else None,
        "active": warehouse.is_active,
        "createdAt": iso(warehouse.created_at),
        "updatedAt": iso(warehouse.updated_at or warehouse.created_at),
    }


def locate(body: dict[str, Any], field: str = "zip", *, required: bool = True) -> tuple[str, Any] | None:
    """The normalized zip code of `body[field]` and its centroid, or a 400 naming the field."""
    from chalicelib.inventory import geo

    value = validation.text(body, field, max_length=10, required=required)
    if value is None:
        return None
    five = geo.normalize(value)
    if five is None:
        raise ValidationError(field, "must be a US ZIP code: five digits, like 10001 (or 10001-1234)")
    point = geo.lookup(five)
    if point is None:
        raise ValidationError(field, f"unknown ZIP code {five}")
    return five, point


def all_warehouses() -> list[Any]:
    from chalicelib.inventory.models import Warehouse

    return sorted(Warehouse.scan(), key=lambda w: w.warehouse_id)


def list_warehouses() -> dict[str, Any]:
    return {"items": [warehouse_payload(w) for w in all_warehouses()]}


def _get(warehouse_id: str) -> Any:
    from chalicelib.inventory.models import Warehouse

    try:
        return Warehouse.get(warehouse_id, consistent_read=True)
    except Warehouse.DoesNotExist:
        raise NotFound(f"no warehouse {warehouse_id}", warehouseId=warehouse_id) from None


def get_warehouse(warehouse_id: str) -> dict[str, Any]:
    return warehouse_payload(_get(warehouse_id))


def create_warehouse(body: dict[str, Any], *, actor: str) -> dict[str, Any]:
    from chalicelib.inventory.models import Warehouse

    validation.reject_unknown(body, FIELDS)
    warehouse_id = validation.identifier(body, "warehouseId")
    name = validation.text(body, "name", max_length=200)
    located = locate(body)
    assert located is not None
    zip_code, point = located
    active = validation.boolean(body, "active", required=False)
    now = utcnow()
    warehouse = Warehouse(
        warehouse_id,
        name=name,
        zip_code=zip_code,
        latitude=point.latitude,
        longitude=point.longitude,
        active=True if active is None else active,
        created_at=now,
        updated_at=now,
    )
    from pynamodb.exceptions import PutError

    try:
        warehouse.save(condition=Warehouse.warehouse_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"a warehouse with id {warehouse_id} already exists", warehouseId=warehouse_id) from None
        raise
    logger.info("warehouse created", extra={"warehouse_id": warehouse_id, "actor": actor})
    return warehouse_payload(warehouse)


def update_warehouse(warehouse_id: str, body: dict[str, Any], *, actor: str) -> dict[str, Any]:
    from pynamodb.exceptions import UpdateError

    from chalicelib.inventory.models import Warehouse

    if "warehouseId" in body and body["warehouseId"] != warehouse_id:
        raise ValidationError("warehouseId", "cannot be changed")
    validation.reject_unknown(body, FIELDS)
    name = validation.text(body, "name", max_length=200, required=False)
    located = locate(body, required=False)
    active = validation.boolean(body, "active", required=False)
    if name is None and located is None and active is None:
        raise ValidationError("body", f"give at least one of {', '.join(sorted(UPDATABLE))}")
    actions: list[Any] = [Warehouse.updated_at.set(utcnow())]
    if name is not None:
        actions.append(Warehouse.name.set(name))
    if located is not None:
        zip_code, point = located
        actions += [
            Warehouse.zip_code.set(zip_code),
            Warehouse.latitude.set(point.latitude),
            Warehouse.longitude.set(point.longitude),
        ]
    if active is not None:
        actions.append(Warehouse.active.set(active))
    warehouse = Warehouse(warehouse_id)
    try:
        warehouse.update(actions=actions, condition=Warehouse.warehouse_id.exists())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"no warehouse {warehouse_id}", warehouseId=warehouse_id) from None
        raise
    logger.info("warehouse updated", extra={"warehouse_id": warehouse_id, "actor": actor, "fields": sorted(body)})
    return get_warehouse(warehouse_id)


def stock_lines_in(warehouse_id: str) -> list[Any]:
    """Every stock line kept in a warehouse. A filtered scan of the stock table: deleting a
    warehouse is a rare admin action, and it spares every stock write a second index."""
    from chalicelib.inventory.models import Stock

    return list(
        Stock.scan(
            Stock.warehouse_id == warehouse_id,
            attributes_to_get=["product_id", "warehouse_id", "on_hand", "reserved"],
        )
    )


def delete_warehouse(warehouse_id: str, *, actor: str) -> None:
    """Delete an empty warehouse with its empty stock lines; 409 while it holds any stock.

    Every stock line is deleted on condition that it is still empty, in the same transaction as the
    warehouse (the last batch), so an order reserving there meanwhile makes the delete fail, never
    the order.
    """
    from chalicelib.inventory.models import Stock, Warehouse

    _get(warehouse_id)
    lines = stock_lines_in(warehouse_id)
    held = [s for s in lines if int(s.on_hand or 0) or int(s.reserved or 0)]
    if held:
        raise _holds_stock(warehouse_id, held)
    batches = [lines[i : i + DELETE_BATCH] for i in range(0, len(lines), DELETE_BATCH)] or [[]]
    for number, batch in enumerate(batches, start=1):

        def build(tx: Any, batch: list[Any] = batch, last: bool = number == len(batches)) -> None:
            for item in batch:
                tx.delete(
                    Stock(item.product_id, item.warehouse_id), condition=(Stock.on_hand == 0) & (Stock.reserved == 0)
                )
            if last:
                tx.delete(Warehouse(warehouse_id), condition=Warehouse.warehouse_id.exists())

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(Warehouse):
                raise NotFound(f"no warehouse {warehouse_id}", warehouseId=warehouse_id) from None
            raise _holds_stock(
                warehouse_id, [s for s in stock_lines_in(warehouse_id) if s.on_hand or s.reserved]
            ) from None
    logger.info("warehouse deleted", extra={"warehouse_id": warehouse_id, "actor": actor, "empty_lines": len(lines)})


def _holds_stock(warehouse_id: str, lines: Iterable[Any]) -> Conflict:
    lines = list(lines)
    on_hand = sum(int(s.on_hand or 0) for s in lines)
    reserved = sum(int(s.reserved or 0) for s in lines)
    return Conflict(
        f"warehouse {warehouse_id} holds stock ({on_hand} on hand, {reserved} reserved); "
        "move or count it out first, or deactivate the warehouse",
        warehouseId=warehouse_id,
        onHand=on_hand,
        reserved=reserved,
        products=sorted({s.product_id for s in lines})[:20],
    )


# --- what the shop reads: sites and availability, in a constant number of requests ------------


def availability(
    product_ids: Iterable[str], warehouse_ids: Iterable[str], *, consistent: bool = False
) -> dict[tuple[str, str], int]:
    """`available` of each (product, warehouse) stock line that exists: one BatchGetItem per 100
    keys, whatever the number of products (the number of requests does not grow with an order's
    lines until 100 keys)."""
    from chalicelib.inventory.models import Stock

    keys = [(p, w) for p in sorted(set(product_ids)) for w in sorted(set(warehouse_ids))]
    if not keys:
        return {}
    return {
        (item.product_id, item.warehouse_id): int(item.available)
        for item in Stock.batch_get(
            keys, consistent_read=consistent, attributes_to_get=["product_id", "warehouse_id", "available"]
        )
    }
