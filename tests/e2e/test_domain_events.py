"""Domain events through the running devstack (issue 10 §4): an order placed over HTTP and taken to
CONFIRMED by the real order workflow (Step Functions on the devstack), then cancelled by an admin
over HTTP, and what comes out:

- the documented events on the bus (a test-only rule copies the bus to a queue we read), each
  valid against its schema in docs/events/, ids and times from the status history;
- the consumers' effects: the admins' purchase e-mail once, the sales ledger's records once per
  line with the right amounts and the history's time, the order_events feed once per event;
- a republished event (a stream record delivered again) and a redelivered queue message change
  nothing; poison messages end in their DLQ without blocking the rest; `redrive` moves a DLQ's
  messages back;
- a burst of low-stock crossings reaches the admins as one digest, while every crossing still
  gets its SNS alert and its StockLow event.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from devstack.env import stage_environment
from devstack.redrive import redrive
from devstack.stack import StackInfo
from tests.e2e.conftest import Api, InboxReader
from tests.e2e.test_shop_concurrency import stock_product, warehouses
from tests.support.order_events import schema_errors

pytestmark = pytest.mark.timeout(240)

ENV = stage_environment()
ORDERS_TABLE = ENV["ORDERS_TABLE"]
LEDGER_TABLE = ENV["SALES_LEDGER_TABLE"]
STOCK_TABLE = ENV["STOCK_TABLE"]
BUS = ENV["EVENT_BUS_NAME"]
ADMIN_EMAIL = ENV["ADMIN_EMAILS"].split(",")[0]
ADDRESS = {"name": "Ada Event", "line1": "1 Main St", "city": "Newark", "zip": "07102", "country": "US"}


def queue_name(env_name: str) -> str:
    return ENV[env_name].rsplit("/", 1)[-1]


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


class Capture:
    """Every event the bus routes, copied by a test-only rule to a queue of our own."""

    def __init__(self, aws: Any) -> None:
        self.sqs = aws("sqs")
        self.url = self.sqs.create_queue(QueueName=f"e2e-bus-capture-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": ["stockroom.orders", "stockroom.inventory"]}
        aws("events").put_rule(Name="e2e-capture", EventBusName=BUS, EventPattern=json.dumps(pattern))
        aws("events").put_targets(Rule="e2e-capture", EventBusName=BUS, Targets=[{"Id": "capture", "Arn": arn}])
        self.events: list[dict[str, Any]] = []

    def drain(self) -> None:
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return
            for message in batch:
                self.events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def matching(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        self.drain()
        return [e for e in self.events if predicate(e)]

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], count: int = 1) -> list[dict[str, Any]]:
        return list(wait_until(lambda: (found := self.matching(predicate)) and len(found) >= count and found, "events"))

    def of_order(self, order_id: str, detail_type: str, count: int = 1) -> list[dict[str, Any]]:
        return self.wait_for(
            lambda e: e["detail-type"] == detail_type and e["detail"].get("orderId") == order_id, count
        )


@pytest.fixture(scope="module")
def capture(stack: StackInfo, aws: Any) -> Iterator[Capture]:
    yield Capture(aws)
    aws("events").remove_targets(Rule="e2e-capture", EventBusName=BUS, Ids=["capture"])
    aws("events").delete_rule(Name="e2e-capture", EventBusName=BUS)


def place_order(stack: StackInfo, api: Api, aws: Any) -> dict[str, Any]:
    """A guest's order over HTTP: two lines, 2 x 12.50 and 1 x 4.00, curbside delivery."""
    (warehouse,) = warehouses(api, "07102")
    lamp = stock_product(api, aws, {warehouse: 5}, price_cents=1250)
    mug = stock_product(api, aws, {warehouse: 5}, price_cents=400)
    body = {
        "items": [{"productId": lamp, "quantity": 2}, {"productId": mug, "quantity": 1}],
        "zip": "07102",
        "deliveryMethod": "CURBSIDE",
        "shippingAddress": ADDRESS,
        "email": "ada@example.com",
        "paymentToken": "tok_visa",
    }
    response = requests.post(f"{stack.api_url}/orders", json=body, timeout=60)
    assert response.status_code == 201, response.text
    return dict(response.json())


