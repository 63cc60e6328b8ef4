from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core import validation
from chalicelib.core.db import decode_cursor, encode_cursor
from chalicelib.core.errors import ValidationError


@pytest.mark.parametrize("value", ["493.857.51", "SKU-1", "a", "A_b.c-9", "x" * 64, "000.000.00"])
def test_identifier_accepts_article_numbers_and_safe_ids(value: str) -> None:
    assert validation.identifier({"productId": value}, "productId") == value
    assert validation.product_identifier({"productId": value}) == value


HOSTILE_IDS = [
    "",
    ".hidden",
    "a/b",
    "a b",
    "x" * 65,
    "x" * 1000,
    12,
    "é",
    "abc\n",  # `$` would match before this newline: the bug of issue 7 §1
    "abc\r",
    "abc\t",
    "abc\x00",
    "\u0664\u0669\u0663",  # Arabic-Indic digits: `\d` without re.ASCII matches them
    "12\u0663",
    "\uff11\uff12",  # fullwidth digits
    "\ud800",  # a lone surrogate, which DynamoDB could not store
]


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_identifier_rejects_hostile_values(value: Any) -> None:
    for read in (
        lambda: validation.identifier({"productId": value}, "productId"),
        lambda: validation.product_identifier({"productId": value}),
    ):
        with pytest.raises(ValidationError) as err:
            read()
        assert err.value.details["field"] == "productId"


@pytest.mark.parametrize("value", ["493.857.5", "493.857.511", "49.857.51", "493.85.51", "493.857", "1.0", "493..51"])
def test_something_that_looks_like_an_article_number_must_be_one(value: str) -> None:
    with pytest.raises(ValidationError) as err:
        validation.product_identifier({"productId": value})
    assert "article number" in err.value.message and "493.857.51" in err.value.message


def test_null_is_refused_unless_the_field_takes_it() -> None:
    for read in (
        lambda body: validation.identifier(body, "f", required=False, default="d"),
        lambda body: validation.text(body, "f", max_length=5, required=False),
        lambda body: validation.whole_number(body, "f", required=False),
    ):
        assert read({}) in (None, "d")  # absent: fine, the default
        with pytest.raises(ValidationError) as err:
            read({"f": None})
        assert err.value.details["field"] == "f" and "null" in err.value.message
    # A nullable field takes null as "clear it", which is not the same as absent.
    assert validation.text_or_clear({"f": None}, "f", max_length=5) is validation.CLEAR
    assert validation.text_or_clear({}, "f", max_length=5) is None
    assert validation.text_or_clear({"f": "x"}, "f", max_length=5) == "x"


@pytest.mark.parametrize("bad", ["Bed\nroom", "Bed\troom", "Bed\x1b[31m", "Bed\u2028room", "Bed\x85room", "Bed\ud800"])
def test_names_refuse_control_characters_and_line_breaks(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        validation.text({"productName": bad}, "productName", max_length=200)
    assert "control characters" in err.value.message


def test_multiline_text_takes_newlines_and_tabs_only() -> None:
    assert validation.text({"d": "a\r\nb\tc"}, "d", max_length=20, multiline=True) == "a\nb\tc"
    with pytest.raises(ValidationError):
        validation.text({"d": "a\x00b"}, "d", max_length=20, multiline=True)


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


def test_no_pattern_in_chalicelib_relies_on_dollar_anchoring() -> None:
    """`$` matches before a trailing newline (`"abc\\n"` passed as an id): patterns in chalicelib are
    applied with `fullmatch` (or anchored with `\\Z`), never `^...$` with `match`/`search`."""
    import ast
    from pathlib import Path

    offenders: list[str] = []
    for path in (Path(__file__).resolve().parents[2] / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            target = node.func.value
            is_re = isinstance(target, ast.Name) and target.id == "re"
            if is_re and node.func.attr in ("match", "search"):
                offenders.append(f"{path.name}:{node.lineno} re.{node.func.attr}")
            if is_re and node.func.attr in ("compile", "fullmatch", "match", "search") and node.args:
                first = node.args[0]
                pattern = first.value if isinstance(first, ast.Constant) else None
                if isinstance(pattern, (str, bytes)) and pattern.endswith("$" if isinstance(pattern, str) else b"$"):
                    offenders.append(f"{path.name}:{node.lineno} pattern ends with $")
    assert not offenders, offenders
