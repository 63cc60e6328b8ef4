"""Reading bodies: media types parsed properly, size and nesting refused before parsing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import Request

from chalicelib.core import http
from chalicelib.core.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError


def request(body: bytes | str, content_type: str | None = "application/json") -> Request:
    headers = {"content-type": content_type} if content_type is not None else {}
    event: dict[str, Any] = {
        "requestContext": {"httpMethod": "POST", "resourcePath": "/x", "path": "/x", "identity": {}},
        "headers": headers,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
    }
    return Request(event)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "APPLICATION/JSON; CHARSET=UTF-8",
        "application/json;charset=utf-8",
        'application/json; charset="utf-8"',
        "application/json ; charset=utf8 ; profile=x",
        "application/merge-patch+json",
        None,  # no Content-Type: taken as JSON
        "",
    ],
)
def test_json_media_types_in_any_case(content_type: str | None) -> None:
    assert http.read_json(request('{"a": 1}', content_type)) == {"a": 1}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
        "json",
        "application/",
        "a/b; c",
    ],
)
def test_other_media_types_are_415(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        http.read_json(request('{"a": 1}', content_type))


def test_parse_media_type() -> None:
    assert http.parse_media_type('Text/HTML; Charset="UTF-8"; q="a\\"b"') == (
        "text/html",
        {"charset": "UTF-8", "q": 'a"b'},
    )
    with pytest.raises(ValueError):
        http.parse_media_type("text/html; charset")


def test_size_is_checked_before_parsing() -> None:
    at_limit = b'{"a":"' + b"x" * (http.MAX_BODY_BYTES - 8) + b'"}'
    assert len(at_limit) == http.MAX_BODY_BYTES
    assert http.read_json(request(at_limit))["a"]
    with pytest.raises(PayloadTooLarge) as err:
        http.read_json(request(at_limit + b" "))
    assert err.value.status == 413 and err.value.details["limit"] == http.MAX_BODY_BYTES


def test_nesting_is_checked_before_parsing() -> None:
    ok = "[" * http.MAX_DEPTH + "]" * http.MAX_DEPTH
    assert http.nesting_depth(ok.encode()) == http.MAX_DEPTH
    with pytest.raises(ValidationError) as err:
        http.read_json(request('{"a":' + "[" * 5000 + "]" * 5000 + "}"))  # RecursionError territory
    assert err.value.details["field"] == "body"
    with pytest.raises(ValidationError):
        http.read_json(request("[" * (http.MAX_DEPTH + 1)))  # unbalanced too: refused by depth first


def test_brackets_inside_strings_do_not_count() -> None:
    body = {"name": "[[[[{{{{" * 100, "escaped": 'quote \\" [[[ still a string'}
    assert http.nesting_depth(json.dumps(body).encode()) == 1
    assert http.read_json(request(json.dumps(body))) == body


@pytest.mark.parametrize(
    "raw", ["", "   ", "{not json", "[1, 2]", '"x"', "NaN", '{"a": NaN}', '{"a": Infinity}', b"\xff\xfe"]
)
def test_bad_bodies_are_400_naming_the_body(raw: str | bytes) -> None:
    with pytest.raises(ValidationError) as err:
        http.read_json(request(raw))
    assert err.value.details["field"] == "body"


@pytest.mark.parametrize("value", ["1x", "1.5", "\u0661", "1" * 30, " 1", "0x10"])
def test_query_int_refuses_what_is_not_a_plain_number(value: str) -> None:
    with pytest.raises(ValidationError):
        http.query_int({"limit": value}, "limit", 1, 100)
