"""The business and failure metrics are emitted by the code paths that own them (EMF on stdout)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from devstack.runtime import sqs_record
from tests.integration.conftest import Cognito
from tests.integration.test_products_api import call, create


def _metrics(out: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in out.splitlines():
        if not (line.startswith("{") and '"_aws"' in line):
            continue
        doc = json.loads(line)
        for metric in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = doc[metric["Name"]]
            found[metric["Name"]] = found.get(metric["Name"], 0) + float(
                sum(value) if isinstance(value, list) else value
            )
    return found


def test_an_order_counts_orders_placed(client: Client, cognito: Cognito, capsys: pytest.CaptureFixture[str]) -> None:
    create(client, cognito)
    capsys.readouterr()
    response = call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 1})
    assert response.status_code == 201
    assert _metrics(capsys.readouterr().out).get("OrdersPlaced") == 1
    refused = call(client, "POST", "/inventory-order", cognito, {"productId": "493.857.51", "quantity": 10_000})
    assert refused.status_code == 409
    assert "OrdersPlaced" not in _metrics(capsys.readouterr().out)


def test_failed_records_of_a_partial_batch_are_counted(
    client: Client, cognito: Cognito, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lambda's Errors metric never sees them: the invocation succeeds with batchItemFailures."""
    from chalicelib.inventory import alerts

    def email_from_message(record: Any) -> None:
        if record.body == "poison":
            raise ValueError("cannot handle this one")

    monkeypatch.setattr(alerts, "_email_from_message", email_from_message)
    arn = "arn:aws:sqs:us-east-1:123456789012:stockroom-local-alert-emails"
    records = [
        sqs_record({"MessageId": "m-ok", "ReceiptHandle": "r1", "Body": "fine", "Attributes": {}}, arn),
        sqs_record({"MessageId": "m-bad", "ReceiptHandle": "r2", "Body": "poison", "Attributes": {}}, arn),
    ]
    capsys.readouterr()
    payload = client.lambda_.invoke("send_alert_emails", {"Records": records}).payload
    assert payload["batchItemFailures"] == [{"itemIdentifier": "m-bad"}]
    assert _metrics(capsys.readouterr().out).get("RecordsFailed") == 1


def test_a_shop_checkout_counts_orders_placed_once(
    client: Client, cognito: Cognito, capsys: pytest.CaptureFixture[str]
) -> None:
    """Customer orders are the dashboard's orders too; a replayed request is not a second order."""
    from tests.integration.shop_support import NEWARK, admin, guest, order_body, product, warehouse

    boss = admin(client, cognito)
    warehouse(boss, "metrics-wh", NEWARK)
    product_id = product(boss, stock={"metrics-wh": 3})
    body = order_body([(product_id, 1)])
    key = {"Idempotency-Key": "metrics-checkout"}
    capsys.readouterr()
    assert guest(client).post("/orders", body, headers=key).status_code == 201
    assert _metrics(capsys.readouterr().out).get("OrdersPlaced") == 1
    assert guest(client).post("/orders", body, headers=key).status_code == 201  # the replay
    assert "OrdersPlaced" not in _metrics(capsys.readouterr().out)
    refused = guest(client).post("/orders", order_body([(product_id, 50)]))
    assert refused.status_code == 409
    assert "OrdersPlaced" not in _metrics(capsys.readouterr().out)
