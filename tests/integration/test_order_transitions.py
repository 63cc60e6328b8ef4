"""The guarded status write against moto: history kept, repeats recognised, races decided."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.db import Cancelled, transact
from chalicelib.core.errors import Conflict, InvalidTransition, NotFound
from chalicelib.orders.status import OrderStatus
from chalicelib.orders.transitions import add_to_transaction, apply_transition, explain_refusal
from chalicelib.shop.models import Order

pytestmark = pytest.mark.usefixtures("empty_tables")
TABLES = [Order]
PLACED_AT = datetime(2025, 3, 3, 19, 5, tzinfo=UTC)


def place(order_id: str = "o-1", status: str = "PLACED") -> None:
    """An order as checkout leaves it (the fields the shop's Order model has today)."""
    from chalicelib.shop.models import OrderLine, StatusChange

    Order(
        order_id,
        kind="shop",
        customer_id="guest:ann@example.com",
        lines=[OrderLine(product_id="p-1", warehouse_id="east", quantity=2, unit_price_cents=500)],  # type: ignore[no-untyped-call]
        status=status,
        status_history=[StatusChange(status=status, at=PLACED_AT, by="user:ann@example.com")],  # type: ignore[no-untyped-call]
        order_date="2025-03-03",
        created_at=PLACED_AT,
        created_by="user:ann@example.com",
    ).save()


def history(order_id: str = "o-1") -> list[tuple[str, str]]:
    order = Order.get(order_id, consistent_read=True)
    return [(str(c.status), str(c.by)) for c in order.status_history]


def test_the_happy_path_keeps_the_history_with_time_and_actor() -> None:
    place()
    at = datetime(2025, 3, 3, 19, 6, tzinfo=UTC)
    paid = apply_transition("o-1", OrderStatus.PAID, actor="workflow", at=at)
    assert (paid.previous, paid.status, paid.changed, paid.at) == ("PLACED", "PAID", True, at)
    apply_transition("o-1", "CONFIRMED", actor="workflow")
    apply_transition("o-1", "SHIPPED", actor="user:admin@example.com")
    apply_transition("o-1", "DELIVERED", actor="user:admin@example.com")
    assert history() == [
        ("PLACED", "user:ann@example.com"),
        ("PAID", "workflow"),
        ("CONFIRMED", "workflow"),
        ("SHIPPED", "user:admin@example.com"),
        ("DELIVERED", "user:admin@example.com"),
    ]
    stamps = [c.at for c in Order.get("o-1").status_history]
    assert stamps[1] == at and stamps == sorted(stamps)


def test_a_repeated_transition_is_recognised_as_done_and_writes_nothing() -> None:
    place()
    at = datetime(2025, 3, 3, 19, 6, tzinfo=UTC)
    apply_transition("o-1", "PAID", actor="workflow", at=at)
    again = apply_transition("o-1", "PAID", actor="workflow")
    assert (again.changed, again.previous, again.at) == (False, "PAID", at)
    assert history() == [("PLACED", "user:ann@example.com"), ("PAID", "workflow")]


def test_forbidden_moves_are_refused_naming_the_statuses() -> None:
    place()
    with pytest.raises(InvalidTransition) as refused:
        apply_transition("o-1", "SHIPPED", actor="user:admin@example.com")
    assert refused.value.to_dict() == {
        "error": "InvalidTransition",
        "message": "an order that is PLACED cannot become SHIPPED (allowed from: CONFIRMED)",
        "current": "PLACED",
        "target": "SHIPPED",
    }
    apply_transition("o-1", "PAYMENT_FAILED", actor="workflow")
    with pytest.raises(InvalidTransition):
        apply_transition("o-1", "CANCELLED", actor="user:ann@example.com")
    assert [s for s, _ in history()] == ["PLACED", "PAYMENT_FAILED"]


def test_staff_orders_and_unknown_orders() -> None:
    place("staff", status="FULFILLED")
    with pytest.raises(InvalidTransition):
        apply_transition("staff", "CANCELLED", actor="user:admin@example.com")
    with pytest.raises(NotFound):
        apply_transition("nope", "PAID", actor="workflow")


def test_extra_actions_ride_in_the_same_write_and_an_extra_condition_narrows_it() -> None:
    place()
    apply_transition("o-1", "PAID", actor="workflow", extra_actions=[Order.created_by.set("checkout")])
    assert Order.get("o-1").created_by == "checkout"
    with pytest.raises(Conflict, match="changed meanwhile"):
        apply_transition("o-1", "CONFIRMED", actor="workflow", extra_condition=Order.kind == "inventory")
    assert Order.get("o-1").status == "PAID"


def test_inside_a_transaction() -> None:
    place()
    at = datetime(2025, 3, 3, 20, 0, tzinfo=UTC)
    transact(lambda tx: add_to_transaction(tx, "o-1", "CANCELLED", actor="user:ann@example.com", at=at))
    assert [s for s, _ in history()] == ["PLACED", "CANCELLED"]
    with pytest.raises(Cancelled):
        transact(lambda tx: add_to_transaction(tx, "o-1", "CANCELLED", actor="user:ann@example.com", at=at))
    assert explain_refusal("o-1", "CANCELLED").changed is False
    with pytest.raises(InvalidTransition):
        explain_refusal("o-1", "PAID")


@pytest.mark.usefixtures("serialized")
@pytest.mark.parametrize(
    ("start", "contenders"),
    [
        (["PAID", "CONFIRMED"], ["SHIPPED", "CANCELLED"]),  # the admin ships while the customer cancels
        ([], ["PAYMENT_FAILED", "CANCELLED"]),  # the workflow gives up while the customer cancels
    ],
)
def test_racing_transitions_end_in_exactly_one_outcome(start: list[str], contenders: list[str]) -> None:
    from chalicelib.orders.status import can_move

    for n in range(4):
        order_id = f"race-{n}"
        place(order_id)
        for status in start:
            apply_transition(order_id, status, actor="workflow")
        barrier = threading.Barrier(len(contenders))

        def attempt(target: str, order_id: str = order_id, barrier: threading.Barrier = barrier) -> Any:
            barrier.wait()
            try:
                return apply_transition(order_id, target, actor=target.lower())
            except InvalidTransition as exc:
                return exc

        with ThreadPoolExecutor(len(contenders)) as pool:
            results = list(pool.map(attempt, contenders))
        winners = [r for r in results if not isinstance(r, Exception)]
        assert len(winners) == 1, results
        statuses = [s for s, _ in history(order_id)]
        assert statuses == ["PLACED", *start, str(winners[0].status)]
        assert all(can_move(a, b) for a, b in itertools.pairwise(statuses))
