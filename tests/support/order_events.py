"""Orders as the orders table holds them, their stream records, and the schemas of docs/events/:
for the tests of the domain events (no AWS needed to build any of it)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "events"
T0 = datetime(2025, 3, 3, 19, 5, 7, 250_000, tzinfo=UTC)


def make_order(
    statuses: tuple[str, ...] = ("PLACED",),
    *,
    order_id: str | None = None,
    kind: str = "shop",
    lines: tuple[tuple[str, str, int, int], ...] = (("493.857.51", "east", 2, 8_999), ("SKU-3", "west", 3, 395)),
    discount_cents: int = 1_000,
    delivery_cents: int = 500,
    promo_code: str | None = "WELCOME10",
    start: datetime = T0,
) -> Any:
    """An Order model instance (never saved) whose history walks `statuses`, one minute apart."""
    from chalicelib.shop.models import Address, Order, OrderLine, StatusChange

    order_id = order_id or str(uuid.uuid4())
    subtotal = sum(q * p for _, _, q, p in lines)
    history = [
        StatusChange(status=s, at=start + timedelta(minutes=i), by="guest:zoe@example.com" if i == 0 else "workflow")  # type: ignore[no-untyped-call]
        for i, s in enumerate(statuses)
    ]
    return Order(
        order_id,
        kind=kind,
        customer_id=None,
        email="zoe@example.com",
        lines=[
            OrderLine(
                product_id=pid,
                warehouse_id=wh,
                quantity=q,
                unit_price_cents=p,
                product_name=f"Product {pid}",  # type: ignore[no-untyped-call]
                line_total_cents=q * p,
            )
            for pid, wh, q, p in lines
        ],
        subtotal_cents=subtotal,
        discount_cents=discount_cents,
        delivery_cents=delivery_cents,
        total_cents=subtotal - discount_cents + delivery_cents,
        currency="USD",
        promo_code=promo_code,
        delivery_method="CURBSIDE",
        shipping_address=Address(
            name="Zoë Ł",
            line1="12 Main Street",
            line2=None,
            city="Springfield",  # type: ignore[no-untyped-call]
            zip_code="62704",
            country="US",
        ),
        estimated_delivery="2025-03-06",
        status=statuses[-1],
        status_history=history,
        payment_reference="pi_123" if len(statuses) > 1 else None,
        order_date="2025-03-03",
        created_at=start,
        created_by="guest:zoe@example.com",
        updated_at=start + timedelta(minutes=len(statuses) - 1),
    )


def payload(order: Any) -> dict[str, Any]:
    from chalicelib.shop.orders import order_payload

    return order_payload(order)


def image(order: Any) -> dict[str, Any]:
    """The item in DynamoDB JSON, as a stream record carries it."""
    return dict(order.serialize())


def stream_record(old: Any | None, new: Any | None, sequence: str, *, name: str | None = None) -> dict[str, Any]:
    """A DynamoDB stream record as Lambda delivers it (NEW_AND_OLD_IMAGES)."""
    event_name = name or ("INSERT" if old is None else "REMOVE" if new is None else "MODIFY")
    change: dict[str, Any] = {
        "Keys": {"order_id": {"S": (new or old).order_id}},
        "SequenceNumber": sequence,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "ApproximateCreationDateTime": int(T0.timestamp()),
    }
    if new is not None:
        change["NewImage"] = image(new)
    if old is not None:
        change["OldImage"] = image(old)
    return {"eventID": f"e{sequence}", "eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": change}


def envelope(detail_type: str, detail: dict[str, Any], *, source: str = "stockroom.orders") -> dict[str, Any]:
    """AWS's envelope around a detail, as a rule's SQS target delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": detail.get("occurredAt", "2025-03-03T19:05:07Z")[:19] + "Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def validator(detail_type: str) -> Any:
    """A JSON Schema validator for one detail-type's current schema (docs/events/), with the
    shared schemas it refers to registered."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry()
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    schema = json.loads((SCHEMAS / f"{detail_type}.v1.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


def schema_errors(detail_type: str, detail: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(detail_type).iter_errors(detail)]
