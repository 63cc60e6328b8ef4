"""TEMPORARY: until devstack.provision lands."""

from __future__ import annotations

import json
import os

import boto3

from chalicelib import models, resources


def provision_resources(endpoint: str | None = None) -> None:
    for m in models.ALL_MODELS:
        models.create_table(m)
    sqs = boto3.client("sqs")
    sns = boto3.client("sns")
    ses = boto3.client("ses")
    ses.verify_email_identity(EmailAddress=os.environ["SENDER_EMAIL"])
    arns = {}
    for t in resources.TOPICS:
        arns[t.key] = sns.create_topic(Name=os.environ[t.env].rsplit(":", 1)[1])["TopicArn"]
    for q in resources.QUEUES:
        name = os.environ[q.env].rsplit("/", 1)[1]
        dlq = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(q.visibility_timeout),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": q.max_receive_count}),
            },
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for t in q.subscribes_to:
            sns.subscribe(TopicArn=arns[t], Protocol="sqs", Endpoint=arn)
