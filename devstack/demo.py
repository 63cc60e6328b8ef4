"""Demo data for a fresh devstack: warehouses in three regions, a small catalog, stock, delivery
costs, a live promo code (`WELCOME10`) and a past order of the demo customer.

Written through the same `chalicelib` services the API uses (products with their opening stock,
movements for every unit, warehouses located by zip code, an order placed through checkout), so
the data looks exactly like data the app made itself. Only seeds an empty catalog, so it is safe
to run again.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("devstack.demo")

ACTOR = "system:demo"

# (id, name, zip code): coordinates come from the zip code, as for any warehouse.
WAREHOUSES = (
    ("main", "Main warehouse (New York)", "10001"),
    ("west", "West coast depot (Los Angeles)", "90021"),
    ("central", "Central depot (Chicago)", "60607"),
)

# Delivery costs (cents); ETA 3 days.
DELIVERY_COSTS = {"SELF_SERVICE": 0, "CURBSIDE": 2900, "IN_DOOR": 5900}

PROMO_CODES = (
    {"code": "WELCOME10", "kind": "PERCENT", "value": 10, "maxPerCustomer": 1},
    {"code": "TAKE5", "kind": "FIXED", "value": 500, "minSubtotalCents": 5000, "maxRedemptions": 100},
)

DEMO_CUSTOMER = "customer@example.com"

# product, plus the extra stock held in the regional depots
PRODUCTS: tuple[tuple[dict[str, Any], dict[str, int]], ...] = (
    (
        {
            "productId": "493.857.51",
            "productName": "Oak bookshelf",
            "priceCents": 14900,
            "quantity": 24,
            "threshold": 5,
            "description": "Five shelves of solid oak, 80 x 28 x 202 cm.",
        },
        {"west": 10, "central": 8},
    ),
    (
        {
            "productId": "204.116.73",
            "productName": "Desk lamp",
            "priceCents": 2499,
            "quantity": 60,
            "threshold": 10,
            "description": "Adjustable arm, warm white LED, 470 lm.",
        },
        {"west": 25},
    ),
    (
        {
            "productId": "803.375.42",
            "productName": "Armchair",
            "priceCents": 27900,
            "quantity": 6,
            "threshold": 5,
            "description": "Linen cover, beech legs. Only a few left: one order more and an alert goes out.",
        },
        {},
    ),
    (
        {
            "productId": "591.022.18",
            "productName": "Storage box, set of 3",
            "priceCents": 1299,
            "quantity": 140,
            "threshold": 20,
            "description": "Recycled cardboard boxes with lids, three sizes.",
        },
        {"central": 40},
    ),
    (
        {
            "productId": "302.645.90",
            "productName": "Wall mirror",
            "priceCents": 5900,
            "quantity": 15,
            "threshold": 4,
            "description": "Round, 60 cm, brushed steel frame.",
        },
        {"west": 6, "central": 5},
    ),
    (
        {
            "productId": "692.330.05",
            "productName": "Cotton rug",
            "priceCents": 8900,
            "quantity": 12,
            "threshold": 3,
            "description": "Hand-woven, 133 x 195 cm, machine washable.",
        },
        {},
    ),
    (
        {
            "productId": "104.981.27",
            "productName": "Dining chair",
            "priceCents": 6900,
            "quantity": 48,
            "threshold": 12,
            "description": "Stackable, solid birch, clear lacquer.",
        },
        {"central": 20},
    ),
    (
        {
            "productId": "905.217.63",
            "productName": "Plant pot",
            "priceCents": 799,
            "quantity": 9,
            "threshold": 8,
            "description": "Glazed stoneware, 15 cm, with saucer.",
        },
        {"west": 12},
    ),
)


def seed() -> bool:
    """Seed an empty catalog; returns whether anything was written."""
    from chalicelib.inventory import catalog, stock, warehouses
    from chalicelib.inventory.models import Product, Warehouse

    if next(iter(Product.scan(limit=1)), None) is not None:
        log.info("catalog not empty: no demo data")
        return False
    for warehouse_id, name, zip_code in WAREHOUSES:
        if next(iter(Warehouse.query(warehouse_id)), None) is None:
            warehouses.create_warehouse({"warehouseId": warehouse_id, "name": name, "zip": zip_code}, actor=ACTOR)
    for product, regional in PRODUCTS:
        catalog.create_product(dict(product), actor=ACTOR)
        for warehouse_id, quantity in regional.items():
            stock.set_line(
                str(product["productId"]), warehouse_id, {"onHand": quantity, "reason": "opening stock"}, actor=ACTOR
            )
    _shop()
    log.info("demo data: %d warehouses, %d products, promo codes, a past order", len(WAREHOUSES), len(PRODUCTS))
    return True


def _shop() -> None:
    """Delivery costs, the promo codes, and the demo customer's past order (placed through checkout)."""
    from chalicelib.core.auth import Principal
    from chalicelib.shop import delivery, promos
    from chalicelib.shop.checkout import CheckoutRequest, place

    for method, cost in DELIVERY_COSTS.items():
        delivery.set_method(method, {"costCents": cost}, actor=ACTOR)
    for code in PROMO_CODES:
        promos.create_promo_code(dict(code), actor=ACTOR)
    sub = _customer_sub(DEMO_CUSTOMER)
    if sub is None:
        log.info("no demo customer in the user pool: no past order")
        return
    principal = Principal(subject=sub, email=DEMO_CUSTOMER, groups=())
    address = {
        "name": "Demo Customer",
        "line1": "350 Fifth Avenue",
        "city": "New York",
        "zip": "10118",
        "country": "US",
    }
    place(
        CheckoutRequest(
            items=(("204.116.73", 1), ("591.022.18", 2)),
            zip_code="10118",
            delivery_method="CURBSIDE",
            email=DEMO_CUSTOMER,
            address=address,
            payment_token="tok_visa",
        ),
        principal,
        idempotency_key="demo-past-order",
        actor=f"user:{DEMO_CUSTOMER}",
    )


def _customer_sub(email: str) -> str | None:
    import os

    import boto3

    pool_id = os.environ.get("COGNITO_USER_POOL_ID")
    if not pool_id:
        return None
    idp = boto3.client("cognito-idp", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    try:
        user = idp.admin_get_user(UserPoolId=pool_id, Username=email)
    except idp.exceptions.UserNotFoundException:
        return None
    return next((a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub"), None)
