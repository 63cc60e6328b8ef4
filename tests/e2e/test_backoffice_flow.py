"""Issue 11's "Done when", over HTTP against the whole devstack: a day of sales in the ledger, the
report fired as `make fire HANDLER=daily_sales_report` fires it, read in the local inbox with its
chart inline and its PDF attached, the same figures from the API and the PDF link; 100 products
imported from a CSV; an API key created, an order placed with it, the key revoked and refused.

The sales ledger's writer (order events) is another part of the app: here the day's ledger records
are written into the emulator as that writer writes them (`ledger.to_record`)."""

from __future__ import annotations

import csv
import io
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from chalicelib.core.db import business_date
from chalicelib.orders import ledger
from chalicelib.orders.ledger import LedgerLine, LedgerOrder
from devstack.stack import StackInfo
from tests.e2e.conftest import Api, InboxReader

REPORT_HANDLER = "daily_sales_report"  # the name the README gives for `make fire HANDLER=...`


def yesterday_noon() -> datetime:
    """Noon yesterday in the shop's time zone (America/New_York), as UTC."""
    now = datetime.now(UTC)
    day = business_date(now - timedelta(days=1))
    # 16:00 UTC is 11:00 or 12:00 in New York: inside the shop's day whatever the season.
    return datetime.fromisoformat(f"{day}T16:00:00+00:00")


def write_ledger(aws: Any, entries: list[ledger.LedgerEntry]) -> None:
    dynamodb = aws("dynamodb")
    for entry in entries:
        item = ledger.to_record(entry).serialize()
        dynamodb.put_item(TableName=os.environ["SALES_LEDGER_TABLE"], Item=item)


def test_report_fired_emailed_and_read_back(stack: StackInfo, api: Api, aws: Any, inbox: InboxReader) -> None:
    at = yesterday_noon()
    day = business_date(at)
    tag = uuid.uuid4().hex[:6]
    orders = [
        LedgerOrder(f"e2e-{tag}-{n}", [LedgerLine(f"E2E-{tag}", "E2E lamp", "main", 1 + n, 2500)], 0, 499, "CURBSIDE")
        for n in range(3)
    ]
    entries = [e for n, o in enumerate(orders) for e in ledger.confirmed_entries(o, at + timedelta(minutes=n))]
    entries += ledger.cancelled_entries(orders[0], at + timedelta(hours=1), reason="customer", was_confirmed=True)
    write_ledger(aws, entries)
    gross = sum(line.quantity * line.unit_price_cents for o in orders for line in o.lines)  # 1+2+3 lamps
    refund = orders[0].total_cents
    net = gross + 3 * 499 - refund

    fired = requests.post(f"{stack.web_url}/_devstack/fire/{REPORT_HANDLER}", timeout=120)
    assert fired.status_code == 200, fired.text
    status = fired.json()["result"]["status"]
    assert fired.json()["result"]["date"] == day and status in ("sent", "sent earlier")
    # One e-mail for the day, whoever sent it (this fire, or the hourly schedule if it ran first).
    mails = inbox.wait_for(lambda e: e["kind"] == "email" and f"daily sales {day}" in e["subject"])
    assert len(mails) == 1
    mail = mails[0]
    kinds = {a["contentType"] for a in mail["attachments"]}
    assert "application/pdf" in kinds, mail["attachments"]
    assert "cid:" in mail["html"]  # the chart inline
    summaries = inbox.matching(lambda e: e["kind"] == "sns" and f"Daily sales {day}" in e["subject"])
    assert len(summaries) == 1

    # The day rebuilt on demand (this run's records counted whichever run sent the e-mail), then read.
    built = api.post(f"/reports/daily/{day}")
    assert built.status_code == 200, built.text
    report = api.get(f"/reports/daily/{day}").json()
    assert report["revenue"]["grossCents"] >= gross  # other tests may sell that day too
    mine = [p for p in report["topProducts"] if p["productId"] == f"E2E-{tag}"]
    assert mine == [
        {"productId": f"E2E-{tag}", "productName": "E2E lamp", "units": 6, "grossCents": gross, "orders": 3}
    ]
    if report["ledgerEntries"] == len(entries):  # the stack's only sales that day: every figure is ours
        assert report["revenue"]["netCents"] == net and report["orders"] == 3
        if status == "sent":  # this fire sent the e-mail, with these figures
            assert f"{net // 100}.{net % 100:02d}" in mail["subject"] and "3 orders" in mail["subject"]

    pdf = api.get(f"/reports/daily/{day}?format=pdf", allow_redirects=False)
    assert pdf.status_code == 302
    document = requests.get(pdf.headers["Location"], timeout=30)
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert api.get("/reports/daily").json()["items"][0]["date"] == day


