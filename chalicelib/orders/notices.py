"""The customer's e-mails about an order (confirmation, payment failed, cancellation, shipped): each
sent at most once per kind, with links that work for a guest.

A link carries a token minted for that e-mail (`progress.mint_link_token`): the order status page
on the storefront and `GET /orders/{orderId}/receipt` on the API, which checks the token and then
redirects to a fresh presigned URL (a presigned URL in an e-mail would expire unread).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from chalicelib.core.config import get_settings
from chalicelib.core.observability import logger
from chalicelib.orders import progress
from chalicelib.orders.emails import Email
from chalicelib.orders.progress import Step
from chalicelib.orders.views import OrderView

# What an e-mail step may spend on SES's backoff before giving up (and being retried or parked).
SEND_BUDGET_SECONDS = 20.0


def status_url(order_id: str, token: str | None = None) -> str:
    """The storefront's order status page (`shop.links`, the one definition of the site's links)."""
    from chalicelib.shop.links import order_status_url

    return order_status_url(order_id, token)


def receipt_link(order_id: str, token: str | None = None) -> str:
    """The API's receipt route on the site's origin (CloudFront and the devstack serve the API at
    `/api`): it checks the token, then redirects to a short-lived presigned URL."""
    url = f"{get_settings().site_origin.rstrip('/')}/api/orders/{quote(order_id, safe='')}/receipt"
    return f"{url}?token={quote(token, safe='')}" if token else url


def view_of(order: Any) -> OrderView:
    """The order as its documents show it, warehouses by name."""
    from chalicelib.orders.views import from_order

    return from_order(order, warehouse_names=_warehouse_names({line.warehouse_id for line in order.lines}))


def _warehouse_names(ids: set[str]) -> dict[str, str]:
    from chalicelib.inventory.models import Warehouse

    if not ids:
        return {}
    return {w.warehouse_id: w.name for w in Warehouse.batch_get(sorted(ids)) if w.name}


def send_once(order: Any, step: Step, build: Callable[[OrderView, str, str], Email]) -> bool:
    """Send the e-mail `build(view, status_url, receipt_link)` unless `step` was sent already;
    True if it was sent now. Raises `EmailThrottled` (transient) or `EmailRejected` (permanent)."""
    from chalicelib.orders import emails

    if progress.done(order, step):
        return False
    token = progress.mint_link_token(order.order_id)
    email = build(view_of(order), status_url(order.order_id, token), receipt_link(order.order_id, token))
    message_id = emails.send(email, deadline=time.monotonic() + SEND_BUDGET_SECONDS)
    progress.record(order.order_id, step)
    logger.info("customer e-mailed", extra={"order_id": order.order_id, "email": str(step), "message_id": message_id})
    return True
