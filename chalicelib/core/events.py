"""Domain events on the shop's EventBridge bus: publishing them, and reading them in consumers.

    orders stream --publish_order_events--\\                    /--> purchase_emails queue --> admin e-mail
                                           >-- PutEvents --> bus --> ledger_events queue --> sales ledger
    stock stream  --on_stock_change-------/   (rules)          \\--> order_feed queue --> order_events topic

An event's `detail` always carries:

- `schemaVersion`: the major version of its schema (docs/events/<DetailType>.v<N>.schema.json).
  Additive changes keep it; a breaking change is a new version, published beside the old one
  until every consumer moved. Rules match on it, and consumers refuse versions they do not know
  (the message fails and is dead-lettered where it can be inspected).
- `eventId`: a deterministic id of the fact (an order's status history entry, a stream record's
  sequence number), unlike the envelope's `id`, which EventBridge draws anew on every PutEvents.
  Publishing is at least once (a stream record is retried until its whole batch goes through), so
  consumers dedupe on `eventId` (`once`).
- `occurredAt`: when the fact happened (UTC ISO 8601), also sent as the envelope's `time`.

Consumers read AWS's envelope (`version, id, detail-type, source, account, time, region,
resources, detail`) from the SQS message body: a rule's SQS target and the target's DLQ both
carry it as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.core.config import get_settings
from chalicelib.core.observability import logger, record_context

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

SCHEMA_VERSION = "schemaVersion"
EVENT_ID = "eventId"
OCCURRED_AT = "occurredAt"
# PutEvents takes at most 10 entries and 256 KB per request (an entry's size: its Source,
# DetailType, Detail and Resources in UTF-8, plus 14 bytes for Time).
MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024
TIME_BYTES = 14
# How long a consumer remembers an event it handled: longer than any redelivery (SQS keeps a
# message 4 days, a DLQ 14; a redrive after that is a deliberate replay).
DEDUPE_WINDOW = timedelta(days=15)
# Powertools-style metrics (chalicelib.core.observability.count) drawn on the dashboard.
EVENTS_PUBLISHED = "EventsPublished"
EVENTS_FAILED = "EventsFailed"

_client: Any = None


def get_events() -> Any:
    """The EventBridge client, built on first use (cold start) and kept while warm."""
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("events", region_name=get_settings().region)
    return _client


def set_events(client: Any) -> None:
    """Replace the client (tests); None rebuilds it on next use."""
    global _client
    _client = client


# --- publishing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainEvent:
    """One fact to publish. `detail` carries `schemaVersion`, `eventId` and `occurredAt`."""

    source: str
    detail_type: str
    detail: Mapping[str, Any] = field(hash=False)
    time: datetime
    resources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("an event's time must be timezone-aware")
        for key in (SCHEMA_VERSION, EVENT_ID, OCCURRED_AT):
            if key not in self.detail:
                raise ValueError(f"{self.detail_type}: detail lacks {key}")

    @property
    def event_id(self) -> str:
        return str(self.detail[EVENT_ID])

    def detail_json(self) -> str:
        return json.dumps(self.detail, separators=(",", ":"), sort_keys=True, ensure_ascii=False)

    def size(self) -> int:
        """Its size as PutEvents counts it toward the 256 KB of a request."""
        parts = [self.source, self.detail_type, self.detail_json(), *self.resources]
        return TIME_BYTES + sum(len(part.encode()) for part in parts)

    def entry(self, bus_name: str) -> dict[str, Any]:
        return {
            "EventBusName": bus_name,
            "Source": self.source,
            "DetailType": self.detail_type,
            "Detail": self.detail_json(),
            "Time": self.time,
            "Resources": list(self.resources),
        }


@dataclass(frozen=True)
class Failed:
    """An event the bus did not take (PutEvents' per-entry error, or the request failing)."""

    event: DomainEvent
    code: str
    message: str


def chunks(events: Sequence[DomainEvent]) -> list[list[DomainEvent]]:
    """PutEvents requests in order: at most 10 entries and 256 KB each. An event too large for
    any request is a chunk of its own (the bus refuses it; `publish` reports it failed)."""
    requests: list[list[DomainEvent]] = []
    current: list[DomainEvent] = []
    size = 0
    for event in events:
        event_size = event.size()
        if current and (len(current) == MAX_ENTRIES or size + event_size > MAX_REQUEST_BYTES):
            requests.append(current)
            current, size = [], 0
        current.append(event)
        size += event_size
    if current:
        requests.append(current)
    return requests


def publish(events: Sequence[DomainEvent], *, bus_name: str | None = None) -> list[Failed]:
    """Put events on the bus, in order, as few requests as the limits allow. Returns those the bus
    did not take (never raises for them): the caller retries their sources, and, since a request
    that fails says nothing of which entries arrived, reports all of that request's events.

    Entries are at least once: a retry may publish an event again, under the same `eventId`.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    bus = bus_name or get_settings().event_bus_name
    if not bus:
        raise RuntimeError("EVENT_BUS_NAME is not set: no bus to publish on")
    failed: list[Failed] = []
    for request in chunks(events):
        if len(request) == 1 and request[0].size() > MAX_REQUEST_BYTES:
            failed.append(Failed(request[0], "EventTooLarge", f"{request[0].size()} bytes > {MAX_REQUEST_BYTES}"))
            continue
        try:
            answer = get_events().put_events(Entries=[event.entry(bus) for event in request])
        except (ClientError, BotoCoreError) as exc:
            logger.warning("PutEvents failed", extra={"error": str(exc), "events": len(request)})
            failed += [Failed(event, type(exc).__name__, str(exc)) for event in request]
            continue
        for event, result in zip(request, answer.get("Entries", []), strict=False):
            if result.get("ErrorCode"):
                failed.append(Failed(event, str(result["ErrorCode"]), str(result.get("ErrorMessage", ""))))
    from chalicelib.core import observability

    observability.count(EVENTS_PUBLISHED, len(events) - len(failed))
    observability.count(EVENTS_FAILED, len(failed))
    for failure in failed:
        logger.warning(
            "event not published",
            extra={"event_id": failure.event.event_id, "detail_type": failure.event.detail_type, "code": failure.code},
        )
    return failed


# --- consuming ------------------------------------------------------------------------------------


class UnrecognisedEvent(Exception):
    """A queue message that is not an event this consumer handles (not an envelope, another
    detail-type, an unknown schema version, a malformed detail). Raised, never ignored: the
    message fails, returns to the queue and ends in the dead-letter queue, where someone can
    inspect it, instead of being deleted unread."""


@dataclass(frozen=True)
class ReceivedEvent:
    """An event as a consumer reads it from its queue: AWS's envelope, checked."""

    id: str  # the envelope's id: differs on every publication of the same fact
    source: str
    detail_type: str
    time: str
    detail: Mapping[str, Any] = field(hash=False)

    @property
    def event_id(self) -> str:
        return str(self.detail[EVENT_ID])

    @property
    def schema_version(self) -> int:
        return int(self.detail[SCHEMA_VERSION])

    def message(self) -> dict[str, Any]:
        """What a consumer's `once` function is given: the fact's id on top (the dedupe key), the
        event under it."""
        return {
            EVENT_ID: self.event_id,
            "detailType": self.detail_type,
            "source": self.source,
            "time": self.time,
            "detail": dict(self.detail),
        }


def read_event(body: str, *, accept: Mapping[str, Collection[int]]) -> ReceivedEvent:
    """The envelope in an SQS message body. `accept`: detail-type -> schema versions handled.

    Raises `UnrecognisedEvent` for anything else."""
    try:
        envelope = json.loads(body)
    except ValueError:
        raise UnrecognisedEvent("the message is not JSON") from None
    if not isinstance(envelope, dict) or not all(key in envelope for key in ("id", "detail-type", "source", "detail")):
        raise UnrecognisedEvent("the message is not an EventBridge event")
    detail_type, detail = envelope["detail-type"], envelope["detail"]
    if detail_type not in accept:
        raise UnrecognisedEvent(f"{detail_type!r} is not an event this consumer handles")
    if not isinstance(detail, dict):
        raise UnrecognisedEvent(f"{detail_type}: detail is not an object")
    version = detail.get(SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version not in accept[detail_type]:
        known = sorted(accept[detail_type])
        raise UnrecognisedEvent(f"{detail_type}: schema version {version!r} is not one of {known}")
    event_id = detail.get(EVENT_ID)
    if not isinstance(event_id, str) or not event_id:
        raise UnrecognisedEvent(f"{detail_type}: detail has no eventId")
    return ReceivedEvent(
        str(envelope["id"]), str(envelope["source"]), detail_type, str(envelope.get("time", "")), detail
    )


def consume(
    records: list[dict[str, Any]],
    context: Any,
    handle: Callable[[ReceivedEvent], object],
    *,
    accept: Mapping[str, Collection[int]],
) -> dict[str, Any]:
    """An SQS batch of events -> Powertools' partial batch response: each message is read and
    handled on its own; failed ones (reported in `batchItemFailures`) return to the queue, then
    its DLQ, while the rest are deleted."""
    register_context(context)
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def on_record(record: SQSRecord) -> None:
        with record_context(record_id=record.message_id):
            try:
                event = read_event(record.body, accept=accept)
            except UnrecognisedEvent as exc:
                logger.error("unrecognised message: left to the dead-letter queue", extra={"reason": str(exc)})
                raise
            with record_context(event_id=event.event_id, detail_type=event.detail_type):
                handle(event)

    response: dict[str, Any] = dict(
        process_partial_response(
            event={"Records": records},
            record_handler=on_record,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
    )
    from chalicelib.core import observability

    observability.count(observability.RECORDS_FAILED, len(response.get("batchItemFailures", [])))
    return response


# --- at most once per eventId -----------------------------------------------------------------------


@cache
def _dedupe_config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath=EVENT_ID,
        expires_after_seconds=int(DEDUPE_WINDOW.total_seconds()),
        raise_on_no_idempotency_key=True,
    )


def register_context(context: Any) -> None:
    """Let an IN_PROGRESS idempotency record expire with the invocation that wrote it (a timed
    out invocation must not block the retries of its messages)."""
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        _dedupe_config().register_lambda_context(context)


@cache
def once(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function(event=<detail>)` run at most once per `detail["eventId"]` (Powertools
    idempotency in the idempotency table; the key also names the function, so each consumer
    dedupes on its own). While it runs its record is IN_PROGRESS; an exception deletes it, so a
    retry runs it again; once COMPLETED, a redelivered event returns the stored result and does
    nothing. Its result must be JSON-serializable."""
    import os

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    from chalicelib.core import resources

    persistence = DynamoDBPersistenceLayer(table_name=os.environ[resources.IDEMPOTENCY.env])
    wrapped: Callable[..., Any] = idempotent_function(
        data_keyword_argument="event", persistence_store=persistence, config=_dedupe_config()
    )(function)
    return wrapped


def deadline_of(context: Any, *, keep: float = 3.0) -> float | None:
    """The `time.monotonic()` instant by which a handler should stop starting new work: the
    invocation's end, less `keep` seconds for the batch's own bookkeeping (None: no context)."""
    import time

    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    return time.monotonic() + float(context.get_remaining_time_in_millis()) / 1000 - keep


def parse_time(value: str) -> datetime:
    """An ISO 8601 UTC instant as events carry it (`2025-03-03T19:05:00.000Z`), timezone-aware."""
    from datetime import UTC

    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment.astimezone(UTC)
