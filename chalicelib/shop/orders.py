"""Orders after checkout: reading them (owner, admin, or the guest's order token), purchase history
and the admin's list by day. Changing their status is `chalicelib.orders`' (the one guarded write,
`orders.transitions`; cancelling, `orders.cancellation`).

Who may see an order: an admin; the signed-in customer who placed it; anyone presenting its
`orderToken` (a guest's link). Anyone else gets 404, exactly as for an order that does not exist.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import validation
from chalicelib.core.auth import Principal
from chalicelib.core.config import get_settings
from chalicelib.core.db import business_date, decode_cursor, encode_cursor, is_key, iso, utcnow
from chalicelib.core.errors import NotFound, ValidationError
from chalicelib.shop import order_status
from chalicelib.shop.checkout import token_matches


def order_payload(order: Any) -> dict[str, Any]:
    address = order.shipping_address
    return {
        "orderId": order.order_id,
        "kind": order.kind,
        "status": order.status,
        "statusHistory": [{"status": h.status, "at": iso(h.at), "by": h.by} for h in order.status_history],
        "email": order.email,
        "signedIn": order.customer_id is not None,
        "lines": [
            {
                "productId": line.product_id,
                "productName": line.product_name,
                "quantity": int(line.quantity),
                "unitPriceCents": int(line.unit_price_cents or 0),
                "lineTotalCents": int(
                    line.line_total_cents
                    if line.line_total_cents is not None
                    else int(line.unit_price_cents or 0) * int(line.quantity)
                ),
                "warehouseId": line.warehouse_id,
            }
            for line in order.lines
        ],
        "subtotalCents": int(order.subtotal_cents or 0),
        "discountCents": int(order.discount_cents or 0),
        "deliveryCents": int(order.delivery_cents or 0),
        "totalCents": int(order.total_cents or 0),
        "currency": order.currency or get_settings().currency,
        "promoCode": order.promo_code,
        "deliveryMethod": order.delivery_method,
        "shippingAddress": None
        if address is None
        else {
            "name": address.name,
            "line1": address.line1,
            "line2": address.line2,
            "city": address.city,
            "zip": address.zip_code,
            "country": address.country,
        },
        "estimatedDelivery": order.estimated_delivery,
        "paymentReference": order.payment_reference,
        "paymentCard": order.payment_card,
        "paymentFailure": order.payment_failure,
        "refundedCents": None if order.refunded_cents is None else int(order.refunded_cents),
        "cancelReason": order.cancel_reason,
        "shipment": None
        if not order.carrier and not order.tracking_number
        else {"carrier": order.carrier, "trackingNumber": order.tracking_number, "trackingUrl": order.tracking_url},
        # The receipt is served by `GET /orders/{orderId}/receipt` once the workflow stored it.
        "receiptAvailable": bool(order.receipt_key),
        "businessDate": order.order_date,
        "createdAt": iso(order.created_at),
        "updatedAt": iso(order.updated_at or order.created_at),
        "cancellable": order.status in order_status.CUSTOMER_CANCELLABLE,
    }


def _load(order_id: str) -> Any:
    from chalicelib.shop.models import Order

    if not validation.ID_PATTERN.fullmatch(order_id):
        raise NotFound(f"no order {order_id}", orderId=order_id)
    try:
        return Order.get(order_id, consistent_read=True)
    except Order.DoesNotExist:
        raise NotFound(f"no order {order_id}", orderId=order_id) from None


def may_see(order: Any, principal: Principal | None, token: str | None) -> bool:
    if principal is not None and principal.is_admin:
        return True
    if principal is not None and principal.customer_id is not None and order.customer_id == principal.customer_id:
        return True
    if token_matches(token, order.order_token_hash):
        return True
    # Tokens of e-mailed links (the order token itself is never stored, so no e-mail can hold it).
    return any(token_matches(token, digest) for digest in order.link_token_hashes or ())


def load_visible(order_id: str, principal: Principal | None, token: str | None) -> Any:
    order = _load(order_id)
    if not may_see(order, principal, token):
        raise NotFound(f"no order {order_id}", orderId=order_id)
    return order


def get_order(order_id: str, principal: Principal | None, token: str | None) -> dict[str, Any]:
    return order_payload(load_visible(order_id, principal, token))


# --- lists -------------------------------------------------------------------------------------


def list_my_orders(principal: Principal, *, limit: int | None, cursor: str | None) -> dict[str, Any]:
    """The customer's purchase history, newest first."""
    from chalicelib.shop.models import Order

    if principal.customer_id is None:
        return {"items": [], "nextCursor": None}
    start = decode_cursor(cursor, {"order_id", "customer_id", "created_at"})
    if start is not None and start["customer_id"]["S"] != principal.customer_id:
        raise ValidationError("cursor", "is not a cursor this API returned")
    result = Order.by_customer.query(
        principal.customer_id,
        scan_index_forward=False,
        limit=limit or get_settings().page_size,
        last_evaluated_key=start,
    )
    items = [order_payload(o) for o in result]
    return {"items": items, "nextCursor": encode_cursor(result.last_evaluated_key)}


