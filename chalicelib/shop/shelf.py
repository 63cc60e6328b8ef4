"""What the shop can sell right now: the catalog entries, the warehouses and the available stock of
a set of products, read in a constant number of DynamoDB requests (one Scan of the small
warehouses table, one BatchGetItem of products, one of stock lines), whatever the number of lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.shop.allocation import Site


@dataclass(frozen=True)
class Shelf:
    products: dict[str, Any]  # product id -> Product (only those that exist)
    sites: list[Site]
    available: dict[tuple[str, str], int]  # (product id, warehouse id) -> available, active sites only
    names: dict[str, str]  # warehouse id -> name

    def total_available(self, product_id: str) -> int:
        return sum(max(0, self.available.get((product_id, s.warehouse_id), 0)) for s in self.sites if s.active)


def read_shelf(product_ids: Iterable[str], *, consistent: bool = False) -> Shelf:
    from chalicelib.inventory.geo import Point
    from chalicelib.inventory.models import Product
    from chalicelib.inventory.warehouses import all_warehouses, availability

    ids = sorted(set(product_ids))
    products = {p.product_id: p for p in Product.batch_get(ids, consistent_read=consistent)} if ids else {}
    warehouses = all_warehouses()
    sites = [
        Site(
            w.warehouse_id,
            Point(float(w.latitude), float(w.longitude))
            if w.latitude is not None and w.longitude is not None
            else None,
            w.is_active,
        )
        for w in warehouses
    ]
    active = [s.warehouse_id for s in sites if s.active]
    return Shelf(
        products,
        sites,
        availability(list(products), active, consistent=consistent),
        {w.warehouse_id: w.name for w in warehouses},
    )
