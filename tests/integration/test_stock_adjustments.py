"""`POST /products/{id}/stock/{warehouseId}/adjustments`: relative stock changes (a delivery, breakage).

A read-then-set from the console loses one of two deliveries booked at once; an adjustment is applied
to whatever the line holds when it commits, guarded so a removal never takes reserved units, and
made safe to retry with an Idempotency-Key.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito
from tests.integration.shop_support import Caller, admin, customer, guest, product, stock_of, warehouse


@pytest.fixture
def boss(client: Client, cognito: Cognito) -> Caller:
    return admin(client, cognito)


def path(product_id: str, warehouse_id: str = "main") -> str:
    return f"/products/{product_id}/stock/{warehouse_id}/adjustments"


def movements(boss: Caller, product_id: str) -> list[dict[str, Any]]:
    response = boss.get(f"/products/{product_id}/movements?limit=100")
    assert response.status_code == 200, response.body
    return list(response.json["items"])


def reserve(product_id: str, warehouse_id: str, units: int) -> None:
    """Hold `units` for open orders, as checkout does."""
    from chalicelib.core.db import transact
    from chalicelib.inventory.stock import change_stock

    transact(
        lambda tx: change_stock(tx, product_id, warehouse_id, reserved_delta=units, reason="order placed", actor="test")
    )


def test_units_are_added_and_removed_each_as_a_movement(boss: Caller) -> None:
    product_id = product(boss, stock={"main": 10})

    added = boss.post(path(product_id), {"delta": 5, "reason": "delivery received"})
    assert added.status_code == 200, added.body
    assert added.json["delta"] == 5 and added.json["reason"] == "delivery received"
    assert (added.json["onHand"], added.json["reserved"], added.json["available"]) == (15, 0, 15)
    assert added.json["productId"] == product_id and added.json["warehouseId"] == "main"

    removed = boss.post(path(product_id), {"delta": -3})
    assert removed.status_code == 200, removed.body
    assert removed.json["onHand"] == 12 and removed.json["reason"] == "units removed"
    assert stock_of(product_id)["main"] == (12, 0, 12)

    ledger = movements(boss, product_id)
    assert [(m["onHandDelta"], m["reason"]) for m in ledger[:2]] == [(-3, "units removed"), (5, "delivery received")]
    assert ledger[1]["actor"] == "user:admin@example.com"
    assert {removed.json["movementId"], added.json["movementId"]} <= {m["movementId"] for m in ledger}


def test_a_removal_takes_only_units_that_are_not_reserved(boss: Caller) -> None:
    product_id = product(boss, stock={"main": 10})
    reserve(product_id, "main", 4)

    refused = boss.post(path(product_id), {"delta": -7, "reason": "damaged"})
    assert refused.status_code == 409, refused.body
    assert refused.json["error"] == "InsufficientStock" and refused.json["available"] == 6
    assert "reserved" in refused.json["message"]
    assert stock_of(product_id)["main"] == (10, 4, 6)

    taken = boss.post(path(product_id), {"delta": -6, "reason": "damaged"})
    assert taken.status_code == 200, taken.body
    assert stock_of(product_id)["main"] == (4, 4, 0)
    assert boss.post(path(product_id), {"delta": -1}).status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delta": 0}, "delta"),
        ({"delta": "5"}, "delta"),
        ({"delta": 1.5}, "delta"),
        ({"delta": None}, "delta"),
        ({"delta": True}, "delta"),
        ({"delta": 10**10}, "delta"),
        ({}, "delta"),
        ({"delta": 1, "onHand": 3}, "onHand"),
        ({"delta": 1, "reason": "line\nbreak"}, "reason"),
        ({"delta": 1, "reason": ""}, "reason"),
    ],
)
def test_bad_adjustments_are_400_naming_the_field(boss: Caller, body: dict[str, Any], field: str) -> None:
    product_id = product(boss, stock={"main": 10})
    response = boss.post(path(product_id), body)
    assert response.status_code == 400, response.body
    assert response.json["error"] == "ValidationError" and response.json["field"] == field
    assert stock_of(product_id)["main"] == (10, 0, 10)


def test_no_line_unknown_product_or_bad_ids_are_refused_in_words(boss: Caller) -> None:
    product_id = product(boss, stock={"main": 1})
    warehouse(boss, "nyc", "10001")

    no_line = boss.post(path(product_id, "nyc"), {"delta": 5})
    assert no_line.status_code == 404 and "set a count first" in no_line.json["message"]
    assert "nyc" not in stock_of(product_id)
    assert boss.post(path("P-nothing-here"), {"delta": 5}).status_code == 404
    assert boss.post(path(product_id, "nowhere"), {"delta": 5}).status_code == 404
    bad = boss.post(path("abc%0A"), {"delta": 5})
    assert bad.status_code == 400 and bad.json["field"] == "productId"


def test_only_admins_adjust(client: Client, cognito: Cognito, boss: Caller) -> None:
    product_id = product(boss, stock={"main": 3})
    assert guest(client).post(path(product_id), {"delta": 5}).status_code == 401
    assert customer(client, cognito).post(path(product_id), {"delta": 5}).status_code == 403
    assert stock_of(product_id)["main"] == (3, 0, 3)


def test_a_retried_adjustment_is_applied_once(boss: Caller) -> None:
    product_id = product(boss, stock={"main": 10})
    key = {"Idempotency-Key": "delivery-7781"}

    first = boss.post(path(product_id), {"delta": 5, "reason": "delivery 7781"}, headers=key)
    assert first.status_code == 200 and first.json["onHand"] == 15 and "replayed" not in first.json
    again = boss.post(path(product_id), {"delta": 5, "reason": "delivery 7781"}, headers=key)
    assert again.status_code == 200, again.body
    assert again.json["replayed"] is True and again.json["delta"] == 5 and again.json["onHand"] == 15
    assert stock_of(product_id)["main"] == (15, 0, 15)
    assert [m["onHandDelta"] for m in movements(boss, product_id)].count(5) == 1

    other = boss.post(path(product_id), {"delta": 6, "reason": "delivery 7781"}, headers=key)
    assert other.status_code == 422 and other.json["error"] == "IdempotencyKeyReused"
    fresh = boss.post(
        path(product_id), {"delta": 5, "reason": "delivery 7781"}, headers={"Idempotency-Key": "delivery-7782"}
    )
    assert fresh.status_code == 200 and fresh.json["onHand"] == 20


@pytest.mark.usefixtures("serialized")
def test_concurrent_adjustments_all_count(boss: Caller) -> None:
    """24 deliveries of one unit and 12 removals of one, all at once: every one counts (a
    read-then-set would lose the ones that read the same count)."""
    from chalicelib.inventory.stock import adjust_line

    product_id = product(boss, stock={"main": 20})
    deltas = [1] * 24 + [-1] * 12
    barrier = threading.Barrier(len(deltas))

    def apply(delta: int) -> int:
        barrier.wait()
        result = adjust_line(product_id, "main", {"delta": delta}, actor="user:test", idempotency_key=None)
        return int(result["delta"])

    with ThreadPoolExecutor(len(deltas)) as pool:
        applied = list(pool.map(apply, deltas))
    assert sorted(applied) == sorted(deltas)
    assert stock_of(product_id)["main"] == (32, 0, 32)
    ledger = [m for m in movements(boss, product_id) if m["reason"] in ("units added", "units removed")]
    assert sum(m["onHandDelta"] for m in ledger) == 12 and len(ledger) == 36
