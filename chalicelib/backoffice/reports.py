"""The daily sales report: a pure function of one business day's sales-ledger entries (plus the low
stock lines, the reorder suggestions and earlier days' net sales, passed in). No AWS.

Idempotent by construction: entries are first reduced to one per entry id (a redelivered event or
a record read twice counts once), every figure is a sum or count over that set, and every list has
a total order, so the same entries in any order give an equal report, and a rebuild after late
events gives the figures of the whole set. Entries of another business day are not this day's and
are left out. The report carries no clock time: two builds of the same inputs are equal.

Figures (cents are integer minor units of the shop's currency; see orders/ledger.py for the events):
- revenue: gross = sum(SOLD), discounts = sum(DISCOUNT), delivery = sum(DELIVERY),
  refunds = sum(REFUNDED), net = gross - discounts + delivery - refunds
- orders = orders with a SOLD record (confirmed that day); units = sum of SOLD quantities
- average order value = (gross - discounts) / orders, rounded half up (delivery excluded)
- top products by units sold (then gross, then id); sales by warehouse and by delivery method
- promo code use (DISCOUNT records), cancellations, refunds, payment failures with their reasons
- sales by hour of the day in the shop's time zone (on the night clocks go back, both 1 a.m. hours
  fall into hour 1), and the last 14 days' net sales ending with this day
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chalicelib.orders.ledger import LedgerEntry, LedgerEvent, without_duplicates

if TYPE_CHECKING:
    from chalicelib.backoffice.reorder import ReorderSuggestion

REPORT_VERSION = 1
TOP_PRODUCTS = 10
HISTORY_DAYS = 14


@dataclass(frozen=True)
class LowStockItem:
    product_id: str
    product_name: str
    warehouse_id: str
    available: int
    threshold: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "productName": self.product_name,
            "warehouseId": self.warehouse_id,
            "available": self.available,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class Revenue:
    gross_cents: int
    discount_cents: int
    delivery_cents: int
    refund_cents: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.discount_cents + self.delivery_cents - self.refund_cents


@dataclass(frozen=True)
class DailyReport:
    """One business day's report. `to_dict()` is the JSON document (stable field names)."""

    date: str
    timezone: str
    currency: str
    revenue: Revenue
    orders: int
    units: int
    average_order_value_cents: int
    top_products: list[dict[str, Any]]
    product_sales: list[dict[str, Any]]  # every (product, warehouse) sold: the reorder input of later days
    by_warehouse: list[dict[str, Any]]
    by_delivery_method: list[dict[str, Any]]
    promo_codes: list[dict[str, Any]]
    cancellations: dict[str, Any]
    refunds: dict[str, Any]
    payment_failures: dict[str, Any]
    sales_by_hour: list[dict[str, Any]]
    last_14_days: list[dict[str, Any]]
    low_stock: list[dict[str, Any]] = field(default_factory=list)
    reorder: list[dict[str, Any]] = field(default_factory=list)
    ledger_entries: int = 0
    fingerprint: str = ""  # digest of the entry ids the figures come from

    def to_dict(self) -> dict[str, Any]:
        return {
            "reportVersion": REPORT_VERSION,
            "date": self.date,
            "timezone": self.timezone,
            "currency": self.currency,
            "revenue": {
                "grossCents": self.revenue.gross_cents,
                "discountCents": self.revenue.discount_cents,
                "deliveryCents": self.revenue.delivery_cents,
                "refundCents": self.revenue.refund_cents,
                "netCents": self.revenue.net_cents,
            },
            "orders": self.orders,
            "units": self.units,
            "averageOrderValueCents": self.average_order_value_cents,
            "topProducts": self.top_products,
            "productSales": self.product_sales,
            "byWarehouse": self.by_warehouse,
            "byDeliveryMethod": self.by_delivery_method,
            "promoCodes": self.promo_codes,
            "cancellations": self.cancellations,
            "refunds": self.refunds,
            "paymentFailures": self.payment_failures,
            "salesByHour": self.sales_by_hour,
            "last14Days": self.last_14_days,
            "lowStock": self.low_stock,
            "reorder": self.reorder,
            "ledgerEntries": self.ledger_entries,
            "fingerprint": self.fingerprint,
        }


