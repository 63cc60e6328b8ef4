"""Quote and checkout through the Chalice test client against moto (issue 9 §2, §5, §6)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito
from tests.integration.shop_support import (
    ADDRESS,
    LA,
    MILWAUKEE,
    NEWARK,
    SAN_DIEGO,
    Caller,
    admin,
    customer,
    guest,
    order_body,
    product,
    stock_of,
    three_warehouses,
    warehouse,
)


@pytest.fixture
def boss(client: Client, cognito: Cognito) -> Caller:
    caller = admin(client, cognito)
    three_warehouses(caller)
    return caller


def quote(caller: Caller, items: list[tuple[str, int]], zip_code: str = NEWARK, **extra: Any) -> Any:
    body = {"items": [{"productId": p, "quantity": q} for p, q in items], "zip": zip_code, "deliveryMethod": "CURBSIDE"}
    return caller.post("/checkout/quote", {**body, **extra})


# --- quote -------------------------------------------------------------------------------------


def test_quote_prices_from_the_catalog_and_ships_from_the_nearest_warehouse(client: Client, boss: Caller) -> None:
    lamp = product(boss, price_cents=2499, stock={"nyc": 5, "chi": 5, "la": 5})
    response = quote(guest(client), [(lamp, 2)], zip_code=SAN_DIEGO)
    assert response.status_code == 200, response.body
    body = response.json
    assert body["lines"] == [
        {
            "productId": lamp,
            "productName": f"Product {lamp}",
            "quantity": 2,
            "unitPriceCents": 2499,
            "lineTotalCents": 4998,
            "warehouseId": "la",
            "warehouseName": "la depot",
        }
    ]
    assert body["subtotalCents"] == 4998 and body["discountCents"] == 0
    assert body["deliveryCents"] == 2900 and body["totalCents"] == 4998 + 2900
    eta = date.fromisoformat(body["estimatedDelivery"])
    assert timedelta(days=2) <= eta - date.today() <= timedelta(days=4)  # 3 days after the shop's today
    assert quote(guest(client), [(lamp, 1)], zip_code=MILWAUKEE).json["lines"][0]["warehouseId"] == "chi"
    assert quote(guest(client), [(lamp, 1)], zip_code=NEWARK).json["lines"][0]["warehouseId"] == "nyc"


def test_client_prices_are_never_used(client: Client, boss: Caller) -> None:
    lamp = product(boss, price_cents=2499, stock={"nyc": 5})
    body = {
        "items": [{"productId": lamp, "quantity": 1, "unitPriceCents": 1}],
        "zip": NEWARK,
        "deliveryMethod": "CURBSIDE",
    }
    response = guest(client).post("/checkout/quote", body)
    assert response.status_code == 400 and response.json["field"] == "items[0].unitPriceCents"


def test_whole_order_from_one_warehouse_beats_a_nearer_split(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 5, "chi": 5})
    b = product(boss, stock={"chi": 5})
    lines = quote(guest(client), [(a, 1), (b, 1)], zip_code=NEWARK).json["lines"]
    assert {line["warehouseId"] for line in lines} == {"chi"}


def test_split_by_line_when_no_warehouse_fills_the_order(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 5})
    b = product(boss, stock={"la": 5})
    body = quote(guest(client), [(a, 2), (b, 3)], zip_code=NEWARK).json
    assert {line["productId"]: line["warehouseId"] for line in body["lines"]} == {a: "nyc", b: "la"}
    assert body["splitShipment"] is True


def test_refusal_names_each_short_line_and_total_available(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 2, "la": 2})
    b = product(boss, stock={"nyc": 9})
    c = product(boss, stock={"chi": 1})
    response = quote(guest(client), [(a, 3), (b, 1), (c, 5)])
    assert response.status_code == 409
    assert response.json["error"] == "InsufficientStock"
    assert sorted(response.json["lines"], key=lambda line: line["productId"]) == sorted(
        [{"productId": a, "requested": 3, "available": 4}, {"productId": c, "requested": 5, "available": 1}],
        key=lambda line: line["productId"],
    )


def test_inactive_warehouses_do_not_serve(client: Client, boss: Caller) -> None:
    warehouse(boss, "closed", "07103", active=False)  # right next to the customer
    a = product(boss, stock={"closed": 10, "la": 1})
    assert quote(guest(client), [(a, 1)]).json["lines"][0]["warehouseId"] == "la"
    assert quote(guest(client), [(a, 2)]).status_code == 409


QUOTE_BAD_INPUT = [
    ({"zip": "00000"}, "zip"),
    ({"zip": "abc"}, "zip"),
    ({"deliveryMethod": "DRONE"}, "deliveryMethod"),
    ({"items": []}, "items"),
    ({"items": [{"productId": "x", "quantity": 0}]}, "items[0].quantity"),
    ({"items": [{"productId": "x", "quantity": 1.5}]}, "items[0].quantity"),
    ({"items": [{"quantity": 1}]}, "items[0].productId"),
    ({"items": "lamp"}, "items"),
    ({"cartId": "abc"}, "items"),
    ({"promoCode": "!"}, "promoCode"),
    ({"unexpected": 1}, "unexpected"),
]


def test_quote_rejects_bad_input_naming_the_field(client: Client, boss: Caller) -> None:
    for change, field in QUOTE_BAD_INPUT:  # one test (one emulator set-up) for every case
        body = {"items": [{"productId": "x", "quantity": 1}], "zip": NEWARK, "deliveryMethod": "CURBSIDE", **change}
        response = guest(client).post("/checkout/quote", body)
        assert response.status_code == 400, (change, response.body)
        assert response.json["error"] == "ValidationError" and response.json["field"] == field, (change, response.body)


def test_unknown_product_is_404(client: Client, boss: Caller) -> None:
    response = quote(guest(client), [("NO-SUCH-THING", 1)])
    assert response.status_code == 404 and response.json["productId"] == "NO-SUCH-THING"


# --- placing an order --------------------------------------------------------------------------


def test_guest_order_reserves_stock_in_one_transaction(client: Client, boss: Caller) -> None:
    a = product(boss, price_cents=1500, stock={"nyc": 5, "la": 5})
    response = guest(client).post("/orders", order_body([(a, 2)], paymentToken="tok_visa"))
    assert response.status_code == 201, response.body
    order = response.json
    assert order["status"] == "PLACED" and order["orderToken"] and len(order["orderToken"]) >= 40
    assert order["lines"][0]["warehouseId"] == "nyc" and order["totalCents"] == 3000 + 2900
    assert response.headers["Location"] == f"/orders/{order['orderId']}"
    assert stock_of(a)["nyc"] == (5, 2, 3) and stock_of(a)["la"] == (5, 0, 5)

    from chalicelib.shop.models import Order

    stored = Order.get(order["orderId"])
    assert stored.order_token_hash != order["orderToken"] and len(stored.order_token_hash) == 64
    assert stored.payment_token == "tok_visa" and stored.customer_id is None
    assert stored.email == "guest@example.com" and stored.shipping_address.zip_code == NEWARK
    assert stored.day_shard.startswith(stored.order_date + "#")
    assert [h.status for h in stored.status_history] == ["PLACED"]


def test_order_refused_for_short_stock_changes_nothing(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 1})
    b = product(boss, stock={"nyc": 5})
    response = guest(client).post("/orders", order_body([(a, 2), (b, 1)]))
    assert response.status_code == 409
    assert response.json["lines"] == [{"productId": a, "requested": 2, "available": 1}]
    assert stock_of(a)["nyc"] == (1, 0, 1) and stock_of(b)["nyc"] == (5, 0, 5)


def test_order_needs_an_email_from_a_guest_but_not_from_a_customer(
    client: Client, cognito: Cognito, boss: Caller
) -> None:
    a = product(boss, stock={"nyc": 5})
    no_email = order_body([(a, 1)], email=None)
    response = guest(client).post("/orders", no_email)
    assert response.status_code == 400 and response.json["field"] == "email"
    shopper = customer(client, cognito, email="Shopper@Example.com")
    response = shopper.post("/orders", no_email)
    assert response.status_code == 201, response.body
    assert response.json["email"] == "shopper@example.com"


ADDRESS_BAD_INPUT = [
    ({**ADDRESS, "zip": "99999"}, "shippingAddress.zip"),
    ({**ADDRESS, "country": "FR"}, "shippingAddress.country"),
    ({k: v for k, v in ADDRESS.items() if k != "line1"}, "shippingAddress.line1"),
    ({**ADDRESS, "phone": "1"}, "shippingAddress.phone"),
    (None, "shippingAddress"),
]


def test_order_address_is_validated(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 5})
    for address, field in ADDRESS_BAD_INPUT:
        body = order_body([(a, 1)])
        body["shippingAddress"] = address
        if address is None:
            del body["shippingAddress"]
        response = guest(client).post("/orders", body)
        assert response.status_code == 400 and response.json["field"] == field, (address, response.body)
    assert stock_of(a)["nyc"] == (5, 0, 5)


def test_card_numbers_are_refused(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 5})
    response = guest(client).post("/orders", order_body([(a, 1)], paymentToken="4242424242424242"))
    assert response.status_code == 400 and response.json["field"] == "paymentToken"
    assert "4242" not in response.json["message"]


def test_an_unknown_payment_token_is_refused_before_any_stock_is_reserved(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 5})
    response = guest(client).post("/orders", order_body([(a, 1)], paymentToken="tok_visaa"))
    assert response.status_code == 400 and response.json["field"] == "paymentToken", response.body
    assert stock_of(a)["nyc"] == (5, 0, 5)
    accepted = guest(client).post("/orders", order_body([(a, 1)], paymentToken="tok_chargeDeclined"))
    assert accepted.status_code == 201, accepted.body  # a test token: its outcome is the workflow's


def test_idempotency_key_replays_the_original_and_refuses_another_body(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 5})
    key = {"Idempotency-Key": "checkout-1"}
    first = guest(client).post("/orders", order_body([(a, 1)]), headers=key)
    again = guest(client).post("/orders", order_body([(a, 1)]), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json  # same order id, same token
    assert stock_of(a)["nyc"] == (5, 1, 4)
    other = guest(client).post("/orders", order_body([(a, 2)]), headers=key)
    assert other.status_code == 422 and other.json["error"] == "IdempotencyKeyReused"


def test_cart_checkout_deletes_the_cart_in_the_same_transaction(client: Client, boss: Caller) -> None:
    a = product(boss, price_cents=700, stock={"nyc": 5})
    shopper = guest(client)
    cart = shopper.post("/carts", {"items": [{"productId": a, "quantity": 3}]}).json
    body = order_body([], cartId=cart["cartId"])
    del body["items"]
    key = {"Idempotency-Key": "cart-checkout"}
    placed = shopper.post("/orders", body, headers=key)
    assert placed.status_code == 201, placed.body
    assert placed.json["subtotalCents"] == 2100
    assert shopper.get(f"/carts/{cart['cartId']}").status_code == 404
    # A retry after success gets the original answer although the cart is gone.
    assert shopper.post("/orders", body, headers=key).json == placed.json
    assert stock_of(a)["nyc"] == (5, 3, 2)


def test_place_order_seed_003_contract(client: Client, boss: Caller) -> None:
    a = product(boss, price_cents=999, stock={"la": 3})
    response = guest(client).post("/place-order", {"productId": a, "quantity": 2, "customerEmail": "Buyer@example.com"})
    assert response.status_code == 201, response.body
    body = response.json
    assert body["status"] == "PLACED" and body["orderId"] and body["orderToken"]
    assert body["deliveryMethod"] == "SELF_SERVICE" and body["lines"][0]["warehouseId"] == "la"
    assert body["email"] == "buyer@example.com"
    assert stock_of(a)["la"] == (3, 2, 1)
    short = guest(client).post("/place-order", {"productId": a, "quantity": 2, "customerEmail": "b@example.com"})
    assert short.status_code == 409
    bad = guest(client).post("/place-order", {"productId": a, "quantity": 1, "customerEmail": "nope"})
    assert bad.status_code == 400 and bad.json["field"] == "customerEmail"


def test_distance_decides_between_the_coasts(client: Client, boss: Caller) -> None:
    a = product(boss, stock={"nyc": 5, "la": 5})
    body = order_body([(a, 1)], zip=LA)
    body["shippingAddress"] = {**ADDRESS, "zip": LA}
    assert guest(client).post("/orders", body).json["lines"][0]["warehouseId"] == "la"


# --- contention: DynamoDB's TransactionConflict, and stock taken between read and commit ---------


def _conflicts(monkeypatch: pytest.MonkeyPatch, times: int | None) -> list[int]:
    """Make DynamoDB cancel the next `times` transactions (None: all) with TransactionConflict on
    their first item, as AWS does when another transaction holds it; no backoff sleeps."""
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.models import DynamoDBBackend

    from chalicelib.core import db

    calls = [0]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        calls[0] += 1
        if times is None or calls[0] <= times:
            reasons = [("TransactionConflict", "Transaction is ongoing for the item", None)]
            raise TransactionCanceledException(reasons + [(None, None, None)] * (len(transact_items) - 1))
        original(self, transact_items)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)
    return calls


def test_transaction_conflicts_are_retried(client: Client, boss: Caller, monkeypatch: pytest.MonkeyPatch) -> None:
    a = product(boss, stock={"nyc": 5})
    calls = _conflicts(monkeypatch, times=3)
    response = guest(client).post("/orders", order_body([(a, 1)]))
    assert response.status_code == 201, response.body
    assert calls[0] == 4 and stock_of(a)["nyc"] == (5, 1, 4)


def test_lasting_contention_is_a_429_with_retry_after_and_writes_nothing(
    client: Client, boss: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = product(boss, stock={"nyc": 5})
    _conflicts(monkeypatch, times=None)
    response = guest(client).post("/orders", order_body([(a, 1)]))
    assert response.status_code == 429, response.body
    assert response.json["error"] == "Busy" and response.headers["Retry-After"] == "1"
    assert stock_of(a)["nyc"] == (5, 0, 5)


def test_stock_taken_between_read_and_commit_is_replanned(
    client: Client, boss: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another buyer takes the nearest warehouse's last unit after this checkout read the stock:
    the transaction's guard refuses, and checkout plans again from a consistent read."""
    from chalicelib.inventory.models import Stock
    from chalicelib.shop import checkout

    a = product(boss, stock={"nyc": 1, "la": 5})
    real = checkout.read_shelf
    reads: list[bool] = []

    def racing_read(product_ids: Any, *, consistent: bool = False) -> Any:
        shelf = real(product_ids, consistent=consistent)
        reads.append(consistent)
        if len(reads) == 1:  # someone else buys nyc's last unit right after our first read
            Stock(a, "nyc").update(actions=[Stock.available.set(0), Stock.reserved.set(1)])
        return shelf

    monkeypatch.setattr(checkout, "read_shelf", racing_read)
    response = guest(client).post("/orders", order_body([(a, 1)]))
    assert response.status_code == 201, response.body
    assert response.json["lines"][0]["warehouseId"] == "la"
    assert reads == [False, True]
    assert stock_of(a) == {"main": (0, 0, 0), "nyc": (1, 1, 0), "la": (5, 1, 4)}


def test_dynamodb_requests_per_order_do_not_grow_with_lines(client: Client, boss: Caller) -> None:
    from bench.aws_calls import count_aws_calls

    ids = [product(boss, stock={"nyc": 50, "la": 50}) for _ in range(10)]
    counts = {}
    for lines in (1, 10):
        body = order_body([(p, 1) for p in ids[:lines]], promoCode=None)
        assert guest(client).post("/orders", body).status_code == 201  # warm (DescribeTable)
        with count_aws_calls() as calls:
            assert guest(client).post("/orders", body, headers={"Idempotency-Key": f"k{lines}"}).status_code == 201
        counts[lines] = {k: v for k, v in calls.items() if k.startswith("dynamodb.")}
    assert counts[1] == counts[10], counts
    assert counts[1]["dynamodb.TransactWriteItems"] == 1 and sum(counts[1].values()) <= 7
