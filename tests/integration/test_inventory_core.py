"""The inventory core, hardened (issue 7 §1, §3, §4; issue 9's inventory parts): stock lines,
the ledger's lifetime and pages, null semantics, public and admin views, search and read cost,
guarded deletes, racing updates, and reconciliation from a running ledger total.

Most tests share one emulated account (`shared_stack`) and use product ids of their own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito


@pytest.fixture
def client(shared_stack: tuple[Client, Cognito]) -> Client:
    return shared_stack[0]


@pytest.fixture
def cognito(shared_stack: tuple[Client, Cognito]) -> Cognito:
    return shared_stack[1]


def call(client: Client, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = body if isinstance(body, str) or body is None else json.dumps(body)
    response = client.http.request(method, path, headers=headers, body=payload)
    response.data = json.loads(response.body) if response.body else None
    return response


def admin(cognito: Cognito) -> str:
    return cognito.token(groups=["admin"])


def new_product(client: Client, cognito: Cognito, quantity: int = 10, threshold: int = 2, **extra: Any) -> str:
    product_id = extra.pop("productId", f"T-{uuid.uuid4().hex[:10]}")
    body = {"productId": product_id, "productName": f"Thing {product_id}", "quantity": quantity, "threshold": threshold}
    response = call(client, "POST", "/products", admin(cognito), {**body, **extra})
    assert response.status_code == 201, response.data
    return product_id


def warehouse(warehouse_id: str) -> str:
    from chalicelib.core.db import utcnow
    from chalicelib.inventory.models import Warehouse

    Warehouse(warehouse_id, name=f"Depot {warehouse_id}", created_at=utcnow()).save()
    return warehouse_id


def ledger_sum(product_id: str, warehouse_id: str = "main") -> int:
    """The sum of the line's movements in the product's current lifetime."""
    from chalicelib.inventory.models import Movement, Product

    born = Product.get(product_id).created_at
    return sum(int(m.on_hand_delta) for m in Movement.query(f"{product_id}#{warehouse_id}") if m.created_at >= born)


def order(product_id: str, quantity: int) -> None:
    """An inventory order placed by someone else, straight through the service."""
    from chalicelib.shop import staff_orders

    staff_orders.place_inventory_order(
        {"productId": product_id, "quantity": quantity}, actor="user:other@example.com", idempotency_key=None
    )


def line(product_id: str, warehouse_id: str = "main") -> Any:
    from chalicelib.inventory.models import Stock

    return Stock.get(product_id, warehouse_id, consistent_read=True)


# --- stock lines: PUT /products/{id}/stock/{warehouseId} --------------------------------------


def test_setting_a_stock_line_creates_then_counts_with_movements(client: Client, cognito: Cognito) -> None:
    product_id = new_product(client, cognito, quantity=10, threshold=3)
    west = warehouse(f"w-{uuid.uuid4().hex[:6]}")
    path = f"/products/{product_id}/stock/{west}"

    created = call(client, "PUT", path, admin(cognito), {"onHand": 7, "reason": "delivery 4711"})
    assert created.status_code == 201, created.data
    assert created.headers["Location"] == path
    assert created.data == {
        "productId": product_id,
        "warehouseId": west,
        "onHand": 7,
        "reserved": 0,
        "available": 7,
        "threshold": 3,  # the product's default
    }
    counted = call(client, "PUT", path, admin(cognito), {"onHand": 4, "threshold": 5})
    assert counted.status_code == 200 and counted.data["onHand"] == 4 and counted.data["threshold"] == 5

    product = call(client, "GET", f"/products/{product_id}", admin(cognito)).data
    assert {s["warehouseId"]: s["onHand"] for s in product["stock"]} == {"main": 10, west: 4}
    assert product["quantity"] == 14
    movements = call(client, "GET", f"/products/{product_id}/movements", admin(cognito)).data["items"]
    mine = [(m["reason"], m["onHandDelta"]) for m in movements if m["warehouseId"] == west]
    assert mine == [("stock count", -3), ("delivery 4711", 7)]
    stored = line(product_id, west)
    assert int(stored.ledger_on_hand) == int(stored.on_hand) == 4  # the running total moved with it


def test_a_count_below_what_is_reserved_is_409(client: Client, cognito: Cognito) -> None:
    from chalicelib.core.db import transact
    from chalicelib.inventory.stock import change_stock

    product_id = new_product(client, cognito, quantity=10)
    transact(lambda tx: change_stock(tx, product_id, "main", reserved_delta=6, reason="order placed", actor="t"))
    refused = call(client, "PUT", f"/products/{product_id}/stock/main", admin(cognito), {"onHand": 5})
    assert refused.status_code == 409 and refused.data["error"] == "Conflict" and refused.data["reserved"] == 6
    accepted = call(client, "PUT", f"/products/{product_id}/stock/main", admin(cognito), {"onHand": 6})
    assert accepted.status_code == 200 and accepted.data["available"] == 0 and accepted.data["reserved"] == 6


def test_unknown_product_or_warehouse_is_404(client: Client, cognito: Cognito) -> None:
    product_id = new_product(client, cognito)
    missing_product = call(client, "PUT", "/products/NOPE-1/stock/main", admin(cognito), {"onHand": 1})
    assert missing_product.status_code == 404 and missing_product.data["productId"] == "NOPE-1"
    missing_warehouse = call(client, "PUT", f"/products/{product_id}/stock/atlantis", admin(cognito), {"onHand": 1})
    assert missing_warehouse.status_code == 404 and missing_warehouse.data["warehouseId"] == "atlantis"
    from chalicelib.inventory.models import Stock

    assert [s.warehouse_id for s in Stock.query(product_id)] == ["main"]  # nothing half-made


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "onHand"),
        ({"onHand": None}, "onHand"),
        ({"onHand": -1}, "onHand"),
        ({"onHand": 1, "threshold": None}, "threshold"),
        ({"onHand": 1, "reason": None}, "reason"),
        ({"onHand": 1, "reason": "a\nb"}, "reason"),
        ({"onHand": 1, "extra": 1}, "extra"),
    ],
)
def test_stock_line_bad_input_names_the_field(client: Client, cognito: Cognito, body: Any, field: str) -> None:
    response = call(client, "PUT", "/products/T-any/stock/main", admin(cognito), body)
    assert response.status_code == 400 and response.data["field"] == field, response.data


# --- the ledger ------------------------------------------------------------------------------------


def test_movements_of_an_unknown_product_are_404(client: Client, cognito: Cognito) -> None:
    response = call(client, "GET", "/products/NEVER-EXISTED/movements", admin(cognito))
    assert response.status_code == 404 and response.data["error"] == "NotFound"


def test_a_recreated_product_does_not_inherit_the_old_history(client: Client, cognito: Cognito) -> None:
    from chalicelib.inventory.models import Movement

    product_id = new_product(client, cognito, quantity=10)
    assert (
        call(client, "POST", "/inventory-order", admin(cognito), {"productId": product_id, "quantity": 2}).status_code
        == 201
    )
    assert call(client, "DELETE", f"/products/{product_id}", admin(cognito)).status_code == 204
    new_product(client, cognito, quantity=5, productId=product_id)

    history = call(client, "GET", f"/products/{product_id}/movements", admin(cognito)).data["items"]
    assert [(m["reason"], m["onHandDelta"]) for m in history] == [("opening stock", 5)]
    kept = sorted((m.reason, int(m.on_hand_delta)) for m in Movement.query(f"{product_id}#main"))
    assert kept == sorted(
        [("opening stock", 10), ("inventory order", -2), ("product deleted", -8), ("opening stock", 5)]
    )  # the old lifetime stays for audit


def test_limit_holds_across_warehouses_and_pages_merge_by_time(client: Client, cognito: Cognito) -> None:
    product_id = new_product(client, cognito, quantity=3)
    depots = [warehouse(f"d{n}-{uuid.uuid4().hex[:4]}") for n in range(3)]
    for count in (1, 2, 3):
        for depot in depots:
            assert call(
                client, "PUT", f"/products/{product_id}/stock/{depot}", admin(cognito), {"onHand": count}
            ).status_code in (200, 201)
    expected = 1 + 3 * 3  # the opening stock, then three counts in each depot

    one = call(client, "GET", f"/products/{product_id}/movements?limit=1", admin(cognito)).data
    assert len(one["items"]) == 1 and one["nextCursor"]

    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = call(client, "GET", f"/products/{product_id}/movements{query}", admin(cognito)).data
        assert len(page["items"]) <= 4
        seen += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            break
    ids = [m["movementId"] for m in seen]
    assert len(ids) == len(set(ids)) == expected
    assert ids == sorted(ids, reverse=True)  # newest first across every warehouse
    assert one["items"][0]["movementId"] == ids[0]


@pytest.mark.parametrize(
    "cursor",
    [
        "eyJwcm9kdWN0X2lkIjp7IlMiOiJ4In19",  # a products cursor
        "eyJhZnRlciI6eyJtYWluIjoxfX0",  # {"after": {"main": 1}}
        "eyJhZnRlciI6eyJhL2IiOiIifX0",  # {"after": {"a/b": ""}}
        "eyJhZnRlciI6eyJtYWluIjoiMTk3MC0wMS0wMVQwMDowMDowMC4wMDBaIzAwIn19",  # before the lifetime
        "!!!",
    ],
)
def test_foreign_or_stale_movement_cursors_are_400_or_empty(client: Client, cognito: Cognito, cursor: str) -> None:
    product_id = new_product(client, cognito)
    response = call(client, "GET", f"/products/{product_id}/movements?cursor={cursor}", admin(cognito))
    assert response.status_code in (200, 400), response.data
    if response.status_code == 400:
        assert response.data["field"] == "cursor"
    else:
        assert response.data["items"] == []


# --- null, control characters --------------------------------------------------------------------


def test_null_means_clear_for_description_and_is_refused_elsewhere(client: Client, cognito: Cognito) -> None:
    product_id = new_product(client, cognito, description="Oak,\nfive shelves", priceCents=100)
    got = call(client, "GET", f"/products/{product_id}", admin(cognito)).data
    assert got["description"] == "Oak,\nfive shelves"  # multi-line descriptions are fine
    cleared = call(client, "PATCH", f"/products/{product_id}", admin(cognito), {"description": None})
    assert cleared.status_code == 200 and cleared.data["description"] == ""
    for field in ("productName", "priceCents", "threshold", "quantity"):
        refused = call(client, "PATCH", f"/products/{product_id}", admin(cognito), {field: None})
        assert refused.status_code == 400 and refused.data["field"] == field and "null" in refused.data["message"]
    created = call(
        client,
        "POST",
        "/products",
        admin(cognito),
        {
            "productId": f"N-{uuid.uuid4().hex[:8]}",
            "productName": "n",
            "quantity": 1,
            "threshold": 0,
            "description": None,
        },
    )
    assert created.status_code == 201 and created.data["description"] == ""
    refused = call(
        client,
        "POST",
        "/products",
        admin(cognito),
        {"productId": "N-2", "productName": "n", "quantity": 1, "threshold": 0, "priceCents": None},
    )
    assert refused.status_code == 400 and refused.data["field"] == "priceCents"


@pytest.mark.parametrize("name", ["Bed\nroom", "Bed\troom", "Bed\x00", "Bed\u2028room", "\x1b[2J"])
def test_names_with_control_characters_are_refused(client: Client, cognito: Cognito, name: str) -> None:
    body = {"productId": f"C-{uuid.uuid4().hex[:8]}", "productName": name, "quantity": 1, "threshold": 0}
    response = call(client, "POST", "/products", admin(cognito), body)
    assert response.status_code == 400 and response.data["field"] == "productName"


@pytest.mark.parametrize("product_id", ["493.857.5", "493.857.511", "abc\n", "x" * 65, "\u0664\u0669\u0663.857.51"])
def test_bad_ids_in_bodies_are_400(client: Client, cognito: Cognito, product_id: str) -> None:
    body = {"productId": product_id, "productName": "x", "quantity": 1, "threshold": 0}
    response = call(client, "POST", "/products", admin(cognito), body)
    assert response.status_code == 400 and response.data["field"] == "productId"
    order = call(client, "POST", "/inventory-order", admin(cognito), {"productId": product_id, "quantity": 1})
    assert order.status_code == 400 and order.data["field"] == "productId"


# --- public and admin views, search, read cost ------------------------------------------------------


PUBLIC_FIELDS = {"productId", "productName", "description", "priceCents", "availability", "available"}


def test_anonymous_and_customers_see_the_public_view_admins_the_inventory(client: Client, cognito: Cognito) -> None:
    product_id = new_product(client, cognito, quantity=3, threshold=5, priceCents=1999)
    anonymous = call(client, "GET", f"/products/{product_id}")
    assert anonymous.status_code == 200 and set(anonymous.data) == PUBLIC_FIELDS
    assert anonymous.data["availability"] == "LOW" and anonymous.data["available"] == 3
    assert anonymous.headers["Cache-Control"] == "public, max-age=15, s-maxage=30"
    assert anonymous.headers["Vary"] == "Authorization"

    customer = call(client, "GET", f"/products/{product_id}", cognito.token(groups=[]))
    assert set(customer.data) == PUBLIC_FIELDS and customer.headers["Cache-Control"] == "private, no-store"

    full = call(client, "GET", f"/products/{product_id}", admin(cognito))
    assert {"quantity", "threshold", "lastUpdated", "lowStock", "stock"} <= set(full.data)
    assert full.data["stock"] == [{"warehouseId": "main", "onHand": 3, "reserved": 0, "available": 3, "threshold": 5}]
    assert full.headers["Cache-Control"] == "private, no-store"

    forged = call(client, "GET", f"/products/{product_id}", "not.a.token")
    assert forged.status_code == 401  # a token that is sent must be valid; never silently public


def test_public_availability_is_capped_and_says_out_of_stock(client: Client, cognito: Cognito) -> None:
    plenty = new_product(client, cognito, quantity=1000, threshold=5)
    assert call(client, "GET", f"/products/{plenty}").data | {"productId": "", "productName": ""} == {
        "productId": "",
        "productName": "",
        "description": "",
        "priceCents": 0,
        "availability": "IN_STOCK",
        "available": 50,
    }
    none = new_product(client, cognito, quantity=0, threshold=5)
    assert call(client, "GET", f"/products/{none}").data["availability"] == "OUT_OF_STOCK"


def test_search_by_name_prefix_ignoring_case_and_accents_and_by_exact_id(client: Client, cognito: Cognito) -> None:
    tag = uuid.uuid4().hex[:6]
    names = [f"Zq{tag} Café table", f"zq{tag} cafe chair", f"Zq{tag} Lamp"]
    ids = [new_product(client, cognito, productName=name) for name in names]
    found = call(client, "GET", f"/products?q=ZQ{tag}%20CAF%C3%89").data
    assert sorted(p["productName"] for p in found["items"]) == sorted(names[:2])
    assert all(set(p) == PUBLIC_FIELDS for p in found["items"])
    by_id = call(client, "GET", f"/products?q={ids[2]}").data
    assert by_id["items"][0]["productId"] == ids[2]
    everything = call(client, "GET", f"/products?q=zq{tag}&limit=2").data
    rest = call(client, "GET", f"/products?q=zq{tag}&limit=2&cursor={everything['nextCursor']}").data
    assert [p["productName"] for p in everything["items"] + rest["items"]] == sorted(names, key=str.casefold)
    assert call(client, "GET", "/products?q=a%0Ab").status_code == 400
    # A cursor belongs to its listing: reused for another search it would start outside the
    # query's key range, which DynamoDB refuses.
    other = call(client, "GET", f"/products?q=other{tag}&cursor={everything['nextCursor']}")
    assert other.status_code == 400 and other.data["field"] == "cursor"


@contextmanager
def dynamodb_reads() -> Iterator[dict[str, Any]]:
    """Operations and items read, counted on every botocore client."""
    from bench.aws_calls import count_aws_calls

    with count_aws_calls() as calls:
        stats: dict[str, Any] = {"calls": calls}
        yield stats


def test_a_catalog_page_reads_the_page_not_the_catalog(client: Client, cognito: Cognito) -> None:
    tag = uuid.uuid4().hex[:6]
    for n in range(12):
        new_product(client, cognito, productName=f"Cost{tag} {n:02d}")
    for view, token in (("public", None), ("admin", admin(cognito))):
        with dynamodb_reads() as stats:
            page = call(client, "GET", f"/products?q=cost{tag}&limit=5", token).data
        assert len(page["items"]) == 5, view
        calls = dict(stats["calls"])
        assert calls.get("dynamodb.Scan", 0) == 0, (view, calls)
        assert calls.get("dynamodb.Query", 0) == 1 and calls.get("dynamodb.BatchGetItem", 0) == 1, (view, calls)


# --- deleting, guarded on versions ----------------------------------------------------------------


def test_delete_reads_again_when_an_order_lands_in_between(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.inventory import catalog
    from chalicelib.inventory.models import Movement

    product_id = new_product(client, cognito, quantity=10)
    real_load = catalog._load
    interleaved: list[int] = []

    def load_then_an_order_lands(*args: Any, **kwargs: Any) -> Any:
        read = real_load(*args, **kwargs)
        if not interleaved:
            interleaved.append(1)
            order(product_id, 5)
        return read

    monkeypatch.setattr(catalog, "_load", load_then_an_order_lands)
    assert call(client, "DELETE", f"/products/{product_id}", admin(cognito)).status_code == 204
    # The closing movement is what was there after the order: the lifetime's ledger ends at 0.
    deltas = [int(m.on_hand_delta) for m in Movement.query(f"{product_id}#main")]
    assert sorted(deltas) == [-5, -5, 10] and sum(deltas) == 0


def test_delete_refuses_when_a_reservation_lands_in_between(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core.db import transact
    from chalicelib.inventory import catalog
    from chalicelib.inventory.stock import change_stock

    product_id = new_product(client, cognito, quantity=10)
    real_load = catalog._load
    interleaved: list[int] = []

    def load_then_a_reservation_lands(*args: Any, **kwargs: Any) -> Any:
        read = real_load(*args, **kwargs)
        if not interleaved:
            interleaved.append(1)
            transact(
                lambda tx: change_stock(tx, product_id, "main", reserved_delta=2, reason="order placed", actor="t")
            )
        return read

    monkeypatch.setattr(catalog, "_load", load_then_a_reservation_lands)
    refused = call(client, "DELETE", f"/products/{product_id}", admin(cognito))
    assert refused.status_code == 409 and refused.data["reserved"] == 2
    assert int(line(product_id).reserved) == 2  # the order's units are still there


# --- racing updates ----------------------------------------------------------------------------------


def test_a_racing_write_makes_the_update_retry_not_fail(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.inventory import catalog

    product_id = new_product(client, cognito, quantity=10)
    real_read = catalog._read_lines
    raced: list[int] = []

    def read_then_someone_orders(*args: Any, **kwargs: Any) -> Any:
        read = real_read(*args, **kwargs)
        if len(raced) < 2:
            raced.append(1)
            order(product_id, 1)
        return read

    monkeypatch.setattr(catalog, "_read_lines", read_then_someone_orders)
    response = call(client, "PATCH", f"/products/{product_id}", admin(cognito), {"quantity": 30})
    assert response.status_code == 200 and response.data["quantity"] == 30
    stored = line(product_id)
    assert int(stored.on_hand) == 30 == int(stored.ledger_on_hand)  # the ledger saw every change


def test_past_the_retries_the_answer_is_409_concurrent_update(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core import db
    from chalicelib.inventory import catalog

    product_id = new_product(client, cognito, quantity=10)
    real_read = catalog._read_lines

    def always_raced(*args: Any, **kwargs: Any) -> Any:
        read = real_read(*args, **kwargs)
        order(product_id, 1)
        return read

    monkeypatch.setattr(catalog, "_read_lines", always_raced)
    monkeypatch.setattr(db, "OPTIMISTIC_ATTEMPTS", 3)
    monkeypatch.setattr(db, "OPTIMISTIC_BASE_DELAY", 0.001)
    response = call(client, "PATCH", f"/products/{product_id}", admin(cognito), {"quantity": 30})
    assert response.status_code == 409 and response.data["error"] == "ConcurrentUpdate"
    assert "read it again" in response.data["message"]
    assert int(line(product_id).on_hand) == 7  # nothing of the update was written; the 3 orders were


def test_catalog_fields_and_thresholds_never_conflict(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core import db
    from chalicelib.inventory import catalog

    product_id = new_product(client, cognito, quantity=10)
    real_read = catalog._read_lines

    def always_raced(*args: Any, **kwargs: Any) -> Any:
        read = real_read(*args, **kwargs)
        order(product_id, 1)  # every read is stale by the time the write happens
        return read

    monkeypatch.setattr(catalog, "_read_lines", always_raced)
    monkeypatch.setattr(db, "OPTIMISTIC_ATTEMPTS", 1)  # no retry to hide behind
    body = {"productName": "Renamed", "priceCents": 5, "threshold": 4}
    response = call(client, "PATCH", f"/products/{product_id}", admin(cognito), body)
    assert response.status_code == 200, response.data
    assert response.data["productName"] == "Renamed" and response.data["stock"][0]["threshold"] == 4


# --- the stock helper ------------------------------------------------------------------------------


def test_change_stock_keeps_the_invariants(client: Client, cognito: Cognito) -> None:
    from chalicelib.core.db import Cancelled, transact
    from chalicelib.inventory.models import Stock
    from chalicelib.inventory.stock import change_stock

    product_id = new_product(client, cognito, quantity=10)

    def apply(**deltas: int) -> None:
        transact(lambda tx: change_stock(tx, product_id, "main", reason="t", actor="t", **deltas))

    apply(reserved_delta=4)  # reserve
    apply(reserved_delta=-1)  # release
    apply(on_hand_delta=-3, reserved_delta=-3)  # commit
    apply(on_hand_delta=5)  # restock
    stored = line(product_id)
    assert (int(stored.on_hand), int(stored.reserved), int(stored.available)) == (12, 0, 12)
    assert int(stored.ledger_on_hand) == 12 == ledger_sum(product_id)
    with pytest.raises(Cancelled) as refused:
        apply(reserved_delta=13)  # more than available
    reason = refused.value.failed(Stock)
    assert reason is not None and reason.item is not None and reason.item["available"] == 12
    with pytest.raises(Cancelled):
        apply(reserved_delta=-1)  # release what is not reserved
    with pytest.raises(Cancelled) as missing:
        transact(lambda tx: change_stock(tx, "NO-SUCH", "main", on_hand_delta=1, reason="t", actor="t"))
    assert missing.value.failed(Stock).item is None  # type: ignore[union-attr]
