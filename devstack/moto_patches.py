"""moto's DynamoDB as DynamoDB runs it: transactions' cost, stream reads' cost, and (optionally)
transactions' conflicts.

1. Cost: O(items in the transaction).

moto's `transact_write_items` snapshots every table a transaction touches with `copy.deepcopy`
(all items and all stream records) so that it can roll back. Each order therefore cost time in
proportion to everything ever stored: 20 ms for the first orders, 160 ms after 400. We snapshot
only the items the transaction names, and the length of each table's stream, and restore exactly
those on rollback. moto still applies and checks every operation itself.

Only safe where requests are serialized, which the devstack's emulator guarantees
(`devstack.emulator.SerializedApp`): nothing else can write between snapshot and rollback.

2. Stream reads: moto 5.x answers GetRecords through its generic, model-driven serializer, which
costs about 3 ms per record (nested AttributeValue maps walked shape by shape), all of it under
the emulator's lock: with a stream poller, a third of the emulator's time per order. The same
records are written as JSON directly (bytes as base64, times as epoch seconds: what that
serializer produces), `tests/unit/test_moto_patches.py` keeps the two identical.

3. Per-request work moto repeats under that lock although its result never changes: listing its
own package folder to route each request (a directory listing and ~50 stat calls), listing a
response class's methods (`inspect.getmembers`) to dispatch the action, and parsing the same
update and condition expressions again and again. Each is computed once (the parsed update
expression is deep-copied by moto's validator before use; lexed condition tokens are immutable).

4. EventBridge's envelope: what moto delivers to an SQS target lacks AWS's `account` and has an
`ingestion-time` of its own; both are put right, so the envelope is AWS's (`version`, `id`,
`detail-type`, `source`, `account`, `time`, `region`, `resources`, `detail`) and consumers
cannot come to rely on anything else.

5. Conflicts (`CONFLICTS`, off unless switched on). DynamoDB cancels a transaction that touches an
item another transaction is writing at that moment, with reason `TransactionConflict` in
CancellationReasons; the serialized emulator never runs two at once, so it never would. With a
window of N ms, a transaction touching (Put, Update, Delete or ConditionCheck) an item that
another transaction wrote less than N ms before is cancelled that way, changing nothing, with
`TransactionConflict` for each such item and `None` for the others. Switched on at startup with
`STOCKROOM_TRANSACTION_CONFLICT_MS=<ms>` or at run time through the site's
`/_devstack/transaction-conflicts` (see README, "The devstack").
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

_state = threading.local()

TRANSACTION_CONFLICT_MS = "STOCKROOM_TRANSACTION_CONFLICT_MS"
CONFLICT_MESSAGE = "Transaction is ongoing for the item"  # DynamoDB's own wording


class ConflictEmulation:
    """When each item was last written by a transaction, and what that makes of the next one."""

    def __init__(self) -> None:
        self.window_ms = 0.0  # 0: off
        self.cancelled = 0  # transactions cancelled for a conflict since the window was set
        self._written: dict[tuple[Any, ...], float] = {}  # item -> monotonic time of its last write
        self._lock = threading.Lock()

    def configure(self, window_ms: float) -> None:
        if not 0 <= window_ms <= 10_000:
            raise ValueError("windowMs must be between 0 (off) and 10000")
        with self._lock:
            self.window_ms = float(window_ms)
            self.cancelled = 0
            self._written.clear()

    def describe(self) -> dict[str, Any]:
        return {"windowMs": self.window_ms, "enabled": self.window_ms > 0, "cancelled": self.cancelled}

    def conflicts(self, items: list[tuple[Any, ...] | None], now: float) -> list[bool]:
        """Per item of a transaction: was it written by another transaction within the window?"""
        window = self.window_ms / 1000
        with self._lock:
            return [item is not None and now - self._written.get(item, -window - 1) < window for item in items]

    def written(self, items: list[tuple[Any, ...] | None], now: float) -> None:
        window = self.window_ms / 1000
        with self._lock:
            for item in items:
                if item is not None:
                    self._written[item] = now
            if len(self._written) > 10_000:  # forget what is out of the window
                self._written = {k: t for k, t in self._written.items() if now - t < window}


CONFLICTS = ConflictEmulation()


class _CopyWithoutTables:
    """Stands in for the `copy` module inside moto.dynamodb.models: skips whole-table snapshots
    while a transaction we snapshot ourselves is running, and deep-copies everything else."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if getattr(_state, "active", False) and isinstance(obj, Table):
            return obj  # moto's own rollback then restores the table to itself: a no-op
        return copy.deepcopy(obj, memo)


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    source = op.get("Item") if op_type == "Put" else op.get("Key")
    if not source or table.hash_key_attr not in source:
        return None  # malformed: moto rejects it before writing anything
    hash_key = DynamoType(source[table.hash_key_attr])
    range_key = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in source:
            return None
        range_key = DynamoType(source[table.range_key_attr])
    return hash_key, range_key


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    saved: list[tuple[Any, Any, Any, Any]] = []
    for entry in transact_items:
        if len(entry) != 1:
            continue
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        key = _key_of(table, op_type, op) if table is not None else None
        if key is None:
            continue
        item = table.get_item(*key) if table.range_key_attr is None or key[1] is not None else None
        saved.append((table, *key, copy.deepcopy(item)))
    return saved


