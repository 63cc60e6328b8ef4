"""Demo data for a fresh devstack: warehouses in three regions, a small catalog, stock.

Written through the same `chalicelib` services the API uses (products with their opening stock,
movements for every unit), so the data looks exactly like data the app made itself. Only seeds
an empty catalog, so it is safe to run again.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("devstack.demo")

ACTOR = "system:demo"

# (id, name, zip code, latitude, longitude)
WAREHOUSES = (
    ("main", "Main warehouse", "10001", 40.7506, -73.9972),
    ("west", "West coast depot", "90021", 34.0290, -118.2383),
    ("central", "Central depot", "60607", 41.8746, -87.6512),
)

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
    from chalicelib.core.db import utcnow
    from chalicelib.inventory import catalog, stock
    from chalicelib.inventory.models import Product, Warehouse

    if next(iter(Product.scan(limit=1)), None) is not None:
        log.info("catalog not empty: no demo data")
        return False
    now = utcnow()
    for warehouse_id, name, zip_code, latitude, longitude in WAREHOUSES:
        Warehouse(
            warehouse_id, name=name, zip_code=zip_code, latitude=latitude, longitude=longitude, created_at=now
        ).save()
    for product, regional in PRODUCTS:
        catalog.create_product(dict(product), actor=ACTOR)
        for warehouse_id, quantity in regional.items():
            stock.set_line(
                str(product["productId"]), warehouse_id, {"onHand": quantity, "reason": "opening stock"}, actor=ACTOR
            )
    log.info("demo data: %d warehouses, %d products", len(WAREHOUSES), len(PRODUCTS))
    return True
