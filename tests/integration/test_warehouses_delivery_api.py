"""Warehouses by zip code and delivery methods (issue 9 §1, §2)."""

from __future__ import annotations

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito
from tests.integration.shop_support import Caller, admin, customer, guest, order_body, product, stock_of, warehouse


@pytest.fixture
def boss(client: Client, cognito: Cognito) -> Caller:
    return admin(client, cognito)


def test_warehouse_coordinates_come_from_the_zip_code(client: Client, boss: Caller) -> None:
    created = warehouse(boss, "nyc", "10001-1234")
    assert created["warehouseId"] == "nyc" and created["zip"] == "10001" and created["active"] is True
    assert abs(created["latitude"] - 40.7484) < 1e-6 and abs(created["longitude"] + 73.9967) < 1e-6
    assert guest(client).get("/warehouses/nyc").json == created
    assert [w["warehouseId"] for w in guest(client).get("/warehouses").json["items"]] == ["nyc"]

    moved = boss.patch("/warehouses/nyc", {"zip": "90021", "name": "Now in LA"})
    assert moved.status_code == 200 and moved.json["zip"] == "90021" and moved.json["name"] == "Now in LA"
    assert abs(moved.json["latitude"] - 34.03) < 0.1


WAREHOUSE_BAD_INPUT = [
    ({"warehouseId": "w", "name": "W", "zip": "00000"}, "zip"),
    ({"warehouseId": "w", "name": "W", "zip": "1234"}, "zip"),
    ({"warehouseId": "w", "name": "W"}, "zip"),
    ({"warehouseId": "w", "name": "W", "zip": 10001}, "zip"),
    ({"warehouseId": "w w", "name": "W", "zip": "10001"}, "warehouseId"),
    ({"warehouseId": "w", "zip": "10001"}, "name"),
    ({"warehouseId": "w", "name": "W", "zip": "10001", "active": "yes"}, "active"),
    ({"warehouseId": "w", "name": "W", "zip": "10001", "latitude": 1}, "latitude"),
]


def test_bad_warehouse_input_is_a_400_naming_the_field(boss: Caller) -> None:
    for body, field in WAREHOUSE_BAD_INPUT:
        response = boss.post("/warehouses", body)
        assert response.status_code == 400 and response.json["field"] == field, (body, response.body)
    assert boss.get("/warehouses").json["items"] == []


def test_warehouse_writes_are_for_admins(client: Client, cognito: Cognito, boss: Caller) -> None:
    body = {"warehouseId": "w", "name": "W", "zip": "10001"}
    assert guest(client).post("/warehouses", body).status_code == 401
    assert customer(client, cognito).post("/warehouses", body).status_code == 403
    warehouse(boss, "w", "10001")
    assert boss.post("/warehouses", body).status_code == 409
    assert customer(client, cognito).delete("/warehouses/w").status_code == 403
    assert boss.get("/warehouses/nope").status_code == 404
    assert boss.patch("/warehouses/nope", {"name": "x"}).status_code == 404


def test_deleting_a_warehouse_that_holds_stock_is_refused(client: Client, boss: Caller) -> None:
    warehouse(boss, "full", "60607")
    warehouse(boss, "empty", "90021")
    kept = product(boss, stock={"full": 3, "empty": 0})
    response = boss.delete("/warehouses/full")
    assert response.status_code == 409 and response.json["onHand"] == 3 and kept in response.json["products"]
    assert boss.get("/warehouses/full").status_code == 200
    assert boss.delete("/warehouses/empty").status_code == 204
    assert boss.get("/warehouses/empty").status_code == 404
    assert "empty" not in stock_of(kept)  # its empty stock line went with it


def test_reserved_stock_also_blocks_deletion(client: Client, boss: Caller) -> None:
    warehouse(boss, "w1", "10001")
    item = product(boss, stock={"w1": 1})
    assert guest(client).post("/orders", order_body([(item, 1)])).status_code == 201
    from chalicelib.core.db import utcnow
    from chalicelib.inventory.models import Stock

    # Counted out, but one unit is still reserved by the open order.
    Stock(item, "w1").update(actions=[Stock.on_hand.set(1), Stock.updated_at.set(utcnow())])
    response = boss.delete("/warehouses/w1")
    assert response.status_code == 409 and response.json["reserved"] == 1


def test_delivery_methods_defaults_and_admin_costs(client: Client, cognito: Cognito, boss: Caller) -> None:
    listed = guest(client).get("/delivery-methods")
    assert listed.status_code == 200
    methods = {m["method"]: m for m in listed.json["items"]}
    assert set(methods) == {"SELF_SERVICE", "CURBSIDE", "IN_DOOR"}
    assert all(m["etaDays"] == 3 and isinstance(m["costCents"], int) for m in methods.values())

    assert customer(client, cognito).put("/delivery-methods/IN_DOOR", {"costCents": 1}).status_code == 403
    changed = boss.put("/delivery-methods/IN_DOOR", {"costCents": 7500})
    assert changed.status_code == 200 and changed.json == {**methods["IN_DOOR"], "costCents": 7500}
    assert {m["method"]: m["costCents"] for m in guest(client).get("/delivery-methods").json["items"]}[
        "IN_DOOR"
    ] == 7500
    assert boss.put("/delivery-methods/DRONE", {"costCents": 1}).status_code == 404
    assert boss.put("/delivery-methods/IN_DOOR", {"costCents": -1}).json["field"] == "costCents"
    assert boss.put("/delivery-methods/IN_DOOR", {}).json["field"] == "costCents"

    warehouse(boss, "nyc", "10001")
    item = product(boss, price_cents=100, stock={"nyc": 5})
    body = {"items": [{"productId": item, "quantity": 1}], "zip": "10001", "deliveryMethod": "IN_DOOR"}
    assert guest(client).post("/checkout/quote", body).json["deliveryCents"] == 7500
