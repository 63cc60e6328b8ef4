"""The order view's invariants and formatting (pure)."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.orders.views import Address, LineView
from tests.support.orders import sample_lines, sample_view


def test_the_view_formats_in_its_currency() -> None:
    """Formatting itself is `core.money.format_cents` (tested with the reports)."""
    assert sample_view().money(24_169) == "$241.69"
    assert sample_view(currency="EUR").money(-500) == "-€5.00"


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