def build_daily_report(
    day: str,
    entries: Iterable[LedgerEntry],
    *,
    timezone: str,
    currency: str,
    low_stock: Iterable[LowStockItem] = (),
    reorder: Iterable[ReorderSuggestion] = (),
    earlier_net_cents: Mapping[str, int] | None = None,
) -> DailyReport:
    """The report of business day `day` (YYYY-MM-DD) in `timezone` (the shop's IANA zone).

    `earlier_net_cents` maps earlier days (YYYY-MM-DD) to their net sales, from their reports; a
    day without one shows `null` in the 14-day series (no report is not the same as no sales).
    Reorder suggestions are kept when they call for an order.
    """
    the_day = date.fromisoformat(day)
    zone = ZoneInfo(timezone)
    unique = [e for e in without_duplicates(entries) if e.business_date == day]
    lines: dict[LedgerEvent, list[LedgerEntry]] = defaultdict(list)
    order_level: dict[LedgerEvent, list[LedgerEntry]] = defaultdict(list)
    for e in unique:
        (order_level if e.line is None else lines)[e.event].append(e)
    sold = lines[LedgerEvent.SOLD]
    line_refunds = lines[LedgerEvent.REFUNDED]

    revenue = Revenue(
        gross_cents=sum(e.amount_cents for e in sold),
        discount_cents=sum(e.amount_cents for e in order_level[LedgerEvent.DISCOUNT]),
        delivery_cents=sum(e.amount_cents for e in order_level[LedgerEvent.DELIVERY]),
        refund_cents=sum(e.amount_cents for e in (*line_refunds, *order_level[LedgerEvent.REFUNDED])),
    )
    orders = len({e.order_id for e in sold})
    aov = _divide_half_up(revenue.gross_cents - revenue.discount_cents, orders)

    return DailyReport(
        date=day,
        timezone=timezone,
        currency=currency,
        revenue=revenue,
        orders=orders,
        units=sum(e.quantity for e in sold),
        average_order_value_cents=aov,
        top_products=_top_products(sold),
        product_sales=_product_sales(sold),
        by_warehouse=_by_warehouse(sold),
        by_delivery_method=_by_delivery_method(sold, order_level[LedgerEvent.DELIVERY]),
        promo_codes=_promo_codes(order_level[LedgerEvent.DISCOUNT]),
        cancellations=_cancellations(lines[LedgerEvent.CANCELLED], order_level[LedgerEvent.CANCELLED]),
        refunds={
            "orders": len({e.order_id for e in (*line_refunds, *order_level[LedgerEvent.REFUNDED])}),
            "units": sum(e.quantity for e in line_refunds),
            "amountCents": revenue.refund_cents,
        },
        payment_failures=_payment_failures(order_level[LedgerEvent.PAYMENT_FAILED]),
        sales_by_hour=_sales_by_hour(sold, zone),
        last_14_days=_history(the_day, revenue.net_cents, earlier_net_cents or {}),
        low_stock=[
            item.to_dict()
            for item in sorted(set(low_stock), key=lambda i: (i.available - i.threshold, i.product_id, i.warehouse_id))
        ],
        reorder=[s.to_dict() for s in _ordered_suggestions(reorder) if s.needs_order],
        ledger_entries=len(unique),
        fingerprint=hashlib.sha256("\n".join(e.entry_id for e in unique).encode()).hexdigest(),
    )


def _divide_half_up(numerator: int, denominator: int) -> int:
    if denominator == 0:
        return 0
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def _latest_name(entries: Sequence[LedgerEntry]) -> str:
    """The name a product had on its latest record (names are copied onto records as sold)."""
    latest = max(entries, key=lambda e: (e.occurred_at, e.entry_id))
    return latest.product_name or latest.product_id or ""


