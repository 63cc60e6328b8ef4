"""Payments: the `PaymentGateway` interface and the simulated gateway of test mode. The workflow
asks `get_gateway()` for the gateway; tests may `set_gateway()` another.

    base.py       the interface, its results, the error names the ASL retries or catches
    simulated.py  the test-mode card processor with its own payments table

The test tokens and Stripe's test card numbers are `chalicelib.shop.payment_cards` (pure): checkout
refuses a token the card form never issues before reserving stock, and `shop` may not import `orders`.
"""

from __future__ import annotations

from chalicelib.orders.payments.base import (
    PERMANENT_ERROR_NAMES,
    PERMANENT_ERRORS,
    TRANSIENT_ERROR_NAMES,
    TRANSIENT_ERRORS,
    Authorization,
    Capture,
    Card,
    PaymentGateway,
    PaymentRecord,
    Refund,
    order_key,
    seconds_left,
)

_gateway: PaymentGateway | None = None


def get_gateway() -> PaymentGateway:
    """The gateway, built on first use and kept while warm."""
    global _gateway
    if _gateway is None:
        from chalicelib.orders.payments.simulated import SimulatedGateway

        _gateway = SimulatedGateway()
    return _gateway


def set_gateway(gateway: PaymentGateway | None) -> None:
    """Replace the gateway (tests), or forget it so the next call builds the default."""
    global _gateway
    _gateway = gateway


__all__ = [
    "PERMANENT_ERRORS",
    "PERMANENT_ERROR_NAMES",
    "TRANSIENT_ERRORS",
    "TRANSIENT_ERROR_NAMES",
    "Authorization",
    "Capture",
    "Card",
    "PaymentGateway",
    "PaymentRecord",
    "Refund",
    "get_gateway",
    "order_key",
    "seconds_left",
    "set_gateway",
]
