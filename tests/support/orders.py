"""An `OrderView` for tests of the receipt and the e-mails: three lines, a promo, delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from chalicelib.orders.views import Address, LineView, OrderView


def sample_lines() -> tuple[LineView, ...]:
    return (
        LineView("493.857.51", "KALLAX shelf unit, white", "east", 2, 8_999, 17_998, warehouse_name="East Coast"),
        LineView("202.758.14", "Desk lamp Łódź", "west", 1, 2_450, 2_450),
        LineView("SKU-3", "Café crème mug", "east", 12, 395, 4_740),
    )


def sample_view(**changes: Any) -> OrderView:
    lines = changes.pop("lines", sample_lines())
    subtotal = sum(line.line_total_cents for line in lines)
    discount = changes.pop("discount_cents", 2_519)
    delivery = changes.pop("delivery_cents", 1_500)
    values: dict[str, Any] = {
        "order_id": "ord-7f3a9c2e",
        "placed_at": datetime(2025, 3, 3, 19, 5, tzinfo=UTC),
        "customer_email": "zoe@example.com",
        "customer_name": "Zoë Łukasiewicz",
        "lines": lines,
        "subtotal_cents": subtotal,
        "discount_cents": discount,
        "promo_code": "WELCOME10",
        "delivery_method": "CURBSIDE",
        "delivery_cents": delivery,
        "total_cents": subtotal - discount + delivery,
        "currency": "USD",
        "shipping_address": Address("Zoë Łukasiewicz", "12 Main Street", "Springfield", "62704", "US", "Apt 4"),
        "estimated_delivery": date(2025, 3, 6),
        "payment_reference": "pi_30fd1c9991edc21da2a10fb8",
        "payment_card": "Visa •••• 4242",
        "status": "CONFIRMED",
    }
    values.update(changes)
    return OrderView(**values)
