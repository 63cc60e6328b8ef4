"""DynamoDB plumbing shared by the services: the models' common table settings, table schemas, one
transaction runner, cursors, time."""

from __future__ import annotations

import base64
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.core.errors import Busy, ConcurrentUpdate, ValidationError
from chalicelib.core.resources import TableRef

if TYPE_CHECKING:
    from pynamodb.connection import Connection
    from pynamodb.models import Model
    from pynamodb.transactions import TransactWrite

_connection: Connection | None = None
MAX_ATTEMPTS = 6
T = TypeVar("T")

# Optimistic writers (read, then write guarded on what was read) retry this often, with full
# jitter, within this budget, before answering 409 ConcurrentUpdate.
OPTIMISTIC_ATTEMPTS = 12
OPTIMISTIC_BUDGET_SECONDS = 6.0
OPTIMISTIC_BASE_DELAY = 0.01
OPTIMISTIC_MAX_DELAY = 0.5


def utcnow() -> datetime:
    return datetime.now(UTC)


def business_date(moment: datetime) -> str:
    """The shop's calendar day (YYYY-MM-DD) of an instant, in the shop's time zone: the day an
    order belongs to and the day a report covers, whatever the server's or AWS's clock zone."""
    from zoneinfo import ZoneInfo

    from chalicelib.core.config import get_settings

    return moment.astimezone(ZoneInfo(get_settings().shop_timezone)).date().isoformat()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def get_connection() -> Connection:
    global _connection
    if _connection is None:
        from pynamodb.connection import Connection

        _connection = Connection()
    return _connection


@dataclass(frozen=True)
class Reason:
    """Why DynamoDB refused one item of a cancelled transaction (code None: not this item)."""

    table: str
    code: str | None
    item: dict[str, Any] | None  # the item as it was, when asked for with ALL_OLD

    @property
    def condition_failed(self) -> bool:
        return self.code == "ConditionalCheckFailed"


class Cancelled(Exception):
    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__(", ".join(f"{r.table}:{r.code}" for r in reasons))
        self.reasons = reasons

    def of(self, model: Any) -> list[Reason]:
        """The reasons for the items of `model`'s table, in the order they were added."""
        return [r for r in self.reasons if r.table == model.Meta.table_name]

    def failed(self, model: Any) -> Reason | None:
        """The first item of `model`'s table whose condition failed, if any."""
        return next((r for r in self.of(model) if r.condition_failed), None)


def transact(build: Callable[[TransactWrite], None]) -> None:
    """Run one TransactWriteItems built by `build`, retrying only DynamoDB's transaction conflicts.

    A conflict means another transaction held one of our items at that instant; nothing was
    written, so trying again (with jittered backoff) is safe. Any other cancellation (a condition
    that failed) is returned to the caller as `Cancelled`, reason by reason, in item order.
    """
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    for attempt in range(1, MAX_ATTEMPTS + 1):
        tx = TransactWrite(connection=get_connection())
        try:
            with tx:
                build(tx)
            return
        except TransactWriteError as exc:
            # PynamoDB sends condition checks, deletes, puts, then updates; reasons follow that order.
            tables = [
                item["TableName"]
                for group in (tx._condition_check_items, tx._delete_items, tx._put_items, tx._update_items)
                for item in group
            ]
            reasons = [
                Reason(table, r.code, _plain(r.raw_item) if r.raw_item else None) if r else Reason(table, None, None)
                for table, r in zip(tables, exc.cancellation_reasons or [], strict=False)
            ]
            conflict = exc.cause_response_code == "TransactionConflictException" or any(
                r.code == "TransactionConflict" for r in reasons
            )
            if not reasons or (conflict and not any(r.condition_failed for r in reasons)):
                if attempt == MAX_ATTEMPTS or not conflict:
                    if conflict:
                        raise Busy("the item is busy with other changes; try again") from None
                    raise
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
                continue
            raise Cancelled(reasons) from None


class Stale(Exception):
    """An optimistic write found its item changed since it was read; nothing was written."""


