"""Test mode: the payment tokens the simulated gateway knows, and Stripe's published test card
numbers mapped to them (for the storefront's test-mode card form). Pure.

The first tokens are Stripe's own test tokens and behave as Stripe's do; `tok_processingError` and
`tok_timeout` are ours, named in Stripe's style, to exercise the workflow's retries:

| token                                 | outcome                                                    |
| ------------------------------------- | ---------------------------------------------------------- |
| tok_visa, tok_mastercard, ...         | authorized                                                 |
| tok_chargeDeclined                    | declined (generic_decline)                                 |
| tok_chargeDeclinedInsufficientFunds   | declined (insufficient_funds)                              |
| tok_chargeDeclined{Lost,Stolen,...}   | declined (lost_card, stolen_card, expired_card, ...)       |
| tok_processingError                   | fails transiently twice for one idempotency key, then authorized |
| tok_timeout                           | the first request is carried out but answered too late     |

A card number is never stored, logged or echoed in an error: `tokenize_test_card` turns it into a
token and forgets it, and errors say only what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from chalicelib.core.errors import ValidationError

# An order placed without a token (`POST /place-order`) pays with this one.
DEFAULT_TOKEN = "tok_visa"


class Behaviour(StrEnum):
    SUCCEED = "succeed"
    DECLINE = "decline"
    PROCESSING_ERROR = "processing_error"  # transient, twice per idempotency key
    TIMEOUT = "timeout"  # the first request answers after the caller's deadline


@dataclass(frozen=True)
class TokenSpec:
    token: str
    brand: str
    last4: str
    behaviour: Behaviour
    decline_code: str | None = None


@dataclass(frozen=True)
class TokenizedCard:
    """What the card form gets back: the token to pay with and how to show the card."""

    token: str
    brand: str
    last4: str


_OK, _NO = Behaviour.SUCCEED, Behaviour.DECLINE
TOKENS: dict[str, TokenSpec] = {
    t.token: t
    for t in (
        TokenSpec("tok_visa", "Visa", "4242", _OK),
        TokenSpec("tok_visa_debit", "Visa", "5556", _OK),
        TokenSpec("tok_mastercard", "Mastercard", "4444", _OK),
        TokenSpec("tok_mastercard_debit", "Mastercard", "8210", _OK),
        TokenSpec("tok_amex", "American Express", "8431", _OK),
        TokenSpec("tok_discover", "Discover", "1117", _OK),
        TokenSpec("tok_chargeDeclined", "Visa", "0002", _NO, "generic_decline"),
        TokenSpec("tok_chargeDeclinedInsufficientFunds", "Visa", "9995", _NO, "insufficient_funds"),
        TokenSpec("tok_chargeDeclinedLostCard", "Visa", "9987", _NO, "lost_card"),
        TokenSpec("tok_chargeDeclinedStolenCard", "Visa", "9979", _NO, "stolen_card"),
        TokenSpec("tok_chargeDeclinedExpiredCard", "Visa", "0069", _NO, "expired_card"),
        TokenSpec("tok_chargeDeclinedIncorrectCvc", "Visa", "0127", _NO, "incorrect_cvc"),
        TokenSpec("tok_processingError", "Visa", "0119", Behaviour.PROCESSING_ERROR),
        TokenSpec("tok_timeout", "Visa", "0341", Behaviour.TIMEOUT),
    )
}

# Stripe's published test card numbers (docs: "Testing" -> "Cards by brand" and "Declined
# payments"). `tok_timeout` has no Stripe number: the card form offers it by name.
CARDS: dict[str, str] = {
    "4242424242424242": "tok_visa",
    "4000056655665556": "tok_visa_debit",
    "5555555555554444": "tok_mastercard",
    "2223003122003222": "tok_mastercard",
    "5200828282828210": "tok_mastercard_debit",
    "378282246310005": "tok_amex",
    "371449635398431": "tok_amex",
    "6011111111111117": "tok_discover",
    "4000000000000002": "tok_chargeDeclined",
    "4000000000009995": "tok_chargeDeclinedInsufficientFunds",
    "4000000000009987": "tok_chargeDeclinedLostCard",
    "4000000000009979": "tok_chargeDeclinedStolenCard",
    "4000000000000069": "tok_chargeDeclinedExpiredCard",
    "4000000000000127": "tok_chargeDeclinedIncorrectCvc",
    "4000000000000119": "tok_processingError",
}

# What the customer is told, by decline code (Stripe's wording; lost and stolen cards get the
# generic message, as Stripe advises, so a fraudster learns nothing).
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
}


def decline_message(decline_code: str) -> str:
    return DECLINE_MESSAGES.get(decline_code, "Your card was declined.")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every card number carries (catches a mistyped digit)."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def tokenize_test_card(number: str, *, exp_month: int, exp_year: int, cvc: str, today: date) -> TokenizedCard:
    """A test card's token, as Stripe's test mode would issue it: any future expiry date and any
    CVC of the right length are accepted; the number must be one of Stripe's test numbers.

    Raises `ValidationError` naming the field (`cardNumber`, `expMonth`, `expYear`, `cvc`); the
    number itself never appears in a message.
    """
    digits = "".join(ch for ch in str(number) if ch not in " -")
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise ValidationError("cardNumber", "must be 12 to 19 digits (spaces and dashes are ignored)")
    if not luhn_valid(digits):
        raise ValidationError("cardNumber", "is not a valid card number (check the digits)")
    token = CARDS.get(digits)
    if token is None:
        raise ValidationError(
            "cardNumber", "is not a test card: in test mode use one of Stripe's test numbers, e.g. 4242 4242 4242 4242"
        )
    if isinstance(exp_month, bool) or not isinstance(exp_month, int) or not 1 <= exp_month <= 12:
        raise ValidationError("expMonth", "must be a month from 1 to 12")
    if isinstance(exp_year, bool) or not isinstance(exp_year, int) or not 0 <= exp_year <= 9999:
        raise ValidationError("expYear", "must be a year such as 2030 or 30")
    year = exp_year + 2000 if exp_year < 100 else exp_year
    if (year, exp_month) < (today.year, today.month):
        raise ValidationError("expYear", "the card has expired (the expiry date is in the past)")
    if year > today.year + 50:
        raise ValidationError("expYear", "is too far in the future")
    spec = TOKENS[token]
    expected = cvc_length(spec.brand)
    if not (isinstance(cvc, str) and cvc.isdigit() and len(cvc) == expected):
        raise ValidationError("cvc", f"must be {expected} digits")
    return TokenizedCard(token=token, brand=spec.brand, last4=digits[-4:])


def cvc_length(brand: str) -> int:
    """American Express has a 4-digit security code; the other brands 3."""
    return 4 if brand == "American Express" else 3


def outcome(spec: TokenSpec) -> str:
    """What paying with the token does, in the words a tester reads in the card form."""
    if spec.behaviour is Behaviour.DECLINE:
        return f"Declined: {decline_message(spec.decline_code or 'generic_decline')}"
    if spec.behaviour is Behaviour.PROCESSING_ERROR:
        return "Fails twice with a processing error, then succeeds"
    if spec.behaviour is Behaviour.TIMEOUT:
        return "Charged, but the first answer comes too late (the workflow retries)"
    return "Succeeds"


def _token_entry(spec: TokenSpec) -> dict[str, object]:
    return {
        "token": spec.token,
        "brand": spec.brand,
        "last4": spec.last4,
        "behaviour": spec.behaviour.value,
        "declineCode": spec.decline_code,
        "outcome": outcome(spec),
    }


def card_table() -> dict[str, object]:
    """`GET /payments/test-cards`: the mapping the storefront's test-mode card form uses, so it is
    defined here only. The browser turns a typed number into its token itself and sends only the
    token (`paymentToken` of `POST /orders`): no card number ever reaches the API.

    `cards`: Stripe's published numbers, each with its token, brand, last four digits and the
    length of its security code; `tokens`: every token (also `tok_timeout`, which has no number),
    each with what paying with it does. Both in this module's order.
    """
    return {
        "mode": "test",
        "defaultToken": DEFAULT_TOKEN,
        "cards": [
            {
                "number": number,
                "token": token,
                "brand": TOKENS[token].brand,
                "last4": number[-4:],
                "cvcLength": cvc_length(TOKENS[token].brand),
            }
            for number, token in CARDS.items()
        ],
        "tokens": [_token_entry(spec) for spec in TOKENS.values()],
    }
