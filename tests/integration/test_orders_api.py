"""Reading, cancelling and listing orders; who may see what (issue 9 §3, §6, §8)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito
from tests.integration.shop_support import Caller, admin, customer, guest, order_body, product, stock_of, warehouse


@pytest.fixture
def boss(client: Client, cognito: Cognito) -> Caller:
    caller = admin(client, cognito)
    warehouse(caller, "nyc", "10001")
    warehouse(caller, "la", "90021")
    return caller


def place(caller: Caller, items: list[tuple[str, int]], **extra: Any) -> dict[str, Any]:
    response = caller.post("/orders", order_body(items, **extra))
    assert response.status_code == 201, response.body
    return dict(response.json)


def test_who_may_read_an_order(client: Client, cognito: Cognito, boss: Caller) -> None:
    item = product(boss, stock={"nyc": 9})
    ada = customer(client, cognito)
    mine = place(ada, [(item, 1)], email=None)
    theirs = place(guest(client), [(item, 1)])
    path, guest_path = f"/orders/{mine['orderId']}", f"/orders/{theirs['orderId']}"

    assert ada.get(path).status_code == 200 and ada.get(path).json["signedIn"] is True
    assert boss.get(path).status_code == 200
    # Another customer, a guest, or a wrong token: exactly like an order that does not exist.
    assert customer(client, cognito).get(path).status_code == 404
    assert guest(client).get(path).status_code == 404
    assert guest(client).get(path, headers={"X-Order-Token": theirs["orderToken"]}).status_code == 404
    assert ada.get(guest_path).status_code == 404
    assert guest(client).get(f"/orders/{'0' * 36}").status_code == 404

    by_header = guest(client).get(guest_path, headers={"X-Order-Token": theirs["orderToken"]})
    assert by_header.status_code == 200
    by_link = guest(client).get(f"{guest_path}?token={theirs['orderToken']}")
    assert by_link.status_code == 200 and by_link.json == by_header.json
    order = by_link.json
    assert order["status"] == "PLACED" and order["lines"][0]["warehouseId"] == "nyc"
    assert [h["status"] for h in order["statusHistory"]] == ["PLACED"]
    assert "orderToken" not in order and order["cancellable"] is True


def test_cancel_releases_the_reservation_and_is_harmless_twice(client: Client, cognito: Cognito, boss: Caller) -> None:
    item = product(boss, stock={"nyc": 5})
    other = product(boss, stock={"la": 5})
    placed = place(guest(client), [(item, 2), (other, 1)])
    assert stock_of(item)["nyc"] == (5, 2, 3) and stock_of(other)["la"] == (5, 1, 4)
    path = f"/orders/{placed['orderId']}/cancel"

    assert guest(client).post(path).status_code == 404  # no token
    assert customer(client, cognito).post(path).status_code == 404  # someone else
    token = {"X-Order-Token": placed["orderToken"]}
    cancelled = guest(client).post(path, headers=token)
    assert cancelled.status_code == 200, cancelled.body
    assert cancelled.json["status"] == "CANCELLED" and cancelled.json["cancellable"] is False
    assert [h["status"] for h in cancelled.json["statusHistory"]] == ["PLACED", "CANCELLED"]
    assert stock_of(item)["nyc"] == (5, 0, 5) and stock_of(other)["la"] == (5, 0, 5)

    again = guest(client).post(path, headers=token)
    assert again.status_code == 200 and again.json["status"] == "CANCELLED"
    assert len(again.json["statusHistory"]) == 2
    assert stock_of(item)["nyc"] == (5, 0, 5)  # released once

    from chalicelib.inventory.models import Movement

    reasons = [m.reason for m in Movement.query(f"{item}#nyc")]
    assert reasons.count("order placed") == 1 and reasons.count("order cancelled") == 1


def test_the_state_machine_refuses_moves_it_does_not_know(client: Client, cognito: Cognito, boss: Caller) -> None:
    from chalicelib.core.errors import InvalidTransition
    from chalicelib.orders.transitions import apply_transition

    item = product(boss, stock={"nyc": 5})
    ada = customer(client, cognito)
    placed = place(ada, [(item, 1)], email=None)
    apply_transition(placed["orderId"], "PAID", actor="system:test")
    with pytest.raises(InvalidTransition, match="cannot become"):
        apply_transition(placed["orderId"], "DELIVERED", actor="system:test")
    assert ada.get(f"/orders/{placed['orderId']}").json["status"] == "PAID"
    assert stock_of(item)["nyc"] == (5, 1, 4)


def test_a_cancel_is_guarded_on_the_status_it_read(client: Client, boss: Caller) -> None:
    """A cancel that read PLACED is refused if the order moved meanwhile (its stock effects depend
    on the status it read): it reads again and decides again, never releasing twice."""
    from chalicelib.core.db import Cancelled, transact, utcnow
    from chalicelib.orders import transitions
    from chalicelib.orders.cancellation import give_back_reservations
    from chalicelib.shop.models import Order

    item = product(boss, stock={"nyc": 5})
    placed = place(guest(client), [(item, 1)])
    read_once = Order.get(placed["orderId"])
    transitions.apply_transition(placed["orderId"], "PAYMENT_FAILED", actor="system:payment")

    def late_cancel(tx: Any) -> None:
        transitions.add_to_transaction(
            tx,
            read_once.order_id,
            "CANCELLED",
            actor="system:late",
            at=utcnow(),
            extra_condition=Order.status == read_once.status,
        )
        give_back_reservations(tx, read_once, now=utcnow(), actor="system:late")

    with pytest.raises(Cancelled):
        transact(late_cancel)
    assert Order.get(placed["orderId"]).status == "PAYMENT_FAILED"
    assert stock_of(item)["nyc"] == (5, 1, 4)


def test_purchase_history_newest_first_paginated(client: Client, cognito: Cognito, boss: Caller) -> None:
    item = product(boss, stock={"nyc": 20})
    ada = customer(client, cognito)
    ids = [place(ada, [(item, 1)], email=None)["orderId"] for _ in range(3)]
    place(guest(client), [(item, 1)], email=ada.email)  # a guest order with the same e-mail is not theirs

    first = ada.get("/me/orders?limit=2").json
    assert [o["orderId"] for o in first["items"]] == [ids[2], ids[1]] and first["nextCursor"]
    second = ada.get(f"/me/orders?limit=2&cursor={first['nextCursor']}").json
    assert [o["orderId"] for o in second["items"]] == [ids[0]]
    assert customer(client, cognito).get("/me/orders").json["items"] == []
    assert customer(client, cognito).get(f"/me/orders?cursor={first['nextCursor']}").status_code == 400
    assert ada.get("/me/orders?cursor=garbage").status_code == 400


def test_admin_lists_a_day_across_shards_paginated_and_by_status(
    client: Client, cognito: Cognito, boss: Caller
) -> None:
    item = product(boss, stock={"nyc": 50})
    placed = [place(guest(client), [(item, 1)])["orderId"] for _ in range(7)]
    staff = boss.post("/inventory-order", {"productId": item, "quantity": 1, "warehouseId": "nyc"})
    assert staff.status_code == 201
    cancelled = placed[3]
    guest_token = None  # cancel as admin: no token needed
    assert boss.post(f"/orders/{cancelled}/cancel").status_code == 200 and guest_token is None

    from chalicelib.shop.models import DAY_SHARDS, Order

    shards = {Order.get(order_id).day_shard for order_id in placed}
    assert len(shards) > 1 and all(s.split("#")[1] in {str(n) for n in range(DAY_SHARDS)} for s in shards)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "/orders?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = boss.get(query)
        assert page.status_code == 200, page.body
        seen += [o["orderId"] for o in page.json["items"]]
        pages += 1
        cursor = page.json["nextCursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted([*placed, staff.json["orderId"]]) and len(seen) == len(set(seen)) == 8
    assert pages == 3
    created = [Order.get(o).created_at for o in seen]
    assert created == sorted(created, reverse=True)  # newest first across shards

    only = boss.get("/orders?status=CANCELLED").json["items"]
    assert [o["orderId"] for o in only] == [cancelled]
    assert boss.get("/orders?day=2001-01-01").json == {"day": "2001-01-01", "items": [], "nextCursor": None}
    assert boss.get("/orders?day=yesterday").json["field"] == "day"
    assert boss.get("/orders?status=LOST").json["field"] == "status"
    assert boss.get("/orders?cursor=e30").json["field"] == "cursor"
    assert customer(client, cognito).get("/orders").status_code == 403


def test_admin_finds_every_order_of_an_email_address(client: Client, cognito: Cognito, boss: Caller) -> None:
    from urllib.parse import quote

    from chalicelib.shop.models import Order

    item = product(boss, stock={"nyc": 50})
    ann = [place(guest(client), [(item, 1)], email="Ann.Buyer@Example.com")["orderId"] for _ in range(4)]
    place(guest(client), [(item, 1)], email="bob@example.com")
    signed_in = customer(client, cognito, email="ann.buyer@example.com")
    ann.append(place(signed_in, [(item, 1)], email=None)["orderId"])
    assert boss.post("/inventory-order", {"productId": item, "quantity": 1, "warehouseId": "nyc"}).status_code == 201
    assert boss.post(f"/orders/{ann[1]}/cancel").status_code == 200

    def pages(query: str) -> tuple[list[str], int]:
        seen: list[str] = []
        cursor, count = None, 0
        while True:
            page = boss.get(query + (f"&cursor={cursor}" if cursor else ""))
            assert page.status_code == 200, page.body
            assert page.json["email"] == "ann.buyer@example.com" and "day" not in page.json
            seen += [o["orderId"] for o in page.json["items"]]
            count += 1
            cursor = page.json["nextCursor"]
            if not cursor:
                return seen, count

    seen, count = pages(f"/orders?limit=2&email={quote('ANN.BUYER@example.COM')}")
    assert sorted(seen) == sorted(ann) and len(seen) == len(set(seen)) == 5 and count == 3
    created = [Order.get(o).created_at for o in seen]
    assert created == sorted(created, reverse=True)
    cancelled, _ = pages(f"/orders?limit=2&status=CANCELLED&email={quote('ann.buyer@example.com')}")
    assert cancelled == [ann[1]]

    # The index holds keys only: a status change never writes to it (one index write per order).
    index = next(i for i in Order.describe_table()["GlobalSecondaryIndexes"] if i["IndexName"] == "by_email")
    assert index["Projection"]["ProjectionType"] == "KEYS_ONLY"

    assert boss.get("/orders?email=nobody%40example.com").json == {
        "email": "nobody@example.com",
        "items": [],
        "nextCursor": None,
    }
    assert boss.get("/orders?email=not-an-address").json["field"] == "email"
    assert boss.get(f"/orders?day=2026-01-01&email={quote('ann.buyer@example.com')}").json["field"] == "day"
    anns = boss.get(f"/orders?limit=1&email={quote('ann.buyer@example.com')}").json["nextCursor"]
    assert anns
    other = boss.get(f"/orders?email={quote('bob@example.com')}&cursor={anns}")  # another address's cursor
    assert other.status_code == 400 and other.json["field"] == "cursor"
    assert customer(client, cognito).get(f"/orders?email={quote('ann.buyer@example.com')}").status_code == 403


def test_orders_carry_the_business_date_of_the_shop(
    client: Client, boss: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from chalicelib.core import config
    from chalicelib.shop.models import Order

    item = product(boss, stock={"nyc": 5})
    settings = config.get_settings()
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11: never the same day
        # (the Chalice test client re-applies the stage's SHOP_TIMEZONE, so patch the settings)
        monkeypatch.setattr(config, "get_settings", lambda zone=zone: dataclasses.replace(settings, shop_timezone=zone))
        order = place(guest(client), [(item, 1)])
        stored = Order.get(order["orderId"])
        expected = stored.created_at.astimezone(ZoneInfo(zone)).date().isoformat()
        assert stored.order_date == order["businessDate"] == expected
        assert stored.day_shard.startswith(expected + "#")


def test_staff_inventory_orders_keep_working(client: Client, boss: Caller) -> None:
    item = product(boss, stock={"main": 4})
    response = boss.post("/inventory-order", {"productId": item, "quantity": 3})
    assert response.status_code == 201 and response.json["status"] == "FULFILLED"
    assert stock_of(item)["main"] == (1, 0, 1)
    short = boss.post("/inventory-order", {"productId": item, "quantity": 2})
    assert short.status_code == 409 and short.json["available"] == 1
    shown = boss.get(f"/orders/{response.json['orderId']}").json
    assert shown["kind"] == "inventory" and shown["status"] == "FULFILLED"
