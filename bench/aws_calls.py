"""Count AWS requests, whichever client makes them, with botocore's event hooks."""

from __future__ import annotations

import json
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
