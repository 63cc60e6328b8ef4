"""CSV export and import of the catalog with its stock (issue 11 §3): the service around the pure rules
of `catalog_csv` (format, parsing, row validation, change sets).

Import, step by step:
1. parse the upload (size and row limits, encodings, delimiters) and read the catalog as it is now;
2. plan: validate every row against it and compute the change set (`catalog_csv.plan_import`). A
   dry run answers with the plan. With invalid rows and the default mode (`all`), nothing is
   written (422 `ImportInvalid` with every `{row, field, message}`); with `?mode=partial` the valid
   rows are applied and the others reported;
3. apply, one product at a time (the product item, its stock lines and their movements together),
   as many products per DynamoDB transaction as fit. Every write is guarded on what the plan read
   (the product's version, a line's on-hand count and threshold, a new item's absence), and every
   stock change goes through `inventory.stock` (`change_stock`, `new_line`), which keeps the stock
   invariants (on hand never below reserved) and records a movement whose reason names the import;
4. if a transaction is refused because something changed since the read (an order, an admin's
   edit), the catalog is read again and the rest planned again (bounded): rows already applied now
   plan nothing, so nothing is applied twice;
5. all-or-nothing beyond one transaction: if a row becomes invalid while applying (an order
   reserved more than the row's on-hand count), the products already applied are put back as they
   were (compensating writes, movements included) before the 422 is answered.

A re-upload of an applied file (or an export imported back) plans nothing and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.backoffice.catalog_csv import (
    MAX_IMPORT_BYTES,
    CatalogSnapshot,
    ImportPlan,
    ProductChange,
    ProductState,
    StockChange,
    StockState,
)
from chalicelib.core.config import DEFAULT_WAREHOUSE_ID
from chalicelib.core.errors import ConcurrentUpdate, ImportInvalid, UnsupportedMediaType, ValidationError
from chalicelib.core.observability import logger

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

MODES = ("all", "partial")
CSV_MEDIA_TYPES = ("text/csv", "application/csv", "text/plain")  # what browsers and spreadsheets send
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems
APPLY_ATTEMPTS = 4
REASON = "CSV import"


@dataclass(frozen=True)
class ProductMeta:
    version: int | None
    warehouse_ids: frozenset[str]


@dataclass(frozen=True)
class Catalog:
    snapshot: CatalogSnapshot
    meta: dict[str, ProductMeta]


def read_catalog() -> Catalog:
    """The whole catalog, stock lines and warehouse ids, read strongly consistently (three Scans)."""
    from chalicelib.inventory.models import Product, Stock, Warehouse

    products, meta = [], {}
    for p in Product.scan(consistent_read=True):
        products.append(ProductState(p.product_id, p.name, p.description or "", int(p.price_cents), int(p.threshold)))
        version = None if p.version is None else int(p.version)
        meta[p.product_id] = ProductMeta(version, frozenset(p.warehouse_ids or ()))
    stock = [
        StockState(s.product_id, s.warehouse_id, int(s.on_hand), int(s.reserved), int(s.threshold))
        for s in Stock.scan(consistent_read=True)
        if s.product_id in meta
    ]
    warehouses = [w.warehouse_id for w in Warehouse.scan(consistent_read=True, attributes_to_get=["warehouse_id"])]
    # The default warehouse needs no record: every product starts there (`POST /products`), so the
    # export lists it and the import must take it back.
    warehouses.append(DEFAULT_WAREHOUSE_ID)
    return Catalog(CatalogSnapshot.of(products, stock, warehouses), meta)


def export_csv() -> str:
    """`GET /products/export.csv`: the catalog with stock per warehouse (UTF-8 with BOM, CRLF)."""
    from chalicelib.backoffice.catalog_csv import render_export

    return render_export(read_catalog().snapshot)


def check_media_type(content_type: str | None) -> None:
    """A CSV upload: `text/csv` (or what some browsers send for .csv files), any charset (the
    import detects the encoding from the bytes)."""
    from chalicelib.core.http import parse_media_type

    try:
        kind, _params = parse_media_type(content_type or "")
    except ValueError:
        kind = ""
    if kind not in CSV_MEDIA_TYPES:
        shown = "".join(ch if ch.isprintable() else "?" for ch in content_type or "none")[:100]
        raise UnsupportedMediaType(f"send the file as text/csv, not {shown}")


def parse_options(params: dict[str, str]) -> tuple[str, bool]:
    """`?mode=all|partial` (default all) and `?dryRun=true|false` (default false)."""
    # Exactly the documented values: an empty or differently spelt value is a 400, not a default.
    mode = params.get("mode", "all")
    if mode not in MODES:
        raise ValidationError("mode", f"must be one of {', '.join(MODES)}")
    dry = params.get("dryRun", "false")
    if dry not in ("true", "false"):
        raise ValidationError("dryRun", "must be true or false")
    return mode, dry == "true"


# --- applying a plan ------------------------------------------------------------------------------


@dataclass
class Unit:
    """One product's changes: written together, in one transaction."""

    product_id: str
    product: ProductChange | None = None
    stock: list[StockChange] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.product is not None and self.product.created

    @property
    def new_warehouses(self) -> set[str]:
        return {s.warehouse_id for s in self.stock if s.created}

    def items(self) -> int:
        count = 1 if self.product is not None or self.new_warehouses else 0
        for s in self.stock:
            count += 2 if s.on_hand_delta else 1  # line (+ its movement)
        return count + len(self.new_warehouses)  # a condition check per warehouse (at most)


