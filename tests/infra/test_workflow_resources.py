"""Terraform declares every state machine and event bus of `chalicelib.core.resources`, as the
devstack provisions them from the same definitions (`devstack.stepfunctions`, `devstack.provision`).

- a `StateMachine` is `aws_sfn_state_machine.<key>` of its type, whose definition is
  `templatefile("<asl_path>", {...})` passing `aws_lambda_function.<name>.arn` for every
  `${name}` placeholder of the document;
- an `EventBus` is `aws_cloudwatch_event_bus.<key>`; each rule is `aws_cloudwatch_event_rule.<key>` on
  that bus, with an `aws_cloudwatch_event_target` per target queue that has a dead-letter config.

Each check is also shown to fail on a module that lacks what a definition promises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalicelib.core import resources
from chalicelib.core.resources import EventBus, EventRule, StateMachine
from devstack.stepfunctions import placeholders
from tests.infra.tfmodule import Module

ROOT = Path(__file__).resolve().parents[2]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def check_state_machines(module: Module, machines: list[StateMachine], root: Path = ROOT) -> list[str]:
    problems = []
    for machine in machines:
        body = module.resource("aws_sfn_state_machine", machine.key)
        if body is None:
            problems.append(f"aws_sfn_state_machine.{machine.key} is missing")
            continue
        definition = _text(body.get("definition", ""))
        if "templatefile(" not in definition or machine.asl_path.rsplit("/", 1)[-1] not in definition:
            problems.append(f"aws_sfn_state_machine.{machine.key}: definition is not templatefile({machine.asl_path})")
        for name in sorted(placeholders((root / machine.asl_path).read_text())):
            if f"aws_lambda_function.{name}.arn" not in definition:
                problems.append(
                    f"aws_sfn_state_machine.{machine.key}: ${{{name}}} is not given aws_lambda_function.{name}.arn"
                )
        if str(body.get("type", "STANDARD")).upper() != machine.type:
            problems.append(f"aws_sfn_state_machine.{machine.key}: type {body.get('type')!r}, not {machine.type}")
    return problems


def check_event_buses(module: Module, buses: list[EventBus]) -> list[str]:
    problems = []
    targets = list(module.resources.get("aws_cloudwatch_event_target", {}).values())
    for bus in buses:
        if module.resource("aws_cloudwatch_event_bus", bus.key) is None:
            problems.append(f"aws_cloudwatch_event_bus.{bus.key} is missing")
        for rule in bus.rules:
            body = module.resource("aws_cloudwatch_event_rule", rule.key)
            if body is None:
                problems.append(f"aws_cloudwatch_event_rule.{rule.key} is missing")
                continue
            if f"aws_cloudwatch_event_bus.{bus.key}." not in _text(body.get("event_bus_name", "")):
                problems.append(f"aws_cloudwatch_event_rule.{rule.key} is not on aws_cloudwatch_event_bus.{bus.key}")
            for queue in rule.target_queues:
                found = [
                    t
                    for t in targets
                    if f"aws_cloudwatch_event_rule.{rule.key}." in _text(t.get("rule", ""))
                    and _text(t.get("arn", "")) == f"${{aws_sqs_queue.{queue}.arn}}"
                ]
                if not found:
                    problems.append(f"aws_cloudwatch_event_rule.{rule.key} has no target aws_sqs_queue.{queue}")
                elif not all(t.get("dead_letter_config") for t in found):
                    problems.append(
                        f"aws_cloudwatch_event_rule.{rule.key} -> {queue}: target without dead_letter_config"
                    )
    return problems


def test_terraform_declares_the_state_machines_and_buses_the_devstack_provisions(module: Module) -> None:
    assert check_state_machines(module, list(resources.STATE_MACHINES)) == []
    assert check_event_buses(module, list(resources.EVENT_BUSES)) == []


def test_a_missing_or_miswired_declaration_is_reported(tmp_path: Path) -> None:
    (tmp_path / "statemachines").mkdir()
    (tmp_path / "statemachines" / "flow.asl.json").write_text(
        '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${pay}", "End": true}}}'
    )
    machine = StateMachine("flow", "FLOW_ARN", "statemachines/flow.asl.json", "test")
    bus = EventBus("shop", "BUS", "test", (EventRule("paid", "test", {"detail-type": ["Paid"]}, ("ledger",)),))
    empty = Module()
    assert check_state_machines(empty, [machine], tmp_path) == ["aws_sfn_state_machine.flow is missing"]
    assert set(check_event_buses(empty, [bus])) == {
        "aws_cloudwatch_event_bus.shop is missing",
        "aws_cloudwatch_event_rule.paid is missing",
    }

    wired = Module()
    wired.resources = {
        "aws_sfn_state_machine": {
            "flow": {
                "type": "STANDARD",
                "definition": '${templatefile("${path.module}/../statemachines/flow.asl.json", '
                "{ pay = aws_lambda_function.pay.arn })}",
            }
        },
        "aws_cloudwatch_event_bus": {"shop": {"name": "shop"}},
        "aws_cloudwatch_event_rule": {"paid": {"event_bus_name": "${aws_cloudwatch_event_bus.shop.name}"}},
        "aws_cloudwatch_event_target": {
            "paid_ledger": {
                "rule": "${aws_cloudwatch_event_rule.paid.name}",
                "arn": "${aws_sqs_queue.ledger.arn}",
                "dead_letter_config": [{"arn": "${aws_sqs_queue.ledger_dlq.arn}"}],
            }
        },
    }
    assert check_state_machines(wired, [machine], tmp_path) == []
    assert check_event_buses(wired, [bus]) == []

    wired.resources["aws_sfn_state_machine"]["flow"]["definition"] = '${templatefile("flow.asl.json", {})}'
    del wired.resources["aws_cloudwatch_event_target"]["paid_ledger"]["dead_letter_config"]
    assert check_state_machines(wired, [machine], tmp_path) == [
        "aws_sfn_state_machine.flow: ${pay} is not given aws_lambda_function.pay.arn"
    ]
    assert check_event_buses(wired, [bus]) == [
        "aws_cloudwatch_event_rule.paid -> ledger: target without dead_letter_config"
    ]
