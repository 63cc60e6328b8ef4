"""Reading HTTP input: the request body as a JSON object, query parameters as bounded ints.

Limits (docs/CONTRACTS.md, the OpenAPI document): a body is at most `MAX_BODY_BYTES` (413 above)
and nests at most `MAX_DEPTH` arrays/objects (400 above). Both are checked on the raw bytes before
`json.loads` sees them, so a hostile body costs a bounded, linear scan, never a RecursionError.

Handlers authenticate first and read the body second, so an anonymous caller learns nothing of a
route's body rules; the app itself accepts every media type at routing (see `core.web`) and the
check lives here, case-insensitive and parameter-aware as RFC 9110 says media types are.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from chalice.app import Request

from chalicelib.core.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"\s*({_TOKEN})/({_TOKEN})\s*((?:;.*)?)", re.ASCII | re.DOTALL)
_PARAMETER = re.compile(rf';\s*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|{_TOKEN})\s*', re.ASCII)
# A JSON string literal (escapes included), removed before counting brackets.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """`type/subtype` (lower case) and its parameters (names lower case, values unquoted).

    Raises ValueError for something that is not a media type."""
    match = _MEDIA_TYPE.fullmatch(value)
    if not match:
        raise ValueError(value)
    kind = f"{match.group(1)}/{match.group(2)}".lower()
    rest, params = match.group(3), {}
    position = 0
    while position < len(rest):
        parameter = _PARAMETER.match(rest, position)
        if not parameter:
            raise ValueError(value)
        name, raw = parameter.group(1).lower(), parameter.group(2)
        params[name] = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
        position = parameter.end()
    return kind, params


def is_json_media_type(kind: str) -> bool:
    """`application/json` or a structured `+json` type (`application/merge-patch+json`)."""
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def _unsupported(content_type: str) -> NoReturn:
    shown = "".join(ch if ch.isprintable() else "?" for ch in content_type)[:100]
    raise UnsupportedMediaType(f"send the body as application/json (UTF-8), not {shown}")


def check_media_type(content_type: str | None) -> None:
    """A JSON body's Content-Type: absent (taken as JSON), or JSON in UTF-8, any letter case."""
    if content_type is None or not content_type.strip():
        return
    try:
        kind, params = parse_media_type(content_type)
    except ValueError:
        _unsupported(content_type)
    if not is_json_media_type(kind):
        _unsupported(content_type)
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        _unsupported(content_type)


def nesting_depth(raw: bytes) -> int:
    """How deeply arrays/objects nest in a JSON text, without parsing it (strings skipped)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", raw)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 4xx that says what is wrong with it (call after auth)."""
    check_media_type(request.headers.get("content-type"))
    body_bytes = request.raw_body or b""
    raw = body_bytes.encode("utf-8") if isinstance(body_bytes, str) else body_bytes
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"the body is {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted", limit=MAX_BODY_BYTES
        )
    if not raw.strip():
        raise ValidationError("body", "a JSON object is required")
    if nesting_depth(raw) > MAX_DEPTH:
        raise ValidationError("body", f"nests arrays/objects deeper than {MAX_DEPTH} levels")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ValidationError("body", f"not valid JSON ({reason})") from None
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    return body


def query_int(params: dict[str, str], name: str, low: int, high: int) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", value, re.ASCII):
        raise ValidationError(name, "must be a whole number")
    number = int(value)
    if not low <= number <= high:
        raise ValidationError(name, f"must be between {low} and {high}")
    return number
