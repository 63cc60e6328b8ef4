"""The stock stream handler fed real stream records read from the emulator, the SNS -> SQS hop,
and the e-mail consumer: one alert per crossing, whoever made the change, however often retried."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from devstack.runtime import sqs_record, stream_record
from tests.integration.conftest import Cognito, env, sent_emails
from tests.integration.test_products_api import call, create
from tests.support.aws_calls import acting_as


class Stream:
    """Reads the stock table's stream from where the previous read stopped, as Lambda would."""

    def __init__(self) -> None:
        # The trailing slash: moto's in-process mock only routes DynamoDB Streams calls to "/",
        # and current botocore sends them to an empty path.
        self.streams = boto3.client("dynamodbstreams", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com/")
        self.arn = boto3.client("dynamodb").describe_table(TableName=env("STOCK_TABLE"))["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.streams.get_shard_iterator(
            StreamArn=self.arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def read(self) -> list[dict[str, Any]]:
        response = self.streams.get_records(ShardIterator=self.iterator)
        self.iterator = response["NextShardIterator"]
        return [stream_record(r, self.arn) for r in response["Records"]]


def queue_url() -> str:
    return boto3.client("sqs").get_queue_url(QueueName=env("ALERT_EMAILS_QUEUE_URL").rsplit("/", 1)[1])["QueueUrl"]


def drain_alert_queue() -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url = queue_url()
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", []
    )
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [sqs_record(m, arn) for m in messages]


def alerts_in(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(json.loads(r["body"])["Message"]) for r in records]


def invoke(client: Client, handler: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.lambda_.invoke(handler, {"Records": records})
    payload: dict[str, Any] = response.payload
    return payload


def flush_digest(
    client: Client, monkeypatch: pytest.MonkeyPatch, record: dict[str, Any], alert: dict[str, Any]
) -> dict[str, Any]:
    """Deliver the digest-due message of `alert`'s window once the window has ended, as SQS does
    after the message's delay (the clock moved past the window's end instead of waiting)."""
    from chalicelib.core.config import get_settings
    from chalicelib.core.events import parse_time
    from chalicelib.inventory import digests

    window = digests.Window.of(parse_time(alert["detectedAt"]), get_settings().low_stock_digest_window_seconds)
    due = {**record, "messageId": f"due-{window.digest_id}", "body": json.dumps(window.due_message())}
    with monkeypatch.context() as later:
        later.setattr(digests, "utcnow", lambda: window.end + timedelta(seconds=1))
        return invoke(client, "send_alert_emails", [due])


def test_crossing_below_threshold_alerts_once_and_emails_the_admins(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = Stream()
    create(client, cognito, quantity=6, threshold=5)
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 1})  # 5: not low
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 2})  # 3: crossing
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 1})  # 2: still low
    records = stream.read()
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "MODIFY", "MODIFY"]

    assert invoke(client, "on_stock_change", records) == {"batchItemFailures": []}
    messages = drain_alert_queue()
    alerts = alerts_in(messages)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["type"] == "LowStock" and alert["productId"] == "493.857.51" and alert["warehouseId"] == "main"
    assert alert["available"] == 3 and alert["threshold"] == 5 and alert["productName"] == "Complete bed"

    # Lambda retries the whole batch (e.g. after a timeout): no second alert.
    assert invoke(client, "on_stock_change", records) == {"batchItemFailures": []}
    assert drain_alert_queue() == []

    assert invoke(client, "send_alert_emails", messages) == {"batchItemFailures": []}
    assert sent_emails() == []  # collected into its digest window, e-mailed when the window ends
    assert flush_digest(client, monkeypatch, messages[0], alert) == {"batchItemFailures": []}
    emails = sent_emails()
    assert len(emails) == 1
    email = emails[0]
    assert email.destinations["ToAddresses"] == ["owner@example.com"]
    assert email.subject == "Low stock: Complete bed has 3 left"
    assert "Complete bed" in email.body and "493.857.51" in email.body
    # A duplicated SQS delivery, of the alert or of the due message, does not e-mail twice.
    assert invoke(client, "send_alert_emails", messages) == {"batchItemFailures": []}
    assert flush_digest(client, monkeypatch, messages[0], alert) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1


def test_recovering_and_crossing_again_alerts_again(client: Client, cognito: Cognito) -> None:
    stream = Stream()
    create(client, cognito, quantity=6, threshold=5)
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 2})
    call(client, "PUT", "/products/493.857.51", cognito, {"quantity": 10})
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 9})
    invoke(client, "on_stock_change", stream.read())
    assert [a["available"] for a in alerts_in(drain_alert_queue())] == [4, 1]


