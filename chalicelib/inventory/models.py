"""The inventory's tables: products, stock per (product, warehouse), the movement ledger,
warehouses. One table per aggregate; physical names come from the stage (`<KEY>_TABLE`)."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.db import NEW_AND_OLD_IMAGES, ModelMeta, table_name


class Product(Model):
    """The catalog entry. Quantities live in `Stock`, one item per warehouse."""

    class Meta(ModelMeta):
        ref = resources.PRODUCTS
        table_name = table_name(ref)

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

    class Meta(ModelMeta):
        ref = resources.STOCK
        table_name = table_name(ref)
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

    class Meta(ModelMeta):
        ref = resources.MOVEMENTS
        table_name = table_name(ref)

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
    """A place stock is kept and shipped from; its coordinates are its zip code's centroid
    (`inventory.geo`), which allocation measures distances from. Inactive warehouses keep their
    stock lines but never serve an order."""

    class Meta(ModelMeta):
        ref = resources.WAREHOUSES
        table_name = table_name(ref)

    warehouse_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    zip_code = UnicodeAttribute(null=True)
    latitude = NumberAttribute(null=True)
    longitude = NumberAttribute(null=True)
    active = BooleanAttribute(null=True)  # None (items written before the flag existed) means active
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute(null=True)

    @property
    def is_active(self) -> bool:
        return self.active is not False
