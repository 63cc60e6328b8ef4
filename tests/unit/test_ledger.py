"""The sales ledger's pure parts: entry ids, day-sharded keys, the records each order event writes."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from chalicelib.orders import ledger
from chalicelib.orders.ledger import LedgerEntry, LedgerEvent, LedgerLine, LedgerOrder

AT = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)  # 11:30 in New York (the local stage's zone)

ORDER = LedgerOrder(
    order_id="ord-1",
    lines=[
        LedgerLine("493.857.51", "Bed frame", "east", 2, 1000),
        LedgerLine("704.894.50", "Mattress", "west", 1, 500),
    ],
    discount_cents=250,
    delivery_cents=499,
    delivery_method="CURBSIDE",
    promo_code="WELCOME10",
)


def test_entry_ids_are_deterministic_and_name_order_line_and_event() -> None:
    first = ledger.confirmed_entries(ORDER, AT)
    again = ledger.confirmed_entries(ORDER, AT)
    assert [e.entry_id for e in first] == [e.entry_id for e in again]
    assert [e.entry_id for e in first] == [
        "ord-1#1#SOLD",
        "ord-1#2#SOLD",
        "ord-1#order#DELIVERY",
        "ord-1#order#DISCOUNT",
    ]


def test_an_order_keeps_to_one_shard_of_its_business_day() -> None:
    entries = ledger.confirmed_entries(ORDER, AT) + ledger.cancelled_entries(
        ORDER, AT, reason="customer", was_confirmed=True
    )
    assert {e.day_shard for e in entries} == {f"2025-03-14#{ledger.shard_of('ord-1')}"}


def test_business_date_is_the_shops_day_not_utcs() -> None:
    late_evening_in_new_york = datetime(2025, 3, 15, 2, 0, tzinfo=UTC)  # 22:00 on the 14th in New York
    (failed,) = ledger.payment_failed_entries(ORDER, late_evening_in_new_york, reason="card_declined")
    assert failed.business_date == "2025-03-14"
    assert failed.day_shard.startswith("2025-03-14#")


def test_a_day_spreads_over_every_shard_and_is_read_by_one_key_per_shard() -> None:
    shards = {ledger.shard_of(f"order-{n}") for n in range(500)}
    assert shards == set(range(ledger.LEDGER_SHARDS))
    assert ledger.LEDGER_SHARDS > 1, "no whole day on one partition key"
    assert ledger.day_keys("2025-03-14") == [f"2025-03-14#{s}" for s in range(ledger.LEDGER_SHARDS)]


def test_shards_do_not_depend_on_the_process() -> None:
    # Fixed values: Python's salted str hash would give each process (each Lambda) other shards, and
    # a redelivered event would then land on another key, escaping the conditional put.
    assert [ledger.shard_of(order_id) for order_id in ("ord-1", "ord-2", "abc")] == [1, 3, 7]


def test_confirmation_records_gross_lines_delivery_and_discount() -> None:
    sold1, sold2, delivery, discount = ledger.confirmed_entries(ORDER, AT)
    assert (sold1.quantity, sold1.unit_price_cents, sold1.amount_cents) == (2, 1000, 2000)
    assert (sold2.quantity, sold2.amount_cents, sold2.warehouse_id) == (1, 500, "west")
    # 250 split 2000:500 -> 200 and 50
    assert (sold1.discount_cents, sold2.discount_cents) == (200, 50)
    assert delivery.amount_cents == 499 and delivery.line is None
    assert (discount.amount_cents, discount.promo_code) == (250, "WELCOME10")
    assert all(e.delivery_method == "CURBSIDE" for e in (sold1, sold2, delivery, discount))


def test_no_discount_record_without_discount_or_code() -> None:
    plain = LedgerOrder(
        "ord-2", [LedgerLine("p", "P", "main", 1, 100)], delivery_cents=0, delivery_method="SELF_SERVICE"
    )
    events = [e.event for e in ledger.confirmed_entries(plain, AT)]
    assert events == [LedgerEvent.SOLD, LedgerEvent.DELIVERY]


def test_a_full_refund_returns_exactly_what_was_paid() -> None:
    entries = ledger.cancelled_entries(ORDER, AT, reason="customer", was_confirmed=True)
    refunded = [e for e in entries if e.event is LedgerEvent.REFUNDED]
    paid = 2 * 1000 + 500 - 250 + 499
    assert sum(e.amount_cents for e in refunded) == paid == ORDER.total_cents
    assert [e.entry_id for e in refunded] == ["ord-1#1#REFUNDED", "ord-1#2#REFUNDED", "ord-1#order#REFUNDED"]
    cancelled = [e for e in entries if e.event is LedgerEvent.CANCELLED]
    assert [e.entry_id for e in cancelled] == ["ord-1#1#CANCELLED", "ord-1#2#CANCELLED", "ord-1#order#CANCELLED"]
    assert cancelled[-1].amount_cents == paid and all(e.reason == "customer" for e in entries)


def test_cancelling_before_confirmation_refunds_no_sale() -> None:
    entries = ledger.cancelled_entries(ORDER, AT, reason="customer", was_confirmed=False)
    assert {e.event for e in entries} == {LedgerEvent.CANCELLED}


@pytest.mark.parametrize(
    ("gross", "discount", "expected"),
    [
        ([2000, 500], 250, [200, 50]),
        ([100, 100, 100], 100, [34, 33, 33]),  # the remainder cent goes to the earlier line
        ([1, 1], 5, [1, 1]),  # never more than the lines are worth
        ([0, 0], 10, [0, 0]),
        ([300, 700], 0, [0, 0]),
    ],
)
def test_discount_shares(gross: list[int], discount: int, expected: list[int]) -> None:
    assert ledger.discount_shares(gross, discount) == expected


def test_discount_shares_always_add_up() -> None:
    rng = random.Random(7)
    for _ in range(500):
        gross = [rng.randint(0, 10_000) for _ in range(rng.randint(1, 8))]
        discount = rng.randint(0, sum(gross))
        shares = ledger.discount_shares(gross, discount)
        assert sum(shares) == (discount if sum(gross) else 0)
        assert all(0 <= s <= g for s, g in zip(shares, gross, strict=True))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"event": "SOLD"}, "line event"),
        ({"event": "DELIVERY", "line": 1, "product_id": "p", "warehouse_id": "w"}, "order-level"),
        ({"event": "SOLD", "line": 1, "warehouse_id": "w"}, "product_id"),
        ({"event": "DELIVERY", "amount_cents": -1}, "amount_cents"),
        ({"event": "DELIVERY", "quantity": 1.5}, "quantity"),
        ({"event": "SHIPPED"}, "SHIPPED"),
    ],
)
def test_malformed_entries_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LedgerEntry(order_id="o", occurred_at=AT, business_date="2025-03-14", **fields)  # type: ignore[arg-type]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        LedgerEntry("o", LedgerEvent.DELIVERY, datetime(2025, 3, 14, 12), "2025-03-14")


def test_without_duplicates_is_order_independent() -> None:
    entries = ledger.confirmed_entries(ORDER, AT)
    shuffled = entries * 3
    random.Random(1).shuffle(shuffled)
    assert ledger.without_duplicates(shuffled) == ledger.without_duplicates(entries)
    assert len(ledger.without_duplicates(shuffled)) == 4
