"""Reading HTTP input: the request body as a JSON object, query parameters as bounded ints."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Request

from chalicelib.core.errors import StockroomError, ValidationError


class UnsupportedMediaType(StockroomError):
    status = 415
    code = "UnsupportedMediaType"


def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 4xx that says what is wrong with it."""
    content_type = (request.headers.get("content-type") or "application/json").split(";")[0].strip()
    if content_type != "application/json":
        raise UnsupportedMediaType(f"send the body as application/json, not {content_type}")
    raw = request.raw_body
    if not raw:
        raise ValidationError("body", "a JSON object is required")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("body", f"not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    return body


def query_int(params: dict[str, str], name: str, low: int, high: int) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationError(name, "must be a whole number") from None
    if not low <= number <= high:
        raise ValidationError(name, f"must be between {low} and {high}")
    return number
