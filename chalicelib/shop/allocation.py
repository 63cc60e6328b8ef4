"""Which warehouse serves each line of an order. Pure: no AWS, no I/O.

The rule (issue 9 §2), in order of preference:
1. the nearest active warehouse that can fill the *whole* order (one parcel);
2. otherwise split by line: each line from the nearest active warehouse that can fill that line;
3. otherwise refuse, naming each line no single warehouse can fill and what is available of it in
   total across the active warehouses.
"Nearest" is the great-circle distance between the zip centroids of the delivery address and the
warehouse; ties (and warehouses without coordinates, ranked last) fall back to the warehouse id, so
the plan is deterministic whatever order the inputs come in. Lines are never split across
warehouses: a line ships whole from one place. Without a delivery zip (`POST /place-order`,
self-service pickup) warehouses rank by id.

The plan is advisory: the checkout transaction re-checks every line (`available >= q`) when it
commits, and re-plans from fresh reads if a line was taken in between.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chalicelib.inventory.geo import Point, distance_km


@dataclass(frozen=True)
class Site:
    warehouse_id: str
    point: Point | None
    active: bool = True


@dataclass(frozen=True)
class Shortage:
    product_id: str
    requested: int
    available: int  # in total across the active warehouses


@dataclass(frozen=True)
class Plan:
    """product id -> warehouse id; `split` when the order ships from more than one warehouse."""

    warehouse_for: dict[str, str]
    split: bool


@dataclass(frozen=True)
class Refusal:
    shortages: tuple[Shortage, ...]


def rank(sites: Sequence[Site], origin: Point | None) -> list[Site]:
    """Active sites, nearest first (by id when there is no origin or no coordinates)."""

    def key(site: Site) -> tuple[int, float, str]:
        if origin is None or site.point is None:
            return (1 if origin is not None else 0, 0.0, site.warehouse_id)
        return (0, distance_km(origin, site.point), site.warehouse_id)

    return sorted((s for s in sites if s.active), key=key)


def allocate(
    lines: Sequence[tuple[str, int]],
    sites: Sequence[Site],
    available: Mapping[tuple[str, str], int],
    origin: Point | None,
) -> Plan | Refusal:
    """Plan an order of `lines` (product id, quantity; product ids unique, quantities >= 1).

    `available[(product_id, warehouse_id)]` is what can be sold there now (missing: none).
    """
    ranked = rank(sites, origin)

    def fills(site: Site, product_id: str, quantity: int) -> bool:
        return available.get((product_id, site.warehouse_id), 0) >= quantity

    whole = next((s for s in ranked if all(fills(s, p, q) for p, q in lines)), None)
    if whole is not None:
        return Plan({p: whole.warehouse_id for p, _ in lines}, split=False)

    warehouse_for: dict[str, str] = {}
    shortages: list[Shortage] = []
    for product_id, quantity in lines:
        site = next((s for s in ranked if fills(s, product_id, quantity)), None)
        if site is None:
            total = sum(max(0, available.get((product_id, s.warehouse_id), 0)) for s in ranked)
            shortages.append(Shortage(product_id, quantity, total))
        else:
            warehouse_for[product_id] = site.warehouse_id
    if shortages:
        return Refusal(tuple(shortages))
    return Plan(warehouse_for, split=len(set(warehouse_for.values())) > 1)
