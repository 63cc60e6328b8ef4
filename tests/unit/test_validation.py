from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core import validation
from chalicelib.core.db import decode_cursor, encode_cursor
from chalicelib.core.errors import ValidationError


@pytest.mark.parametrize("value", ["493.857.51", "SKU-1", "a", "A_b.c-9"])
def test_identifier_accepts_article_numbers_and_safe_ids(value: str) -> None:
    assert validation.identifier({"productId": value}, "productId") == value


@pytest.mark.parametrize("value", ["", ".hidden", "a/b", "a b", "x" * 65, 12, None, "é"])
def test_identifier_rejects(value: Any) -> None:
    with pytest.raises(ValidationError) as err:
        validation.identifier({"productId": value}, "productId")
    assert err.value.details["field"] == "productId"


@pytest.mark.parametrize("value", [True, "3", 3.5, -1, 10**12, [], {}])
def test_whole_number_rejects(value: Any) -> None:
    with pytest.raises(ValidationError) as err:
        validation.whole_number({"quantity": value}, "quantity")
    assert "quantity" in err.value.message


def test_whole_number_accepts_integral_floats() -> None:
    assert validation.whole_number({"q": 3.0}, "q") == 3
    assert validation.whole_number({}, "q", required=False) is None


def test_text_trims_and_bounds() -> None:
    assert validation.text({"n": "  Bed  "}, "n", max_length=10) == "Bed"
    for bad in ["   ", "x" * 11, "a\x00b", 5]:
        with pytest.raises(ValidationError):
            validation.text({"n": bad}, "n", max_length=10)


def test_optional_text_may_be_absent_but_not_blank_unless_allowed() -> None:
    assert validation.text({}, "n", max_length=10, required=False) is None
    with pytest.raises(ValidationError):
        validation.text({"n": " "}, "n", max_length=10, required=False)
    assert validation.text({"n": ""}, "n", max_length=10, required=False, allow_empty=True) == ""


def test_unknown_fields_are_named() -> None:
    with pytest.raises(ValidationError) as err:
        validation.reject_unknown({"productId": "a", "qty": 1}, {"productId", "quantity"})
    assert err.value.details["field"] == "qty"


def test_idempotency_key_bounds() -> None:
    assert validation.idempotency_key(None) is None
    assert validation.idempotency_key("k-1") == "k-1"
    for bad in ["", "x" * 129, "a\nb"]:
        with pytest.raises(ValidationError):
            validation.idempotency_key(bad)


def test_cursor_round_trip_and_garbage() -> None:
    key = {"product_id": {"S": "493.857.51"}}
    assert decode_cursor(encode_cursor(key)) == key
    assert encode_cursor(None) is None
    for bad in ["not-base64!!", "bnVsbA", "WzFd"]:  # garbage, null, [1]
        with pytest.raises(ValidationError):
            decode_cursor(bad)
    assert decode_cursor(encode_cursor(key), {"product_id"}) == key
    # Decodes, but is not the table's key: DynamoDB would refuse it with a ValidationException.
    for wrong in ({"nope": {"S": "x"}}, {"product_id": {"N": "1"}}, {"product_id": {"S": "a"}, "x": {"S": "b"}}):
        with pytest.raises(ValidationError):
            decode_cursor(encode_cursor(wrong), {"product_id"})
