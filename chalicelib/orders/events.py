"""Order domain events: every status change of a customer order, published on the shop's bus.

    orders table --stream (NEW_AND_OLD_IMAGES)--> publish_order_events --PutEvents--> bus

The orders stream is the outbox: a status change is a committed write that appends `{status, at,
by}` to the order's `status_history` (orders.transitions, shop.orders.advance), and its stream
record carries the order before and after. Each history entry the write appended becomes one
event, named by its status (`STATUS_EVENTS`); cancelling an order whose payment was captured
(from PAID or CONFIRMED) also yields `OrderRefunded`. Staff stock withdrawals (`kind`
"inventory") are not sales and publish nothing.

Ids are deterministic: `<orderId>#<history index>#<status>` (`#REFUNDED` for the refund), so a
stream record delivered again, or replayed from the stream-failures DLQ, publishes the same
`eventId` and consumers dedupe it. `occurredAt` (and the envelope's `time`) is the history entry's
`at`, never the publisher's clock.

Each event carries the order as it was at that change (`order`: the API's Order shape, minus what
only the API needs), so consumers need not read the orders table: the ledger, the admin e-mail
and the feed work from the event alone. Schemas: docs/events/<DetailType>.v1.schema.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.core import events as bus
from chalicelib.core.events import DomainEvent, parse_time
from chalicelib.core.observability import logger
from chalicelib.core.resources import EVENT_SCHEMA_VERSION, ORDER_EVENTS_SOURCE
from chalicelib.orders.status import OrderStatus

SOURCE = ORDER_EVENTS_SOURCE
SCHEMA_VERSION = EVENT_SCHEMA_VERSION
STATUS_EVENTS: Mapping[str, str] = {
    OrderStatus.PLACED: "OrderPlaced",
    OrderStatus.PAID: "OrderPaid",
    OrderStatus.CONFIRMED: "OrderConfirmed",
    OrderStatus.PAYMENT_FAILED: "PaymentFailed",
    OrderStatus.CANCELLED: "OrderCancelled",
    OrderStatus.SHIPPED: "OrderShipped",
    OrderStatus.DELIVERED: "OrderDelivered",
}
ORDER_REFUNDED = "OrderRefunded"
DETAIL_TYPES: tuple[str, ...] = (*STATUS_EVENTS.values(), ORDER_REFUNDED)
# The payment was captured in these: cancelling from them returns the money.
CAPTURED = frozenset({OrderStatus.PAID, OrderStatus.CONFIRMED})
SALES_KIND = "shop"
# Fields of the API's Order that describe the request, not the order.
_NOT_IN_SNAPSHOT = ("cancellable", "updatedAt")


def event_id(order_id: str, index: int, name: str) -> str:
    return f"{order_id}#{index}#{name}"


def order_events(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[DomainEvent]:
    """The events of one write to an order: `old` and `new` are the order before and after, in the
    API's Order shape (`shop.orders.order_payload`; `old` None for a new order). Pure.

    One event per history entry the write appended (normally one), in order."""
    if new.get("kind") != SALES_KIND:
        return []
    history: Sequence[Mapping[str, Any]] = new.get("statusHistory") or []
    before = len(old.get("statusHistory") or []) if old else 0
    published: list[DomainEvent] = []
    for index in range(before, len(history)):
        change = history[index]
        status = str(change["status"])
        name = STATUS_EVENTS.get(status)
        if name is None:
            continue
        previous = str(history[index - 1]["status"]) if index > 0 else None
        order = snapshot(new, index)
        published.append(_event(name, order, index, change, previous, status))
        if status == OrderStatus.CANCELLED and previous in CAPTURED:
            refund = {
                "amountCents": int(new["totalCents"]),
                "currency": new["currency"],
                "paymentReference": new.get("paymentReference"),
                "saleCounted": previous == OrderStatus.CONFIRMED,
            }
            published.append(_event(ORDER_REFUNDED, order, index, change, previous, "REFUNDED", refund=refund))
    return published


def snapshot(order: Mapping[str, Any], index: int) -> dict[str, Any]:
    """The order as it was right after history entry `index`."""
    history = list(order.get("statusHistory") or [])[: index + 1]
    values = {k: v for k, v in order.items() if k not in _NOT_IN_SNAPSHOT}
    values["statusHistory"] = history
    values["status"] = history[-1]["status"] if history else order.get("status")
    return values


def _event(
    detail_type: str,
    order: dict[str, Any],
    index: int,
    change: Mapping[str, Any],
    previous: str | None,
    id_suffix: str,
    **extra: Any,
) -> DomainEvent:
    order_id = str(order["orderId"])
    detail = {
        "schemaVersion": SCHEMA_VERSION,
        "eventId": event_id(order_id, index, id_suffix),
        "occurredAt": change["at"],
        "orderId": order_id,
        "status": change["status"],
        "previousStatus": previous,
        "actor": change.get("by"),
        **extra,
        "order": order,
    }
    return DomainEvent(SOURCE, detail_type, detail, parse_time(str(change["at"])))


# --- the stream handler ------------------------------------------------------------------------


def _payload(image: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stream image (DynamoDB JSON, as Lambda delivers it) in the API's Order shape."""
    if not image:
        return None
    from chalicelib.shop.models import Order
    from chalicelib.shop.orders import order_payload

    return order_payload(Order.from_raw_data(dict(image)))