def read_order(stack: StackInfo, placed: dict[str, Any]) -> dict[str, Any]:
    headers = {"X-Order-Token": placed["orderToken"]}
    response = requests.get(f"{stack.api_url}/orders/{placed['orderId']}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def entered(order: dict[str, Any], status: str) -> tuple[int, str]:
    """(index in the status history, time) of the order's change to `status`."""
    return next((i, c["at"]) for i, c in enumerate(order["statusHistory"]) if c["status"] == status)


def ledger(aws: Any, order_id: str) -> list[dict[str, Any]]:
    pages = (
        aws("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=LEDGER_TABLE,
            FilterExpression="order_id = :o",
            ExpressionAttributeValues={":o": {"S": order_id}},
            ConsistentRead=True,
        )
    )
    return [item for page in pages for item in page["Items"]]


def records(items: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return sorted((i for i in items if i["event"]["S"] == event), key=lambda i: i["entry_id"]["S"])


def purchase_emails(inbox: InboxReader, order_id: str) -> list[dict[str, Any]]:
    return inbox.matching(lambda e: e["kind"] == "email" and order_id in e["subject"] and ADMIN_EMAIL in e["to"])


def feed(inbox: InboxReader, order_id: str, detail_type: str) -> list[dict[str, Any]]:
    return inbox.matching(
        lambda e: (
            e["kind"] == "sns"
            and e.get("topic_arn", "").endswith(":stockroom-local-order-events")
            and (e.get("attributes") or {}).get("event_type") == detail_type
            and order_id in e["text"]
        )
    )


def queues_idle(aws: Any, *env_names: str) -> bool:
    sqs = aws("sqs")
    for env_name in env_names:
        url = sqs.get_queue_url(QueueName=queue_name(env_name))["QueueUrl"]
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        if any(int(attributes[name]) for name in names):
            return False
    return True


def close_to(text: str, moment: datetime) -> bool:
    return abs(datetime.fromisoformat(text.replace("Z", "+00:00")) - moment).total_seconds() < 0.002


# --- an order's life on the bus --------------------------------------------------------------------


@pytest.fixture(scope="module")
def confirmed(stack: StackInfo, api: Api, aws: Any, capture: Capture) -> dict[str, Any]:
    """An order placed over HTTP and confirmed by the order workflow (charge, stock, receipt, ...)."""
    placed = place_order(stack, api, aws)
    capture.of_order(placed["orderId"], "OrderConfirmed")
    order = read_order(stack, placed)
    assert order["status"] == "CONFIRMED", order["status"]
    return {"placed": placed, "order": order, "orderId": placed["orderId"]}


def test_status_changes_are_the_documented_events(confirmed: dict[str, Any], capture: Capture) -> None:
    order_id, order = confirmed["orderId"], confirmed["order"]
    for status, name in (("PLACED", "OrderPlaced"), ("PAID", "OrderPaid"), ("CONFIRMED", "OrderConfirmed")):
        (event,) = capture.of_order(order_id, name)
        index, at = entered(order, status)
        detail = event["detail"]
        assert event["source"] == "stockroom.orders"
        assert schema_errors(name, detail) == []
        assert detail["schemaVersion"] == 1
        assert detail["eventId"] == f"{order_id}#{index}#{status}"
        assert detail["occurredAt"] == at  # the history's time, not the publisher's clock
        assert detail["status"] == status and detail["order"]["status"] == status
        assert len(detail["order"]["statusHistory"]) == index + 1
        expected_previous = order["statusHistory"][index - 1]["status"] if index else None
        assert detail["previousStatus"] == expected_previous


def test_confirmed_order_reaches_each_consumer_once(
    confirmed: dict[str, Any], aws: Any, inbox: InboxReader, capture: Capture
) -> None:
    order_id, placed = confirmed["orderId"], confirmed["order"]
    confirmed_at = datetime.fromisoformat(entered(placed, "CONFIRMED")[1].replace("Z", "+00:00"))
    email = inbox.wait_for(lambda e: e["kind"] == "email" and order_id in e["subject"] and ADMIN_EMAIL in e["to"])[0]
    assert email["subject"].startswith(f"New order {order_id}:")

    items = wait_until(lambda: (got := ledger(aws, order_id)) and len(records(got, "SOLD")) == 2 and got, "ledger")
    sold = records(items, "SOLD")
    by_product = {line["productId"]: line for line in placed["lines"]}
    for record in sold:
        line = by_product[record["product_id"]["S"]]
        assert int(record["quantity"]["N"]) == line["quantity"]
        assert int(record["amount_cents"]["N"]) == line["quantity"] * line["unitPriceCents"]
        assert close_to(record["occurred_at"]["S"].replace("+0000", "+00:00"), confirmed_at)
    assert sorted(int(r["amount_cents"]["N"]) for r in sold) == [400, 2500]
    delivery = records(items, "DELIVERY")
    assert [int(r["amount_cents"]["N"]) for r in delivery] == (
        [placed["deliveryCents"]] if placed["deliveryCents"] else []
    )

    for name in ("OrderPlaced", "OrderPaid"):
        inbox.wait_for(lambda e, name=name: e in feed(inbox, order_id, name))
        (note,) = feed(inbox, order_id, name)
        message = json.loads(note["text"])
        assert message["detail-type"] == name and message["detail"]["orderId"] == order_id
        assert "ada@example.com" not in note["text"] and ADDRESS["line1"] not in note["text"]

    wait_until(
        lambda: queues_idle(aws, "PURCHASE_EMAILS_QUEUE_URL", "LEDGER_EVENTS_QUEUE_URL", "ORDER_FEED_QUEUE_URL"),
        "queues",
    )
    assert len(purchase_emails(inbox, order_id)) == 1
    assert len(ledger(aws, order_id)) == len(items)
    assert all(len(feed(inbox, order_id, name)) == 1 for name in ("OrderPlaced", "OrderPaid"))
    # OrderConfirmed: the workflow's own notification, once; the feed does not repeat it.
    announced = inbox.matching(lambda e: e["kind"] == "sns" and order_id in e["text"] and '"type"' in e["text"])
    assert len(announced) == 1 and json.loads(announced[0]["text"])["type"] == "OrderConfirmed"


def test_republished_and_redelivered_events_change_nothing(
    confirmed: dict[str, Any], aws: Any, inbox: InboxReader, capture: Capture
) -> None:
    order_id = confirmed["orderId"]
    event = capture.of_order(order_id, "OrderConfirmed")[0]
    wait_until(lambda: len(purchase_emails(inbox, order_id)) == 1, "first delivery")
    wait_until(
        lambda: queues_idle(aws, "PURCHASE_EMAILS_QUEUE_URL", "LEDGER_EVENTS_QUEUE_URL", "ORDER_FEED_QUEUE_URL"),
        "queues",
    )
    before = {i["entry_id"]["S"]: i["recorded_at"]["S"] for i in ledger(aws, order_id)}
    assert before

    # The stream record delivered again: its events are published again, same eventId, new envelope id.
    entry = {
        "EventBusName": BUS,
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
    }
    assert aws("events").put_events(Entries=[entry])["FailedEntryCount"] == 0
    # And a queue message delivered twice (SQS is at least once): the same envelope again.
    sqs = aws("sqs")
    for env_name in ("PURCHASE_EMAILS_QUEUE_URL", "LEDGER_EVENTS_QUEUE_URL", "ORDER_FEED_QUEUE_URL"):
        url = sqs.get_queue_url(QueueName=queue_name(env_name))["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))

    capture.of_order(order_id, "OrderConfirmed", count=2)  # the republished one went through the bus
    time.sleep(1)  # let the pollers pick the messages up before checking the queues are idle
    wait_until(
        lambda: queues_idle(aws, "PURCHASE_EMAILS_QUEUE_URL", "LEDGER_EVENTS_QUEUE_URL", "ORDER_FEED_QUEUE_URL"),
        "queues",
    )
    assert len(purchase_emails(inbox, order_id)) == 1
    assert {i["entry_id"]["S"]: i["recorded_at"]["S"] for i in ledger(aws, order_id)} == before
    assert len(inbox.matching(lambda e: e["kind"] == "sns" and order_id in e["text"])) == 3  # placed, paid, confirmed


def test_cancelling_a_confirmed_order_refunds_it_in_the_ledger(
    confirmed: dict[str, Any], api: Api, stack: StackInfo, aws: Any, capture: Capture, inbox: InboxReader
) -> None:
    order_id = confirmed["orderId"]
    response = api.post(f"/orders/{order_id}/cancel", json={"reason": "customer changed their mind"})
    assert response.status_code == 200, response.text
    order = read_order(stack, confirmed["placed"])
    index, cancelled_at = entered(order, "CANCELLED")
    (cancelled,) = [e["detail"] for e in capture.of_order(order_id, "OrderCancelled")]
    (refunded,) = [e["detail"] for e in capture.of_order(order_id, "OrderRefunded")]
    assert schema_errors("OrderCancelled", cancelled) == [] and schema_errors("OrderRefunded", refunded) == []
    assert cancelled["occurredAt"] == refunded["occurredAt"] == cancelled_at
    assert refunded["eventId"] == f"{order_id}#{index}#REFUNDED" and refunded["refund"]["saleCounted"] is True
    assert refunded["refund"]["amountCents"] == order["totalCents"]

    at = datetime.fromisoformat(cancelled_at.replace("Z", "+00:00"))
    items = wait_until(lambda: (got := ledger(aws, order_id)) and len(records(got, "REFUNDED")) >= 3 and got, "refunds")
    refunds = [r for r in records(items, "REFUNDED") if "line" in r and "NULL" not in r["line"]]
    assert sorted(int(r["amount_cents"]["N"]) for r in refunds) == [400, 2500]  # no discount: all back
    assert all(close_to(r["occurred_at"]["S"].replace("+0000", "+00:00"), at) for r in records(items, "REFUNDED"))
    assert records(items, "CANCELLED")
    assert len(purchase_emails(inbox, order_id)) == 1  # a cancellation sends no purchase e-mail


# --- failures --------------------------------------------------------------------------------------


@pytest.fixture
def fast_redelivery(aws: Any) -> Iterator[str]:
    """The ledger queue with a 1 s visibility timeout, so a failing message reaches its DLQ (after
    maxReceiveCount receives) in seconds, not in 5 x 180 s."""
    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("LEDGER_EVENTS_QUEUE_URL"))["QueueUrl"]
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "1"})
    yield url
    sqs.set_queue_attributes(QueueUrl=url, Attributes=before)


