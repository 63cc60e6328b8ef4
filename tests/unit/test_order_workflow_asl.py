"""statemachines/order_workflow.asl.json, checked and walked without an emulator: its structure
(every state reachable, every Next defined, tasks are the app's functions), the error names it
Retries and Catches are the exceptions the tasks raise, and each path through it (a small walker
that follows Retry/Catch/Choice for a given failing task)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core import errors
from chalicelib.orders import payments, workflow
from devstack.stepfunctions import placeholders

ROOT = Path(__file__).resolve().parents[2]
ASL_TEXT = (ROOT / "statemachines" / "order_workflow.asl.json").read_text()
ASL: dict[str, Any] = json.loads(ASL_TEXT)
STATES: dict[str, Any] = ASL["States"]


def _matches(rule: dict[str, Any], error: str) -> bool:
    names = rule["ErrorEquals"]
    return error in names or ("States.ALL" in names and not error.startswith("States.Runtime"))


def walk(failures: dict[str, str], *, retries_exhausted: bool = True) -> list[str]:
    """The states visited when each task in `failures` fails with that error (every attempt, if
    `retries_exhausted`; a retried error that then succeeds is `retries_exhausted=False`)."""
    state, path, data = ASL["StartAt"], [], {"orderId": "o-1", "attempt": 1}
    while True:
        path.append(state)
        body = STATES[state]
        kind = body["Type"]
        if kind in ("Succeed", "Fail"):
            return path
        if kind == "Choice":
            nxt = body["Default"]
            for choice in body["Choices"]:
                present = choice["Variable"].removeprefix("$.") in data
                if choice.get("IsPresent") is present:
                    nxt = choice["Next"]
                    break
            state = nxt
            continue
        assert kind == "Task", kind
        error = failures.get(state)
        if error is not None:
            retrier = next((r for r in body.get("Retry", []) if _matches(r, error)), None)
            retried = retrier is not None and retrier.get("MaxAttempts", 3) > 0
            if retried and not retries_exhausted:
                error = None  # the retry succeeded
        if error is None:
            state = body["Next"] if "Next" in body else body.get("End") and path[-1]
            continue
        catcher = next((c for c in body.get("Catch", []) if _matches(c, error)), None)
        assert catcher is not None, f"{state}: {error} is neither retried to success nor caught: the run would fail"
        result_path = catcher.get("ResultPath", "$")
        if result_path.startswith("$.state."):
            data["state"] = True
        state = catcher["Next"]


def test_the_document_is_well_formed() -> None:
    assert ASL["StartAt"] in STATES
    for name, body in STATES.items():
        targets = [body.get("Next"), body.get("Default")]
        targets += [c["Next"] for c in body.get("Choices", [])] + [c["Next"] for c in body.get("Catch", [])]
        for target in filter(None, targets):
            assert target in STATES, f"{name} -> {target}"
        if body["Type"] == "Task":
            assert "Next" in body or body.get("End"), name
    reachable, frontier = set(), [ASL["StartAt"]]
    while frontier:
        name = frontier.pop()
        if name in reachable:
            continue
        reachable.add(name)
        body = STATES[name]
        frontier += [body[k] for k in ("Next", "Default") if k in body]
        frontier += [c["Next"] for c in body.get("Choices", []) + body.get("Catch", [])]
    assert reachable == set(STATES), set(STATES) - reachable


def test_tasks_are_the_apps_functions_named_like_their_states() -> None:
    from app import app

    functions = set(app.pure_lambda_functions and [f.name for f in app.pure_lambda_functions])
    assert placeholders(ASL_TEXT) == set(workflow.TASKS) <= functions
    named = {name: body["Resource"].strip("${}") for name, body in STATES.items() if body["Type"] == "Task"}
    # Each state is its function in CamelCase; the compensation sits next to the task it undoes.
    assert named == {
        "ChargePayment": "charge_payment",
        "CompensateChargePayment": "compensate_payment",
        "CommitStock": "commit_stock",
        "StoreReceipt": "store_receipt",
        "PublishOrderNotification": "publish_order_notification",
        "EmailCustomer": "email_customer",
        "MarkConfirmed": "mark_confirmed",
        "ParkWorkflow": "park_order_workflow",
    }


def test_every_error_name_is_an_exception_the_tasks_raise() -> None:
    raised = {c.__name__ for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)}
    raised |= {c.__name__ for c in vars(workflow).values() if isinstance(c, type) and issubclass(c, Exception)}
    for name, body in STATES.items():
        for rule in body.get("Retry", []) + body.get("Catch", []):
            for error in rule["ErrorEquals"]:
                assert error.startswith(("States.", "Lambda.")) or error in raised, (name, error)


def test_transient_payment_errors_are_retried_with_backoff_and_permanent_ones_compensated() -> None:
    retry = STATES["ChargePayment"]["Retry"]
    transient = next(r for r in retry if "PaymentProcessingError" in r["ErrorEquals"])
    assert set(payments.TRANSIENT_ERROR_NAMES) <= set(transient["ErrorEquals"])
    assert transient["MaxAttempts"] >= 2 and transient["IntervalSeconds"] >= 1 and transient["BackoffRate"] > 1
    for name in payments.PERMANENT_ERROR_NAMES:
        rule = next(r for r in retry if _matches(r, name))
        assert rule["MaxAttempts"] == 0, f"{name} must not be retried"


HAPPY = ["ChargePayment", "CommitStock", "StoreReceipt", "PublishOrderNotification", "EmailCustomer", "MarkConfirmed"]


@pytest.mark.parametrize(
    ("failures", "exhausted", "path"),
    [
        ({}, True, [*HAPPY, "AnyStepFailed", "Confirmed"]),
        ({"ChargePayment": "PaymentProcessingError"}, False, [*HAPPY, "AnyStepFailed", "Confirmed"]),
        ({"ChargePayment": "PaymentGatewayTimeout"}, False, [*HAPPY, "AnyStepFailed", "Confirmed"]),
        ({"ChargePayment": "PaymentDeclined"}, True, ["ChargePayment", "CompensateChargePayment", "PaymentFailed"]),
        ({"ChargePayment": "UnknownPaymentToken"}, True, ["ChargePayment", "CompensateChargePayment", "PaymentFailed"]),
        (
            {"ChargePayment": "PaymentProcessingError"},
            True,
            ["ChargePayment", "CompensateChargePayment", "PaymentFailed"],
        ),
        ({"ChargePayment": "OrderClosed"}, True, ["ChargePayment", "OrderClosed"]),
        (
            {"ChargePayment": "PaymentDeclined", "CompensateChargePayment": "PaymentCapturedUnrecorded"},
            True,
            ["ChargePayment", "CompensateChargePayment", "ParkWorkflow", "Parked"],
        ),
        ({"CommitStock": "StockCommitRefused"}, True, ["ChargePayment", "CommitStock", "ParkWorkflow", "Parked"]),
        ({"CommitStock": "OrderClosed"}, True, ["ChargePayment", "CommitStock", "OrderClosed"]),
        ({"StoreReceipt": "States.TaskFailed"}, True, [*HAPPY, "AnyStepFailed", "ParkWorkflow", "Parked"]),
        ({"EmailCustomer": "EmailThrottled"}, True, [*HAPPY, "AnyStepFailed", "ParkWorkflow", "Parked"]),
        ({"EmailCustomer": "EmailThrottled"}, False, [*HAPPY, "AnyStepFailed", "Confirmed"]),
        (
            {"PublishOrderNotification": "States.TaskFailed"},
            True,
            [*HAPPY, "AnyStepFailed", "ParkWorkflow", "Parked"],
        ),
        ({"MarkConfirmed": "Conflict"}, True, [*HAPPY, "ParkWorkflow", "Parked"]),
    ],
)
def test_each_path(failures: dict[str, str], exhausted: bool, path: list[str]) -> None:
    assert walk(failures, retries_exhausted=exhausted) == path


def test_after_the_capture_nothing_leads_to_the_compensation() -> None:
    """No failure after ChargePayment reaches CompensateChargePayment: a paid order is never
    refunded or failed by the workflow (never a silent refund)."""
    for task in HAPPY[1:]:
        for error in ("States.ALL", "States.TaskFailed", "PaymentDeclined", "Conflict"):
            assert "CompensateChargePayment" not in walk({task: error})
