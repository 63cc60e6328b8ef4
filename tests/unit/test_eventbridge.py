"""EventBridge in the devstack (issue 10 §4, §6): a custom bus and rules with SQS targets
provisioned from one definition (`resources.EventBus`), delivered by the emulator, with the
envelope consumers read. A test bus of its own; nothing here depends on `chalicelib`'s tables."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core.resources import EventBus, EventRule
from devstack.emulator import Emulator
from devstack.provision import _queue_policy, provision_event_buses
from devstack.runtime import aws_client

# AWS's envelope, as documented for events delivered to targets.
AWS_ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with Emulator(port=0) as emulator:
        yield emulator.url


def queue(endpoint: str, name: str) -> tuple[str, str, str]:
    sqs = aws_client("sqs", endpoint)
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]

    def arn(u: str) -> str:
        return str(sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])

    return url, arn(url), arn(dlq)


def receive(endpoint: str, url: str) -> list[dict[str, Any]]:
    messages = aws_client("sqs", endpoint).receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_rules_route_events_from_the_bus_to_their_queues(endpoint: str) -> None:
    tag = uuid.uuid4().hex[:6]
    refs = {key: queue(endpoint, f"{key}-{tag}") for key in ("notify", "ledger")}
    bus = EventBus(
        key="shop_events",
        env="BUS",
        description="test bus",
        rules=(
            EventRule(
                "confirmed_orders",
                "confirmed orders to both consumers",
                {"source": ["stockroom.orders"], "detail-type": ["OrderConfirmed"]},
                ("notify", "ledger"),
            ),
            EventRule(
                "cancellations",
                "cancellations to the ledger",
                {"source": ["stockroom.orders"], "detail-type": ["OrderCancelled"]},
                ("ledger",),
            ),
        ),
    )
    stage = {"BUS": f"bus-{tag}"}
    feeding = provision_event_buses(endpoint, [bus], refs, stage)
    assert provision_event_buses(endpoint, [bus], refs, stage) == feeding  # re-runnable
    assert len(feeding["ledger"]) == 2 and len(feeding["notify"]) == 1

    events = aws_client("events", endpoint)
    for detail_type, order in (("OrderConfirmed", "o-1"), ("OrderCancelled", "o-2"), ("OrderShipped", "o-3")):
        answer = events.put_events(
            Entries=[
                {
                    "EventBusName": stage["BUS"],
                    "Source": "stockroom.orders",
                    "DetailType": detail_type,
                    "Detail": json.dumps({"orderId": order, "schemaVersion": 1}),
                    "Resources": [f"arn:aws:dynamodb:us-east-1:123456789012:table/orders/{order}"],
                }
            ]
        )
        assert answer["FailedEntryCount"] == 0
    notified = receive(endpoint, refs["notify"][0])
    booked = receive(endpoint, refs["ledger"][0])
    assert [e["detail"]["orderId"] for e in notified] == ["o-1"]
    assert sorted(e["detail"]["orderId"] for e in booked) == ["o-1", "o-2"]  # o-3 matches no rule

    envelope = notified[0]
    assert set(envelope) == AWS_ENVELOPE  # no moto-only keys (its `ingestion-time` is dropped)
    assert envelope["version"] == "0" and envelope["account"] == "123456789012" and envelope["region"] == "us-east-1"
    assert envelope["source"] == "stockroom.orders" and envelope["detail-type"] == "OrderConfirmed"
    assert envelope["time"].endswith("Z") and envelope["resources"][0].endswith("/orders/o-1")

    rules = events.list_rules(EventBusName=stage["BUS"])["Rules"]
    for rule in rules:
        [target] = [t for t in events.list_targets_by_rule(Rule=rule["Name"], EventBusName=stage["BUS"])["Targets"]][:1]
        assert target["DeadLetterConfig"]["Arn"].endswith("-dlq")  # declared as Terraform does; moto ignores it


def test_queue_policies_let_topics_and_rules_send() -> None:
    policy = _queue_policy("arn:q", ["arn:topic"], ["arn:rule"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["topics"]["Principal"] == {"Service": "sns.amazonaws.com"}
    assert by_sid["rules"]["Principal"] == {"Service": "events.amazonaws.com"}
    assert by_sid["rules"]["Condition"] == {"ArnEquals": {"aws:SourceArn": ["arn:rule"]}}
    assert [s["Sid"] for s in _queue_policy("arn:q", [], ["arn:rule"])["Statement"]] == ["rules"]
