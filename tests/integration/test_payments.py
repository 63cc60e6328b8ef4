"""The simulated payment gateway against moto: each test token's behaviour, idempotent replays,
at-most-once capture, refunds that never exceed the capture, concurrent duplicates."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

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
from chalicelib.orders.models import Payment
from chalicelib.orders.payments import order_key
from chalicelib.orders.payments.simulated import TIMEOUT_OVERSHOOT, SimulatedGateway

pytestmark = pytest.mark.usefixtures("empty_tables")
TABLES = [Payment]


def payment_items() -> list[Any]:
    return list(Payment.scan(consistent_read=True))


def authorize(gateway: SimulatedGateway, token: str = "tok_visa", *, order: str = "o-1", **kwargs: Any) -> Any:
    args: dict[str, Any] = {
        "order_id": order,
        "amount_cents": 12_345,
        "currency": "USD",
        "token": token,
        "idempotency_key": order_key(order, "authorize"),
    }
    return gateway.authorize(**{**args, **kwargs})


class Sleeps:
    """Records the waits instead of sleeping (unit speed for the timeout token)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


# --- authorize ------------------------------------------------------------------------------


def test_visa_is_authorized_and_a_replay_returns_the_same_payment() -> None:
    gateway = SimulatedGateway()
    first = authorize(gateway)
    assert first.status == "AUTHORIZED" and not first.replayed
    assert first.amount_cents == 12_345 and first.currency == "USD" and first.order_id == "o-1"
    assert first.card.label == "Visa •••• 4242"
    again = authorize(gateway)
    assert again.replayed and again.payment_id == first.payment_id
    (item,) = payment_items()
    assert item.attempts == 1 and item.status == "AUTHORIZED"


def test_a_key_reused_for_another_request_is_refused() -> None:
    gateway = SimulatedGateway()
    authorize(gateway)
    with pytest.raises(PaymentIdempotencyConflict):
        authorize(gateway, amount_cents=99)
    with pytest.raises(PaymentIdempotencyConflict):
        authorize(gateway, token="tok_mastercard")


@pytest.mark.parametrize(
    ("token", "code", "message"),
    [
        ("tok_chargeDeclined", "generic_decline", "Your card was declined."),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
        ("tok_chargeDeclinedExpiredCard", "expired_card", "Your card has expired."),
    ],
)
def test_declines_are_permanent_and_replayed_as_declines(token: str, code: str, message: str) -> None:
    gateway = SimulatedGateway()
    with pytest.raises(PaymentDeclined) as declined:
        authorize(gateway, token)
    assert declined.value.decline_code == code and declined.value.message == message
    assert type(declined.value).__name__ == "PaymentDeclined"  # the ASL's Catch names it
    with pytest.raises(PaymentDeclined) as again:
        authorize(gateway, token)
    assert again.value.details["paymentId"] == declined.value.details["paymentId"]
    (item,) = payment_items()
    assert item.status == "DECLINED" and item.decline_code == code
    with pytest.raises(PaymentStateError):
        gateway.capture(payment_id=item.payment_id, idempotency_key="c")


def test_processing_error_fails_twice_then_succeeds_once() -> None:
    gateway = SimulatedGateway()
    for _ in range(2):
        with pytest.raises(PaymentProcessingError):
            authorize(gateway, "tok_processingError")
    third = authorize(gateway, "tok_processingError")
    assert third.status == "AUTHORIZED" and not third.replayed
    fourth = authorize(gateway, "tok_processingError")
    assert fourth.replayed and fourth.payment_id == third.payment_id
    (item,) = payment_items()
    assert item.attempts == 3


def test_timeout_answers_past_the_callers_deadline_once_and_the_retry_charges_nothing_more() -> None:
    sleeps = Sleeps()
    gateway = SimulatedGateway(sleep=sleeps)
    with pytest.raises(PaymentGatewayTimeout):
        authorize(gateway, "tok_timeout", timeout=2.0)
    assert sleeps.waits == [2.0 + TIMEOUT_OVERSHOOT]  # past the deadline the caller gave
    (item,) = payment_items()
    assert item.status == "AUTHORIZED"  # the processor did it; only the answer was lost
    retry = authorize(gateway, "tok_timeout", timeout=2.0)
    assert retry.replayed and retry.payment_id == item.payment_id
    assert sleeps.waits == [2.0 + TIMEOUT_OVERSHOOT]  # answered at once this time
    gateway.capture(payment_id=retry.payment_id, idempotency_key=order_key("o-1", "capture"))
    assert len(payment_items()) == 1


