"""The low-stock rule: pure, no AWS.

An alert fires when a stock level *crosses* below its threshold: it was not low before the write
and is low after it (`old >= threshold and new < threshold` for an unchanged threshold). It is
edge-triggered: a level that stays low does not alert again until it has recovered and crossed
once more.

A new stock line (an INSERT: no before) that is already below its threshold alerts once: a line
that starts low would otherwise never cross, and the shop would never hear that it is short. So
"no line" counts as "not low". A deleted line (REMOVE: no after) never alerts.
Stream records give the missing image as an empty mapping (Powertools), never None: callers pass
None for "no image" (`level_from_image` of an empty image is None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StockLevel:
    available: int
    threshold: int

    @property
    def is_low(self) -> bool:
        return self.available < self.threshold


def level_from_image(image: Mapping[str, Any] | None) -> StockLevel | None:
    """The level a stock item image describes (None for no image: an insert's before, a
    removal's after).

    Trusts the lesser of the stored `available` and `on_hand - reserved`, so an edit made outside
    the app that changes only one of them (say `on_hand` in the DynamoDB console) still counts.
    """
    if not image:
        return None
    on_hand = int(image.get("on_hand", 0))
    reserved = int(image.get("reserved", 0))
    available = int(image.get("available", on_hand - reserved))
    return StockLevel(available=min(available, on_hand - reserved), threshold=int(image.get("threshold", 0)))


def crossed_below(old: StockLevel | None, new: StockLevel | None) -> bool:
    """Whether a write took the level below its threshold. `old` None: the line is new (counts
    as not low); `new` None: the line was deleted (never an alert)."""
    if new is None:
        return False
    return (old is None or not old.is_low) and new.is_low