def test_a_direct_table_write_alerts_too(client: Client, cognito: Cognito) -> None:
    stream = Stream()
    create(client, cognito, quantity=10, threshold=5)
    boto3.client("dynamodb").update_item(
        TableName=env("STOCK_TABLE"),
        Key={"product_id": {"S": "493.857.51"}, "warehouse_id": {"S": "main"}},
        UpdateExpression="SET on_hand = :q",  # as someone would in the console: only one field
        ExpressionAttributeValues={":q": {"N": "2"}},
    )
    invoke(client, "on_stock_change", stream.read())
    assert [a["available"] for a in alerts_in(drain_alert_queue())] == [2]


def test_a_failing_record_is_reported_and_retried_alone(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.inventory import alerts

    stream = Stream()
    for pid in ("A-1", "B-2"):
        create(client, cognito, productId=pid, quantity=6, threshold=5)
        call(client, "POST", "/inventory-order", cognito, {"productId": pid, "quantity": 3})
    records = stream.read()
    real_publish = alerts._publish

    def flaky(alert: dict[str, Any]) -> str:
        if alert["productId"] == "A-1":
            raise RuntimeError("SNS is having a bad day")
        return real_publish(alert)

    monkeypatch.setattr(alerts, "_publish", flaky)
    response = invoke(client, "on_stock_change", records)
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    a1_modify = next(
        r for r in records if r["eventName"] == "MODIFY" and r["dynamodb"]["Keys"]["product_id"]["S"] == "A-1"
    )
    assert failed == [a1_modify["dynamodb"]["SequenceNumber"]]
    assert [a["productId"] for a in alerts_in(drain_alert_queue())] == ["B-2"]

    monkeypatch.setattr(alerts, "_publish", real_publish)
    # Lambda retries from the failed record on; B-2's alert is not repeated.
    retry = records[records.index(a1_modify) :]
    assert invoke(client, "on_stock_change", retry) == {"batchItemFailures": []}
    assert [a["productId"] for a in alerts_in(drain_alert_queue())] == ["A-1"]


def test_email_failure_leaves_the_message_for_retry(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core import notifications

    stream = Stream()
    create(client, cognito, quantity=6, threshold=5)
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 3})
    invoke(client, "on_stock_change", stream.read())
    messages = drain_alert_queue()

    def down(**_: Any) -> str:
        raise RuntimeError("SES throttled")

    assert invoke(client, "send_alert_emails", messages) == {"batchItemFailures": []}
    alert = alerts_in(messages)[0]
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with monkeypatch.context() as outage:
        outage.setattr(notifications, "send_email", down)
        with pytest.raises(BatchProcessingError):  # every record failed: Powertools fails the whole batch
            flush_digest(client, monkeypatch, messages[0], alert)
    assert sent_emails() == []
    assert flush_digest(client, monkeypatch, messages[0], alert) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1


def test_reconcile_repairs_and_records_edits_made_outside_the_app(client: Client, cognito: Cognito) -> None:
    create(client, cognito, quantity=10, threshold=5)
    create(client, cognito, productId="B-2", quantity=7, threshold=1)
    ddb = boto3.client("dynamodb")
    ddb.update_item(
        TableName=env("STOCK_TABLE"),
        Key={"product_id": {"S": "493.857.51"}, "warehouse_id": {"S": "main"}},
        UpdateExpression="SET on_hand = :q",
        ExpressionAttributeValues={":q": {"N": "4"}},
    )
    scheduled = client.events.generate_cw_event(
        "aws.events", "Scheduled Event", {}, ["arn:aws:events:us-east-1:123456789012:rule/r"]
    )
    result = client.lambda_.invoke("reconcile_stock", scheduled).payload
    assert result == {"checked": 2, "repaired": 1}
    product = call(client, "GET", "/products/493.857.51", cognito).data
    assert product["stock"][0]["onHand"] == 4 and product["stock"][0]["available"] == 4
    ledger = call(client, "GET", "/products/493.857.51/movements", cognito).data["items"]
    assert (ledger[0]["reason"], ledger[0]["onHandDelta"], ledger[0]["actor"]) == (
        "edited outside the app",
        -6,
        "system:reconcile",
    )
    again = client.lambda_.invoke("reconcile_stock", scheduled).payload
    assert again == {"checked": 2, "repaired": 0}


