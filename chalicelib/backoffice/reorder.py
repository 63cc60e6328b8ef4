"""Reorder suggestions: how long each stock line lasts and how much to order. Pure, no AWS.

For each (product, warehouse):

    average daily units  = units sold over the window / days in the window
                           (a line stocked for fewer days than the window is averaged over the
                           days it existed, so a new product's demand is not diluted)
    days of cover        = available / average daily units          (none without sales)
    left at arrival      = max(0, available - average x lead time)   (sales missed while out of
                           stock are lost, not back-ordered: the shop refuses orders it cannot fill)
    suggested quantity   = ceil(average x target cover - left at arrival), at least 0

so that, when an order placed today arrives after the lead time, the line holds `target cover` days
of demand. Status: `urgent` when the cover is shorter than the lead time (the line runs out before
a delivery could arrive), `reorder` when it is shorter than lead time + target cover, `ok` otherwise,
`no_sales` when nothing sold in the window (no basis for a quantity). Arithmetic is exact
(fractions); figures are rounded only for display.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

URGENT, REORDER, OK, NO_SALES = "urgent", "reorder", "ok", "no_sales"
_STATUS_RANK = {URGENT: 0, REORDER: 1, OK: 2, NO_SALES: 3}


@dataclass(frozen=True)
class StockPosition:
    """A stock line today."""

    product_id: str
    warehouse_id: str
    available: int
    product_name: str = ""
    first_stocked: date | None = None  # business date the line appeared; None: long enough ago


@dataclass(frozen=True)
class DailyUnits:
    """Units of a product sold from a warehouse on one business day (from the daily reports or the
    sales ledger's SOLD records)."""

    day: date
    product_id: str
    warehouse_id: str
    units: int


@dataclass(frozen=True)
class ReorderPolicy:
    window_days: int = 28
    target_cover_days: int = 14
    default_lead_time_days: int = 7
    lead_time_days: Mapping[str, int] = field(default_factory=dict)  # per product id

    def __post_init__(self) -> None:
        for name in ("window_days", "target_cover_days", "default_lead_time_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for product_id, days in self.lead_time_days.items():
            if days < 0:
                raise ValueError(f"lead time of {product_id} must not be negative")

    @classmethod
    def from_settings(cls, lead_time_days: Mapping[str, int] | None = None) -> ReorderPolicy:
        from chalicelib.core.config import get_settings

        settings = get_settings()
        return cls(
            window_days=settings.reorder_window_days,
            target_cover_days=settings.reorder_target_cover_days,
            default_lead_time_days=settings.reorder_lead_time_days,
            lead_time_days=dict(lead_time_days or {}),
        )

    def lead_time(self, product_id: str) -> int:
        return self.lead_time_days.get(product_id, self.default_lead_time_days)


@dataclass(frozen=True)
class ReorderSuggestion:
    product_id: str
    product_name: str
    warehouse_id: str
    available: int
    units_sold: int  # in the window
    window_days: int  # days the average is taken over (shorter for a new line)
    average_daily_units: Fraction
    days_of_cover: Fraction | None  # None: nothing sold, the stock lasts indefinitely
    lead_time_days: int
    target_cover_days: int
    suggested_quantity: int
    status: str

    @property
    def needs_order(self) -> bool:
        return self.suggested_quantity > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "productName": self.product_name,
            "warehouseId": self.warehouse_id,
            "available": self.available,
            "unitsSold": self.units_sold,
            "windowDays": self.window_days,
            "averageDailyUnits": round(float(self.average_daily_units), 2),
            "daysOfCover": None if self.days_of_cover is None else round(float(self.days_of_cover), 1),
            "leadTimeDays": self.lead_time_days,
            "targetCoverDays": self.target_cover_days,
            "suggestedQuantity": self.suggested_quantity,
            "status": self.status,
        }


def suggest_reorders(
    positions: Iterable[StockPosition],
    sales: Iterable[DailyUnits],
    *,
    as_of: date,
    policy: ReorderPolicy,
) -> list[ReorderSuggestion]:
    """One suggestion per stock line, most urgent first (then shortest cover, product, warehouse).

    `as_of` is the last whole day of sales counted: the window is the `window_days` days ending
    with it. Sales of lines not in `positions` (a removed stock line) are ignored.
    """
    first_day = as_of - timedelta(days=policy.window_days - 1)
    sold: dict[tuple[str, str], dict[date, int]] = {}
    for sale in sales:
        if first_day <= sale.day <= as_of:
            per_day = sold.setdefault((sale.product_id, sale.warehouse_id), {})
            per_day[sale.day] = per_day.get(sale.day, 0) + sale.units
    suggestions = [_suggest(p, sold.get((p.product_id, p.warehouse_id), {}), as_of, policy) for p in positions]
    return sorted(suggestions, key=sort_key)


def _suggest(
    position: StockPosition, sold: Mapping[date, int], as_of: date, policy: ReorderPolicy
) -> ReorderSuggestion:
    window = policy.window_days
    if position.first_stocked is not None:
        window = max(1, min(window, (as_of - position.first_stocked).days + 1))
    start = as_of - timedelta(days=window - 1)
    units = sum(n for day, n in sold.items() if day >= start)
    available = max(0, position.available)
    lead = policy.lead_time(position.product_id)
    target = policy.target_cover_days
    average = Fraction(max(0, units), window)

    if average == 0:
        cover, quantity, status = None, 0, NO_SALES
    else:
        cover = available / average
        left_at_arrival = max(Fraction(0), available - average * lead)
        quantity = max(0, math.ceil(average * target - left_at_arrival))
        status = URGENT if cover < lead else REORDER if cover < lead + target else OK
    return ReorderSuggestion(
        product_id=position.product_id,
        product_name=position.product_name or position.product_id,
        warehouse_id=position.warehouse_id,
        available=available,
        units_sold=units,
        window_days=window,
        average_daily_units=average,
        days_of_cover=cover,
        lead_time_days=lead,
        target_cover_days=target,
        suggested_quantity=quantity,
        status=status,
    )


def sort_key(s: ReorderSuggestion) -> tuple[int, Fraction, str, str]:
    cover = s.days_of_cover if s.days_of_cover is not None else Fraction(10**9)
    return (_STATUS_RANK[s.status], cover, s.product_id, s.warehouse_id)
