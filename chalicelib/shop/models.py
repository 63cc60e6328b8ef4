"""The shop's tables: the order record (created by checkout, advanced by `orders`)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.db import NEW_AND_OLD_IMAGES, ModelMeta, table_name


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

    class Meta(ModelMeta):
        ref = resources.ORDERS
        table_name = table_name(ref)
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
