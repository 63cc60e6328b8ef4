"""Count AWS requests, whichever client makes them, with botocore's event hooks."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session


@contextmanager
def count_aws_calls(requests: list[tuple[str, dict[str, Any]]] | None = None) -> Iterator[Counter[str]]:
    """Counts `service.Operation` for every request made by any client created or existing.

    PynamoDB builds its own botocore clients (one per model connection), so counting on one client
    would miss calls: the hook is registered on every session's event system instead. With a
    `requests` list, each JSON-protocol request's parameters are appended to it too.
    """
    counts: Counter[str] = Counter()

    def before_call(model: Any, params: Any = None, **_: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        counts[name] += 1
        if requests is not None:
            body = params.get("body") if isinstance(params, dict) else None
            try:
                parsed = json.loads(body) if body else {}
            except (TypeError, ValueError):
                parsed = {}
            requests.append((name, parsed if isinstance(parsed, dict) else {}))

    original = botocore.session.Session.create_client
    hooked: list[Any] = []

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call", before_call)
        hooked.append(client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    existing = _existing_clients()
    for client in existing:
        client.meta.events.register("before-call", before_call)
    try:
        yield counts
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]
        for client in [*existing, *hooked]:
            client.meta.events.unregister("before-call", before_call)


def _existing_clients() -> list[Any]:
    """Clients already built by the app's lazy adapters (PynamoDB connections, boto3 clients)."""
    import gc

    from botocore.client import BaseClient

    return [obj for obj in gc.get_objects() if isinstance(obj, BaseClient)]


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item in its wire form: attribute names plus values (strings and
    binaries by length, numbers about 1 byte per 2 digits, sets and maps by their members)."""

    def value_bytes(typed: dict[str, Any]) -> int:
        ((kind, value),) = typed.items()
        if kind == "N":
            return len(str(value)) // 2 + 1
        if kind in ("S", "B"):
            return len(str(value).encode())
        if kind in ("SS", "BS"):
            return sum(len(str(v).encode()) for v in value)
        if kind == "NS":
            return sum(len(str(v)) // 2 + 1 for v in value)
        if kind == "L":
            return 3 + sum(value_bytes(v) + 1 for v in value)
        if kind == "M":
            return 3 + sum(len(k.encode()) + value_bytes(v) + 1 for k, v in value.items())
        return 1

    return sum(len(name.encode()) + value_bytes(typed) for name, typed in item.items())


@contextmanager
def dynamodb_read_units() -> Iterator[dict[str, float]]:
    """Read capacity units DynamoDB would charge for the reads made meanwhile, from the items each
    request returned (moto reports a constant): Query/Scan round the whole response up to 4 KB,
    GetItem/BatchGetItem each item; eventually consistent reads cost half. Keys: "read_units",
    "requests", "items", "seconds" (spent waiting for DynamoDB, i.e. the emulator)."""
    import math

    totals = {"read_units": 0.0, "requests": 0.0, "items": 0.0, "seconds": 0.0}
    consistent: list[bool] = []
    started: list[float] = []

    def before_call(model: Any, params: Any = None, **_: Any) -> None:
        if model.service_model.service_name != "dynamodb":
            return
        body = params.get("body") if isinstance(params, dict) else None
        try:
            request = json.loads(body) if body else {}
        except (TypeError, ValueError):
            request = {}
        wanted = bool(request.get("ConsistentRead")) or any(
            bool(r.get("ConsistentRead")) for r in request.get("RequestItems", {}).values()
        )
        consistent.append(wanted)
        started.append(time.perf_counter())

    def after_call(model: Any, parsed: Any = None, **_: Any) -> None:
        if model.service_model.service_name != "dynamodb":
            return
        factor = 1.0 if (consistent.pop() if consistent else False) else 0.5
        if started:
            totals["seconds"] += time.perf_counter() - started.pop()
        name = model.name
        units = 0.0
        if name in ("Query", "Scan"):
            items = parsed.get("Items", [])
            units = math.ceil(max(1, sum(item_bytes(i) for i in items)) / 4096) * factor
        elif name == "GetItem":
            items = [parsed["Item"]] if parsed.get("Item") else []
            units = (math.ceil(max(1, sum(item_bytes(i) for i in items)) / 4096)) * factor
        elif name == "BatchGetItem":
            items = [i for table_items in parsed.get("Responses", {}).values() for i in table_items]
            units = sum(math.ceil(item_bytes(i) / 4096) for i in items) * factor
        else:
            return
        totals["read_units"] += units
        totals["requests"] += 1
        totals["items"] += len(items)

    original = botocore.session.Session.create_client
    hooked: list[Any] = []

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-call", before_call)
        client.meta.events.register("after-call", after_call)
        hooked.append(client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    existing = _existing_clients()
    for client in existing:
        client.meta.events.register("before-call", before_call)
        client.meta.events.register("after-call", after_call)
    try:
        yield totals
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]
        for client in [*existing, *hooked]:
            client.meta.events.unregister("before-call", before_call)
            client.meta.events.unregister("after-call", after_call)
