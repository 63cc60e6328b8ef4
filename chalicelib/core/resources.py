"""The one definition of every queue, topic and table the app uses.

Tables are defined by their PynamoDB models (`chalicelib.tables`); queues, topics and buckets here. From
these the app builds its event-source decorators, the devstack provisions the emulator, and the
Terraform checks verify `terraform/` declares the same things under the same keys.

A resource's *key* is its Terraform resource name (`aws_sqs_queue.<key>`), and `env` is the
environment variable through which the Lambdas learn its physical name, URL or ARN. Event sources
name resources by Terraform reference (`${aws_dynamodb_table.stock.stream_arn}`): `chalice package`
copies that string into the generated Terraform, and the devstack resolves it against what it
provisioned. No AWS imports here: app.py imports this module at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    key: str
    env: str
    description: str

    @property
    def arn_ref(self) -> str:
        return "${aws_sns_topic." + self.key + ".arn}"


@dataclass(frozen=True)
class Queue:
    key: str
    env: str
    description: str
    # Lambda timeout of the consumer; the queue's visibility timeout is six times this, as AWS
    # recommends, so a message is never redelivered while a slow invocation still holds it.
    consumer_timeout: int = 30
    max_receive_count: int = 5
    batch_size: int = 10
    subscribes_to: tuple[str, ...] = ()

    @property
    def arn_ref(self) -> str:
        return "${aws_sqs_queue." + self.key + ".arn}"

    @property
    def dlq_key(self) -> str:
        return f"{self.key}_dlq"

    @property
    def visibility_timeout(self) -> int:
        return 6 * self.consumer_timeout


@dataclass(frozen=True)
class Bucket:
    """A private S3 bucket: Terraform declares it as `aws_s3_bucket.private["<key>"]` (s3.tf's
    `local.private_buckets`), and `env` carries its physical name to the Lambdas."""

    key: str
    env: str
    description: str

    @property
    def terraform_ref(self) -> str:
        return f'aws_s3_bucket.private["{self.key}"]'


@dataclass(frozen=True)
class TableRef:
    """How event sources and the environment name a table (its model holds the schema)."""

    key: str

    @property
    def env(self) -> str:
        return f"{self.key.upper()}_TABLE"

    @property
    def stream_arn_ref(self) -> str:
        return "${aws_dynamodb_table." + self.key + ".stream_arn}"


LOW_STOCK_TOPIC = Topic(
    key="low_stock",
    env="LOW_STOCK_TOPIC_ARN",
    description="Low-stock alerts: one message each time a stock level crosses below its threshold",
)

ALERT_EMAILS_QUEUE = Queue(
    key="alert_emails",
    env="ALERT_EMAILS_QUEUE_URL",
    description="Low-stock alerts to e-mail to the admins (subscribed to the low-stock topic)",
    subscribes_to=(LOW_STOCK_TOPIC.key,),
)

TOPICS: tuple[Topic, ...] = (LOW_STOCK_TOPIC,)
QUEUES: tuple[Queue, ...] = (ALERT_EMAILS_QUEUE,)

PRODUCTS = TableRef("products")
STOCK = TableRef("stock")
MOVEMENTS = TableRef("movements")
WAREHOUSES = TableRef("warehouses")
ORDERS = TableRef("orders")
IDEMPOTENCY = TableRef("idempotency")
SALES_LEDGER = TableRef("sales_ledger")
API_KEYS = TableRef("api_keys")
PAYMENTS = TableRef("payments")

RECEIPTS_BUCKET = Bucket(
    key="receipts",
    env="RECEIPTS_BUCKET",
    description="PDF receipts of orders, private; customers get short-lived presigned URLs",
)
BUCKETS: tuple[Bucket, ...] = (RECEIPTS_BUCKET,)
