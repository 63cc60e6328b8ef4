from __future__ import annotations

import pytest

from chalicelib.inventory.thresholds import StockLevel, crossed_below, level_from_image


@pytest.mark.parametrize(
    ("old", "new", "fires"),
    [
        ((10, 5), (4, 5), True),  # the seed's rule: old >= threshold and new < threshold
        ((5, 5), (4, 5), True),  # exactly at the threshold is not low yet
        ((5, 5), (5, 5), False),
        ((4, 5), (3, 5), False),  # already low: edge-triggered, no second alert
        ((4, 5), (6, 5), False),  # recovering is not a crossing
        ((10, 5), (10, 20), True),  # a raised threshold makes the level low
        ((3, 5), (3, 2), False),
        ((0, 0), (0, 0), False),  # threshold 0 never alerts
    ],
)
def test_crossing(old: tuple[int, int], new: tuple[int, int], fires: bool) -> None:
    assert crossed_below(StockLevel(*old), StockLevel(*new)) is fires


def test_a_new_line_that_starts_low_alerts_once_and_a_removal_never() -> None:
    # INSERT (no before): "no line" counts as not low, so a line born below its threshold alerts.
    assert crossed_below(None, StockLevel(2, 5))
    assert not crossed_below(None, StockLevel(5, 5))
    assert not crossed_below(None, StockLevel(0, 0))
    # REMOVE (no after): never.
    assert not crossed_below(StockLevel(9, 5), None)
    assert not crossed_below(StockLevel(1, 5), None)


def test_an_empty_image_is_no_image() -> None:
    # Powertools gives a missing OldImage as {} (not None): it must read as "no line".
    assert level_from_image({}) is None
    assert level_from_image(None) is None


def test_level_trusts_the_lesser_of_available_and_on_hand_minus_reserved() -> None:
    # An edit outside the app that lowered only on_hand still counts.
    assert level_from_image({"on_hand": 3, "reserved": 0, "available": 10, "threshold": 5}) == StockLevel(3, 5)
    # ...and one that lowered only available.
    assert level_from_image({"on_hand": 10, "reserved": 2, "available": 1, "threshold": 5}) == StockLevel(1, 5)
    assert level_from_image({"on_hand": 10, "reserved": 2, "available": 8, "threshold": 5}) == StockLevel(8, 5)
