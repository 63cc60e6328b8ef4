"""Money formatting and the order view's invariants (pure)."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.core.money import format_money
from chalicelib.orders.views import Address, LineView
from tests.support.orders import sample_lines, sample_view


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1_234_567, "USD", "$12,345.67"),
        (5, "USD", "$0.05"),
        (-500, "EUR", "-€5.00"),
        (1_500, "JPY", "¥1,500"),
        (995, "CHF", "9.95 CHF"),
        (1_234, "KWD", "1.234 KWD"),
        (0, "gbp", "£0.00"),
    ],
)
def test_format_money(amount: int, currency: str, text: str) -> None:
    assert format_money(amount, currency) == text


def test_format_money_refuses_floats_and_bad_codes() -> None:
    with pytest.raises(TypeError):
        format_money(12.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ISO 4217"):
        format_money(1, "dollars")


def test_a_view_must_add_up() -> None:
    view = sample_view()
    assert view.total_cents == view.subtotal_cents - view.discount_cents + view.delivery_cents
    assert view.units == 15 and view.delivery_label == "Curbside"
    with pytest.raises(ValueError, match="total_cents"):
        sample_view(total_cents=view.total_cents + 1)
    with pytest.raises(ValueError, match="subtotal_cents"):
        sample_view(subtotal_cents=view.subtotal_cents + 1, total_cents=view.total_cents + 1)
    with pytest.raises(ValueError, match="line_total_cents"):
        LineView("p", "P", "w", 2, 100, 201)
    with pytest.raises(ValueError, match="quantity"):
        LineView("p", "P", "w", 0, 100, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        sample_view(placed_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="at least one line"):
        sample_view(lines=())
    with pytest.raises(ValueError, match="ISO 4217"):
        sample_view(currency="XX")
    with pytest.raises(ValueError, match="discount"):
        sample_view(lines=sample_lines()[:1], discount_cents=20_000, delivery_cents=3_000, total_cents=998)


def test_addresses_are_written_the_local_way() -> None:
    us = Address("Ann", "1 Main St", "Springfield", "62704", "US")
    de = Address("Jörg", "Hauptstr. 1", "Berlin", "10115", "DE", "Hinterhaus")
    assert us.lines() == ["Ann", "1 Main St", "Springfield 62704", "US"]
    assert de.lines() == ["Jörg", "Hauptstr. 1", "Hinterhaus", "10115 Berlin", "DE"]
