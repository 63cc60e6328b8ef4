"""The order workflow on the running devstack, over HTTP only (issue 10 §7): a guest's order goes
orders stream -> order_workflow queue -> a Step Functions execution (moto's interpreter running
statemachines/order_workflow.asl.json, its tasks the app's own functions) -> CONFIRMED, with the
receipt, the e-mail, the SNS notification; each test card's documented outcome; cancel after
payment; duplicates harmless."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from pypdf import PdfReader

from devstack.stack import StackInfo
from tests.e2e.conftest import Api, InboxReader
from tests.e2e.test_shop_concurrency import stock_levels, stock_product, warehouses
from tests.integration.shop_support import ADDRESS

FINAL = {"CONFIRMED", "PAYMENT_FAILED", "CANCELLED"}


def place(stack: StackInfo, product_id: str, quantity: int, token: str, email: str) -> dict[str, Any]:
    body = {
        "items": [{"productId": product_id, "quantity": quantity}],
        "zip": "07102",
        "deliveryMethod": "CURBSIDE",
        "shippingAddress": ADDRESS,
        "email": email,
        "paymentToken": token,
    }
    response = requests.post(f"{stack.api_url}/orders", json=body, timeout=60)
    assert response.status_code == 201, response.text
    return dict(response.json())


def wait_for_status(
    stack: StackInfo, placed: dict[str, Any], statuses: set[str], timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(
            f"{stack.api_url}/orders/{placed['orderId']}", headers={"X-Order-Token": placed["orderToken"]}, timeout=30
        )
        assert response.status_code == 200, response.text
        order = dict(response.json())
        if order["status"] in statuses:
            return order
        assert time.monotonic() < deadline, f"order still {order['status']}"
        time.sleep(0.3)


def execution(aws: Callable[[str], Any], name: str, timeout: float = 30) -> dict[str, Any]:
    """The order workflow's execution `name` once it has ended."""
    sfn = aws("stepfunctions")
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"].endswith("order-workflow"))
    arn = machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{name}"
    deadline = time.monotonic() + timeout
    while True:
        described = dict(sfn.describe_execution(executionArn=arn))
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, "execution still running"
        time.sleep(0.3)


def payments_of(aws: Callable[[str], Any], order_id: str) -> list[dict[str, Any]]:
    items = aws("dynamodb").scan(
        TableName="stockroom-local-payments",
        FilterExpression="order_id = :o AND kind = :k",
        ExpressionAttributeValues={":o": {"S": order_id}, ":k": {"S": "payment"}},
        ConsistentRead=True,
    )["Items"]
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]


def to(entry: dict[str, Any], address: str) -> bool:
    """An e-mail to the customer (the events' admin e-mails about the same order are not theirs)."""
    return entry["kind"] == "email" and entry["to"] == [address]


@pytest.fixture(scope="module")
def shelf(api: Api) -> str:
    (warehouse_id,) = warehouses(api, "10001")
    return warehouse_id


