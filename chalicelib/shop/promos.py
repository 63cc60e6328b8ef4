"""Promo codes (admin): create, change, deactivate, delete; the rules are in `shop.pricing`.

Codes are case-insensitive: stored and shown upper case. `redemptions` is maintained by checkout
and cancellation only (inside the order's transaction), never by these routes. A code that has
been redeemed cannot be deleted (409): deactivate it, so past orders keep pointing at it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.core import validation
from chalicelib.core.db import decode_cursor, encode_cursor, iso, utcnow
from chalicelib.core.errors import Conflict, NotFound, ValidationError
from chalicelib.core.observability import logger
from chalicelib.shop.pricing import FIXED, PERCENT, PROMO_KINDS, PromoTerms

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,31}", re.ASCII)
FIELDS = {
    "code",
    "kind",
    "value",
    "minSubtotalCents",
    "startsAt",
    "endsAt",
    "maxRedemptions",
    "maxPerCustomer",
    "active",
}
READ_ONLY = {"redemptions", "createdAt", "updatedAt"}
MAX_FIXED_CENTS = validation.MAX_PRICE_CENTS
MAX_LIMIT = 10_000_000


def normalize_code(value: Any, field: str = "code") -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    code = value.strip().upper()
    if not CODE_PATTERN.fullmatch(code):
        raise ValidationError(field, "must be 2-32 letters, digits, '_' or '-', starting with a letter or digit")
    return code


def terms_of(item: Any) -> PromoTerms:
    return PromoTerms(
        code=item.code,
        kind=item.kind,
        value=int(item.value),
        min_subtotal_cents=int(item.min_subtotal_cents or 0),
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        max_redemptions=None if item.max_redemptions is None else int(item.max_redemptions),
        max_per_customer=None if item.max_per_customer is None else int(item.max_per_customer),
        active=bool(item.active),
        redemptions=int(item.redemptions or 0),
    )


def load_terms(code: str, *, consistent: bool = False) -> PromoTerms | None:
    from chalicelib.shop.models import PromoCode

    try:
        return terms_of(PromoCode.get(code, consistent_read=consistent))
    except PromoCode.DoesNotExist:
        return None


def customer_redemptions(code: str, customer: str) -> int:
    from chalicelib.shop.models import PromoRedemption

    try:
        return int(PromoRedemption.get(code, customer, consistent_read=True).redeemed or 0)
    except PromoRedemption.DoesNotExist:
        return 0


def promo_payload(item: Any) -> dict[str, Any]:
    return {
        "code": item.code,
        "kind": item.kind,
        "value": int(item.value),
        "minSubtotalCents": int(item.min_subtotal_cents or 0),
        "startsAt": iso(item.starts_at) if item.starts_at else None,
        "endsAt": iso(item.ends_at) if item.ends_at else None,
        "maxRedemptions": None if item.max_redemptions is None else int(item.max_redemptions),
        "maxPerCustomer": None if item.max_per_customer is None else int(item.max_per_customer),
        "active": bool(item.active),
        "redemptions": int(item.redemptions or 0),
        "createdAt": iso(item.created_at),
        "updatedAt": iso(item.updated_at),
    }


def _value(kind: str, body: dict[str, Any], *, required: bool) -> int | None:
    if kind == PERCENT:
        return validation.whole_number(body, "value", low=1, high=100, required=required)
    return validation.whole_number(body, "value", low=1, high=MAX_FIXED_CENTS, required=required)


def _limits(body: dict[str, Any]) -> dict[str, Any]:
    """The optional fields present in `body`, validated (None in the body clears a limit or date)."""
    fields: dict[str, Any] = {}
    if "minSubtotalCents" in body:
        fields["min_subtotal_cents"] = (
            0
            if body["minSubtotalCents"] is None
            else validation.whole_number(body, "minSubtotalCents", high=MAX_FIXED_CENTS, required=False) or 0
        )
    for name, attribute in (("maxRedemptions", "max_redemptions"), ("maxPerCustomer", "max_per_customer")):
        if name in body:
            fields[attribute] = (
                None
                if body[name] is None  # null clears the limit
                else validation.whole_number(body, name, low=1, high=MAX_LIMIT, required=False)
            )
    for name, attribute in (("startsAt", "starts_at"), ("endsAt", "ends_at")):
        if name in body:
            fields[attribute] = validation.timestamp(body, name, required=False)
    if "active" in body:
        active = validation.boolean(body, "active", required=False)
        fields["active"] = True if active is None else active
    return fields


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationError("endsAt", "must be after startsAt")


def _get(code: str) -> Any:
    from chalicelib.shop.models import PromoCode

    try:
        return PromoCode.get(code, consistent_read=True)
    except PromoCode.DoesNotExist:
        raise NotFound(f"no promo code {code}", code=code) from None


def list_promo_codes(*, limit: int | None, cursor: str | None) -> dict[str, Any]:
    from chalicelib.core.config import get_settings
    from chalicelib.shop.models import PromoCode

    result = PromoCode.scan(limit=limit or get_settings().page_size, last_evaluated_key=decode_cursor(cursor, {"code"}))
    items = sorted((promo_payload(p) for p in result), key=lambda p: p["code"])
    return {"items": items, "nextCursor": encode_cursor(result.last_evaluated_key)}


def get_promo_code(code: str) -> dict[str, Any]:
    return promo_payload(_get(normalize_code(code)))


def create_promo_code(body: dict[str, Any], *, actor: str) -> dict[str, Any]:
    from pynamodb.exceptions import PutError

    from chalicelib.shop.models import PromoCode

    validation.reject_unknown(body, FIELDS)
    code = normalize_code(body.get("code") if body.get("code") is not None else _required("code"))
    kind = validation.choice(body, "kind", PROMO_KINDS)
    assert kind is not None
    value = _value(kind, body, required=True)
    fields: dict[str, Any] = {"min_subtotal_cents": 0, "starts_at": None, "ends_at": None, "max_redemptions": None}
    fields |= {"max_per_customer": None, "active": True} | _limits(body)
    _check_window(fields["starts_at"], fields["ends_at"])
    now = utcnow()
    item = PromoCode(code, kind=kind, value=value, redemptions=0, created_at=now, updated_at=now, **fields)
    try:
        item.save(condition=PromoCode.code.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"promo code {code} already exists", code=code) from None
        raise
    logger.info("promo code created", extra={"code": code, "actor": actor})
    return promo_payload(item)


def _required(field: str) -> Any:
    raise ValidationError(field, "is required")


def update_promo_code(code: str, body: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Change any field but the code and the redemption counter (read-only: checkout keeps it)."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.shop.models import PromoCode

    code = normalize_code(code)
    for name in READ_ONLY & set(body):
        raise ValidationError(name, "is read-only")
    validation.reject_unknown(body, FIELDS)
    if "code" in body and normalize_code(body["code"]) != code:
        raise ValidationError("code", "cannot be changed")
    current = _get(code)
    kind = validation.choice(body, "kind", PROMO_KINDS, required=False) or current.kind
    value = _value(kind, body, required=kind != current.kind)
    if value is None and kind == PERCENT and int(current.value) > 100:
        raise ValidationError("value", "must be between 1 and 100 for a PERCENT code")
    fields = _limits(body)
    _check_window(
        fields.get("starts_at", current.starts_at) if "starts_at" in fields else current.starts_at,
        fields.get("ends_at", current.ends_at) if "ends_at" in fields else current.ends_at,
    )
    if not fields and value is None and kind == current.kind:
        raise ValidationError("body", f"give at least one of {', '.join(sorted(FIELDS - {'code'}))}")
    actions: list[Any] = [PromoCode.updated_at.set(utcnow()), PromoCode.kind.set(kind)]
    if value is not None:
        actions.append(PromoCode.value.set(value))
    for attribute, new in fields.items():
        path = getattr(PromoCode, attribute)
        actions.append(path.remove() if new is None else path.set(new))
    try:
        PromoCode(code).update(actions=actions, condition=PromoCode.code.exists())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"no promo code {code}", code=code) from None
        raise
    logger.info("promo code updated", extra={"code": code, "actor": actor, "fields": sorted(body)})
    return get_promo_code(code)


def delete_promo_code(code: str, *, actor: str) -> None:
    from pynamodb.exceptions import DeleteError

    from chalicelib.shop.models import PromoCode

    code = normalize_code(code)
    current = _get(code)
    try:
        PromoCode(code).delete(condition=PromoCode.code.exists() & (PromoCode.redemptions == 0))
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(
                f"promo code {code} has been redeemed; deactivate it instead (PATCH active: false)",
                code=code,
                redemptions=int(current.redemptions or 0),
            ) from None
        raise
    logger.info("promo code deleted", extra={"code": code, "actor": actor})


__all__ = ["FIXED", "PERCENT", "customer_redemptions", "load_terms", "normalize_code", "terms_of"]
