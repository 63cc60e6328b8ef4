"""The daily sales report as a service (issue 11 §1-2): build a business day's report from the sales
ledger, store its files, index it, tell the admins once; read reports back; reorder suggestions now.

    ledger (the day, 8 Queries) ─┐
    stock lines + products ──────┼─▶ reports.build_daily_report (pure) ─▶ report_render (JSON, CSV,
    index (the 27 days before) ──┘                                        PDF, PNG charts)
                                                                           │
          reports bucket  daily/<date>/<build id>/{report.json, .csv, .pdf, <chart>.png}
          reports table   one item per day: the build's prefix, headline figures, notification state
                                                                           │ scheduled run only, once
                                          SES raw e-mail to the admins (charts inline, PDF) + SNS summary

When: the schedule fires every hour (EventBridge cron is UTC, the shop's day is not); each run works
out the shop's previous business day from the event's time, and builds and sends it unless that day
was already sent. So it acts once, in the first run after midnight in the shop's time zone, whatever
its offset and daylight saving time; a failed run is retried by the next hour's.

Idempotent per day: the figures are a pure function of the day's ledger records (deduplicated), the
files of every build go under their own prefix and the index names the newest build only, and the
e-mail and SNS summary are each sent once (a lease claimed by a conditional write, then a mark per
step). A rebuild (`POST /reports/daily/{date}`, or a run after late events) replaces the day's files
and figures and sends nothing. The stock sections (items below threshold, reorder suggestions) are
as of the build: they describe the stock, which has no history.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.core import resources
from chalicelib.core.config import get_settings
from chalicelib.core.errors import NotFound, ValidationError
from chalicelib.core.observability import logger

if TYPE_CHECKING:
    from chalicelib.backoffice.models import ReportRecord
    from chalicelib.backoffice.reorder import DailyUnits, ReorderSuggestion, StockPosition
    from chalicelib.backoffice.reports import LowStockItem
    from chalicelib.orders.ledger import LedgerEntry

FIRST_DAY = date(2000, 1, 1)  # older dates are typing mistakes, not a shop's history
NOTIFY_LEASE = timedelta(minutes=10)  # a run that claimed the notification and died frees it after this
PRODUCT_SALES_MAX_BYTES = 300_000  # compressed; DynamoDB items hold 400 KB
LINK_SECONDS = 900
SYSTEM_ACTOR = "system:daily-report"

# format -> (file name, content type); the chart keys are report_render's.
FILES: dict[str, tuple[str, str]] = {
    "json": ("report.json", "application/json"),
    "csv": ("report.csv", "text/csv; charset=utf-8"),
    "pdf": ("report.pdf", "application/pdf"),
    "sales-by-hour": ("sales-by-hour.png", "image/png"),
    "last-14-days": ("last-14-days.png", "image/png"),
}
DOWNLOADS = ("csv", "pdf")  # what `GET /reports/daily/{date}?format=` redirects to


# --- days ------------------------------------------------------------------------------------------


def shop_today(now: datetime) -> date:
    from chalicelib.core.db import business_date

    return date.fromisoformat(business_date(now))


def day_to_report(fired_at: datetime) -> date:
    """The business day a scheduled run at `fired_at` reports on: the shop's previous day."""
    return shop_today(fired_at) - timedelta(days=1)


def parse_day(value: str, field: str = "date") -> date:
    """A report's date from a path: `YYYY-MM-DD` from 2000 on (400 naming the field otherwise)."""
    if not isinstance(value, str) or len(value) != 10:
        raise ValidationError(field, "must be a date like 2025-01-31")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, "must be a date like 2025-01-31") from None
    if day < FIRST_DAY:
        raise ValidationError(field, f"must be {FIRST_DAY.isoformat()} or later")
    return day


def complete_day(value: str, now: datetime) -> date:
    """A day that is over in the shop's time zone: the only days a report is built for."""
    day = parse_day(value)
    today = shop_today(now)
    if day >= today:
        zone = get_settings().shop_timezone
        raise ValidationError("date", f"must be a day that is over: it is {today.isoformat()} in {zone}")
    return day


