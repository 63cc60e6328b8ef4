"""API keys over HTTP (issue 11 §4): an admin creates a key (shown once, registered with the usage
plan), a till places an order with it and is refused what its scopes do not cover (403), an unknown
or revoked key is refused (401) from the next request on; bad input is a 400 naming the field."""

from __future__ import annotations

import json
from typing import Any

import boto3
from chalice.test import Client

from tests.integration.conftest import Cognito, env
from tests.integration.shop_support import NYC, admin, product, stock_of, warehouse
from tests.integration.test_products_api import call


def machine(client: Client, method: str, path: str, key: str | None, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json", **({"X-Api-Key": key} if key is not None else {})}
    response = getattr(client.http, method.lower())(path, headers=headers, body=json.dumps(body) if body else None)
    response.data = json.loads(response.body) if response.body else None
    return response


def create_key(client: Client, cognito: Cognito, name: str, scopes: list[str]) -> dict[str, Any]:
    response = call(client, "POST", "/api-keys", cognito, {"name": name, "scopes": scopes})
    assert response.status_code == 201, response.data
    assert response.headers["Location"] == f"/api-keys/{response.data['keyId']}"
    return dict(response.data)


def usage_plan_key_ids() -> set[str]:
    gateway = boto3.client("apigateway")
    plan = next(p["id"] for p in gateway.get_usage_plans()["items"] if p["name"] == env("MACHINE_USAGE_PLAN_NAME"))
    return {k["id"] for k in gateway.get_usage_plan_keys(usagePlanId=plan)["items"]}


def gateway_key_ids() -> set[str]:
    return {k["id"] for k in boto3.client("apigateway").get_api_keys()["items"]}


def test_a_till_orders_with_its_key_within_its_scopes_until_revoked(client: Client, cognito: Cognito) -> None:
    boss = admin(client, cognito)
    warehouse(boss, "nyc", NYC)
    lamp = product(boss, price_cents=1500)
    assert boss.put(f"/products/{lamp}/stock/nyc", {"onHand": 5}).status_code == 201
    till = create_key(client, cognito, "Till 1", ["orders:write"])
    sync = create_key(client, cognito, "ERP sync", ["stock:write", "catalog:read"])
    assert till["apiKey"].startswith(f"srk_{till['keyId']}_") and till["status"] == "active"
    # Registered with the usage plan: deployed, API Gateway checks the key too.
    assert usage_plan_key_ids() == gateway_key_ids() and len(gateway_key_ids()) == 2

    listed = call(client, "GET", "/api-keys", cognito).data["items"]
    assert {k["keyId"] for k in listed} == {till["keyId"], sync["keyId"]}
    assert till["apiKey"] not in json.dumps(listed) and "apiKey" not in listed[0]

    order = {"productId": lamp, "quantity": 2, "customerEmail": "till@example.com"}
    placed = machine(client, "POST", "/machine/place-order", till["apiKey"], order)
    assert placed.status_code == 201, placed.data
    assert stock_of(lamp)["nyc"] == (5, 2, 3)
    # Outside its scopes: 403, naming the scope.
    for method, path, body in [
        ("GET", "/machine/products", None),
        ("GET", f"/machine/products/{lamp}", None),
        ("PUT", f"/machine/products/{lamp}/stock/nyc", {"onHand": 9, "reason": "count"}),
    ]:
        refused = machine(client, method, path, till["apiKey"], body)
        assert refused.status_code == 403 and refused.data["error"] == "Forbidden", (path, refused.data)
    assert machine(client, "POST", "/machine/place-order", sync["apiKey"], order).status_code == 403

    # The sync key sets stock (a movement in its name) and reads the catalog.
    counted = machine(client, "PUT", f"/machine/products/{lamp}/stock/nyc", sync["apiKey"], {"onHand": 9})
    assert counted.status_code == 200, counted.data
    moves = call(client, "GET", f"/products/{lamp}/movements", cognito).data["items"]
    assert any(m["actor"] == f"apikey:{sync['keyId']}" and m["onHandDelta"] == 4 for m in moves), moves
    catalog = machine(client, "GET", "/machine/products", sync["apiKey"])
    assert catalog.status_code == 200 and [p["productId"] for p in catalog.data["items"]] == [lamp]
    lines = machine(client, "GET", f"/machine/products/{lamp}", sync["apiKey"]).data["stock"]
    assert {s["warehouseId"]: (s["onHand"], s["available"]) for s in lines}["nyc"] == (9, 7)

    # Unknown, malformed, missing, or a user's token instead of a key: 401.
    forged = till["apiKey"][:-4] + "AAAA"
    for key in [forged, "srk_000000000000_" + "A" * 43, "nonsense", None]:
        response = machine(client, "POST", "/machine/place-order", key, order)
        assert response.status_code == 401 and response.data["error"] == "Unauthorized", (key, response.data)
    as_user = client.http.post(
        "/machine/place-order",
        headers={"Authorization": f"Bearer {cognito.token(groups=['admin'])}", "Content-Type": "application/json"},
        body=json.dumps(order),
    )
    assert as_user.status_code == 401

    # Revoked: refused from the next request on, gone from the usage plan, listed as revoked.
    revoked = call(client, "DELETE", f"/api-keys/{till['keyId']}", cognito)
    assert revoked.status_code == 200 and revoked.data["status"] == "revoked"
    after = machine(client, "POST", "/machine/place-order", till["apiKey"], order)
    assert after.status_code == 401 and "revoked" in after.data["message"]
    assert call(client, "DELETE", f"/api-keys/{till['keyId']}", cognito).status_code == 200  # idempotent
    assert len(gateway_key_ids()) == 1  # deleted in API Gateway (which drops it from the plan)
    states = {k["keyId"]: k for k in call(client, "GET", "/api-keys", cognito).data["items"]}
    assert states[till["keyId"]]["status"] == "revoked" and states[till["keyId"]]["lastUsedAt"]
    assert states[sync["keyId"]]["status"] == "active"
    assert stock_of(lamp)["nyc"] == (9, 2, 7)  # one order, one count: nothing else got through


def test_bad_key_requests_are_4xx_naming_the_field(client: Client, cognito: Cognito) -> None:
    for body, field in [
        ({"scopes": ["orders:write"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": "orders:write"}, "scopes"),
        ({"name": "x" * 101, "scopes": ["orders:write"]}, "name"),
    ]:
        response = call(client, "POST", "/api-keys", cognito, body)
        assert response.status_code == 400 and response.data["field"] == field, (body, response.data)
    assert call(client, "DELETE", "/api-keys/not-a-key", cognito).data["field"] == "keyId"
    missing = call(client, "DELETE", "/api-keys/0123456789ab", cognito)
    assert missing.status_code == 404
    shopper = {"Authorization": f"Bearer {cognito.token()}"}
    body = {"name": "mine", "scopes": ["orders:write"]}
    assert call(client, "POST", "/api-keys", body=body, **shopper).status_code == 403
    assert call(client, "GET", "/api-keys", **shopper).status_code == 403
    assert call(client, "GET", "/api-keys").status_code == 401
    assert call(client, "GET", "/api-keys", cognito).data["items"] == []  # nothing was created
