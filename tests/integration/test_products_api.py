"""Every route of the catalog and stock API, with its error paths, through the Chalice test client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito

BED = {"productId": "493.857.51", "productName": "Complete bed", "quantity": 20, "threshold": 5}


def call(
    client: Client, method: str, path: str, cognito: Cognito | None = None, body: Any = None, **headers: str
) -> Any:
    all_headers = cognito.admin_headers() if cognito else {"Content-Type": "application/json"}
    all_headers.update(headers)
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    response = getattr(client.http, method.lower())(path, headers=all_headers, body=payload)
    response.data = json.loads(response.body) if response.body else None
    return response


def create(client: Client, cognito: Cognito, **overrides: Any) -> Any:
    response = call(client, "POST", "/products", cognito, {**BED, **overrides})
    assert response.status_code == 201, response.data
    return response.data


def test_create_then_list_and_get(client: Client, cognito: Cognito) -> None:
    created = create(client, cognito, description="Frame and mattress", priceCents=49900)
    assert created["productId"] == "493.857.51"
    assert created["quantity"] == 20 and created["threshold"] == 5 and created["lowStock"] is False
    assert created["stock"] == [{"warehouseId": "main", "onHand": 20, "reserved": 0, "available": 20, "threshold": 5}]
    assert created["lastUpdated"].endswith("Z")

    listed = call(client, "GET", "/products", cognito).data
    assert [p["productId"] for p in listed["items"]] == ["493.857.51"]
    assert {"productId", "productName", "quantity", "threshold", "lastUpdated", "stock"} <= set(listed["items"][0])
    assert listed["nextCursor"] is None
    got = call(client, "GET", "/products/493.857.51", cognito)
    assert got.status_code == 200 and got.data["priceCents"] == 49900 and got.data["stock"][0]["onHand"] == 20


def test_listing_is_paginated(client: Client, cognito: Cognito) -> None:
    for n in range(7):
        create(client, cognito, productId=f"P-{n}")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/products?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = call(client, "GET", path).data
        seen += [p["productId"] for p in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"P-{n}" for n in range(7)]
    assert pages >= 3


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/products?limit=0", "limit"),
        ("/products?limit=abc", "limit"),
        ("/products?cursor=%%%", "cursor"),
        ("/products?cursor=eyJub3BlIjp7IlMiOiJ4In19", "cursor"),  # {"nope": {"S": "x"}}: not the table's key
    ],
)
def test_listing_bad_query(client: Client, path: str, field: str) -> None:
    response = call(client, "GET", path)
    assert response.status_code == 400 and response.data["field"] == field


def test_duplicate_product_is_409_and_keeps_the_original(client: Client, cognito: Cognito) -> None:
    create(client, cognito)
    response = call(client, "POST", "/products", cognito, {**BED, "productName": "Impostor", "quantity": 1})
    assert response.status_code == 409 and response.data["error"] == "Conflict"
    assert call(client, "GET", "/products/493.857.51").data["productName"] == "Complete bed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BED, "productId": "bad id"}, "productId"),
        ({k: v for k, v in BED.items() if k != "productName"}, "productName"),
        ({**BED, "quantity": -1}, "quantity"),
        ({**BED, "quantity": "20"}, "quantity"),
        ({**BED, "threshold": 1.5}, "threshold"),
        ({**BED, "colour": "red"}, "colour"),
        ([1, 2], "body"),
        ("{not json", "body"),
        ("", "body"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(client: Client, cognito: Cognito, body: Any, field: str) -> None:
    response = call(client, "POST", "/products", cognito, body)
    assert response.status_code == 400, response.data
    assert response.data["error"] == "ValidationError" and response.data["field"] == field
    assert field in response.data["message"]


def test_wrong_content_type_is_415(client: Client, cognito: Cognito) -> None:
    response = call(client, "POST", "/products", cognito, "productId=x", **{"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_unknown_product_is_404(client: Client, cognito: Cognito) -> None:
    assert call(client, "GET", "/products/nope").status_code == 404
    assert call(client, "PUT", "/products/nope", cognito, {"threshold": 1}).status_code == 404
    assert call(client, "DELETE", "/products/nope", cognito).status_code == 404


def test_update_fields_threshold_and_quantity(client: Client, cognito: Cognito) -> None:
    create(client, cognito)
    updated = call(
        client, "PUT", "/products/493.857.51", cognito, {"productName": "Bed", "threshold": 25, "quantity": 30}
    )
    assert updated.status_code == 200, updated.data
    data = updated.data
    assert data["productName"] == "Bed" and data["threshold"] == 25 and data["quantity"] == 30
    assert data["stock"][0] == {"warehouseId": "main", "onHand": 30, "reserved": 0, "available": 30, "threshold": 25}
    movements = call(client, "GET", "/products/493.857.51/movements", cognito).data["items"]
    assert [(m["reason"], m["onHandDelta"]) for m in movements] == [("stock count", 10), ("opening stock", 20)]
    assert all(m["actor"] == "user:someone@example.com" for m in movements)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"productId": "x"}, "productId"),
        ({"quantity": -3}, "quantity"),
        ({"price": 1}, "price"),
        ({"productName": ""}, "productName"),
        ({"productName": "   "}, "productName"),
    ],
)
def test_update_rejects_bad_input(client: Client, cognito: Cognito, body: dict[str, Any], field: str) -> None:
    create(client, cognito)
    response = call(client, "PATCH", "/products/493.857.51", cognito, body)
    assert response.status_code == 400 and response.data["field"] == field


def test_delete_removes_product_and_stock_but_keeps_the_ledger(client: Client, cognito: Cognito) -> None:
    from chalicelib.inventory.models import Movement, Stock

    create(client, cognito)
    assert call(client, "DELETE", "/products/493.857.51", cognito).status_code == 204
    assert call(client, "GET", "/products/493.857.51").status_code == 404
    assert call(client, "GET", "/products").data["items"] == []
    assert list(Stock.query("493.857.51")) == []
    # The ledger stays for audit (no longer served: the product is gone, its movements 404).
    ledger = sorted(Movement.query("493.857.51#main"), key=lambda m: m.movement_id, reverse=True)
    assert [(m.reason, int(m.on_hand_delta)) for m in ledger] == [("product deleted", -20), ("opening stock", 20)]
    assert call(client, "GET", "/products/493.857.51/movements", cognito).status_code == 404


def test_errors_carry_a_correlation_id(client: Client) -> None:
    response = call(client, "GET", "/products/nope", **{"X-Correlation-Id": "trace-123"})
    assert response.headers["X-Correlation-Id"] == "trace-123"


def test_movements_are_paginated_and_refuse_foreign_cursors(client: Client, cognito: Cognito) -> None:
    create(client, cognito)
    for quantity in (1, 2, 3):
        call(client, "PUT", "/products/493.857.51", cognito, {"quantity": 20 + quantity})
    first = call(client, "GET", "/products/493.857.51/movements?limit=2", cognito).data
    assert len(first["items"]) == 2 and first["nextCursor"]
    rest = call(client, "GET", f"/products/493.857.51/movements?limit=2&cursor={first['nextCursor']}", cognito).data
    ids = [m["movementId"] for m in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 4
    product_cursor = "eyJwcm9kdWN0X2lkIjp7IlMiOiJ4In19"  # a products cursor is not a movements cursor
    response = call(client, "GET", f"/products/493.857.51/movements?cursor={product_cursor}", cognito)
    assert response.status_code == 400 and response.data["field"] == "cursor"
