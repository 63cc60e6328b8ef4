"""Carts for guests and customers, and the merge at sign-in (issue 9 §3, §4)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito
from tests.integration.shop_support import Caller, admin, customer, guest, product, warehouse


@pytest.fixture
def boss(client: Client, cognito: Cognito) -> Caller:
    caller = admin(client, cognito)
    warehouse(caller, "nyc", "10001")
    warehouse(caller, "la", "90021")
    return caller


def test_guest_cart_lifecycle(client: Client, boss: Caller) -> None:
    lamp = product(boss, price_cents=2499, stock={"nyc": 3, "la": 2}, name="Lamp")
    shopper = guest(client)
    created = shopper.post("/carts")
    assert created.status_code == 201
    cart = created.json
    assert cart["items"] == [] and cart["subtotalCents"] == 0 and len(cart["cartId"]) >= 32  # >= 192 bits
    path = f"/carts/{cart['cartId']}"

    updated = shopper.put(f"{path}/items/{lamp}", {"quantity": 2})
    assert updated.status_code == 200, updated.body
    assert updated.json["items"] == [
        {
            "productId": lamp,
            "productName": "Lamp",
            "quantity": 2,
            "unitPriceCents": 2499,
            "lineTotalCents": 4998,
            "available": 5,
        }
    ]
    assert updated.json["subtotalCents"] == 4998
    expires = datetime.fromisoformat(updated.json["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(days=29) < expires - datetime.fromisoformat(updated.json["updatedAt"].replace("Z", "+00:00"))

    # Prices are read from the catalog at every look.
    boss.patch(f"/products/{lamp}", {"priceCents": 2000})
    assert shopper.get(path).json["subtotalCents"] == 4000

    too_many = shopper.put(f"{path}/items/{lamp}", {"quantity": 6})
    assert too_many.status_code == 409 and too_many.json["available"] == 5
    assert shopper.put(f"{path}/items/{lamp}", {"quantity": 0}).json["items"] == []
    shopper.put(f"{path}/items/{lamp}", {"quantity": 1})
    assert shopper.delete(f"{path}/items/{lamp}").json["items"] == []
    assert shopper.delete(f"{path}/items/{lamp}").status_code == 200  # not in the cart: nothing to do
    assert shopper.delete(f"{path}/items/no%20such%0Aid").status_code == 404  # no product has that id

    assert shopper.put(f"{path}/items/NOPE", {"quantity": 1}).status_code == 404
    assert shopper.put(f"{path}/items/{lamp}", {"quantity": -1}).json["field"] == "quantity"
    assert shopper.get("/carts/not-a-cart").status_code == 404


def test_cart_ttl_is_stored_for_dynamodb_to_expire() -> None:
    from chalicelib.shop.models import Cart

    assert Cart.expires_at.attr_name == "expires_at"
    from chalicelib.core.db import table_schema

    assert table_schema(Cart)["ttl_attribute"] == "expires_at"


def test_signed_in_cart_is_private_and_follows_the_customer(client: Client, cognito: Cognito, boss: Caller) -> None:
    lamp = product(boss, stock={"nyc": 5})
    ada = customer(client, cognito)
    bound = ada.post("/carts", {"items": [{"productId": lamp, "quantity": 1}]}).json
    assert bound["signedIn"] is True
    # Another device of the same customer finds it; nobody else can read or change it.
    assert ada.get("/me/cart").json["cartId"] == bound["cartId"]
    assert guest(client).get(f"/carts/{bound['cartId']}").status_code == 404
    assert customer(client, cognito).put(f"/carts/{bound['cartId']}/items/{lamp}", {"quantity": 2}).status_code == 404
    assert admin(client, cognito).get(f"/carts/{bound['cartId']}").status_code == 404

    fresh = customer(client, cognito).get("/me/cart")
    assert fresh.status_code == 200 and fresh.json["items"] == [] and fresh.json["cartId"] != bound["cartId"]
    assert guest(client).get("/me/cart").status_code == 401


def test_merge_adds_quantities_capped_by_availability(client: Client, cognito: Cognito, boss: Caller) -> None:
    lamp = product(boss, stock={"nyc": 4})
    rug = product(boss, stock={"la": 9})
    ada = customer(client, cognito)
    mine = ada.get("/me/cart").json
    ada.put(f"/carts/{mine['cartId']}/items/{lamp}", {"quantity": 3})
    guest_cart = guest(client).post("/carts", {"items": [{"productId": lamp, "quantity": 2}]}).json
    guest(client).put(f"/carts/{guest_cart['cartId']}/items/{rug}", {"quantity": 2})

    merged = ada.post("/me/cart/merge", {"cartId": guest_cart["cartId"]})
    assert merged.status_code == 200, merged.body
    assert merged.json["cartId"] == mine["cartId"]
    assert {i["productId"]: i["quantity"] for i in merged.json["items"]} == {lamp: 4, rug: 2}  # 3 + 2 capped at 4
    assert guest(client).get(f"/carts/{guest_cart['cartId']}").status_code == 404  # merged away
    again = ada.post("/me/cart/merge", {"cartId": guest_cart["cartId"]})
    assert again.status_code == 404

    other = customer(client, cognito).post("/carts").json
    assert ada.post("/me/cart/merge", {"cartId": other["cartId"]}).status_code == 404
    assert ada.post("/me/cart/merge", {}).json["field"] == "cartId"


def test_me_names_the_caller(client: Client, cognito: Cognito) -> None:
    ada = customer(client, cognito, email="ada@example.com")
    assert ada.get("/me").json == {"sub": ada.sub, "email": "ada@example.com", "isAdmin": False}
    assert admin(client, cognito).get("/me").json["isAdmin"] is True
    assert guest(client).get("/me").status_code == 401
    forged = Caller(client, cognito.token(algorithm="none"))
    assert forged.get("/me").status_code == 401
    # A bad token on a guest-friendly route is refused too, never silently treated as a guest.
    assert forged.post("/carts").status_code == 401


def test_every_cart_id_shape_we_make_is_accepted(client: Client, boss: Caller) -> None:
    """URL-safe base64 ids may start with '-' or '_': they are still carts."""
    from chalicelib.core.db import utcnow
    from chalicelib.shop.carts import CART_TTL
    from chalicelib.shop.models import Cart

    now = utcnow()
    for cart_id in ("-" + "a" * 31, "_" + "B" * 31):
        Cart(cart_id, lines=[], version=1, created_at=now, updated_at=now, expires_at=now + CART_TTL).save()
        assert guest(client).get(f"/carts/{cart_id}").status_code == 200
    assert guest(client).get("/carts/short").status_code == 404
