"""The daily report over HTTP and as the schedule runs it (issue 11 §1-2): a day with known orders,
cancels, refunds and payment failures, its figures computed here from the orders themselves; the
stored files behind presigned links; one e-mail and one SNS summary per day however often the
schedule fires; rebuilds after late events; reorder suggestions with a product's own lead time."""

from __future__ import annotations

import csv
import email
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import requests
from chalice.test import Client
from moto.sns.models import sns_backends

from chalicelib.core.db import business_date
from chalicelib.orders import ledger
from chalicelib.orders.ledger import LedgerEntry, LedgerLine, LedgerOrder
from devstack.env import ACCOUNT_ID, REGION
from tests.integration.conftest import Cognito, env, sent_emails
from tests.integration.test_products_api import call

DAY = "2025-03-14"  # New York is on EDT (UTC-4) since March 9


def ny(hour: int, minute: int = 0, day: int = 14) -> datetime:
    """A New York wall-clock time on March `day` 2025, as UTC."""
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC) + timedelta(hours=4)


BED, LAMP = ("493.857.51", "Complete bed"), ("LAMP-1", "Lamp")


def order(order_id: str, lines: list[tuple[tuple[str, str], str, int, int]], **kwargs: Any) -> LedgerOrder:
    ledger_lines = [LedgerLine(p[0], p[1], warehouse, quantity, price) for p, warehouse, quantity, price in lines]
    return LedgerOrder(order_id, ledger_lines, **kwargs)


A = order(
    "A",
    [(BED, "main", 2, 1000), (LAMP, "main", 1, 500)],
    discount_cents=250,
    delivery_cents=499,
    delivery_method="CURBSIDE",
    promo_code="WELCOME10",
)
B = order("B", [(BED, "main", 1, 1000)], discount_cents=0, delivery_cents=0, delivery_method="SELF_SERVICE")
C = order("C", [(LAMP, "east", 5, 300)], discount_cents=150, delivery_cents=999, delivery_method="IN_DOOR")
F = order("F", [(LAMP, "main", 1, 300)], discount_cents=0, delivery_cents=499, delivery_method="CURBSIDE")
CONFIRMED = [A, B, C]


def the_day() -> list[LedgerEntry]:
    return [
        *ledger.confirmed_entries(A, ny(9, 15)),
        *ledger.confirmed_entries(B, ny(9, 40)),
        *ledger.confirmed_entries(C, ny(14, 5)),
        *ledger.payment_failed_entries(F, ny(11), reason="card_declined"),
        # 21:00 in New York is the 15th in UTC: still the 14th's business.
        *ledger.cancelled_entries(B, ny(21), reason="customer", was_confirmed=True),
        # The next day's business, which the 14th's report must not count.
        *ledger.confirmed_entries(order("N", [(BED, "main", 7, 1000)], discount_cents=0, delivery_cents=0,
                                        delivery_method="CURBSIDE"), ny(0, 30, day=15)),
    ]  # fmt: skip


def expected_figures() -> dict[str, Any]:
    """The 14th's figures, computed from the orders (not from the report code)."""
    gross = sum(line.quantity * line.unit_price_cents for o in CONFIRMED for line in o.lines)
    discount = sum(o.discount_cents for o in CONFIRMED)
    delivery = sum(o.delivery_cents for o in CONFIRMED)
    refund = sum(line.quantity * line.unit_price_cents for line in B.lines) - B.discount_cents + B.delivery_cents
    return {
        "revenue": {
            "grossCents": gross,
            "discountCents": discount,
            "deliveryCents": delivery,
            "refundCents": refund,
            "netCents": gross - discount + delivery - refund,
        },
        "orders": len(CONFIRMED),
        "units": sum(line.quantity for o in CONFIRMED for line in o.lines),
    }


def admin_get(client: Client, cognito: Cognito, path: str) -> Any:
    return call(client, "GET", path, cognito)


