"""The event runtime: drives the app's stream, SQS and schedule handlers as Lambda would, and
invokes its `@app.lambda_function`s on demand (Step Functions tasks, `devstack.stepfunctions`).

Handlers are discovered from the Chalice app object (`app.event_sources`,
`app.pure_lambda_functions`), never listed here.
Event sources name resources by Terraform reference (`${aws_dynamodb_table.stock.stream_arn}`);
a `Resolver` maps them to what the emulator holds. Each source gets a thread that polls (streams,
queues) or sleeps until the next fire time (schedules), builds Lambda-shaped events and calls
`app.handler_map[name](event, context)`.

Semantics kept from Lambda:
- streams: batches in order per shard; a raised exception retries the same batch; a
  `batchItemFailures` response checkpoints before the first failed record and retries from it;
  after `max_retries` the batch is dropped and logged (Lambda's MaximumRetryAttempts);
- SQS: messages deleted only on success (or all but the reported `batchItemFailures`); the rest
  become visible again after the visibility timeout, and the queue's redrive policy moves them to
  the DLQ after maxReceiveCount receives (moto implements the redrive on receive);
- schedules: `rate(...)` and `cron(...)` expressions, events shaped as EventBridge sends them;
- functions: an exception is reported as Lambda reports it (`errorType` is its class name).
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import json
import logging
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from chalice.app import Chalice, DynamoDBEventConfig, ScheduledEventConfig, ScheduleExpression, SQSEventConfig

from devstack.env import ACCOUNT_ID, REGION

log = logging.getLogger("devstack.runtime")

_TABLE_STREAM_REF = re.compile(r"^\$\{aws_dynamodb_table\.(\w+)\.stream_arn\}$")
_QUEUE_ARN_REF = re.compile(r"^\$\{aws_sqs_queue\.(\w+)\.arn\}$")


_session: boto3.session.Session | None = None
_session_lock = threading.Lock()


def aws_client(service: str, endpoint: str | None) -> Any:
    """A client for the emulator, independent of this process's environment.

    One shared session: a fresh one per client reloads botocore's endpoint and service data
    (~0.3 s a client). Sessions are not thread-safe, so clients are made under a lock; the
    clients themselves are.
    """
    global _session
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client(  # type: ignore[call-overload]
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


# --- resolving Terraform references ------------------------------------------------------------


class Resolver:
    """Maps event-source references to local resources: table key -> name, queue key -> name."""

    def __init__(self, endpoint: str, tables: Mapping[str, str], queues: Mapping[str, str]) -> None:
        self.endpoint = endpoint
        self.tables = dict(tables)
        self.queues = dict(queues)

    def stream_arn(self, ref: str) -> str:
        if ref.startswith("arn:"):
            return ref
        match = _TABLE_STREAM_REF.match(ref)
        if not match or match[1] not in self.tables:
            raise LookupError(f"no local table for stream reference {ref!r}")
        table = aws_client("dynamodb", self.endpoint).describe_table(TableName=self.tables[match[1]])["Table"]
        if "LatestStreamArn" not in table:
            raise LookupError(f"table {table['TableName']} has no stream")
        return str(table["LatestStreamArn"])

    def queue(self, ref: str) -> tuple[str, str]:
        """(queue URL, queue ARN) for an ARN reference, a literal ARN or a queue name."""
        match = _QUEUE_ARN_REF.match(ref)
        if match:
            if match[1] not in self.queues:
                raise LookupError(f"no local queue for reference {ref!r}")
            name = self.queues[match[1]]
        else:
            name = ref.rsplit(":", 1)[-1]
        sqs = aws_client("sqs", self.endpoint)
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return str(url), str(arn)


# --- discovery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamSource:
    name: str
    stream_arn: str
    batch_size: int
    starting_position: str


@dataclass(frozen=True)
class QueueSource:
    name: str
    queue_url: str
    queue_arn: str
    batch_size: int


@dataclass(frozen=True)
class ScheduleSource:
    name: str
    expression: str
    rule_arn: str


@dataclass(frozen=True)
class FunctionSource:
    """An `@app.lambda_function`: invoked, not polled (Step Functions tasks, see stepfunctions.py)."""

    name: str


Source = StreamSource | QueueSource | ScheduleSource | FunctionSource


def discover(app: Chalice, resolver: Resolver, stage: str = "local") -> list[Source]:
    """Every stream, SQS and schedule handler and every `@app.lambda_function` registered on the
    app, resolved to local resources."""
    sources: list[Source] = []
    for config in app.event_sources:
        if isinstance(config, DynamoDBEventConfig):
            sources.append(
                StreamSource(
                    config.name, resolver.stream_arn(config.stream_arn), config.batch_size, config.starting_position
                )
            )
        elif isinstance(config, SQSEventConfig):
            url, arn = resolver.queue(config.queue_arn or config.queue or "")
            sources.append(QueueSource(config.name, url, arn, config.batch_size))
        elif isinstance(config, ScheduledEventConfig):
            expression = config.schedule_expression
            text = expression.to_string() if isinstance(expression, ScheduleExpression) else str(expression)
            rule = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{app.app_name}-{stage}-{config.name}"
            sources.append(ScheduleSource(config.name, text, rule))
        else:
            log.warning("event source %s (%s) is not emulated", config.name, type(config).__name__)
    sources.extend(FunctionSource(function.name) for function in app.pure_lambda_functions)
    return sources


# --- schedules ---------------------------------------------------------------------------------

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
# EventBridge numbers days of week 1-7 from Sunday; Python's weekday() is 0-6 from Monday.
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def rate_seconds(expression: str) -> int | None:
    match = _RATE.match(expression.strip())
    if not match:
        return None
    return int(match[1]) * _UNIT_SECONDS[match[2].rstrip("s")]


def _cron_field(text: str, low: int, high: int, names: Mapping[str, int] | None = None) -> set[int] | None:
    """Values a cron field allows (None: any). Supports * ? , - / and names; not L, W or #."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.upper().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", ""):
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            start = names[first] if names and first in names else int(first)
            end = (names[last] if names and last in names else int(last)) if last else (high if step_text else start)
        if not (low <= start <= high and low <= end <= high):
            raise ValueError(f"cron field {text!r} out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


@dataclass(frozen=True)
class Cron:
    minutes: set[int] | None
    hours: set[int] | None
    days: set[int] | None
    months: set[int] | None
    weekdays: set[int] | None  # 1 = Sunday
    years: set[int] | None

    @classmethod
    def parse(cls, expression: str) -> Cron:
        match = re.match(r"^cron\((.*)\)$", expression.strip())
        fields = match[1].split() if match else []
        if len(fields) != 6:
            raise ValueError(f"not a cron expression: {expression!r}")
        if any(ch in "".join(fields[2:5]) for ch in "LW#"):
            raise ValueError(f"cron L, W and # are not supported locally: {expression!r}")
        minute, hour, day, month, weekday, year = fields
        return cls(
            _cron_field(minute, 0, 59),
            _cron_field(hour, 0, 23),
            _cron_field(day, 1, 31),
            _cron_field(month, 1, 12, _MONTHS | {m.upper(): i for m, i in _MONTHS.items()}),
            _cron_field(weekday, 1, 7, _DAYS),
            _cron_field(year, 1970, 2199),
        )

    def next_after(self, after: dt.datetime) -> dt.datetime:
        """The first fire time strictly after `after` (UTC, minute resolution)."""
        t = after.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        limit = t + dt.timedelta(days=366 * 5)
        while t < limit:
            weekday = (t.weekday() + 1) % 7 + 1  # Monday=0 -> 2, Sunday=6 -> 1
            if (
                (self.years is not None and t.year not in self.years)
                or (self.months is not None and t.month not in self.months)
                or (self.days is not None and t.day not in self.days)
                or (self.weekdays is not None and weekday not in self.weekdays)
            ):
                t = (t + dt.timedelta(days=1)).replace(hour=0, minute=0)
            elif self.hours is not None and t.hour not in self.hours:
                t = (t + dt.timedelta(hours=1)).replace(minute=0)
            elif self.minutes is not None and t.minute not in self.minutes:
                t += dt.timedelta(minutes=1)
            else:
                return t
        raise ValueError("cron expression never fires in the next five years")


def next_fire(expression: str, after: dt.datetime) -> dt.datetime:
    """When a schedule fires next after `after` (rate: one interval later, as a new rule does)."""
    seconds = rate_seconds(expression)
    if seconds is not None:
        return after + dt.timedelta(seconds=seconds)
    return Cron.parse(expression).next_after(after)


# --- events and context ------------------------------------------------------------------------


class LambdaContext:
    """What Lambda passes as `context` (the parts handlers and Powertools use)."""

    def __init__(self, function_name: str, timeout_seconds: int = 60, memory_mb: int = 256) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{dt.date.today():%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _iso_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(rule_arn: str, at: dt.datetime | None = None) -> dict[str, Any]:
    when = (at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": when,
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


def _wire_attribute(value: Any) -> Any:
    """A DynamoDB AttributeValue as Lambda delivers it (botocore decoded binaries to bytes)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire_attribute(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire_attribute(v) for v in value]
    return value


def stream_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB stream record (GetRecords shape) as Lambda delivers it."""
    ddb = dict(record["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime):
        ddb["ApproximateCreationDateTime"] = int(created.timestamp())
    for key in ("Keys", "NewImage", "OldImage"):
        if key in ddb:
            ddb[key] = _wire_attribute(ddb[key])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", REGION),
        "dynamodb": ddb,
        "eventSourceARN": stream_arn,
    }


def sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message (ReceiveMessage shape) as Lambda delivers it."""
    attributes = {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": str(int(time.time() * 1000)),
        "SenderId": ACCOUNT_ID,
        "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
    }
    attributes.update(message.get("Attributes", {}))
    message_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode() if value.get("BinaryValue") else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": [base64.b64encode(v).decode() for v in value.get("BinaryListValues", [])],
            "dataType": value["DataType"],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def failed_item_ids(response: Any) -> list[str] | None:
    """The `batchItemFailures` identifiers of a response (None: the whole batch succeeded).

    As in Lambda, a malformed entry (no identifier) fails the whole batch: raises ValueError.
    """
    if not isinstance(response, Mapping) or not response.get("batchItemFailures"):
        return None
    ids = []
    for item in response["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, Mapping) else None
        if not identifier:
            raise ValueError(f"malformed batchItemFailures entry: {item!r}")
        ids.append(str(identifier))
    return ids


# --- the runtime -------------------------------------------------------------------------------


@dataclass
class Invocation:
    """One handler call, kept for the logs, `fire` and tests."""

    name: str
    request_id: str
    records: int
    ok: bool
    result: Any = None
    error: str | None = None
    at: float = field(default_factory=time.time)
    error_type: str | None = None  # the exception's class name, as Lambda reports `errorType`
    error_message: str | None = None


class EventRuntime:
    """Threads that deliver events from the emulator to the app's handlers."""

    def __init__(
        self,
        app: Chalice,
        sources: list[Source],
        endpoint: str,
        *,
        stage: str = "local",
        poll_interval: float = 0.2,
        max_retries: int = 3,
        retry_delay: float = 0.5,
    ) -> None:
        self.app = app
        self.sources = sources
        self.endpoint = endpoint
        self.stage = stage
        self.poll_interval = poll_interval
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.invocations: list[Invocation] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # Set per source once it polls from its starting position (LATEST: what exists now).
        self._ready: dict[str, threading.Event] = {s.name: threading.Event() for s in sources}

    # invoking ---------------------------------------------------------------------------------

    def invoke(self, name: str, event: Any, records: int = 0, timeout_seconds: int = 60) -> Invocation:
        """Call a handler as Lambda would; never raises (the outcome is in the Invocation)."""
        context = LambdaContext(f"{self.app.app_name}-{self.stage}-{name}", timeout_seconds)
        started = time.monotonic()
        try:
            result = self.app.handler_map[name](event, context)
            invocation = Invocation(name, context.aws_request_id, records, True, result)
            log.info("%s: %d record(s) handled in %.0f ms", name, records, (time.monotonic() - started) * 1000)
        except Exception as exc:
            log.error("%s failed (%s): %s", name, context.aws_request_id, "".join(traceback.format_exception(exc)))
            invocation = Invocation(
                name,
                context.aws_request_id,
                records,
                False,
                error=f"{type(exc).__name__}: {exc}",
                error_type=type(exc).__name__,
                error_message=str(exc),
            )
        self.invocations.append(invocation)
        del self.invocations[:-1000]
        return invocation

    def fire(self, name: str) -> Invocation:
        """Fire a scheduled handler now (`make fire HANDLER=name`)."""
        source = next((s for s in self.sources if isinstance(s, ScheduleSource) and s.name == name), None)
        if source is None:
            names = [s.name for s in self.sources if isinstance(s, ScheduleSource)]
            raise KeyError(f"no scheduled handler {name!r}; scheduled handlers: {', '.join(names) or 'none'}")
        log.info("firing %s now", name)
        return self.invoke(name, scheduled_event(source.rule_arn))

    # lifecycle ----------------------------------------------------------------------------------

    def start(self) -> EventRuntime:
        loops: dict[type, Callable[[Any], None]] = {
            StreamSource: self._stream_loop,
            QueueSource: self._queue_loop,
            ScheduleSource: self._schedule_loop,
        }
        for source in self.sources:
            if isinstance(source, FunctionSource):
                self._ready[source.name].set()  # nothing to poll: invoked on demand
                continue
            thread = threading.Thread(
                target=self._guard, args=(loops[type(source)], source), name=source.name, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until every source polls (a LATEST stream has fixed its starting position)."""
        deadline = time.monotonic() + timeout
        for name, ready in self._ready.items():
            if not ready.wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"event source {name} not polling after {timeout:.0f}s")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def _guard(self, loop: Callable[[Any], None], source: Source) -> None:
        """Keep a source's loop alive through emulator hiccups."""
        while not self._stop.is_set():
            try:
                loop(source)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("event source %s: poller error, restarting", source.name)
                self._stop.wait(1.0)

    # DynamoDB streams -------------------------------------------------------------------------

    def _stream_loop(self, source: StreamSource) -> None:
        # Positions, not long-lived iterators: moto rolls a cancelled transaction back by putting
        # back a deep copy of the table, so an old iterator would go on reading an orphaned copy
        # of the shard. A fresh iterator per poll always reads the table's current shard.
        streams = aws_client("dynamodbstreams", self.endpoint)
        positions: dict[str, str | None] = {}  # shard id -> last sequence number read (None: none yet)
        buffers: dict[str, list[dict[str, Any]]] = {}  # read, not yet successfully delivered
        attempts: dict[str, tuple[str, int]] = {}  # shard id -> (first sequence number, attempts)
        last_describe = 0.0
        while not self._stop.is_set():
            if time.monotonic() - last_describe > 5:  # pick up new shards now and then
                description = streams.describe_stream(StreamArn=source.stream_arn)["StreamDescription"]
                for shard in description["Shards"]:
                    if shard["ShardId"] not in positions:
                        latest = source.starting_position == "LATEST"
                        positions[shard["ShardId"]] = (
                            self._last_sequence(streams, source, shard["ShardId"]) if latest else None
                        )
                        buffers[shard["ShardId"]] = []
                last_describe = time.monotonic()
                self._ready[source.name].set()
            busy = False
            for shard_id, position in list(positions.items()):
                buffer = buffers[shard_id]
                if len(buffer) < source.batch_size:
                    records = self._read_shard(streams, source, shard_id, position)
                    if records:
                        positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                        buffer.extend(stream_record(r, source.stream_arn) for r in records)
                if buffer:
                    busy = True
                    self._deliver_stream_batch(source, shard_id, buffer, attempts)
            if not busy:
                self._stop.wait(self.poll_interval)

    @staticmethod
    def _read_shard(streams: Any, source: StreamSource, shard_id: str, after: str | None) -> list[dict[str, Any]]:
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
            if after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = streams.get_shard_iterator(StreamArn=source.stream_arn, ShardId=shard_id, **where)["ShardIterator"]
        return list(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])

    def _last_sequence(self, streams: Any, source: StreamSource, shard_id: str) -> str | None:
        """Where LATEST starts: after the last record in the shard now."""
        position = None
        while records := self._read_shard(streams, source, shard_id, position):
            position = records[-1]["dynamodb"]["SequenceNumber"]
        return position

    def _deliver_stream_batch(
        self, source: StreamSource, shard_id: str, buffer: list[dict[str, Any]], attempts: dict[str, tuple[str, int]]
    ) -> None:
        batch = buffer[: source.batch_size]
        invocation = self.invoke(source.name, {"Records": batch}, len(batch))
        done = len(batch)  # records checkpointed after this invocation
        if invocation.ok:
            try:
                failed = failed_item_ids(invocation.result)
            except ValueError as exc:
                log.error("%s: %s; retrying the whole batch", source.name, exc)
                done = 0
            else:
                if failed:
                    sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
                    positions = [sequence.index(f) for f in failed if f in sequence]
                    done = min(positions) if positions else 0  # unknown id: the whole batch failed
        else:
            done = 0
        if done == len(batch):
            del buffer[:done]
            attempts.pop(shard_id, None)
            return
        del buffer[:done]  # checkpoint before the first failure
        head = buffer[0]["dynamodb"]["SequenceNumber"]
        previous_head, count = attempts.get(shard_id, ("", 0))
        count = count + 1 if previous_head == head else 1
        if count > self.max_retries:
            log.error(
                "%s: giving up on %d record(s) from sequence number %s after %d retries",
                source.name,
                len(batch) - done,
                head,
                self.max_retries,
            )
            del buffer[: len(batch) - done]
            attempts.pop(shard_id, None)
            return
        attempts[shard_id] = (head, count)
        self._stop.wait(self.retry_delay)

    # SQS --------------------------------------------------------------------------------------

    def _queue_loop(self, source: QueueSource) -> None:
        sqs = aws_client("sqs", self.endpoint)
        self._ready[source.name].set()
        while not self._stop.is_set():
            messages = sqs.receive_message(
                QueueUrl=source.queue_url,
                MaxNumberOfMessages=max(1, min(source.batch_size, 10)),
                WaitTimeSeconds=0,  # never long-poll: the emulator serves one request at a time
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                self._stop.wait(self.poll_interval)
                continue
            records = [sqs_record(m, source.queue_arn) for m in messages]
            invocation = self.invoke(source.name, {"Records": records}, len(records))
            if not invocation.ok:
                continue  # nothing deleted: the batch reappears after the visibility timeout
            try:
                failed = set(failed_item_ids(invocation.result) or ())
            except ValueError as exc:
                log.error("%s: %s; the whole batch will be retried", source.name, exc)
                continue
            done = [r for r in records if r["messageId"] not in failed]
            if done:
                sqs.delete_message_batch(
                    QueueUrl=source.queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)],
                )

    # schedules --------------------------------------------------------------------------------

    def _schedule_loop(self, source: ScheduleSource) -> None:
        self._ready[source.name].set()
        try:
            due = next_fire(source.expression, dt.datetime.now(dt.UTC))
        except ValueError as exc:
            log.error("schedule %s not emulated: %s", source.name, exc)
            self._stop.wait()
            return
        while not self._stop.is_set():
            wait = (due - dt.datetime.now(dt.UTC)).total_seconds()
            if wait > 0:
                self._stop.wait(min(wait, 1.0))
                continue
            self.invoke(source.name, scheduled_event(source.rule_arn, due))
            due = next_fire(source.expression, max(due, dt.datetime.now(dt.UTC)))


def describe(sources: list[Source]) -> list[str]:
    """One line per source, for the banner."""
    lines = []
    for s in sources:
        if isinstance(s, StreamSource):
            lines.append(
                f"{s.name:<22} stream {s.stream_arn.split('/')[1]} (batch {s.batch_size}, {s.starting_position})"
            )
        elif isinstance(s, QueueSource):
            lines.append(f"{s.name:<22} queue  {s.queue_url.rsplit('/', 1)[-1]} (batch {s.batch_size})")
        elif isinstance(s, ScheduleSource):
            lines.append(f"{s.name:<22} schedule {s.expression}")
        else:
            lines.append(f"{s.name:<22} function (Step Functions tasks)")
    return lines


def to_json(value: Any) -> str:
    return json.dumps(value, default=str)