def test_each_record_logs_under_its_own_id(client: Client, cognito: Cognito) -> None:
    import io

    from chalicelib.core.observability import logger

    stream = Stream()
    create(client, cognito, quantity=6, threshold=5)
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 3})
    records = stream.read()
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    logger.setLevel("INFO")
    try:
        invoke(client, "on_stock_change", records)
    finally:
        logger.setLevel("WARNING")
        handler.setStream(previous)  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    published = [line for line in lines if line["message"] == "low-stock alert published"]
    assert [line["record_id"] for line in published] == [records[1]["eventID"]]
    assert published[0]["correlation_id"]
    assert "record_id" not in logger.get_current_keys()  # removed once the record is done


# --- issue 7 §1, §4: new lines, unrecognised messages, reconciliation from the running total -----


def test_a_new_line_born_below_its_threshold_alerts_once(client: Client, cognito: Cognito) -> None:
    stream = Stream()
    create(client, cognito, productId="OK-1", quantity=10, threshold=5)  # INSERT, not low: nothing
    create(client, cognito, productId="LOW-1", quantity=2, threshold=5)  # INSERT, already low: one alert
    records = stream.read()
    assert [r["eventName"] for r in records] == ["INSERT", "INSERT"]
    assert invoke(client, "on_stock_change", records) == {"batchItemFailures": []}
    alerts = alerts_in(drain_alert_queue())
    assert [(a["productId"], a["available"], a["threshold"]) for a in alerts] == [("LOW-1", 2, 5)]


def test_a_deleted_line_never_alerts(client: Client, cognito: Cognito) -> None:
    create(client, cognito, productId="GONE-1", quantity=2, threshold=5)
    stream = Stream()
    stream.read()
    call(client, "DELETE", "/products/GONE-1", cognito)
    records = stream.read()
    assert [r["eventName"] for r in records] == ["REMOVE"]
    invoke(client, "on_stock_change", records)
    assert drain_alert_queue() == []


def test_a_message_that_is_not_an_alert_fails_so_it_reaches_the_dead_letter_queue(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = Stream()
    create(client, cognito, quantity=6, threshold=5)
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 3})
    invoke(client, "on_stock_change", stream.read())
    alert = drain_alert_queue()[0]
    strangers = [
        {**alert, "messageId": "m-other-json", "body": json.dumps({"hello": "world"})},
        {**alert, "messageId": "m-wrapped", "body": json.dumps({"TopicArn": "arn:x", "Message": json.dumps([1, 2])})},
        {**alert, "messageId": "m-typed", "body": json.dumps({"type": "Something", "alertId": "x"})},
    ]
    response = invoke(client, "send_alert_emails", [alert, *strangers])
    # Reported as failed (Lambda returns them to the queue; after maxReceiveCount they are
    # dead-lettered, where they can be inspected), never deleted as if handled.
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == [
        "m-other-json",
        "m-typed",
        "m-wrapped",
    ]
    assert flush_digest(client, monkeypatch, alert, alerts_in([alert])[0]) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1  # the real alert was still e-mailed
    bad_due = {**alert, "messageId": "m-due", "body": json.dumps({"type": "LowStockDigestDue", "digestId": "x"})}
    response = invoke(client, "send_alert_emails", [alert, bad_due])
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-due"}]}


def _scheduled(client: Client) -> Any:
    return client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:aws:events:us-east-1:1:rule/r"])


def test_reconcile_reads_the_lines_consistently_and_no_movements(client: Client, cognito: Cognito) -> None:
    from bench.aws_calls import count_aws_calls

    for n in range(3):
        create(client, cognito, productId=f"R-{n}", quantity=10, threshold=1)
        for _ in range(3):
            call(client, "POST", "/inventory-order", cognito, {"productId": f"R-{n}", "quantity": 1})
    requests: list[tuple[str, dict[str, Any]]] = []
    with count_aws_calls(requests) as calls:
        result = client.lambda_.invoke("reconcile_stock", _scheduled(client)).payload
    assert result == {"checked": 3, "repaired": 0}
    # The running ledger total rides on each line: the ledger itself is not read at all.
    assert not any(name == "dynamodb.Query" for name, _ in requests), dict(calls)
    scans = [params for name, params in requests if name == "dynamodb.Scan"]
    assert scans and all(p.get("ConsistentRead") is True for p in scans)


