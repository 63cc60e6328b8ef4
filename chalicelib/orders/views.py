"""A plain, typed view of an order: what the receipt and the e-mails show.

The receipt renderer and the e-mail templates take an `OrderView`, never the Order model, so they
do not change when the model's shape does; the workflow builds the view from the order. A view is
checked when it is built: its amounts are integers in the currency's minor units and add up (line
totals, subtotal, total), so a receipt cannot show figures that disagree with each other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chalicelib.core.money import format_cents

_CITY_FIRST = {"US", "USA", "CA", "GB", "UK", "AU"}
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)  # fullmatch: `$` passes "USD\n"


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    city: str
    zip: str
    country: str
    line2: str | None = None

    def lines(self) -> list[str]:
        """The address as it is written on an envelope (city before the postal code in North
        America, the UK and Australia; after it elsewhere)."""
        city_line = f"{self.city} {self.zip}" if self.country.upper() in _CITY_FIRST else f"{self.zip} {self.city}"
        return [part for part in (self.name, self.line1, self.line2, city_line, self.country) if part]


@dataclass(frozen=True)
class LineView:
    product_id: str
    product_name: str
    warehouse_id: str
    quantity: int
    unit_price_cents: int
    line_total_cents: int
    warehouse_name: str | None = None  # shown instead of the id when known

    def __post_init__(self) -> None:
        _whole("quantity", self.quantity, low=1)
        _whole("unit_price_cents", self.unit_price_cents)
        if self.line_total_cents != self.quantity * self.unit_price_cents:
            raise ValueError(
                f"line {self.product_id}: line_total_cents {self.line_total_cents} != "
                f"{self.quantity} x {self.unit_price_cents}"
            )

    @property
    def warehouse(self) -> str:
        return self.warehouse_name or self.warehouse_id


@dataclass(frozen=True)
class OrderView:
    order_id: str
    placed_at: datetime  # aware; shown in the shop's time zone
    customer_email: str
    lines: tuple[LineView, ...]
    subtotal_cents: int
    discount_cents: int
    delivery_method: str  # SELF_SERVICE, CURBSIDE, IN_DOOR
    delivery_cents: int
    total_cents: int
    currency: str  # ISO 4217, the shop's at the time of the order
    shipping_address: Address | None = None
    customer_name: str | None = None
    promo_code: str | None = None
    delivery_name: str | None = None  # "Curbside pickup"; defaults to the method, humanised
    estimated_delivery: date | None = None
    payment_reference: str | None = None  # the gateway's payment id
    payment_card: str | None = None  # "Visa •••• 4242"
    status: str = "PLACED"

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("an order view needs at least one line")
        if self.placed_at.tzinfo is None:
            raise ValueError("placed_at must be timezone-aware")
        for name in ("subtotal_cents", "discount_cents", "delivery_cents", "total_cents"):
            _whole(name, getattr(self, name))
        lines_total = sum(line.line_total_cents for line in self.lines)
        if self.subtotal_cents != lines_total:
            raise ValueError(f"subtotal_cents {self.subtotal_cents} != sum of line totals {lines_total}")
        if self.discount_cents > self.subtotal_cents:
            raise ValueError("discount_cents exceeds the subtotal")
        expected = self.subtotal_cents - self.discount_cents + self.delivery_cents
        if self.total_cents != expected:
            raise ValueError(f"total_cents {self.total_cents} != subtotal - discount + delivery = {expected}")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"currency must be an ISO 4217 code such as USD, got {self.currency!r}")

    @property
    def delivery_label(self) -> str:
        return self.delivery_name or self.delivery_method.replace("_", " ").capitalize()

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    def money(self, cents: int) -> str:
        return format_cents(cents, self.currency)


def from_order(order: Any, *, warehouse_names: Mapping[str, str] | None = None) -> OrderView:
    """The view of an order record (`shop.models.Order`, read as plain attributes): what its
    receipt and e-mails show. Amounts are the order's own, so the view's checks hold."""
    from zoneinfo import ZoneInfo

    names = warehouse_names or {}
    address = order.shipping_address
    eta = order.estimated_delivery
    lines = tuple(
        LineView(
            product_id=line.product_id,
            product_name=line.product_name or line.product_id,
            warehouse_id=line.warehouse_id,
            quantity=int(line.quantity),
            unit_price_cents=int(line.unit_price_cents or 0),
            line_total_cents=int(line.quantity) * int(line.unit_price_cents or 0),
            warehouse_name=names.get(line.warehouse_id),
        )
        for line in order.lines
    )
    return OrderView(
        order_id=order.order_id,
        placed_at=order.created_at if order.created_at.tzinfo else order.created_at.replace(tzinfo=ZoneInfo("UTC")),
        customer_email=order.email or "",
        lines=lines,
        subtotal_cents=int(order.subtotal_cents or 0),
        discount_cents=int(order.discount_cents or 0),
        delivery_method=order.delivery_method or "SELF_SERVICE",
        delivery_cents=int(order.delivery_cents or 0),
        total_cents=int(order.total_cents or 0),
        currency=order.currency or "USD",
        shipping_address=None
        if address is None
        else Address(
            name=address.name,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            zip=address.zip_code,
            country=address.country,
        ),
        customer_name=address.name if address is not None else None,
        promo_code=order.promo_code,
        estimated_delivery=date.fromisoformat(eta) if eta else None,
        payment_reference=order.payment_reference,
        payment_card=order.payment_card,
        status=str(order.status),
    )


def _whole(name: str, value: int, *, low: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")


def view_of_order(order: Mapping[str, Any]) -> OrderView:
    """The view of an order in the API's Order shape (`shop.orders.order_payload`), as domain
    events carry it. Raises ValueError when its figures do not add up (see OrderView)."""
    from chalicelib.core.events import parse_time

    address = order.get("shippingAddress")
    eta = order.get("estimatedDelivery")
    return OrderView(
        order_id=str(order["orderId"]),
        placed_at=parse_time(str(order["createdAt"])),
        customer_email=str(order.get("email") or ""),
        lines=tuple(
            LineView(
                product_id=str(line["productId"]),
                product_name=str(line.get("productName") or line["productId"]),
                warehouse_id=str(line["warehouseId"]),
                quantity=int(line["quantity"]),
                unit_price_cents=int(line["unitPriceCents"]),
                line_total_cents=int(line["lineTotalCents"]),
            )
            for line in order["lines"]
        ),
        subtotal_cents=int(order["subtotalCents"]),
        discount_cents=int(order["discountCents"]),
        delivery_method=str(order.get("deliveryMethod") or "SELF_SERVICE"),
        delivery_cents=int(order["deliveryCents"]),
        total_cents=int(order["totalCents"]),
        currency=str(order["currency"]),
        shipping_address=None
        if not address
        else Address(
            name=str(address["name"]),
            line1=str(address["line1"]),
            line2=address.get("line2"),
            city=str(address["city"]),
            zip=str(address["zip"]),
            country=str(address["country"]),
        ),
        customer_name=address.get("name") if address else None,
        promo_code=order.get("promoCode"),
        estimated_delivery=date.fromisoformat(eta) if eta else None,
        payment_reference=order.get("paymentReference"),
        status=str(order.get("status") or "CONFIRMED"),
    )
