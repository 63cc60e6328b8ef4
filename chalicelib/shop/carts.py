"""Carts: persisted for guests and customers alike.

A cart holds product ids and quantities only; every response prices it from the catalog and shows
what is available now. A guest's cart is reached by its unguessable id alone; a cart created or
merged by a signed-in customer is bound to them, and anyone else asking for it gets 404. Every
change is a write conditioned on the cart's `version` (read, change, write; retried on a race),
and pushes the cart's expiry (DynamoDB TTL) 30 days out.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from chalicelib.core import validation
from chalicelib.core.auth import Principal
from chalicelib.core.db import Cancelled, iso, transact, utcnow
from chalicelib.core.errors import Conflict, InsufficientStock, NotFound, ValidationError
from chalicelib.core.observability import logger
from chalicelib.shop.pricing import line_total
from chalicelib.shop.shelf import Shelf, read_shelf

CART_TTL = timedelta(days=30)
CART_ID = re.compile(r"[A-Za-z0-9_-]{16,64}", re.ASCII)  # what `new_cart_id` makes (URL-safe base64)
MAX_LINES = 40
MAX_LINE_QUANTITY = 10_000
MAX_ATTEMPTS = 5


def new_cart_id() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def cart_payload(cart: Any, shelf: Shelf | None = None) -> dict[str, Any]:
    shelf = shelf or read_shelf(line.product_id for line in cart.lines)
    items = []
    for line in cart.lines:
        product = shelf.products.get(line.product_id)
        if product is None:  # deleted from the catalog since: no longer offered
            continue
        quantity, price = int(line.quantity), int(product.price_cents)
        items.append(
            {
                "productId": line.product_id,
                "productName": product.name,
                "quantity": quantity,
                "unitPriceCents": price,
                "lineTotalCents": line_total(price, quantity),
                "available": shelf.total_available(line.product_id),
            }
        )
    return {
        "cartId": cart.cart_id,
        "items": items,
        "subtotalCents": sum(i["lineTotalCents"] for i in items),
        "signedIn": cart.customer_id is not None,
        "updatedAt": iso(cart.updated_at),
        "expiresAt": iso(cart.updated_at + CART_TTL),
    }


def load_cart(cart_id: str, principal: Principal | None, *, consistent: bool = True) -> Any:
    """The cart if this caller may use it: anyone holding a guest cart's id, only its customer for
    a bound cart (admins included: carts are private). Otherwise 404, never 403 (no oracle)."""
    from chalicelib.shop.models import Cart

    if not CART_ID.fullmatch(cart_id):
        raise NotFound("no such cart", cartId=cart_id[:64])
    try:
        cart = Cart.get(cart_id, consistent_read=consistent)
    except Cart.DoesNotExist:
        raise NotFound(f"no cart {cart_id}", cartId=cart_id) from None
    if cart.customer_id is not None and (principal is None or principal.customer_id != cart.customer_id):
        raise NotFound(f"no cart {cart_id}", cartId=cart_id)
    return cart


def _quantities(cart: Any) -> dict[str, int]:
    return {line.product_id: int(line.quantity) for line in cart.lines}


def _lines(quantities: dict[str, int]) -> list[Any]:
    from chalicelib.shop.models import CartLine

    return [CartLine(product_id=p, quantity=q) for p, q in quantities.items() if q > 0]  # type: ignore[no-untyped-call]


def _new_cart(customer_id: str | None, quantities: dict[str, int] | None = None) -> Any:
    from chalicelib.shop.models import Cart

    now = utcnow()
    return Cart(
        new_cart_id(),
        customer_id=customer_id,
        lines=_lines(quantities or {}),
        version=1,
        created_at=now,
        updated_at=now,
        expires_at=now + CART_TTL,
    )


def _items(body: dict[str, Any]) -> dict[str, int]:
    """`items: [{productId, quantity}]` as product -> quantity (repeated products add up)."""
    raw = validation.list_field(body, "items", max_items=MAX_LINES, required=False) or []
    quantities: dict[str, int] = {}
    for number, entry in enumerate(raw):
        field = f"items[{number}]"
        if not isinstance(entry, dict):
            raise ValidationError(field, "must be an object {productId, quantity}")
        unknown = sorted(set(entry) - {"productId", "quantity"})
        if unknown:
            raise ValidationError(f"{field}.{unknown[0]}", "unknown field (allowed: productId, quantity)")
        product_id = validation.identifier(entry, "productId") if "productId" in entry else None
        if product_id is None:
            raise ValidationError(f"{field}.productId", "is required")
        try:
            quantity = validation.whole_number(entry, "quantity", low=1, high=MAX_LINE_QUANTITY)
        except ValidationError as exc:
            raise ValidationError(f"{field}.quantity", exc.message.split(": ", 1)[-1]) from None
        assert quantity is not None
        quantities[product_id] = quantities.get(product_id, 0) + quantity
        if quantities[product_id] > MAX_LINE_QUANTITY:
            raise ValidationError(f"{field}.quantity", f"adds up to more than {MAX_LINE_QUANTITY}")
    return quantities


def create_cart(body: dict[str, Any] | None, principal: Principal | None) -> dict[str, Any]:
    from chalicelib.shop.models import Cart

    body = body or {}
    validation.reject_unknown(body, {"items"})
    quantities = _items(body)
    shelf = read_shelf(quantities)
    _check_offered(quantities, shelf)
    cart = _new_cart(principal.customer_id if principal else None, quantities)
    cart.save(condition=Cart.cart_id.does_not_exist())
    logger.info("cart created", extra={"cart_id_prefix": cart.cart_id[:6], "signed_in": cart.customer_id is not None})
    return cart_payload(cart, shelf)


def get_cart(cart_id: str, principal: Principal | None) -> dict[str, Any]:
    return cart_payload(load_cart(cart_id, principal, consistent=False))


def _check_offered(quantities: dict[str, int], shelf: Shelf) -> None:
    for product_id, quantity in quantities.items():
        if product_id not in shelf.products:
            raise NotFound(f"no product {product_id}", productId=product_id)
        available = shelf.total_available(product_id)
        if quantity > available:
            raise InsufficientStock(
                f"only {available} of {product_id} available, {quantity} requested",
                productId=product_id,
                requested=quantity,
                available=available,
                lines=[{"productId": product_id, "requested": quantity, "available": available}],
            )


def _save(cart: Any, quantities: dict[str, int]) -> bool:
    """Write the cart's new lines if nobody changed it since it was read; False on a race."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.shop.models import Cart

    if len([q for q in quantities.values() if q > 0]) > MAX_LINES:
        raise ValidationError("productId", f"a cart holds at most {MAX_LINES} different products")
    now = utcnow()
    try:
        cart.update(
            actions=[
                Cart.lines.set(_lines(quantities)),
                Cart.version.add(1),
                Cart.updated_at.set(now),
                Cart.expires_at.set(now + CART_TTL),
            ],
            condition=Cart.version == int(cart.version),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def set_item(cart_id: str, product_id: str, body: dict[str, Any], principal: Principal | None) -> dict[str, Any]:
    """Set a line's quantity (0 removes it). More than is available now is refused (409)."""
    validation.reject_unknown(body, {"quantity"})
    quantity = validation.whole_number(body, "quantity", low=0, high=MAX_LINE_QUANTITY)
    assert quantity is not None
    if not validation.ID_PATTERN.fullmatch(product_id):
        raise NotFound(f"no product {product_id}", productId=product_id)
    return _change(cart_id, principal, lambda q: {**q, product_id: quantity}, checked={product_id: quantity})


def remove_item(cart_id: str, product_id: str, principal: Principal | None) -> dict[str, Any]:
    """Remove a line; removing one the cart does not hold changes nothing (200). An id no
    product can have is refused as `set_item` refuses it."""
    if not validation.ID_PATTERN.fullmatch(product_id):
        raise NotFound(f"no product {product_id}", productId=product_id)
    return _change(cart_id, principal, lambda q: {p: n for p, n in q.items() if p != product_id}, checked={})


def _change(cart_id: str, principal: Principal | None, change: Any, *, checked: dict[str, int]) -> dict[str, Any]:
    if any(q > 0 for q in checked.values()):
        _check_offered({p: q for p, q in checked.items() if q > 0}, read_shelf(checked))
    for _attempt in range(MAX_ATTEMPTS):
        cart = load_cart(cart_id, principal)
        quantities = change(_quantities(cart))
        if _save(cart, quantities):
            cart.refresh(consistent_read=True)
            return cart_payload(cart)
    raise Conflict("the cart kept changing while it was being updated; try again", cartId=cart_id)


def _customer(principal: Principal) -> str:
    if principal.customer_id is None:
        raise NotFound("only a signed-in customer has a cart of their own")
    return principal.customer_id


def my_cart_item(principal: Principal) -> Any:
    """The customer's cart (the one changed last, from any device), created when there is none."""
    from chalicelib.shop.models import Cart

    customer_id = _customer(principal)
    latest = next(iter(Cart.by_customer.query(customer_id, scan_index_forward=False, limit=1)), None)
    if latest is not None:
        return Cart.get(latest.cart_id, consistent_read=True)
    cart = _new_cart(customer_id)
    cart.save(condition=Cart.cart_id.does_not_exist())
    return cart


def get_my_cart(principal: Principal) -> dict[str, Any]:
    return cart_payload(my_cart_item(principal))


def merge_cart(body: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """Merge a guest cart into the customer's own at sign-in: quantities add up, each capped by
    what is available now; the guest cart is deleted in the same transaction."""
    from chalicelib.shop.models import Cart

    validation.reject_unknown(body, {"cartId"})
    guest_id = validation.text(body, "cartId", max_length=64)
    assert guest_id is not None
    for _attempt in range(MAX_ATTEMPTS):
        mine = my_cart_item(principal)
        if guest_id == mine.cart_id:
            return cart_payload(mine)
        guest = load_cart(guest_id, principal)
        merged = _quantities(mine)
        for product_id, quantity in _quantities(guest).items():
            merged[product_id] = merged.get(product_id, 0) + quantity
        shelf = read_shelf(merged)
        capped = {
            p: min(q, shelf.total_available(p), MAX_LINE_QUANTITY) for p, q in merged.items() if p in shelf.products
        }
        now = utcnow()

        def build(
            tx: Any, mine: Any = mine, guest: Any = guest, capped: dict[str, int] = capped, now: Any = now
        ) -> None:
            tx.update(
                mine,
                actions=[
                    Cart.lines.set(_lines(capped)),
                    Cart.version.add(1),
                    Cart.updated_at.set(now),
                    Cart.expires_at.set(now + CART_TTL),
                ],
                condition=Cart.version == int(mine.version),
            )
            tx.delete(guest, condition=Cart.version == int(guest.version))

        try:
            transact(build)
        except Cancelled:
            continue  # one of the carts changed (or the guest cart was merged already): read again
        mine.refresh(consistent_read=True)
        logger.info("cart merged", extra={"lines": len(capped)})
        return cart_payload(mine)
    raise Conflict("the carts kept changing while they were being merged; try again")
