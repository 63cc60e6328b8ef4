"""The inventory's tables: products, stock per (product, warehouse), the movement ledger,
warehouses. One table per aggregate; physical names come from the stage (`<KEY>_TABLE`)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.db import NEW_AND_OLD_IMAGES, ModelMeta, table_name

CATALOG = "products"  # the one partition of the `by_name` index (see ProductsByName)


class ProductsByName(GlobalSecondaryIndex["Product"]):  # type: ignore[no-untyped-call]
    """The catalog in name order: listing and name search read only the page they return.

    One partition (`catalog` is always "products"): product writes are admin actions, far below a
    partition's 1,000 writes a second, and the storefront's reads of it are cached by CloudFront.
    Projects whole products, so a catalog page costs one Query plus one BatchGetItem of stock.
    """

    class Meta:
        index_name = "by_name"
        projection = AllProjection()

    catalog = UnicodeAttribute(hash_key=True)
    name_key = UnicodeAttribute(range_key=True)


class Product(Model):
    """The catalog entry. Quantities live in `Stock`, one item per warehouse.

    - `warehouse_ids`: the warehouses holding a stock line of this product, kept in the same
      transaction that creates a line (`inventory.stock`), so a catalog page reads exactly its
      products' lines with one BatchGetItem instead of querying or scanning the stock table.
    - `catalog`, `name_key`: the `by_name` index's keys; every writer of `name` also sets
      `name_key = inventory.catalog.name_key(name)` (a product without it is not listed).
    - `version`: +1 on every write; deletion is guarded on it.
    - `created_at` starts the product's lifetime: movements older than it belong to an earlier
      product with the same id (deleted, then created again) and are not this product's history.
    """

    class Meta(ModelMeta):
        ref = resources.PRODUCTS
        table_name = table_name(ref)

    product_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    price_cents = NumberAttribute(default=0)
    threshold = NumberAttribute(default=0)  # default low-stock threshold for new stock items
    # Days a reorder takes to arrive (reorder suggestions); None: the shop's REORDER_LEAD_TIME_DAYS.
    lead_time_days = NumberAttribute(null=True)
    warehouse_ids = UnicodeSetAttribute(null=True)
    catalog = UnicodeAttribute(default=CATALOG)
    name_key = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    by_name = ProductsByName()


class Stock(Model):
    """Stock of one product in one warehouse.

    Invariants every writer keeps (`inventory.stock.change_stock` builds such writes; use it):
    - available == on_hand - reserved, and available >= 0, reserved >= 0. `available` is stored
      because condition expressions cannot do arithmetic: every write that takes stock is guarded
      by `available >= q` and moves `available` together with `on_hand` or `reserved`.
    - ledger_on_hand == the sum of `on_hand_delta` over the line's movements: every write that
      changes `on_hand` adds the same delta to `ledger_on_hand` and saves the movement, in one
      transaction. So `on_hand != ledger_on_hand` means someone edited the item outside the app,
      which reconciliation finds without reading the ledger (`inventory.stock.reconcile_all`).
      Reservations (`reserved`) move no physical stock and leave it alone.
    - version: +1 on every write; optimistic writers and deletion are guarded on it.
    Lines are created only by `inventory.stock` (`create_line_actions`, `set_line`), which also
    registers the warehouse on the product (`Product.warehouse_ids`).
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
    # No default: a line written without it (by older code) is recognised and initialised from
    # its ledger once by reconciliation, instead of looking like an edit made outside the app.
    ledger_on_hand = NumberAttribute(null=True)
    version = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute()
    # When the line was created (reorder suggestions average a new line's sales over the days it
    # existed); None for lines created before it was recorded.
    created_at = UTCDateTimeAttribute(null=True)


class Movement(Model):
    """One change of one stock item: who, why, how much. The audit trail to reconcile stock."""

    class Meta(ModelMeta):
        ref = resources.MOVEMENTS
        table_name = table_name(ref)

    stock_key = UnicodeAttribute(hash_key=True)  # "<product_id>#<warehouse_id>"
    # "<iso time>#<unique>": sorts by time, and a product's lifetime is the key range from its
    # `created_at` on (a key condition, so an earlier product's movements are never even read).
    movement_id = UnicodeAttribute(range_key=True)
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
