"""The daily report in every form it leaves the system: JSON, CSV, PDF with charts, chart PNGs, the
e-mail to the admins (MIME, charts inline by `cid:`, PDF attached) and the SNS summary.

Every renderer takes the report's JSON document (`DailyReport.to_dict()`, or a stored report read
back from S3), so a stored day can be rendered again without the ledger. Heavy libraries (fpdf2,
Pillow, jinja2) are imported inside the functions that use them.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from chalicelib.backoffice.catalog_csv import spreadsheet_safe
from chalicelib.backoffice.charts import BarChart
from chalicelib.core.money import exponent, format_cents

SALES_BY_HOUR = "sales-by-hour"
LAST_14_DAYS = "last-14-days"
CHART_CONTENT_IDS = {SALES_BY_HOUR: "sales-by-hour@stockroom", LAST_14_DAYS: "last-14-days@stockroom"}
EMAIL_LIST_ROWS = 10  # longer lists are cut in the e-mail ("and n more in the attached PDF")
SNS_SUBJECT_MAX = 100
SNS_MESSAGE_MAX_BYTES = 256 * 1024
SNS_LIST_ROWS = 5

Report = Mapping[str, Any]


def long_date(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d:%A} {d.day} {d:%B %Y}"


def _money(report: Report, cents: int | None) -> str:
    return "-" if cents is None else format_cents(cents, report["currency"])


# --- JSON, CSV ------------------------------------------------------------------------------------


def render_json(report: Report) -> str:
    """The JSON document, field order as built (stable names, documented in docs/CONTRACTS.md)."""
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = ("date", "section", "productId", "productName", "warehouseId", "dimension", "metric", "value")


def _csv_rows(report: Report) -> Iterator[dict[str, Any]]:
    def row(section: str, metric: str, value: Any, **keys: Any) -> dict[str, Any]:
        return {"section": section, "metric": metric, "value": "" if value is None else value, **keys}

    for metric, value in report["revenue"].items():
        yield row("revenue", metric, value)
    for metric in ("orders", "units", "averageOrderValueCents"):
        yield row("summary", metric, report[metric])

    def product_keys(item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: item.get(k, "") for k in ("productId", "productName", "warehouseId")}

    for rank, item in enumerate(report["topProducts"], start=1):
        yield row("topProducts", "rank", rank, **product_keys(item))
        for metric in ("units", "grossCents", "orders"):
            yield row("topProducts", metric, item[metric], **product_keys(item))
    for item in report["productSales"]:
        for metric in ("units", "grossCents"):
            yield row("productSales", metric, item[metric], **product_keys(item))
    for item in report["byWarehouse"]:
        for metric in ("orders", "units", "grossCents"):
            yield row("byWarehouse", metric, item[metric], warehouseId=item["warehouseId"])
    for item in report["byDeliveryMethod"]:
        for metric in ("orders", "grossCents", "deliveryCents"):
            yield row("byDeliveryMethod", metric, item[metric], dimension=item["deliveryMethod"])
    for item in report["promoCodes"]:
        for metric in ("orders", "discountCents"):
            yield row("promoCodes", metric, item[metric], dimension=item["promoCode"])
    for section, key in (
        ("cancellations", "cancellations"),
        ("refunds", "refunds"),
        ("paymentFailures", "paymentFailures"),
    ):
        for metric, value in report[key].items():
            if metric != "reasons":
                yield row(section, metric, value)
        for reason in report[key].get("reasons", []):
            yield row(f"{section}Reasons", "orders", reason["orders"], dimension=reason["reason"])
    for item in report["salesByHour"]:
        for metric in ("orders", "grossCents"):
            yield row("salesByHour", metric, item[metric], dimension=f"{item['hour']:02d}")
    for item in report["last14Days"]:
        yield row("last14Days", "netCents", item["netCents"], dimension=item["date"])
    for item in report["lowStock"]:
        for metric in ("available", "threshold"):
            yield row("lowStock", metric, item[metric], **product_keys(item))
    for item in report["reorder"]:
        for metric in (
            "available",
            "unitsSold",
            "averageDailyUnits",
            "daysOfCover",
            "leadTimeDays",
            "suggestedQuantity",
        ):
            yield row("reorder", metric, item[metric], dimension=item["status"], **product_keys(item))


def render_csv(report: Report) -> str:
    """The report as one tidy table, a row per figure (`section`, the keys it is about, `metric`,
    `value`), ready for a spreadsheet's pivot table. Cents stay integers; a missing figure is empty.
    Text cells are escaped against formula injection (see `catalog_csv.spreadsheet_safe`)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in _csv_rows(report):
        cells = {column: item.get(column, "") for column in CSV_COLUMNS}
        cells["date"] = report["date"]
        writer.writerow({k: spreadsheet_safe(v) if isinstance(v, str) else v for k, v in cells.items()})
    return out.getvalue()