# --- what a report is built from -------------------------------------------------------------------


@dataclass(frozen=True)
class StockView:
    """The stock as reorder suggestions and the low-stock list see it (read once per build)."""

    positions: list[StockPosition]
    low_stock: list[LowStockItem]
    lead_times: dict[str, int]


def read_stock() -> StockView:
    """Every stock line with its product's name, lead time and age. Two strongly consistent Scans:
    O(catalog), fine once a day and for an admin's page; the catalog of a small shop is small."""
    from chalicelib.backoffice.reorder import StockPosition
    from chalicelib.backoffice.reports import LowStockItem
    from chalicelib.core.db import business_date
    from chalicelib.inventory.models import Product, Stock

    products = {p.product_id: p for p in Product.scan(consistent_read=True)}
    positions: list[StockPosition] = []
    low: list[LowStockItem] = []
    for line in Stock.scan(consistent_read=True):
        product = products.get(line.product_id)
        if product is None:  # a line whose product is being deleted
            continue
        created = line.created_at or product.created_at
        positions.append(
            StockPosition(
                product_id=line.product_id,
                warehouse_id=line.warehouse_id,
                available=int(line.available),
                product_name=product.name,
                first_stocked=date.fromisoformat(business_date(created)) if created else None,
            )
        )
        if int(line.available) < int(line.threshold):
            available, threshold = int(line.available), int(line.threshold)
            low.append(LowStockItem(line.product_id, product.name, line.warehouse_id, available, threshold))
    lead_times = {p.product_id: int(p.lead_time_days) for p in products.values() if p.lead_time_days is not None}
    return StockView(positions, low, lead_times)


def _pack_sales(product_sales: Iterable[Mapping[str, Any]]) -> bytes | None:
    rows = [[s["productId"], s["warehouseId"], int(s["units"])] for s in product_sales]
    packed = zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 9)
    return packed if len(packed) <= PRODUCT_SALES_MAX_BYTES else None


def _unpack_sales(day: date, packed: bytes) -> list[DailyUnits]:
    from chalicelib.backoffice.reorder import DailyUnits

    return [DailyUnits(day, str(p), str(w), int(n)) for p, w, n in json.loads(zlib.decompress(packed))]


def sold_units(day: date, entries: Iterable[LedgerEntry]) -> list[DailyUnits]:
    """Units sold per stock line on `day`, from its ledger records (SOLD lines, deduplicated)."""
    from chalicelib.backoffice.reorder import DailyUnits
    from chalicelib.orders.ledger import LedgerEvent, without_duplicates

    units: dict[tuple[str, str], int] = defaultdict(int)
    for e in without_duplicates(entries):
        if e.event == LedgerEvent.SOLD and e.line is not None and e.business_date == day.isoformat():
            units[(str(e.product_id), str(e.warehouse_id))] += e.quantity
    return [DailyUnits(day, p, w, n) for (p, w), n in sorted(units.items())]


def _index_between(first: date, last: date) -> dict[str, ReportRecord]:
    """The index items of the days first..last (one Query)."""
    from chalicelib.backoffice.models import DAILY, ReportRecord

    if last < first:
        return {}
    condition = ReportRecord.date.between(first.isoformat(), last.isoformat())
    return {r.date: r for r in ReportRecord.query(DAILY, condition, consistent_read=True)}


def sales_window(
    as_of: date, window_days: int, *, known: Mapping[str, ReportRecord], given: Mapping[date, list[DailyUnits]]
) -> list[DailyUnits]:
    """Units sold per stock line on each day of the window ending `as_of`: from the day's report
    (its index item) when there is one, from `given`, else from the sales ledger (8 Queries a day)."""
    from chalicelib.orders import ledger

    sales: list[DailyUnits] = []
    for offset in range(window_days):
        day = as_of - timedelta(days=offset)
        if day in given:
            sales += given[day]
            continue
        record = known.get(day.isoformat())
        if record is not None and record.product_sales is not None:
            sales += _unpack_sales(day, record.product_sales)
        else:
            sales += sold_units(day, ledger.read_day(day.isoformat()))
    return sales


