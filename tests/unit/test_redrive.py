"""`make redrive QUEUE=<key>` moves dead-lettered messages back to their queue, attributes kept."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from devstack.__main__ import main
from devstack.emulator import Emulator
from devstack.redrive import queue_name, redrive
from devstack.runtime import aws_client


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with Emulator(port=0) as emulator:
        yield emulator.url


def make_queue(endpoint: str) -> tuple[str, str, str]:
    sqs = aws_client("sqs", endpoint)
    name = f"jobs-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = sqs.create_queue(
        QueueName=name,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})},
    )["QueueUrl"]
    return name, source, dlq


def drain(endpoint: str, url: str) -> list[dict[str, object]]:
    sqs = aws_client("sqs", endpoint)
    found = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", []
    ):
        found += batch
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
    return found


def test_dead_letters_go_back_to_their_queue(endpoint: str) -> None:
    name, source, dlq = make_queue(endpoint)
    sqs = aws_client("sqs", endpoint)
    for n in range(23):
        sqs.send_message(
            QueueUrl=dlq,
            MessageBody=json.dumps({"n": n}),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "poison" if n == 0 else "ok"}},
        )
    partial = redrive(endpoint, name, limit=5)
    assert (partial.moved, partial.left) == (5, 18)
    done = redrive(endpoint, name)
    assert (done.moved, done.left) == (18, 0)
    back = drain(endpoint, source)
    assert sorted(json.loads(str(m["Body"]))["n"] for m in back) == list(range(23))  # each once
    kinds = {json.loads(str(m["Body"]))["n"]: m["MessageAttributes"]["kind"]["StringValue"] for m in back}  # type: ignore[index]
    assert kinds[0] == "poison" and kinds[1] == "ok"
    assert drain(endpoint, dlq) == []
    assert redrive(endpoint, name).moved == 0


def test_the_command_takes_a_queue_key(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert queue_name("alert_emails").endswith("alert-emails")
    with pytest.raises(KeyError, match="alert_emails"):
        queue_name("nope")
    assert main(["redrive", "nope", "--endpoint", endpoint]) == 2
    assert "queues: alert_emails" in capsys.readouterr().err
    # The app's own queue, provisioned as the devstack does, with one message in its DLQ.
    sqs = aws_client("sqs", endpoint)
    name = queue_name("alert_emails")
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    sqs.create_queue(QueueName=name)
    sqs.send_message(QueueUrl=dlq, MessageBody="{}")
    assert main(["redrive", "alert_emails", "--endpoint", endpoint]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "queue": name,
        "deadLetterQueue": f"{name}-dlq",
        "moved": 1,
        "left": 0,
    }
