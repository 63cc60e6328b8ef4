"""Prices, promo codes and delivery: the arithmetic of a quote. Pure: no AWS.

Amounts are integer cents; prices always come from the catalog. A percent discount is rounded
down to the cent (the shop never gives more than it promised); a fixed discount never exceeds the
subtotal; discounts apply to goods, never to delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

PERCENT = "PERCENT"
FIXED = "FIXED"
PROMO_KINDS = (PERCENT, FIXED)

# Why a code cannot be applied (the `reason` of 422 PromoCodeInvalid), in the order they are tested.
UNKNOWN = "unknown"
INACTIVE = "inactive"
NOT_STARTED = "not_started"
EXPIRED = "expired"
MINIMUM_NOT_MET = "minimum_not_met"
EXHAUSTED = "exhausted"
PER_CUSTOMER_LIMIT = "per_customer_limit"
PROMO_REASONS = (UNKNOWN, INACTIVE, NOT_STARTED, EXPIRED, MINIMUM_NOT_MET, EXHAUSTED, PER_CUSTOMER_LIMIT)

REASON_TEXT = {
    UNKNOWN: "there is no such promo code",
    INACTIVE: "this promo code is not active",
    NOT_STARTED: "this promo code is not valid yet",
    EXPIRED: "this promo code has expired",
    MINIMUM_NOT_MET: "the order is below this promo code's minimum",
    EXHAUSTED: "this promo code has been used up",
    PER_CUSTOMER_LIMIT: "you have already used this promo code as often as it allows",
}


@dataclass(frozen=True)
class PromoTerms:
    code: str
    kind: str
    value: int
    min_subtotal_cents: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_redemptions: int | None = None
    max_per_customer: int | None = None
    active: bool = True
    redemptions: int = 0


def promo_refusal(
    terms: PromoTerms | None, subtotal_cents: int, now: datetime, customer_redemptions: int | None = None
) -> str | None:
    """Why the code cannot be applied to this order now, or None if it can.

    `customer_redemptions` is how often this customer already used it (None: not known yet; the
    order's transaction checks it anyway).
    """
    if terms is None:
        return UNKNOWN
    if not terms.active:
        return INACTIVE
    if terms.starts_at is not None and now < terms.starts_at:
        return NOT_STARTED
    if terms.ends_at is not None and now >= terms.ends_at:
        return EXPIRED
    if subtotal_cents < terms.min_subtotal_cents:
        return MINIMUM_NOT_MET
    if terms.max_redemptions is not None and terms.redemptions >= terms.max_redemptions:
        return EXHAUSTED
    if (
        terms.max_per_customer is not None
        and customer_redemptions is not None
        and customer_redemptions >= terms.max_per_customer
    ):
        return PER_CUSTOMER_LIMIT
    return None


def discount_cents(terms: PromoTerms, subtotal_cents: int) -> int:
    if terms.kind == PERCENT:
        return subtotal_cents * terms.value // 100
    return min(terms.value, subtotal_cents)


@dataclass(frozen=True)
class Totals:
    subtotal_cents: int
    discount_cents: int
    delivery_cents: int

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents + self.delivery_cents


def line_total(unit_price_cents: int, quantity: int) -> int:
    return unit_price_cents * quantity


def estimated_delivery(order_day: str, eta_days: int) -> str:
    """The delivery day: `eta_days` calendar days after the order's business day."""
    return (date.fromisoformat(order_day) + timedelta(days=eta_days)).isoformat()