# --- charts ---------------------------------------------------------------------------------------


def _tick_formatter(report: Report) -> Any:
    currency = report["currency"]
    whole = 10 ** exponent(currency)

    def tick(cents: int) -> str:
        text = format_cents(cents, currency)
        # Round ticks read better without ".00"; a scale in cents keeps its decimals.
        return format_cents(cents // whole * whole, currency).rsplit(".", 1)[0] if cents % whole == 0 else text

    return tick


def charts(report: Report) -> dict[str, BarChart]:
    """The two charts: gross sales by hour of the day, net sales of the last 14 days."""
    tick = _tick_formatter(report)
    history = report["last14Days"]
    values = [d["netCents"] for d in history]
    return {
        SALES_BY_HOUR: BarChart(
            title=f"Sales by hour, {long_date(report['date'])} ({report['timezone']})",
            labels=[f"{h['hour']:02d}" for h in report["salesByHour"]],
            values=[h["grossCents"] for h in report["salesByHour"]],
            format_tick=tick,
            label_every=3,
            minimum_span=10 ** exponent(report["currency"]),
        ),
        LAST_14_DAYS: BarChart(
            title="Net sales, last 14 days" + (" (grey: no report that day)" if None in values else ""),
            labels=[date.fromisoformat(d["date"]).strftime("%d %b").lstrip("0") for d in history],
            values=values,
            format_tick=tick,
            highlight=len(history) - 1,
            label_every=2 if len(history) > 10 else 1,
            minimum_span=10 ** exponent(report["currency"]),
        ),
    }


def render_chart_pngs(report: Report) -> dict[str, bytes]:
    """Each chart as a PNG (600 x 240 display size, drawn at 2x), keyed by chart name."""
    from chalicelib.backoffice.charts import render_png

    return {name: render_png(chart) for name, chart in charts(report).items()}


# --- the pieces the PDF and the e-mail share -------------------------------------------------------


@dataclass(frozen=True)
class Section:
    title: str
    headings: Sequence[str]
    rows: list[list[str]]
    widths: Sequence[float]  # relative column widths in the PDF
    align: str = ""  # per column, L or R (default: first left, the rest right)

    @property
    def alignment(self) -> tuple[str, ...]:
        letters = self.align or "L" + "R" * (len(self.headings) - 1)
        return tuple("LEFT" if a == "L" else "RIGHT" for a in letters)


def _kpis(report: Report) -> list[dict[str, str]]:
    return [
        {"label": "Net sales", "value": _money(report, report["revenue"]["netCents"])},
        {"label": "Orders", "value": f"{report['orders']:,}"},
        {"label": "Units", "value": f"{report['units']:,}"},
        {"label": "Average order", "value": _money(report, report["averageOrderValueCents"])},
        {"label": "Refunds", "value": _money(report, report["revenue"]["refundCents"])},
    ]


def _revenue(report: Report) -> list[dict[str, str]]:
    r = report["revenue"]
    return [
        {"label": "Gross sales", "value": _money(report, r["grossCents"])},
        {"label": "Discounts", "value": _money(report, -r["discountCents"])},
        {"label": "Delivery", "value": _money(report, r["deliveryCents"])},
        {"label": "Refunds", "value": _money(report, -r["refundCents"])},
        {"label": "Net sales", "value": _money(report, r["netCents"])},
    ]


def _sections(report: Report) -> list[Section]:
    def m(cents: int) -> str:
        return _money(report, cents)

    def reasons(block: Mapping[str, Any]) -> str:
        return ", ".join(f"{r['reason']} ({r['orders']})" for r in block["reasons"]) or "-"

    cancel, refunds, failures = report["cancellations"], report["refunds"], report["paymentFailures"]
    return [
        Section(
            "Top products",
            ["Product", "Article", "Units", "Gross"],
            [[p["productName"], p["productId"], str(p["units"]), m(p["grossCents"])] for p in report["topProducts"]],
            (5, 2.4, 1.2, 1.8),
        ),
        Section(
            "Sales by warehouse",
            ["Warehouse", "Orders", "Units", "Gross"],
            [[w["warehouseId"], str(w["orders"]), str(w["units"]), m(w["grossCents"])] for w in report["byWarehouse"]],
            (4, 1.5, 1.5, 2),
        ),
        Section(
            "Sales by delivery method",
            ["Method", "Orders", "Gross", "Delivery"],
            [
                [
                    d["deliveryMethod"].replace("_", " ").title(),
                    str(d["orders"]),
                    m(d["grossCents"]),
                    m(d["deliveryCents"]),
                ]
                for d in report["byDeliveryMethod"]
            ],
            (4, 1.5, 2, 2),
        ),
        Section(
            "Promo codes",
            ["Code", "Orders", "Discount"],
            [[p["promoCode"], str(p["orders"]), m(p["discountCents"])] for p in report["promoCodes"]],
            (4, 1.5, 2),
        ),
        Section(
            "Cancellations, refunds, payment failures",
            ["", "Orders", "Units", "Amount", "Reasons"],
            [
                ["Cancelled", str(cancel["orders"]), str(cancel["units"]), m(cancel["valueCents"]), reasons(cancel)],
                ["Refunded", str(refunds["orders"]), str(refunds["units"]), m(refunds["amountCents"]), ""],
                ["Payment failed", str(failures["orders"]), "", m(failures["amountCents"]), reasons(failures)],
            ]
            if cancel["orders"] or refunds["orders"] or failures["orders"]
            else [],
            (2.4, 1.2, 1.2, 1.8, 3.6),
            "LRRRL",
        ),
        Section(
            "Low stock",
            ["Product", "Warehouse", "Available", "Threshold"],
            [
                [i["productName"], i["warehouseId"], str(i["available"]), str(i["threshold"])]
                for i in report["lowStock"]
            ],
            (5, 2, 1.5, 1.5),
            "LLRR",
        ),
        Section(
            "Reorder suggestions",
            ["Product", "Warehouse", "Per day", "Cover", "Order"],
            [
                [
                    f"{s['productName']} ({s['status']})",
                    s["warehouseId"],
                    f"{s['averageDailyUnits']:g}",
                    "-" if s["daysOfCover"] is None else f"{s['daysOfCover']:g} d",
                    str(s["suggestedQuantity"]),
                ]
                for s in report["reorder"]
            ],
            (5, 2, 1.3, 1.3, 1.3),
            "LLRRR",
        ),
    ]


# --- PDF ------------------------------------------------------------------------------------------


# Latin letters Unicode does not decompose into a base letter and a mark.
_NO_DECOMPOSITION = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "\u0131": "i", "Ŧ": "T", "ŧ": "t"}


