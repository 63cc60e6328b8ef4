"""The PDF receipt: rendered with fpdf2 from an `OrderView`, stored privately in the receipts
bucket, handed out through short-lived presigned URLs.

Rendering is deterministic: the same view gives the same bytes (the PDF's creation date is the
order's, its file id a digest of the content), so a retried workflow step rewrites an identical
object under the same key (`receipt_key(order_id)`).

Fonts: fpdf2's core Helvetica with the Windows-1252 encoding, which covers English and Western
European text and the euro and pound signs. Other characters are transliterated (`Łódź` ->
`Lodz`) or shown as `?`; a Unicode TTF would cover every script but would also triple the
deployment package (docs/CONTRACTS.md).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.core import resources, storage
from chalicelib.core.config import get_settings
from chalicelib.orders.views import OrderView

if TYPE_CHECKING:
    from fpdf import FPDF

CONTENT_TYPE = "application/pdf"
_FALLBACK = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "\u0131": "i", "ŀ": "l", "Ŀ": "L",
             "ø": "o", "Ø": "O", "ß": "ss", "\u2009": " ", "\u00a0": " ", "\u202f": " ", "•": "*",
             "\u2212": "-", "→": "->"}  # fmt: skip
INK = (31, 41, 51)
MUTED = (97, 110, 124)
RULE = (228, 231, 235)
ACCENT = (47, 111, 222)


def receipt_key(order_id: str) -> str:
    """Where an order's receipt lives in the receipts bucket (one per order, by its id)."""
    return f"receipts/{order_id}.pdf"


def receipt_filename(order_id: str) -> str:
    return f"receipt-{order_id}.pdf"


