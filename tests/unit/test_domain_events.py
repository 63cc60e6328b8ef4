"""Domain events, pure parts: which events an order write yields, their ids and times, their
schemas (docs/events/), the bus's request limits, reading envelopes, the stream handler's partial
failures, and what the ledger writer makes of each sales event. No AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core import events as bus
from chalicelib.core.events import DomainEvent, ReceivedEvent, UnrecognisedEvent, chunks, read_event
from chalicelib.core.resources import DOMAIN_EVENTS_BUS, EVENT_SCHEMA_VERSION, INVENTORY_EVENTS_SOURCE
from chalicelib.orders import events as order_events_module
from chalicelib.orders.events import DETAIL_TYPES, order_events
from chalicelib.orders.status import OrderStatus, allowed_sources
from tests.support.order_events import SCHEMAS, envelope, make_order, payload, schema_errors, stream_record

WALK = ("PLACED", "PAID", "CONFIRMED", "SHIPPED", "DELIVERED")


def step(statuses: tuple[str, ...], **kwargs: Any) -> list[DomainEvent]:
    """The events of the write that appended the last of `statuses`."""
    new = make_order(statuses, **kwargs)
    old = make_order(statuses[:-1], order_id=new.order_id, **kwargs) if len(statuses) > 1 else None
    return order_events(payload(old) if old is not None else None, payload(new))


# --- which events -------------------------------------------------------------------------------


def test_each_status_change_is_one_event_named_by_its_status() -> None:
    for n, name in enumerate(["OrderPlaced", "OrderPaid", "OrderConfirmed", "OrderShipped", "OrderDelivered"], 1):
        [event] = step(WALK[:n])
        assert event.detail_type == name and event.source == "stockroom.orders"
        assert event.detail["status"] == WALK[n - 1]
        assert event.detail["previousStatus"] == (WALK[n - 2] if n > 1 else None)
        assert event.detail["order"]["status"] == WALK[n - 1]
        assert len(event.detail["order"]["statusHistory"]) == n
    [failed] = step(("PLACED", "PAYMENT_FAILED"))
    assert failed.detail_type == "PaymentFailed"


def test_ids_and_times_come_from_the_status_history_not_the_clock() -> None:
    order = make_order(("PLACED", "PAID", "CONFIRMED"))
    old = make_order(("PLACED", "PAID"), order_id=order.order_id)
    first = order_events(payload(old), payload(order))
    again = order_events(payload(old), payload(order))  # the same stream record delivered twice
    assert [e.detail for e in first] == [e.detail for e in again]
    [event] = first
    entry = order.status_history[2]
    assert event.event_id == f"{order.order_id}#2#CONFIRMED"
    assert event.time == entry.at and event.detail["occurredAt"] == "2025-03-03T19:07:07.250Z"
    assert event.detail["actor"] == "workflow"


def test_a_write_without_a_new_history_entry_publishes_nothing() -> None:
    order = make_order(("PLACED", "PAID"))
    changed = payload(order) | {"paymentReference": "pi_other"}
    assert order_events(payload(order), changed) == []


def test_staff_orders_are_not_sales_events() -> None:
    assert step(("PLACED",), kind="inventory") == []


def test_cancelling_after_capture_also_refunds() -> None:
    [placed_cancel] = step(("PLACED", "CANCELLED"))
    assert placed_cancel.detail_type == "OrderCancelled"
    paid = step(("PLACED", "PAID", "CANCELLED"))
    assert [e.detail_type for e in paid] == ["OrderCancelled", "OrderRefunded"]
    refund = paid[1].detail["refund"]
    assert refund == {"amountCents": 18_683, "currency": "USD", "paymentReference": "pi_123", "saleCounted": False}
    assert paid[1].event_id.endswith("#2#REFUNDED") and paid[0].event_id.endswith("#2#CANCELLED")
    confirmed = step(("PLACED", "PAID", "CONFIRMED", "CANCELLED"))
    assert confirmed[1].detail["refund"]["saleCounted"] is True


def test_several_entries_in_one_write_give_one_event_each_with_the_order_as_of_each() -> None:
    new = make_order(("PLACED", "PAID", "CONFIRMED"))
    published = order_events(None, payload(new))
    assert [e.detail_type for e in published] == ["OrderPlaced", "OrderPaid", "OrderConfirmed"]
    assert [e.detail["order"]["status"] for e in published] == ["PLACED", "PAID", "CONFIRMED"]
    assert [len(e.detail["order"]["statusHistory"]) for e in published] == [1, 2, 3]


# --- schemas ------------------------------------------------------------------------------------


def every_event() -> list[DomainEvent]:
    from chalicelib.inventory.alerts import stock_low_event

    walks = [WALK, ("PLACED", "PAYMENT_FAILED"), ("PLACED", "CANCELLED"), ("PLACED", "PAID", "CANCELLED")]
    walks.append(("PLACED", "PAID", "CONFIRMED", "CANCELLED"))
    found = [e for walk in walks for n in range(1, len(walk) + 1) for e in step(walk[:n])]
    found += step(("PLACED", "PAID"), promo_code=None, discount_cents=0)
    alert = {
        "alertId": "low-stock#493.857.51#main#4900000000000000000001",
        "detectedAt": "2025-03-03T19:05:07.000Z",
        "productId": "493.857.51",
        "productName": "Complete bed",
        "warehouseId": "main",
        "available": 3,
        "threshold": 5,
    }
    return [*found, stock_low_event(alert)]


def test_every_published_detail_matches_its_documented_schema() -> None:
    published = every_event()
    assert {e.detail_type for e in published} == {*DETAIL_TYPES, "StockLow"}
    for event in published:
        assert schema_errors(event.detail_type, dict(event.detail)) == [], event.detail_type


def test_the_schemas_refuse_what_is_not_documented() -> None:
    [event] = step(("PLACED", "PAID", "CONFIRMED"))
    detail = json.loads(event.detail_json())
    assert schema_errors("OrderConfirmed", detail) == []
    assert schema_errors("OrderConfirmed", detail | {"surprise": 1})  # an undocumented field
    assert schema_errors("OrderConfirmed", detail | {"schemaVersion": 2})
    assert schema_errors("OrderConfirmed", detail | {"previousStatus": "PLACED"})  # not a move the machine makes
    broken = json.loads(event.detail_json())
    del broken["order"]["lines"][0]["quantity"]
    assert schema_errors("OrderConfirmed", broken)
    assert schema_errors("OrderPaid", detail)  # a confirmation is not a payment


def test_a_schema_per_detail_type_and_the_state_machine_in_each() -> None:
    files = {p.name.split(".")[0] for p in SCHEMAS.glob("*.v1.schema.json")} - {"order", "order-event"}
    assert files == {*DETAIL_TYPES, "StockLow"}
    for status, name in order_events_module.STATUS_EVENTS.items():
        schema = json.loads((SCHEMAS / f"{name}.v1.schema.json").read_text())
        assert schema["properties"]["status"] == {"const": status}
        sources = set(allowed_sources(status)) or {None}
        assert set(schema["properties"]["previousStatus"]["enum"]) == sources, name
    refunded = json.loads((SCHEMAS / "OrderRefunded.v1.schema.json").read_text())
    assert set(refunded["properties"]["previousStatus"]["enum"]) == set(order_events_module.CAPTURED)
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        assert schema["$id"].endswith("/" + path.name)


def test_rules_name_only_documented_detail_types_and_the_current_version() -> None:
    for rule in DOMAIN_EVENTS_BUS.rules:
        for name in rule.event_pattern.get("detail-type", []):
            assert (SCHEMAS / f"{name}.v1.schema.json").exists(), (rule.key, name)
        assert rule.event_pattern["detail"] == {"schemaVersion": [EVENT_SCHEMA_VERSION]}


# --- publishing ---------------------------------------------------------------------------------


def event(n: int, size: int = 10) -> DomainEvent:
    detail = {"schemaVersion": 1, "eventId": f"e{n}", "occurredAt": "2025-03-03T19:05:07.000Z", "pad": "x" * size}
    return DomainEvent("stockroom.test", "Tested", detail, datetime(2025, 3, 3, tzinfo=UTC))


def test_requests_hold_at_most_ten_entries_and_256_kb() -> None:
    assert [len(c) for c in chunks([event(n) for n in range(23)])] == [10, 10, 3]
    big = [event(n, 100_000) for n in range(5)]  # ~100 KB each: two fit in a request
    assert [len(c) for c in chunks(big)] == [2, 2, 1]
    assert [[e.event_id for e in c] for c in chunks([event(0), event(1, 300_000), event(2)])] == [
        ["e0"],
        ["e1"],
        ["e2"],
    ]
    assert event(0).size() == 14 + len("stockroom.test") + len("Tested") + len(event(0).detail_json())


class FakeEvents:
    def __init__(self, refuse: set[str] = frozenset(), broken_call: int | None = None) -> None:  # type: ignore[assignment]
        self.calls: list[list[dict[str, Any]]] = []
        self.refuse = refuse
        self.broken_call = broken_call

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        self.calls.append(Entries)
        if self.broken_call == len(self.calls):
            raise ClientError({"Error": {"Code": "InternalException", "Message": "down"}}, "PutEvents")
        results = []
        for entry in Entries:
            if json.loads(entry["Detail"])["eventId"] in self.refuse:
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                results.append({"EventId": "x"})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


@pytest.fixture
def fake_bus(monkeypatch: pytest.MonkeyPatch) -> FakeEvents:
    fake = FakeEvents()
    bus.set_events(fake)
    monkeypatch.setenv("EVENT_BUS_NAME", "test-bus")
    from chalicelib.core.config import reset_settings

    reset_settings()
    yield fake  # type: ignore[misc]
    bus.set_events(None)
    reset_settings()


def test_publish_reports_refused_entries_and_whole_failed_requests(fake_bus: FakeEvents) -> None:
    fake_bus.refuse = {"e3"}
    fake_bus.broken_call = 2
    failed = bus.publish([event(n) for n in range(13)])
    assert sorted(f.event.event_id for f in failed) == ["e10", "e11", "e12", "e3"]
    assert {f.code for f in failed} == {"InternalFailure", "ClientError"}
    entry = fake_bus.calls[0][0]
    assert entry["EventBusName"] == "test-bus" and entry["Source"] == "stockroom.test"
    assert entry["Time"] == datetime(2025, 3, 3, tzinfo=UTC) and json.loads(entry["Detail"])["eventId"] == "e0"


def test_publish_refuses_an_event_too_large_without_calling(fake_bus: FakeEvents) -> None:
    failed = bus.publish([event(0, 300_000)])
    assert [f.code for f in failed] == ["EventTooLarge"] and fake_bus.calls == []


def test_stream_batch_fails_only_the_records_whose_events_were_refused(fake_bus: FakeEvents) -> None:
    a = make_order(("PLACED",))
    b_old, b = make_order(("PLACED",)), None
    b = make_order(("PLACED", "PAID"), order_id=b_old.order_id)
    c = make_order(("PLACED",))
    records = [stream_record(None, a, "100"), stream_record(b_old, b, "101"), stream_record(None, c, "102")]
    records.append({"eventID": "x", "eventName": "MODIFY", "dynamodb": {"SequenceNumber": "103", "NewImage": {}}})
    records.append({"eventID": "y", "eventName": "INSERT", "dynamodb": {"SequenceNumber": "104", "NewImage": {"x": 1}}})
    fake_bus.refuse = {f"{b.order_id}#1#PAID"}
    response = order_events_module.handle_order_records(records)
    assert response == {"batchItemFailures": [{"itemIdentifier": "101"}, {"itemIdentifier": "104"}]}
    published = [json.loads(e["Detail"])["eventId"] for call in fake_bus.calls for e in call]
    assert published == [f"{a.order_id}#0#PLACED", f"{b.order_id}#1#PAID", f"{c.order_id}#0#PLACED"]


def test_removed_orders_and_unchanged_statuses_publish_nothing(fake_bus: FakeEvents) -> None:
    order = make_order(("PLACED",))
    records = [stream_record(order, None, "7"), stream_record(order, order, "8")]
    assert order_events_module.handle_order_records(records) == {"batchItemFailures": []}
    assert fake_bus.calls == []


# --- reading events -----------------------------------------------------------------------------

ACCEPT = {"OrderConfirmed": {1}}


def confirmed_envelope() -> dict[str, Any]:
    [confirmed] = step(("PLACED", "PAID", "CONFIRMED"))
    return envelope("OrderConfirmed", json.loads(confirmed.detail_json()))


def test_read_event_takes_aws_envelope() -> None:
    body = confirmed_envelope()
    received = read_event(json.dumps(body), accept=ACCEPT)
    assert received.detail_type == "OrderConfirmed" and received.id == body["id"]
    assert received.event_id == body["detail"]["eventId"] and received.schema_version == 1
    assert received.message()["eventId"] == received.event_id
    assert received.message()["detail"] == body["detail"]


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda b: "not json", "not JSON"),
        (lambda b: json.dumps({"Message": "an SNS envelope"}), "not an EventBridge event"),
        (lambda b: json.dumps(b | {"detail-type": "OrderShipped"}), "not an event this consumer handles"),
        (lambda b: json.dumps(b | {"detail": b["detail"] | {"schemaVersion": 2}}), "schema version 2"),
        (lambda b: json.dumps(b | {"detail": b["detail"] | {"schemaVersion": True}}), "schema version True"),
        (lambda b: json.dumps(b | {"detail": {**b["detail"], "eventId": ""}}), "no eventId"),
        (lambda b: json.dumps(b | {"detail": ["not", "an", "object"]}), "detail is not an object"),
    ],
)
def test_read_event_refuses_anything_else(mutate: Any, reason: str) -> None:
    with pytest.raises(UnrecognisedEvent, match=reason):
        read_event(mutate(confirmed_envelope()), accept=ACCEPT)


def test_consumers_refuse_an_event_without_its_order() -> None:
    body = confirmed_envelope()
    received = read_event(json.dumps(body), accept=ACCEPT)
    assert order_events_module.order_of(received)["orderId"] == body["detail"]["orderId"]
    for broken in ({"order": None}, {"order": {**body["detail"]["order"], "orderId": "other"}}):
        wrong = ReceivedEvent("id", "stockroom.orders", "OrderConfirmed", "", {**body["detail"], **broken})
        with pytest.raises(UnrecognisedEvent):
            order_events_module.order_of(wrong)


# --- the ledger writer's records ----------------------------------------------------------------


def received(statuses: tuple[str, ...], which: str) -> ReceivedEvent:
    found = [e for e in step(statuses) if e.detail_type == which]
    return read_event(json.dumps(envelope(which, json.loads(found[0].detail_json()))), accept={which: {1}})


def test_ledger_records_per_sales_event() -> None:
    from chalicelib.orders.ledger_writer import entries_for

    confirmed = entries_for(received(("PLACED", "PAID", "CONFIRMED"), "OrderConfirmed"))
    by_id = {e.entry_id.split("#", 1)[1]: e for e in confirmed}
    assert set(by_id) == {"1#SOLD", "2#SOLD", "order#DELIVERY", "order#DISCOUNT"}
    assert (by_id["1#SOLD"].amount_cents, by_id["2#SOLD"].amount_cents) == (17_998, 1_185)
    assert by_id["1#SOLD"].discount_cents + by_id["2#SOLD"].discount_cents == 1_000
    assert (by_id["order#DELIVERY"].amount_cents, by_id["order#DISCOUNT"].amount_cents) == (500, 1_000)
    assert {e.occurred_at for e in confirmed} == {datetime(2025, 3, 3, 19, 7, 7, 250_000, tzinfo=UTC)}
    assert {e.business_date for e in confirmed} == {"2025-03-03"}

    cancelled = entries_for(received(("PLACED", "PAID", "CONFIRMED", "CANCELLED"), "OrderCancelled"))
    assert sorted(e.entry_id.split("#", 1)[1] for e in cancelled) == ["1#CANCELLED", "2#CANCELLED", "order#CANCELLED"]
    refunded = entries_for(received(("PLACED", "PAID", "CONFIRMED", "CANCELLED"), "OrderRefunded"))
    assert sorted(e.entry_id.split("#", 1)[1] for e in refunded) == ["1#REFUNDED", "2#REFUNDED", "order#REFUNDED"]
    assert sum(e.amount_cents for e in refunded) == 18_683  # the total: lines less discount, plus delivery
    assert entries_for(received(("PLACED", "PAID", "CANCELLED"), "OrderRefunded")) == []  # the sale never counted
    [failed] = entries_for(received(("PLACED", "PAYMENT_FAILED"), "PaymentFailed"))
    assert failed.entry_id.endswith("#order#PAYMENT_FAILED") and failed.amount_cents == 18_683


def test_the_admin_e_mail_view_is_built_from_the_event() -> None:
    from chalicelib.orders.views import view_of_order

    [event] = step(("PLACED", "PAID", "CONFIRMED"))
    view = view_of_order(event.detail["order"])
    assert view.order_id == event.detail["orderId"] and view.total_cents == 18_683
    assert [line.line_total_cents for line in view.lines] == [17_998, 1_185]
    assert view.customer_name == "Zoë Ł" and view.shipping_address is not None
    assert view.estimated_delivery is not None and view.estimated_delivery.isoformat() == "2025-03-06"


def test_stock_low_event_is_the_alert() -> None:
    from chalicelib.inventory.alerts import stock_low_event

    [low] = [e for e in every_event() if e.detail_type == "StockLow"]
    again = stock_low_event({**low.detail, "alertId": low.event_id, "detectedAt": low.detail["occurredAt"]})
    assert again.detail == low.detail and low.source == INVENTORY_EVENTS_SOURCE
    assert low.time == datetime(2025, 3, 3, 19, 5, 7, tzinfo=UTC)


def test_detail_types_cover_every_status_of_the_machine() -> None:
    assert set(order_events_module.STATUS_EVENTS) == set(OrderStatus)
    assert Path(SCHEMAS / "README.md").exists()
