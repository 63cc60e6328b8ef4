"""Stock: the lines per (product, warehouse), their movement ledger, and reconciliation.

Every change to a stock line happens in one DynamoDB transaction together with the movement that
records it, so the ledger and the levels cannot disagree, except for edits made outside the app,
which `reconcile_all` finds and records.

Writers elsewhere (checkout, the order workflow, imports) build their stock writes with
`change_stock`, which keeps the `Stock` model's invariants in one place:

    with transact(...) as tx:   # inside their own transaction, next to their own items
        change_stock(tx, product_id, warehouse_id, reserved_delta=+q, reason="order placed", ...)

    reserve:  reserved_delta=+q                    (available -= q, guarded available >= q)
    release:  reserved_delta=-q                    (available += q, guarded reserved >= q)
    commit:   on_hand_delta=-q, reserved_delta=-q  (guarded reserved >= q; available unchanged)
    restock:  on_hand_delta=+q                     (available += q)
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.core import observability, validation
from chalicelib.core.config import get_settings
from chalicelib.core.db import Cancelled, Stale, iso, optimistic, transact, utcnow
from chalicelib.core.errors import Conflict, NotFound, ValidationError
from chalicelib.core.observability import logger

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action
    from pynamodb.transactions import TransactWrite

    from chalicelib.inventory.models import Movement, Product, Stock

LINE_FIELDS = {"onHand", "threshold", "reason"}
ADJUST_FIELDS = {"delta", "reason"}
_MOVEMENT_ID = re.compile(r"[0-9T:.Z-]{1,40}#[0-9a-f]{1,32}", re.ASCII)


def stock_key(product_id: str, warehouse_id: str) -> str:
    return f"{product_id}#{warehouse_id}"


def new_movement(
    product_id: str,
    warehouse_id: str,
    *,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reason: str,
    actor: str,
    reference: str | None = None,
    now: datetime | None = None,
) -> Movement:
    from chalicelib.inventory.models import Movement

    now = now or utcnow()
    return Movement(
        stock_key(product_id, warehouse_id),
        f"{iso(now)}#{uuid.uuid4().hex[:12]}",
        product_id=product_id,
        warehouse_id=warehouse_id,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        reason=reason,
        actor=actor,
        reference=reference,
        created_at=now,
    )


# --- writing stock: the one place that knows the invariants -------------------------------------


def change_stock(
    tx: TransactWrite,
    product_id: str,
    warehouse_id: str,
    *,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reason: str,
    actor: str,
    reference: str | None = None,
    condition: Condition | None = None,
    now: datetime | None = None,
    return_values: str | None = "ALL_OLD",
    extra_actions: Sequence[Action] = (),
) -> Movement:
    """Add to `tx` one stock line's update by these deltas and the movement that records it.

    Keeps every invariant of `Stock`: `available` moves by on_hand_delta - reserved_delta and may
    not go below zero, nor may `reserved`; `ledger_on_hand` moves with `on_hand`; `version` +1.
    `condition` adds the caller's own guard; `extra_actions` set other attributes of the line in the
    same update (an import's threshold), never the figures above. With `return_values="ALL_OLD"` (default), a refused
    update's reason carries the line as it was (what was available), or None if it does not exist.
    """
    from chalicelib.inventory.models import Stock

    now = now or utcnow()
    available_delta = on_hand_delta - reserved_delta
    actions: list[Any] = [Stock.version.add(1), Stock.updated_at.set(now), *extra_actions]
    if on_hand_delta:
        actions += [Stock.on_hand.add(on_hand_delta), Stock.ledger_on_hand.add(on_hand_delta)]
    if reserved_delta:
        actions.append(Stock.reserved.add(reserved_delta))
    if available_delta:
        actions.append(Stock.available.add(available_delta))
    guard = Stock.product_id.exists()
    if available_delta < 0:
        # No oversell: taken only if that many units are available when the transaction commits.
        guard &= Stock.available >= -available_delta
    if reserved_delta < 0:
        guard &= Stock.reserved >= -reserved_delta
    if condition is not None:
        guard &= condition
    tx.update(Stock(product_id, warehouse_id), actions=actions, condition=guard, return_values=return_values)
    movement = new_movement(
        product_id,
        warehouse_id,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        reason=reason,
        actor=actor,
        reference=reference,
        now=now,
    )
    tx.save(movement)
    return movement


def new_line(product_id: str, warehouse_id: str, *, on_hand: int, threshold: int, now: datetime) -> Stock:
    """A new stock line holding `on_hand` units; save it with `Stock.product_id.does_not_exist()`,
    together with its opening movement and the warehouse's registration on the product."""
    from chalicelib.inventory.models import Stock

    return Stock(
        product_id,
        warehouse_id,
        on_hand=on_hand,
        reserved=0,
        available=on_hand,
        threshold=threshold,
        ledger_on_hand=on_hand,
        version=1,
        updated_at=now,
        created_at=now,
    )


def line_payload(line: Stock) -> dict[str, Any]:
    return {
        "warehouseId": line.warehouse_id,
        "onHand": int(line.on_hand),
        "reserved": int(line.reserved),
        "available": int(line.available),
        "threshold": int(line.threshold),
    }


@dataclass(frozen=True)
class LineRequest:
    on_hand: int
    threshold: int | None
    reason: str


def parse_line(body: dict[str, Any]) -> LineRequest:
    validation.reject_unknown(body, LINE_FIELDS)
    on_hand = validation.whole_number(body, "onHand")
    threshold = validation.whole_number(body, "threshold", required=False)
    reason = validation.text(body, "reason", max_length=200, required=False) or "stock count"
    assert on_hand is not None
    return LineRequest(on_hand, threshold, reason)


def set_line(product_id: str, warehouse_id: str, body: dict[str, Any], *, actor: str) -> tuple[dict[str, Any], bool]:
    """Set a stock line's on-hand count (and threshold), creating the line if it is new.

    The difference to the current count is recorded as a movement with the given reason. A count
    below what open orders hold reserved is refused (409): those units are promised. Racing writes
    on the line retry (see `core.db.optimistic`). Returns the line and whether it was created.
    """
    from chalicelib.inventory.models import Product, Stock, Warehouse

    validation.product_id(product_id)
    validation.safe_id(warehouse_id, "warehouseId")
    request = parse_line(body)

    def attempt() -> tuple[dict[str, Any], bool]:
        try:
            product = Product.get(product_id, consistent_read=True)
        except Product.DoesNotExist:
            raise NotFound(f"no product {product_id}", productId=product_id) from None
        try:
            line = Stock.get(product_id, warehouse_id, consistent_read=True)
        except Stock.DoesNotExist:
            line = None
        now = utcnow()
        if line is None:
            threshold = int(product.threshold) if request.threshold is None else request.threshold
            created = new_line(product_id, warehouse_id, on_hand=request.on_hand, threshold=threshold, now=now)

            def build(tx: Any) -> None:
                tx.condition_check(Warehouse, warehouse_id, condition=Warehouse.warehouse_id.exists())
                tx.update(
                    product,
                    actions=[Product.warehouse_ids.add({warehouse_id}), Product.version.add(1)],
                    condition=Product.product_id.exists(),
                )
                tx.save(created, condition=Stock.product_id.does_not_exist())
                tx.save(
                    new_movement(
                        product_id,
                        warehouse_id,
                        on_hand_delta=request.on_hand,
                        reason=request.reason,
                        actor=actor,
                        now=now,
                    )
                )

            try:
                transact(build)
            except Cancelled as cancelled:
                if cancelled.failed(Warehouse):
                    raise NotFound(f"no warehouse {warehouse_id}", warehouseId=warehouse_id) from None
                raise Stale() from None  # product deleted or line created meanwhile: look again
            return line_payload(created), True

        reserved = int(line.reserved)
        if request.on_hand < reserved:
            raise Conflict(
                f"{reserved} units of {product_id} in {warehouse_id} are reserved by open orders; "
                f"on hand cannot be set below that",
                productId=product_id,
                warehouseId=warehouse_id,
                reserved=reserved,
            )
        delta = request.on_hand - int(line.on_hand)
        threshold = int(line.threshold) if request.threshold is None else request.threshold

        def update(tx: Any) -> None:
            tx.update(
                line,
                actions=[
                    Stock.on_hand.set(request.on_hand),
                    Stock.available.set(request.on_hand - reserved),
                    Stock.ledger_on_hand.set(_ledger(line) + delta),
                    Stock.threshold.set(threshold),
                    Stock.version.add(1),
                    Stock.updated_at.set(now),
                ],
                condition=_unchanged(line),
            )
            if delta:
                tx.save(
                    new_movement(
                        product_id, warehouse_id, on_hand_delta=delta, reason=request.reason, actor=actor, now=now
                    )
                )

        try:
            transact(update)
        except Cancelled:
            raise Stale() from None
        line.on_hand, line.available, line.threshold = request.on_hand, request.on_hand - reserved, threshold
        return line_payload(line), False

    result = optimistic(attempt, what=f"the stock of {product_id} in {warehouse_id}", productId=product_id)
    logger.info("stock line set", extra={"product_id": product_id, "warehouse_id": warehouse_id, "actor": actor})
    return result


def adjust_line(
    product_id: str, warehouse_id: str, body: dict[str, Any], *, actor: str, idempotency_key: str | None
) -> dict[str, Any]:
    """Add `delta` units to a stock line (negative: remove them), whatever else changes it meanwhile.

    A delivery received or units found broken are relative: two people booking two deliveries at
    once must end with both counted, which a read-then-set cannot promise. One transaction: the
    line's update (`change_stock`, guarded so a removal never takes units that are not available,
    i.e. on hand but promised to open orders, or not there), its movement, and the idempotency
    record when an `Idempotency-Key` is sent (a retry of the same request changes nothing and gets
    the first answer). Answers the line as read right after the change, with `delta` and `movementId`.
    """
    from chalicelib.core import idempotency
    from chalicelib.core.errors import InsufficientStock
    from chalicelib.core.idempotency import IdempotencyRecord
    from chalicelib.inventory.models import Stock

    validation.product_id(product_id)
    validation.safe_id(warehouse_id, "warehouseId")
    validation.reject_unknown(body, ADJUST_FIELDS)
    delta = validation.whole_number(body, "delta", low=-validation.MAX_QUANTITY, high=validation.MAX_QUANTITY)
    assert delta is not None
    if delta == 0:
        raise ValidationError("delta", "must not be 0: a number of units to add, or negative to remove")
    reason = validation.text(body, "reason", max_length=200, required=False) or (
        "units added" if delta > 0 else "units removed"
    )
    key = validation.idempotency_key(idempotency_key)
    request_fingerprint = idempotency.fingerprint(
        {"productId": product_id, "warehouseId": warehouse_id, "delta": delta, "reason": reason}
    )
    record_id = f"stock-adjustment#{actor}#{key}" if key else None
    now = utcnow()
    # The line after the change is known only once it commits, so the idempotency record stores
    # the change itself and a replay adds the line as it is then.
    change: dict[str, Any] = {"productId": product_id, "warehouseId": warehouse_id, "delta": delta, "reason": reason}
    movements: list[Movement] = []

    def build(tx: Any) -> None:
        if record_id:
            idempotency.claim_in(tx, record_id, request_fingerprint, change, now=now)
        movements.append(
            change_stock(tx, product_id, warehouse_id, on_hand_delta=delta, reason=reason, actor=actor, now=now)
        )

    try:
        transact(build)
    except Cancelled as cancelled:
        if cancelled.failed(IdempotencyRecord):
            first = idempotency.replay(record_id or "", request_fingerprint)
            return {**first, **_line_now(product_id, warehouse_id), "replayed": True}
        refused = cancelled.failed(Stock)
        if refused:
            if refused.item is None:
                raise NotFound(
                    f"{product_id} has no stock line in {warehouse_id}; set a count first "
                    f"(PUT /products/{product_id}/stock/{warehouse_id})",
                    productId=product_id,
                    warehouseId=warehouse_id,
                ) from None
            available = int(refused.item.get("available", 0))
            raise InsufficientStock(
                f"only {available} units of {product_id} in {warehouse_id} can be removed "
                f"({-delta} requested); the rest are reserved by open orders or not there",
                productId=product_id,
                warehouseId=warehouse_id,
                available=available,
                requested=-delta,
            ) from None
        raise
    logger.info(
        "stock line adjusted",
        extra={"product_id": product_id, "warehouse_id": warehouse_id, "delta": delta, "actor": actor},
    )
    return {**change, **_line_now(product_id, warehouse_id), "movementId": movements[-1].movement_id}


def _line_now(product_id: str, warehouse_id: str) -> dict[str, Any]:
    """The line's figures as stored now ({} if it was deleted since)."""
    from chalicelib.inventory.models import Stock

    try:
        return line_payload(Stock.get(product_id, warehouse_id, consistent_read=True))
    except Stock.DoesNotExist:
        return {}


def _ledger(line: Stock) -> int:
    """The line's running ledger total; a line written before it existed starts from on_hand
    (reconciliation initialises such lines from their movements)."""
    return int(line.on_hand) if line.ledger_on_hand is None else int(line.ledger_on_hand)


def _unchanged(line: Stock) -> Condition:
    """The line is exactly as read: same version, and the same figures (an edit made outside the
    app need not bump the version)."""
    from chalicelib.inventory.models import Stock

    same: Condition = (
        (Stock.version == int(line.version))
        & (Stock.on_hand == int(line.on_hand))
        & (Stock.reserved == int(line.reserved))
        & (Stock.available == int(line.available))
    )
    return same


# --- the ledger ----------------------------------------------------------------------------------


def movement_payload(movement: Movement) -> dict[str, Any]:
    return {
        "movementId": movement.movement_id,
        "productId": movement.product_id,
        "warehouseId": movement.warehouse_id,
        "onHandDelta": int(movement.on_hand_delta),
        "reservedDelta": int(movement.reserved_delta),
        "reason": movement.reason,
        "actor": movement.actor,
        "reference": movement.reference,
        "createdAt": iso(movement.created_at),
    }


def _lifetime_start(product: Product) -> str:
    """The smallest movement id of the product's lifetime (its creation instant)."""
    return iso(product.created_at)


def _warehouses_of(product: Product) -> list[str]:
    from chalicelib.inventory.models import Stock

    known = set(product.warehouse_ids or ())
    if product.warehouse_ids is None:  # a product written before warehouse_ids: ask the stock table
        known |= {s.warehouse_id for s in Stock.query(product.product_id, attributes_to_get=["warehouse_id"])}
    return sorted(known)


def _encode_positions(positions: dict[str, str | None]) -> str:
    raw = json.dumps({"after": positions}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_positions(cursor: str) -> dict[str, str | None]:
    """A movements cursor: per warehouse, the last movement id returned ("" when none was yet,
    None when its ledger was read to the end)."""
    bad = ValidationError("cursor", "is not a cursor this API returned")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    positions = data.get("after") if isinstance(data, dict) and set(data) == {"after"} else None
    if not isinstance(positions, dict) or not positions:
        raise bad
    for warehouse_id, position in positions.items():
        if not validation.ID_PATTERN.fullmatch(warehouse_id):
            raise bad
        if position is not None and not (
            isinstance(position, str) and (position == "" or _MOVEMENT_ID.fullmatch(position))
        ):
            raise bad
    return positions


def list_movements(product_id: str, *, limit: int | None, cursor: str | None) -> dict[str, Any]:
    """The product's movements in its current lifetime, newest first, across its warehouses.

    Each warehouse's ledger is its own partition: the pages of all of them are merged by time and
    cut at `limit`, and the cursor remembers, per warehouse, the last movement returned. A page
    reads at most `limit` movements per warehouse. Movements of an earlier product with the same
    id (deleted, then created again) are outside the key range read: kept for audit, never shown.
    """
    from chalicelib.inventory.models import Movement, Product

    validation.product_id(product_id)
    size = limit or get_settings().page_size
    positions = _decode_positions(cursor) if cursor else None
    try:
        product = Product.get(product_id, consistent_read=True)
    except Product.DoesNotExist:
        raise NotFound(f"no product {product_id}", productId=product_id) from None
    start = _lifetime_start(product)
    if positions is None:
        positions = {w: "" for w in _warehouses_of(product)}

    candidates: list[tuple[str, Movement]] = []
    unread: dict[str, bool] = {}  # whether a warehouse has movements beyond those fetched
    for warehouse_id, after in sorted(positions.items()):
        if after is None or (after and after < start):
            # Read to its end on an earlier page, or a position before this product's lifetime
            # (DynamoDB refuses a start key outside the key condition's range).
            continue
        key = stock_key(product_id, warehouse_id)
        result = Movement.query(
            key,
            Movement.movement_id >= start,
            scan_index_forward=False,
            limit=size,
            last_evaluated_key={"stock_key": {"S": key}, "movement_id": {"S": after}} if after else None,
        )
        candidates += [(warehouse_id, m) for m in result]
        unread[warehouse_id] = result.last_evaluated_key is not None

    candidates.sort(key=lambda pair: pair[1].movement_id, reverse=True)
    page, rest = candidates[:size], candidates[size:]
    following: dict[str, str | None] = {}
    for warehouse_id, has_unread in unread.items():
        taken = [m.movement_id for w, m in page if w == warehouse_id]
        left = has_unread or any(w == warehouse_id for w, _ in rest)
        following[warehouse_id] = (taken[-1] if taken else positions[warehouse_id]) if left else None
    return {
        "items": [movement_payload(m) for _, m in page],
        "nextCursor": _encode_positions(following) if any(p is not None for p in following.values()) else None,
    }


# --- reconciliation ----------------------------------------------------------------------------


def _ledger_total(product_id: str, warehouse_id: str) -> int:
    """Sum of a line's movements in the product's lifetime, read consistently (legacy lines only)."""
    from chalicelib.inventory.models import Movement, Product

    try:
        start = _lifetime_start(Product.get(product_id, consistent_read=True))
    except Product.DoesNotExist:
        start = ""
    return sum(
        int(m.on_hand_delta)
        for m in Movement.query(
            stock_key(product_id, warehouse_id), Movement.movement_id >= start, consistent_read=True
        )
    )


def reconcile_all(*, actor: str) -> dict[str, Any]:
    """Find stock lines edited outside the app and bring each line and its ledger back in line.

    O(stock lines), whatever the length of the ledger: each line carries its running ledger total
    (`ledger_on_hand`, kept in the same transaction as every movement), read together with the
    levels in one strongly consistent item read, so a movement committed a moment ago can never be
    missed and booked as a phantom correction. If `on_hand` differs from the ledger, someone changed
    it outside the app: the difference is recorded as a movement and `available` derived. If only
    `available` was changed, `on_hand` follows it. Each repair is conditional on the line being
    exactly as read, so a concurrent order is never overwritten (the next run looks again).
    """
    from chalicelib.inventory.models import Stock

    checked = repaired = 0
    for line in Stock.scan(consistent_read=True):
        checked += 1
        if reconcile_line(line, actor=actor):
            repaired += 1
    observability.count(observability.RECONCILE_REPAIRS, repaired)
    return {"checked": checked, "repaired": repaired}


def reconcile_line(line: Stock, *, actor: str) -> bool:
    """Repair one line if it was edited outside the app; whether a repair was written."""
    from chalicelib.inventory.models import Stock

    legacy = line.ledger_on_hand is None
    ledger = _ledger_total(line.product_id, line.warehouse_id) if legacy else int(line.ledger_on_hand)
    on_hand, reserved, available = int(line.on_hand), int(line.reserved), int(line.available)
    if on_hand == ledger and available == on_hand - reserved and not legacy:
        return False
    if on_hand == ledger:  # only `available` was edited: take it as the new level
        on_hand = available + reserved
    delta = on_hand - ledger
    now = utcnow()

    def build(tx: Any) -> None:
        tx.update(
            line,
            actions=[
                Stock.on_hand.set(on_hand),
                Stock.available.set(on_hand - reserved),
                Stock.ledger_on_hand.set(on_hand),
                Stock.version.add(1),
                Stock.updated_at.set(now),
            ],
            condition=_unchanged(line),
        )
        if delta:
            tx.save(
                new_movement(
                    line.product_id,
                    line.warehouse_id,
                    on_hand_delta=delta,
                    reason="edited outside the app",
                    actor=actor,
                    now=now,
                )
            )

    try:
        transact(build)
    except Cancelled:
        logger.info("stock changed while reconciling; next run will look again", extra={"product_id": line.product_id})
        return False
    if delta:
        logger.warning(
            "stock edited outside the app was reconciled",
            extra={"product_id": line.product_id, "warehouse_id": line.warehouse_id, "on_hand_delta": delta},
        )
    return delta != 0
