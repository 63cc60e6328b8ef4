"""The sales ledger: one record per order line per sales event, plus order-level records for the money
that belongs to no line. Written by the order workflow's ledger consumer, read by the daily reports.

The contract (also in docs/CONTRACTS.md, "Sales ledger"):

    event           level  written when                          amountCents means
    SOLD            line   the order is CONFIRMED                quantity x unitPriceCents (gross)
    CANCELLED       line   the order is CANCELLED                gross value of the cancelled line
    REFUNDED        line   a CONFIRMED order is cancelled        money returned for the line (gross - its
                           (refund through the gateway)            share of the discount)
    DELIVERY        order  the order is CONFIRMED                delivery charged (0 for a free method)
    DISCOUNT        order  the order is CONFIRMED with a         discount granted
                           discount or promo code
    CANCELLED       order  the order is CANCELLED                the order's total
    REFUNDED        order  a CONFIRMED order is cancelled        delivery charge returned (may be 0)
    PAYMENT_FAILED  order  the order ends PAYMENT_FAILED         the total that could not be charged

    net sales = sum(SOLD) - sum(DISCOUNT) + sum(DELIVERY) - sum(REFUNDED)

A refund is a sales event only for an order whose sale was counted (it reached CONFIRMED and its
SOLD records exist); a payment captured for an order cancelled before confirmation is returned, but
the sale never counted, so only CANCELLED records are written.

Keys. Entry ids are deterministic, `<orderId>#<line>#<event>` (`line` 1-based, `order` for order
records), and every write is a put guarded by `attribute_not_exists`, so a redelivered event writes
nothing new. The partition key is `<businessDate>#<shard>`: the business date (the shop's time zone)
of the moment the event happened (taken from the order's status history, never from the clock of
the writer, so a redelivery after midnight lands on the same key), and a shard computed from the
order id, so a day's writes spread over `LEDGER_SHARDS` partitions and one order's records share
one. A day is read with one Query per shard, never a Scan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.db import ModelMeta, table_name

# How many partitions a day's records are spread over. Changing it moves new records to other keys:
# readers would then have to query max(old, new) shards for the days written under the old count.
LEDGER_SHARDS = 8
ORDER_LEVEL = "order"


class LedgerEvent(StrEnum):
    SOLD = "SOLD"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    DELIVERY = "DELIVERY"
    DISCOUNT = "DISCOUNT"
    PAYMENT_FAILED = "PAYMENT_FAILED"


LINE_EVENTS = frozenset({LedgerEvent.SOLD, LedgerEvent.CANCELLED, LedgerEvent.REFUNDED})
ORDER_EVENTS = frozenset(
    {
        LedgerEvent.DELIVERY,
        LedgerEvent.DISCOUNT,
        LedgerEvent.CANCELLED,
        LedgerEvent.REFUNDED,
        LedgerEvent.PAYMENT_FAILED,
    }
)


def shard_of(order_id: str) -> int:
    """A stable shard for an order (the same in every process: not Python's salted `hash`)."""
    return int.from_bytes(hashlib.sha256(order_id.encode()).digest()[:4], "big") % LEDGER_SHARDS


def day_shard_key(business_date: str, shard: int) -> str:
    return f"{business_date}#{shard}"


def day_keys(business_date: str) -> list[str]:
    """Every partition key of one business day: one Query each reads the whole day."""
    return [day_shard_key(business_date, shard) for shard in range(LEDGER_SHARDS)]


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger record as plain data. Amounts are integer cents, never negative: the event says
    which way the money moves (see the module docstring)."""

    order_id: str
    event: LedgerEvent
    occurred_at: datetime  # timezone-aware; stored in UTC
    business_date: str  # YYYY-MM-DD in the shop's time zone, of `occurred_at`
    line: int | None = None  # 1-based line number; None for an order-level record
    product_id: str | None = None
    product_name: str | None = None
    warehouse_id: str | None = None
    quantity: int = 0
    unit_price_cents: int = 0
    amount_cents: int = 0
    discount_cents: int = 0  # a line's share of the order's discount (SOLD, REFUNDED)
    delivery_method: str | None = None  # the order's, on every record of the order
    promo_code: str | None = None  # the order's, on every record of the order
    reason: str | None = None  # why a payment failed or an order was cancelled

    def __post_init__(self) -> None:
        # A writer bug caught here is a failed message (retried, then dead-lettered), never a
        # silently wrong report.
        object.__setattr__(self, "event", LedgerEvent(self.event))
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        if self.line is None:
            if self.event not in ORDER_EVENTS:
                raise ValueError(f"{self.event} is a line event: give the line")
        else:
            if self.event not in LINE_EVENTS:
                raise ValueError(f"{self.event} is an order-level event: no line")
            if self.line < 1 or not self.product_id or not self.warehouse_id:
                raise ValueError("a line record needs line >= 1, product_id and warehouse_id")
        for name in ("quantity", "unit_price_cents", "amount_cents", "discount_cents"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")

    @cached_property
    def entry_id(self) -> str:
        return f"{self.order_id}#{self.line if self.line is not None else ORDER_LEVEL}#{self.event.value}"

    @property
    def shard(self) -> int:
        return shard_of(self.order_id)

    @property
    def day_shard(self) -> str:
        return day_shard_key(self.business_date, self.shard)

    @property
    def is_line(self) -> bool:
        return self.line is not None

    def to_dict(self) -> dict[str, Any]:
        """The record as the API and the documentation name its fields."""
        from chalicelib.core.db import iso

        return {
            "entryId": self.entry_id,
            "orderId": self.order_id,
            "event": self.event.value,
            "line": self.line,
            "occurredAt": iso(self.occurred_at),
            "businessDate": self.business_date,
            "productId": self.product_id,
            "productName": self.product_name,
            "warehouseId": self.warehouse_id,
            "quantity": self.quantity,
            "unitPriceCents": self.unit_price_cents,
            "amountCents": self.amount_cents,
            "discountCents": self.discount_cents,
            "deliveryMethod": self.delivery_method,
            "promoCode": self.promo_code,
            "reason": self.reason,
        }


# --- building the records of an order's events (pure) -----------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    product_id: str
    product_name: str
    warehouse_id: str
    quantity: int
    unit_price_cents: int

    @property
    def gross_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class LedgerOrder:
    """What the ledger needs of an order (the writer maps the order record onto this)."""

    order_id: str
    lines: Sequence[LedgerLine]
    discount_cents: int = 0
    delivery_cents: int = 0
    delivery_method: str | None = None
    promo_code: str | None = None

    @property
    def subtotal_cents(self) -> int:
        return sum(line.gross_cents for line in self.lines)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents + self.delivery_cents


def discount_shares(gross: Sequence[int], discount: int) -> list[int]:
    """Split an order's discount over its lines in proportion to their gross value, in whole cents
    that add up to exactly `discount` (largest remainder; ties go to the earlier line)."""
    total = sum(gross)
    if discount <= 0 or total <= 0:
        return [0] * len(gross)
    discount = min(discount, total)
    exact = [g * discount for g in gross]
    shares = [e // total for e in exact]
    left = discount - sum(shares)
    by_remainder = sorted(range(len(gross)), key=lambda i: (-(exact[i] % total), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def _entry(order: LedgerOrder, event: LedgerEvent, at: datetime, day: str, **fields: Any) -> LedgerEntry:
    return LedgerEntry(
        order_id=order.order_id,
        event=event,
        occurred_at=at,
        business_date=day,
        delivery_method=order.delivery_method,
        promo_code=order.promo_code,
        **fields,
    )


def _line_fields(number: int, line: LedgerLine) -> dict[str, Any]:
    return {
        "line": number,
        "product_id": line.product_id,
        "product_name": line.product_name,
        "warehouse_id": line.warehouse_id,
        "quantity": line.quantity,
        "unit_price_cents": line.unit_price_cents,
    }


def _day(at: datetime) -> str:
    from chalicelib.core.db import business_date

    return business_date(at)


def confirmed_entries(order: LedgerOrder, at: datetime) -> list[LedgerEntry]:
    """The order was CONFIRMED at `at`: a SOLD record per line, its DELIVERY and (if any) DISCOUNT."""
    day = _day(at)
    shares = discount_shares([line.gross_cents for line in order.lines], order.discount_cents)
    entries = [
        _entry(
            order,
            LedgerEvent.SOLD,
            at,
            day,
            amount_cents=line.gross_cents,
            discount_cents=share,
            **_line_fields(n, line),
        )
        for n, (line, share) in enumerate(zip(order.lines, shares, strict=True), start=1)
    ]
    entries.append(_entry(order, LedgerEvent.DELIVERY, at, day, amount_cents=order.delivery_cents))
    if order.discount_cents > 0 or order.promo_code:
        entries.append(_entry(order, LedgerEvent.DISCOUNT, at, day, amount_cents=order.discount_cents))
    return entries


def cancelled_entries(order: LedgerOrder, at: datetime, *, reason: str, was_confirmed: bool) -> list[LedgerEntry]:
    """The order was CANCELLED at `at`: a CANCELLED record per line and for the order, and, when its
    sale had been counted (`was_confirmed`), the REFUNDED records that take it back out of net sales."""
    day = _day(at)
    entries = [
        _entry(
            order, LedgerEvent.CANCELLED, at, day, amount_cents=line.gross_cents, reason=reason, **_line_fields(n, line)
        )
        for n, line in enumerate(order.lines, start=1)
    ]
    entries.append(_entry(order, LedgerEvent.CANCELLED, at, day, amount_cents=order.total_cents, reason=reason))
    if was_confirmed:
        shares = discount_shares([line.gross_cents for line in order.lines], order.discount_cents)
        entries += [
            _entry(
                order,
                LedgerEvent.REFUNDED,
                at,
                day,
                amount_cents=line.gross_cents - share,
                discount_cents=share,
                reason=reason,
                **_line_fields(n, line),
            )
            for n, (line, share) in enumerate(zip(order.lines, shares, strict=True), start=1)
        ]
        entries.append(_entry(order, LedgerEvent.REFUNDED, at, day, amount_cents=order.delivery_cents, reason=reason))
    return entries


def payment_failed_entries(order: LedgerOrder, at: datetime, *, reason: str) -> list[LedgerEntry]:
    """The order ended PAYMENT_FAILED at `at` (declined, or failed for good)."""
    return [_entry(order, LedgerEvent.PAYMENT_FAILED, at, _day(at), amount_cents=order.total_cents, reason=reason)]


# --- the table ----------------------------------------------------------------------------------


class LedgerRecord(Model):
    """The sales ledger table. Key: `day_shard` (`<businessDate>#<shard>`) + `entry_id`."""

    class Meta(ModelMeta):
        ref = resources.SALES_LEDGER
        table_name = table_name(ref)

    day_shard = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # <orderId>#<line|order>#<event>
    order_id = UnicodeAttribute()
    event = UnicodeAttribute()
    line = NumberAttribute(null=True)
    occurred_at = UTCDateTimeAttribute()
    business_date = UnicodeAttribute()
    product_id = UnicodeAttribute(null=True)
    product_name = UnicodeAttribute(null=True)
    warehouse_id = UnicodeAttribute(null=True)
    quantity = NumberAttribute(default=0)
    unit_price_cents = NumberAttribute(default=0)
    amount_cents = NumberAttribute(default=0)
    discount_cents = NumberAttribute(default=0)
    delivery_method = UnicodeAttribute(null=True)
    promo_code = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    recorded_at = UTCDateTimeAttribute()


def to_record(entry: LedgerEntry) -> LedgerRecord:
    from chalicelib.core.db import utcnow

    return LedgerRecord(
        entry.day_shard,
        entry.entry_id,
        order_id=entry.order_id,
        event=entry.event.value,
        line=entry.line,
        occurred_at=entry.occurred_at,
        business_date=entry.business_date,
        product_id=entry.product_id,
        product_name=entry.product_name,
        warehouse_id=entry.warehouse_id,
        quantity=entry.quantity,
        unit_price_cents=entry.unit_price_cents,
        amount_cents=entry.amount_cents,
        discount_cents=entry.discount_cents,
        delivery_method=entry.delivery_method,
        promo_code=entry.promo_code,
        reason=entry.reason,
        recorded_at=utcnow(),
    )


def from_record(record: LedgerRecord) -> LedgerEntry:
    return LedgerEntry(
        order_id=record.order_id,
        event=LedgerEvent(record.event),
        occurred_at=record.occurred_at,
        business_date=record.business_date,
        line=None if record.line is None else int(record.line),
        product_id=record.product_id,
        product_name=record.product_name,
        warehouse_id=record.warehouse_id,
        quantity=int(record.quantity),
        unit_price_cents=int(record.unit_price_cents),
        amount_cents=int(record.amount_cents),
        discount_cents=int(record.discount_cents),
        delivery_method=record.delivery_method,
        promo_code=record.promo_code,
        reason=record.reason,
    )


def record(entries: Iterable[LedgerEntry]) -> int:
    """Write entries, each at most once: a put guarded by `attribute_not_exists(entry_id)`. A record
    already there (a redelivered event) is left as it is. Returns how many records were new."""
    from pynamodb.exceptions import PutError

    from chalicelib.core.observability import logger

    written = 0
    for entry in entries:
        try:
            to_record(entry).save(condition=LedgerRecord.entry_id.does_not_exist())
            written += 1
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            logger.info("ledger entry already recorded", extra={"entry_id": entry.entry_id})
    return written


def read_day(business_date: str) -> list[LedgerEntry]:
    """Every record of one business day: one (paginated) Query per shard, strongly consistent so a
    report rebuilt right after late events sees them."""
    return [
        from_record(item) for key in day_keys(business_date) for item in LedgerRecord.query(key, consistent_read=True)
    ]


def without_duplicates(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """One entry per entry id, whatever order they come in: the same input set gives the same output.

    Should two entries share an id but differ (which the conditional put prevents), the one that
    sorts first by its full content wins, so the choice does not depend on arrival order.
    """
    chosen: dict[str, LedgerEntry] = {}
    for entry in entries:
        current = chosen.get(entry.entry_id)
        if current is None or _content(entry) < _content(current):
            chosen[entry.entry_id] = entry
    return [chosen[key] for key in sorted(chosen)]


def _content(entry: LedgerEntry) -> tuple[str, ...]:
    return tuple(repr(v) for v in entry.to_dict().values())


__all__ = [
    "LEDGER_SHARDS",
    "LedgerEntry",
    "LedgerEvent",
    "LedgerLine",
    "LedgerOrder",
    "LedgerRecord",
    "cancelled_entries",
    "confirmed_entries",
    "day_keys",
    "discount_shares",
    "payment_failed_entries",
    "read_day",
    "record",
    "without_duplicates",
]
