"""Step Functions in the devstack (issue 10 §6): an ASL document provisioned from its one
definition, executed by moto's interpreter, its Lambda tasks carried out by the app's own
`@app.lambda_function`s in process, with Retry on a transient error and Catch on a permanent one.

A test app and ASL of its own; nothing here depends on `chalicelib` or on the process environment.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalice import Chalice

from chalicelib.core.resources import StateMachine
from devstack import emulator as emulator_module
from devstack.emulator import Emulator
from devstack.runtime import EventRuntime, FunctionSource, Resolver, aws_client, describe, discover
from devstack.stepfunctions import LambdaDispatcher, function_arn, placeholders, provision_state_machines, render

APP_NAME = "wf"

ASL = {
    "Comment": "Reserve, charge (retried while the gateway is flaky), ship; compensate a permanent failure",
    "StartAt": "Reserve",
    "States": {
        "Reserve": {
            "Type": "Task",
            "Resource": "${reserve}",
            "Parameters": {"order.$": "$.order", "fail.$": "$.fail", "execution.$": "$$.Execution.Name"},
            "Next": "Charge",
        },
        "Charge": {
            "Type": "Task",
            "Resource": "${charge}",
            "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
            "Next": "Ship",
        },
        "Ship": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${ship}", "Payload.$": "$"},
            "ResultSelector": {"order.$": "$.Payload.order", "shipped.$": "$.Payload.shipped"},
            "Catch": [{"ErrorEquals": ["PermanentError"], "ResultPath": "$.error", "Next": "Compensate"}],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Compensate": {"Type": "Task", "Resource": "${compensate}", "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "OrderFailed", "Cause": "shipping refused the order"},
    },
}


class TransientError(Exception):
    pass


class PermanentError(Exception):
    pass


class Calls:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def add(self, name: str, event: dict[str, Any]) -> int:
        with self.lock:
            self.seen.append((name, event))
            return sum(1 for n, e in self.seen if n == name and e.get("order") == event.get("order"))

    def of(self, name: str, order: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for n, e in self.seen if n == name and e.get("order") == order]


def make_app(endpoint: str, calls: Calls) -> Chalice:
    app = Chalice(app_name=APP_NAME)

    @app.lambda_function()
    def reserve(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.add("reserve", event)
        aws_client("sqs", endpoint).list_queues()  # an AWS call from a task: would deadlock under the lock
        return {**event, "reserved": True, "function": context.function_name}

    @app.lambda_function()
    def charge(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if calls.add("charge", event) <= 2:
            raise TransientError("the gateway timed out")
        return {**event, "charged": True}

    @app.lambda_function()
    def ship(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.add("ship", event)
        if event.get("fail"):
            raise PermanentError("no carrier serves this address")
        return {**event, "shipped": True}

    @app.lambda_function()
    def compensate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.add("compensate", event)
        return {"compensated": True}

    return app


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with Emulator(port=0) as emulator:
        yield emulator.url


@pytest.fixture(scope="module")
def workflow(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Calls, EventRuntime]]:
    project = tmp_path_factory.mktemp("project")
    (project / "statemachines").mkdir()
    (project / "statemachines" / "test.asl.json").write_text(json.dumps(ASL, indent=2))
    calls = Calls()
    app = make_app(endpoint, calls)
    runtime = EventRuntime(app, discover(app, Resolver(endpoint, {}, {})), endpoint).start()
    LambdaDispatcher(runtime).install()
    machine = StateMachine("test_workflow", "TEST_WORKFLOW_ARN", "statemachines/test.asl.json", "a test workflow")
    name = f"wf-local-test-{uuid.uuid4().hex[:6]}"
    stage_env = {"TEST_WORKFLOW_ARN": f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"}
    arns = provision_state_machines(
        endpoint, [machine], stage_env, project_dir=project, arn_for=lambda n: function_arn(n, APP_NAME)
    )
    # Provisioning again updates the machine in place (re-runnable).
    assert (
        provision_state_machines(
            endpoint, [machine], stage_env, project_dir=project, arn_for=lambda n: function_arn(n, APP_NAME)
        )
        == arns
    )
    yield arns["test_workflow"], calls, runtime
    runtime.stop()


def wait_for(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def run_to_end(endpoint: str, machine_arn: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = aws_client("stepfunctions", endpoint)
    arn = sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload))["executionArn"]
    return dict(
        wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=40)
    )


def test_the_app_s_lambda_functions_are_discovered(endpoint: str) -> None:
    app = make_app(endpoint, Calls())
    sources = discover(app, Resolver(endpoint, {}, {}))
    assert {s.name for s in sources if isinstance(s, FunctionSource)} == {"reserve", "charge", "ship", "compensate"}
    assert any("function (Step Functions tasks)" in line for line in describe(sources))


def test_a_task_succeeds_after_retries(endpoint: str, workflow: tuple[str, Calls, EventRuntime]) -> None:
    machine_arn, calls, _ = workflow
    result = run_to_end(endpoint, machine_arn, "order-ok", {"order": "ok", "fail": False})
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"order": "ok", "shipped": True}
    [reserved] = calls.of("reserve", "ok")
    assert reserved == {"order": "ok", "fail": False, "execution": "order-ok"}  # `$$.` survived rendering
    assert len(calls.of("charge", "ok")) == 3  # two transient failures, retried, then success
    assert calls.of("compensate", "ok") == []
    history = aws_client("stepfunctions", endpoint).get_execution_history(executionArn=result["executionArn"])
    failures = [e for e in history["events"] if e["type"] == "LambdaFunctionFailed"]
    assert [f["lambdaFunctionFailedEventDetails"]["error"] for f in failures] == ["TransientError", "TransientError"]


def test_a_permanent_error_is_caught_and_compensated(endpoint: str, workflow: tuple[str, Calls, EventRuntime]) -> None:
    machine_arn, calls, _ = workflow
    result = run_to_end(endpoint, machine_arn, "order-bad", {"order": "bad", "fail": True})
    assert result["status"] == "FAILED" and result.get("error") == "OrderFailed", result
    [compensation] = calls.of("compensate", "bad")  # its input: the state before Ship, plus the error
    assert compensation["charged"] is True and compensation["error"]["Error"] == "PermanentError"
    assert json.loads(compensation["error"]["Cause"])["errorMessage"] == "no carrier serves this address"
    assert len(calls.of("ship", "bad")) == 1  # a permanent error is not retried


def test_a_duplicate_start_is_harmless(endpoint: str, workflow: tuple[str, Calls, EventRuntime]) -> None:
    machine_arn, calls, _ = workflow
    sfn = aws_client("stepfunctions", endpoint)
    payload = json.dumps({"order": "dup", "fail": False})
    first = sfn.start_execution(stateMachineArn=machine_arn, name="order-dup", input=payload)["executionArn"]
    again = sfn.start_execution(stateMachineArn=machine_arn, name="order-dup", input=payload)["executionArn"]
    assert again == first
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=machine_arn, name="order-dup", input=json.dumps({"order": "other"}))
    wait_for(lambda: sfn.describe_execution(executionArn=first)["status"] == "SUCCEEDED", timeout=40)
    assert len(calls.of("reserve", "dup")) == 1


def test_handlers_never_run_under_the_emulator_lock(workflow: tuple[str, Calls, EventRuntime]) -> None:
    _, _, runtime = workflow
    dispatcher = LambdaDispatcher(runtime)
    emulator_module._holding.active = True
    try:
        with pytest.raises(RuntimeError, match="lock"):
            dispatcher.invoke({"FunctionName": function_arn("reserve", APP_NAME), "Payload": b"{}"})
    finally:
        emulator_module._holding.active = False
    with pytest.raises(LookupError, match="reserve"):
        dispatcher.invoke({"FunctionName": function_arn("nope", APP_NAME), "Payload": b"{}"})


def test_rendering_keeps_asl_paths_and_refuses_stray_interpolations() -> None:
    asl = json.dumps(ASL)
    assert placeholders(asl) == {"reserve", "charge", "ship", "compensate"}
    rendered = json.loads(render(asl, lambda name: f"arn:{name}"))
    assert rendered["States"]["Reserve"]["Resource"] == "arn:reserve"
    assert rendered["States"]["Ship"]["Parameters"]["FunctionName"] == "arn:ship"
    assert rendered["States"]["Reserve"]["Parameters"]["execution.$"] == "$$.Execution.Name"
    with pytest.raises(ValueError, match="placeholders"):
        render('{"Comment": "${not a name}", "StartAt": "x", "States": {}}')
    with pytest.raises(ValueError):
        render('{"StartAt": "${x}"')  # broken JSON fails at provisioning, not at the first run


def test_the_repository_s_state_machines_name_the_app_s_functions() -> None:
    """Every `${name}` in a listed ASL document is an `@app.lambda_function` of app.py."""
    import importlib

    from chalicelib.core import resources
    from devstack.env import PROJECT_DIR

    app = importlib.import_module("app").app
    functions = {f.name for f in app.pure_lambda_functions}
    for machine in resources.STATE_MACHINES:
        asl = (PROJECT_DIR / machine.asl_path).read_text()
        assert placeholders(asl) <= functions, (machine.key, placeholders(asl) - functions)
        render(asl)
