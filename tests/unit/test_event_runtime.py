"""The devstack's event runtime against the embedded emulator, with a small app of its own.

Checks Lambda's delivery semantics (retries, partial batch failures, visibility timeouts,
dead-letter queues), schedule expressions and handler discovery. Nothing here depends on
`chalicelib` or on this process's AWS environment: clients get the emulator's endpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalice import Chalice, Cron, Rate

from devstack.emulator import Emulator
from devstack.runtime import (
    EventRuntime,
    QueueSource,
    Resolver,
    ScheduleSource,
    StreamSource,
    aws_client,
    discover,
    next_fire,
    rate_seconds,
    scheduled_event,
)

UTC = dt.UTC


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with Emulator(port=0) as emulator:
        yield emulator.url


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def make_table(endpoint: str) -> str:
    name = f"things-{uuid.uuid4().hex[:8]}"
    aws_client("dynamodb", endpoint).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name


def make_queue(endpoint: str, visibility: int = 1, max_receive_count: int = 2) -> str:
    sqs = aws_client("sqs", endpoint)
    name = f"jobs-{uuid.uuid4().hex[:8]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
    sqs.create_queue(
        QueueName=name, Attributes={"VisibilityTimeout": str(visibility), "RedrivePolicy": json.dumps(redrive)}
    )
    return name


def put(endpoint: str, table: str, item_id: str, value: int = 0) -> None:
    aws_client("dynamodb", endpoint).put_item(TableName=table, Item={"id": {"S": item_id}, "value": {"N": str(value)}})


def queue_depth(endpoint: str, name: str) -> int:
    sqs = aws_client("sqs", endpoint)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


class Recorder:
    """Calls seen by a test handler, thread-safe."""

    def __init__(self) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.lock = threading.Lock()

    def add(self, records: list[dict[str, Any]]) -> int:
        with self.lock:
            self.calls.append(records)
            return len(self.calls)

    def ids(self, key: Callable[[dict[str, Any]], str]) -> list[list[str]]:
        with self.lock:
            return [[key(r) for r in call] for call in self.calls]


def stream_id(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["id"]["S"])


def run(app: Chalice, endpoint: str, tables: dict[str, str], queues: dict[str, str]) -> EventRuntime:
    sources = discover(app, Resolver(endpoint, tables, queues))
    return EventRuntime(app, sources, endpoint, poll_interval=0.05, max_retries=2, retry_delay=0.05).start()


# --- discovery and schedules -------------------------------------------------------------------


def test_discovers_every_handler_from_the_app_object(endpoint: str) -> None:
    table, queue = make_table(endpoint), make_queue(endpoint)
    app = Chalice(app_name="demo")

    @app.on_dynamodb_record(
        stream_arn="${aws_dynamodb_table.things.stream_arn}", batch_size=7, starting_position="LATEST"
    )
    def on_things(event: Any) -> None: ...

    @app.on_sqs_message(queue_arn="${aws_sqs_queue.jobs.arn}", batch_size=3)
    def on_jobs(event: Any) -> None: ...

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def every_five(event: Any) -> None: ...

    @app.schedule(Cron(0, 6, "?", "*", "MON-FRI", "*"), name="weekday_report")
    def report(event: Any) -> None: ...

    sources = discover(app, Resolver(endpoint, {"things": table}, {"jobs": queue}))
    by_name = {s.name: s for s in sources}
    assert set(by_name) == {"on_things", "on_jobs", "every_five", "weekday_report"}
    stream = by_name["on_things"]
    assert isinstance(stream, StreamSource) and f"table/{table}/stream/" in stream.stream_arn
    assert (stream.batch_size, stream.starting_position) == (7, "LATEST")
    jobs = by_name["on_jobs"]
    assert (
        isinstance(jobs, QueueSource) and jobs.queue_url.endswith(f"/{queue}") and jobs.queue_arn.endswith(f":{queue}")
    )
    assert jobs.batch_size == 3
    schedule = by_name["weekday_report"]
    assert isinstance(schedule, ScheduleSource) and schedule.expression == "cron(0 6 ? * MON-FRI *)"
    assert schedule.rule_arn.endswith(":rule/demo-local-weekday_report")
    with pytest.raises(LookupError):
        discover(app, Resolver(endpoint, {}, {"jobs": queue}))


def test_schedule_expressions() -> None:
    assert rate_seconds("rate(1 hour)") == 3600
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(2 days)") == 172800
    assert rate_seconds(Rate(1, unit=Rate.HOURS).to_string()) == 3600
    start = dt.datetime(2024, 5, 17, 10, 30, 15, tzinfo=UTC)  # a Friday
    assert next_fire("rate(1 hour)", start) == start + dt.timedelta(hours=1)
    assert next_fire("cron(0 6 ? * MON-FRI *)", start) == dt.datetime(2024, 5, 20, 6, 0, tzinfo=UTC)
    assert next_fire("cron(0/15 * * * ? *)", start) == dt.datetime(2024, 5, 17, 10, 45, tzinfo=UTC)
    assert next_fire("cron(5 0 1 JAN ? *)", start) == dt.datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
    assert next_fire("cron(0 12 ? * SUN *)", start) == dt.datetime(2024, 5, 19, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        next_fire("cron(0 12 L * ? *)", start)
    with pytest.raises(ValueError):
        next_fire("every hour", start)
    event = scheduled_event("arn:aws:events:us-east-1:123456789012:rule/x")
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/x"]


def test_cron_year_field_limits_fires() -> None:
    start = dt.datetime(2024, 5, 17, 10, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        next_fire("cron(30 10 17 5 ? 2024)", start)  # the only match is in the past
    assert next_fire("cron(30 10 17 5 ? 2024-2026)", start) == dt.datetime(2025, 5, 17, 10, 30, tzinfo=UTC)


def test_fire_calls_a_scheduled_handler_with_an_eventbridge_event(endpoint: str) -> None:
    app = Chalice(app_name="demo")
    seen: list[tuple[dict[str, Any], Any]] = []

    @app.schedule(Rate(1, unit=Rate.HOURS), name="hourly")
    def hourly(event: Any) -> dict[str, Any]:
        seen.append((event.to_dict(), event.context))
        return {"ok": True}

    runtime = EventRuntime(app, discover(app, Resolver(endpoint, {}, {})), endpoint)
    invocation = runtime.fire("hourly")
    assert invocation.ok and invocation.result == {"ok": True}
    event, context = seen[0]
    assert event["detail-type"] == "Scheduled Event" and event["resources"][0].endswith("rule/demo-local-hourly")
    assert context.function_name == "demo-local-hourly" and context.get_remaining_time_in_millis() > 0
    with pytest.raises(KeyError):
        runtime.fire("nope")


# --- DynamoDB streams --------------------------------------------------------------------------


def test_stream_records_are_lambda_shaped_and_a_failed_batch_is_retried(endpoint: str) -> None:
    table = make_table(endpoint)
    app = Chalice(app_name="demo")
    recorder = Recorder()

    @app.on_dynamodb_record(
        stream_arn="${aws_dynamodb_table.things.stream_arn}", batch_size=10, starting_position="TRIM_HORIZON"
    )
    def on_things(event: Any) -> None:
        if recorder.add(event.to_dict()["Records"]) == 1:
            raise RuntimeError("first delivery fails")

    put(endpoint, table, "a", 1)
    put(endpoint, table, "a", 2)
    runtime = run(app, endpoint, {"things": table}, {})
    try:
        wait_for(lambda: len(recorder.calls) >= 2)
        time.sleep(0.3)
    finally:
        runtime.stop()
    assert recorder.ids(stream_id) == [["a", "a"], ["a", "a"]]  # same batch, retried
    first, second = recorder.calls[1]
    assert first["eventName"] == "INSERT" and second["eventName"] == "MODIFY"
    assert first["eventSource"] == "aws:dynamodb" and first["eventSourceARN"].startswith("arn:aws:dynamodb:")
    assert second["dynamodb"]["OldImage"]["value"] == {"N": "1"} and second["dynamodb"]["NewImage"]["value"] == {
        "N": "2"
    }
    assert second["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(second["dynamodb"]["ApproximateCreationDateTime"], int)
    assert int(second["dynamodb"]["SequenceNumber"]) > int(first["dynamodb"]["SequenceNumber"])
    json.dumps(recorder.calls)  # serialisable, as a real event is


def test_stream_batch_item_failures_checkpoint_before_the_first_failure(endpoint: str) -> None:
    table = make_table(endpoint)
    app = Chalice(app_name="demo")
    recorder = Recorder()
    failed_once: set[str] = set()

    @app.on_dynamodb_record(
        stream_arn="${aws_dynamodb_table.things.stream_arn}", batch_size=10, starting_position="TRIM_HORIZON"
    )
    def on_things(event: Any) -> dict[str, Any]:
        records = event.to_dict()["Records"]
        recorder.add(records)
        for record in records:
            if stream_id(record) == "c" and "c" not in failed_once:
                failed_once.add("c")
                return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    for item_id in "abcd":
        put(endpoint, table, item_id)
    runtime = run(app, endpoint, {"things": table}, {})
    try:
        wait_for(lambda: len(recorder.calls) >= 2)
        time.sleep(0.3)
    finally:
        runtime.stop()
    assert recorder.ids(stream_id) == [["a", "b", "c", "d"], ["c", "d"]]


def test_stream_gives_up_after_the_retry_limit_and_moves_on(endpoint: str) -> None:
    table = make_table(endpoint)
    app = Chalice(app_name="demo")
    recorder = Recorder()

    @app.on_dynamodb_record(
        stream_arn="${aws_dynamodb_table.things.stream_arn}", batch_size=1, starting_position="TRIM_HORIZON"
    )
    def on_things(event: Any) -> None:
        records = event.to_dict()["Records"]
        recorder.add(records)
        if stream_id(records[0]) == "poison":
            raise RuntimeError("always fails")

    put(endpoint, table, "poison")
    put(endpoint, table, "next")
    runtime = run(app, endpoint, {"things": table}, {})
    try:
        wait_for(lambda: ["next"] in recorder.ids(stream_id))
    finally:
        runtime.stop()
    assert recorder.ids(stream_id) == [["poison"]] * 3 + [["next"]]  # first try + max_retries=2


# --- SQS ---------------------------------------------------------------------------------------


def send(endpoint: str, queue: str, *bodies: str) -> None:
    sqs = aws_client("sqs", endpoint)
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    for body in bodies:
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}}
        )


def test_sqs_messages_are_lambda_shaped_and_deleted_on_success(endpoint: str) -> None:
    queue = make_queue(endpoint)
    app = Chalice(app_name="demo")
    recorder = Recorder()

    @app.on_sqs_message(queue_arn="${aws_sqs_queue.jobs.arn}", batch_size=10)
    def on_jobs(event: Any) -> None:
        recorder.add(event.to_dict()["Records"])

    send(endpoint, queue, "one", "two")
    runtime = run(app, endpoint, {}, {"jobs": queue})
    try:
        wait_for(lambda: sum(len(c) for c in recorder.calls) >= 2)
        wait_for(lambda: queue_depth(endpoint, queue) == 0)
        time.sleep(1.5)  # past the visibility timeout: nothing comes back
    finally:
        runtime.stop()
    records = [r for call in recorder.calls for r in call]
    assert sorted(r["body"] for r in records) == ["one", "two"]
    record = records[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(f":{queue}")
    assert record["attributes"]["ApproximateReceiveCount"] == "1" and record["receiptHandle"]
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert record["md5OfBody"] and record["messageId"] and record["awsRegion"] == "us-east-1"


def test_sqs_failure_redelivers_after_visibility_timeout_then_dead_letters(endpoint: str) -> None:
    queue = make_queue(endpoint, visibility=1, max_receive_count=2)
    app = Chalice(app_name="demo")
    recorder = Recorder()

    @app.on_sqs_message(queue_arn="${aws_sqs_queue.jobs.arn}", batch_size=10)
    def on_jobs(event: Any) -> None:
        recorder.add(event.to_dict()["Records"])
        raise RuntimeError("always fails")

    send(endpoint, queue, "poison")
    runtime = run(app, endpoint, {}, {"jobs": queue})
    try:
        wait_for(lambda: queue_depth(endpoint, f"{queue}-dlq") == 1, timeout=8)
    finally:
        runtime.stop()
    counts = [call[0]["attributes"]["ApproximateReceiveCount"] for call in recorder.calls]
    assert counts == ["1", "2"]  # redelivered once after the timeout, then moved to the DLQ
    assert recorder.calls[1][0]["attributes"]["ApproximateFirstReceiveTimestamp"]
    assert queue_depth(endpoint, queue) == 0


def test_sqs_partial_batch_failure_keeps_only_the_failed_messages(endpoint: str) -> None:
    queue = make_queue(endpoint, visibility=1, max_receive_count=5)
    app = Chalice(app_name="demo")
    recorder = Recorder()

    @app.on_sqs_message(queue_arn="${aws_sqs_queue.jobs.arn}", batch_size=10)
    def on_jobs(event: Any) -> dict[str, Any]:
        records = event.to_dict()["Records"]
        recorder.add(records)
        failed = [r for r in records if r["body"] == "bad" and r["attributes"]["ApproximateReceiveCount"] == "1"]
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in failed]}

    send(endpoint, queue, "good-1", "bad", "good-2")
    runtime = run(app, endpoint, {}, {"jobs": queue})
    try:
        wait_for(
            lambda: any(
                r["body"] == "bad" and r["attributes"]["ApproximateReceiveCount"] == "2"
                for call in recorder.calls
                for r in call
            ),
            timeout=8,
        )
        wait_for(lambda: queue_depth(endpoint, queue) == 0)
    finally:
        runtime.stop()
    bodies = [r["body"] for call in recorder.calls for r in call]
    assert sorted(bodies) == ["bad", "bad", "good-1", "good-2"]  # only the failed one came back
    assert queue_depth(endpoint, f"{queue}-dlq") == 0


def test_stream_keeps_flowing_after_a_cancelled_transaction(endpoint: str) -> None:
    # moto rolls a cancelled transaction back by restoring a copy of the table (and its stream).
    table = make_table(endpoint)
    app = Chalice(app_name="demo")
    recorder = Recorder()

    @app.on_dynamodb_record(
        stream_arn="${aws_dynamodb_table.things.stream_arn}", batch_size=10, starting_position="LATEST"
    )
    def on_things(event: Any) -> None:
        recorder.add(event.to_dict()["Records"])

    put(endpoint, table, "before-start")  # LATEST: not delivered
    runtime = run(app, endpoint, {"things": table}, {})
    try:
        runtime.wait_ready()  # LATEST is fixed: what is written now is delivered
        put(endpoint, table, "a")
        wait_for(lambda: recorder.calls)
        ddb = aws_client("dynamodb", endpoint)
        with pytest.raises(ddb.exceptions.TransactionCanceledException):
            ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {"id": {"S": "a"}},
                            "ConditionExpression": "attribute_not_exists(id)",
                        }
                    }
                ]
            )
        put(endpoint, table, "b")
        wait_for(lambda: ["b"] in recorder.ids(stream_id))
    finally:
        runtime.stop()
    assert [i for call in recorder.ids(stream_id) for i in call] == ["a", "b"]