def units_of(plan: ImportPlan) -> list[Unit]:
    units: dict[str, Unit] = {}
    for p in plan.products:
        units.setdefault(p.product_id, Unit(p.product_id)).product = p
    for s in plan.stock:
        units.setdefault(s.product_id, Unit(s.product_id)).stock.append(s)
    return [units[k] for k in sorted(units)]


def chunks(units: list[Unit]) -> Iterator[list[Unit]]:
    """Units packed into transactions of at most MAX_TRANSACTION_ITEMS items, in order."""
    batch: list[Unit] = []
    size = 0
    for unit in units:
        n = unit.items()
        if batch and size + n > MAX_TRANSACTION_ITEMS:
            yield batch
            batch, size = [], 0
        batch.append(unit)
        size += n
    if batch:
        yield batch


def _write_unit(tx: TransactWrite, unit: Unit, catalog: Catalog, *, import_id: str, actor: str, now: Any) -> None:
    from chalicelib.inventory.catalog import name_key
    from chalicelib.inventory.models import Product, Stock
    from chalicelib.inventory.stock import change_stock, new_line, new_movement

    reason, reference = f"{REASON} {import_id}", f"import:{import_id}"
    new_warehouses = unit.new_warehouses
    if unit.created:
        assert unit.product is not None
        after = unit.product.after
        product = Product(
            unit.product_id,
            name=after.name,
            name_key=name_key(after.name),
            description=after.description,
            price_cents=after.price_cents,
            threshold=after.threshold,
            warehouse_ids=set(new_warehouses) or None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        tx.save(product, condition=Product.product_id.does_not_exist())
    elif unit.product is not None or new_warehouses:
        actions: list[Any] = [Product.updated_at.set(now), Product.version.add(1)]
        if unit.product is not None:
            after = unit.product.after
            changed = unit.product.changes
            if "productName" in changed:
                actions += [Product.name.set(after.name), Product.name_key.set(name_key(after.name))]
            if "description" in changed:
                actions.append(Product.description.set(after.description))
            if "priceCents" in changed:
                actions.append(Product.price_cents.set(after.price_cents))
            if "threshold" in changed:
                actions.append(Product.threshold.set(after.threshold))
        if new_warehouses:
            actions.append(Product.warehouse_ids.add(new_warehouses))
        version = catalog.meta[unit.product_id].version
        # Guarded on the version read: an edit made since then means the plan is stale.
        guard = Product.version == version if version is not None else Product.version.does_not_exist()
        tx.update(Product(unit.product_id), actions=actions, condition=Product.product_id.exists() & guard)
    for change in unit.stock:
        if change.created:
            line = new_line(
                change.product_id,
                change.warehouse_id,
                on_hand=change.on_hand_after,
                threshold=change.threshold_after,
                now=now,
            )
            tx.save(line, condition=Stock.product_id.does_not_exist())
            if change.on_hand_after:
                tx.save(
                    new_movement(
                        change.product_id,
                        change.warehouse_id,
                        on_hand_delta=change.on_hand_after,
                        reason=reason,
                        actor=actor,
                        reference=reference,
                        now=now,
                    )
                )
            continue
        # The line as the plan read it (counts and threshold: what the import sets); reservations
        # may move meanwhile, and change_stock's guard keeps on hand >= reserved whatever they do.
        same = (Stock.on_hand == change.on_hand_before) & (Stock.threshold == change.threshold_before)
        threshold = (
            [Stock.threshold.set(change.threshold_after)] if change.threshold_after != change.threshold_before else []
        )
        if change.on_hand_delta:
            change_stock(
                tx,
                change.product_id,
                change.warehouse_id,
                on_hand_delta=change.on_hand_delta,
                reason=reason,
                actor=actor,
                reference=reference,
                condition=same,
                now=now,
                extra_actions=threshold,
            )
        else:  # a threshold alone is not a movement of stock
            tx.update(
                Stock(change.product_id, change.warehouse_id),
                actions=[*threshold, Stock.version.add(1), Stock.updated_at.set(now)],
                condition=Stock.product_id.exists() & same,
            )


def _apply(batch: list[Unit], catalog: Catalog, *, import_id: str, actor: str) -> None:
    from chalicelib.core.db import transact, utcnow
    from chalicelib.inventory.models import Warehouse

    now = utcnow()

    def build(tx: TransactWrite) -> None:
        for warehouse_id in sorted({w for unit in batch for w in unit.new_warehouses} - {DEFAULT_WAREHOUSE_ID}):
            tx.condition_check(Warehouse, warehouse_id, condition=Warehouse.warehouse_id.exists())
        for unit in batch:
            _write_unit(tx, unit, catalog, import_id=import_id, actor=actor, now=now)

    transact(build)


# --- undoing (all-or-nothing across transactions) ---------------------------------------------------


def _undo_unit(unit: Unit, *, import_id: str, actor: str) -> None:
    """Put one applied product back as the plan found it. Guarded on what the import wrote, so a
    change someone made since is never overwritten (that product is then reported instead)."""
    from chalicelib.core.db import transact, utcnow
    from chalicelib.inventory.models import Product, Stock
    from chalicelib.inventory.stock import change_stock, new_movement

    now = utcnow()
    reason, reference = f"{REASON} {import_id} undone", f"import:{import_id}"

    def build(tx: TransactWrite) -> None:
        created_lines = [s for s in unit.stock if s.created]
        for change in created_lines:
            # A line this import created, untouched since (version 1, nothing reserved): removed.
            tx.delete(
                Stock(change.product_id, change.warehouse_id),
                condition=(Stock.version == 1) & (Stock.reserved == 0) & (Stock.on_hand == change.on_hand_after),
            )
            if change.on_hand_after:
                tx.save(
                    new_movement(
                        change.product_id,
                        change.warehouse_id,
                        on_hand_delta=-change.on_hand_after,
                        reason=reason,
                        actor=actor,
                        reference=reference,
                        now=now,
                    )
                )
        if unit.created:
            tx.delete(Product(unit.product_id), condition=Product.version == 1)
        elif unit.product is not None or created_lines:
            actions: list[Any] = [Product.updated_at.set(now), Product.version.add(1)]
            if unit.product is not None:
                from chalicelib.inventory.catalog import name_key

                for name, (before, _after) in unit.product.changes.items():
                    if name == "productName":
                        actions += [Product.name.set(before), Product.name_key.set(name_key(before))]
                    elif name == "description":
                        actions.append(Product.description.set(before))
                    elif name == "priceCents":
                        actions.append(Product.price_cents.set(before))
                    elif name == "threshold":
                        actions.append(Product.threshold.set(before))
            if created_lines:
                actions.append(Product.warehouse_ids.delete({s.warehouse_id for s in created_lines}))
            tx.update(Product(unit.product_id), actions=actions, condition=Product.product_id.exists())
        for change in unit.stock:
            if change.created or change.threshold_before is None:  # (an existing line has a threshold)
                continue
            threshold = (
                [Stock.threshold.set(change.threshold_before)]
                if change.threshold_after != change.threshold_before
                else []
            )
            if change.on_hand_delta:
                # The opposite movement: right whatever orders did in between (they moved the count
                # by their own movements), and refused if it would take on hand below reserved.
                change_stock(
                    tx,
                    change.product_id,
                    change.warehouse_id,
                    on_hand_delta=-change.on_hand_delta,
                    reason=reason,
                    actor=actor,
                    reference=reference,
                    now=now,
                    extra_actions=threshold,
                )
            elif threshold:
                tx.update(
                    Stock(change.product_id, change.warehouse_id),
                    actions=[*threshold, Stock.version.add(1), Stock.updated_at.set(now)],
                    condition=Stock.product_id.exists(),
                )

    transact(build)


def _undo(applied: list[Unit], *, import_id: str, actor: str) -> list[dict[str, Any]]:
    """Undo every applied product, newest first; the ones that could not be undone, with why."""
    from chalicelib.core.db import Cancelled

    left: list[dict[str, Any]] = []
    for unit in reversed(applied):
        try:
            _undo_unit(unit, import_id=import_id, actor=actor)
        except Cancelled:
            left.append({"productId": unit.product_id, "message": "changed since the import wrote it; left as it is"})
    logger.warning("csv import undone", extra={"import_id": import_id, "products": len(applied), "left": len(left)})
    return left


# --- the import -----------------------------------------------------------------------------------


def import_csv(data: bytes, *, mode: str, dry_run: bool, actor: str) -> dict[str, Any]:
    """`POST /products/import`: the per-row report; see the module doc for the steps."""
    from chalicelib.backoffice.catalog_csv import parse_upload, plan_import
    from chalicelib.core.db import Cancelled

    upload = parse_upload(data)
    import_id = uuid.uuid4().hex[:12]
    catalog = read_catalog()
    plan = plan_import(upload, catalog.snapshot)
    if any(e.row == 1 for e in plan.errors):
        # The header itself is wrong: no row can be read, so there is nothing to preview or to
        # apply partially (a partial import of such a file would answer 200 having done nothing).
        _refuse(plan, import_id=None, mode=mode)
    if dry_run:
        return _answer(plan, import_id=None, mode=mode, dry_run=True, applied=plan)
    if plan.errors and mode == "all":
        _refuse(plan, import_id=None, mode=mode)

    applied: list[Unit] = []
    for attempt in range(1, APPLY_ATTEMPTS + 1):
        stale = False
        for batch in chunks(units_of(plan)):
            try:
                _apply(batch, catalog, import_id=import_id, actor=actor)
            except Cancelled:
                stale = True  # something changed since the read: read again, plan the rest again
                break
            applied += batch
        if not stale:
            break
        catalog = read_catalog()
        plan = plan_import(upload, catalog.snapshot)
        if plan.errors and mode == "all":
            left = _undo(applied, import_id=import_id, actor=actor)
            _refuse(plan, import_id=import_id, mode=mode, not_undone=left)
        if attempt == APPLY_ATTEMPTS:
            left = _undo(applied, import_id=import_id, actor=actor) if mode == "all" else []
            raise ConcurrentUpdate(
                "the catalog kept changing while the import was applied; "
                + ("nothing was changed" if not left else "it was undone as far as possible")
                + ": upload the file again",
                importId=import_id,
                notUndone=left,
            )
    done = ImportPlan(
        rows=plan.rows,
        errors=plan.errors,
        products=[u.product for u in applied if u.product is not None],
        stock=[s for u in applied for s in u.stock],
    )
    logger.info(
        "csv import applied",
        extra={"import_id": import_id, "actor": actor, "products": len(done.products), "stock": len(done.stock)},
    )
    return _answer(plan, import_id=import_id, mode=mode, dry_run=False, applied=done)


def _answer(
    plan: ImportPlan, *, import_id: str | None, mode: str, dry_run: bool, applied: ImportPlan
) -> dict[str, Any]:
    report = applied.to_dict()
    report.update({"rows": plan.rows, "mode": mode, "dryRun": dry_run, "applied": not dry_run, "importId": import_id})
    report["errors"] = [e.to_dict() for e in sorted(plan.errors, key=lambda e: (e.row, e.field))]
    report["validRows"] = plan.rows - len(plan.invalid_rows)
    report["invalidRows"] = len(plan.invalid_rows)
    return report


def _refuse(
    plan: ImportPlan, *, import_id: str | None, mode: str, not_undone: list[dict[str, Any]] | None = None
) -> None:
    report = _answer(plan, import_id=import_id, mode=mode, dry_run=False, applied=ImportPlan(rows=plan.rows))
    report["applied"] = False
    rows = len(plan.invalid_rows) or 1
    message = (
        f"{rows} row{'s' if rows != 1 else ''} of the file {'are' if rows != 1 else 'is'} invalid, so nothing was "
        "imported: fix them and upload again (or import the valid rows alone with ?mode=partial)"
    )
    details = {k: v for k, v in report.items() if k not in ("errors",)}
    raise ImportInvalid(message, errors=report["errors"], notUndone=not_undone or [], **details)


__all__ = ["MAX_IMPORT_BYTES", "check_media_type", "export_csv", "import_csv", "parse_options"]