def another_order(event: dict[str, Any]) -> dict[str, Any]:
    """The event as if it were another order's (a fresh id everywhere the order is named)."""
    copied = copy.deepcopy(event)
    old, new = copied["detail"]["orderId"], str(uuid.uuid4())
    copied["id"] = str(uuid.uuid4())
    copied["detail"]["orderId"] = copied["detail"]["order"]["orderId"] = new
    copied["detail"]["eventId"] = copied["detail"]["eventId"].replace(old, new)
    return copied


def test_poison_messages_end_in_the_dlq_without_blocking_the_rest(
    confirmed: dict[str, Any], aws: Any, capture: Capture, fast_redelivery: str, stack: StackInfo
) -> None:
    sqs = aws("sqs")
    dlq = sqs.get_queue_url(QueueName=queue_name("LEDGER_EVENTS_QUEUE_URL") + "-dlq")["QueueUrl"]
    event = capture.of_order(confirmed["orderId"], "OrderConfirmed")[0]
    marker = uuid.uuid4().hex
    unknown_version = copy.deepcopy(event)
    unknown_version["detail"]["schemaVersion"] = 99
    unknown_version["detail"]["marker"] = marker
    good = another_order(event)
    for body in (f"not an event {marker}", json.dumps(unknown_version), json.dumps(good)):
        sqs.send_message(QueueUrl=fast_redelivery, MessageBody=body)

    wait_until(lambda: records(ledger(aws, good["detail"]["orderId"]), "SOLD"), "the good message's records")

    def dead() -> list[str]:
        messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [m["Body"] for m in messages.get("Messages", []) if marker in m["Body"]]

    assert len(wait_until(lambda: len(dead()) == 2 and dead(), "the poison in the DLQ", timeout=60)) == 2

    # `make redrive QUEUE=ledger_events`: a dead-lettered message that can now be handled (here a
    # valid event) goes back to its queue and is consumed.
    for_redrive = another_order(event)
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(for_redrive))
    moved = redrive(stack.aws_url, queue_name("LEDGER_EVENTS_QUEUE_URL"))
    assert moved.moved >= 3  # the two poison messages and the valid one
    wait_until(lambda: records(ledger(aws, for_redrive["detail"]["orderId"]), "SOLD"), "the redriven records")
    wait_until(lambda: len(dead()) == 2, "the poison back in the DLQ", timeout=60)


