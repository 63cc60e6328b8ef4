"""The daily report's arithmetic: a day with known orders, cancels, refunds and payment failures, its
figures worked out by hand; the same figures computed from the orders themselves for random days;
idempotency (order, duplicates, other days)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from chalicelib.backoffice.reorder import DailyUnits, ReorderPolicy, StockPosition, suggest_reorders
from chalicelib.backoffice.reports import LowStockItem, build_daily_report
from chalicelib.orders import ledger
from chalicelib.orders.ledger import LedgerEntry, LedgerLine, LedgerOrder

TZ = "America/New_York"
DAY = "2025-03-14"  # EDT (UTC-4) since March 9


def local(hour: int, minute: int = 0, day: int = 14) -> datetime:
    """A moment given in New York time on March `day`, as UTC."""
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC) + timedelta(hours=4)


P1, P2, P3 = ("493.857.51", "Bed frame"), ("704.894.50", "Mattress"), ("LAMP-1", "Lamp")


def line(product: tuple[str, str], warehouse: str, quantity: int, price: int) -> LedgerLine:
    return LedgerLine(product[0], product[1], warehouse, quantity, price)


A = LedgerOrder("A", [line(P1, "east", 2, 1000), line(P2, "west", 1, 500)], 250, 499, "CURBSIDE", "WELCOME10")
B = LedgerOrder("B", [line(P1, "east", 1, 1000)], 0, 0, "SELF_SERVICE")
C = LedgerOrder("C", [line(P3, "east", 5, 300)], 150, 999, "IN_DOOR", "WELCOME10")
D = LedgerOrder("D", [line(P2, "west", 2, 500)], 0, 499, "CURBSIDE")  # confirmed the day before
E = LedgerOrder("E", [line(P1, "east", 1, 1000)], 0, 0, "SELF_SERVICE")  # cancelled before confirmation
F = LedgerOrder("F", [line(P3, "east", 1, 300)], 0, 499, "CURBSIDE")
G = LedgerOrder("G", [line(P3, "east", 2, 300)], 0, 0, "SELF_SERVICE")
H = LedgerOrder("H", [line(P3, "east", 1, 300)], 0, 0, "SELF_SERVICE")


def the_day() -> list[LedgerEntry]:
    return [
        *ledger.confirmed_entries(A, local(9, 15)),
        *ledger.confirmed_entries(B, local(9, 40)),
        *ledger.confirmed_entries(C, local(14, 5)),
        *ledger.cancelled_entries(D, local(16), reason="damaged", was_confirmed=True),
        *ledger.cancelled_entries(E, local(10), reason="customer", was_confirmed=False),
        # 20:00 in New York is already the 15th in UTC: still the 14th's business.
        *ledger.cancelled_entries(B, local(20), reason="customer", was_confirmed=True),
        *ledger.payment_failed_entries(F, local(11), reason="card_declined"),
        *ledger.payment_failed_entries(G, local(11, 30), reason="card_declined"),
        *ledger.payment_failed_entries(H, local(12), reason="insufficient_funds"),
    ]


def report(entries: list[LedgerEntry], **kwargs: object) -> dict[str, object]:
    return build_daily_report(DAY, entries, timezone=TZ, currency="USD", **kwargs).to_dict()  # type: ignore[arg-type]


def test_a_known_day_matches_figures_worked_out_by_hand() -> None:
    r = report(the_day(), earlier_net_cents={"2025-03-13": 1200, "2025-03-01": 50, "2025-02-28": 999})

    # gross: A 2x1000 + 500, B 1000, C 5x300 = 5000; discounts A 250 + C 150; delivery 499 + 0 + 999;
    # refunds: D 2x500 + its 499 delivery, B 1000 + 0 delivery = 2499.
    assert r["revenue"] == {
        "grossCents": 5000,
        "discountCents": 400,
        "deliveryCents": 1498,
        "refundCents": 2499,
        "netCents": 5000 - 400 + 1498 - 2499,
    }
    assert r["orders"] == 3  # A, B, C were confirmed; B's later refund does not unconfirm it
    assert r["units"] == 9
    assert r["averageOrderValueCents"] == 1533  # (5000 - 400) / 3 = 1533.33
    assert r["topProducts"] == [
        {"productId": "LAMP-1", "productName": "Lamp", "units": 5, "grossCents": 1500, "orders": 1},
        {"productId": "493.857.51", "productName": "Bed frame", "units": 3, "grossCents": 3000, "orders": 2},
        {"productId": "704.894.50", "productName": "Mattress", "units": 1, "grossCents": 500, "orders": 1},
    ]
    assert r["byWarehouse"] == [
        {"warehouseId": "east", "orders": 3, "units": 8, "grossCents": 4500},
        {"warehouseId": "west", "orders": 1, "units": 1, "grossCents": 500},
    ]
    assert r["byDeliveryMethod"] == [
        {"deliveryMethod": "CURBSIDE", "orders": 1, "grossCents": 2500, "deliveryCents": 499},
        {"deliveryMethod": "IN_DOOR", "orders": 1, "grossCents": 1500, "deliveryCents": 999},
        {"deliveryMethod": "SELF_SERVICE", "orders": 1, "grossCents": 1000, "deliveryCents": 0},
    ]
    assert r["promoCodes"] == [{"promoCode": "WELCOME10", "orders": 2, "discountCents": 400}]
    assert r["cancellations"] == {
        "orders": 3,  # D, E, B
        "units": 4,
        "valueCents": 1499 + 1000 + 1000,
        "reasons": [{"reason": "customer", "orders": 2}, {"reason": "damaged", "orders": 1}],
    }
    assert r["refunds"] == {"orders": 2, "units": 3, "amountCents": 2499}
    assert r["paymentFailures"] == {
        "orders": 3,
        "amountCents": 799 + 600 + 300,
        "reasons": [{"reason": "card_declined", "orders": 2}, {"reason": "insufficient_funds", "orders": 1}],
    }
    hours = r["salesByHour"]
    assert isinstance(hours, list) and len(hours) == 24
    assert hours[9] == {"hour": 9, "orders": 2, "grossCents": 3500}
    assert hours[14] == {"hour": 14, "orders": 1, "grossCents": 1500}
    assert sum(h["grossCents"] for h in hours) == 5000
    series = r["last14Days"]
    assert isinstance(series, list) and len(series) == 14
    assert series[0] == {"date": "2025-03-01", "netCents": 50}
    assert series[12] == {"date": "2025-03-13", "netCents": 1200}
    assert series[13] == {"date": "2025-03-14", "netCents": 3599}
    assert [s["netCents"] for s in series[1:12]] == [None] * 11  # no report is not "no sales"
    assert r["productSales"] == [
        {"productId": "493.857.51", "productName": "Bed frame", "warehouseId": "east", "units": 3, "grossCents": 3000},
        {"productId": "704.894.50", "productName": "Mattress", "warehouseId": "west", "units": 1, "grossCents": 500},
        {"productId": "LAMP-1", "productName": "Lamp", "warehouseId": "east", "units": 5, "grossCents": 1500},
    ]


def test_same_entries_in_any_order_and_with_duplicates_give_the_same_report() -> None:
    entries = the_day()
    expected = report(entries)
    rng = random.Random(11)
    for _ in range(5):
        noisy = entries + rng.sample(entries, k=len(entries) // 2)
        rng.shuffle(noisy)
        assert report(noisy) == expected
    assert report(entries)["ledgerEntries"] == len(entries)


def test_other_days_entries_are_not_this_days() -> None:
    yesterday = ledger.confirmed_entries(LedgerOrder("Y", [line(P1, "east", 9, 1000)]), local(12, day=13))
    tomorrow = ledger.confirmed_entries(LedgerOrder("T", [line(P1, "east", 9, 1000)]), local(0, 30, day=15))
    assert report(the_day() + yesterday + tomorrow) == report(the_day())


def test_late_events_are_counted_by_a_rebuild() -> None:
    before = report(the_day())
    late = ledger.confirmed_entries(LedgerOrder("Z", [line(P2, "west", 1, 500)], 0, 0, "CURBSIDE"), local(23, 59))
    after = report(the_day() + late)
    assert after["orders"] == before["orders"] + 1  # type: ignore[operator]
    assert after["revenue"]["netCents"] == before["revenue"]["netCents"] + 500  # type: ignore[index]
    assert after["fingerprint"] != before["fingerprint"]


def test_an_empty_day() -> None:
    r = report([])
    assert r["revenue"] == {"grossCents": 0, "discountCents": 0, "deliveryCents": 0, "refundCents": 0, "netCents": 0}
    assert (r["orders"], r["units"], r["averageOrderValueCents"], r["topProducts"]) == (0, 0, 0, [])
    assert r["last14Days"][-1] == {"date": DAY, "netCents": 0}  # type: ignore[index]


def test_hours_are_the_shops_wall_clock_hours_even_when_clocks_go_back() -> None:
    # 2025-11-02: New York goes from 01:59 EDT back to 01:00 EST. 05:30 and 06:30 UTC are both 1:30.
    first = ledger.confirmed_entries(
        LedgerOrder("X1", [line(P1, "east", 1, 100)]), datetime(2025, 11, 2, 5, 30, tzinfo=UTC)
    )
    second = ledger.confirmed_entries(
        LedgerOrder("X2", [line(P1, "east", 1, 100)]), datetime(2025, 11, 2, 6, 30, tzinfo=UTC)
    )
    r = build_daily_report("2025-11-02", first + second, timezone=TZ, currency="USD").to_dict()
    assert r["salesByHour"][1] == {"hour": 1, "orders": 2, "grossCents": 200}


def test_low_stock_and_only_the_reorder_suggestions_that_call_for_an_order() -> None:
    as_of = datetime(2025, 3, 14).date()
    sales = [DailyUnits(as_of - timedelta(days=n), "P", "east", 2) for n in range(28)]
    suggestions = suggest_reorders(
        [StockPosition("P", "east", 3, "Pen"), StockPosition("Q", "east", 50, "Quill")],
        sales,
        as_of=as_of,
        policy=ReorderPolicy(),
    )
    low = [LowStockItem("P", "Pen", "east", 3, 5), LowStockItem("R", "Ruler", "west", 0, 10)]
    r = report([], low_stock=low, reorder=suggestions)
    assert [i["productId"] for i in r["lowStock"]] == ["R", "P"]  # type: ignore[union-attr]  # furthest below first
    assert [s["productId"] for s in r["reorder"]] == ["P"]  # type: ignore[union-attr]  # Q has no sales
    assert r["reorder"][0]["suggestedQuantity"] == 28  # type: ignore[index]


def test_random_days_match_figures_computed_from_the_orders() -> None:
    """Independent arithmetic: from the orders (what was confirmed, refunded, ...), not the entries."""
    rng = random.Random(2025)
    products = [(f"P{n}", f"Product {n}") for n in range(6)]
    for _ in range(20):
        entries: list[LedgerEntry] = []
        confirmed: list[LedgerOrder] = []
        refunded: list[LedgerOrder] = []
        failed: list[LedgerOrder] = []
        for n in range(rng.randint(0, 30)):
            lines = [
                line(rng.choice(products), rng.choice(["east", "west"]), rng.randint(1, 4), rng.randint(1, 5000))
                for _ in range(rng.randint(1, 4))
            ]
            subtotal = sum(x.quantity * x.unit_price_cents for x in lines)
            order = LedgerOrder(
                f"o{n}",
                lines,
                rng.choice([0, subtotal // 10]),
                rng.choice([0, 499, 999]),
                rng.choice(["CURBSIDE", "IN_DOOR"]),
            )
            at = local(rng.randint(0, 22), rng.randint(0, 59))  # + 1 minute stays on the day
            fate = rng.random()
            if fate < 0.15:
                failed.append(order)
                entries += ledger.payment_failed_entries(order, at, reason="card_declined")
                continue
            confirmed.append(order)
            entries += ledger.confirmed_entries(order, at)
            if fate > 0.85:
                refunded.append(order)
                entries += ledger.cancelled_entries(
                    order, at + timedelta(minutes=1), reason="customer", was_confirmed=True
                )
        r = report(entries)
        gross = sum(o.subtotal_cents for o in confirmed)
        discounts = sum(o.discount_cents for o in confirmed)
        delivery = sum(o.delivery_cents for o in confirmed)
        refunds = sum(o.total_cents for o in refunded)
        assert r["revenue"] == {
            "grossCents": gross,
            "discountCents": discounts,
            "deliveryCents": delivery,
            "refundCents": refunds,
            "netCents": gross - discounts + delivery - refunds,
        }
        assert r["orders"] == len(confirmed)
        assert r["units"] == sum(x.quantity for o in confirmed for x in o.lines)
        expected_aov = round((gross - discounts) / len(confirmed)) if confirmed else 0
        assert abs(r["averageOrderValueCents"] - expected_aov) <= 1  # type: ignore[operator]  # round() is half-even
        assert r["paymentFailures"]["orders"] == len(failed)  # type: ignore[index]
        assert r["refunds"]["orders"] == len(refunded)  # type: ignore[index]
        assert r["cancellations"]["orders"] == len(refunded)  # type: ignore[index]
        assert sum(w["grossCents"] for w in r["byWarehouse"]) == gross  # type: ignore[union-attr]
        assert sum(h["grossCents"] for h in r["salesByHour"]) == gross  # type: ignore[union-attr]
        assert sum(m["orders"] for m in r["byDeliveryMethod"]) == len(confirmed)  # type: ignore[union-attr]
