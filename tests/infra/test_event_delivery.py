"""EventBridge can deliver the domain bus's events to their encrypted queues, and only those rules
can: for every rule target of `resources.EVENT_BUSES`,

- the queue and its DLQ each have a queue policy letting `events.amazonaws.com` `sqs:SendMessage`
  to that queue, conditioned on `aws:SourceArn` naming the rule;
- the platform key's policy lets `events.amazonaws.com` use the key (`kms:GenerateDataKey*`,
  `kms:Decrypt`) only under an `aws:SourceArn` condition on the bus's rules, and no other
  statement gives it the key unconditioned on the source;
- the target retries (bounded) and dead-letters into the queue's DLQ;
- the e-mail consumers' mappings carry `maximum_concurrency` (SES's rate).

Each check is shown to fail on a module that lacks what it promises.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from chalicelib.core import resources
from chalicelib.core.resources import EventBus
from tests.infra.tfmodule import Module

EVENTS = "events.amazonaws.com"
_DOCUMENT = re.compile(r"\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}")


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principals(statement: dict[str, Any]) -> set[str]:
    return {str(i) for p in _list(statement.get("principals")) for i in _list(p.get("identifiers"))}


def _source_arns(statement: dict[str, Any]) -> list[str]:
    return [
        str(v)
        for c in _list(statement.get("condition"))
        if c.get("variable") == "aws:SourceArn" and c.get("test") in ("ArnEquals", "ArnLike")
        for v in _list(c.get("values"))
    ]


def _queue_statements(module: Module, queue: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in module.resources.get("aws_sqs_queue_policy", {}).values():
        if policy.get("queue_url") != f"${{aws_sqs_queue.{queue}.id}}":
            continue
        document = _DOCUMENT.search(str(policy.get("policy", "")))
        if document:
            body = module.data.get("aws_iam_policy_document", {}).get(document.group(1), {})
            statements += _list(body.get("statement"))
    return statements


def check_event_delivery(module: Module, buses: list[EventBus]) -> list[str]:
    problems = []
    targets = module.resources.get("aws_cloudwatch_event_target", {})
    for bus in buses:
        for rule in bus.rules:
            rule_arn = f"${{aws_cloudwatch_event_rule.{rule.key}.arn}}"
            for queue in rule.target_queues:
                for key in (queue, f"{queue}_dlq"):
                    allowed = [
                        s
                        for s in _queue_statements(module, key)
                        if EVENTS in _principals(s)
                        and "sqs:SendMessage" in _list(s.get("actions"))
                        and f"${{aws_sqs_queue.{key}.arn}}" in _list(s.get("resources"))
                        and rule_arn in _source_arns(s)
                    ]
                    if not allowed:
                        problems.append(f"aws_sqs_queue.{key}: no queue policy lets {rule.key} send (aws:SourceArn)")
                found = [
                    t
                    for t in targets.values()
                    if f"aws_cloudwatch_event_rule.{rule.key}." in str(t.get("rule"))
                    and t.get("arn") == f"${{aws_sqs_queue.{queue}.arn}}"
                ]
                for target in found:
                    dlq = (target.get("dead_letter_config") or {}).get("arn")
                    if dlq != f"${{aws_sqs_queue.{queue}_dlq.arn}}":
                        problems.append(f"{rule.key} -> {queue}: dead-letters to {dlq!r}, not the queue's DLQ")
                    retry = target.get("retry_policy") or {}
                    if not retry.get("maximum_retry_attempts") or not retry.get("maximum_event_age_in_seconds"):
                        problems.append(f"{rule.key} -> {queue}: no bounded retry policy")
    key_policy = module.data.get("aws_iam_policy_document", {}).get("kms_key_policy", {})
    for_events = [s for s in _list(key_policy.get("statement")) if EVENTS in _principals(s)]
    uses_key = [s for s in for_events if {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(_list(s.get("actions")))]
    if not uses_key:
        problems.append("the key policy does not let events.amazonaws.com use the key")
    for statement in for_events:
        arns = _source_arns(statement)
        if not arns or not all(":rule/" in arn and "-domain-events/" in arn for arn in arns):
            problems.append(f"key policy {statement.get('sid')}: events.amazonaws.com not limited to the bus's rules")
    return problems


def check_mapping_concurrency(module: Module) -> list[str]:
    problems = []
    mappings = module.resources.get("aws_lambda_event_source_mapping", {}).values()
    for queue in resources.QUEUES:
        if queue.max_concurrency is None:
            continue
        mine = [m for m in mappings if m.get("event_source_arn") == queue.arn_ref]
        if not mine:
            problems.append(f"no event source mapping reads aws_sqs_queue.{queue.key}")
        for mapping in mine:
            limit = (mapping.get("scaling_config") or {}).get("maximum_concurrency")
            if limit != queue.max_concurrency:
                problems.append(f"{queue.key}: maximum_concurrency {limit!r}, not {queue.max_concurrency}")
    return problems


def test_event_rules_can_deliver_to_their_encrypted_queues_and_only_they(module: Module) -> None:
    assert check_event_delivery(module, list(resources.EVENT_BUSES)) == []


def test_e_mail_consumers_are_bounded_by_maximum_concurrency(module: Module) -> None:
    assert [q.key for q in resources.QUEUES if q.max_concurrency] == ["alert_emails", "purchase_emails"]
    assert check_mapping_concurrency(module) == []


def test_the_delivery_checks_catch_what_is_missing(module: Module) -> None:
    broken = copy.deepcopy(module)
    documents = broken.data["aws_iam_policy_document"]
    documents["ledger_events_queue"]["statement"][0]["condition"] = []
    documents["order_feed_dlq"]["statement"][0]["principals"][0]["identifiers"] = ["sns.amazonaws.com"]
    kms = documents["kms_key_policy"]["statement"]
    for statement in kms:
        if EVENTS in _principals(statement):
            statement["condition"] = []
    target = next(t for t in broken.resources["aws_cloudwatch_event_target"].values() if "purchase_emails" in t["arn"])
    del target["retry_policy"]
    problems = check_event_delivery(broken, list(resources.EVENT_BUSES))
    assert "aws_sqs_queue.ledger_events: no queue policy lets ledger_on_sales_events send (aws:SourceArn)" in problems
    assert "aws_sqs_queue.order_feed_dlq: no queue policy lets order_feed_all send (aws:SourceArn)" in problems
    assert "purchase_emails_on_confirmed -> purchase_emails: no bounded retry policy" in problems
    assert any("not limited to the bus's rules" in p for p in problems)

    for mapping in broken.resources["aws_lambda_event_source_mapping"].values():
        mapping.pop("scaling_config", None)
    assert "purchase_emails: maximum_concurrency None, not 2" in check_mapping_concurrency(broken)


def test_the_rehearsal_reads_applied_policies_as_aws_would() -> None:
    from terraform.rehearsal import _allows_events

    rule = "arn:aws:events:us-east-1:123456789012:rule/stockroom-domain-events/order_feed_all"
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
    }
    assert _allows_events({"Statement": [statement]}, "sqs:SendMessage", rule)
    assert not _allows_events({"Statement": [statement]}, "sqs:SendMessage", rule + "x")
    assert not _allows_events({"Statement": [{**statement, "Condition": {}}]}, "sqs:SendMessage", rule)
    sns = {**statement, "Principal": {"Service": "sns.amazonaws.com"}}
    assert not _allows_events({"Statement": sns}, "sqs:SendMessage", rule)
    like = {**statement, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"]}
    like["Condition"] = {"ArnLike": {"aws:SourceArn": [rule.rsplit("/", 1)[0] + "/*"]}}
    assert _allows_events({"Statement": [like]}, "kms:GenerateDataKey*", rule)
    assert not _allows_events({"Statement": [like]}, "kms:GenerateDataKey*", rule.replace("stockroom-domain", "other"))