def test_timeout_really_exceeds_a_short_deadline() -> None:
    gateway = SimulatedGateway()
    started = time.monotonic()
    with pytest.raises(PaymentGatewayTimeout):
        authorize(gateway, "tok_timeout", timeout=0.1)
    assert time.monotonic() - started > 0.1


def test_timeout_deadline_comes_from_the_lambda_context() -> None:
    from chalicelib.orders.payments import seconds_left

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 5_000

    sleeps = Sleeps()
    with pytest.raises(PaymentGatewayTimeout):
        authorize(SimulatedGateway(sleep=sleeps), "tok_timeout", timeout=seconds_left(Context(), margin=1.0))
    assert sleeps.waits == [4.0 + TIMEOUT_OVERSHOOT]
    assert seconds_left(object()) is None


def test_unknown_tokens_are_refused_clearly_and_card_numbers_never_echoed() -> None:
    gateway = SimulatedGateway()
    with pytest.raises(UnknownPaymentToken, match="tok_bogus"):
        authorize(gateway, "tok_bogus")
    with pytest.raises(UnknownPaymentToken) as pasted:
        authorize(gateway, "4242424242424242")
    assert "4242" not in str(pasted.value.to_dict())
    assert payment_items() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_cents": 0}, "amount_cents"),
        ({"amount_cents": 10.5}, "amount_cents"),
        ({"amount_cents": True}, "amount_cents"),
        ({"currency": "usd"}, "currency"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_bad_requests_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as bad:
        authorize(SimulatedGateway(), **change)
    assert bad.value.details["field"] == field


# --- capture and void -----------------------------------------------------------------------


def test_capture_happens_once() -> None:
    gateway = SimulatedGateway()
    payment = authorize(gateway)
    key = order_key("o-1", "capture")
    first = gateway.capture(payment_id=payment.payment_id, idempotency_key=key)
    assert first.amount_cents == 12_345 and not first.replayed
    assert gateway.capture(payment_id=payment.payment_id, idempotency_key=key).replayed
    with pytest.raises(PaymentStateError, match="already captured"):
        gateway.capture(payment_id=payment.payment_id, idempotency_key="another key")
    record = gateway.get(payment.payment_id)
    assert record.status == "CAPTURED" and record.captured_cents == 12_345
    # A replayed authorization still names the payment, now captured:
    assert authorize(gateway).status == "CAPTURED"


def test_capture_refuses_more_than_authorized_and_unknown_payments() -> None:
    gateway = SimulatedGateway()
    payment = authorize(gateway)
    with pytest.raises(PaymentStateError, match="only 12345 was authorized"):
        gateway.capture(payment_id=payment.payment_id, idempotency_key="k", amount_cents=12_346)
    with pytest.raises(PaymentNotFound):
        gateway.capture(payment_id="pi_nope", idempotency_key="k")


def test_void_releases_an_authorization_and_blocks_its_capture() -> None:
    gateway = SimulatedGateway()
    payment = authorize(gateway)
    assert gateway.void(payment_id=payment.payment_id, idempotency_key="v").status == "VOIDED"
    assert gateway.void(payment_id=payment.payment_id, idempotency_key="v").status == "VOIDED"  # replay
    with pytest.raises(PaymentStateError, match="VOIDED"):
        gateway.capture(payment_id=payment.payment_id, idempotency_key="c")


# --- refunds --------------------------------------------------------------------------------


def captured(gateway: SimulatedGateway, amount: int = 1_000) -> str:
    payment = authorize(gateway, amount_cents=amount)
    gateway.capture(payment_id=payment.payment_id, idempotency_key="capture")
    return str(payment.payment_id)


def test_partial_then_full_refund_and_replays_change_nothing() -> None:
    gateway = SimulatedGateway()
    payment_id = captured(gateway)
    part = gateway.refund(payment_id=payment_id, idempotency_key="r1", amount_cents=300, reason="damaged")
    assert (part.amount_cents, part.refunded_total_cents, part.remaining_cents) == (300, 300, 700)
    assert gateway.get(payment_id).status == "CAPTURED"
    replay = gateway.refund(payment_id=payment_id, idempotency_key="r1", amount_cents=300)
    assert replay.replayed and replay.refund_id == part.refund_id and replay.refunded_total_cents == 300
    rest = gateway.refund(payment_id=payment_id, idempotency_key="r2")
    assert (rest.amount_cents, rest.remaining_cents) == (700, 0)
    record = gateway.get(payment_id)
    assert record.status == "REFUNDED" and record.refunded_cents == 1_000
    with pytest.raises(PaymentStateError, match="already refunded in full"):
        gateway.refund(payment_id=payment_id, idempotency_key="r3")
    with pytest.raises(PaymentIdempotencyConflict):
        gateway.refund(payment_id=payment_id, idempotency_key="r1", amount_cents=200)


def test_refund_refuses_more_than_captured_and_uncaptured_payments() -> None:
    gateway = SimulatedGateway()
    payment_id = captured(gateway)
    with pytest.raises(PaymentStateError, match="only 1000 of 1000"):
        gateway.refund(payment_id=payment_id, idempotency_key="big", amount_cents=1_001)
    uncaptured = authorize(gateway, order="o-2")
    with pytest.raises(PaymentStateError, match="void the authorization"):
        gateway.refund(payment_id=uncaptured.payment_id, idempotency_key="r")


# --- concurrency (moto serialized, as DynamoDB is per request) ------------------------------


def all_at_once(calls: int, call: Callable[[], Any]) -> list[Any]:
    """Run `call` from `calls` threads released together; results or exceptions, in order."""
    barrier = threading.Barrier(calls)

    def run() -> Any:
        barrier.wait()
        try:
            return call()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(lambda _: run(), range(calls)))


