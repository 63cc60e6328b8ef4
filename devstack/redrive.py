"""`make redrive QUEUE=<key>`: move a queue's dead-lettered messages back to the queue.

What SQS's message move task does in AWS (`aws sqs start-message-move-task --source-arn <DLQ ARN>`,
see README), done with plain calls because moto has no move tasks: receive from the DLQ, send each
message (body and attributes) to its source queue, then delete it from the DLQ. A message is
deleted only after it was sent, so a crash in between can deliver it twice, never lose it; the
consumers are idempotent, as they must be in AWS too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devstack.runtime import aws_client

_MOVE_VISIBILITY = 60  # seconds a message being moved stays hidden in the DLQ


@dataclass(frozen=True)
class Moved:
    queue: str
    dead_letter_queue: str
    moved: int
    left: int

    def as_dict(self) -> dict[str, Any]:
        return {"queue": self.queue, "deadLetterQueue": self.dead_letter_queue, "moved": self.moved, "left": self.left}


def queue_name(key_or_name: str) -> str:
    """A queue's physical name from its key in `resources.QUEUES` (or the name itself)."""
    from devstack.provision import local_names

    queues = local_names()[1]
    if key_or_name in queues:
        return queues[key_or_name]
    if key_or_name in queues.values():
        return key_or_name
    raise KeyError(f"no queue {key_or_name!r}; queues: {', '.join(sorted(queues))}")


def redrive(endpoint: str, name: str, *, limit: int | None = None) -> Moved:
    """Move up to `limit` (default: all) messages from `<name>-dlq` back to `<name>`."""
    sqs = aws_client("sqs", endpoint)
    source = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=f"{name}-dlq")["QueueUrl"]
    moved = 0
    while limit is None or moved < limit:
        batch = sqs.receive_message(
            QueueUrl=dlq,
            MaxNumberOfMessages=min(10, limit - moved) if limit is not None else 10,
            VisibilityTimeout=_MOVE_VISIBILITY,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            break
        entries = []
        for i, message in enumerate(batch):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = message["MessageAttributes"]
            entries.append(entry)
        sent = sqs.send_message_batch(QueueUrl=source, Entries=entries)
        delivered = {item["Id"] for item in sent.get("Successful", [])}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch) if str(i) in delivered]
        if done:
            sqs.delete_message_batch(QueueUrl=dlq, Entries=done)
        moved += len(done)
        if len(done) < len(batch):  # the source refused some: stop, they stay in the DLQ
            break
    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    left = int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
    return Moved(name, f"{name}-dlq", moved, left)
