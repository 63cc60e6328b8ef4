"""Stripe's test card numbers -> the gateway's tokens (pure); no number ever echoed."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.core.errors import ValidationError
from chalicelib.orders.payments import PERMANENT_ERROR_NAMES, TRANSIENT_ERROR_NAMES
from chalicelib.shop.payment_cards import (
    CARDS,
    DEFAULT_TOKEN,
    TOKENS,
    Behaviour,
    card_table,
    decline_message,
    luhn_valid,
    tokenize_test_card,
)

TODAY = date(2026, 5, 17)


def tokenize(number: str, **changes: object) -> object:
    args: dict[str, object] = {"exp_month": 12, "exp_year": 2030, "cvc": "123", "today": TODAY}
    args.update(changes)
    return tokenize_test_card(number, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "token"),
    [
        ("4242 4242 4242 4242", "tok_visa"),
        ("4000-0000-0000-0002", "tok_chargeDeclined"),
        ("4000000000009995", "tok_chargeDeclinedInsufficientFunds"),
        ("4000000000000119", "tok_processingError"),
        ("5555555555554444", "tok_mastercard"),
    ],
)
def test_stripe_numbers_map_to_tokens(number: str, token: str) -> None:
    card = tokenize(number)
    assert card.token == token  # type: ignore[attr-defined]
    assert card.last4 == number[-4:]  # type: ignore[attr-defined]


def test_every_mapped_number_is_a_valid_card_with_a_known_token() -> None:
    for number, token in CARDS.items():
        assert luhn_valid(number), number
        assert token in TOKENS
    assert {"tok_visa", "tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds"} <= set(TOKENS)
    assert TOKENS[DEFAULT_TOKEN].behaviour is Behaviour.SUCCEED
    assert TOKENS["tok_processingError"].behaviour is Behaviour.PROCESSING_ERROR
    assert TOKENS["tok_timeout"].behaviour is Behaviour.TIMEOUT
    assert all(t.decline_code for t in TOKENS.values() if t.behaviour is Behaviour.DECLINE)


def test_amex_needs_four_cvc_digits() -> None:
    assert tokenize("378282246310005", cvc="1234").brand == "American Express"  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="4 digits"):
        tokenize("378282246310005", cvc="123")


@pytest.mark.parametrize(
    ("number", "changes", "field"),
    [
        ("4242 4242", {}, "cardNumber"),
        ("4242424242424241", {}, "cardNumber"),  # Luhn fails
        ("4111111111111111", {}, "cardNumber"),  # valid, but not one of Stripe's test numbers
        ("4242424242424242", {"exp_month": 13}, "expMonth"),
        ("4242424242424242", {"exp_year": 2026, "exp_month": 4}, "expYear"),  # expired last month
        ("4242424242424242", {"exp_year": True}, "expYear"),
        ("4242424242424242", {"cvc": "12a"}, "cvc"),
    ],
)
def test_bad_cards_name_the_field_and_never_the_number(number: str, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as bad:
        tokenize(number, **changes)
    assert bad.value.details["field"] == field
    digits = number.replace(" ", "")
    assert digits not in str(bad.value.to_dict()) and digits[-8:] not in bad.value.message


def test_this_month_and_two_digit_years_are_accepted() -> None:
    assert tokenize("4242424242424242", exp_year=26, exp_month=5).token == "tok_visa"  # type: ignore[attr-defined]


def test_decline_messages_hide_lost_and_stolen() -> None:
    assert decline_message("insufficient_funds") == "Your card has insufficient funds."
    assert decline_message("stolen_card") == decline_message("lost_card") == "Your card was declined."
    assert decline_message("something_new") == "Your card was declined."


def test_error_names_for_the_asl() -> None:
    assert TRANSIENT_ERROR_NAMES == ("PaymentProcessingError", "PaymentGatewayTimeout")
    assert "PaymentDeclined" in PERMANENT_ERROR_NAMES and "UnknownPaymentToken" in PERMANENT_ERROR_NAMES
    assert not set(TRANSIENT_ERROR_NAMES) & set(PERMANENT_ERROR_NAMES)


def test_the_served_table_is_the_mapping_the_gateway_uses() -> None:
    """`GET /payments/test-cards` (the storefront's card form) serves exactly CARDS and TOKENS: a
    number the form maps to a token is one `tokenize_test_card` maps to the same token, with the
    security code length it wants; every token is offered, `tok_timeout` without a number."""
    table = card_table()
    assert table["mode"] == "test" and table["defaultToken"] == DEFAULT_TOKEN
    cards = table["cards"]
    assert isinstance(cards, list) and {c["number"]: c["token"] for c in cards} == CARDS
    for card in cards:
        cvc = "1234"[: card["cvcLength"]]
        tokenized = tokenize(card["number"], cvc=cvc)
        assert (tokenized.token, tokenized.brand, tokenized.last4) == (  # type: ignore[attr-defined]
            card["token"],
            card["brand"],
            card["last4"],
        )
    tokens = table["tokens"]
    assert isinstance(tokens, list) and [t["token"] for t in tokens] == list(TOKENS)
    by_token = {t["token"]: t for t in tokens}
    assert "tok_timeout" not in CARDS.values() and by_token["tok_timeout"]["behaviour"] == "timeout"
    assert by_token["tok_chargeDeclinedInsufficientFunds"]["outcome"] == "Declined: Your card has insufficient funds."
    assert by_token["tok_chargeDeclinedInsufficientFunds"]["declineCode"] == "insufficient_funds"
    assert by_token["tok_visa"]["outcome"] == "Succeeds" and by_token["tok_visa"]["declineCode"] is None
