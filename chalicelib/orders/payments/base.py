"""The payment gateway interface: what the order workflow needs from a card processor.

Every call carries an idempotency key. Calling again with the same key and the same request
returns the first call's outcome (marked `replayed`) instead of acting twice, however the calls
interleave; the same key with a different request is refused (`PaymentIdempotencyConflict`).
Callers derive keys from the order (`order_key(order_id, "authorize")`), so every retry, replay
or restart of an order's workflow lands on the same payment.

Failures are exceptions whose class names the Step Functions ASL can Retry or Catch (in Lambda the
error name is the exception's class name):

- transient, retry with the same key: `PaymentProcessingError`, `PaymentGatewayTimeout`;
- permanent, compensate: `PaymentDeclined` (with `decline_code`), `UnknownPaymentToken`,
  `PaymentStateError`, `PaymentIdempotencyConflict`, `PaymentNotFound`, `ValidationError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.core import errors

TRANSIENT_ERRORS: tuple[type[errors.PaymentError], ...] = (
    errors.PaymentProcessingError,
    errors.PaymentGatewayTimeout,
)
PERMANENT_ERRORS: tuple[type[errors.StockroomError], ...] = (
    errors.PaymentDeclined,
    errors.UnknownPaymentToken,
    errors.PaymentStateError,
    errors.PaymentIdempotencyConflict,
    errors.PaymentNotFound,
    errors.ValidationError,
)
# The names as the ASL writes them in Retry / Catch `ErrorEquals`.
TRANSIENT_ERROR_NAMES: tuple[str, ...] = tuple(e.__name__ for e in TRANSIENT_ERRORS)
PERMANENT_ERROR_NAMES: tuple[str, ...] = tuple(e.__name__ for e in PERMANENT_ERRORS)


def order_key(order_id: str, operation: str) -> str:
    """The idempotency key of one payment operation of one order: `authorize`, `capture`,
    `void`, or `refund:<what for>` (one key per distinct refund)."""
    return f"order:{order_id}:{operation}"


def seconds_left(context: Any, *, margin: float = 1.0) -> float | None:
    """How long the caller can still wait, from a Lambda context, keeping `margin` seconds to
    record the outcome; None without a context."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return max(0.0, float(remaining()) / 1000 - margin)


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str

    @property
    def label(self) -> str:
        """`Visa •••• 4242`: what a receipt or e-mail may show of a card."""
        return f"{self.brand} •••• {self.last4}"


@dataclass(frozen=True)
class Authorization:
    payment_id: str  # the payment reference (receipts, refunds, support)
    order_id: str
    amount_cents: int
    currency: str
    status: str  # AUTHORIZED, or later CAPTURED / VOIDED / REFUNDED when replayed after them
    card: Card
    replayed: bool = False


@dataclass(frozen=True)
class Capture:
    payment_id: str
    amount_cents: int
    currency: str
    replayed: bool = False


@dataclass(frozen=True)
class Refund:
    refund_id: str
    payment_id: str
    amount_cents: int
    currency: str
    refunded_total_cents: int  # all refunds of the payment so far, this one included
    remaining_cents: int  # what can still be refunded
    replayed: bool = False


@dataclass(frozen=True)
class PaymentRecord:
    """A payment as the gateway knows it now."""

    payment_id: str
    order_id: str
    status: str
    amount_cents: int
    captured_cents: int
    refunded_cents: int
    currency: str
    card: Card
    decline_code: str | None = None


class PaymentGateway(Protocol):
    def authorize(
        self,
        *,
        order_id: str,
        amount_cents: int,
        currency: str,
        token: str,
        idempotency_key: str,
        timeout: float | None = None,
    ) -> Authorization:
        """Reserve `amount_cents` on the card behind `token` for `order_id`. `timeout`: how many
        seconds the caller waits for the answer (`seconds_left(context)` in a Lambda)."""
        ...

    def capture(self, *, payment_id: str, idempotency_key: str, amount_cents: int | None = None) -> Capture:
        """Charge an authorized payment (all of it by default, or less). At most once."""
        ...

    def void(self, *, payment_id: str, idempotency_key: str) -> PaymentRecord:
        """Release an authorization that will not be captured (an order cancelled before capture)."""
        ...

    def refund(
        self, *, payment_id: str, idempotency_key: str, amount_cents: int | None = None, reason: str = ""
    ) -> Refund:
        """Give back part (`amount_cents`) or all the rest (None) of a captured payment."""
        ...

    def get(self, payment_id: str) -> PaymentRecord: ...
