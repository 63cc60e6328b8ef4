"""`make run`'s demo data (issue 9 §8): three regional warehouses with stock, the delivery costs,
the promo codes, and the demo customer's past order in their purchase history; seeded once."""

from __future__ import annotations

import json

import boto3
from chalice.test import Client

from devstack import demo
from devstack.env import REGION
from tests.integration.conftest import Cognito


def get(client: Client, path: str, token: str | None = None) -> dict:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.http.get(path, headers=headers)
    assert response.status_code == 200, (path, response.body)
    return dict(json.loads(response.body))


def test_the_demo_data_is_a_shop_ready_to_try(client: Client, cognito: Cognito) -> None:
    idp = boto3.client("cognito-idp", region_name=REGION)
    user = idp.admin_create_user(
        UserPoolId=cognito.pool_id,
        Username=demo.DEMO_CUSTOMER,
        UserAttributes=[{"Name": "email", "Value": demo.DEMO_CUSTOMER}],
    )["User"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")

    assert demo.seed() is True
    assert demo.seed() is False  # a catalog that is not empty is left alone

    sites = {w["warehouseId"]: w for w in get(client, "/warehouses", cognito.token(groups=["admin"]))["items"]}
    assert set(sites) == {w for w, _, _ in demo.WAREHOUSES}
    assert all(w["latitude"] and w["longitude"] for w in sites.values())
    costs = {m["method"]: m["costCents"] for m in get(client, "/delivery-methods")["items"]}
    assert costs == demo.DELIVERY_COSTS
    admin = cognito.token(groups=["admin"])
    for code in demo.PROMO_CODES:
        assert get(client, f"/promo-codes/{code['code']}", admin)["code"] == code["code"]
    products = get(client, "/products?limit=100", admin)["items"]
    assert len(products) == len(demo.PRODUCTS)
    regional = {s["warehouseId"] for p in products for s in p["stock"] if s["onHand"] > 0}
    assert regional == set(sites)  # every region holds stock, so zip codes pick different depots

    history = get(client, "/me/orders", cognito.token(sub=sub, email=demo.DEMO_CUSTOMER))["items"]
    assert len(history) == 1 and history[0]["email"] == demo.DEMO_CUSTOMER
