"""A card processor in test mode, keeping its payments in its own DynamoDB table.

It behaves by token (`cards.TOKENS`) as a real processor's test mode does, and keeps a real
processor's promises: an idempotency key is claimed with a conditional write, so concurrent
duplicates and retries observe one outcome; a payment is captured at most once (the capture is
guarded by `status = AUTHORIZED`); refunds never exceed what was captured (guarded by the refunded
total the refund was computed from).

An authorization's life under one idempotency key:

    request 1 ─▶ claim: put `pi_<key digest>` if absent ─▶ PENDING, attempts=1 ─▶ outcome ─▶ AUTHORIZED
    request 2 ─▶ claim fails, item is final ─────────────────────────────────▶ replay the outcome
    (PENDING is left only by a transient failure: the next request claims it again, attempts+1)

`tok_processingError` fails transiently on attempts 1 and 2 and succeeds on the 3rd.
`tok_timeout` carries out attempt 1 (the payment is AUTHORIZED) and then answers only after the
caller's deadline, as a processor whose reply is lost would; the caller's retry replays the
authorization: the card is charged once.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.core import idempotency
from chalicelib.core.db import Cancelled, transact, utcnow
from chalicelib.core.errors import (
    PaymentDeclined,
    PaymentGatewayTimeout,
    PaymentIdempotencyConflict,
    PaymentNotFound,
    PaymentProcessingError,
    PaymentStateError,
    UnknownPaymentToken,
    ValidationError,
)
from chalicelib.core.observability import logger
from chalicelib.orders.payments.base import Authorization, Capture, Card, PaymentRecord, Refund
from chalicelib.shop import payment_cards as cards

if TYPE_CHECKING:
    from chalicelib.orders.models import Payment

PENDING, AUTHORIZED, DECLINED, CAPTURED, VOIDED, REFUNDED = (
    "PENDING",
    "AUTHORIZED",
    "DECLINED",
    "CAPTURED",
    "VOIDED",
    "REFUNDED",
)
MAX_AMOUNT_CENTS = 99_999_999  # what a card processor takes in one payment ($999,999.99)
TRANSIENT_FAILURES = 2  # tok_processingError: failures before success, per idempotency key
DEFAULT_ANSWER_TIMEOUT = 10.0  # seconds a caller that names no timeout is assumed to wait
TIMEOUT_OVERSHOOT = 0.25  # how far past the caller's deadline tok_timeout answers
REFUND_ATTEMPTS = 8  # concurrent refunds of one payment: re-read and try again this often
_TOKEN_SHAPE = re.compile(r"tok_[A-Za-z0-9_]{1,64}", re.ASCII)  # fullmatch: `$` passes "\n"
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)


class SimulatedGateway:
    """The `PaymentGateway` of test mode. `sleep` and `clock` are injectable for tests."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utcnow,
        answer_timeout: float = DEFAULT_ANSWER_TIMEOUT,
    ) -> None:
        self._sleep = sleep
        self._clock = clock
        self._answer_timeout = answer_timeout

    # --- authorize ------------------------------------------------------------------------

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
        from pynamodb.exceptions import UpdateError

        from chalicelib.orders.models import Payment

        _check_key(idempotency_key)
        _check_amount(amount_cents, "amount_cents")
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            raise ValidationError("currency", "must be an ISO 4217 code in capitals, e.g. USD")
        if not order_id:
            raise ValidationError("order_id", "is required")
        spec = cards.TOKENS.get(token) if isinstance(token, str) else None
        if spec is None:
            # Echo the token only if it looks like one: a card number pasted as a token must
            # never reach a message or a log line.
            shown = f" {token!r}" if isinstance(token, str) and _TOKEN_SHAPE.fullmatch(token) else ""
            raise UnknownPaymentToken(
                f"unknown payment token{shown}: pay with a token from the card form (test mode: tok_visa, ...)"
            )

        payment_id = _derived_id("pi", "authorize", idempotency_key)
        fingerprint = idempotency.fingerprint(
            {"order_id": order_id, "amount_cents": amount_cents, "currency": currency, "token": token}
        )
        now = self._clock()
        payment = Payment(payment_id)
        try:
            # Claim the key: create the payment, or take another turn at one still PENDING after a
            # transient failure. A final payment (or another request's) fails the condition.
            payment.update(
                actions=[
                    Payment.kind.set("payment"),
                    Payment.order_id.set(order_id),
                    Payment.fingerprint.set(fingerprint),
                    Payment.status.set(Payment.status | PENDING),
                    Payment.amount_cents.set(amount_cents),
                    Payment.currency.set(currency),
                    Payment.token.set(token),
                    Payment.card_brand.set(spec.brand),
                    Payment.card_last4.set(spec.last4),
                    Payment.attempts.add(1),
                    Payment.captured_cents.set(Payment.captured_cents | 0),
                    Payment.refunded_cents.set(Payment.refunded_cents | 0),
                    Payment.created_at.set(Payment.created_at | now),
                    Payment.updated_at.set(now),
                ],
                condition=Payment.payment_id.does_not_exist()
                | ((Payment.fingerprint == fingerprint) & (Payment.status == PENDING)),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return self._replay_authorization(payment_id, fingerprint)

        attempt = int(payment.attempts)
        if spec.behaviour is cards.Behaviour.PROCESSING_ERROR and attempt <= TRANSIENT_FAILURES:
            logger.info("payment processing error (simulated)", extra={"payment_id": payment_id, "attempt": attempt})
            raise PaymentProcessingError(
                "the card processor had a temporary problem; retry with the same idempotency key",
                paymentId=payment_id,
            )
        if spec.behaviour is cards.Behaviour.DECLINE:
            return self._finish(payment_id, DECLINED, decline_code=spec.decline_code)  # raises PaymentDeclined
        authorization = self._finish(payment_id, AUTHORIZED)
        if spec.behaviour is cards.Behaviour.TIMEOUT and attempt == 1:
            # The processor authorized the payment, but its answer arrives after the caller gave
            # up: in Lambda the task times out (Step Functions retries it); elsewhere the caller
            # gets the timeout error once its deadline has passed.
            wait = (self._answer_timeout if timeout is None else max(0.0, timeout)) + TIMEOUT_OVERSHOOT
            logger.info("payment answer delayed (simulated)", extra={"payment_id": payment_id, "seconds": wait})
            self._sleep(wait)
            raise PaymentGatewayTimeout(
                "the card processor did not answer in time; retry with the same idempotency key",
                paymentId=payment_id,
            )
        return authorization

    def _finish(self, payment_id: str, status: str, *, decline_code: str | None = None) -> Authorization:
        """Record the outcome of a PENDING payment; the first outcome recorded wins."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.orders.models import Payment

        payment = Payment(payment_id)
        actions: list[Any] = [Payment.status.set(status), Payment.updated_at.set(self._clock())]
        if decline_code:
            actions.append(Payment.decline_code.set(decline_code))
        try:
            payment.update(actions=actions, condition=Payment.status == PENDING)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            payment = _load(payment_id)  # a concurrent duplicate recorded it first
            return _authorization(payment, replayed=True)
        logger.info(
            "payment authorization", extra={"payment_id": payment_id, "status": status, "decline_code": decline_code}
        )
        return _authorization(payment, replayed=False)

    def _replay_authorization(self, payment_id: str, fingerprint: str) -> Authorization:
        payment = _load(payment_id)
        if payment.fingerprint != fingerprint:
            raise PaymentIdempotencyConflict(
                "this idempotency key was already used for a different payment request", paymentId=payment_id
            )
        return _authorization(payment, replayed=True)

    # --- capture, void --------------------------------------------------------------------

    def capture(self, *, payment_id: str, idempotency_key: str, amount_cents: int | None = None) -> Capture:
        from pynamodb.exceptions import UpdateError

        from chalicelib.orders.models import Payment

        _check_key(idempotency_key)
        payment = _load(payment_id)
        amount = int(payment.amount_cents) if amount_cents is None else amount_cents
        _check_amount(amount, "amount_cents")
        if amount > int(payment.amount_cents):
            raise PaymentStateError(
                f"cannot capture {amount}: only {int(payment.amount_cents)} was authorized", paymentId=payment_id
            )
        for _ in range(2):
            if payment.status in (CAPTURED, REFUNDED):
                if payment.capture_key == idempotency_key and (
                    amount_cents is None or amount == payment.captured_cents
                ):
                    return Capture(payment_id, int(payment.captured_cents), str(payment.currency), replayed=True)
                raise PaymentStateError("this payment is already captured", paymentId=payment_id)
            if payment.status != AUTHORIZED:
                raise PaymentStateError(
                    f"this payment is {payment.status}; only an authorized payment can be captured",
                    paymentId=payment_id,
                )
            try:
                # At most one capture, whoever calls: the write happens only while AUTHORIZED.
                Payment(payment_id).update(
                    actions=[
                        Payment.status.set(CAPTURED),
                        Payment.captured_cents.set(amount),
                        Payment.capture_key.set(idempotency_key),
                        Payment.updated_at.set(self._clock()),
                    ],
                    condition=Payment.status == AUTHORIZED,
                )
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
                payment = _load(payment_id)  # captured or voided meanwhile: decide on what it is now
                continue
            logger.info("payment captured", extra={"payment_id": payment_id, "amount_cents": amount})
            return Capture(payment_id, amount, str(payment.currency))
        raise PaymentStateError(f"this payment is {payment.status}", paymentId=payment_id)

    def void(self, *, payment_id: str, idempotency_key: str) -> PaymentRecord:
        from pynamodb.exceptions import UpdateError

        from chalicelib.orders.models import Payment

        _check_key(idempotency_key)
        try:
            Payment(payment_id).update(
                actions=[
                    Payment.status.set(VOIDED),
                    Payment.void_key.set(idempotency_key),
                    Payment.updated_at.set(self._clock()),
                ],
                condition=(Payment.status == AUTHORIZED) & (Payment.kind == "payment"),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            payment = _load(payment_id)
            if payment.status == VOIDED and payment.void_key == idempotency_key:
                return _record(payment)
            raise PaymentStateError(
                f"this payment is {payment.status}; only an authorized, uncaptured payment can be voided",
                paymentId=payment_id,
            ) from None
        logger.info("payment voided", extra={"payment_id": payment_id})
        return _record(_load(payment_id))

    # --- refund ---------------------------------------------------------------------------

    def refund(
        self, *, payment_id: str, idempotency_key: str, amount_cents: int | None = None, reason: str = ""
    ) -> Refund:
        from chalicelib.orders.models import Payment

        _check_key(idempotency_key)
        if amount_cents is not None:
            _check_amount(amount_cents, "amount_cents")
        refund_id = _derived_id("re", "refund", idempotency_key)
        fingerprint = idempotency.fingerprint({"payment_id": payment_id, "amount_cents": amount_cents})
        for _ in range(REFUND_ATTEMPTS):
            # Read the payment, then look for this key's refund: a refund committed after that
            # look is not in the total we read, so a duplicate (even a concurrent one) replays
            # the refund instead of being refused as one refund too many.
            payment = _load(payment_id)
            replay = _replay_refund(refund_id, fingerprint)
            if replay:
                return replay
            if payment.status not in (CAPTURED, REFUNDED):
                raise PaymentStateError(
                    f"this payment is {payment.status}; only a captured payment can be refunded"
                    + (" (void the authorization instead)" if payment.status == AUTHORIZED else ""),
                    paymentId=payment_id,
                )
            captured, seen = int(payment.captured_cents), int(payment.refunded_cents)
            remaining = captured - seen
            amount = remaining if amount_cents is None else amount_cents
            if remaining == 0:
                raise PaymentStateError("this payment is already refunded in full", paymentId=payment_id)
            if amount > remaining:
                raise PaymentStateError(
                    f"cannot refund {amount}: only {remaining} of {captured} captured is left to refund",
                    paymentId=payment_id,
                    remainingCents=remaining,
                )
            now = self._clock()
            refunded = seen + amount
            # The refund's own item claims the idempotency key ...
            item = Payment(
                refund_id,
                kind="refund",
                order_id=payment.order_id,
                fingerprint=fingerprint,
                status="SUCCEEDED",
                amount_cents=amount,
                currency=payment.currency,
                refund_of=payment_id,
                reason=reason[:200] or None,
                created_at=now,
                updated_at=now,
            )
            # ... and the payment's refunded total moves only from the value this refund was
            # computed from, so concurrent refunds can never add up past what was captured.
            total = [
                Payment.refunded_cents.set(refunded),
                Payment.status.set(REFUNDED if refunded == captured else CAPTURED),
                Payment.updated_at.set(now),
            ]
            unchanged = (Payment.refunded_cents == seen) & Payment.status.is_in(CAPTURED, REFUNDED)

            def build(tx: Any, item: Payment = item, total: list[Any] = total, unchanged: Any = unchanged) -> None:
                tx.save(item, condition=Payment.payment_id.does_not_exist())
                tx.update(Payment(payment_id), actions=total, condition=unchanged)

            try:
                transact(build)
            except Cancelled:
                # The refund item exists (a duplicate) or another refund moved the total: the next
                # turn replays the first, or computes again from the total as it is now.
                continue
            logger.info("payment refunded", extra={"payment_id": payment_id, "refund_id": refund_id, "amount": amount})
            return Refund(refund_id, payment_id, amount, str(payment.currency), refunded, captured - refunded)
        raise PaymentProcessingError("the payment is busy with other refunds; try again", paymentId=payment_id)

    def get(self, payment_id: str) -> PaymentRecord:
        return _record(_load(payment_id))


# --- helpers --------------------------------------------------------------------------------


def _derived_id(prefix: str, operation: str, key: str) -> str:
    """The item id an idempotency key claims: the same key always names the same item."""
    return f"{prefix}_" + hashlib.sha256(f"{operation}\x00{key}".encode()).hexdigest()[:24]


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= 255 or not key.isprintable():
        raise ValidationError("idempotency_key", "must be 1-255 printable characters")


def _check_amount(amount: int, field: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT_CENTS:
        raise ValidationError(field, f"must be a whole number of cents from 1 to {MAX_AMOUNT_CENTS}")


def _load(payment_id: str) -> Payment:
    from chalicelib.orders.models import Payment

    try:
        payment = Payment.get(payment_id, consistent_read=True)
    except Payment.DoesNotExist:
        raise PaymentNotFound(f"no payment {payment_id}", paymentId=payment_id) from None
    if payment.kind != "payment":
        raise PaymentNotFound(f"{payment_id} is not a payment", paymentId=payment_id)
    return payment


def _card(payment: Payment) -> Card:
    return Card(str(payment.card_brand or "Card"), str(payment.card_last4 or "????"))


def _authorization(payment: Payment, *, replayed: bool) -> Authorization:
    if payment.status == DECLINED:
        code = str(payment.decline_code or "generic_decline")
        raise PaymentDeclined(cards.decline_message(code), decline_code=code, paymentId=payment.payment_id)
    if payment.status == PENDING:  # claimed by a concurrent request that has not finished yet
        raise PaymentProcessingError(
            "this payment is still being processed; retry with the same idempotency key",
            paymentId=payment.payment_id,
        )
    return Authorization(
        payment_id=str(payment.payment_id),
        order_id=str(payment.order_id),
        amount_cents=int(payment.amount_cents),
        currency=str(payment.currency),
        status=str(payment.status),
        card=_card(payment),
        replayed=replayed,
    )


def _record(payment: Payment) -> PaymentRecord:
    return PaymentRecord(
        payment_id=str(payment.payment_id),
        order_id=str(payment.order_id),
        status=str(payment.status),
        amount_cents=int(payment.amount_cents),
        captured_cents=int(payment.captured_cents or 0),
        refunded_cents=int(payment.refunded_cents or 0),
        currency=str(payment.currency),
        card=_card(payment),
        decline_code=payment.decline_code,
    )


def _replay_refund(refund_id: str, fingerprint: str) -> Refund | None:
    from chalicelib.orders.models import Payment

    try:
        refund = Payment.get(refund_id, consistent_read=True)
    except Payment.DoesNotExist:
        return None
    if refund.fingerprint != fingerprint:
        raise PaymentIdempotencyConflict(
            "this idempotency key was already used for a different refund", refundId=refund_id
        )
    payment = _load(str(refund.refund_of))
    captured, refunded = int(payment.captured_cents), int(payment.refunded_cents)
    return Refund(
        refund_id,
        str(refund.refund_of),
        int(refund.amount_cents),
        str(refund.currency),
        refunded,
        captured - refunded,
        replayed=True,
    )
