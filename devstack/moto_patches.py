"""Make moto's DynamoDB transactions cost what they cost in DynamoDB: O(items in the transaction).

moto's `transact_write_items` snapshots every table a transaction touches with `copy.deepcopy`
(all items and all stream records) so that it can roll back. Each order therefore cost time in
proportion to everything ever stored: 20 ms for the first orders, 160 ms after 400. We snapshot
only the items the transaction names, and the length of each table's stream, and restore exactly
those on rollback. moto still applies and checks every operation itself.

Only safe where requests are serialized, which the devstack's emulator guarantees
(`devstack.emulator.SerializedApp`): nothing else can write between snapshot and rollback.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_state = threading.local()


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


def apply() -> None:
    from moto.dynamodb import models

    backend_class = models.DynamoDBBackend
    original = backend_class.transact_write_items
    if getattr(original, "_stockroom_patched", False):
        return
    models.copy = _CopyWithoutTables()  # type: ignore[assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
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

    transact_write_items._stockroom_patched = True  # type: ignore[attr-defined]
    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]
