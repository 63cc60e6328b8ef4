"""Input rules for request bodies: pure functions, each failure names the field and the reason."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.core.errors import ValidationError

# Article numbers like IKEA's `493.857.51`, or any id safe in a URL path and a DynamoDB key.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_QUANTITY = 1_000_000_000
MAX_PRICE_CENTS = 100_000_000_00


def reject_unknown(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(unknown[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")


def identifier(body: dict[str, Any], field: str, *, required: bool = True, default: str | None = None) -> str:
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        assert default is not None
        return default
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if not ID_PATTERN.match(value):
        raise ValidationError(field, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


def text(
    body: dict[str, Any], field: str, *, max_length: int, required: bool = True, allow_empty: bool = False
) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    value = value.strip()
    if not value and not allow_empty:
        raise ValidationError(field, "must not be empty")
    if len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    if any(not ch.isprintable() and ch not in "\n\t" for ch in value):
        raise ValidationError(field, "must not contain control characters")
    return value


def whole_number(
    body: dict[str, Any], field: str, *, low: int = 0, high: int = MAX_QUANTITY, required: bool = True
) -> int | None:
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        return None
    # JSON true/false are ints in Python; 3.0 is accepted as 3, 3.5 is not.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, "must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(field, "must be a whole number")
        value = int(value)
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low} and {high}")
    return value


def idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not 1 <= len(value) <= 128 or not value.isprintable():
        raise ValidationError("Idempotency-Key", "must be 1-128 printable characters")
    return value


# --- shop input (issue 9) ---------------------------------------------------------------------

EMAIL_MAX = 254


def email(body: dict[str, Any], field: str, *, required: bool = True) -> str | None:
    """An e-mail address, lower-cased (addresses are compared case-insensitively everywhere)."""
    value = text(body, field, max_length=EMAIL_MAX, required=required)
    if value is None:
        return None
    local, at, domain = value.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or any(ch.isspace() or ch in '<>()[],;:"\\' for ch in value)
        or ".." in domain
    ):
        raise ValidationError(field, "must be an e-mail address like name@example.com")
    return value.lower()


def boolean(body: dict[str, Any], field: str, *, required: bool = True) -> bool | None:
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        return None
    if not isinstance(value, bool):
        raise ValidationError(field, "must be true or false")
    return value


def choice(body: dict[str, Any], field: str, options: tuple[str, ...], *, required: bool = True) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        return None
    if not isinstance(value, str) or value not in options:
        raise ValidationError(field, f"must be one of {', '.join(options)}")
    return value


def timestamp(body: dict[str, Any], field: str, *, required: bool = True) -> datetime | None:
    """An ISO 8601 instant with its offset (`2025-01-31T09:00:00Z`), as an aware datetime."""
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ValidationError(field, "must be an ISO 8601 date-time like 2025-01-31T09:00:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationError(field, "must be an ISO 8601 date-time like 2025-01-31T09:00:00Z") from None
    if moment.tzinfo is None:
        raise ValidationError(field, "must include a time zone offset (Z for UTC)")
    return moment


def date(value: str | None, field: str) -> str | None:
    """A calendar day `YYYY-MM-DD` (query parameters), normalized."""
    if value is None or value == "":
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise ValidationError(field, "must be a date like 2025-01-31") from None


def object_field(body: dict[str, Any], field: str, *, required: bool = True) -> dict[str, Any] | None:
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        return None
    if not isinstance(value, dict):
        raise ValidationError(field, "must be a JSON object")
    return value


def list_field(body: dict[str, Any], field: str, *, max_items: int, required: bool = True) -> list[Any] | None:
    value = body.get(field)
    if value is None:
        if required:
            raise ValidationError(field, "is required")
        return None
    if not isinstance(value, list):
        raise ValidationError(field, "must be a JSON array")
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > max_items:
        raise ValidationError(field, f"must have at most {max_items} entries")
    return value
