"""Quote and checkout (issue 9 §6), and seed 003's one-product `POST /place-order`.

A quote and an order are priced by the same code: items (or a cart), prices from the catalog,
allocation to warehouses by the delivery zip, the promo code, the delivery method's fixed cost.

Placing an order is one `TransactWriteItems` and nothing else that writes:

    for each line      stock: available -= q, reserved += q   if available >= q   (+ its movement)
    the order          put                                    if no such order
    the promo code     redemptions += 1                       if active and redemptions < max
    its redemption     redeemed += 1 for this e-mail          if redeemed < maxPerCustomer
    Idempotency-Key    put the response                       if no live record for the key
    the cart           delete                                 if unchanged since read

so either all of it happens or none. A cancelled transaction is read reason by reason: the key was
used already -> the original response (or 422 for another body); a stock line was taken meanwhile
-> re-read (consistently) and re-plan, then 409 naming the short lines when there is really not
enough; the promo's limits -> 422 with the reason; the cart changed -> re-read it. DynamoDB's own
`TransactionConflict` (another transaction on the same item at that instant) is retried with
jitter by `core.db.transact`, then answered 429 with Retry-After.

Requests per order are constant in the number of lines: Scan warehouses, BatchGetItem products,
BatchGetItem stock, GetItem delivery method, GetItem promo code (with a code), GetItem cart (with a
cart), one TransactWriteItems (`make bench` counts them for 1 and 10 lines).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.core import idempotency, observability, validation
from chalicelib.core.auth import Principal
from chalicelib.core.config import get_settings
from chalicelib.core.db import Cancelled, business_date, iso, transact, utcnow
from chalicelib.core.errors import (
    Busy,
    InsufficientStock,
    NotFound,
    PromoCodeInvalid,
    StockroomError,
    ValidationError,
)
from chalicelib.core.observability import logger
from chalicelib.shop import delivery, order_status, payment_cards
from chalicelib.shop.allocation import Plan, Refusal, allocate
from chalicelib.shop.carts import MAX_LINE_QUANTITY, MAX_LINES, _items, load_cart
from chalicelib.shop.pricing import (
    PER_CUSTOMER_LIMIT,
    REASON_TEXT,
    PromoTerms,
    Totals,
    discount_cents,
    estimated_delivery,
    line_total,
    promo_refusal,
)
from chalicelib.shop.shelf import read_shelf

QUOTE_FIELDS = {"items", "cartId", "zip", "deliveryMethod", "promoCode"}
ORDER_FIELDS = QUOTE_FIELDS | {"email", "shippingAddress", "paymentToken"}
ADDRESS_FIELDS = {"name", "line1", "line2", "city", "zip", "country"}
SUPPORTED_COUNTRIES = ("US",)
# Placing re-plans from fresh reads when a line was taken between the read and the commit.
MAX_PLAN_ATTEMPTS = 4


@dataclass(frozen=True)
class CheckoutRequest:
    """A validated quote or order request."""

    items: tuple[tuple[str, int], ...] = ()
    cart_id: str | None = None
    zip_code: str | None = None
    delivery_method: str = delivery.SELF_SERVICE
    promo_code: str | None = None
    email: str | None = None
    address: dict[str, Any] | None = None
    payment_token: str | None = None

    def fingerprint(self, principal: Principal | None) -> str:
        return idempotency.fingerprint(
            {
                "items": [list(i) for i in self.items],
                "cartId": self.cart_id,
                "zip": self.zip_code,
                "deliveryMethod": self.delivery_method,
                "promoCode": self.promo_code,
                "email": self.email,
                "shippingAddress": self.address,
                "paymentToken": self.payment_token,
                "caller": principal.subject if principal else None,
            }
        )


@dataclass
class Priced:
    """An order as it would be placed now: lines with prices and warehouses, totals, delivery."""

    lines: list[dict[str, Any]]
    totals: Totals
    method: delivery.Method
    promo: PromoTerms | None
    order_date: str
    estimated_delivery: str
    cart: Any = None
    split: bool = False
    notes: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "lines": [dict(line) for line in self.lines],
            "subtotalCents": self.totals.subtotal_cents,
            "discountCents": self.totals.discount_cents,
            "deliveryCents": self.totals.delivery_cents,
            "totalCents": self.totals.total_cents,
            "currency": get_settings().currency,
            "promoCode": self.promo.code if self.promo else None,
            "deliveryMethod": self.method.method,
            "deliveryMethodName": self.method.name,
            "estimatedDelivery": self.estimated_delivery,
            "splitShipment": self.split,
        }


# --- reading the request --------------------------------------------------------------------


def parse(body: dict[str, Any], *, order: bool, principal: Principal | None) -> CheckoutRequest:
    from chalicelib.inventory.warehouses import locate
    from chalicelib.shop.promos import normalize_code

    validation.reject_unknown(body, ORDER_FIELDS if order else QUOTE_FIELDS)
    if ("items" in body) == ("cartId" in body):
        raise ValidationError("items", "give either items or cartId")
    quantities = _items(body) if "items" in body else {}
    cart_id = validation.text(body, "cartId", max_length=64, required=False)
    method = validation.choice(body, "deliveryMethod", delivery.METHODS)
    assert method is not None
    promo = normalize_code(body["promoCode"], "promoCode") if body.get("promoCode") not in (None, "") else None

    address = None
    if order:
        raw_address = validation.object_field(body, "shippingAddress", required=method != delivery.SELF_SERVICE)
        address = _address(raw_address) if raw_address is not None else None
    located = locate(body, "zip", required=not (address and address.get("zip")))
    zip_code = located[0] if located else (address or {}).get("zip")

    email = None
    if order:
        signed_in = principal is not None and principal.customer_id is not None
        email = validation.email(body, "email", required=not (signed_in and principal and principal.email))
        if email is None and principal is not None:
            email = (principal.email or "").lower() or None
    token = validation.text(body, "paymentToken", max_length=128, required=False) if order else None
    if token is not None and not token.startswith("tok_"):
        # Card numbers never reach the API: only a gateway's token (tok_...) is accepted.
        raise ValidationError("paymentToken", "must be a payment token (tok_...), never card details")
    if token is not None and token not in payment_cards.TOKENS:
        # Refused here rather than discovered by the payment step after the stock was reserved.
        # Test mode knows every token it issues; a live gateway's tokens are checked by the gateway.
        raise ValidationError(
            "paymentToken", "is not a payment token of the card form (test mode: tok_visa, tok_chargeDeclined, ...)"
        )
    return CheckoutRequest(
        items=tuple(sorted(quantities.items())),
        cart_id=cart_id,
        zip_code=zip_code,
        delivery_method=method,
        promo_code=promo,
        email=email,
        address=address,
        payment_token=token,
    )


def _address(raw: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.inventory.warehouses import locate

    def named(error: ValidationError) -> ValidationError:
        return ValidationError(f"shippingAddress.{error.details['field']}", error.message.split(": ", 1)[-1])

    try:
        validation.reject_unknown(raw, ADDRESS_FIELDS)
        address = {
            "name": validation.text(raw, "name", max_length=200),
            "line1": validation.text(raw, "line1", max_length=200),
            "line2": validation.text(raw, "line2", max_length=200, required=False, allow_empty=True) or None,
            "city": validation.text(raw, "city", max_length=100),
        }
        country = (validation.text(raw, "country", max_length=2) or "").upper()
        if country not in SUPPORTED_COUNTRIES:
            raise ValidationError("country", f"we deliver to {', '.join(SUPPORTED_COUNTRIES)} only")
        located = locate(raw, "zip")
        assert located is not None
    except ValidationError as exc:
        raise named(exc) from None
    return {**address, "zip": located[0], "country": country}


# --- pricing (quote and order alike) ---------------------------------------------------------


def price(
    request: CheckoutRequest, principal: Principal | None, *, consistent: bool = False, now: datetime | None = None
) -> Priced:
    """Price the request as it would be placed at `now` (its business day decides the ETA)."""
    from chalicelib.inventory.geo import lookup
    from chalicelib.shop.promos import customer_redemptions, load_terms

    cart = None
    quantities = dict(request.items)
    if request.cart_id is not None:
        cart = load_cart(request.cart_id, principal, consistent=True)
        quantities = {line.product_id: int(line.quantity) for line in cart.lines if int(line.quantity) > 0}
        if not quantities:
            raise ValidationError("cartId", "the cart is empty")
        if len(quantities) > MAX_LINES:
            raise ValidationError("cartId", f"the cart holds more than {MAX_LINES} products")

    shelf = read_shelf(quantities, consistent=consistent)
    for product_id in quantities:
        if product_id not in shelf.products:
            raise NotFound(f"no product {product_id}", productId=product_id)
    origin = lookup(request.zip_code) if request.zip_code else None
    outcome = allocate(sorted(quantities.items()), shelf.sites, shelf.available, origin)
    if isinstance(outcome, Refusal):
        short = [
            {"productId": s.product_id, "requested": s.requested, "available": s.available} for s in outcome.shortages
        ]
        raise InsufficientStock(
            "not enough stock for "
            + ", ".join(f"{s['productId']} ({s['requested']} requested, {s['available']} available)" for s in short),
            lines=short,
        )
    assert isinstance(outcome, Plan)

    lines = []
    for product_id, quantity in sorted(quantities.items()):
        product = shelf.products[product_id]
        unit = int(product.price_cents)
        lines.append(
            {
                "productId": product_id,
                "productName": product.name,
                "quantity": quantity,
                "unitPriceCents": unit,
                "lineTotalCents": line_total(unit, quantity),
                "warehouseId": outcome.warehouse_for[product_id],
                "warehouseName": shelf.names.get(outcome.warehouse_for[product_id]),
            }
        )
    subtotal = sum(line["lineTotalCents"] for line in lines)
    now = now or utcnow()
    promo = None
    discount = 0
    if request.promo_code:
        promo = load_terms(request.promo_code, consistent=consistent)
        customer = _promo_customer(request, principal)
        reason = promo_refusal(promo, subtotal, now)
        if reason is None and promo and promo.max_per_customer is not None and customer:
            reason = promo_refusal(promo, subtotal, now, customer_redemptions(promo.code, customer))
        if reason is not None:
            raise _promo_invalid(request.promo_code, reason)
        assert promo is not None
        discount = discount_cents(promo, subtotal)
    method = delivery.get_method(request.delivery_method)
    order_date = business_date(now)
    return Priced(
        lines=lines,
        totals=Totals(subtotal, discount, method.cost_cents),
        method=method,
        promo=promo,
        order_date=order_date,
        estimated_delivery=estimated_delivery(order_date, method.eta_days),
        cart=cart,
        split=outcome.split,
    )


def _promo_customer(request: CheckoutRequest, principal: Principal | None) -> str | None:
    """Whom a redemption counts against: the e-mail address (guests and customers alike)."""
    if request.email:
        return request.email
    if principal is not None and principal.customer_id is not None and principal.email:
        return principal.email.lower()
    return None


def _promo_invalid(code: str, reason: str) -> PromoCodeInvalid:
    return PromoCodeInvalid(f"promo code {code}: {REASON_TEXT[reason]}", reason=reason, code=code)


def quote(body: dict[str, Any], principal: Principal | None) -> dict[str, Any]:
    return price(parse(body, order=False, principal=principal), principal).payload()


# --- placing ---------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, token_hash: str | None) -> bool:
    if not token or not token_hash or len(token) > 128:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


def place_order(
    body: dict[str, Any], principal: Principal | None, *, idempotency_key: str | None, actor: str | None = None
) -> dict[str, Any]:
    """`POST /orders`: the order, placed in one transaction, or a 4xx saying why not."""
    request = parse(body, order=True, principal=principal)
    return place(request, principal, idempotency_key=idempotency_key, actor=actor)


def place_simple_order(
    body: dict[str, Any], principal: Principal | None, *, idempotency_key: str | None
) -> dict[str, Any]:
    """`POST /place-order` (seed 003): one product for a guest, self-service from the warehouse that
    can fill it, through the same checkout."""
    validation.reject_unknown(body, {"productId", "quantity", "customerEmail"})
    product_id = validation.identifier(body, "productId")
    quantity = validation.whole_number(body, "quantity", low=1, high=MAX_LINE_QUANTITY)
    email = validation.email(body, "customerEmail")
    assert quantity is not None
    request = CheckoutRequest(items=((product_id, quantity),), delivery_method=delivery.SELF_SERVICE, email=email)
    placed = place(request, principal, idempotency_key=idempotency_key, scope="place-order")
    return {"orderId": placed["orderId"], "status": placed["status"], "orderToken": placed["orderToken"], **placed}


def place(
    request: CheckoutRequest,
    principal: Principal | None,
    *,
    idempotency_key: str | None,
    actor: str | None = None,
    scope: str = "checkout",
) -> dict[str, Any]:
    from chalicelib.core.idempotency import IdempotencyRecord
    from chalicelib.inventory import reservations
    from chalicelib.inventory.models import Stock
    from chalicelib.shop.models import (
        Address,
        Cart,
        Order,
        OrderLine,
        PromoCode,
        PromoRedemption,
        StatusChange,
        day_shard,
    )

    key = validation.idempotency_key(idempotency_key)
    if not request.email:
        raise ValidationError("email", "is required")
    customer_id = principal.customer_id if principal else None
    actor = actor or (principal.actor if principal else f"guest:{request.email}")
    request_fingerprint = request.fingerprint(principal)
    record_id = f"{scope}#{principal.subject if principal else 'guest'}#{key}" if key else None

    # A retry of a request that succeeded gets its original response, even though its cart is gone
    # or its stock has been sold since. (Concurrent duplicates are settled by the transaction.)
    earlier = _earlier_response(record_id, request_fingerprint)
    if earlier is not None:
        return earlier
    for attempt in range(1, MAX_PLAN_ATTEMPTS + 1):
        now = utcnow()  # the order's instant: its business day, ETA and promo validity
        try:
            priced = price(request, principal, consistent=attempt > 1, now=now)
        except StockroomError:
            # A duplicate that committed meanwhile may have taken the cart or the last units.
            earlier = _earlier_response(record_id, request_fingerprint)
            if earlier is not None:
                return earlier
            raise
        order_id = str(uuid.uuid4())
        order_token = secrets.token_urlsafe(32)
        promo = priced.promo
        promo_customer = request.email if promo else None
        response = {
            "orderId": order_id,
            "status": order_status.PLACED,
            **priced.payload(),
            "email": request.email,
            "orderToken": order_token,
            "createdAt": iso(now),
            "businessDate": priced.order_date,
        }
        order = Order(
            order_id,
            kind="shop",
            customer_id=customer_id,
            email=request.email,
            lines=[
                OrderLine(  # type: ignore[no-untyped-call]
                    product_id=line["productId"],
                    warehouse_id=line["warehouseId"],
                    quantity=line["quantity"],
                    unit_price_cents=line["unitPriceCents"],
                    product_name=line["productName"],
                    line_total_cents=line["lineTotalCents"],
                )
                for line in priced.lines
            ],
            subtotal_cents=priced.totals.subtotal_cents,
            discount_cents=priced.totals.discount_cents,
            delivery_cents=priced.totals.delivery_cents,
            total_cents=priced.totals.total_cents,
            currency=get_settings().currency,
            promo_code=promo.code if promo else None,
            promo_customer=promo_customer,
            delivery_method=priced.method.method,
            shipping_address=_address_attribute(Address, request.address),
            delivery_zip=request.zip_code,
            estimated_delivery=priced.estimated_delivery,
            status=order_status.PLACED,
            status_history=[StatusChange(status=order_status.PLACED, at=now, by=actor)],  # type: ignore[no-untyped-call]
            payment_token=request.payment_token,
            order_token_hash=hash_token(order_token),
            order_date=priced.order_date,
            day_shard=day_shard(priced.order_date, order_id),
            created_at=now,
            created_by=actor,
            updated_at=now,
        )

        def build(tx: Any, priced: Priced = priced, order: Any = order, response: dict[str, Any] = response) -> None:
            if record_id:
                idempotency.claim_in(tx, record_id, request_fingerprint, response, now=order.created_at)
            for line in priced.lines:
                reservations.reserve(
                    tx,
                    line["productId"],
                    line["warehouseId"],
                    line["quantity"],
                    now=order.created_at,
                    actor=actor,
                    reference=order.order_id,
                )
            tx.save(order, condition=Order.order_id.does_not_exist())
            if priced.promo is not None:
                # The limits hold under any concurrency: both counters move in this transaction,
                # each guarded by its limit as it stands at commit.
                limit = PromoCode.max_redemptions.does_not_exist() | (PromoCode.redemptions < PromoCode.max_redemptions)
                tx.update(
                    PromoCode(priced.promo.code),
                    actions=[PromoCode.redemptions.add(1), PromoCode.updated_at.set(order.created_at)],
                    condition=PromoCode.code.exists() & (PromoCode.active == True) & limit,  # noqa: E712
                )
                per_customer = None
                if priced.promo.max_per_customer is not None:
                    per_customer = PromoRedemption.redeemed.does_not_exist() | (
                        PromoRedemption.redeemed < priced.promo.max_per_customer
                    )
                tx.update(
                    PromoRedemption(priced.promo.code, order.promo_customer),
                    actions=[PromoRedemption.redeemed.add(1), PromoRedemption.updated_at.set(order.created_at)],
                    condition=per_customer,
                )
            if priced.cart is not None:
                tx.delete(priced.cart, condition=Cart.version == int(priced.cart.version))

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(IdempotencyRecord):
                return idempotency.replay(record_id or "", request_fingerprint)
            if cancelled.failed(PromoRedemption):
                raise _promo_invalid(request.promo_code or "", PER_CUSTOMER_LIMIT) from None
            if cancelled.failed(PromoCode):
                _raise_promo_reason(request, principal, priced)
                continue
            if cancelled.failed(Stock) or cancelled.failed(Cart) or cancelled.failed(Order):
                # A line was taken (or the cart changed) between our read and the commit: read
                # again, consistently, and plan again; `price` answers 409 if it is really short.
                logger.info("checkout re-planning", extra={"attempt": attempt})
                continue
            raise
        logger.info(
            "order placed",
            extra={
                "order_id": order_id,
                "lines": len(priced.lines),
                "total_cents": priced.totals.total_cents,
                "split": priced.split,
                "promo": promo.code if promo else None,
            },
        )
        observability.count(observability.ORDERS_PLACED)  # a replay above returned before this
        return response
    raise Busy("the items in this order are in high demand right now; try again")


def _address_attribute(address_model: Any, address: dict[str, Any] | None) -> Any:
    if address is None:
        return None
    return address_model(
        name=address["name"],
        line1=address["line1"],
        line2=address.get("line2"),
        city=address["city"],
        zip_code=address["zip"],
        country=address["country"],
    )


def _raise_promo_reason(request: CheckoutRequest, principal: Principal | None, priced: Priced) -> None:
    """The promo code's guard failed at commit: say why, from a fresh read."""
    from chalicelib.shop.promos import load_terms

    code = request.promo_code or ""
    reason = promo_refusal(load_terms(code, consistent=True), priced.totals.subtotal_cents, utcnow())
    if reason is not None:
        raise _promo_invalid(code, reason)


def _earlier_response(record_id: str | None, request_fingerprint: str) -> dict[str, Any] | None:
    """The response of an earlier request with this Idempotency-Key, if one was carried out."""
    from chalicelib.core.idempotency import IdempotencyRecord

    if record_id is None:
        return None
    try:
        record = IdempotencyRecord.get(record_id, consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return None
    if record.expiration is not None and record.expiration < utcnow():
        return None
    return idempotency.replay(record_id, request_fingerprint)
