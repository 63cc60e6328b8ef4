"""The shop's tables: the order record (created by checkout, moved on by `orders.transitions`), carts, promo
codes and their per-customer redemptions, delivery methods."""

from __future__ import annotations

import uuid
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.db import NEW_AND_OLD_IMAGES, ModelMeta, table_name

# Orders of one business day are spread over this many partitions of the `by_day` index
# (`<day>#<n>`), so a busy day's writes never land on one partition key. Readers query every shard
# of a day; raising it later is safe as long as readers query the old count's shards too.
DAY_SHARDS = 4


def day_shard(order_date: str, order_id: str) -> str:
    """The `by_day` partition of an order: its business day and a shard drawn from its id."""
    return f"{order_date}#{uuid.UUID(order_id).int % DAY_SHARDS}"


class OrderLine(MapAttribute[str, Any]):
    """One product of an order, served whole by one warehouse, priced from the catalog."""

    product_id = UnicodeAttribute()
    warehouse_id = UnicodeAttribute()
    quantity = NumberAttribute()
    unit_price_cents = NumberAttribute(default=0)
    product_name = UnicodeAttribute(null=True)
    line_total_cents = NumberAttribute(null=True)


class Address(MapAttribute[str, Any]):
    name = UnicodeAttribute()
    line1 = UnicodeAttribute()
    line2 = UnicodeAttribute(null=True)
    city = UnicodeAttribute()
    zip_code = UnicodeAttribute()
    country = UnicodeAttribute()


class StatusChange(MapAttribute[str, Any]):
    status = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    by = UnicodeAttribute()


class OrdersByCustomer(GlobalSecondaryIndex["Order"]):  # type: ignore[no-untyped-call]
    """A customer's orders, newest first (purchase history). Sparse: staff orders have no customer."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class OrdersByDay(GlobalSecondaryIndex["Order"]):  # type: ignore[no-untyped-call]
    """Orders of a business day, spread over `DAY_SHARDS` partitions (`<YYYY-MM-DD>#<n>`)."""

    class Meta:
        index_name = "by_day"
        projection = AllProjection()

    day_shard = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class OrdersByEmail(GlobalSecondaryIndex["Order"]):  # type: ignore[no-untyped-call]
    """The orders placed with an e-mail address, newest first (an admin answering a customer).

    Keys only: an order's status changes then never write to this index (one index write per
    order, at placement); a page of keys is read whole with one BatchGetItem. Sparse: staff
    orders have no e-mail."""

    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class Order(Model):
    """An order. `kind` is "shop" for a customer's or guest's order (checkout, issue 9) and
    "inventory" for a stock withdrawal placed by staff (seed 000).

    Status moves only along `shop.order_status.TRANSITIONS`, each change a write conditioned on the
    current status that appends to `status_history`. Amounts are integer cents in `currency`. The
    guest's `orderToken` is never stored, only its SHA-256 (`order_token_hash`); card numbers never
    reach us: `payment_token` is the gateway's token, `payment_reference` its payment id.
    """

    class Meta(ModelMeta):
        ref = resources.ORDERS
        table_name = table_name(ref)
        stream_view_type = NEW_AND_OLD_IMAGES

    order_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    customer_id = UnicodeAttribute(null=True)  # Cognito subject of a signed-in customer; None for guests and staff
    email = UnicodeAttribute(null=True)  # where the customer is told about the order (lower case)
    lines = ListAttribute(of=OrderLine)
    subtotal_cents = NumberAttribute(default=0)
    discount_cents = NumberAttribute(default=0)
    delivery_cents = NumberAttribute(default=0)
    total_cents = NumberAttribute(default=0)
    currency = UnicodeAttribute(null=True)
    promo_code = UnicodeAttribute(null=True)
    promo_customer = UnicodeAttribute(null=True)  # key of the PromoRedemption this order counted on
    delivery_method = UnicodeAttribute(null=True)
    shipping_address = Address(null=True)  # type: ignore[no-untyped-call]
    delivery_zip = UnicodeAttribute(null=True)  # the zip the allocation measured from
    estimated_delivery = UnicodeAttribute(null=True)  # YYYY-MM-DD in the shop's time zone
    status = UnicodeAttribute()
    status_history = ListAttribute(of=StatusChange)
    payment_token = UnicodeAttribute(null=True)
    payment_reference = UnicodeAttribute(null=True)
    receipt_key = UnicodeAttribute(null=True)
    order_token_hash = UnicodeAttribute(null=True)
    # After checkout (chalicelib.orders). `workflow_steps` names what the order workflow has done
    # (`orders.workflow.Step`), so every step is idempotent: a step adds its name in the same write
    # as its effect (or right after an effect outside DynamoDB, an e-mail or a notification) and a
    # repeated step that finds it does nothing. E-mailed links carry tokens of their own, stored as
    # hashes like the order token's (the order token itself is never stored, so no e-mail can hold it).
    workflow_steps = UnicodeSetAttribute(null=True)
    link_token_hashes = UnicodeSetAttribute(null=True)
    payment_card = UnicodeAttribute(null=True)  # "Visa •••• 4242": what may be shown of the card
    payment_failure = UnicodeAttribute(null=True)  # why the payment failed, customer-readable
    refunded_cents = NumberAttribute(null=True)  # money given back (refund or void) when cancelled
    refund_reference = UnicodeAttribute(null=True)  # the gateway's refund id (or the voided payment's)
    cancel_reason = UnicodeAttribute(null=True)
    carrier = UnicodeAttribute(null=True)  # shipment, when SHIPPED
    tracking_number = UnicodeAttribute(null=True)
    tracking_url = UnicodeAttribute(null=True)
    order_date = UnicodeAttribute()  # business date (YYYY-MM-DD) in SHOP_TIMEZONE
    day_shard = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute(null=True)

    by_customer = OrdersByCustomer()
    by_day = OrdersByDay()
    by_email = OrdersByEmail()


class CartLine(MapAttribute[str, Any]):
    product_id = UnicodeAttribute()
    quantity = NumberAttribute()


class CartsByCustomer(GlobalSecondaryIndex["Cart"]):  # type: ignore[no-untyped-call]
    """A signed-in customer's carts, most recently changed first (`GET /me/cart` on any device)."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_id = UnicodeAttribute(hash_key=True)
    updated_at = UTCDateTimeAttribute(range_key=True)