def test_import_100_products_then_a_till_orders_with_a_key_until_revoked(api: Api) -> None:
    tag = uuid.uuid4().hex[:6]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["productId", "productName", "priceCents", "threshold", "warehouseId", "onHand", "stockThreshold"])
    writer.writerows([[f"CSV-{tag}-{n:03d}", f"Imported {n}", 100 + n, 1, "main", 10, 1] for n in range(100)])
    data = out.getvalue().encode()
    headers = {"Content-Type": "text/csv"}
    preview = api.post("/products/import?dryRun=true", data=data, headers=headers)
    assert preview.status_code == 200 and len(preview.json()["products"]) == 100, preview.text
    imported = api.post("/products/import", data=data, headers=headers)
    assert imported.status_code == 200 and imported.json()["applied"] is True, imported.text
    assert api.post("/products/import", data=data, headers=headers).json()["stock"] == []  # a re-upload: nothing
    exported = api.get("/products/export.csv", headers={"Accept": "text/csv"})
    assert exported.status_code == 200 and exported.text.count(f"CSV-{tag}-") == 100

    created = api.post("/api-keys", json={"name": f"Till {tag}", "scopes": ["orders:write"]})
    assert created.status_code == 201, created.text
    key = created.json()["apiKey"]
    machine = requests.Session()
    machine.headers["X-Api-Key"] = key
    base = api.base
    # The default warehouse is not a shop warehouse: a warehouse first, stock there for the till.
    warehouse = api.post("/warehouses", json={"warehouseId": f"w{tag}", "name": "Till shop", "zip": "10001"})
    assert warehouse.status_code == 201, warehouse.text
    product = f"CSV-{tag}-007"
    stocked = api.request("PUT", f"/products/{product}/stock/w{tag}", json={"onHand": 5})
    assert stocked.status_code == 201, stocked.text
    body = {"productId": product, "quantity": 1, "customerEmail": "till@example.com"}
    placed = machine.post(f"{base}/machine/place-order", json=body, timeout=60)
    assert placed.status_code == 201, placed.text
    assert machine.get(f"{base}/machine/products", timeout=60).status_code == 403  # not in its scopes

    assert api.request("DELETE", f"/api-keys/{created.json()['keyId']}").status_code == 200
    refused = machine.post(f"{base}/machine/place-order", json=body, timeout=60)
    assert refused.status_code == 401 and refused.json()["error"] == "Unauthorized"


def test_real_orders_reach_the_sales_ledger_the_report_reads(stack: StackInfo, api: Api, aws: Any) -> None:
    """No hand-written ledger here: orders placed over HTTP are paid and confirmed by the workflow,
    their events reach `record_sales`, which writes the records the daily report reads (a day is
    reported once it is over, so the report itself is checked above); a cancel after payment
    adds the refunds."""
    import time

    from tests.e2e.test_order_workflow import place, wait_for_status
    from tests.e2e.test_shop_concurrency import stock_product, warehouses

    (warehouse_id,) = warehouses(api, "10001")
    product_id = stock_product(api, aws, {warehouse_id: 10}, price_cents=2500)
    placed = [place(stack, product_id, q, "tok_visa", f"ledger{q}@example.com") for q in (1, 2)]
    for order in placed:
        assert wait_for_status(stack, order, {"CONFIRMED"}, timeout=120)["status"] == "CONFIRMED"
    cancelled = requests.post(
        f"{stack.api_url}/orders/{placed[1]['orderId']}/cancel",
        headers={"X-Order-Token": placed[1]["orderToken"]},
        timeout=60,
    )
    assert cancelled.status_code == 200, cancelled.text

    def records(order_id: str) -> list[dict[str, Any]]:
        items = aws("dynamodb").scan(
            TableName=os.environ["SALES_LEDGER_TABLE"],
            FilterExpression="order_id = :o",
            ExpressionAttributeValues={":o": {"S": order_id}},
            ConsistentRead=True,
        )["Items"]
        return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]

    deadline = time.monotonic() + 120
    while True:  # written asynchronously: stream -> bus -> queue -> record_sales
        first, second = records(placed[0]["orderId"]), records(placed[1]["orderId"])
        if {r["event"] for r in second} >= {"SOLD", "REFUNDED"}:
            break
        assert time.monotonic() < deadline, (first, second)
        time.sleep(1)
    sold = [r for r in first if r["event"] == "SOLD"]
    assert [(r["product_id"], int(r["quantity"]), int(r["amount_cents"])) for r in sold] == [(product_id, 1, 2500)]
    assert all(r["business_date"] == placed[0]["businessDate"] for r in first + second)
    refunded = sum(int(r["amount_cents"]) for r in second if r["event"] == "REFUNDED")
    assert refunded > 0  # the order's refund, recorded against the day it happened
