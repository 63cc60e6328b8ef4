"""The low-stock rule: pure, no AWS.

An alert fires when a stock level *crosses* below its threshold: it was not low before the write
and is low after it (`old >= threshold and new < threshold` for an unchanged threshold). It is
edge-triggered: a level that stays low does not alert again until it has recovered and crossed
once more. Inserts and deletes never alert: there is no crossing without a before and an after.
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


def level_from_image(image: Mapping[str, Any]) -> StockLevel:
    """The level a stock item image describes.

    Trusts the lesser of the stored `available` and `on_hand - reserved`, so an edit made outside
    the app that changes only one of them (say `on_hand` in the DynamoDB console) still counts.
    """
    on_hand = int(image.get("on_hand", 0))
    reserved = int(image.get("reserved", 0))
    available = int(image.get("available", on_hand - reserved))
    return StockLevel(available=min(available, on_hand - reserved), threshold=int(image.get("threshold", 0)))


def crossed_below(old: StockLevel | None, new: StockLevel | None) -> bool:
    if old is None or new is None:
        return False
    return not old.is_low and new.is_low