def fetch(url: str) -> requests.Response:
    """A presigned link, as a browser follows it (moto's mock answers in this process)."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response


def scheduled(client: Client, at: datetime) -> dict[str, Any]:
    event = client.events.generate_cw_event("aws.events", "Scheduled Event", {}, ["arn:aws:events:::rule/daily"])
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    payload: dict[str, Any] = client.lambda_.invoke("daily_sales_report", event).payload
    return payload


def published_summaries() -> list[Any]:
    topic = sns_backends[ACCOUNT_ID][REGION].topics[env("DAILY_SALES_TOPIC_ARN")]
    return list(topic.sent_notifications)


def test_a_known_day_over_http_matches_figures_computed_from_its_orders(client: Client, cognito: Cognito) -> None:
    ledger.record(the_day())
    # A stock line below its threshold, listed in the report.
    assert call(client, "POST", "/products", cognito, {**dict(zip(("productId", "productName"), LAMP, strict=True)),
                                                       "quantity": 2, "threshold": 5}).status_code == 201  # fmt: skip

    assert admin_get(client, cognito, f"/reports/daily/{DAY}").status_code == 404  # not built yet
    built = call(client, "POST", f"/reports/daily/{DAY}", cognito)
    assert built.status_code == 200, built.data
    report = built.data
    expected = expected_figures()
    assert report["revenue"] == expected["revenue"]
    assert (report["orders"], report["units"]) == (expected["orders"], expected["units"])
    assert (
        report["cancellations"]["orders"] == 1
        and report["refunds"]["amountCents"] == expected["revenue"]["refundCents"]
    )
    assert report["paymentFailures"]["orders"] == 1
    assert {"promoCode": "WELCOME10", "orders": 1, "discountCents": 250} in report["promoCodes"]
    assert [(h["hour"], h["orders"]) for h in report["salesByHour"] if h["orders"]] == [(9, 2), (14, 1)]
    assert [(i["productId"], i["available"]) for i in report["lowStock"]] == [("LAMP-1", 2)]

    # Read back as stored, and as files behind short-lived links.
    assert admin_get(client, cognito, f"/reports/daily/{DAY}").data == report
    pdf = admin_get(client, cognito, f"/reports/daily/{DAY}?format=pdf")
    assert pdf.status_code == 302
    assert fetch(pdf.headers["Location"]).content.startswith(b"%PDF")
    csv_link = admin_get(client, cognito, f"/reports/daily/{DAY}?format=csv").headers["Location"]
    rows = list(csv.reader(io.StringIO(fetch(csv_link).text)))
    assert any(str(expected["revenue"]["netCents"]) in "".join(row) or "50.98" in "".join(row) for row in rows)
    files = admin_get(client, cognito, f"/reports/daily/{DAY}/files").data
    assert fetch(files["charts"]["salesByHour"]).content.startswith(b"\x89PNG")
    assert urlparse(files["pdf"]).hostname and "X-Amz-Signature" in files["pdf"]

    listed = admin_get(client, cognito, "/reports/daily").data["items"]
    assert [(r["date"], r["netCents"], r["orders"]) for r in listed] == [(DAY, expected["revenue"]["netCents"], 3)]

    # A rebuild reads the ledger again: the same figures (idempotent), nothing sent.
    again = call(client, "POST", f"/reports/daily/{DAY}", cognito).data
    assert {k: again[k] for k in ("revenue", "orders", "units", "fingerprint")} == {
        k: report[k] for k in ("revenue", "orders", "units", "fingerprint")
    }
    ledger.record(the_day())  # a redelivered event adds nothing
    assert call(client, "POST", f"/reports/daily/{DAY}", cognito).data["revenue"] == expected["revenue"]
    assert sent_emails() == [] and published_summaries() == []


def test_bad_requests_are_4xx_naming_the_problem(client: Client, cognito: Cognito) -> None:
    for path, field in [
        ("/reports/daily/2025-02-30", "date"),
        ("/reports/daily/14-03-2025", "date"),
        ("/reports/daily/1999-12-31", "date"),
        ("/reports/daily?limit=0", "limit"),
        ("/reports/daily?cursor=nonsense", "cursor"),
    ]:
        response = admin_get(client, cognito, path)
        assert response.status_code == 400, (path, response.data)
        assert response.data["error"] == "ValidationError" and response.data["field"] == field, path
    today = business_date(datetime.now(UTC))
    refused = call(client, "POST", f"/reports/daily/{today}", cognito)
    assert refused.status_code == 400 and "over" in refused.data["message"]
    ledger.record(ledger.confirmed_entries(A, ny(10)))
    call(client, "POST", f"/reports/daily/{DAY}", cognito)
    for fmt in ("xml", ""):
        wrong = admin_get(client, cognito, f"/reports/daily/{DAY}?format={fmt}")
        assert wrong.status_code == 400 and wrong.data["field"] == "format", fmt
    # Not for shoppers, not for strangers.
    shopper = {"Authorization": f"Bearer {cognito.token()}"}
    assert call(client, "GET", f"/reports/daily/{DAY}", **shopper).status_code == 403
    assert call(client, "POST", f"/reports/daily/{DAY}", **shopper).status_code == 403
    assert call(client, "GET", "/reports/reorder", **shopper).status_code == 403
    assert call(client, "GET", "/reports/daily").status_code == 401


def test_the_schedule_reports_the_shops_previous_day_once(client: Client, cognito: Cognito) -> None:
    ledger.record(the_day())
    # 23:15 in New York on the 14th: the day is not over, the run reports the 13th.
    assert scheduled(client, ny(23, 15))["date"] == "2025-03-13"
    assert len(sent_emails()) == 1
    # 00:15 on the 15th in New York (04:15 UTC): the first run of the shop's new day sends the 14th.
    first = scheduled(client, ny(0, 15, day=15))
    assert first == {"date": DAY, "status": "sent", "ledgerEntries": first["ledgerEntries"]}
    # Later runs of the same shop day, and a retried invocation, send nothing more.
    assert scheduled(client, ny(1, 15, day=15))["status"] == "sent earlier"
    assert scheduled(client, ny(0, 15, day=15))["status"] == "sent earlier"

    mails = [m for m in sent_emails() if DAY in (m.raw_data if hasattr(m, "raw_data") else str(m))]
    assert len(mails) == 1
    message = email.message_from_string(mails[0].raw_data)
    parts = {part.get_content_type(): part for part in message.walk()}
    assert {"text/html", "image/png", "application/pdf"} <= set(parts)
    html = parts["text/html"].get_payload(decode=True).decode()
    assert "cid:" in html  # the chart is inline, referenced by its Content-ID
    assert parts["application/pdf"].get_payload(decode=True).startswith(b"%PDF")
    assert message["To"] == "owner@example.com"

    summaries = [n for n in published_summaries() if DAY in n[1]]
    assert len(summaries) == 1
    net = expected_figures()["revenue"]["netCents"]
    assert f"{net // 100}.{net % 100:02d}" in summaries[0][1]

    # The index says when it was sent; the figures are the day's.
    listed = {r["date"]: r for r in admin_get(client, cognito, "/reports/daily").data["items"]}
    assert listed[DAY]["emailedAt"] and listed[DAY]["publishedAt"] and listed[DAY]["netCents"] == net


def test_a_late_event_changes_the_rebuilt_report_and_sends_nothing_again(client: Client, cognito: Cognito) -> None:
    ledger.record(the_day())
    assert scheduled(client, ny(0, 15, day=15))["status"] == "sent"
    # A refund of C booked late (an event delivered after the report was sent).
    ledger.record(ledger.cancelled_entries(C, ny(23, 50), reason="damaged", was_confirmed=True))
    rebuilt = call(client, "POST", f"/reports/daily/{DAY}", cognito).data
    c_total = 5 * 300 - 150 + 999
    assert rebuilt["revenue"]["refundCents"] == expected_figures()["revenue"]["refundCents"] + c_total
    assert admin_get(client, cognito, f"/reports/daily/{DAY}").data["revenue"] == rebuilt["revenue"]
    assert scheduled(client, ny(2, 15, day=15))["status"] == "sent earlier"
    assert len([m for m in sent_emails() if DAY in m.raw_data]) == 1


def test_reorder_suggestions_use_each_products_lead_time(client: Client, cognito: Cognito) -> None:
    body = {"productName": "Complete bed", "quantity": 20, "threshold": 5}
    assert call(client, "POST", "/products", cognito, {"productId": BED[0], **body}).status_code == 201
    assert call(client, "POST", "/products", cognito, {"productId": "LAMP-2", **body}).status_code == 201
    # Yesterday (the window's last day, in the shop's time zone) both sold 6 units.
    yesterday = datetime.now(UTC) - timedelta(days=1)
    sold = [order(f"Y{n}", [(BED, "main", 3, 1000), (("LAMP-2", "Complete bed"), "main", 3, 1000)],
                  discount_cents=0, delivery_cents=0, delivery_method="CURBSIDE") for n in range(2)]  # fmt: skip
    ledger.record([e for o in sold for e in ledger.confirmed_entries(o, yesterday)])
    # A three-day lead time for the bed; the lamp keeps the shop's default (7 days).
    assert call(client, "PUT", f"/products/{BED[0]}", cognito, {"leadTimeDays": 3}).data["leadTimeDays"] == 3

    page = admin_get(client, cognito, "/reports/reorder").data
    assert page["asOf"] == business_date(yesterday) and page["defaultLeadTimeDays"] == 7
    lines = {item["productId"]: item for item in page["items"]}
    # Created today, so averaged over the one day that counts: 6 a day, 20 available.
    bed, lamp = lines[BED[0]], lines["LAMP-2"]
    assert (bed["unitsSold"], bed["averageDailyUnits"], bed["daysOfCover"]) == (6, 6.0, 3.3)
    # The bed: 20 - 6x3 = 2 left when an order arrives; 6x14 = 84 wanted then: order 82.
    assert (bed["leadTimeDays"], bed["suggestedQuantity"], bed["status"]) == (3, 82, "reorder")
    # The lamp runs out before a 7-day delivery: urgent, order the whole target cover.
    assert (lamp["leadTimeDays"], lamp["suggestedQuantity"], lamp["status"]) == (7, 84, "urgent")
    assert page["items"][0]["productId"] == "LAMP-2"  # most urgent first

    # Back to the default with null; a bad lead time is a 400 naming the field.
    assert call(client, "PUT", f"/products/{BED[0]}", cognito, {"leadTimeDays": None}).data["leadTimeDays"] is None
    bad = call(client, "PUT", f"/products/{BED[0]}", cognito, {"leadTimeDays": 400})
    assert bad.status_code == 400 and bad.data["field"] == "leadTimeDays"
    assert json.dumps(page)  # the page is plain JSON