def _orders_of_email(email: str, *, status: str | None, limit: int | None, cursor: str | None) -> dict[str, Any]:
    """A page of the orders placed with `email` (any case), newest first: one Query of the
    keys-only index, then one BatchGetItem of those orders. With `status`, a page holds that
    status's orders among the page's keys, so it may be short (or empty) with more to come."""
    from chalicelib.shop.models import Order

    address = validation.email({"email": email}, "email")
    assert address is not None
    start = decode_cursor(cursor, {"order_id", "email", "created_at"})
    if start is not None and start["email"]["S"] != address:
        raise ValidationError("cursor", "is not a cursor this API returned")
    result = Order.by_email.query(
        address, scan_index_forward=False, limit=limit or get_settings().page_size, last_evaluated_key=start
    )
    keys = [o.order_id for o in result]
    found = {o.order_id: o for o in Order.batch_get(keys)} if keys else {}
    orders = [found[k] for k in keys if k in found and (status is None or found[k].status == status)]
    return {
        "email": address,
        "items": [order_payload(o) for o in orders],
        "nextCursor": encode_cursor(result.last_evaluated_key),
    }


NOT_STARTED: dict[str, Any] = {"from": {"S": "start"}}


def list_orders(
    *, day: str | None, status: str | None, limit: int | None, cursor: str | None, email: str | None = None
) -> dict[str, Any]:
    """Orders of one business day (default today, in the shop's time zone), newest first,
    optionally of one status; or, with `email`, every order placed with that address.

    A day's orders live in `DAY_SHARDS` index partitions: each page reads every shard from where
    the previous page stopped in it and merges them by time. The cursor holds each shard's
    position: the key of the last order returned from it, `{}` when it has nothing more, or
    `NOT_STARTED`.
    """
    from chalicelib.shop.models import DAY_SHARDS, Order

    if status is not None and status not in (*order_status.STATUSES, order_status.FULFILLED):
        raise ValidationError("status", f"must be one of {', '.join(order_status.STATUSES)}")
    if email is not None:
        if day is not None:
            raise ValidationError("day", "give a day or an e-mail address, not both")
        return _orders_of_email(email, status=status, limit=limit, cursor=cursor)
    day = validation.date(day, "day") or business_date(utcnow())
    size = limit or get_settings().page_size
    shards = [f"{day}#{n}" for n in range(DAY_SHARDS)]
    positions: dict[str, Any] = (decode_cursor(cursor) or {}) if cursor else dict.fromkeys(shards, NOT_STARTED)
    if set(positions) != set(shards) or not all(
        v in ({}, NOT_STARTED) or (is_key(v, {"order_id", "day_shard", "created_at"}) and v["day_shard"]["S"] == k)
        for k, v in positions.items()
    ):
        raise ValidationError("cursor", "is not a cursor this API returned")

    fetched: dict[str, list[Any]] = {}
    more: dict[str, bool] = {}
    for shard in shards:
        if positions[shard] == {}:
            fetched[shard], more[shard] = [], False
            continue
        result = Order.by_day.query(
            shard,
            scan_index_forward=False,
            limit=size,
            filter_condition=(Order.status == status) if status else None,
            last_evaluated_key=None if positions[shard] == NOT_STARTED else positions[shard],
        )
        fetched[shard] = list(result)
        more[shard] = result.last_evaluated_key is not None
    merged = sorted(
        ((o.created_at, o.order_id, shard, o) for shard, orders in fetched.items() for o in orders),
        key=lambda entry: (entry[0], entry[1]),
        reverse=True,
    )[:size]
    next_positions: dict[str, Any] = {}
    for shard in shards:
        taken = [o for *_, s, o in merged if s == shard]
        if not taken:
            next_positions[shard] = positions[shard] if fetched[shard] or more[shard] else {}
        elif len(taken) < len(fetched[shard]) or more[shard]:
            last = taken[-1]
            next_positions[shard] = {
                "order_id": {"S": last.order_id},
                "day_shard": {"S": shard},
                "created_at": {"S": Order.created_at.serialize(last.created_at)},  # type: ignore[no-untyped-call]
            }
        else:
            next_positions[shard] = {}
    done = all(v == {} for v in next_positions.values())
    return {
        "day": day,
        "items": [order_payload(o) for *_, o in merged],
        "nextCursor": None if done else encode_cursor(next_positions),
    }
