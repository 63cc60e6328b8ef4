"""Pure rules of the order workflow's pipeline and tasks: queue messages, execution names, what the
customer is told about a failed payment, what the sweeper does."""

from __future__ import annotations

import json

import pytest

from chalicelib.orders.pipeline import NotAWorkflowStart, execution_name, parse_message, sweep_decision
from chalicelib.orders.workflow import PAYMENT_FAILED_REASON, failure_reason


def test_execution_names_per_attempt() -> None:
    assert execution_name("6f1c", 1) == "6f1c"  # what a duplicate start collides with
    assert execution_name("6f1c", 2) == "6f1c.2"
    assert len(execution_name("0" * 36, 20)) <= 80  # Step Functions' limit


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"orderId": "o-1"}', ("o-1", 1)),
        ('{"orderId": "o-1", "attempt": 3, "parked": {"EmailCustomer": "EmailThrottled"}}', ("o-1", 3)),
    ],
)
def test_workflow_messages(body: str, expected: tuple[str, int]) -> None:
    assert parse_message(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        '{"attempt": 1}',
        '{"orderId": ""}',
        '{"orderId": "o", "attempt": 0}',
        '{"orderId": "o", "attempt": true}',
        '{"orderId": "o", "attempt": 21}',
        json.dumps({"orderId": "x" * 65}),
    ],
)
def test_anything_else_is_refused_and_left_to_the_dlq(body: str) -> None:
    with pytest.raises(NotAWorkflowStart):
        parse_message(body)


def test_the_customer_reads_the_issuers_words_or_a_generic_sentence() -> None:
    declined = {"Error": "PaymentDeclined", "Cause": json.dumps({"errorMessage": "Your card has insufficient funds."})}
    assert failure_reason(declined) == "Your card has insufficient funds."
    # Anything else is not the customer's to read (an unknown token, an internal error, a long cause).
    assert (
        failure_reason({"Error": "States.TaskFailed", "Cause": json.dumps({"errorMessage": "boom"})})
        == PAYMENT_FAILED_REASON
    )
    assert failure_reason({"Error": "PaymentDeclined", "Cause": "not json"}) == PAYMENT_FAILED_REASON
    assert (
        failure_reason({"Error": "PaymentDeclined", "Cause": json.dumps({"errorMessage": "x" * 500})})
        == PAYMENT_FAILED_REASON
    )
    assert failure_reason(None) == PAYMENT_FAILED_REASON


def test_sweep_decisions() -> None:
    assert sweep_decision("PLACED", 16, stuck_minutes=15, settled=False) == "restart"
    assert sweep_decision("PLACED", 31, stuck_minutes=15, settled=False) == "expire"
    assert sweep_decision("CANCELLED", 99, stuck_minutes=15, settled=False) == "settle"
    assert sweep_decision("CANCELLED", 99, stuck_minutes=15, settled=True) == "leave"
    for status in ("PAID", "CONFIRMED", "SHIPPED", "PAYMENT_FAILED"):
        assert sweep_decision(status, 99, stuck_minutes=15, settled=False) == "leave"
