"""The sales ledger table: idempotent writes, a day read back by one Query per shard (no Scan), no
whole day on one partition key, and a report built from what was read (PynamoDB's query iterator
follows the pages of a shard past 1 MB)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3

from bench.aws_calls import count_aws_calls
from chalicelib.backoffice.reports import build_daily_report
from chalicelib.orders import ledger
from chalicelib.orders.ledger import LedgerLine, LedgerOrder
from tests.integration.conftest import env

NOON_NY = datetime(2025, 3, 14, 16, tzinfo=UTC)


def order(n: int) -> LedgerOrder:
    return LedgerOrder(
        f"order-{n:03d}",
        [LedgerLine("493.857.51", "Bed frame", "east", 1 + n % 3, 1000), LedgerLine("LAMP-1", "Lamp", "west", 1, 250)],
        discount_cents=100 if n % 4 == 0 else 0,
        delivery_cents=499,
        delivery_method="CURBSIDE",
        promo_code="WELCOME10" if n % 4 == 0 else None,
    )


def test_writes_are_idempotent_and_a_day_is_read_by_queries(aws: None) -> None:
    orders = [order(n) for n in range(40)]
    entries = [e for o in orders for e in ledger.confirmed_entries(o, NOON_NY + timedelta(minutes=o.lines[0].quantity))]
    entries += ledger.cancelled_entries(orders[0], NOON_NY + timedelta(hours=2), reason="customer", was_confirmed=True)
    # Another day, which must not be read with this one.
    entries += ledger.confirmed_entries(order(99), NOON_NY + timedelta(days=1))

    assert ledger.record(entries) == len(entries)
    assert ledger.record(entries) == 0  # a redelivered event writes nothing new
    late = ledger.confirmed_entries(order(41), NOON_NY)
    assert ledger.record(entries[:5] + late) == len(late) == 3  # only the new ones

    table = boto3.client("dynamodb")
    items = table.scan(TableName=env("SALES_LEDGER_TABLE"))["Items"]
    assert len(items) == len(entries) + len(late)
    per_key = Counter(item["day_shard"]["S"] for item in items if item["day_shard"]["S"].startswith("2025-03-14#"))
    assert len(per_key) == ledger.LEDGER_SHARDS  # the day is spread over every shard
    assert max(per_key.values()) < sum(per_key.values()) / 2

    with count_aws_calls() as calls:
        day = ledger.read_day("2025-03-14")
    assert calls["dynamodb.Query"] == ledger.LEDGER_SHARDS and calls["dynamodb.Scan"] == 0
    expected = [e for e in entries if e.business_date == "2025-03-14"] + late
    assert sorted(e.entry_id for e in day) == sorted(e.entry_id for e in expected)
    assert {e.entry_id: e for e in day} == {e.entry_id: e for e in expected}  # every field read back as written

    report = build_daily_report("2025-03-14", day, timezone="America/New_York", currency="USD").to_dict()
    confirmed = [*orders, order(41)]
    gross = sum(o.subtotal_cents for o in confirmed)
    discounts = sum(o.discount_cents for o in confirmed)
    delivery = sum(o.delivery_cents for o in confirmed)
    assert report["revenue"] == {
        "grossCents": gross,
        "discountCents": discounts,
        "deliveryCents": delivery,
        "refundCents": orders[0].total_cents,
        "netCents": gross - discounts + delivery - orders[0].total_cents,
    }
    assert report["orders"] == 41
    # Rebuilding from a second read gives the same report.
    again = build_daily_report("2025-03-14", ledger.read_day("2025-03-14"), timezone="America/New_York", currency="USD")
    assert again.to_dict() == report
