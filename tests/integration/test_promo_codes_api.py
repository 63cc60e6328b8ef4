"""Promo codes: admin CRUD, every refusal reason, and the limits inside the order's transaction
(issue 9 §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito
from tests.integration.shop_support import Caller, admin, customer, guest, order_body, product, warehouse


@pytest.fixture
def boss(client: Client, cognito: Cognito) -> Caller:
    caller = admin(client, cognito)
    warehouse(caller, "nyc", "10001")
    return caller


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def promo(boss: Caller, code: str, **fields: Any) -> dict[str, Any]:
    response = boss.post("/promo-codes", {"code": code, "kind": "PERCENT", "value": 10, **fields})
    assert response.status_code == 201, response.body
    return dict(response.json)


def test_promo_code_crud(client: Client, cognito: Cognito, boss: Caller) -> None:
    created = promo(boss, "welcome10", maxRedemptions=100, maxPerCustomer=1, minSubtotalCents=500)
    assert created["code"] == "WELCOME10" and created["redemptions"] == 0 and created["active"] is True
    assert boss.get("/promo-codes/Welcome10").json == created  # case-insensitive
    assert boss.post("/promo-codes", {"code": "WELCOME10", "kind": "FIXED", "value": 1}).status_code == 409
    assert [p["code"] for p in boss.get("/promo-codes").json["items"]] == ["WELCOME10"]

    changed = boss.patch(
        "/promo-codes/welcome10", {"active": False, "maxRedemptions": None, "kind": "FIXED", "value": 300}
    )
    assert changed.status_code == 200, changed.body
    assert changed.json["active"] is False and changed.json["maxRedemptions"] is None
    assert changed.json["kind"] == "FIXED" and changed.json["value"] == 300
    assert boss.patch("/promo-codes/WELCOME10", {"redemptions": 0}).json["field"] == "redemptions"
    assert boss.patch("/promo-codes/NOPE", {"active": True}).status_code == 404

    assert customer(client, cognito).get("/promo-codes").status_code == 403
    assert guest(client).post("/promo-codes", {"code": "X1", "kind": "FIXED", "value": 1}).status_code == 401
    assert boss.delete("/promo-codes/welcome10").status_code == 204
    assert boss.get("/promo-codes/WELCOME10").status_code == 404


PROMO_BAD_INPUT = [
    ({"code": "A", "kind": "PERCENT", "value": 10}, "code"),
    ({"code": "OK", "kind": "HALF", "value": 10}, "kind"),
    ({"code": "OK", "kind": "PERCENT", "value": 101}, "value"),
    ({"code": "OK", "kind": "FIXED", "value": 0}, "value"),
    ({"code": "OK", "kind": "PERCENT", "value": 5, "startsAt": "tomorrow"}, "startsAt"),
    ({"code": "OK", "kind": "PERCENT", "value": 5, "startsAt": "2025-01-02T00:00:00"}, "startsAt"),
    (
        {
            "code": "OK",
            "kind": "PERCENT",
            "value": 5,
            "startsAt": "2025-01-02T00:00:00Z",
            "endsAt": "2025-01-01T00:00:00Z",
        },
        "endsAt",
    ),
    ({"code": "OK", "kind": "PERCENT", "value": 5, "maxRedemptions": 0}, "maxRedemptions"),
    ({"code": "OK", "kind": "PERCENT", "value": 5, "redemptions": 3}, "redemptions"),
]


def test_bad_promo_input_is_a_400_naming_the_field(boss: Caller) -> None:
    for body, field in PROMO_BAD_INPUT:
        response = boss.post("/promo-codes", body)
        assert response.status_code == 400 and response.json["field"] == field, (body, response.body)
    assert boss.get("/promo-codes").json["items"] == []


def test_each_refusal_reason(client: Client, boss: Caller) -> None:
    item = product(boss, price_cents=1000, stock={"nyc": 50})
    now = datetime.now(UTC)
    promo(boss, "OFF", active=False)
    promo(boss, "SOON", startsAt=iso(now + timedelta(days=1)))
    promo(boss, "GONE", endsAt=iso(now - timedelta(seconds=1)))
    promo(boss, "BIG", minSubtotalCents=5000)
    promo(boss, "ONCE", maxPerCustomer=1)
    promo(boss, "TWO", maxRedemptions=2)

    def reason(code: str, quantity: int = 1, email: str = "guest@example.com") -> Any:
        response = guest(client).post("/orders", order_body([(item, quantity)], promoCode=code, email=email))
        return response.json.get("reason") if response.status_code == 422 else response.status_code

    assert reason("NOPE") == "unknown"
    assert reason("off") == "inactive"
    assert reason("SOON") == "not_started"
    assert reason("GONE") == "expired"
    assert reason("BIG", 4) == "minimum_not_met"
    assert reason("BIG", 5) == 201
    assert reason("ONCE", email="a@example.com") == 201
    assert reason("ONCE", email="A@Example.com") == "per_customer_limit"  # e-mails compare case-insensitively
    assert reason("ONCE", email="b@example.com") == 201
    assert reason("TWO") == 201 and reason("TWO") == 201
    assert reason("TWO") == "exhausted"
    body = guest(client).post("/orders", order_body([(item, 1)], promoCode="TWO")).json
    assert body["error"] == "PromoCodeInvalid" and body["code"] == "TWO" and "used up" in body["message"]


def test_discount_in_quote_and_order(client: Client, boss: Caller) -> None:
    item = product(boss, price_cents=1999, stock={"nyc": 5})
    promo(boss, "WELCOME10", maxPerCustomer=1)
    quote_body = {"items": [{"productId": item, "quantity": 1}], "zip": "10001", "deliveryMethod": "SELF_SERVICE"}
    quoted = guest(client).post("/checkout/quote", {**quote_body, "promoCode": "welcome10"}).json
    assert quoted["discountCents"] == 199 and quoted["promoCode"] == "WELCOME10"
    assert quoted["totalCents"] == 1999 - 199 + quoted["deliveryCents"]
    placed = guest(client).post("/orders", order_body([(item, 1)], promoCode="welcome10")).json
    assert placed["discountCents"] == 199
    assert boss.get("/promo-codes/WELCOME10").json["redemptions"] == 1
    assert boss.delete("/promo-codes/WELCOME10").status_code == 409  # redeemed: deactivate instead


def test_signed_in_customer_per_customer_limit_shows_in_the_quote(
    client: Client, cognito: Cognito, boss: Caller
) -> None:
    item = product(boss, price_cents=1000, stock={"nyc": 5})
    promo(boss, "ONCE", maxPerCustomer=1)
    ada = customer(client, cognito)
    assert ada.post("/orders", order_body([(item, 1)], promoCode="ONCE", email=None)).status_code == 201
    quote_body = {"items": [{"productId": item, "quantity": 1}], "zip": "10001", "deliveryMethod": "CURBSIDE"}
    refused = ada.post("/checkout/quote", {**quote_body, "promoCode": "ONCE"})
    assert refused.status_code == 422 and refused.json["reason"] == "per_customer_limit"
    # The same person as a guest with the same address is the same customer.
    guest_try = guest(client).post("/orders", order_body([(item, 1)], promoCode="ONCE", email=ada.email))
    assert guest_try.status_code == 422 and guest_try.json["reason"] == "per_customer_limit"


def test_cancelling_returns_the_redemption(client: Client, boss: Caller) -> None:
    item = product(boss, price_cents=1000, stock={"nyc": 5})
    promo(boss, "ONE", maxRedemptions=1, maxPerCustomer=1)
    placed = guest(client).post("/orders", order_body([(item, 1)], promoCode="ONE")).json
    refused = guest(client).post("/orders", order_body([(item, 1)], promoCode="ONE", email="other@example.com"))
    assert refused.json["reason"] == "exhausted"
    cancel = guest(client).post(f"/orders/{placed['orderId']}/cancel", headers={"X-Order-Token": placed["orderToken"]})
    assert cancel.status_code == 200 and cancel.json["status"] == "CANCELLED"
    assert boss.get("/promo-codes/ONE").json["redemptions"] == 0
    # Both the code's counter and the customer's redemption are back.
    assert guest(client).post("/orders", order_body([(item, 1)], promoCode="ONE")).status_code == 201


def test_the_limit_is_enforced_by_the_transaction_not_the_read(client: Client, boss: Caller, monkeypatch: Any) -> None:
    """A checkout that read the code before another used it up is still refused at commit."""
    item = product(boss, price_cents=1000, stock={"nyc": 5})
    promo(boss, "LAST", maxRedemptions=1)
    from chalicelib.shop import promos

    stale = promos.load_terms("LAST")
    fresh = promos.load_terms

    def stale_unless_consistent(code: str, consistent: bool = False) -> Any:
        return fresh(code, consistent=True) if consistent else stale

    monkeypatch.setattr(promos, "load_terms", stale_unless_consistent)  # pricing reads the old counter
    assert guest(client).post("/orders", order_body([(item, 1)], promoCode="LAST")).status_code == 201
    second = guest(client).post("/orders", order_body([(item, 1)], promoCode="LAST", email="b@example.com"))
    assert second.status_code == 422 and second.json["reason"] == "exhausted"
    assert boss.get("/promo-codes/LAST").json["redemptions"] == 1
