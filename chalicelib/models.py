"""PynamoDB models: one table per aggregate, and the one definition of each table's schema.

The devstack creates tables from these models, the tests create them in moto the same way, and
the Terraform checks compare `terraform/dynamodb.tf` against `table_schema()` of each model.
Physical table names come from the stage's environment (`<KEY>_TABLE`).
"""

from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib import resources
from chalicelib.resources import TableRef

NEW_AND_OLD_IMAGES = "NEW_AND_OLD_IMAGES"


def _name(ref: TableRef) -> str:
    return os.environ.get(ref.env, f"stockroom-{ref.key}")


class _Meta:
    billing_mode = "PAY_PER_REQUEST"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class Product(Model):
    """The catalog entry. Quantities live in `Stock`, one item per warehouse."""

    class Meta(_Meta):
        ref = resources.PRODUCTS
        table_name = _name(ref)

    product_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    price_cents = NumberAttribute(default=0)
    threshold = NumberAttribute(default=0)  # default low-stock threshold for new stock items
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class Stock(Model):
    """Stock of one product in one warehouse.

    Invariant: available == on_hand - reserved, and available >= 0. `available` is stored because
    condition expressions cannot do arithmetic: every write that takes stock is guarded by
    `available >= q` and moves `available` together with `on_hand` or `reserved`.
    """

    class Meta(_Meta):
        ref = resources.STOCK
        table_name = _name(ref)
        stream_view_type = NEW_AND_OLD_IMAGES

    product_id = UnicodeAttribute(hash_key=True)
    warehouse_id = UnicodeAttribute(range_key=True)
    on_hand = NumberAttribute(default=0)
    reserved = NumberAttribute(default=0)
    available = NumberAttribute(default=0)
    threshold = NumberAttribute(default=0)
    version = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute()


class Movement(Model):
    """One change of one stock item: who, why, how much. The audit trail to reconcile stock."""

    class Meta(_Meta):
        ref = resources.MOVEMENTS
        table_name = _name(ref)

    stock_key = UnicodeAttribute(hash_key=True)  # "<product_id>#<warehouse_id>"
    movement_id = UnicodeAttribute(range_key=True)  # "<iso time>#<unique>", sorts by time
    product_id = UnicodeAttribute()
    warehouse_id = UnicodeAttribute()
    on_hand_delta = NumberAttribute(default=0)
    reserved_delta = NumberAttribute(default=0)
    reason = UnicodeAttribute()
    actor = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class Warehouse(Model):
    class Meta(_Meta):
        ref = resources.WAREHOUSES
        table_name = _name(ref)

    warehouse_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    zip_code = UnicodeAttribute(null=True)
    latitude = NumberAttribute(null=True)
    longitude = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class OrderLine(MapAttribute[str, Any]):
    product_id = UnicodeAttribute()
    warehouse_id = UnicodeAttribute()
    quantity = NumberAttribute()
    unit_price_cents = NumberAttribute(default=0)


class StatusChange(MapAttribute[str, Any]):
    status = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    by = UnicodeAttribute()


class OrdersByCustomer(GlobalSecondaryIndex["Order"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class OrdersByDay(GlobalSecondaryIndex["Order"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_day"
        projection = AllProjection()

    order_date = UnicodeAttribute(hash_key=True)  # YYYY-MM-DD (UTC)
    created_at = UTCDateTimeAttribute(range_key=True)


class Order(Model):
    """An order. `kind` is "inventory" for a stock withdrawal placed by staff (seed 000)."""

    class Meta(_Meta):
        ref = resources.ORDERS
        table_name = _name(ref)
        stream_view_type = NEW_AND_OLD_IMAGES

    order_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    customer_id = UnicodeAttribute(null=True)
    lines = ListAttribute(of=OrderLine)
    status = UnicodeAttribute()
    status_history = ListAttribute(of=StatusChange)
    order_date = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()

    by_customer = OrdersByCustomer()
    by_day = OrdersByDay()


class IdempotencyRecord(Model):
    """Idempotency records, in the layout of Powertools' DynamoDB persistence layer.

    Shared by request idempotency (`Idempotency-Key` header, written inside the business
    transaction) and Powertools' `idempotent_function` (event handlers).
    """

    class Meta(_Meta):
        ref = resources.IDEMPOTENCY
        table_name = _name(ref)

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (Product, Stock, Movement, Warehouse, Order, IdempotencyRecord)


def table_schema(model: type[Model]) -> dict[str, Any]:
    """The table as DynamoDB describes it: keys, attribute types, indexes, stream, TTL.

    The single shape that the devstack provisions from and the Terraform check compares against.
    """
    schema = model._get_schema()
    ttl = next((name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)), None)
    return {
        "key": model.Meta.ref.key,  # type: ignore[attr-defined]
        "name": model.Meta.table_name,
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]},
        "key_schema": {k["KeyType"]: k["AttributeName"] for k in schema["key_schema"]},
        "global_secondary_indexes": {
            index["index_name"]: {k["KeyType"]: k["AttributeName"] for k in index["key_schema"]}
            for index in schema.get("global_secondary_indexes", [])
        },
        "stream_view_type": getattr(model.Meta, "stream_view_type", None),
        "ttl_attribute": ttl,
    }


def create_table(model: type[Model]) -> None:
    """Create a model's table (devstack and tests) with its stream and TTL, if it is missing."""
    if model.exists():
        return
    model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    ttl = table_schema(model)["ttl_attribute"]
    if ttl:
        model.update_ttl(ignore_update_ttl_errors=True)
