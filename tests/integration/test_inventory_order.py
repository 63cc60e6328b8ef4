"""POST /inventory-order: atomic decrement, no oversell, idempotency, and one DynamoDB request."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito, env
from tests.integration.test_products_api import call, create

PATH = "/inventory-order"


def stock_of(client: Client, cognito: Cognito, product_id: str = "493.857.51") -> dict[str, Any]:
    data = call(client, "GET", f"/products/{product_id}", cognito).data
    return dict(data["stock"][0])


def test_order_decrements_stock_and_records_order_and_movement(client: Client, cognito: Cognito) -> None:
    create(client, cognito)
    response = call(client, "POST", PATH, cognito, {"productId": "493.857.51", "quantity": 3})
    assert response.status_code == 201, response.data
    order = response.data
    assert order["status"] == "FULFILLED" and order["quantity"] == 3 and order["warehouseId"] == "main"
    assert stock_of(client, cognito)["available"] == 17 and stock_of(client, cognito)["onHand"] == 17

    table = boto3.resource("dynamodb").Table(env("ORDERS_TABLE"))
    stored = table.get_item(Key={"order_id": order["orderId"]})["Item"]
    assert stored["kind"] == "inventory" and stored["lines"][0]["quantity"] == 3
    assert stored["created_by"] == "user:someone@example.com"
    ledger = call(client, "GET", "/products/493.857.51/movements", cognito).data["items"]
    assert ledger[0]["reason"] == "inventory order" and ledger[0]["reference"] == order["orderId"]
    assert ledger[0]["onHandDelta"] == -3


def test_ordering_more_than_available_is_409_and_changes_nothing(client: Client, cognito: Cognito) -> None:
    create(client, cognito, quantity=2)
    response = call(client, "POST", PATH, cognito, {"productId": "493.857.51", "quantity": 3})
    assert response.status_code == 409
    assert response.data["error"] == "InsufficientStock" and response.data["available"] == 2
    assert stock_of(client, cognito)["available"] == 2
    assert boto3.resource("dynamodb").Table(env("ORDERS_TABLE")).scan()["Count"] == 0


def test_the_last_unit_can_be_ordered_then_none(client: Client, cognito: Cognito) -> None:
    create(client, cognito, quantity=1)
    assert call(client, "POST", PATH, cognito, {"productId": "493.857.51", "quantity": 1}).status_code == 201
    again = call(client, "POST", PATH, cognito, {"productId": "493.857.51", "quantity": 1})
    assert again.status_code == 409 and again.data["available"] == 0


def test_unknown_product_or_warehouse_is_404(client: Client, cognito: Cognito) -> None:
    response = call(client, "POST", PATH, cognito, {"productId": "nope", "quantity": 1})
    assert response.status_code == 404 and "nope" in response.data["message"]
    create(client, cognito)
    response = call(client, "POST", PATH, cognito, {"productId": "493.857.51", "quantity": 1, "warehouseId": "north"})
    assert response.status_code == 404 and "north" in response.data["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1}, "productId"),
        ({"productId": "493.857.51"}, "quantity"),
        ({"productId": "493.857.51", "quantity": 0}, "quantity"),
        ({"productId": "493.857.51", "quantity": 1.5}, "quantity"),
        ({"productId": "493.857.51", "quantity": 1, "note": "x"}, "note"),
    ],
)
def test_bad_orders_are_400(client: Client, cognito: Cognito, body: dict[str, Any], field: str) -> None:
    response = call(client, "POST", PATH, cognito, body)
    assert response.status_code == 400 and response.data["field"] == field


def test_same_idempotency_key_places_the_order_once(client: Client, cognito: Cognito) -> None:
    create(client, cognito)
    body = {"productId": "493.857.51", "quantity": 4}
    first = call(client, "POST", PATH, cognito, body, **{"Idempotency-Key": "k-1"})
    second = call(client, "POST", PATH, cognito, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.data == second.data
    assert stock_of(client, cognito)["available"] == 16
    reused = call(client, "POST", PATH, cognito, {**body, "quantity": 5}, **{"Idempotency-Key": "k-1"})
    assert reused.status_code == 422 and reused.data["error"] == "IdempotencyKeyReused"
    other = call(client, "POST", PATH, cognito, body, **{"Idempotency-Key": "k-2"})
    assert other.status_code == 201 and other.data["orderId"] != first.data["orderId"]
    assert stock_of(client, cognito)["available"] == 12


def test_replayed_key_returns_the_original_even_when_stock_ran_out(client: Client, cognito: Cognito) -> None:
    create(client, cognito, quantity=4)
    body = {"productId": "493.857.51", "quantity": 4}
    first = call(client, "POST", PATH, cognito, body, **{"Idempotency-Key": "last-units"})
    second = call(client, "POST", PATH, cognito, body, **{"Idempotency-Key": "last-units"})
    assert second.status_code == 201 and second.data == first.data


def test_one_dynamodb_request_per_order(client: Client, cognito: Cognito) -> None:
    """The success path is a single TransactWriteItems (counted with botocore's event hooks)."""
    from chalicelib.core.db import get_connection

    create(client, cognito)
    calls: list[str] = []
    get_connection().client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    response = call(
        client, "POST", PATH, cognito, {"productId": "493.857.51", "quantity": 1}, **{"Idempotency-Key": "x"}
    )
    assert response.status_code == 201
    assert calls == ["TransactWriteItems"]