def _top_products(sold: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    by_product: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in sold:
        by_product[str(e.product_id)].append(e)
    rows: list[dict[str, Any]] = [
        {
            "productId": product_id,
            "productName": _latest_name(items),
            "units": sum(e.quantity for e in items),
            "grossCents": sum(e.amount_cents for e in items),
            "orders": len({e.order_id for e in items}),
        }
        for product_id, items in by_product.items()
    ]
    rows.sort(key=lambda r: (-r["units"], -r["grossCents"], r["productId"]))
    return rows[:TOP_PRODUCTS]


def _product_sales(sold: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[LedgerEntry]] = defaultdict(list)
    for e in sold:
        groups[(str(e.product_id), str(e.warehouse_id))].append(e)
    return [
        {
            "productId": product_id,
            "productName": _latest_name(items),
            "warehouseId": warehouse_id,
            "units": sum(e.quantity for e in items),
            "grossCents": sum(e.amount_cents for e in items),
        }
        for (product_id, warehouse_id), items in sorted(groups.items())
    ]


def _by_warehouse(sold: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    groups: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in sold:
        groups[str(e.warehouse_id)].append(e)
    rows = [
        {
            "warehouseId": warehouse_id,
            "orders": len({e.order_id for e in items}),
            "units": sum(e.quantity for e in items),
            "grossCents": sum(e.amount_cents for e in items),
        }
        for warehouse_id, items in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r["grossCents"], r["warehouseId"]))


def _by_delivery_method(sold: Sequence[LedgerEntry], delivery: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    methods: dict[str, dict[str, Any]] = {}

    def row(method: str | None) -> dict[str, Any]:
        name = method or "UNKNOWN"
        return methods.setdefault(name, {"deliveryMethod": name, "orders": set(), "grossCents": 0, "deliveryCents": 0})

    for e in sold:
        r = row(e.delivery_method)
        r["orders"].add(e.order_id)
        r["grossCents"] += e.amount_cents
    for e in delivery:
        row(e.delivery_method)["deliveryCents"] += e.amount_cents
    rows = [{**r, "orders": len(r["orders"])} for r in methods.values()]
    return sorted(rows, key=lambda r: (-r["orders"], r["deliveryMethod"]))


def _promo_codes(discounts: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    groups: dict[str, list[LedgerEntry]] = defaultdict(list)
    for e in discounts:
        groups[e.promo_code or "(none)"].append(e)
    rows = [
        {
            "promoCode": code,
            "orders": len({e.order_id for e in items}),
            "discountCents": sum(e.amount_cents for e in items),
        }
        for code, items in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r["orders"], r["promoCode"]))


def _reasons(entries: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    counts = Counter(e.reason or "unspecified" for e in entries)
    return [{"reason": reason, "orders": n} for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _cancellations(lines: Sequence[LedgerEntry], orders: Sequence[LedgerEntry]) -> dict[str, Any]:
    return {
        "orders": len(orders),
        "units": sum(e.quantity for e in lines),
        "valueCents": sum(e.amount_cents for e in orders),
        "reasons": _reasons(orders),
    }


def _payment_failures(failures: Sequence[LedgerEntry]) -> dict[str, Any]:
    return {
        "orders": len(failures),
        "amountCents": sum(e.amount_cents for e in failures),
        "reasons": _reasons(failures),
    }


def _sales_by_hour(sold: Sequence[LedgerEntry], zone: ZoneInfo) -> list[dict[str, Any]]:
    gross = [0] * 24
    orders: list[set[str]] = [set() for _ in range(24)]
    for e in sold:
        hour = e.occurred_at.astimezone(zone).hour
        gross[hour] += e.amount_cents
        orders[hour].add(e.order_id)
    return [{"hour": h, "orders": len(orders[h]), "grossCents": gross[h]} for h in range(24)]


def _history(the_day: date, net_today: int, earlier: Mapping[str, int]) -> list[dict[str, Any]]:
    days = [the_day - timedelta(days=n) for n in range(HISTORY_DAYS - 1, -1, -1)]
    return [
        {"date": d.isoformat(), "netCents": net_today if d == the_day else earlier.get(d.isoformat())} for d in days
    ]


def _ordered_suggestions(suggestions: Iterable[ReorderSuggestion]) -> list[ReorderSuggestion]:
    from chalicelib.backoffice.reorder import sort_key

    return sorted(suggestions, key=sort_key)
