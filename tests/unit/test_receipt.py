"""The PDF receipt (fpdf2), parsed back with pypdf: every line, the totals, the facts."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from chalicelib.orders.receipts import pdf_text, receipt_filename, receipt_key, render_receipt
from chalicelib.orders.views import LineView
from tests.support.orders import sample_view


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_receipt_shows_every_fact_line_and_total() -> None:
    view = sample_view()
    pdf = render_receipt(view, shop_name="Corner Hardware", timezone="America/New_York")
    assert pdf.startswith(b"%PDF-")
    text = squeezed(text_of(pdf))
    for expected in (
        "Corner Hardware",
        "RECEIPT",
        "ord-7f3a9c2e",
        "March 3, 2025, 14:05 EST",  # 19:05 UTC in the shop's zone
        "zoe@example.com",
        "12 Main Street",
        "Springfield 62704",
        "pi_30fd1c9991edc21da2a10fb8",
        "Visa •••• 4242",
        "March 6, 2025",
        "Subtotal $251.88",
        "Discount (WELCOME10) -$25.19",
        "Delivery: Curbside $15.00",
        "Total $241.69",
        "Amounts in USD",
    ):
        assert expected in text, expected
    # Each line: name, article, warehouse, quantity, unit and line prices, in that order.
    assert re.search(r"KALLAX shelf unit, white Art\. 493\.857\.51 East Coast 2 \$89\.99 \$179\.98", text), text
    assert re.search(r"Desk lamp Lódz Art\. 202\.758\.14 west 1 \$24\.50 \$24\.50", text), text
    assert re.search(r"Café crème mug Art\. SKU-3 east 12 \$3\.95 \$47\.40", text), text
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == "Receipt for order ord-7f3a9c2e"


def test_receipt_uses_the_orders_currency() -> None:
    lines = (LineView("p-1", "Stuhl", "berlin", 3, 4_950, 14_850),)
    view = sample_view(lines=lines, discount_cents=0, promo_code=None, delivery_cents=990, currency="EUR")
    text = squeezed(text_of(render_receipt(view, shop_name="Laden", timezone="Europe/Berlin")))
    assert "Stuhl Art. p-1 berlin 3 €49.50 €148.50" in text
    assert "Total €158.40" in text and "Discount" not in text and "Amounts in EUR" in text
    assert "March 3, 2025, 20:05 CET" in text


def test_rendering_is_deterministic() -> None:
    """A retried workflow step rewrites an identical object."""
    assert render_receipt(sample_view()) == render_receipt(sample_view())
    assert render_receipt(sample_view()) != render_receipt(sample_view(payment_reference="pi_other"))


def test_a_long_order_flows_onto_more_pages_with_the_total_at_the_end() -> None:
    lines = tuple(LineView(f"art-{n:03d}", f"Product number {n}", "east", 1, 100 + n, 100 + n) for n in range(80))
    view = sample_view(lines=lines, discount_cents=0, promo_code=None)
    pdf = render_receipt(view)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    all_text = squeezed(text_of(pdf))
    assert all(f"art-{n:03d}" in all_text for n in range(80))
    assert f"Total {view.money(view.total_cents)}" in squeezed(reader.pages[-1].extract_text())


def test_text_outside_the_core_fonts_is_transliterated_not_fatal() -> None:
    assert pdf_text("Łódź") == "Lódz"
    assert pdf_text("Zoë €5 “quoted”") == "Zoë €5 “quoted”"  # all in Windows-1252
    assert pdf_text("李 Ωmega\x07") == "? ?mega "
    view = sample_view(customer_name="李小龙 Ünal", shipping_address=None)
    assert "? Ünal" in text_of(render_receipt(view)).replace("???", "?")


def test_keys_and_names() -> None:
    assert receipt_key("ord-1") == "receipts/ord-1.pdf"
    assert receipt_filename("ord-1") == "receipt-ord-1.pdf"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_poppler_renders_it(tmp_path: Path) -> None:
    (tmp_path / "r.pdf").write_bytes(render_receipt(sample_view()))
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "r")], check=True)
    assert (tmp_path / "r-1.png").stat().st_size > 5_000