class Cart(Model):
    """A cart: what a shopper means to buy, quantities only (prices are always read from the
    catalog). `cart_id` is unguessable (192 random bits): for a guest it is the cart's only key.
    Every change is conditioned on `version`; the item expires (TTL) 30 days after its last change.
    """

    class Meta(ModelMeta):
        ref = resources.CARTS
        table_name = table_name(ref)

    cart_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(null=True)
    lines = ListAttribute(of=CartLine, default=list)
    version = NumberAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)

    by_customer = CartsByCustomer()


class PromoCode(Model):
    """A promo code (stored upper case; codes are case-insensitive). `redemptions` counts orders
    that use it; checkout increments it in the order's own transaction, guarded by
    `redemptions < max_redemptions`, so the limit holds under any concurrency."""

    class Meta(ModelMeta):
        ref = resources.PROMO_CODES
        table_name = table_name(ref)

    code = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # PERCENT | FIXED
    value = NumberAttribute()  # percent (1-100) or cents
    min_subtotal_cents = NumberAttribute(default=0)
    starts_at = UTCDateTimeAttribute(null=True)
    ends_at = UTCDateTimeAttribute(null=True)
    max_redemptions = NumberAttribute(null=True)
    max_per_customer = NumberAttribute(null=True)
    active = BooleanAttribute(default=True)
    redemptions = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class PromoRedemption(Model):
    """How many live orders one customer has on one code. Customers are counted by e-mail address
    (`customer` = the lower-cased address), signed in or guest alike, so checking out as a guest
    does not reset a signed-in customer's count."""

    class Meta(ModelMeta):
        ref = resources.PROMO_REDEMPTIONS
        table_name = table_name(ref)

    code = UnicodeAttribute(hash_key=True)
    customer = UnicodeAttribute(range_key=True)
    redeemed = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute()


class DeliveryMethod(Model):
    """The admin's settings for one delivery method (`shop.delivery.METHODS` holds the defaults)."""

    class Meta(ModelMeta):
        ref = resources.DELIVERY_METHODS
        table_name = table_name(ref)

    method = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    cost_cents = NumberAttribute()
    eta_days = NumberAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute(null=True)
