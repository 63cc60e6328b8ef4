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
