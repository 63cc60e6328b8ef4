"""Delivery methods (seed 002): a fixed cost each, delivery 3 days from the order.

The three methods are fixed; admins change their cost (and name or ETA) with
`PUT /delivery-methods/{method}`. A method nobody has configured uses its default below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.core import validation
from chalicelib.core.db import utcnow
from chalicelib.core.errors import NotFound, ValidationError
from chalicelib.core.observability import logger

SELF_SERVICE = "SELF_SERVICE"
CURBSIDE = "CURBSIDE"
IN_DOOR = "IN_DOOR"
DEFAULT_ETA_DAYS = 3
MAX_ETA_DAYS = 60
MAX_COST_CENTS = 1_000_000


@dataclass(frozen=True)
class Method:
    method: str
    name: str
    cost_cents: int
    eta_days: int = DEFAULT_ETA_DAYS

    def payload(self) -> dict[str, Any]:
        return {"method": self.method, "name": self.name, "costCents": self.cost_cents, "etaDays": self.eta_days}


DEFAULTS: dict[str, Method] = {
    SELF_SERVICE: Method(SELF_SERVICE, "Self-service pick-up at the warehouse", 0),
    CURBSIDE: Method(CURBSIDE, "Curbside delivery", 2900),
    IN_DOOR: Method(IN_DOOR, "In-door delivery", 5900),
}
METHODS = tuple(DEFAULTS)


def _from_item(item: Any) -> Method:
    return Method(item.method, item.name, int(item.cost_cents), int(item.eta_days))


def all_methods() -> list[Method]:
    """Every method with its current settings (one Scan of a three-item table)."""
    from chalicelib.shop.models import DeliveryMethod

    stored = {item.method: _from_item(item) for item in DeliveryMethod.scan() if item.method in DEFAULTS}
    return [stored.get(name, default) for name, default in DEFAULTS.items()]


def get_method(method: str) -> Method:
    from chalicelib.shop.models import DeliveryMethod

    if method not in DEFAULTS:
        raise NotFound(f"no delivery method {method} (there are {', '.join(METHODS)})", method=method)
    try:
        return _from_item(DeliveryMethod.get(method))
    except DeliveryMethod.DoesNotExist:
        return DEFAULTS[method]


def list_methods() -> dict[str, Any]:
    return {"items": [m.payload() for m in all_methods()]}


def set_method(method: str, body: dict[str, Any], *, actor: str) -> dict[str, Any]:
    from chalicelib.shop.models import DeliveryMethod

    if method not in DEFAULTS:
        raise NotFound(f"no delivery method {method} (there are {', '.join(METHODS)})", method=method)
    validation.reject_unknown(body, {"method", "name", "costCents", "etaDays"})
    if body.get("method", method) != method:
        raise ValidationError("method", "does not match the path")
    current = get_method(method)
    cost = validation.whole_number(body, "costCents", high=MAX_COST_CENTS)
    eta = validation.whole_number(body, "etaDays", low=0, high=MAX_ETA_DAYS, required=False)
    name = validation.text(body, "name", max_length=100, required=False)
    assert cost is not None
    updated = Method(method, name or current.name, cost, current.eta_days if eta is None else eta)
    DeliveryMethod(
        method,
        name=updated.name,
        cost_cents=updated.cost_cents,
        eta_days=updated.eta_days,
        updated_at=utcnow(),
        updated_by=actor,
    ).save()
    logger.info("delivery method set", extra={"method": method, "cost_cents": cost, "actor": actor})
    return updated.payload()