def optimistic(attempt: Callable[[], T], *, what: str, **details: Any) -> T:
    """Run `attempt` (read, then a write guarded on what it read) until it is not `Stale`.

    Racing writers on one item each retry after a random delay (full jitter, growing with each
    try), so they spread out instead of colliding again in lockstep. Bounded in tries and time:
    past them the caller gets 409 ConcurrentUpdate, documented as "nothing was written; read the
    item again and resend". DynamoDB's own transaction conflicts (`Busy`) count as stale too.
    """
    deadline = time.monotonic() + OPTIMISTIC_BUDGET_SECONDS
    for tries in range(1, OPTIMISTIC_ATTEMPTS + 1):
        try:
            return attempt()
        except (Stale, Busy):
            delay = random.uniform(0, min(OPTIMISTIC_MAX_DELAY, OPTIMISTIC_BASE_DELAY * 2**tries))
            if tries == OPTIMISTIC_ATTEMPTS or time.monotonic() + delay > deadline:
                break
            time.sleep(delay)
    raise ConcurrentUpdate(
        f"{what} kept changing while this update was applied, so nothing was changed; "
        "read it again and resend your change",
        **details,
    )


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON to plain values (numbers as int when whole)."""
    out: dict[str, Any] = {}
    for name, typed in item.items():
        ((kind, value),) = typed.items()
        if kind == "N":
            number = float(value)
            out[name] = int(number) if number.is_integer() else number
        elif kind in ("S", "BOOL"):
            out[name] = value
        elif kind == "NULL":
            out[name] = None
        else:
            out[name] = value
    return out


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, key_names: set[str] | None = None) -> dict[str, Any] | None:
    """The key a cursor carries. With `key_names`, it must be exactly such a key (string attributes):
    DynamoDB answers any other ExclusiveStartKey with a ValidationException, which would be a 500."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("cursor", "is not a cursor this API returned") from None
    if not isinstance(key, dict) or not all(isinstance(v, dict) for v in key.values()):
        raise ValidationError("cursor", "is not a cursor this API returned")
    if key_names is not None and not is_key(key, key_names):
        raise ValidationError("cursor", "is not a cursor this API returned")
    return key


def is_key(key: Any, names: set[str]) -> bool:
    """`key` is a DynamoDB key of exactly these string attributes."""
    return (
        isinstance(key, dict)
        and set(key) == names
        and all(isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for v in key.values())
    )


# --- models: common settings and schema ---------------------------------------------------------

NEW_AND_OLD_IMAGES = "NEW_AND_OLD_IMAGES"


def table_name(ref: TableRef) -> str:
    """A table's physical name, from the stage's environment (`<KEY>_TABLE`)."""
    return os.environ.get(ref.env, f"stockroom-{ref.key}")


class ModelMeta:
    """Every model's `Meta` derives from this: on-demand billing, the Lambda's region."""

    billing_mode = "PAY_PER_REQUEST"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def table_schema(model: type[Model]) -> dict[str, Any]:
    """The table as DynamoDB describes it: keys, attribute types, indexes, stream, TTL.

    The single shape that the devstack provisions from and the Terraform check compares against.
    """
    from pynamodb.attributes import TTLAttribute

    schema = model._get_schema()
    ttl = next((name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)), None)
    return {
        "key": model.Meta.ref.key,  # type: ignore[attr-defined]
        "name": model.Meta.table_name,
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]},
        "key_schema": {k["KeyType"]: k["AttributeName"] for k in schema["key_schema"]},
        "global_secondary_indexes": {
            index["index_name"]: {k["KeyType"]: k["AttributeName"] for k in index["key_schema"]}
            for index in schema.get("global_secondary_indexes", [])
        },
        "stream_view_type": getattr(model.Meta, "stream_view_type", None),
        "ttl_attribute": ttl,
    }


def create_table(model: type[Model]) -> None:
    """Create a model's table (devstack and tests) with its stream and TTL, if it is missing."""
    if model.exists():
        return
    model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    ttl = table_schema(model)["ttl_attribute"]
    if ttl:
        model.update_ttl(ignore_update_ttl_errors=True)