def suggestions(
    as_of: date, stock: StockView, *, known: Mapping[str, ReportRecord], given: Mapping[date, list[DailyUnits]]
) -> list[ReorderSuggestion]:
    from chalicelib.backoffice.reorder import ReorderPolicy, suggest_reorders

    policy = ReorderPolicy.from_settings(lead_time_days=stock.lead_times)
    sales = sales_window(as_of, policy.window_days, known=known, given=given)
    return suggest_reorders(stock.positions, sales, as_of=as_of, policy=policy)


# --- building ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    report: dict[str, Any]
    files: dict[str, bytes]  # FILES key -> content
    prefix: str
    current: bool  # False: a build from a later read of the ledger was indexed meanwhile


def render_files(report: Mapping[str, Any]) -> dict[str, bytes]:
    from chalicelib.backoffice import report_render as rr

    pngs = rr.render_chart_pngs(report)
    return {
        "json": rr.render_json(report).encode(),
        "csv": rr.render_csv(report).encode(),
        "pdf": rr.render_pdf(report, shop_name=get_settings().shop_name),
        **pngs,
    }


def build(day_text: str, *, actor: str, now: datetime | None = None) -> Built:
    """Build, store and index the report of a day that is over (the ledger read now)."""
    from chalicelib.backoffice.reports import HISTORY_DAYS, build_daily_report
    from chalicelib.core.db import utcnow
    from chalicelib.orders import ledger

    read_at = utcnow()
    day = complete_day(day_text, now or read_at)
    settings = get_settings()
    entries = ledger.read_day(day.isoformat())
    stock = read_stock()
    window = settings.reorder_window_days
    known = _index_between(day - timedelta(days=max(window, HISTORY_DAYS) - 1), day - timedelta(days=1))
    reorder = suggestions(day, stock, known=known, given={day: sold_units(day, entries)})
    report = build_daily_report(
        day.isoformat(),
        entries,
        timezone=settings.shop_timezone,
        currency=settings.currency,
        low_stock=stock.low_stock,
        reorder=reorder,
        earlier_net_cents={d: int(r.net_cents) for d, r in known.items()},
    ).to_dict()
    files = render_files(report)
    build_id = f"{read_at:%Y%m%dT%H%M%S%f}Z-{report['fingerprint'][:8]}"
    prefix = f"daily/{day.isoformat()}/{build_id}/"
    current = _store(report, files, prefix=prefix, build_id=build_id, read_at=read_at, actor=actor)
    logger.info(
        "daily report built",
        extra={"date": report["date"], "ledger_entries": report["ledgerEntries"], "prefix": prefix, "current": current},
    )
    return Built(report, files, prefix, current)


