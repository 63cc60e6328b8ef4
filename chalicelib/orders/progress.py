"""What the order workflow has done to an order, recorded on the order itself, so that every step
can be repeated safely (a Lambda retry, a Step Functions retry, a redelivered message, a restarted
or redriven execution).

`Order.workflow_steps` is a string set. A step whose effect is a DynamoDB write adds its name in
the same write, guarded by "not yet there" (committing stock); a step whose effect is outside
DynamoDB (an e-mail, an SNS message, an S3 object) checks the set first and adds its name right
after the effect. Such a step is therefore at least once: if it dies between its effect and the
record, it is repeated (one duplicate e-mail), never skipped.

An e-mail sent to the customer carries links with a token of its own (`mint_link_token`): the
order token is never stored (only its hash), so no e-mail could hold it. The token's hash joins
`Order.link_token_hashes`, which `shop.orders.may_see` accepts like the order token's.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Any

from chalicelib.core.db import utcnow
from chalicelib.core.errors import NotFound


class Step(StrEnum):
    STOCK_COMMITTED = "stock_committed"
    RECEIPT_STORED = "receipt_stored"
    NOTIFIED = "notified"  # the order's SNS notification
    CONFIRMATION_SENT = "email:confirmation"
    PAYMENT_FAILED_SENT = "email:payment_failed"
    CANCELLATION_SENT = "email:cancellation"
    SHIPPED_SENT = "email:shipped"
    SETTLED = "settled"  # a cancelled order's money given back (or found to be nothing)


def done(order: Any, step: Step) -> bool:
    return str(step) in (order.workflow_steps or set())


def load(order_id: str) -> Any:
    """The order as it is now (strongly consistent: a step decides on what it reads)."""
    from chalicelib.shop.models import Order

    try:
        return Order.get(order_id, consistent_read=True)
    except Order.DoesNotExist:
        raise NotFound(f"no order {order_id}", orderId=order_id) from None


def record(order_id: str, step: Step, *, actions: tuple[Any, ...] = ()) -> None:
    """Add `step` to the order's done steps (and any `actions`) in one UpdateItem."""
    from chalicelib.shop.models import Order

    Order(order_id).update(
        actions=[Order.workflow_steps.add({str(step)}), Order.updated_at.set(utcnow()), *actions],
        condition=Order.order_id.exists(),
    )


def mint_link_token(order_id: str) -> str:
    """A new token for the links of one e-mail about the order; its hash is stored before the
    e-mail is sent, so the link works from the moment it can be read."""
    from chalicelib.shop.checkout import hash_token
    from chalicelib.shop.models import Order

    token = secrets.token_urlsafe(32)
    Order(order_id).update(
        actions=[Order.link_token_hashes.add({hash_token(token)})], condition=Order.order_id.exists()
    )
    return token
