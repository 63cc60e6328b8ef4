"""The sales ledger writer: the ledger's records from the sales events on the bus.

    bus --OrderConfirmed | OrderCancelled | OrderRefunded | PaymentFailed--> ledger_events queue
        --> record_sales --> sales_ledger table (orders.ledger; read by the daily reports)

Each event writes the records the ledger contract gives it (docs/CONTRACTS.md, "Sales ledger"):

    OrderConfirmed   SOLD per line, DELIVERY, DISCOUNT (with a discount or promo code)
    OrderCancelled   CANCELLED per line and for the order
    OrderRefunded    REFUNDED per line and for the order, only when the sale had counted
                     (cancelled from CONFIRMED); a refund of a never-confirmed order writes nothing
    PaymentFailed    PAYMENT_FAILED for the order

`at` is the event's `occurredAt`, the order's status history entry, never this consumer's clock:
a redelivery, even after midnight, computes the same keys, and `ledger.record` puts each record
guarded by `attribute_not_exists`, so it writes nothing twice. No dedupe record is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.core import events as bus
from chalicelib.core.events import parse_time
from chalicelib.core.observability import logger
from chalicelib.orders import ledger
from chalicelib.orders.events import ORDER_REFUNDED, SCHEMA_VERSION, STATUS_EVENTS, order_of
from chalicelib.orders.status import OrderStatus

CONFIRMED = STATUS_EVENTS[OrderStatus.CONFIRMED]
CANCELLED = STATUS_EVENTS[OrderStatus.CANCELLED]
PAYMENT_FAILED = STATUS_EVENTS[OrderStatus.PAYMENT_FAILED]
ACCEPT = {name: frozenset({SCHEMA_VERSION}) for name in (CONFIRMED, CANCELLED, ORDER_REFUNDED, PAYMENT_FAILED)}
UNSPECIFIED = "unspecified"  # the reports' word for a reason nobody gave


def ledger_order(order: Mapping[str, Any]) -> ledger.LedgerOrder:
    """What the ledger needs of an order in the API's Order shape."""
    return ledger.LedgerOrder(
        order_id=str(order["orderId"]),
        lines=[
            ledger.LedgerLine(
                product_id=str(line["productId"]),
                product_name=str(line.get("productName") or line["productId"]),
                warehouse_id=str(line["warehouseId"]),
                quantity=int(line["quantity"]),
                unit_price_cents=int(line["unitPriceCents"]),
            )
            for line in order["lines"]
        ],
        discount_cents=int(order.get("discountCents") or 0),
        delivery_cents=int(order.get("deliveryCents") or 0),
        delivery_method=order.get("deliveryMethod"),
        promo_code=order.get("promoCode"),
    )


def entries_for(event: bus.ReceivedEvent) -> list[ledger.LedgerEntry]:
    """The ledger records one sales event calls for (pure)."""
    order = ledger_order(order_of(event))
    at = parse_time(str(event.detail["occurredAt"]))
    reason = str(event.detail.get("reason") or UNSPECIFIED)
    if event.detail_type == CONFIRMED:
        return ledger.confirmed_entries(order, at)
    if event.detail_type == CANCELLED:
        return ledger.cancelled_entries(order, at, reason=reason, was_confirmed=False)
    if event.detail_type == ORDER_REFUNDED:
        refund = event.detail.get("refund")
        if not isinstance(refund, Mapping) or not refund.get("saleCounted"):
            return []  # the sale never counted: nothing to take back out of net sales
        return [
            entry
            for entry in ledger.cancelled_entries(order, at, reason=reason, was_confirmed=True)
            if entry.event is ledger.LedgerEvent.REFUNDED
        ]
    if event.detail_type == PAYMENT_FAILED:
        return ledger.payment_failed_entries(order, at, reason=reason)
    raise bus.UnrecognisedEvent(f"{event.detail_type} is not a sales event")


def record_sales(event: bus.ReceivedEvent) -> int:
    entries = entries_for(event)
    written = ledger.record(entries)
    logger.info(
        "sales ledger written",
        extra={"order_id": event.detail.get("orderId"), "records": len(entries), "new_records": written},
    )
    return written


def handle_messages(records: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    """An SQS batch of sales events -> partial batch response."""
    return bus.consume(records, context, record_sales, accept=ACCEPT)
