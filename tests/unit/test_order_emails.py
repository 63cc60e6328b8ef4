"""The order e-mails rendered from an OrderView (jinja2, HTML and text; no SES)."""

from __future__ import annotations

import pytest

from chalicelib.orders import emails
from chalicelib.orders.views import LineView
from tests.support.orders import sample_view

STATUS = "https://shop.example.com/orders/ord-7f3a9c2e?token=t0k"
RECEIPT = "https://shop.example.com/api/orders/ord-7f3a9c2e/receipt?token=t0k"


def both(email: emails.Email) -> list[str]:
    return [email.html, email.text]


def test_confirmation_lists_the_order_links_and_attaches_the_receipt() -> None:
    email = emails.confirmation(sample_view(), status_url=STATUS, receipt_url=RECEIPT, receipt_pdf=b"%PDF-1.4")
    assert email.to == ("zoe@example.com",)
    assert email.subject == "Your Stockroom Demo Shop order ord-7f3a9c2e is confirmed"
    for body in both(email):
        for expected in (
            "KALLAX shelf unit, white",
            "493.857.51",
            "$179.98",
            "$89.99",
            "Café crème mug",
            "$47.40",
            "Subtotal",
            "$251.88",
            "WELCOME10",
            "-$25.19",
            "Curbside",
            "$15.00",
            "$241.69",
            "Thursday, March 6, 2025",
            "12 Main Street",
            "Springfield 62704",
            "pi_30fd1c9991edc21da2a10fb8",
        ):
            assert expected in body, expected
    assert f'href="{STATUS}"' in email.html
    assert RECEIPT in email.text and STATUS in email.text
    assert "attached" in email.text
    (attachment,) = email.attachments
    assert (attachment.filename, attachment.content_type, attachment.data) == (
        "receipt-ord-7f3a9c2e.pdf",
        "application/pdf",
        b"%PDF-1.4",
    )
    assert ("X-Stockroom-Order", "ord-7f3a9c2e") in email.headers


def test_confirmation_without_a_receipt_yet() -> None:
    email = emails.confirmation(sample_view(), status_url=STATUS)
    assert email.attachments == ()
    assert "receipt" not in email.text.lower().replace("receipt (pdf)", "")
    assert "Download the receipt" not in email.html


def test_html_escapes_what_customers_and_admins_typed_and_text_does_not() -> None:
    line = LineView("p-1", "<script>alert(1)</script> & Co", "east", 1, 100, 100)
    view = sample_view(lines=(line,), discount_cents=0, delivery_cents=0, customer_name="Ann <b>")
    email = emails.confirmation(view, status_url='https://x/"onmouseover="bad')
    assert "<script>" not in email.html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in email.html
    assert '"onmouseover="bad' not in email.html
    assert "<script>alert(1)</script> & Co" in email.text


def test_payment_failed_says_why_and_that_nothing_was_charged() -> None:
    email = emails.payment_failed(sample_view(), reason="Your card has insufficient funds.", status_url=STATUS)
    assert email.subject == "Payment failed for your Stockroom Demo Shop order ord-7f3a9c2e"
    for body in both(email):
        assert "Your card has insufficient funds." in body and "Nothing was charged" in body and "$241.69" in body


def test_cancellation_with_and_without_refund() -> None:
    refunded = emails.cancellation(sample_view(), status_url=STATUS, refunded_cents=24_169, reason="As you asked.")
    assert refunded.subject.endswith("is cancelled and refunded")
    for body in both(refunded):
        assert "refunded" in body and "$241.69" in body and "Visa •••• 4242" in body and "As you asked." in body
    unpaid = emails.cancellation(sample_view(), status_url=STATUS)
    assert unpaid.subject.endswith("is cancelled")
    assert "You were not charged" in unpaid.text and "refunded" not in unpaid.text


def test_shipped_with_tracking() -> None:
    email = emails.shipped(
        sample_view(), status_url=STATUS, carrier="UPS", tracking_number="1Z999", tracking_url="https://t/1Z999"
    )
    assert email.subject.endswith("has shipped")
    assert "Tracking (UPS): 1Z999 https://t/1Z999" in email.text
    assert '<a href="https://t/1Z999">1Z999</a>' in email.html


def test_admin_purchase_goes_to_the_admins_with_warehouses() -> None:
    email = emails.admin_purchase(sample_view(), admin_url="https://shop.example.com/admin/#/orders/ord-7f3a9c2e")
    assert email is not None
    assert email.to == ("owner@example.com",)  # ADMIN_EMAILS of the local stage
    assert email.subject == "New order ord-7f3a9c2e: $241.69 from Zoë Łukasiewicz"
    assert "2025-03-03 14:05 EST" in email.text
    assert "from East Coast" in email.text and "East Coast" in email.html
    assert emails.admin_purchase(sample_view(), admin_url="u", recipients=[]) is None


@pytest.mark.parametrize("builder", ["confirmation", "payment_failed", "cancellation", "shipped"])
def test_every_customer_email_has_both_bodies_and_the_order_link(builder: str) -> None:
    kwargs = {"reason": "r"} if builder == "payment_failed" else {}
    email = getattr(emails, builder)(sample_view(), status_url=STATUS, **kwargs)
    assert email.html.lstrip().startswith("<!doctype html>") and "</html>" in email.html
    assert STATUS in email.text and "<table" not in email.text and "<p" not in email.text
    assert "ord-7f3a9c2e" in email.subject
