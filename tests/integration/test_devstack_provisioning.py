"""Provisioning settings an engineer chooses for the devstack (`devstack.provision`)."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.core import resources
from devstack.env import REGION, SQS_VISIBILITY_SCALE, scaled_visibility, sqs_visibility_scale
from devstack.provision import local_names, provision_resources


def visibility(queue_key: str) -> int:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=local_names()[1][queue_key])["QueueUrl"]
    return int(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"]
    )


def test_visibility_timeouts_scale_down_for_watching_redelivery(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for queue in resources.QUEUES:
        assert visibility(queue.key) == queue.visibility_timeout  # as deployed: 6 x the consumer's timeout
    monkeypatch.setenv(SQS_VISIBILITY_SCALE, "0.05")
    provision_resources(None)  # re-run on existing queues: attributes brought in line
    for queue in resources.QUEUES:
        assert visibility(queue.key) == scaled_visibility(queue.visibility_timeout, 0.05)
        # maxReceiveCount receives, one visibility timeout apart: dead-lettered in about a minute
        assert queue.max_receive_count * visibility(queue.key) <= 60


def test_the_scale_is_checked() -> None:
    assert sqs_visibility_scale({}) == 1
    assert sqs_visibility_scale({SQS_VISIBILITY_SCALE: "0.1"}) == 0.1
    for bad in ("0", "-1", "2", "fast"):
        with pytest.raises(ValueError, match=SQS_VISIBILITY_SCALE):
            sqs_visibility_scale({SQS_VISIBILITY_SCALE: bad})
    assert scaled_visibility(180, 0.001) == 1  # never zero: SQS would then redeliver at once
