"""The devstack's cheaper transaction rollback must roll back exactly what moto's did."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devstack import moto_patches

STREAM_ENDPOINT = "https://streams.dynamodb.us-east-1.amazonaws.com/"


@pytest.fixture
def ddb() -> Iterator[Any]:
    moto_patches.apply()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for name, keys in (("one", ["k"]), ("two", ["k", "r"])):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ["HASH", "RANGE"], strict=False)],
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            )
        client.put_item(TableName="one", Item={"k": {"S": "a"}, "n": {"N": "5"}})
        client.put_item(TableName="two", Item={"k": {"S": "a"}, "r": {"S": "1"}, "n": {"N": "5"}})
        yield client


def stream_count(client: Any, table: str) -> int:
    streams = boto3.client("dynamodbstreams", region_name="us-east-1", endpoint_url=STREAM_ENDPOINT)
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def state(client: Any) -> tuple[Any, ...]:
    return (
        client.scan(TableName="one")["Items"],
        client.scan(TableName="two")["Items"],
        stream_count(client, "one"),
        stream_count(client, "two"),
    )


def test_cancelled_transaction_changes_nothing(ddb: Any) -> None:
    before = state(ddb)
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "one",
                        "Key": {"k": {"S": "a"}},
                        "UpdateExpression": "SET n = :v",
                        "ExpressionAttributeValues": {":v": {"N": "1"}},
                    }
                },
                {"Put": {"TableName": "two", "Item": {"k": {"S": "b"}, "r": {"S": "2"}}}},
                {"Put": {"TableName": "one", "Item": {"k": {"S": "new"}}}},
                {"Delete": {"TableName": "two", "Key": {"k": {"S": "a"}, "r": {"S": "1"}}}},
                {
                    "Update": {
                        "TableName": "two",
                        "Key": {"k": {"S": "zz"}, "r": {"S": "9"}},
                        "UpdateExpression": "SET n = :v",
                        "ConditionExpression": "attribute_exists(k)",
                        "ExpressionAttributeValues": {":v": {"N": "1"}},
                    }
                },
            ]
        )
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert state(ddb) == before


def test_committed_transaction_is_applied_and_streamed(ddb: Any) -> None:
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "one",
                    "Key": {"k": {"S": "a"}},
                    "UpdateExpression": "SET n = n - :v",
                    "ConditionExpression": "n >= :v",
                    "ExpressionAttributeValues": {":v": {"N": "2"}},
                }
            },
            {"Put": {"TableName": "two", "Item": {"k": {"S": "b"}, "r": {"S": "2"}}}},
        ]
    )
    assert ddb.get_item(TableName="one", Key={"k": {"S": "a"}})["Item"]["n"] == {"N": "3"}
    assert stream_count(ddb, "one") == 2 and stream_count(ddb, "two") == 2


def test_failed_condition_reports_the_old_item(ddb: Any) -> None:
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "one",
                        "Key": {"k": {"S": "a"}},
                        "UpdateExpression": "SET n = n - :v",
                        "ConditionExpression": "n >= :v",
                        "ExpressionAttributeValues": {":v": {"N": "9"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    reasons = err.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed" and reasons[0]["Item"]["n"] == {"N": "5"}
    assert ddb.get_item(TableName="one", Key={"k": {"S": "a"}})["Item"]["n"] == {"N": "5"}


# --- TransactionConflict emulation ------------------------------------------------------------


@pytest.fixture
def conflicts(ddb: Any) -> Iterator[Any]:
    moto_patches.CONFLICTS.configure(500)  # ms
    try:
        yield ddb
    finally:
        moto_patches.CONFLICTS.configure(0)


def bump(key: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": "one",
            "Key": {"k": {"S": key}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def reasons(err: Any) -> list[str]:
    return [r["Code"] for r in err.value.response["CancellationReasons"]]


def test_a_transaction_touching_an_item_another_just_wrote_is_cancelled(conflicts: Any) -> None:
    import time

    conflicts.put_item(TableName="one", Item={"k": {"S": "c"}, "n": {"N": "0"}})
    before = state(conflicts)
    conflicts.transact_write_items(TransactItems=[bump("a")])
    items = conflicts.scan(TableName="one")["Items"]
    with pytest.raises(ClientError) as err:
        conflicts.transact_write_items(TransactItems=[bump("b"), bump("a")])  # b untouched, a just written
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert reasons(err) == ["None", "TransactionConflict"]
    assert conflicts.scan(TableName="one")["Items"] == items  # nothing written
    # A condition check counts as touching the item too.
    check = {
        "ConditionCheck": {"TableName": "one", "Key": {"k": {"S": "a"}}, "ConditionExpression": "attribute_exists(k)"}
    }
    with pytest.raises(ClientError) as err:
        conflicts.transact_write_items(TransactItems=[check])
    assert reasons(err) == ["TransactionConflict"]
    conflicts.transact_write_items(TransactItems=[bump("c")])  # other items are free
    time.sleep(0.55)  # past the window: the item is free again
    conflicts.transact_write_items(TransactItems=[bump("a")])
    assert conflicts.get_item(TableName="one", Key={"k": {"S": "a"}})["Item"]["n"] == {"N": "7"}
    after = state(conflicts)  # the cancelled ones left nothing on the stream: 3 writes, 3 records
    assert (after[2], after[3]) == (before[2] + 3, before[3])
    assert moto_patches.CONFLICTS.describe() == {"windowMs": 500.0, "enabled": True, "cancelled": 2}


def test_conflicts_are_off_by_default_and_plain_writes_never_conflict(ddb: Any) -> None:
    assert moto_patches.CONFLICTS.window_ms == 0
    for _ in range(3):
        ddb.transact_write_items(TransactItems=[bump("a")])
    moto_patches.CONFLICTS.configure(1000)
    try:
        ddb.transact_write_items(TransactItems=[bump("a")])
        ddb.update_item(  # a plain write is not a transaction: it neither conflicts nor causes one
            TableName="one",
            Key={"k": {"S": "a"}},
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        ddb.transact_write_items(TransactItems=[bump("b")])
        with pytest.raises(ClientError):
            ddb.transact_write_items(TransactItems=[bump("a")])
    finally:
        moto_patches.CONFLICTS.configure(0)
    with pytest.raises(ValueError):
        moto_patches.CONFLICTS.configure(-1)


# --- GetRecords without moto's model-driven serializer ------------------------------------------


def test_stream_records_read_the_same_as_through_motos_serializer(ddb: Any) -> None:
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    ddb.put_item(
        TableName="one",
        Item={
            "k": {"S": "every-type"},
            "b": {"B": b"\x00\x01\xffbinary"},
            "bs": {"BS": [b"x", b"\x00y"]},
            "n": {"N": "-12.50"},
            "ns": {"NS": ["1", "2.5"]},
            "ss": {"SS": ["p", "q"]},
            "m": {"M": {"l": {"L": [{"B": b"z"}, {"NULL": True}, {"BOOL": False}, {"S": "\u00e9\n"}]}}},
        },
    )
    ddb.delete_item(TableName="one", Key={"k": {"S": "a"}})
    streams = boto3.client("dynamodbstreams", region_name="us-east-1", endpoint_url=STREAM_ENDPOINT)
    arn = ddb.describe_table(TableName="one")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def read() -> list[dict[str, Any]]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        return list(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])

    fast = read()
    patched = DynamoDBStreamsHandler.get_records
    DynamoDBStreamsHandler.get_records = patched._original  # type: ignore[attr-defined,method-assign]
    try:
        slow = read()
    finally:
        DynamoDBStreamsHandler.get_records = patched  # type: ignore[method-assign]
    assert [r["eventName"] for r in fast] == ["INSERT", "INSERT", "REMOVE"]
    assert fast == slow
    assert fast[1]["dynamodb"]["NewImage"]["b"] == {"B": b"\x00\x01\xffbinary"}
