"""Reorder suggestions (issue 11 §2): average demand, days of cover, quantity to order."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from chalicelib.backoffice.reorder import (
    DailyUnits,
    ReorderPolicy,
    StockPosition,
    suggest_reorders,
)
from chalicelib.core.config import reset_settings

AS_OF = date(2025, 3, 14)
POLICY = ReorderPolicy(window_days=28, target_cover_days=14, default_lead_time_days=7)


def spread(product: str, warehouse: str, total: int, days: int = 28, as_of: date = AS_OF) -> list[DailyUnits]:
    """`total` units sold over the `days` days ending `as_of`, as daily records."""
    per_day, extra = divmod(total, days)
    return [
        DailyUnits(as_of - timedelta(days=n), product, warehouse, per_day + (1 if n < extra else 0))
        for n in range(days)
    ]


def one(available: int, sales: list[DailyUnits], policy: ReorderPolicy = POLICY, **position: object):  # type: ignore[no-untyped-def]
    (suggestion,) = suggest_reorders(
        [StockPosition("p1", "main", available, "Lamp", **position)],  # type: ignore[arg-type]
        sales,
        as_of=AS_OF,
        policy=policy,
    )
    return suggestion


def test_urgent_when_stock_runs_out_before_a_delivery_could_arrive() -> None:
    s = one(10, spread("p1", "main", 56))  # 2 a day
    assert s.average_daily_units == 2
    assert s.days_of_cover == 5
    assert s.status == "urgent"
    # Out of stock after 5 days; the 4 days until the delivery arrives are lost sales, so the order
    # only needs to cover the target: 2 x 14.
    assert s.suggested_quantity == 28


def test_reorder_tops_up_to_the_target_cover_after_the_lead_time() -> None:
    s = one(30, spread("p1", "main", 56))
    assert (s.days_of_cover, s.status) == (15, "reorder")
    # 30 - 2 x 7 = 16 left when the delivery arrives; 2 x 14 = 28 wanted then.
    assert s.suggested_quantity == 12


def test_enough_cover_needs_no_order() -> None:
    s = one(50, spread("p1", "main", 56))
    assert (s.days_of_cover, s.status, s.suggested_quantity) == (25, "ok", 0)
    assert not s.needs_order
    assert one(42, spread("p1", "main", 56)).status == "ok"  # exactly lead + target


def test_fractional_demand_is_exact_and_rounded_up() -> None:
    s = one(3, spread("p1", "main", 10))
    assert s.average_daily_units == Fraction(10, 28)
    assert s.days_of_cover == Fraction(42, 5)  # 8.4 days
    assert s.status == "reorder"
    # left at arrival 3 - 2.5 = 0.5; wanted 5; ceil(4.5) = 5
    assert s.suggested_quantity == 5
    assert s.to_dict()["averageDailyUnits"] == 0.36 and s.to_dict()["daysOfCover"] == 8.4


def test_no_sales_gives_no_quantity_and_infinite_cover() -> None:
    s = one(20, [])
    assert (s.status, s.days_of_cover, s.suggested_quantity, s.average_daily_units) == ("no_sales", None, 0, 0)
    assert s.to_dict()["daysOfCover"] is None


def test_zero_stock_with_demand_is_urgent() -> None:
    s = one(0, spread("p1", "main", 28))
    assert (s.days_of_cover, s.status, s.suggested_quantity) == (0, "urgent", 14)


def test_zero_stock_without_sales_has_no_basis_for_a_quantity() -> None:
    s = one(0, [])
    assert (s.status, s.suggested_quantity) == ("no_sales", 0)


def test_negative_available_counts_as_zero() -> None:
    assert one(-3, spread("p1", "main", 28)).available == 0


def test_a_new_product_is_averaged_over_the_days_it_existed() -> None:
    # Stocked 5 days ago (as_of included), 10 units sold since: 2 a day, not 10 / 28.
    s = one(6, spread("p1", "main", 10, days=5), first_stocked=AS_OF - timedelta(days=4))
    assert (s.window_days, s.average_daily_units, s.days_of_cover) == (5, 2, 3)
    assert s.suggested_quantity == 28
    # Stocked on the day itself: one day, never zero.
    assert one(6, [DailyUnits(AS_OF, "p1", "main", 3)], first_stocked=AS_OF).window_days == 1
    assert one(6, [], first_stocked=AS_OF + timedelta(days=1)).window_days == 1
    # Older than the window: the whole window.
    assert one(6, [], first_stocked=AS_OF - timedelta(days=400)).window_days == 28


def test_only_the_window_counts() -> None:
    inside = [DailyUnits(AS_OF, "p1", "main", 7), DailyUnits(AS_OF - timedelta(days=27), "p1", "main", 7)]
    outside = [
        DailyUnits(AS_OF - timedelta(days=28), "p1", "main", 100),
        DailyUnits(AS_OF + timedelta(days=1), "p1", "main", 100),
    ]
    s = one(100, inside + outside)
    assert s.units_sold == 14 and s.average_daily_units == Fraction(1, 2)


def test_sales_are_per_product_and_warehouse() -> None:
    positions = [StockPosition("p1", "east", 10), StockPosition("p1", "west", 10), StockPosition("p2", "east", 10)]
    sales = spread("p1", "east", 56) + spread("p2", "west", 999)  # p2/west has no stock line: ignored
    by_key = {(s.product_id, s.warehouse_id): s for s in suggest_reorders(positions, sales, as_of=AS_OF, policy=POLICY)}
    assert by_key[("p1", "east")].units_sold == 56
    assert by_key[("p1", "west")].units_sold == 0
    assert by_key[("p2", "east")].units_sold == 0


def test_per_product_lead_time_overrides_the_default() -> None:
    policy = ReorderPolicy(window_days=28, target_cover_days=14, default_lead_time_days=7, lead_time_days={"p1": 2})
    s = one(10, spread("p1", "main", 56), policy=policy)
    assert s.lead_time_days == 2 and s.status == "reorder"
    assert s.suggested_quantity == 28 - (10 - 4)


def test_most_urgent_first() -> None:
    positions = [
        StockPosition("ok", "main", 500),
        StockPosition("none", "main", 5),
        StockPosition("soon", "main", 30),
        StockPosition("now", "main", 1),
        StockPosition("later", "main", 35),
    ]
    sales = [u for p in ("ok", "soon", "now", "later") for u in spread(p, "main", 56)]
    order = [s.product_id for s in suggest_reorders(positions, sales, as_of=AS_OF, policy=POLICY)]
    assert order == ["now", "soon", "later", "ok", "none"]


def test_policy_is_validated_and_read_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="window_days"):
        ReorderPolicy(window_days=0)
    with pytest.raises(ValueError, match="lead time of p1"):
        ReorderPolicy(lead_time_days={"p1": -1})
    monkeypatch.setenv("REORDER_WINDOW_DAYS", "7")
    monkeypatch.setenv("REORDER_TARGET_COVER_DAYS", "30")
    monkeypatch.setenv("REORDER_LEAD_TIME_DAYS", "3")
    reset_settings()
    try:
        policy = ReorderPolicy.from_settings({"p9": 10})
        assert (policy.window_days, policy.target_cover_days, policy.lead_time("p1"), policy.lead_time("p9")) == (
            7,
            30,
            3,
            10,
        )
        monkeypatch.setenv("REORDER_WINDOW_DAYS", "a week")
        reset_settings()
        with pytest.raises(ValueError, match="REORDER_WINDOW_DAYS must be a whole number"):
            ReorderPolicy.from_settings()
        monkeypatch.setenv("REORDER_WINDOW_DAYS", "0")
        reset_settings()
        with pytest.raises(ValueError, match="REORDER_WINDOW_DAYS must be at least 1"):
            ReorderPolicy.from_settings()
    finally:
        monkeypatch.undo()
        reset_settings()