def pdf_text(value: str) -> str:
    """`value` in what the core fonts can draw (Windows-1252): as is when it can be, else
    transliterated letter by letter, else `?`. Control characters become spaces."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", value):
        if unicodedata.category(char)[0] == "C":
            out.append(" ")
            continue
        try:
            char.encode("cp1252")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        if char in _FALLBACK:
            out.append(_FALLBACK[char])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            base.encode("cp1252")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def _shop_time(moment: datetime, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%B} {local.day}, {local.year}, {local:%H:%M} {local.tzname()}"


def render_receipt(view: OrderView, *, shop_name: str | None = None, timezone: str | None = None) -> bytes:
    """The receipt of one order as PDF bytes. Shop name and time zone default to the settings."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    settings = get_settings()
    shop = pdf_text(shop_name or settings.shop_name)
    zone = timezone or settings.shop_timezone
    money = view.money

    pdf = FPDF(format="Letter", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_creation_date(view.placed_at)  # deterministic bytes: a re-render is identical
    pdf.set_title(f"Receipt for order {view.order_id}")
    pdf.set_author(shop)
    pdf.set_creator("Stockroom")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    # Header: the shop and the document.
    pdf.set_text_color(*INK)
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(width * 0.6, 9, shop)
    pdf.set_font("helvetica", "B", 13)
    pdf.set_text_color(*ACCENT)
    pdf.cell(width * 0.4, 9, "RECEIPT", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.l_margin + width, pdf.get_y() + 2)
    pdf.ln(6)

    # Order facts (left) and parties (right).
    top = pdf.get_y()
    facts = [
        ("Order", view.order_id),
        ("Date", _shop_time(view.placed_at, zone)),
        ("Payment", view.payment_reference or "pending"),
    ]
    if view.payment_card:
        facts.append(("Card", view.payment_card))
    if view.estimated_delivery:
        eta = view.estimated_delivery
        facts.append(("Estimated delivery", f"{eta:%B} {eta.day}, {eta.year}"))
    _labelled(pdf, facts, x=pdf.l_margin, width=width * 0.5)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.55, top)
    party = [view.customer_name or "", view.customer_email]
    _block(pdf, "Customer", [p for p in party if p], x=pdf.l_margin + width * 0.55, width=width * 0.45)
    if view.shipping_address:
        pdf.ln(2)
        _block(pdf, "Ship to", view.shipping_address.lines(), x=pdf.l_margin + width * 0.55, width=width * 0.45)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)

    # The lines.
    pdf.set_font("helvetica", "", 9.5)
    pdf.set_text_color(*INK)
    headings = FontFace(emphasis="BOLD", color=MUTED, fill_color=(244, 245, 247))
    with pdf.table(
        col_widths=(46, 18, 8, 14, 14),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        borders_layout="HORIZONTAL_LINES",
        headings_style=headings,
        line_height=5.5,
        padding=(1.6, 1.5),
        width=width,
    ) as table:
        header = table.row()
        for title in ("Item", "Warehouse", "Qty", "Unit price", "Amount"):
            header.cell(title)
        for line in view.lines:
            row = table.row()
            row.cell(f"{pdf_text(line.product_name)}\nArt. {pdf_text(line.product_id)}")
            row.cell(pdf_text(line.warehouse))
            row.cell(str(line.quantity))
            row.cell(pdf_text(money(line.unit_price_cents)))
            row.cell(pdf_text(money(line.line_total_cents)))
    pdf.ln(4)

    # Totals, right-aligned under the amounts.
    totals = [("Subtotal", money(view.subtotal_cents))]
    if view.discount_cents:
        label = f"Discount ({view.promo_code})" if view.promo_code else "Discount"
        totals.append((label, money(-view.discount_cents)))
    totals.append((f"Delivery: {view.delivery_label}", money(view.delivery_cents)))
    label_width, amount_width = width * 0.35, width * 0.2
    x = pdf.l_margin + width - label_width - amount_width
    pdf.set_font("helvetica", "", 10)
    for label, amount in totals:
        pdf.set_x(x)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_width, 6, pdf_text(label))
        pdf.set_text_color(*INK)
        pdf.cell(amount_width, 6, pdf_text(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.line(x, pdf.get_y() + 1, pdf.l_margin + width, pdf.get_y() + 1)
    pdf.ln(2.5)
    pdf.set_x(x)
    pdf.set_font("helvetica", "B", 12)
    pdf.cell(label_width, 8, "Total")
    pdf.cell(amount_width, 8, pdf_text(money(view.total_cents)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.set_x(x)
    pdf.cell(label_width + amount_width, 5, f"Amounts in {view.currency}", align="R", new_x="LMARGIN", new_y="NEXT")

    pdf.ln(10)
    pdf.set_font("helvetica", "", 9)
    pdf.multi_cell(
        width,
        5,
        pdf_text(
            f"Thank you for shopping with {shop}. Keep this receipt for returns and warranty claims; "
            f"quote order {view.order_id} when you contact us."
        ),
    )
    return bytes(pdf.output())


def _labelled(pdf: FPDF, facts: list[tuple[str, str]], *, x: float, width: float) -> None:
    for label, value in facts:
        pdf.set_x(x)
        pdf.set_font("helvetica", "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(32, 5.5, pdf_text(label))
        pdf.set_font("helvetica", "B" if label == "Order" else "", 9.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(width - 32, 5.5, pdf_text(value), new_x="LMARGIN", new_y="NEXT")


def _block(pdf: FPDF, title: str, lines: list[str], *, x: float, width: float) -> None:
    pdf.set_x(x)
    pdf.set_font("helvetica", "", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5.5, title, new_x="LEFT", new_y="NEXT")
    pdf.set_font("helvetica", "", 9.5)
    pdf.set_text_color(*INK)
    for text in lines:
        pdf.set_x(x)
        pdf.multi_cell(width, 5, pdf_text(text), new_x="LEFT", new_y="NEXT")


def store_receipt(view: OrderView, *, pdf: bytes | None = None) -> storage.StoredObject:
    """Render (unless given) and store an order's receipt privately; returns where it is.
    Idempotent: the key is the order's and the bytes are deterministic."""
    data = pdf if pdf is not None else render_receipt(view)
    return storage.put_private(
        resources.RECEIPTS_BUCKET,
        receipt_key(view.order_id),
        data,
        content_type=CONTENT_TYPE,
        metadata={"order-id": view.order_id},
    )


def receipt_url(order_id: str, *, expires_in: int = storage.DEFAULT_LINK_SECONDS) -> str:
    """A short-lived presigned URL of an order's receipt (for `GET /orders/{id}/receipt`, which
    checks who asks first and then redirects here)."""
    return storage.presigned_get(
        resources.RECEIPTS_BUCKET,
        receipt_key(order_id),
        expires_in=expires_in,
        download_name=receipt_filename(order_id),
    )


def load_receipt(order_id: str) -> bytes:
    """The stored receipt's bytes (to attach it to an e-mail without rendering it again)."""
    return storage.get_object(resources.RECEIPTS_BUCKET, receipt_key(order_id))
