"""CSV export and import over HTTP (issue 11 §3): 100 products imported after a dry run, every change
a movement naming the import, the export imported back changes nothing, a spreadsheet edit changes
exactly what was edited; all-or-nothing by default, `?mode=partial`, on hand never below reserved;
bad uploads answered with a 4xx naming the problem."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from chalice.test import Client

from chalicelib.backoffice.catalog_csv import EXPORT_COLUMNS, MAX_IMPORT_BYTES
from tests.integration.conftest import Cognito
from tests.integration.shop_support import NYC, admin, stock_of, warehouse
from tests.integration.test_products_api import call

COLUMNS = ["productId", "productName", "priceCents", "threshold", "warehouseId", "onHand", "stockThreshold"]


def csv_text(rows: list[list[Any]], columns: list[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(client: Client, cognito: Cognito, data: bytes, query: str = "", content_type: str = "text/csv") -> Any:
    headers = {**cognito.admin_headers(), "Content-Type": content_type}
    response = client.http.post(f"/products/import{query}", headers=headers, body=data)
    response.data = json.loads(response.body) if response.body else None
    return response


def export(client: Client, cognito: Cognito, accept: str = "text/csv") -> bytes:
    # text/csv is a binary media type (uploads keep their bytes): a download asks for it, as the
    # console does (a client's default */* is an accepted ask too).
    response = client.http.get("/products/export.csv", headers={**cognito.admin_headers(), "Accept": accept})
    assert response.status_code == 200, response.body[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="catalog-')
    return bytes(response.body)


def movements(client: Client, cognito: Cognito, product_id: str) -> list[dict[str, Any]]:
    response = call(client, "GET", f"/products/{product_id}/movements?limit=100", cognito)
    assert response.status_code == 200, response.data
    return list(response.data["items"])


def hundred() -> list[list[Any]]:
    return [[f"P-{n:03d}", f"Product {n}", 100 + n, 2, "main", n % 10, 3] for n in range(100)]


def test_import_100_products_then_export_reimport_and_edit(client: Client, cognito: Cognito) -> None:
    data = csv_text(hundred())
    preview = upload(client, cognito, data, "?dryRun=true")
    assert preview.status_code == 200, preview.data
    assert preview.data["dryRun"] is True and preview.data["applied"] is False and preview.data["importId"] is None
    assert (preview.data["rows"], preview.data["validRows"], preview.data["errors"]) == (100, 100, [])
    assert len(preview.data["products"]) == 100 and {p["action"] for p in preview.data["products"]} == {"create"}
    assert call(client, "GET", "/products?limit=5", cognito).data["items"] == []  # a preview writes nothing

    applied = upload(client, cognito, data)
    assert applied.status_code == 200, applied.data
    assert applied.data["applied"] is True and len(applied.data["products"]) == 100
    import_id = applied.data["importId"]
    assert stock_of("P-007") == {"main": (7, 0, 7)}
    moves = movements(client, cognito, "P-007")
    assert len(moves) == 1 and moves[0]["onHandDelta"] == 7
    assert "CSV import" in moves[0]["reason"] and import_id in json.dumps(moves[0])

    # The export imports back as it is: nothing planned, nothing written.
    exported = export(client, cognito)
    assert export(client, cognito, accept="*/*") == exported
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_COLUMNS and len(rows) == 100
    assert {r["productId"]: (r["onHand"], r["reserved"]) for r in rows}["P-007"] == ("7", "0")
    again = upload(client, cognito, exported)
    assert again.status_code == 200 and again.data["products"] == [] and again.data["stock"] == []
    assert upload(client, cognito, data).data["stock"] == []  # nor does the first file again
    assert len(movements(client, cognito, "P-007")) == 1

    # Edited in a spreadsheet: one price, one count; exactly those change.
    for row in rows:
        if row["productId"] == "P-003":
            row["priceCents"] = "999"
        if row["productId"] == "P-007":
            row["onHand"] = "12"
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    result = upload(client, cognito, edited.getvalue().encode())
    assert result.status_code == 200, result.data
    assert [(p["productId"], p["changes"]) for p in result.data["products"]] == [
        ("P-003", {"priceCents": {"before": 103, "after": 999}})
    ]
    assert [(s["productId"], s["onHand"]) for s in result.data["stock"]] == [
        ("P-007", {"before": 7, "after": 12, "delta": 5})
    ]
    assert call(client, "GET", "/products/P-003", cognito).data["priceCents"] == 999
    assert sorted(m["onHandDelta"] for m in movements(client, cognito, "P-007")) == [5, 7]


def test_all_or_nothing_partial_and_reserved_stock(client: Client, cognito: Cognito) -> None:
    # A warehouse the shop sells from, and an open order that holds 2 of its 5.
    warehouse(admin(client, cognito), "nyc", NYC)
    assert upload(client, cognito, csv_text([["KEEP-1", "Kept", 500, 1, "nyc", 5, 1]])).status_code == 200
    order = client.http.post(
        "/place-order",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"productId": "KEEP-1", "quantity": 2, "customerEmail": "buyer@example.com"}),
    )
    assert order.status_code == 201, order.body
    assert stock_of("KEEP-1") == {"nyc": (5, 2, 3)}

    data = csv_text(
        [
            ["NEW-1", "New one", 100, 1, "main", 4, 1],
            ["KEEP-1", "Kept", 500, 1, "nyc", 1, 1],  # below the 2 reserved
            ["NEW-2", "Bad price", "ten", 1, "main", 4, 1],
        ]
    )
    refused = upload(client, cognito, data)
    assert refused.status_code == 422 and refused.data["error"] == "ImportInvalid"
    errors = refused.data["details"]["errors"] if "details" in refused.data else refused.data["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, "onHand"), (4, "priceCents")]
    assert all(e["message"] for e in errors) and "2 units reserved" in errors[0]["message"]
    assert call(client, "GET", "/products/NEW-1", cognito).status_code == 404  # nothing was imported
    assert stock_of("KEEP-1") == {"nyc": (5, 2, 3)}

    partial = upload(client, cognito, data, "?mode=partial")
    assert partial.status_code == 200, partial.data
    assert [p["productId"] for p in partial.data["products"]] == ["NEW-1"]
    assert [(e["row"], e["field"]) for e in partial.data["errors"]] == [(3, "onHand"), (4, "priceCents")]
    assert (partial.data["validRows"], partial.data["invalidRows"]) == (1, 2)
    assert stock_of("NEW-1") == {"main": (4, 0, 4)} and stock_of("KEEP-1") == {"nyc": (5, 2, 3)}
    # On hand may come down to what is reserved, not below.
    assert upload(client, cognito, csv_text([["KEEP-1", "Kept", 500, 1, "nyc", 2, 1]])).status_code == 200
    assert stock_of("KEEP-1") == {"nyc": (2, 2, 0)}


def test_bad_uploads_are_4xx_naming_the_problem(client: Client, cognito: Cognito) -> None:
    ok = csv_text([["A-1", "A", 1, 1, "main", 1, 1]])
    assert upload(client, cognito, ok, content_type="application/json").status_code == 415
    big = upload(client, cognito, ok + b"x" * MAX_IMPORT_BYTES)
    assert big.status_code == 413 and big.data["error"] == "PayloadTooLarge"
    for query, field in [
        ("?mode=some", "mode"),
        ("?mode=", "mode"),
        ("?dryRun=maybe", "dryRun"),
        ("?dryRun=TRUE", "dryRun"),
    ]:
        response = upload(client, cognito, ok, query)
        assert response.status_code == 400 and response.data["field"] == field, response.data
    for query in ("", "?dryRun=true", "?mode=partial"):  # a bad header: no preview, no partial import
        no_ids = upload(client, cognito, csv_text([["A"]], columns=["productName"]), query)
        assert no_ids.status_code == 422 and "productId" in json.dumps(no_ids.data), query
    shopper = {"Authorization": f"Bearer {cognito.token()}", "Content-Type": "text/csv"}
    assert client.http.post("/products/import", headers=shopper, body=ok).status_code == 403
    assert client.http.get("/products/export.csv", headers=shopper).status_code == 403
    assert call(client, "GET", "/products/A-1", cognito).status_code == 404  # nothing got in