def _restore(saved: list[tuple[Any, Any, Any, Any]], stream_lengths: dict[int, tuple[Any, int]]) -> None:
    for table, hash_key, range_key, item in reversed(saved):
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            table.items.get(hash_key, {}).pop(range_key, None)
            if hash_key in table.items and not table.items[hash_key]:
                del table.items[hash_key]
        else:
            table.items[hash_key][range_key] = item
    for shard, length in stream_lengths.values():
        del shard.items[length:]  # a cancelled transaction leaves nothing on the stream


def _plain_json(value: Any) -> Any:
    """What moto's JSON serializer makes of a GetRecords result, without walking its model."""
    import base64
    import datetime as dt

    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        from moto.core.serialize import TimestampSerializer

        return TimestampSerializer._timestamp_unixtimestamp(value)
    return value


def _fast_get_records() -> None:
    import json

    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    original = DynamoDBStreamsHandler.get_records
    if getattr(original, "_stockroom_patched", False):
        return

    def get_records(self: Any) -> str:
        limit = self._get_param("Limit")
        result = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
        return json.dumps(_plain_json(result))

    get_records._stockroom_patched = True  # type: ignore[attr-defined]
    get_records._original = original  # type: ignore[attr-defined]
    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign,assignment]


def _cache_repeated_work() -> None:
    import functools
    from collections import deque

    from moto import backends
    from moto.core import responses
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    if getattr(backends.list_of_moto_modules, "_stockroom_patched", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._stockroom_patched = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules  # type: ignore[assignment]
    # Cached per class: the classes are complete once `apply()` has run (devstack.cognito adds to
    # CognitoIdpResponse before the emulator serves anything).
    responses.method_names_from_class = functools.lru_cache(maxsize=None)(responses.method_names_from_class)

    make = UpdateExpressionParser.make.__func__  # type: ignore[attr-defined]
    UpdateExpressionParser.make = classmethod(functools.lru_cache(maxsize=1024)(make))  # type: ignore[method-assign,assignment]

    lex = ConditionExpressionParser._lex_condition_expression
    lexed: functools._lru_cache_wrapper[tuple[Any, ...]] = functools.lru_cache(maxsize=1024)(
        lambda parser_cls, expression: tuple(lex(_LexOnly(parser_cls, expression)))  # type: ignore[arg-type]
    )

    def lex_condition_expression(self: Any) -> deque[Any]:
        return deque(lexed(type(self), self.condition_expression))

    ConditionExpressionParser._lex_condition_expression = lex_condition_expression  # type: ignore[method-assign]


class _LexOnly:
    """What the condition lexer reads from its parser: the expression and the class's helpers."""

    def __init__(self, parser_cls: type, expression: str) -> None:
        self._cls = parser_cls
        self.condition_expression = expression

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._cls, name)
        return attribute.__get__(self) if hasattr(attribute, "__get__") else attribute


def _aws_event_envelope() -> None:
    from moto.events.models import Rule

    original = Rule._send_to_sqs_queue
    if getattr(original, "_stockroom_patched", False):
        return

    def send_to_sqs_queue(self: Any, resource_id: str, event: dict[str, Any], group_id: str | None = None) -> None:
        if isinstance(event, dict) and "detail-type" in event:  # the envelope, not a transformed input
            event = {"account": self.account_id} | {k: v for k, v in event.items() if k != "ingestion-time"}
        original(self, resource_id, event, group_id)

    send_to_sqs_queue._stockroom_patched = True  # type: ignore[attr-defined]
    Rule._send_to_sqs_queue = send_to_sqs_queue  # type: ignore[method-assign]


def apply() -> None:
    _fast_get_records()
    _cache_repeated_work()
    _aws_event_envelope()
    from moto.dynamodb import models

    backend_class = models.DynamoDBBackend
    original = backend_class.transact_write_items
    if getattr(original, "_stockroom_patched", False):
        return
    models.copy = _CopyWithoutTables()  # type: ignore[assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if CONFLICTS.window_ms > 0:
            _cancel_on_conflict(self, transact_items)
        saved = _snapshot(self, transact_items)
        streams = {
            id(table.stream_shard): (table.stream_shard, len(table.stream_shard.items))
            for table, *_ in saved
            if table.stream_shard is not None
        }
        _state.active = True
        try:
            original(self, transact_items)
        except Exception:
            _restore(saved, streams)
            raise
        finally:
            _state.active = False
        if CONFLICTS.window_ms > 0:
            CONFLICTS.written(_items_of(self, transact_items), time.monotonic())

    transact_write_items._stockroom_patched = True  # type: ignore[attr-defined]
    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _items_of(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, ...] | None]:
    """(table, hash key, range key) of each operation; None where moto will refuse the operation."""
    items: list[tuple[Any, ...] | None] = []
    for entry in transact_items:
        if len(entry) != 1:
            items.append(None)
            continue
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        key = _key_of(table, op_type, op) if table is not None else None
        items.append((table.name, *key) if key is not None else None)
    return items


def _cancel_on_conflict(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.exceptions import TransactionCanceledException

    conflicts = CONFLICTS.conflicts(_items_of(backend, transact_items), time.monotonic())
    if any(conflicts):
        with CONFLICTS._lock:
            CONFLICTS.cancelled += 1
        raise TransactionCanceledException(
            [("TransactionConflict", CONFLICT_MESSAGE, None) if hit else (None, None, None) for hit in conflicts]
        )