# --- low-stock crossings: events and the digest ---------------------------------------------------


def test_a_burst_of_crossings_is_one_digest_e_mail(api: Api, aws: Any, inbox: InboxReader, capture: Capture) -> None:
    tag = uuid.uuid4().hex[:6]
    products = []
    for n in range(6):
        product_id = f"bulk-{tag}-{n}"  # a tag of digits only would make "<tag>.000.01" a malformed article number
        body = {
            "productId": product_id,
            "productName": f"Bulk {tag} {n}",
            "quantity": 10,
            "threshold": 5,
            "priceCents": 100,
        }
        assert api.post("/products", json=body).status_code == 201
        products.append(product_id)
    # A bulk import sets them all below their thresholds at once.
    for product_id in products:
        assert api.post("/inventory-order", json={"productId": product_id, "quantity": 8}).status_code == 201

    for product_id in products:
        low = capture.wait_for(lambda e, p=product_id: e["detail-type"] == "StockLow" and e["detail"]["productId"] == p)
        assert schema_errors("StockLow", low[0]["detail"]) == [] and low[0]["source"] == "stockroom.inventory"
    inbox.wait_for(lambda e: e["kind"] == "sns" and tag in e["text"] and "low-stock" in e.get("topic_arn", ""), count=6)

    def e_mails() -> list[dict[str, Any]]:
        return inbox.matching(lambda e: e["kind"] == "email" and tag in e["text"])

    wait_until(lambda: all(any(p in e["text"] for e in e_mails()) for p in products), "the digest", timeout=45)
    time.sleep(1)
    sent = e_mails()
    # One e-mail per digest window: a burst straddling a window boundary may make it two.
    assert 1 <= len(sent) <= 2, [e["subject"] for e in sent]
    assert all(sum(p in e["text"] for e in sent) == 1 for p in products)
    assert any(e["subject"].startswith("Low stock: ") and "items below their thresholds" in e["subject"] for e in sent)
