"""Promo rules, discounts, totals, ETA, and the order state machine: pure (issue 9 §2, §5, §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.shop import order_status, pricing
from chalicelib.shop.pricing import PromoTerms, discount_cents, estimated_delivery, promo_refusal

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
TEN = PromoTerms("WELCOME10", pricing.PERCENT, 10)


@pytest.mark.parametrize(
    "terms, subtotal, used, reason",
    [
        (None, 100, None, "unknown"),
        (PromoTerms("X", "PERCENT", 10, active=False), 100, None, "inactive"),
        (PromoTerms("X", "PERCENT", 10, starts_at=NOW + timedelta(seconds=1)), 100, None, "not_started"),
        (PromoTerms("X", "PERCENT", 10, ends_at=NOW), 100, None, "expired"),
        (PromoTerms("X", "PERCENT", 10, min_subtotal_cents=101), 100, None, "minimum_not_met"),
        (PromoTerms("X", "PERCENT", 10, max_redemptions=5, redemptions=5), 100, None, "exhausted"),
        (PromoTerms("X", "PERCENT", 10, max_per_customer=1), 100, 1, "per_customer_limit"),
        (PromoTerms("X", "PERCENT", 10, max_per_customer=2), 100, 1, None),
        (PromoTerms("X", "PERCENT", 10, max_per_customer=1), 100, None, None),
        (PromoTerms("X", "PERCENT", 10, starts_at=NOW, ends_at=NOW + timedelta(days=1)), 100, None, None),
        (TEN, 0, None, None),
    ],
)
def test_promo_refusal_reasons(terms: PromoTerms | None, subtotal: int, used: int | None, reason: str | None) -> None:
    assert promo_refusal(terms, subtotal, NOW, used) == reason
    assert reason is None or reason in pricing.PROMO_REASONS


def test_discounts() -> None:
    assert discount_cents(TEN, 1999) == 199  # rounded down: never more than promised
    assert discount_cents(PromoTerms("F", pricing.FIXED, 500), 1999) == 500
    assert discount_cents(PromoTerms("F", pricing.FIXED, 5000), 1999) == 1999  # never below zero


@given(st.integers(0, 10**9), st.integers(1, 100), st.integers(1, 10**9))
def test_discount_never_exceeds_the_subtotal(subtotal: int, percent: int, fixed: int) -> None:
    for terms in (PromoTerms("P", pricing.PERCENT, percent), PromoTerms("F", pricing.FIXED, fixed)):
        assert 0 <= discount_cents(terms, subtotal) <= subtotal


def test_totals_and_eta() -> None:
    totals = pricing.Totals(subtotal_cents=5000, discount_cents=500, delivery_cents=2900)
    assert totals.total_cents == 7400
    assert estimated_delivery("2025-02-27", 3) == "2025-03-02"  # across a month end


def test_order_state_machine() -> None:
    assert order_status.can_move("PLACED", "CANCELLED") and order_status.can_move("PLACED", "PAID")
    assert order_status.can_move("PAID", "CONFIRMED") and order_status.can_move("CONFIRMED", "SHIPPED")
    assert order_status.can_move("SHIPPED", "DELIVERED") and order_status.can_move("PLACED", "PAYMENT_FAILED")
    assert not order_status.can_move("CANCELLED", "PLACED")
    assert not order_status.can_move("SHIPPED", "CANCELLED")
    assert not order_status.can_move("PLACED", "SHIPPED")
    assert all(order_status.is_final(s) for s in ("DELIVERED", "PAYMENT_FAILED", "CANCELLED", "FULFILLED"))
    assert set(order_status.TRANSITIONS) >= set(order_status.STATUSES)
    assert {"PLACED", "PAID", "CONFIRMED"} == order_status.CUSTOMER_CANCELLABLE  # refunded after payment