def _store(
    report: Mapping[str, Any], files: Mapping[str, bytes], *, prefix: str, build_id: str, read_at: datetime, actor: str
) -> bool:
    """Files first, then the index item that names them, so an item never names missing files. The
    item is replaced only by a build that read the ledger later (racing builds: the newest wins)."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.backoffice.models import DAILY, ReportRecord
    from chalicelib.core import storage
    from chalicelib.core.db import utcnow

    for key, data in files.items():
        name, content_type = FILES[key]
        storage.put_private(resources.REPORTS_BUCKET, prefix + name, data, content_type=content_type)
    revenue = report["revenue"]
    record = ReportRecord(DAILY, report["date"])
    try:
        record.update(
            actions=[
                ReportRecord.build_id.set(build_id),
                ReportRecord.prefix.set(prefix),
                ReportRecord.read_at.set(read_at),
                ReportRecord.built_at.set(utcnow()),
                ReportRecord.built_by.set(actor),
                ReportRecord.fingerprint.set(report["fingerprint"]),
                ReportRecord.currency.set(report["currency"]),
                ReportRecord.ledger_entries.set(report["ledgerEntries"]),
                ReportRecord.orders.set(report["orders"]),
                ReportRecord.units.set(report["units"]),
                ReportRecord.gross_cents.set(revenue["grossCents"]),
                ReportRecord.net_cents.set(revenue["netCents"]),
                _product_sales_action(report["productSales"]),
                ReportRecord.version.add(1),
            ],
            condition=ReportRecord.read_at.does_not_exist() | (ReportRecord.read_at <= read_at),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _product_sales_action(product_sales: list[dict[str, Any]]) -> Any:
    from chalicelib.backoffice.models import ReportRecord

    packed = _pack_sales(product_sales)
    return ReportRecord.product_sales.remove() if packed is None else ReportRecord.product_sales.set(packed)


# --- the scheduled run and the one notification per day ------------------------------------------


def run_scheduled(fired_at: datetime) -> dict[str, Any]:
    """One run of the hourly schedule: build and send the previous day's report unless it was sent."""
    from chalicelib.backoffice.models import DAILY, ReportRecord

    day = day_to_report(fired_at)
    try:
        record = ReportRecord.get(DAILY, day.isoformat(), consistent_read=True)
    except ReportRecord.DoesNotExist:
        record = None
    if record is not None and record.emailed_at is not None and record.published_at is not None:
        return {"date": day.isoformat(), "status": "sent earlier"}
    built = build(day.isoformat(), actor=SYSTEM_ACTOR, now=fired_at)
    status = notify(day.isoformat(), built)
    return {"date": day.isoformat(), "status": status, "ledgerEntries": built.report["ledgerEntries"]}


def notify(day: str, built: Built) -> str:
    """E-mail the admins and publish the summary, each at most once per day (see the module doc)."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.backoffice.models import DAILY, ReportRecord
    from chalicelib.core.db import utcnow

    now = utcnow()
    record = ReportRecord(DAILY, day)
    try:
        record.update(
            actions=[ReportRecord.notify_claimed_at.set(now)],
            condition=ReportRecord.date.exists()
            & (ReportRecord.emailed_at.does_not_exist() | ReportRecord.published_at.does_not_exist())
            & (ReportRecord.notify_claimed_at.does_not_exist() | (ReportRecord.notify_claimed_at < now - NOTIFY_LEASE)),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return "sent or being sent by another run"
    try:
        if record.emailed_at is None:
            _email(built)
            record.update(actions=[ReportRecord.emailed_at.set(utcnow())])
        if record.published_at is None:
            _publish(built)
            record.update(actions=[ReportRecord.published_at.set(utcnow())])
    finally:
        record.update(actions=[ReportRecord.notify_claimed_at.remove()])
    return "sent"


def report_url(day: str) -> str:
    """Where the e-mail and the summary send admins: the console's page of the day."""
    return f"{get_settings().site_origin.rstrip('/')}/admin/#/reports/{day}"


def _email(built: Built) -> None:
    from chalicelib.backoffice import report_render as rr
    from chalicelib.core import notifications

    settings = get_settings()
    if not settings.admin_emails:
        logger.warning("daily report not e-mailed: ADMIN_EMAILS is empty", extra={"date": built.report["date"]})
        return
    raw = rr.render_email(
        built.report,
        shop_name=settings.shop_name,
        sender=settings.sender_email,
        recipients=settings.admin_emails,
        report_url=report_url(built.report["date"]),
        pdf=built.files["pdf"],
        pngs={name: built.files[name] for name in rr.CHART_CONTENT_IDS},
    )
    notifications.send_raw(raw)


def _publish(built: Built) -> None:
    from chalicelib.backoffice import report_render as rr
    from chalicelib.core import notifications

    settings = get_settings()
    summary = rr.sns_summary(built.report, shop_name=settings.shop_name, report_url=report_url(built.report["date"]))
    notifications.publish(
        topic_arn=settings.daily_sales_topic_arn,
        subject=summary.subject,
        payload=summary.payload,
        email_text=summary.text,
        event_type="DailySalesReport",
    )


# --- reading --------------------------------------------------------------------------------------


