"""Input rules for request bodies and path parameters: pure functions, each failure names the
field and the reason.

Every pattern is applied with `fullmatch` and compiled with `re.ASCII`: `$` would match before a
trailing newline (`"abc\\n"` passed and became an unreachable product) and `\\d` would match any
Unicode digit (`"٤٩٣"`).

`null` (JSON) is not the same as an absent field. Each reader says what `null` means for its
field: `nullable=True` fields take `null` as "clear it" (the caller gets `CLEAR`); every other
field refuses `null` with a 400 naming it. docs/CONTRACTS.md and the OpenAPI document list the
fields that accept it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any, Final

from chalicelib.core.errors import ValidationError

# Any id safe in a URL path segment and a DynamoDB key: 1-64 ASCII letters, digits, '.', '_', '-',
# starting with a letter or digit.
ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
ID_RULE = "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
# Article numbers like IKEA's: three digits, dot, three digits, dot, two digits (`493.857.51`).
ARTICLE_NUMBER: Final = re.compile(r"[0-9]{3}\.[0-9]{3}\.[0-9]{2}", re.ASCII)
# An id of digits and dots only (with at least one dot) is taken for an article number and must be
# a well-formed one: `493.857.5` is a typo, not another product.
LOOKS_LIKE_ARTICLE_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]*)+|\.[0-9.]*", re.ASCII)
ARTICLE_RULE = (
    "looks like an article number, which is three digits, a dot, three digits, a dot, two digits (493.857.51)"
)

# Path segments the API uses under /products/ for its own routes (CSV export and import): a product
# with such an id could not be read deployed, since API Gateway matches a literal segment before a
# path parameter whatever the method.
RESERVED_PRODUCT_IDS: Final = frozenset({"export.csv", "import"})

MAX_QUANTITY = 1_000_000_000
MAX_PRICE_CENTS = 100_000_000_00


class _Clear:
    """The value of a nullable field sent as JSON `null`: clear what it holds."""

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR: Final = _Clear()

# Unicode categories refused in every text field: controls (C0, C1, DEL), lone surrogates (they
# cannot be stored as UTF-8), and the line/paragraph separators. Multi-line fields may hold
# newlines and tabs.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_MULTILINE_ALLOWED = frozenset("\n\t")


def reject_unknown(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(safe_name(unknown[0]), f"unknown field (allowed: {', '.join(sorted(allowed))})")


def safe_name(name: str) -> str:
    """A client-chosen field name fit to be echoed in an error (printable, bounded)."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in name)
    return cleaned[:64] + ("..." if len(cleaned) > 64 else "")


def product_id(value: Any, field: str = "productId") -> str:
    """A product id: an article number when it looks like one, otherwise any safe id."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if LOOKS_LIKE_ARTICLE_NUMBER.fullmatch(value) and not ARTICLE_NUMBER.fullmatch(value):
        raise ValidationError(field, ARTICLE_RULE)
    if not ID_PATTERN.fullmatch(value):
        raise ValidationError(field, ID_RULE)
    if value in RESERVED_PRODUCT_IDS:
        raise ValidationError(field, f"{value} is reserved for the API's own /products/{value} route")
    return value


def safe_id(value: Any, field: str) -> str:
    """Any other id (warehouses, orders): the safe-id pattern."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    if not ID_PATTERN.fullmatch(value):
        raise ValidationError(field, ID_RULE)
    return value


def _present(body: dict[str, Any], field: str, required: bool) -> bool:
    """Whether the field has a value to read; refuses `null` (this field does not take it)."""
    if field not in body:
        if required:
            raise ValidationError(field, "is required")
        return False
    if body[field] is None:
        raise ValidationError(field, "must not be null" + ("" if required else " (leave it out instead)"))
    return True


def identifier(body: dict[str, Any], field: str, *, required: bool = True, default: str | None = None) -> str:
    if not _present(body, field, required):
        assert default is not None
        return default
    return safe_id(body[field], field)


def product_identifier(body: dict[str, Any], field: str = "productId") -> str:
    _present(body, field, True)
    return product_id(body[field], field)


def clean_text(value: Any, field: str, *, max_length: int, allow_empty: bool = False, multiline: bool = False) -> str:
    """A text value, trimmed, bounded, without control characters (newlines/tabs if multiline)."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    cleaned: str = value.replace("\r\n", "\n") if multiline else value
    cleaned = cleaned.strip()
    if not cleaned and not allow_empty:
        raise ValidationError(field, "must not be empty")
    if len(cleaned) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    for ch in cleaned:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES and not (multiline and ch in _MULTILINE_ALLOWED):
            allowed = " (newlines and tabs are allowed)" if multiline else " or line breaks"
            raise ValidationError(field, f"must not contain control characters{allowed}")
    return cleaned


def text(
    body: dict[str, Any],
    field: str,
    *,
    max_length: int,
    required: bool = True,
    allow_empty: bool = False,
    multiline: bool = False,
) -> str | None:
    """A text field: its value, or None when absent. `null` is refused."""
    if not _present(body, field, required):
        return None
    return clean_text(body[field], field, max_length=max_length, allow_empty=allow_empty, multiline=multiline)


def text_or_clear(body: dict[str, Any], field: str, *, max_length: int, multiline: bool = False) -> str | _Clear | None:
    """An optional text field that takes `null` as "clear it": its value, None when absent, CLEAR."""
    if field in body and body[field] is None:
        return CLEAR
    return text(body, field, max_length=max_length, required=False, allow_empty=True, multiline=multiline)


def required_text(body: dict[str, Any], field: str, *, max_length: int) -> str:
    value = text(body, field, max_length=max_length)
    assert isinstance(value, str)
    return value


def whole_number(
    body: dict[str, Any], field: str, *, low: int = 0, high: int = MAX_QUANTITY, required: bool = True
) -> int | None:
    if not _present(body, field, required):
        return None
    return number(body[field], field, low=low, high=high)


def number(value: Any, field: str, *, low: int = 0, high: int = MAX_QUANTITY) -> int:
    # JSON true/false are ints in Python; 3.0 is accepted as 3, 3.5 is not.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, "must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(field, "must be a whole number")
        value = int(value)
    whole: int = value
    if not low <= whole <= high:
        raise ValidationError(field, f"must be between {low} and {high}")
    return whole


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
    if not _present(body, field, required):
        return None
    value = body[field]
    if not isinstance(value, bool):
        raise ValidationError(field, "must be true or false")
    return value


def choice(body: dict[str, Any], field: str, options: tuple[str, ...], *, required: bool = True) -> str | None:
    if not _present(body, field, required):
        return None
    value = body[field]
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
    """A calendar day `YYYY-MM-DD` (query parameters), normalized; absent is None, empty is refused."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise ValidationError(field, "must be a date like 2025-01-31") from None


def object_field(body: dict[str, Any], field: str, *, required: bool = True) -> dict[str, Any] | None:
    if not _present(body, field, required):
        return None
    value = body[field]
    if not isinstance(value, dict):
        raise ValidationError(field, "must be a JSON object")
    return value


def list_field(body: dict[str, Any], field: str, *, max_items: int, required: bool = True) -> list[Any] | None:
    if not _present(body, field, required):
        return None
    value = body[field]
    if not isinstance(value, list):
        raise ValidationError(field, "must be a JSON array")
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > max_items:
        raise ValidationError(field, f"must have at most {max_items} entries")
    return value
