"""The one definition of every queue, topic, state machine, event bus and table the app uses.

Tables are defined by their PynamoDB models (`chalicelib.tables`); queues, topics, buckets, state
machines and event buses here. From these the app builds its event-source decorators, the devstack
provisions the emulator, and the Terraform checks verify `terraform/` declares the same things under
the same keys.

A resource's *key* is its Terraform resource name (`aws_sqs_queue.<key>`), and `env` is the
environment variable through which the Lambdas learn its physical name, URL or ARN. Event sources
name resources by Terraform reference (`${aws_dynamodb_table.stock.stream_arn}`): `chalice package`
copies that string into the generated Terraform, and the devstack resolves it against what it
provisioned. No AWS imports here: app.py imports this module at cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
    # Lambda's `maximum_concurrency` on the consumer's event source mapping (2-1000; None: as many
    # as Lambda likes). The e-mail consumers set it so that a burst (a flash sale, a bulk stock
    # import) never sends faster than SES's rate: `terraform/package.py` writes it into the
    # generated mapping's `scaling_config`.
    max_concurrency: int | None = None

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
class StateMachine:
    """A Step Functions state machine: one ASL document, the single source for Terraform
    (`aws_sfn_state_machine.<key>`, `definition = templatefile(<asl_path>, {...})`) and the devstack.

    Task `Resource`s (and `FunctionName` parameters) name the app's `@app.lambda_function`s as
    `${<function name>}`, Terraform's templatefile syntax: Terraform passes each function's ARN
    (`<name> = aws_lambda_function.<name>.arn`), the devstack the local one. ASL's own `$.` and
    `$$.` paths are left alone; a document holds no other `${`. `env` carries the machine's ARN.
    """

    key: str
    env: str
    asl_path: str  # relative to the project, under statemachines/
    description: str
    type: str = "STANDARD"

    @property
    def arn_ref(self) -> str:
        return "${aws_sfn_state_machine." + self.key + ".arn}"


@dataclass(frozen=True)
class EventRule:
    """A rule on a bus (`aws_cloudwatch_event_rule.<key>`) delivering matching events to queues
    (`Queue` keys; each queue has its own DLQ, so each consumer fails on its own)."""

    key: str
    description: str
    event_pattern: Mapping[str, Any] = field(hash=False)
    target_queues: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventBus:
    """A custom EventBridge bus (`aws_cloudwatch_event_bus.<key>`) and its rules; `env` carries
    the bus name to the Lambdas that publish on it."""

    key: str
    env: str
    description: str
    rules: tuple[EventRule, ...] = ()


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
    description="Low-stock alerts to e-mail to the admins (subscribed to the low-stock topic), "
    "and the consumer's own delayed digest-due messages",
    subscribes_to=(LOW_STOCK_TOPIC.key,),
    max_concurrency=2,
)

# The back office (issue 11): the daily report's summary for outside subscribers (e-mail, chat).
DAILY_SALES_TOPIC = Topic(
    key="daily_sales",
    env="DAILY_SALES_TOPIC_ARN",
    description="Daily sales: one text summary (and JSON figures) per business day's report",
)

# --- the order workflow (issue 10 §1) ----------------------------------------------------------
# orders stream -> start_order_workflows -> ORDER_WORKFLOW_QUEUE -> run_order_workflows ->
# one ORDER_WORKFLOW execution per order (named after it). Its DLQ also holds workflow runs parked
# for redrive (`make redrive QUEUE=order_workflow` starts them again).

# --- domain events (issue 10 §4): the bus, its rules and the queues of its consumers -----------
# Every order status change and low-stock crossing is published on the bus from the streams
# (`orders.events`, `inventory.alerts`); each rule feeds one consumer's queue, each queue has its
# own DLQ, so each consumer fails, retries and is redriven on its own. Schemas: docs/events/.
ORDER_EVENTS_SOURCE = "stockroom.orders"
INVENTORY_EVENTS_SOURCE = "stockroom.inventory"
EVENT_SCHEMA_VERSION = 1  # the major version of every event schema today (`detail.schemaVersion`)

ORDER_EVENTS_TOPIC = Topic(
    key="order_events",
    env="ORDER_EVENTS_TOPIC_ARN",
    description="Order notifications for outside subscribers: the workflow's one message per confirmed "
    "order (JSON), and the domain events feed of every other status change (orders.feed)",
)

ORDER_WORKFLOW_QUEUE = Queue(
    key="order_workflow",
    env="ORDER_WORKFLOW_QUEUE_URL",
    description="Order workflow attempts to start (new PLACED orders; redriven parked runs)",
)

ORDER_WORKFLOW = StateMachine(
    key="order_workflow",
    env="ORDER_WORKFLOW_ARN",
    asl_path="statemachines/order_workflow.asl.json",
    description="After checkout: charge, commit stock, receipt, notify, e-mail, confirm; compensate failures",
)

PURCHASE_EMAILS_QUEUE = Queue(
    key="purchase_emails",
    env="PURCHASE_EMAILS_QUEUE_URL",
    description="OrderConfirmed events: the admins' purchase notification e-mail",
    batch_size=5,
    max_concurrency=2,
)
LEDGER_EVENTS_QUEUE = Queue(
    key="ledger_events",
    env="LEDGER_EVENTS_QUEUE_URL",
    description="Sales events (confirmed, cancelled, refunded, payment failed) for the sales ledger",
)
ORDER_FEED_QUEUE = Queue(
    key="order_feed",
    env="ORDER_FEED_QUEUE_URL",
    description="Order events, republished on the order_events topic for outside subscribers (but "
    "OrderConfirmed, which the workflow announces there itself)",
)

DOMAIN_EVENTS_BUS = EventBus(
    key="domain",
    env="EVENT_BUS_NAME",
    description="The shop's domain events: order status changes and low-stock crossings",
    rules=(
        EventRule(
            "purchase_emails_on_confirmed",
            "Confirmed orders to the admins' purchase notification e-mail",
            {
                "source": [ORDER_EVENTS_SOURCE],
                "detail-type": ["OrderConfirmed"],
                "detail": {"schemaVersion": [EVENT_SCHEMA_VERSION]},
            },
            (PURCHASE_EMAILS_QUEUE.key,),
        ),
        EventRule(
            "ledger_on_sales_events",
            "Sales events to the sales ledger writer",
            {
                "source": [ORDER_EVENTS_SOURCE],
                "detail-type": ["OrderConfirmed", "OrderCancelled", "OrderRefunded", "PaymentFailed"],
                "detail": {"schemaVersion": [EVENT_SCHEMA_VERSION]},
            },
            (LEDGER_EVENTS_QUEUE.key,),
        ),
        EventRule(
            "order_feed_all",
            "Every order event to the order_events topic publisher",
            {"source": [ORDER_EVENTS_SOURCE], "detail": {"schemaVersion": [EVENT_SCHEMA_VERSION]}},
            (ORDER_FEED_QUEUE.key,),
        ),
    ),
)

TOPICS: tuple[Topic, ...] = (LOW_STOCK_TOPIC, DAILY_SALES_TOPIC, ORDER_EVENTS_TOPIC)
QUEUES: tuple[Queue, ...] = (
    ALERT_EMAILS_QUEUE,
    ORDER_WORKFLOW_QUEUE,
    PURCHASE_EMAILS_QUEUE,
    LEDGER_EVENTS_QUEUE,
    ORDER_FEED_QUEUE,
)
# The devstack provisions whatever is listed.
STATE_MACHINES: tuple[StateMachine, ...] = (ORDER_WORKFLOW,)
EVENT_BUSES: tuple[EventBus, ...] = (DOMAIN_EVENTS_BUS,)

PRODUCTS = TableRef("products")
STOCK = TableRef("stock")
MOVEMENTS = TableRef("movements")
WAREHOUSES = TableRef("warehouses")
ORDERS = TableRef("orders")
IDEMPOTENCY = TableRef("idempotency")
# The shop (issue 9)
CARTS = TableRef("carts")
PROMO_CODES = TableRef("promo_codes")
PROMO_REDEMPTIONS = TableRef("promo_redemptions")
DELIVERY_METHODS = TableRef("delivery_methods")
SALES_LEDGER = TableRef("sales_ledger")
API_KEYS = TableRef("api_keys")
PAYMENTS = TableRef("payments")
REPORTS = TableRef("reports")  # the back office's index of built daily reports
ALERT_DIGESTS = TableRef("alert_digests")

RECEIPTS_BUCKET = Bucket(
    key="receipts",
    env="RECEIPTS_BUCKET",
    description="PDF receipts of orders, private; customers get short-lived presigned URLs",
)
REPORTS_BUCKET = Bucket(
    key="reports",
    env="REPORTS_BUCKET",
    description="Daily sales reports (JSON, CSV, PDF, chart PNGs), private; admins get presigned URLs",
)
BUCKETS: tuple[Bucket, ...] = (RECEIPTS_BUCKET, REPORTS_BUCKET)


@dataclass(frozen=True)
class UsagePlan:
    """An API Gateway usage plan (`aws_api_gateway_usage_plan.<key>`): the throttle and quota of the
    machine clients' API keys. The app registers each key it issues with the plan, found by the name
    `env` carries (a name, not the id: the API handler's environment cannot reference the plan,
    which depends on the API's stage, which depends on the handler: a cycle)."""

    key: str
    env: str
    description: str


MACHINE_USAGE_PLAN = UsagePlan(
    key="machine_clients",
    env="MACHINE_USAGE_PLAN_NAME",
    description="Rate and quota per machine-client API key (tills, marketplaces, ERP sync)",
)
USAGE_PLANS: tuple[UsagePlan, ...] = (MACHINE_USAGE_PLAN,)