def pdf_text(text: str) -> str:
    """Text the PDF's core fonts can show (Windows-1252): other letters folded to their base letter
    ("ź" -> "z", "Ł" -> "L"), anything else "?", control characters as spaces. Core fonts keep the PDF
    small and need no font file in the Lambda package."""
    out = []
    for char in text:
        if not char.isprintable():
            out.append(" ")
        elif _in_cp1252(char):
            out.append(char)
        else:
            base = _NO_DECOMPOSITION.get(char) or unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


def _in_cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def render_pdf(report: Report, *, shop_name: str) -> bytes:
    """A4 portrait: headline figures, revenue, the two charts (vector), then the tables."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from chalicelib.backoffice.charts import draw_pdf

    footer_note = pdf_text(
        f"{shop_name} - business day {report['date']} ({report['timezone']}) - "
        f"{report['ledgerEntries']} ledger records - {report['fingerprint'][:12]}"
    )

    class ReportPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("helvetica", size=7)
            self.set_text_color(154, 165, 177)
            self.cell(0, 5, footer_note, align="L")
            self.cell(0, 5, f"page {self.page_no()}/{{nb}}", align="R")

    pdf = ReportPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(pdf_text(f"{shop_name}: daily sales report {report['date']}"))
    pdf.set_author(pdf_text(shop_name))
    pdf.set_creator("Stockroom")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("helvetica", style="B", size=16)
    pdf.cell(0, 8, pdf_text(shop_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.set_text_color(97, 110, 124)
    pdf.cell(0, 6, pdf_text(f"Daily sales report - {long_date(report['date'])}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(31, 41, 51)
    pdf.ln(3)

    kpis = _kpis(report)
    box = width / len(kpis)
    top = pdf.get_y()
    for i, kpi in enumerate(kpis):
        x = pdf.l_margin + i * box
        pdf.set_fill_color(244, 247, 253)
        pdf.rect(x + 1, top, box - 2, 16, style="F")
        pdf.set_xy(x + 1, top + 2)
        pdf.set_font("helvetica", size=8)
        pdf.set_text_color(97, 110, 124)
        pdf.cell(box - 2, 4, pdf_text(kpi["label"]), align="C")
        pdf.set_xy(x + 1, top + 7)
        pdf.set_font("helvetica", style="B", size=12)
        pdf.set_text_color(31, 41, 51)
        pdf.cell(box - 2, 6, pdf_text(kpi["value"]), align="C")
    pdf.set_y(top + 20)

    pdf.set_font("helvetica", size=9)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(
        col_widths=(3, 1),
        text_align=("LEFT", "RIGHT"),
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        line_height=5.5,
        width=width / 2,
        align="LEFT",
    ) as table:
        for n, row in enumerate(_revenue(report)):
            style = FontFace(emphasis="BOLD") if n == 4 else None
            cells = table.row()
            cells.cell(pdf_text(row["label"]), style=style)
            cells.cell(pdf_text(row["value"]), style=style)
    pdf.ln(4)

    for chart in charts(report).values():
        if pdf.get_y() + 62 > pdf.h - 16:
            pdf.add_page()
        draw_pdf(pdf, chart, x=pdf.l_margin, y=pdf.get_y(), width=width, height=60)
        pdf.set_y(pdf.get_y() + 63)

    headings_style = FontFace(emphasis="BOLD", color=(97, 110, 124), fill_color=(244, 247, 253))
    pdf.set_fill_color(255, 255, 255)  # tables fill with the current colour where they fill
    for section in _sections(report):
        if not section.rows:
            continue
        # A short table starts on a new page rather than split; a long one fills pages as it goes.
        needed = 10 + 5 * (len(section.rows) + 1)
        if pdf.get_y() + min(needed, 24) > pdf.h - 16 or (needed < 80 and pdf.get_y() + needed > pdf.h - 16):
            pdf.add_page()
        pdf.set_font("helvetica", style="B", size=11)
        pdf.cell(0, 7, pdf_text(section.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=8.5)
        with pdf.table(
            col_widths=tuple(section.widths),
            text_align=section.alignment,
            headings_style=headings_style,
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            width=width,
        ) as table:
            heading = table.row()
            for text in section.headings:
                heading.cell(pdf_text(text))
            for values in section.rows:
                cells = table.row()
                for text in values:
                    cells.cell(pdf_text(text))
        pdf.ln(3)
    return bytes(pdf.output())


# --- e-mail ---------------------------------------------------------------------------------------


def email_subject(report: Report, *, shop_name: str) -> str:
    net = _money(report, report["revenue"]["netCents"])
    orders = report["orders"]
    return f"{shop_name}: daily sales {report['date']}, {net} net, {orders} order{'' if orders == 1 else 's'}"


def _template_context(report: Report, *, shop_name: str, report_url: str, list_rows: int) -> dict[str, Any]:
    sections = []
    for s in _sections(report):
        sections.append(
            {
                "title": s.title,
                "headings": s.headings,
                "align": [a.lower() for a in s.alignment],
                "rows": s.rows[:list_rows],
                "more": max(0, len(s.rows) - list_rows),
            }
        )
    return {
        "report": report,
        "shop_name": shop_name,
        "subject": email_subject(report, shop_name=shop_name),
        "long_date": long_date(report["date"]),
        "kpis": _kpis(report),
        "revenue": _revenue(report),
        "sections": sections,
        "report_url": report_url,
        "charts": [
            {"cid": CHART_CONTENT_IDS[SALES_BY_HOUR], "alt": "Sales by hour of the day"},
            {"cid": CHART_CONTENT_IDS[LAST_14_DAYS], "alt": "Net sales of the last 14 days"},
        ],
    }


def render_email(
    report: Report,
    *,
    shop_name: str,
    sender: str,
    recipients: Sequence[str],
    report_url: str,
    pdf: bytes,
    pngs: Mapping[str, bytes],
) -> bytes:
    """The admins' e-mail as a raw MIME message for SES `SendRawEmail`:

    multipart/mixed
      multipart/alternative
        text/plain                      the text alternative
        multipart/related
          text/html                     charts as <img src="cid:...">
          image/png  (x2)               Content-ID <sales-by-hour@stockroom>, <last-14-days@stockroom>
      application/pdf                   daily-sales-<date>.pdf, attached
    """
    from chalicelib.core.notifications import render

    context = _template_context(report, shop_name=shop_name, report_url=report_url, list_rows=EMAIL_LIST_ROWS)
    message = EmailMessage(policy=SMTP)  # CRLF line ends, as RFC 5322 and SES want
    message["Subject"] = _header_text(context["subject"])
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content(render("daily_report.txt", **context))
    message.add_alternative(render("daily_report.html", **context), subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    for name, content_id in CHART_CONTENT_IDS.items():
        html_part.add_related(pngs[name], "image", "png", cid=f"<{content_id}>", filename=f"{name}.png")
    message.add_attachment(pdf, "application", "pdf", filename=f"daily-sales-{report['date']}.pdf")
    return message.as_bytes()


def _header_text(text: str) -> str:
    """A header value on one line (a shop name with a line break must not inject headers)."""
    return " ".join(text.split())


# --- SNS ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnsSummary:
    subject: str  # ASCII, one line, at most 100 characters: what SNS accepts as a Subject
    text: str  # the e-mail subscribers' message
    payload: dict[str, Any]  # the machines' message (JSON)


def _ascii_line(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isprintable() else " " for c in folded).split())


def sns_summary(report: Report, *, shop_name: str, report_url: str) -> SnsSummary:
    """The daily summary for the daily-sales topic, always publishable: the subject is ASCII without
    line breaks or control characters, starts with a letter and fits 100 characters; the JSON
    message (both forms together) stays under SNS's 256 KB."""
    currency = report["currency"]
    net = format_cents(report["revenue"]["netCents"], currency, symbol=False)
    subject = _ascii_line(f"Daily sales {report['date']}: {currency} {net} net, {report['orders']} orders")
    shop = _ascii_line(shop_name)
    if shop and len(subject) + len(shop) + 3 <= SNS_SUBJECT_MAX:
        subject = f"{subject} - {shop}"
    subject = subject[:SNS_SUBJECT_MAX]

    context = _template_context(report, shop_name=shop_name, report_url=report_url, list_rows=SNS_LIST_ROWS)
    lines = [f"{shop_name}: daily sales report for {context['long_date']}", ""]
    lines += [f"{k['label']}: {k['value']}" for k in context["kpis"]]
    lines += ["", *(f"{r['label']}: {r['value']}" for r in context["revenue"])]
    for section in context["sections"]:
        if section["rows"]:
            lines += ["", section["title"], *("  - " + ", ".join(row) for row in section["rows"])]
            if section["more"]:
                lines.append(f"  and {section['more']} more")
    lines += ["", f"Report: {report_url}"]
    text = "\n".join(lines)
    payload = {
        "type": "DailySalesReport",
        "reportVersion": report["reportVersion"],
        "date": report["date"],
        "currency": currency,
        "revenue": report["revenue"],
        "orders": report["orders"],
        "units": report["units"],
        "averageOrderValueCents": report["averageOrderValueCents"],
        "lowStockItems": len(report["lowStock"]),
        "reorderSuggestions": len(report["reorder"]),
        "reportUrl": report_url,
    }
    # Both forms travel in one JSON message (MessageStructure=json): the text yields if need be.
    full, keep = text, len(text)
    while len(sns_message(payload, text).encode()) > SNS_MESSAGE_MAX_BYTES:
        keep = keep * 9 // 10
        text = full[:keep] + "\n[summary cut: see the report]"
    return SnsSummary(subject=subject, text=text, payload=payload)


def sns_message(payload: Mapping[str, Any], text: str) -> str:
    """The message as `core.notifications.publish` sends it (MessageStructure=json)."""
    return json.dumps({"default": json.dumps(payload), "email": text})