def test_a_guest_order_is_charged_confirmed_receipted_emailed_and_announced(
    stack: StackInfo, api: Api, aws: Callable[[str], Any], inbox: InboxReader, shelf: str
) -> None:
    product_id = stock_product(api, aws, {shelf: 10}, price_cents=1250)
    placed = place(stack, product_id, 3, "tok_visa", "ada@example.com")
    order = wait_for_status(stack, placed, FINAL)
    assert order["status"] == "CONFIRMED" and order["receiptAvailable"] is True
    assert order["paymentCard"] == "Visa •••• 4242"
    assert stock_levels(aws, product_id)[shelf] == (7, 0, 7)
    assert execution(aws, order["orderId"])["status"] == "SUCCEEDED"

    receipt = requests.get(
        f"{stack.api_url}/orders/{order['orderId']}/receipt",
        headers={"X-Order-Token": placed["orderToken"]},
        timeout=30,
        allow_redirects=False,
    )
    assert receipt.status_code == 302
    pdf = requests.get(receipt.headers["Location"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert order["orderId"] in text and "Flash sale item" in text
    assert "$37.50" in text  # 3 x $12.50
    assert f"${order['totalCents'] / 100:,.2f}" in text

    # (The admins' purchase e-mail names the order too: the customer's is the one to ada@.)
    (mail,) = inbox.wait_for(
        lambda e: e["kind"] == "email" and order["orderId"] in e["subject"] and e["to"] == ["ada@example.com"]
    )
    assert mail["to"] == ["ada@example.com"] and "confirmed" in mail["subject"]
    assert [a["contentType"] for a in mail["attachments"]] == ["application/pdf"]
    assert mail["attachments"][0]["size"] == len(pdf.content)
    # (The domain events feed publishes the order's other status changes on the same topic.)
    (note,) = inbox.wait_for(
        lambda e: (
            e["kind"] == "sns"
            and order["orderId"] in e["text"]
            and (e.get("attributes") or {}).get("event_type") == "OrderConfirmed"
        )
    )
    notification = json.loads(note["text"])
    assert notification["type"] == "OrderConfirmed" and notification["totalCents"] == order["totalCents"]
    assert "ada@example.com" not in note["text"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [("tok_chargeDeclined", "Your card was declined."), ("tok_chargeDeclinedInsufficientFunds", "insufficient funds")],
)
def test_a_declined_card_fails_the_payment_and_gives_the_stock_back(
    stack: StackInfo, api: Api, aws: Callable[[str], Any], inbox: InboxReader, shelf: str, token: str, reason: str
) -> None:
    product_id = stock_product(api, aws, {shelf: 4})
    placed = place(stack, product_id, 2, token, "bob@example.com")
    order = wait_for_status(stack, placed, FINAL)
    assert order["status"] == "PAYMENT_FAILED" and reason in order["paymentFailure"]
    assert stock_levels(aws, product_id)[shelf] == (4, 0, 4)
    assert execution(aws, order["orderId"])["status"] == "SUCCEEDED"  # a business outcome, not an error
    (mail,) = inbox.wait_for(
        lambda e: e["kind"] == "email" and order["orderId"] in e["subject"] and e["to"] == ["bob@example.com"]
    )
    assert reason in mail["text"]


@pytest.mark.parametrize("token", ["tok_processingError", "tok_timeout"])
def test_transient_gateway_failures_are_retried_and_charge_once(
    stack: StackInfo, api: Api, aws: Callable[[str], Any], shelf: str, token: str
) -> None:
    product_id = stock_product(api, aws, {shelf: 4})
    placed = place(stack, product_id, 1, token, "cy@example.com")
    order = wait_for_status(stack, placed, FINAL, timeout=90)
    assert order["status"] == "CONFIRMED"
    (payment,) = payments_of(aws, order["orderId"])
    assert payment["status"] == "CAPTURED" and int(payment["captured_cents"]) == order["totalCents"]
    done = execution(aws, order["orderId"])
    assert done["status"] == "SUCCEEDED"
    history = aws("stepfunctions").get_execution_history(executionArn=done["executionArn"])["events"]
    failures = [e for e in history if e["type"] in ("LambdaFunctionFailed", "TaskFailed")]
    assert failures, "ChargePayment failed first and was retried"


def test_cancel_after_payment_refunds_and_restocks(
    stack: StackInfo, api: Api, aws: Callable[[str], Any], inbox: InboxReader, shelf: str
) -> None:
    product_id = stock_product(api, aws, {shelf: 5})
    placed = place(stack, product_id, 2, "tok_visa", "dee@example.com")
    wait_for_status(stack, placed, FINAL)
    cancel = requests.post(
        f"{stack.api_url}/orders/{placed['orderId']}/cancel",
        headers={"X-Order-Token": placed["orderToken"]},
        timeout=30,
    )
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["status"] == "CANCELLED" and cancel.json()["refundedCents"] == placed["totalCents"]
    assert stock_levels(aws, product_id)[shelf] == (5, 0, 5)
    (payment,) = payments_of(aws, placed["orderId"])
    assert int(payment["refunded_cents"]) == placed["totalCents"]
    inbox.wait_for(
        lambda e: to(e, "dee@example.com") and placed["orderId"] in e["subject"] and "cancelled" in e["subject"]
    )


def test_a_workflow_start_delivered_twice_runs_once(
    stack: StackInfo, api: Api, aws: Callable[[str], Any], inbox: InboxReader, shelf: str
) -> None:
    product_id = stock_product(api, aws, {shelf: 5})
    placed = place(stack, product_id, 1, "tok_visa", "eve@example.com")
    wait_for_status(stack, placed, FINAL)
    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName="stockroom-local-order-workflow")["QueueUrl"]
    for _ in range(2):  # the same start, redelivered
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"orderId": placed["orderId"], "attempt": 1}))
    deadline = time.monotonic() + 10
    while int(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessages"]
    ):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    time.sleep(1)  # nothing to wait for: proving nothing more happens
    # The customer's e-mails (the admins' purchase e-mail, once too, is the domain events' test's).
    mails = inbox.matching(
        lambda e: e["kind"] == "email" and placed["orderId"] in e["subject"] and "owner@example.com" not in e["to"]
    )
    assert len(mails) == 1
    assert stock_levels(aws, product_id)[shelf] == (4, 0, 4)
    (payment,) = payments_of(aws, placed["orderId"])
    assert int(payment["captured_cents"]) == placed["totalCents"]
