"""The report's renderers: JSON, CSV, PDF (read back with pdftotext), chart PNGs (pixels checked),
the admins' MIME e-mail and the SNS summary (always publishable)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from chalicelib.backoffice import report_render as rr
from chalicelib.backoffice.charts import BAR, BAR_HIGHLIGHT, BarChart, layout, nice_scale, png_layout, render_png
from chalicelib.backoffice.reports import LowStockItem, build_daily_report
from chalicelib.core.money import format_cents
from chalicelib.orders import ledger
from chalicelib.orders.ledger import LedgerLine, LedgerOrder
from tests.unit.test_reports import the_day

SHOP = "Stockroom Demo Shop"
URL = "http://127.0.0.1:8080/admin/#/reports/2025-03-14"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    odd = LedgerOrder("odd", [LedgerLine("CHAIR-3", "=SUM(A1) chair", "east", 1, 100)], 0, 0, "SELF_SERVICE")
    unicode = LedgerOrder("uni", [LedgerLine("RUG-9", "Łódź rug ✓", "west", 1, 100)], 0, 0, "CURBSIDE")
    at = datetime(2025, 3, 14, 22, tzinfo=UTC)
    entries = the_day() + ledger.confirmed_entries(odd, at) + ledger.confirmed_entries(unicode, at)
    low = [LowStockItem("LAMP-1", "Lamp", "east", 2, 5)]
    return build_daily_report(
        "2025-03-14",
        entries,
        timezone="America/New_York",
        currency="USD",
        low_stock=low,
        earlier_net_cents={"2025-03-13": 120_000, "2025-03-12": -5_000},
    ).to_dict()


def test_money() -> None:
    assert format_cents(123456, "USD") == "$1,234.56"
    assert format_cents(-500, "EUR") == "-€5.00"
    assert format_cents(1234, "JPY") == "¥1,234"
    assert format_cents(1234, "KWD") == "KWD 1.234"
    assert format_cents(5, "SEK") == "SEK 0.05"
    assert format_cents(5, "usd", symbol=False) == "0.05"


def test_json_is_the_report_with_its_documented_fields(report: dict[str, Any]) -> None:
    document = json.loads(rr.render_json(report))
    assert document == report
    assert list(document) == [
        "reportVersion", "date", "timezone", "currency", "revenue", "orders", "units", "averageOrderValueCents",
        "topProducts", "productSales", "byWarehouse", "byDeliveryMethod", "promoCodes", "cancellations", "refunds",
        "paymentFailures", "salesByHour", "last14Days", "lowStock", "reorder", "ledgerEntries", "fingerprint",
    ]  # fmt: skip


def test_csv_has_a_row_per_figure(report: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(rr.render_csv(report))))
    assert tuple(rows[0]) == rr.CSV_COLUMNS
    assert all(r["date"] == "2025-03-14" for r in rows)

    def value(section: str, metric: str, **keys: str) -> str:
        (match,) = [
            r
            for r in rows
            if r["section"] == section and r["metric"] == metric and all(r[k] == v for k, v in keys.items())
        ]
        return match["value"]

    assert value("revenue", "netCents") == str(report["revenue"]["netCents"])
    assert value("summary", "orders") == str(report["orders"])
    assert value("productSales", "units", productId="LAMP-1", warehouseId="east") == "5"
    assert value("byDeliveryMethod", "deliveryCents", dimension="IN_DOOR") == "999"
    assert value("salesByHour", "grossCents", dimension="09") == "3500"
    assert value("last14Days", "netCents", dimension="2025-03-11") == ""  # no report that day
    assert value("last14Days", "netCents", dimension="2025-03-12") == "-5000"
    assert value("paymentFailuresReasons", "orders", dimension="card_declined") == "2"
    assert value("lowStock", "available", productId="LAMP-1") == "2"
    # A product name a spreadsheet would run as a formula is escaped.
    names = {r["productName"] for r in rows if r["productId"] == "CHAIR-3"}
    assert names == {"'=SUM(A1) chair"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (make deps-browser) reads the PDF")
def test_pdf_shows_the_figures_and_survives_any_text(report: dict[str, Any], tmp_path: Path) -> None:
    pdf = rr.render_pdf(report, shop_name="Łódź Shop ✓")
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in (
        "Lódz Shop ?",  # folded to what the core fonts can show, never an error
        "Friday 14 March 2025",
        format_cents(report["revenue"]["netCents"], "USD"),
        format_cents(report["revenue"]["grossCents"], "USD"),
        "Sales by hour",
        "Net sales, last 14 days",
        "Bed frame",
        "=SUM(A1) chair",
        "Lódz rug ?",
        "WELCOME10",
        "card_declined (2)",
        "Low stock",
    ):
        assert expected in text, expected


def test_an_empty_day_renders_with_a_whole_unit_axis() -> None:
    empty = build_daily_report("2025-03-15", [], timezone="America/New_York", currency="USD").to_dict()
    assert rr.render_pdf(empty, shop_name=SHOP).startswith(b"%PDF-")
    chart = rr.charts(empty)[rr.SALES_BY_HOUR]
    plan = layout(chart, 400, 200, lambda text: 6.0 * len(text), 10)
    assert [label.text for _, label in plan.grid] == ["$0", "$1"] and plan.bars == []
    yen = build_daily_report("2025-03-15", [], timezone="Asia/Tokyo", currency="JPY").to_dict()
    assert [label.text for _, label in layout(rr.charts(yen)[rr.SALES_BY_HOUR], 400, 200, len, 10).grid] == ["¥0", "¥1"]


def test_nice_scales() -> None:
    assert nice_scale([0, 0]).ticks == [0, 1]
    assert nice_scale([None, None], minimum_span=100).ticks == [0, 100]
    assert nice_scale([99]).ticks == [0, 25, 50, 75, 100]
    assert nice_scale([350_000]).ticks == [0, 100_000, 200_000, 300_000, 400_000]
    assert nice_scale([-500, 1200]).ticks == [-500, 0, 500, 1000, 1500]
    for top in (1, 7, 13, 101, 999, 12_345, 10**9):
        scale = nice_scale([top])
        assert scale.high >= top and len(scale.ticks) <= 5 and str(scale.step).strip("0") in ("1", "2", "25", "5")


def test_layout_bars_are_proportional_and_missing_values_marked() -> None:
    chart = BarChart("t", ["a", "b", "c", "d"], [100, 50, None, 0], format_tick=str)
    plan = layout(chart, 400, 200, lambda text: 6.0 * len(text), 10)
    heights = [rect.y1 - rect.y0 for rect, _ in plan.bars]
    assert len(plan.bars) == 2 and abs(heights[0] - 2 * heights[1]) < 1e-6
    assert len(plan.missing) == 1
    assert all(plan.plot.y0 <= rect.y0 <= rect.y1 <= plan.zero_y + 1e-6 for rect, _ in plan.bars)


def test_chart_png_draws_the_bars(report: dict[str, Any]) -> None:
    pngs = rr.render_chart_pngs(report)
    assert set(pngs) == {rr.SALES_BY_HOUR, rr.LAST_14_DAYS}
    hours = Image.open(io.BytesIO(pngs[rr.SALES_BY_HOUR])).convert("RGB")
    assert hours.size == (1200, 480)
    plan = png_layout(rr.charts(report)[rr.SALES_BY_HOUR])
    slot = (plan.plot.x1 - plan.plot.x0) / 24

    def column_has(hour: int, colour: tuple[int, int, int]) -> bool:
        x = int(plan.plot.x0 + (hour + 0.5) * slot)
        return any(hours.getpixel((x, y)) == colour for y in range(0, 480, 2))

    # Bars where sales were, none where there were none.
    tallest = max(range(24), key=lambda h: report["salesByHour"][h]["grossCents"])
    assert column_has(tallest, BAR)
    assert not column_has(3, BAR)
    history = Image.open(io.BytesIO(pngs[rr.LAST_14_DAYS])).convert("RGB")
    assert BAR_HIGHLIGHT in {colour for _, colour in history.getcolors(maxcolors=1 << 16) or []}  # the day itself


def test_png_of_a_flat_chart() -> None:
    png = render_png(BarChart("none", ["a"], [None], format_tick=str))
    assert Image.open(io.BytesIO(png)).size == (1200, 480)


def test_email_is_html_with_inline_charts_text_and_the_pdf(report: dict[str, Any]) -> None:
    pdf = b"%PDF-1.4 test"
    pngs = {rr.SALES_BY_HOUR: b"\x89PNG hour", rr.LAST_14_DAYS: b"\x89PNG days"}
    raw = rr.render_email(
        report, shop_name=SHOP, sender="stockroom@example.com", recipients=["a@example.com", "b@example.com"],
        report_url=URL, pdf=pdf, pngs=pngs,
    )  # fmt: skip
    message = message_from_bytes(raw, policy=policy.default)
    assert message.get_content_type() == "multipart/mixed"
    assert message["To"] == "a@example.com, b@example.com"
    assert "53" not in message["Subject"] and format_cents(report["revenue"]["netCents"], "USD") in message["Subject"]
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    assert html is not None and text is not None
    html_source = html.get_content()
    images = {
        part["Content-ID"].strip("<>"): part.get_content()
        for part in message.walk()
        if part.get_content_type() == "image/png"
    }
    assert images == {"sales-by-hour@stockroom": b"\x89PNG hour", "last-14-days@stockroom": b"\x89PNG days"}
    for content_id in images:
        assert f'src="cid:{content_id}"' in html_source
    # The images belong to the HTML (multipart/related), the PDF to the whole message.
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png", "image/png"]
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "daily-sales-2025-03-14.pdf" and attachment.get_content() == pdf
    net = format_cents(report["revenue"]["netCents"], "USD")
    assert net in text.get_content() and net in html_source
    assert URL in text.get_content() and URL in html_source
    assert "&lt;script&gt;" not in html_source  # nothing to escape here; see the next test


def test_email_escapes_names_and_keeps_headers_on_one_line(report: dict[str, Any]) -> None:
    hostile = dict(report, topProducts=[dict(report["topProducts"][0], productName="<script>alert(1)</script>")])
    raw = rr.render_email(
        hostile, shop_name="Evil\r\nBcc: victim@example.com", sender="s@example.com", recipients=["a@example.com"],
        report_url=URL, pdf=b"%PDF", pngs={rr.SALES_BY_HOUR: b"x", rr.LAST_14_DAYS: b"y"},
    )  # fmt: skip
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Bcc"] is None
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<script>" not in html.get_content() and "&lt;script&gt;" in html.get_content()


def _publishable_subject(subject: str) -> bool:
    return (
        0 < len(subject) <= 100
        and subject.isascii()
        and all(c.isprintable() for c in subject)
        and (subject[0].isalnum() or not subject[0].isspace())
    )


def test_sns_summary_is_always_publishable(report: dict[str, Any]) -> None:
    summary = rr.sns_summary(report, shop_name=SHOP, report_url=URL)
    assert _publishable_subject(summary.subject)
    assert summary.subject.startswith("Daily sales 2025-03-14: USD ")
    assert summary.payload["revenue"] == report["revenue"] and summary.payload["date"] == "2025-03-14"
    assert format_cents(report["revenue"]["netCents"], "USD") in summary.text
    for shop in ("Łódź ✓ Shop\nsecond line\x07", "x" * 500, "", "日本の店"):
        s = rr.sns_summary(report, shop_name=shop, report_url=URL)
        assert _publishable_subject(s.subject), s.subject


def test_sns_message_fits_even_a_huge_report(report: dict[str, Any]) -> None:
    many = [
        {"productId": f"P{n}", "productName": "名前" * 40, "warehouseId": "east", "available": 0, "threshold": 5}
        for n in range(20_000)
    ]
    huge = dict(report, lowStock=many)
    summary = rr.sns_summary(huge, shop_name=SHOP, report_url=URL)
    assert len(rr.sns_message(summary.payload, summary.text).encode()) <= rr.SNS_MESSAGE_MAX_BYTES
    # Lists are cut to a few rows in the summary anyway; the cut is said.
    assert "and 19995 more" in summary.text


def test_charts_in_another_currency_and_a_negative_day() -> None:
    entries = ledger.cancelled_entries(
        LedgerOrder("r", [LedgerLine("P", "P", "east", 1, 5000)], 0, 0, "CURBSIDE"),
        datetime(2025, 3, 14, 15, tzinfo=UTC) + timedelta(0),
        reason="customer",
        was_confirmed=True,
    )
    r = build_daily_report("2025-03-14", entries, timezone="Europe/Berlin", currency="EUR").to_dict()
    assert r["revenue"]["netCents"] == -5000
    chart = rr.charts(r)[rr.LAST_14_DAYS]
    assert chart.values[-1] == -5000
    assert nice_scale(chart.values).low <= -5000
    assert chart.format_tick(-5000) == "-€50"
    assert Image.open(io.BytesIO(rr.render_chart_pngs(r)[rr.LAST_14_DAYS])).size == (1200, 480)