def record_events(record: Mapping[str, Any]) -> list[DomainEvent]:
    """The events of one stream record (raises on an image that is not an order)."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return []
    change = record["dynamodb"]
    new = _payload(change.get("NewImage"))
    if new is None:
        return []
    return order_events(_payload(change.get("OldImage")), new)


def handle_order_records(records: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    """A stream batch -> its events on the bus, in as few PutEvents as the limits allow.

    A record fails (reported in `batchItemFailures`, by sequence number) when its image cannot be
    read or any of its events was not taken; Lambda retries from the first failed record (bisecting,
    then sending what keeps failing to the stream-failures DLQ), so nothing is skipped. The records
    after it are delivered again too: their events go out again under the same `eventId`s.
    """
    from chalicelib.core import observability

    pending: list[tuple[str, list[DomainEvent]]] = []
    failed: set[str] = set()
    for record in records:
        sequence = str(record["dynamodb"]["SequenceNumber"])
        try:
            pending.append((sequence, record_events(record)))
        except Exception:
            logger.exception("order stream record not readable", extra={"sequence_number": sequence})
            failed.add(sequence)
    to_publish = [event for _, produced in pending for event in produced]
    refused = {failure.event.event_id for failure in bus.publish(to_publish)} if to_publish else set()
    for sequence, produced in pending:
        if any(event.event_id in refused for event in produced):
            failed.add(sequence)
    logger.info("order events published", extra={"records": len(records), "events": len(to_publish) - len(refused)})
    observability.count(observability.RECORDS_FAILED, len(failed))
    ordered = [str(r["dynamodb"]["SequenceNumber"]) for r in records]
    return {"batchItemFailures": [{"itemIdentifier": s} for s in ordered if s in failed]}


# --- reading an order event (consumers) ---------------------------------------------------------


def order_of(event: bus.ReceivedEvent) -> Mapping[str, Any]:
    """The order an event carries, checked enough for a consumer to rely on it; a malformed one is
    `UnrecognisedEvent` (dead-lettered, never half-handled)."""
    order = event.detail.get("order")
    if not isinstance(order, Mapping) or order.get("orderId") != event.detail.get("orderId"):
        raise bus.UnrecognisedEvent(f"{event.detail_type} {event.event_id}: no order, or not this event's order")
    lines = order.get("lines")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, Mapping) for line in lines):
        raise bus.UnrecognisedEvent(f"{event.detail_type} {event.event_id}: the order has no lines")
    if not isinstance(event.detail.get("occurredAt"), str):
        raise bus.UnrecognisedEvent(f"{event.detail_type} {event.event_id}: no occurredAt")
    return order


ACCEPT_ALL: Mapping[str, frozenset[int]] = {name: frozenset({SCHEMA_VERSION}) for name in DETAIL_TYPES}