@pytest.mark.usefixtures("serialized")
@pytest.mark.parametrize("token", ["tok_visa", "tok_processingError"])
def test_concurrent_duplicate_authorizations_charge_once(token: str) -> None:
    gateway = SimulatedGateway()
    results = all_at_once(12, lambda: authorize(gateway, token))
    authorized = [r for r in results if not isinstance(r, Exception)]
    assert all(isinstance(r, PaymentProcessingError) for r in results if isinstance(r, Exception))
    assert authorized, results
    assert len({a.payment_id for a in authorized}) == 1
    assert sum(not a.replayed for a in authorized) == 1  # exactly one request did it
    (item,) = payment_items()
    assert item.status == "AUTHORIZED"


@pytest.mark.usefixtures("serialized")
def test_concurrent_captures_capture_once() -> None:
    gateway = SimulatedGateway()
    payment = authorize(gateway)
    same_key = all_at_once(8, lambda: gateway.capture(payment_id=payment.payment_id, idempotency_key="c"))
    assert all(not isinstance(r, Exception) for r in same_key), same_key
    assert sum(not r.replayed for r in same_key) == 1
    counter = iter(range(100))
    other_keys = all_at_once(
        8, lambda: gateway.capture(payment_id=payment.payment_id, idempotency_key=f"k{next(counter)}")
    )
    assert all(isinstance(r, PaymentStateError) for r in other_keys)
    assert gateway.get(payment.payment_id).captured_cents == 12_345


@pytest.mark.usefixtures("serialized")
def test_concurrent_refunds_never_exceed_the_capture() -> None:
    gateway = SimulatedGateway()
    payment_id = captured(gateway, 1_000)
    counter = iter(range(100))
    results = all_at_once(
        6, lambda: gateway.refund(payment_id=payment_id, idempotency_key=f"r{next(counter)}", amount_cents=400)
    )
    refunds = [r for r in results if not isinstance(r, Exception)]
    assert len(refunds) == 2, results
    assert all(isinstance(r, PaymentStateError) for r in results if isinstance(r, Exception))
    record = gateway.get(payment_id)
    assert record.refunded_cents == 800 and record.status == "CAPTURED"
    same = all_at_once(6, lambda: gateway.refund(payment_id=payment_id, idempotency_key="last", amount_cents=200))
    assert all(not isinstance(r, Exception) for r in same), same
    assert sum(not r.replayed for r in same) == 1
    assert gateway.get(payment_id).refunded_cents == 1_000
