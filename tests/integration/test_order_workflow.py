"""The order workflow's functions through the Chalice test client against moto (issue 10 §1-§3, §5):
each task invoked as Step Functions would, in the ASL's order, its retries and duplicates, the
compensation, the cancel after payment, shipping, the receipt route, the pipeline's handlers and
the sweeper. (The ASL itself runs end to end in tests/e2e/test_order_workflow.py.)"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from devstack.runtime import sqs_record
from tests.integration.conftest import Cognito, env, sent_emails
from tests.integration.shop_support import Caller, admin, guest, order_body, product, stock_of, three_warehouses
from tests.integration.test_low_stock_alerts import Stream

HAPPY_PATH = ("charge_payment", "commit_stock", "store_receipt", "publish_order_notification", "email_customer")


@pytest.fixture
def boss(client: Client, cognito: Cognito) -> Caller:
    caller = admin(client, cognito)
    three_warehouses(caller)
    return caller


def place(client: Client, lamp: str, quantity: int = 2, token: str = "tok_visa") -> dict[str, Any]:
    response = guest(client).post("/orders", order_body([(lamp, quantity)], paymentToken=token))
    assert response.status_code == 201, response.body
    return dict(response.json)


def task(client: Client, name: str, order_id: str, **extra: Any) -> Any:
    return client.lambda_.invoke(name, {"orderId": order_id, "attempt": 1, **extra}).payload


def run_to_confirmed(client: Client, order_id: str) -> None:
    for name in (*HAPPY_PATH, "mark_confirmed"):
        task(client, name, order_id)


def order(order_id: str) -> Any:
    from chalicelib.orders import progress

    return progress.load(order_id)


def payment(order_id: str) -> Any:
    from chalicelib.orders import payments

    return payments.get_gateway().get(order(order_id).payment_reference)


def workflow_queue(name: str = "ORDER_WORKFLOW_QUEUE_URL") -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=env(name).rsplit("/", 1)[1])["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def drain(name: str = "ORDER_WORKFLOW_QUEUE_URL") -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url, arn = workflow_queue(name)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [sqs_record(m, arn) for m in messages]


def scheduled(client: Client) -> Any:
    return client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:aws:events:us-east-1:1:rule/r"])


def executions() -> list[dict[str, Any]]:
    listed = boto3.client("stepfunctions").list_executions(stateMachineArn=env("ORDER_WORKFLOW_ARN"))
    return list(listed["executions"])


def test_a_paid_order_goes_through_every_task_once(client: Client, boss: Caller) -> None:
    lamp = product(boss, price_cents=2500, stock={"nyc": 5})
    placed = place(client, lamp, 2)
    order_id = placed["orderId"]
    assert stock_of(lamp)["nyc"] == (5, 2, 3)
    before = len(sent_emails())

    run_to_confirmed(client, order_id)
    run_to_confirmed(client, order_id)  # every task repeated (a retry, a redrive): nothing changes

    done = order(order_id)
    assert done.status == "CONFIRMED"
    assert stock_of(lamp)["nyc"] == (3, 0, 3)  # committed once: on_hand -= 2, reserved -= 2
    assert done.payment_card == "Visa •••• 4242"
    record = payment(order_id)
    assert record.status == "CAPTURED" and record.captured_cents == done.total_cents
    mails = sent_emails()[before:]
    assert len(mails) == 1  # the confirmation, once
    assert "receipt" in mails[0].raw_data.lower() and "application/pdf" in mails[0].raw_data
    # The receipt route: the order token (or an e-mailed link's) -> a short-lived presigned URL.
    response = client.http.get(f"/orders/{order_id}/receipt", headers={"X-Order-Token": placed["orderToken"]})
    assert response.status_code == 302
    assert "X-Amz-Expires=300" in response.headers["Location"]
    assert client.http.get(f"/orders/{order_id}/receipt").status_code == 404  # nobody's: as if absent
    assert client.http.get(f"/orders/{order_id}/receipt?token=wrong").status_code == 404


def test_the_confirmation_links_open_the_order_for_a_guest(client: Client, boss: Caller) -> None:
    import re

    lamp = product(boss, price_cents=900, stock={"nyc": 5})
    order_id = place(client, lamp, 1)["orderId"]
    before = len(sent_emails())
    run_to_confirmed(client, order_id)
    raw = sent_emails()[before].raw_data.replace("=\r\n", "").replace("=3D", "=")
    token = re.search(r"/receipt\?token=([\w-]+)", raw)
    assert token, "the e-mail links the receipt route"
    assert client.http.get(f"/orders/{order_id}/receipt?token={token.group(1)}").status_code == 302
    assert client.http.get(f"/orders/{order_id}", headers={"X-Order-Token": token.group(1)}).status_code == 200


def test_a_declined_card_releases_the_stock_and_tells_the_customer_why(client: Client, boss: Caller) -> None:
    from chalicelib.core.errors import PaymentDeclined

    lamp = product(boss, price_cents=2500, stock={"nyc": 5})
    order_id = place(client, lamp, 2, token="tok_chargeDeclinedInsufficientFunds")["orderId"]
    with pytest.raises(PaymentDeclined) as declined:
        task(client, "charge_payment", order_id)
    # What Step Functions' Catch hands the compensation (ResultPath $.error).
    error = {"Error": "PaymentDeclined", "Cause": json.dumps({"errorMessage": str(declined.value)})}
    before = len(sent_emails())
    first = task(client, "compensate_payment", order_id, error=error)
    again = task(client, "compensate_payment", order_id, error=error)
    assert first["outcome"] == again["outcome"] == "PAYMENT_FAILED"
    failed = order(order_id)
    assert failed.status == "PAYMENT_FAILED"
    assert failed.payment_failure == "Your card has insufficient funds."
    assert stock_of(lamp)["nyc"] == (5, 0, 5)  # released once
    mails = sent_emails()[before:]
    assert len(mails) == 1 and "insufficient funds" in mails[0].raw_data


def test_compensation_never_fails_a_captured_payment(client: Client, boss: Caller) -> None:
    """ChargePayment died between the capture and PAID: the compensation refuses (parked), and a
    rerun of ChargePayment finishes the payment without charging twice."""
    from chalicelib.orders import payments
    from chalicelib.orders.workflow import PaymentCapturedUnrecorded

    lamp = product(boss, price_cents=1000, stock={"nyc": 5})
    order_id = place(client, lamp, 1)["orderId"]
    gateway = payments.get_gateway()
    authorization = gateway.authorize(
        order_id=order_id,
        amount_cents=int(order(order_id).total_cents),
        currency="USD",
        token="tok_visa",
        idempotency_key=payments.order_key(order_id, "authorize"),
    )
    from chalicelib.shop.models import Order

    Order(order_id).update(actions=[Order.payment_reference.set(authorization.payment_id)])
    gateway.capture(payment_id=authorization.payment_id, idempotency_key=payments.order_key(order_id, "capture"))
    with pytest.raises(PaymentCapturedUnrecorded):
        task(client, "compensate_payment", order_id, error={"Error": "States.TaskFailed"})
    assert order(order_id).status == "PLACED"
    task(client, "charge_payment", order_id)
    assert order(order_id).status == "PAID"
    assert payment(order_id).captured_cents == order(order_id).total_cents  # once


def test_cancel_after_confirmation_refunds_restocks_and_emails(client: Client, boss: Caller) -> None:
    lamp = product(boss, price_cents=2500, stock={"nyc": 5})
    placed = place(client, lamp, 2)
    order_id = placed["orderId"]
    run_to_confirmed(client, order_id)
    assert stock_of(lamp)["nyc"] == (3, 0, 3)
    before = len(sent_emails())
    headers = {"X-Order-Token": placed["orderToken"]}
    response = guest(client).post(f"/orders/{order_id}/cancel", headers=headers)
    assert response.status_code == 200, response.body
    assert response.json["status"] == "CANCELLED" and response.json["refundedCents"] == placed["totalCents"]
    assert stock_of(lamp)["nyc"] == (5, 0, 5)  # back on the shelf
    assert payment(order_id).refunded_cents == placed["totalCents"]
    again = guest(client).post(f"/orders/{order_id}/cancel", headers=headers)  # a double click
    assert again.status_code == 200 and again.json["refundedCents"] == placed["totalCents"]
    assert payment(order_id).refunded_cents == placed["totalCents"]  # refunded once
    assert stock_of(lamp)["nyc"] == (5, 0, 5)
    mails = sent_emails()[before:]
    assert len(mails) == 1 and "cancelled" in mails[0].raw_data.lower()
    # The workflow's remaining steps (a late retry) find it closed and stop.
    from chalicelib.orders.workflow import OrderClosed

    with pytest.raises(OrderClosed):
        task(client, "mark_confirmed", order_id)


def test_cancel_between_authorization_and_capture_voids_and_the_workflow_stops(client: Client, boss: Caller) -> None:
    """The interleaving forced: the cancel commits after ChargePayment recorded the authorization
    and before its capture. Exactly one outcome: cancelled, authorization voided, nothing charged."""
    from chalicelib.orders import payments
    from chalicelib.orders.workflow import OrderClosed

    lamp = product(boss, price_cents=1200, stock={"nyc": 5})
    placed = place(client, lamp, 1)
    order_id = placed["orderId"]
    gateway = payments.get_gateway()
    real_capture = gateway.capture

    def cancel_then_capture(**kwargs: Any) -> Any:
        response = guest(client).post(f"/orders/{order_id}/cancel", headers={"X-Order-Token": placed["orderToken"]})
        assert response.status_code == 200, response.body
        return real_capture(**kwargs)

    gateway.capture = cancel_then_capture  # type: ignore[method-assign]
    try:
        with pytest.raises(OrderClosed):
            task(client, "charge_payment", order_id)
    finally:
        gateway.capture = real_capture  # type: ignore[method-assign]
    assert order(order_id).status == "CANCELLED"
    record = payment(order_id)
    assert record.status == "VOIDED" and record.captured_cents == 0
    assert stock_of(lamp)["nyc"] == (5, 0, 5)


def test_cancel_racing_the_stock_commit_is_decided_once(client: Client, boss: Caller) -> None:
    """The cancel reads PAID before CommitStock and writes after it: its guard (the step as read)
    refuses, it reads again and restocks instead of releasing."""
    from chalicelib.orders import cancellation, progress

    lamp = product(boss, price_cents=1200, stock={"nyc": 5})
    placed = place(client, lamp, 2)
    order_id = placed["orderId"]
    task(client, "charge_payment", order_id)
    real_load = cancellation.load_visible
    raced = []

    def load_then_commit(*args: Any, **kwargs: Any) -> Any:
        seen = real_load(*args, **kwargs)
        if not raced:
            raced.append(True)
            task(client, "commit_stock", order_id)
        return seen

    cancellation.load_visible = load_then_commit  # type: ignore[assignment]
    try:
        response = guest(client).post(f"/orders/{order_id}/cancel", headers={"X-Order-Token": placed["orderToken"]})
    finally:
        cancellation.load_visible = real_load  # type: ignore[assignment]
    assert response.status_code == 200, response.body
    assert progress.done(order(order_id), progress.Step.STOCK_COMMITTED)
    assert stock_of(lamp)["nyc"] == (5, 0, 5)  # committed, then restocked: never released twice
    assert payment(order_id).refunded_cents == placed["totalCents"]


def test_ship_and_deliver_are_admin_only_and_email_the_customer(client: Client, boss: Caller, cognito: Cognito) -> None:
    lamp = product(boss, price_cents=700, stock={"nyc": 5})
    placed = place(client, lamp, 1)
    order_id = placed["orderId"]
    assert boss.post(f"/orders/{order_id}/ship", {}).status_code == 409  # not confirmed yet
    run_to_confirmed(client, order_id)
    stranger = guest(client).post(f"/orders/{order_id}/ship", headers={"X-Order-Token": placed["orderToken"]})
    assert stranger.status_code == 401
    assert boss.post(f"/orders/{order_id}/ship", {"trackingUrl": "http://x"}).json["field"] == "trackingUrl"
    before = len(sent_emails())
    shipment = {"carrier": "UPS", "trackingNumber": "1Z999", "trackingUrl": "https://ups.example/1Z999"}
    shipped = boss.post(f"/orders/{order_id}/ship", shipment)
    assert shipped.status_code == 200 and shipped.json["status"] == "SHIPPED"
    assert shipped.json["shipment"]["trackingNumber"] == "1Z999"
    assert boss.post(f"/orders/{order_id}/ship", shipment).status_code == 200  # a double click
    assert len(sent_emails()) - before == 1 and "1Z999" in sent_emails()[-1].raw_data
    assert boss.post(f"/orders/{order_id}/deliver").json["status"] == "DELIVERED"
    cancel = guest(client).post(f"/orders/{order_id}/cancel", headers={"X-Order-Token": placed["orderToken"]})
    assert cancel.status_code == 409


def test_new_orders_start_one_execution_whatever_is_delivered_twice(client: Client, boss: Caller) -> None:
    lamp = product(boss, price_cents=500, stock={"nyc": 5})
    drain()
    stream = Stream.__new__(Stream)
    Stream.__init__(stream)  # the stock stream's reader, pointed at the orders table below
    streams = stream.streams
    arn = boto3.client("dynamodb").describe_table(TableName=env("ORDERS_TABLE"))["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    stream.arn = arn
    stream.iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    order_id = place(client, lamp, 1)["orderId"]
    records = stream.read()
    assert records, "the order's INSERT"
    for _ in range(2):  # the stream batch delivered twice
        assert client.lambda_.invoke("start_order_workflows", {"Records": records}).payload == {"batchItemFailures": []}
    messages = drain()
    assert [json.loads(m["body"]) for m in messages] == [{"orderId": order_id, "attempt": 1}] * 2
    poison = {**messages[0], "messageId": "poison", "body": "{not json"}
    result = client.lambda_.invoke("run_order_workflows", {"Records": [*messages, poison, messages[0]]}).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": "poison"}]}  # only the poison fails
    started = [e for e in executions() if e["name"] == order_id]
    assert len(started) == 1


def test_a_parked_run_waits_in_the_dlq_as_its_next_attempt(client: Client, boss: Caller) -> None:
    lamp = product(boss, price_cents=500, stock={"nyc": 5})
    order_id = place(client, lamp, 1)["orderId"]
    drain("ORDER_WORKFLOW_DLQ_URL")
    state = {"EmailCustomerFailure": {"Error": "EmailThrottled", "Cause": "..."}}
    assert task(client, "park_order_workflow", order_id, state=state)["failed"] == {"EmailCustomer": "EmailThrottled"}
    parked = [json.loads(m["body"]) for m in drain("ORDER_WORKFLOW_DLQ_URL")]
    assert parked == [{"orderId": order_id, "attempt": 2, "parked": {"EmailCustomer": "EmailThrottled"}}]
    # Redriven, it starts attempt 2 under its own name.
    url, _arn = workflow_queue()
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(parked[0]))
    client.lambda_.invoke("run_order_workflows", {"Records": drain()})
    assert any(e["name"] == f"{order_id}.2" for e in executions())


def test_the_sweeper_restarts_then_expires_orders_stuck_in_placed(
    client: Client, boss: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order whose workflow never started is started; one still PLACED long after is expired:
    cancelled, its authorization voided, its stock released, its customer told."""
    from chalicelib.core import db
    from chalicelib.orders import payments
    from chalicelib.shop.models import Order

    lamp = product(boss, price_cents=500, stock={"nyc": 5})
    order_id = place(client, lamp, 2)["orderId"]
    assert client.lambda_.invoke("sweep_stuck_orders", scheduled(client)).payload["restart"] == 0  # too young
    authorization = payments.get_gateway().authorize(
        order_id=order_id,
        amount_cents=int(order(order_id).total_cents),
        currency="USD",
        token="tok_visa",
        idempotency_key=payments.order_key(order_id, "authorize"),
    )  # ChargePayment got this far, then nothing more happened
    Order(order_id).update(actions=[Order.payment_reference.set(authorization.payment_id)])
    real_now = db.utcnow()
    monkeypatch.setattr(db, "utcnow", lambda: real_now + timedelta(minutes=20))
    assert client.lambda_.invoke("sweep_stuck_orders", scheduled(client)).payload["restart"] >= 1
    assert any(e["name"] == order_id for e in executions())
    before = len(sent_emails())
    monkeypatch.setattr(db, "utcnow", lambda: real_now + timedelta(minutes=45))
    assert client.lambda_.invoke("sweep_stuck_orders", scheduled(client)).payload["expire"] >= 1
    expired = order(order_id)
    assert expired.status == "CANCELLED" and expired.cancel_reason.startswith("expired")
    assert stock_of(lamp)["nyc"] == (5, 0, 5)
    assert payment(order_id).status == "VOIDED"
    assert len(sent_emails()) - before == 1
