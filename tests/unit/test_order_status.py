"""The order state machine (pure)."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.core.errors import InvalidTransition
from chalicelib.orders.status import (
    FINAL,
    Decision,
    OrderStatus,
    allowed_sources,
    can_move,
    decide,
    is_at_or_past,
    next_statuses,
)

S = OrderStatus
ALLOWED = {
    (S.PLACED, S.PAID),
    (S.PAID, S.CONFIRMED),
    (S.CONFIRMED, S.SHIPPED),
    (S.SHIPPED, S.DELIVERED),
    (S.PLACED, S.PAYMENT_FAILED),
    (S.PLACED, S.CANCELLED),
    (S.PAID, S.CANCELLED),
    (S.CONFIRMED, S.CANCELLED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(OrderStatus, OrderStatus)))
def test_exactly_the_documented_transitions_are_allowed(current: OrderStatus, target: OrderStatus) -> None:
    assert can_move(current, target) == ((current, target) in ALLOWED)
    if current == target:
        assert decide(current, target) is Decision.ALREADY
    elif (current, target) in ALLOWED:
        assert decide(current, target) is Decision.APPLY
    else:
        with pytest.raises(InvalidTransition) as refused:
            decide(current, target)
        assert refused.value.status == 409
        assert refused.value.to_dict()["current"] == current and refused.value.to_dict()["target"] == target


def test_final_statuses_lead_nowhere() -> None:
    assert {S.DELIVERED, S.PAYMENT_FAILED, S.CANCELLED} == FINAL
    for status in FINAL:
        assert next_statuses(status) == frozenset()
    assert next_statuses("PLACED") == {S.PAID, S.PAYMENT_FAILED, S.CANCELLED}


def test_orders_outside_the_machine_cannot_move() -> None:
    """A staff stock withdrawal is FULFILLED when placed: no transition applies to it."""
    assert not can_move("FULFILLED", S.CANCELLED)
    assert next_statuses("FULFILLED") == frozenset()
    with pytest.raises(InvalidTransition, match="FULFILLED cannot become CANCELLED"):
        decide("FULFILLED", S.CANCELLED)


def test_only_checkout_creates_placed_orders() -> None:
    assert allowed_sources(S.PLACED) == frozenset()
    with pytest.raises(InvalidTransition, match="only checkout creates orders"):
        decide(S.PAID, S.PLACED)


def test_at_or_past_follows_the_happy_path_only() -> None:
    assert is_at_or_past(S.CONFIRMED, S.PAID)
    assert is_at_or_past(S.PAID, S.PAID)
    assert is_at_or_past(S.DELIVERED, S.PLACED)
    assert not is_at_or_past(S.PLACED, S.PAID)
    # A cancelled order is not "past PAID": the workflow must not carry on as if it were.
    assert not is_at_or_past(S.CANCELLED, S.PAID)
    assert not is_at_or_past(S.PAYMENT_FAILED, S.PAID)
    assert not is_at_or_past("FULFILLED", S.PAID)