def summary(record: ReportRecord) -> dict[str, Any]:
    from chalicelib.core.db import iso

    return {
        "date": record.date,
        "currency": record.currency,
        "orders": int(record.orders),
        "units": int(record.units),
        "grossCents": int(record.gross_cents),
        "netCents": int(record.net_cents),
        "ledgerEntries": int(record.ledger_entries),
        "builtAt": iso(record.built_at),
        "builtBy": record.built_by,
        "emailedAt": iso(record.emailed_at) if record.emailed_at else None,
        "publishedAt": iso(record.published_at) if record.published_at else None,
    }


def list_reports(*, limit: int | None, cursor: str | None) -> dict[str, Any]:
    """`GET /reports/daily`: the built days, newest first (one Query of the index)."""
    from chalicelib.backoffice.models import DAILY, ReportRecord
    from chalicelib.core.db import decode_cursor, encode_cursor

    start = decode_cursor(cursor, {"kind", "date"})
    if start is not None and start["kind"]["S"] != DAILY:
        raise ValidationError("cursor", "is not a cursor this API returned")
    result = ReportRecord.query(
        DAILY, scan_index_forward=False, limit=limit or get_settings().page_size, last_evaluated_key=start
    )
    items = [summary(r) for r in result]
    return {"items": items, "nextCursor": encode_cursor(result.last_evaluated_key)}


def _record(day_text: str) -> ReportRecord:
    from chalicelib.backoffice.models import DAILY, ReportRecord

    day = parse_day(day_text)
    try:
        return ReportRecord.get(DAILY, day.isoformat(), consistent_read=True)
    except ReportRecord.DoesNotExist:
        raise NotFound(
            f"no report for {day.isoformat()}; POST /reports/daily/{day.isoformat()} builds it", date=day.isoformat()
        ) from None


def get_report(day_text: str) -> dict[str, Any]:
    """The day's report document, as stored."""
    from chalicelib.core import storage

    record = _record(day_text)
    stored = storage.get_object(resources.REPORTS_BUCKET, record.prefix + FILES["json"][0])
    document: dict[str, Any] = json.loads(stored)
    return document


def file_url(day_text: str, fmt: str) -> str:
    """A short-lived link to one of the day's files (`csv`, `pdf`, a chart)."""
    from chalicelib.core import storage

    if fmt not in FILES:
        raise ValidationError("format", f"must be one of {', '.join(FILES)}")
    record = _record(day_text)
    name = FILES[fmt][0]
    download = f"daily-sales-{record.date}.{name.rsplit('.', 1)[1]}" if fmt in DOWNLOADS else name
    return storage.presigned_get(
        resources.REPORTS_BUCKET, record.prefix + name, expires_in=LINK_SECONDS, download_name=download
    )


def files(day_text: str) -> dict[str, Any]:
    """`GET /reports/daily/{date}/files`: short-lived links to every file of the day (the console
    shows the charts and offers the downloads with them; an <img> cannot send a token)."""
    from chalicelib.core import storage

    record = _record(day_text)
    links = {
        key: storage.presigned_get(resources.REPORTS_BUCKET, record.prefix + name, expires_in=LINK_SECONDS)
        for key, (name, _type) in FILES.items()
    }
    return {
        "date": record.date,
        "expiresIn": LINK_SECONDS,
        "json": links["json"],
        "csv": links["csv"],
        "pdf": links["pdf"],
        "charts": {"salesByHour": links["sales-by-hour"], "last14Days": links["last-14-days"]},
    }


def reorder_now(now: datetime) -> dict[str, Any]:
    """`GET /reports/reorder`: every stock line's cover and suggested order, most urgent first, over
    the window ending yesterday (the last whole day)."""
    from chalicelib.backoffice.reorder import ReorderPolicy

    as_of = shop_today(now) - timedelta(days=1)
    stock = read_stock()
    policy = ReorderPolicy.from_settings()
    known = _index_between(as_of - timedelta(days=policy.window_days - 1), as_of)
    items = suggestions(as_of, stock, known=known, given={})
    return {
        "asOf": as_of.isoformat(),
        "windowDays": policy.window_days,
        "targetCoverDays": policy.target_cover_days,
        "defaultLeadTimeDays": policy.default_lead_time_days,
        "items": [s.to_dict() for s in items],
    }