def test_an_order_landing_mid_reconcile_books_no_phantom_correction(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.inventory import stock
    from chalicelib.shop import staff_orders

    create(client, cognito, quantity=10, threshold=1)
    boto3.client("dynamodb").update_item(  # someone counts the shelf by hand: 14, not 10
        TableName=env("STOCK_TABLE"),
        Key={"product_id": {"S": "493.857.51"}, "warehouse_id": {"S": "main"}},
        UpdateExpression="SET on_hand = :n, available = :n",
        ExpressionAttributeValues={":n": {"N": "14"}},
    )
    real = stock.reconcile_line

    def read_then_an_order_lands(line: Any, *, actor: str) -> bool:
        with acting_as("api_handler"):  # the API's order, not the reconcile handler's (least privilege)
            staff_orders.place_inventory_order(
                {"productId": "493.857.51", "quantity": 3}, actor="user:other@example.com", idempotency_key=None
            )
        return real(line, actor=actor)

    monkeypatch.setattr(stock, "reconcile_line", read_then_an_order_lands)
    first = client.lambda_.invoke("reconcile_stock", _scheduled(client)).payload
    assert first == {"checked": 1, "repaired": 0}  # the line changed after it was read: left alone
    monkeypatch.setattr(stock, "reconcile_line", real)
    second = client.lambda_.invoke("reconcile_stock", _scheduled(client)).payload
    assert second == {"checked": 1, "repaired": 1}
    ledger = call(client, "GET", "/products/493.857.51/movements", cognito).data["items"]
    corrections = [m["onHandDelta"] for m in ledger if m["reason"] == "edited outside the app"]
    assert corrections == [4]  # exactly the hand edit, once; never the order's units
    product = call(client, "GET", "/products/493.857.51", cognito).data
    assert product["stock"][0]["onHand"] == 11 == sum(m["onHandDelta"] for m in ledger)
    assert client.lambda_.invoke("reconcile_stock", _scheduled(client)).payload == {"checked": 1, "repaired": 0}


def test_a_line_without_a_running_total_is_initialised_from_its_ledger(client: Client, cognito: Cognito) -> None:
    create(client, cognito, quantity=10, threshold=1)
    call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 4})
    ddb = boto3.client("dynamodb")
    key = {"product_id": {"S": "493.857.51"}, "warehouse_id": {"S": "main"}}
    ddb.update_item(TableName=env("STOCK_TABLE"), Key=key, UpdateExpression="REMOVE ledger_on_hand")
    assert client.lambda_.invoke("reconcile_stock", _scheduled(client)).payload == {"checked": 1, "repaired": 0}
    item = ddb.get_item(TableName=env("STOCK_TABLE"), Key=key, ConsistentRead=True)["Item"]
    assert item["ledger_on_hand"] == {"N": "6"} and item["on_hand"] == {"N": "6"}
    reasons = [m["reason"] for m in call(client, "GET", "/products/493.857.51/movements", cognito).data["items"]]
    assert "edited outside the app" not in reasons


def test_crossings_of_one_window_are_one_digest_and_a_late_one_joins_the_next(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core.config import get_settings
    from chalicelib.core.events import parse_time
    from chalicelib.inventory import digests

    stream = Stream()
    for n in range(3):
        create(client, cognito, productId=f"BULK-{n}", productName=f"Bulk item {n}", quantity=6, threshold=5)
    for n in range(3):
        call(client, "POST", "/inventory-order", cognito, {"productId": f"BULK-{n}", "quantity": 3})
    invoke(client, "on_stock_change", stream.read())
    messages = drain_alert_queue()
    alerts = alerts_in(messages)
    assert len(alerts) == 3
    # All three detected within a second: one window unless they straddle a boundary.
    seconds = get_settings().low_stock_digest_window_seconds
    windows = {digests.Window.of(parse_time(a["detectedAt"]), seconds) for a in alerts}
    assert invoke(client, "send_alert_emails", messages) == {"batchItemFailures": []}
    for window in sorted(windows, key=lambda w: w.start):
        first = next(a for a in alerts if digests.Window.of(parse_time(a["detectedAt"]), seconds) == window)
        flush_digest(client, monkeypatch, messages[0], first)
    emails = sent_emails()
    assert len(emails) == len(windows)
    assert sorted(n for e in emails for n in range(3) if f"BULK-{n}" in e.body) == [0, 1, 2]
    if len(windows) == 1:
        assert emails[0].subject == "Low stock: 3 items below their thresholds"

    # A crossing collected after its window was flushed joins a later window: never lost. "Later"
    # is past every window flushed above (the three crossings may straddle a boundary: two windows).
    late = {**alerts[0], "alertId": alerts[0]["alertId"] + "-late"}
    window = digests.Window.of(parse_time(late["detectedAt"]), seconds)
    after_all = max(w.end for w in windows) + timedelta(seconds=1)
    moved_to = digests.collect(late, now=after_all)
    assert moved_to != window.digest_id
    later = digests.Window.of(after_all, seconds)
    assert moved_to == later.digest_id
    assert [a["alertId"] for a in digests.close(later, now=later.end)] == [late["alertId"]]
