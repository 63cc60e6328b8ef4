"""The domain events' handlers on the emulated account: an order moved by the real transition
helper, its orders-stream records read back and handed to `publish_order_events`, the bus's rules
delivering to the consumers' queues, and each consumer invoked with what its queue holds (as Lambda
would): the purchase e-mail once, the ledger's records once, the feed on the `order_events` topic;
a redelivered batch changes nothing. (The same end to end over HTTP: tests/e2e/test_domain_events.py.)
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from chalice.test import Client

from devstack.runtime import sqs_record, stream_record
from tests.integration.conftest import Cognito, env, sent_emails
from tests.support.order_events import make_order, schema_errors


def _queue(env_name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=env(env_name).rsplit("/", 1)[1])["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(env_name: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url, arn = _queue(env_name)
    records = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            records.append(sqs_record(message, arn))
    return records


def orders_stream() -> list[dict[str, Any]]:
    streams = boto3.client("dynamodbstreams", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com/")
    arn = boto3.client("dynamodb").describe_table(TableName=env("ORDERS_TABLE"))["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return [stream_record(r, arn) for r in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]]


def mails_about(order_id: str) -> list[Any]:
    """The raw e-mails (SendRawEmail) that name the order in their subject."""
    return [e for e in sent_emails() if f"Subject: New order {order_id}" in getattr(e, "raw_data", "")]


def invoke(client: Client, handler: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    payload: dict[str, Any] = client.lambda_.invoke(handler, {"Records": records}).payload
    return payload


def test_an_order_confirmed_then_cancelled_reaches_every_consumer_once(shared_stack: tuple[Client, Cognito]) -> None:
    from chalicelib.orders import ledger
    from chalicelib.orders.transitions import apply_transition

    client, _ = shared_stack
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    feed_url = sqs.create_queue(QueueName="feed-subscriber")["QueueUrl"]
    feed_arn = sqs.get_queue_attributes(QueueUrl=feed_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=env("ORDER_EVENTS_TOPIC_ARN"), Protocol="sqs", Endpoint=feed_arn)

    order = make_order(("PLACED",))
    order.save()
    for status in ("PAID", "CONFIRMED", "CANCELLED"):
        apply_transition(order.order_id, status, actor="workflow")
    records = [r for r in orders_stream() if r["dynamodb"]["Keys"]["order_id"]["S"] == order.order_id]
    assert len(records) == 4
    assert invoke(client, "publish_order_events", records) == {"batchItemFailures": []}

    purchases = drain("PURCHASE_EMAILS_QUEUE_URL")
    sales = drain("LEDGER_EVENTS_QUEUE_URL")
    feed = drain("ORDER_FEED_QUEUE_URL")
    assert [json.loads(r["body"])["detail-type"] for r in purchases] == ["OrderConfirmed"]
    assert sorted(json.loads(r["body"])["detail-type"] for r in sales) == [
        "OrderCancelled",
        "OrderConfirmed",
        "OrderRefunded",
    ]
    assert len(feed) == 5  # placed, paid, confirmed, cancelled, refunded
    for record in feed:
        event = json.loads(record["body"])
        assert schema_errors(event["detail-type"], event["detail"]) == []

    # SES and SNS down at first: the messages fail (their dedupe records are deleted, so the
    # retry sends), and nothing was sent.
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from chalicelib.core import notifications

    with pytest.MonkeyPatch.context() as outage:

        def down(**_: Any) -> str:
            raise RuntimeError("service unavailable")

        outage.setattr(notifications, "send_mail", down)
        outage.setattr(notifications, "publish", down)
        with pytest.raises(BatchProcessingError):  # its only message failed: the whole batch fails
            invoke(client, "send_purchase_emails", purchases)
        placed = next(r for r in feed if json.loads(r["body"])["detail-type"] == "OrderPlaced")
        confirmed = next(r for r in feed if json.loads(r["body"])["detail-type"] == "OrderConfirmed")
        failed = invoke(client, "publish_order_feed", [placed, confirmed])  # the workflow announces the latter
        assert failed == {"batchItemFailures": [{"itemIdentifier": placed["messageId"]}]}
    assert mails_about(order.order_id) == []

    for _ in range(2):  # the second time: every message delivered again
        assert invoke(client, "send_purchase_emails", purchases) == {"batchItemFailures": []}
        assert invoke(client, "record_sales", sales) == {"batchItemFailures": []}
        assert invoke(client, "publish_order_feed", feed) == {"batchItemFailures": []}
    emails = mails_about(order.order_id)
    assert len(emails) == 1 and "owner@example.com" in emails[0].raw_data
    written = ledger.LedgerRecord.scan(ledger.LedgerRecord.order_id == order.order_id, consistent_read=True)
    events = sorted(str(r.event) for r in written)
    assert events.count("SOLD") == 2 and events.count("REFUNDED") == 3  # two lines and the order
    published = sqs.receive_message(QueueUrl=feed_url, MaxNumberOfMessages=10)["Messages"]
    assert len(published) == 4  # OrderConfirmed is the workflow's own notification on this topic
    messages = [json.loads(json.loads(m["Body"])["Message"]) for m in published]
    kinds = sorted(m["detail-type"] for m in messages)
    assert kinds == sorted(["OrderPlaced", "OrderPaid", "OrderCancelled", "OrderRefunded"])
    assert all("email" not in m["detail"]["order"] and "shippingAddress" not in m["detail"]["order"] for m in messages)
    assert all("@" not in json.dumps(m) for m in messages)  # nor a guest's e-mail as the actor

    # A stream batch delivered again publishes the same eventIds: the consumers change nothing.
    assert invoke(client, "publish_order_events", records) == {"batchItemFailures": []}
    assert invoke(client, "send_purchase_emails", drain("PURCHASE_EMAILS_QUEUE_URL")) == {"batchItemFailures": []}
    assert invoke(client, "record_sales", drain("LEDGER_EVENTS_QUEUE_URL")) == {"batchItemFailures": []}
    assert invoke(client, "publish_order_feed", drain("ORDER_FEED_QUEUE_URL")) == {"batchItemFailures": []}
    assert len(mails_about(order.order_id)) == 1
    assert sqs.receive_message(QueueUrl=feed_url, MaxNumberOfMessages=10).get("Messages", []) == []
