"""The daily report over 10,000 sales-ledger records of one day: what reading the day costs in
DynamoDB (Queries and read units, from the key design and the items' sizes), the aggregation, and
each rendering (median of several runs)."""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

RECORDS = 10_000


def _median_ms(work: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def _entries(records: int) -> list[Any]:
    from chalicelib.orders import ledger
    from chalicelib.orders.ledger import LedgerLine, LedgerOrder

    rng = random.Random(10_000)
    products = [(f"{n:03d}.{n * 7 % 1000:03d}.{n % 100:02d}", f"Product {n}") for n in range(300)]
    entries: list[Any] = []
    n = 0
    while len(entries) < records:
        lines = [
            LedgerLine(
                *rng.choice(products),
                rng.choice(["east", "west", "central"]),
                rng.randint(1, 3),
                rng.randint(100, 20_000),
            )
            for _ in range(rng.randint(1, 4))
        ]
        promo = rng.random() < 0.2
        order = LedgerOrder(
            f"bench-{n:06d}",
            lines,
            sum(x.gross_cents for x in lines) // 10 if promo else 0,
            rng.choice([0, 499, 1999]),
            rng.choice(["SELF_SERVICE", "CURBSIDE", "IN_DOOR"]),
            "WELCOME10" if promo else None,
        )
        at = datetime(2025, 3, 14, 4, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 86_000))  # the day in New York
        fate = rng.random()
        if fate < 0.05:
            entries += ledger.payment_failed_entries(order, at, reason="card_declined")
        else:
            entries += ledger.confirmed_entries(order, at)
            if fate > 0.97:
                entries += ledger.cancelled_entries(
                    order, at + timedelta(minutes=1), reason="customer", was_confirmed=True
                )
        n += 1
    return entries[:records]


def _item_bytes(entry: Any) -> int:
    """DynamoDB's size of the item: attribute names plus values (numbers: about 1 byte per 2 digits)."""
    from chalicelib.orders.ledger import to_record

    size = 0
    for name, typed in to_record(entry).serialize().items():
        ((kind, value),) = typed.items()
        size += len(name.encode()) + (len(str(value)) // 2 + 1 if kind == "N" else len(str(value).encode()))
    return size


def _read_cost(entries: list[Any]) -> tuple[int, int, int]:
    """(Queries, strongly consistent read units, bytes) to read the day: one Query per shard and
    1 MB page, 1 RCU per 4 KB of each page (rounded up per page)."""
    from chalicelib.orders import ledger

    per_shard: dict[str, list[int]] = {key: [] for key in ledger.day_keys("2025-03-14")}
    for entry in entries:
        per_shard[entry.day_shard].append(_item_bytes(entry))
    queries = units = 0
    for sizes in per_shard.values():
        pages = [0]
        for size in sizes:
            if pages[-1] + size > 1024 * 1024:
                pages.append(0)
            pages[-1] += size
        queries += len(pages)
        units += sum(max(1, -(-page // 4096)) for page in pages)
    return queries, units, sum(sum(s) for s in per_shard.values())


def report_build(records: int = RECORDS, runs: int = 5) -> dict[str, Any]:
    """No emulator: moto's Query over 10,000 items says nothing about DynamoDB's speed, so the read is
    costed from the key design and item sizes instead (requests, read units)."""
    from chalicelib.backoffice import report_render as rr
    from chalicelib.backoffice.reports import build_daily_report

    entries = _entries(records)
    queries, units, volume = _read_cost(entries)

    def build() -> dict[str, Any]:
        return build_daily_report("2025-03-14", entries, timezone="America/New_York", currency="USD").to_dict()

    report = build()
    assert report["ledgerEntries"] == records, "every record belongs to the day"
    pdf = rr.render_pdf(report, shop_name="Bench")
    pngs = rr.render_chart_pngs(report)
    return {
        "ledger_records": report["ledgerEntries"],
        "orders_in_report": report["orders"],
        "read_day_queries": queries,
        "read_day_read_units_consistent": units,
        "read_day_kib": round(volume / 1024, 1),
        "build_ms_median": _median_ms(build, runs),
        "render_json_ms_median": _median_ms(lambda: rr.render_json(report), runs),
        "render_csv_ms_median": _median_ms(lambda: rr.render_csv(report), runs),
        "render_pdf_ms_median": _median_ms(lambda: rr.render_pdf(report, shop_name="Bench"), runs),
        "render_pngs_ms_median": _median_ms(lambda: rr.render_chart_pngs(report), runs),
        "render_email_ms_median": _median_ms(
            lambda: rr.render_email(
                report,
                shop_name="Bench",
                sender="s@example.com",
                recipients=["a@example.com"],
                report_url="https://example.com",
                pdf=pdf,
                pngs=pngs,
            ),
            runs,
        ),
        "pdf_bytes": len(pdf),
        "png_bytes": {name: len(png) for name, png in pngs.items()},
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }
