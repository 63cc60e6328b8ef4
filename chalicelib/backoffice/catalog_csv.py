"""CSV export and import of the catalog with its stock per warehouse (issue 11 §3). Pure: the
service that reads the catalog and applies a change set lives elsewhere.

The format (docs/CONTRACTS.md, "Catalog CSV"), one row per product x warehouse:

    productId,productName,description,priceCents,threshold,warehouseId,onHand,reserved,available,stockThreshold

- A product without stock lines has one row with the warehouse columns empty.
- `threshold` is the product's default low-stock threshold; `stockThreshold` is the stock line's.
- `reserved` and `available` are exported for reading and ignored on import (orders hold them).
- The export starts with a UTF-8 byte order mark (so spreadsheets read it as UTF-8) and ends lines
  with CRLF (RFC 4180). Text cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'` so a
  spreadsheet does not run them as formulas; the import removes it again.

The import reads what spreadsheets write: UTF-8 with or without BOM, UTF-16 with BOM, otherwise
Windows-1252; comma, semicolon or tab as delimiter (whichever the header line uses); RFC 4180
quoting; column names in any case and order; blank rows skipped. Per row, a blank number cell
keeps the current value (or the default for something new); a blank `description` empties it.
Every row is validated and every problem reported as `{row, field, message}`, `row` counting
records as a spreadsheet numbers its rows (the header is row 1). The change set compares the valid
rows with the current catalog, so importing a file that matches it (a re-upload, or an export
imported back) changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.core import validation
from chalicelib.core.errors import PayloadTooLarge, ValidationError

MAX_IMPORT_BYTES = 1024 * 1024  # 1 MiB: about 5,000 rows with short descriptions
MAX_IMPORT_ROWS = 2_000  # data rows per file; what one API request can apply in its time budget

EXPORT_COLUMNS = (
    "productId",
    "productName",
    "description",
    "priceCents",
    "threshold",
    "warehouseId",
    "onHand",
    "reserved",
    "available",
    "stockThreshold",
)
IMPORTED_COLUMNS = frozenset(
    {"productId", "productName", "description", "priceCents", "threshold", "warehouseId", "onHand", "stockThreshold"}
)
IGNORED_COLUMNS = frozenset({"reserved", "available"})
REQUIRED_COLUMNS = ("productId", "productName")
PRODUCT_FIELDS = ("productName", "description", "priceCents", "threshold")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_START = (*_FORMULA_START, "'")
# Anchored by fullmatch, ASCII digits only (`$` would pass "12\n", `\d` "١٢").
_WHOLE = re.compile(r"[0-9]+(?:\.0+)?", re.ASCII)
_DECIMAL = re.compile(r"[0-9]+[.,][0-9]+", re.ASCII)


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula (OWASP "CSV injection"): a leading
    `'`. Text that already starts with `'` gets one too, so that `from_spreadsheet` can tell."""
    return "'" + text if text.startswith(_ESCAPED_START) else text


def from_spreadsheet(text: str) -> str:
    """Undo `spreadsheet_safe` (a lone leading `'` before ordinary text is kept: someone typed it)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_ESCAPED_START) else text


# --- the catalog as the import compares against it ----------------------------------------------


@dataclass(frozen=True)
class ProductState:
    product_id: str
    name: str
    description: str = ""
    price_cents: int = 0
    threshold: int = 0


@dataclass(frozen=True)
class StockState:
    product_id: str
    warehouse_id: str
    on_hand: int
    reserved: int = 0
    threshold: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class CatalogSnapshot:
    products: Mapping[str, ProductState]
    stock: Mapping[tuple[str, str], StockState]
    warehouses: frozenset[str]

    @classmethod
    def of(
        cls, products: Iterable[ProductState], stock: Iterable[StockState], warehouses: Iterable[str]
    ) -> CatalogSnapshot:
        return cls(
            products={p.product_id: p for p in products},
            stock={(s.product_id, s.warehouse_id): s for s in stock},
            warehouses=frozenset(warehouses),
        )


# --- export ---------------------------------------------------------------------------------------


def export_rows(snapshot: CatalogSnapshot) -> list[dict[str, Any]]:
    lines: dict[str, list[StockState]] = {}
    for item in snapshot.stock.values():
        lines.setdefault(item.product_id, []).append(item)
    rows: list[dict[str, Any]] = []
    for product_id in sorted(snapshot.products):
        product = snapshot.products[product_id]
        base = {
            "productId": product.product_id,
            "productName": product.name,
            "description": product.description,
            "priceCents": product.price_cents,
            "threshold": product.threshold,
        }
        stock = sorted(lines.get(product_id, []), key=lambda s: s.warehouse_id)
        if not stock:
            rows.append({**base, **dict.fromkeys(EXPORT_COLUMNS[5:], "")})
        for item in stock:
            rows.append(
                {
                    **base,
                    "warehouseId": item.warehouse_id,
                    "onHand": item.on_hand,
                    "reserved": item.reserved,
                    "available": item.available,
                    "stockThreshold": item.threshold,
                }
            )
    return rows


def render_export(snapshot: CatalogSnapshot) -> str:
    """The export file's text (encode as UTF-8; it starts with the BOM)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in export_rows(snapshot):
        writer.writerow({k: spreadsheet_safe(v) if isinstance(v, str) else v for k, v in row.items()})
    return out.getvalue()


# --- parsing an upload ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Row:
    number: int  # spreadsheet row number (header = 1)
    cells: Mapping[str, str]  # imported columns present in the header -> stripped text


@dataclass(frozen=True)
class ParsedUpload:
    columns: tuple[str, ...]  # imported columns present, canonical names
    rows: list[Row]
    errors: list[RowError]
    delimiter: str
    encoding: str


def decode(data: bytes) -> tuple[str, str]:
    """The upload's text and the encoding it was read with."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError("file", "is not a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ValidationError("file", "starts like UTF-16 but is not") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        raise ValidationError("file", "is not UTF-8 or Windows-1252 text") from None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter the header uses most outside quotes: `,`, `;` or tab (comma when none)."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts.values())
    return next(d for d in (",", ";", "\t") if counts[d] == best) if best else ","


def parse_upload(data: bytes) -> ParsedUpload:
    """Read an upload into rows of the imported columns. Raises PayloadTooLarge past the documented
    limits and ValidationError (`file`) for what is not CSV text at all; header problems are errors
    on row 1 (and no rows)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"the file is larger than {MAX_IMPORT_BYTES // 1024} KiB; split it into several files")
    text, encoding = decode(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise ValidationError("file", "is empty: the first line must name the columns")
    delimiter = sniff_delimiter(text.split("\n", 1)[0])
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise ValidationError("file", f"is not valid CSV ({exc})") from None

    header, body = records[0], records[1:]
    errors: list[RowError] = []
    positions: dict[str, int] = {}
    known = {name.lower(): name for name in (*IMPORTED_COLUMNS, *IGNORED_COLUMNS)}
    for index, raw in enumerate(header):
        name = raw.strip().lstrip("\ufeff")
        if not name:
            if any(index < len(r) and r[index].strip() for r in body):
                errors.append(RowError(1, f"column {index + 1}", "has values but no name"))
            continue
        canonical = known.get(name.lower())
        if canonical is None:
            errors.append(RowError(1, name, f"unknown column (known: {', '.join(EXPORT_COLUMNS)})"))
        elif canonical in positions:
            errors.append(RowError(1, canonical, "appears twice"))
        elif canonical in IMPORTED_COLUMNS:
            positions[canonical] = index
        else:
            positions.setdefault(canonical, -1)  # ignored column: present, never read
    for required in REQUIRED_COLUMNS:
        if required not in positions:
            errors.append(RowError(1, required, "missing column"))
    columns = tuple(name for name in EXPORT_COLUMNS if positions.get(name, -1) >= 0)
    if errors:
        return ParsedUpload(columns, [], errors, delimiter, encoding)

    rows: list[Row] = []
    for number, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) == MAX_IMPORT_ROWS:
            raise PayloadTooLarge(f"the file has more than {MAX_IMPORT_ROWS:,} rows; split it into several files")
        extra = [cell for cell in record[len(header) :] if cell.strip()]
        if extra:
            errors.append(RowError(number, "row", f"has {len(record)} cells but the header names {len(header)}"))
            continue
        cells = {name: (record[i].strip() if i < len(record) else "") for name, i in positions.items() if i >= 0}
        rows.append(Row(number, cells))
    return ParsedUpload(columns, rows, errors, delimiter, encoding)


# --- validating rows and computing the change set -------------------------------------------------


@dataclass(frozen=True)
class ProductValues:
    """A row's product fields; None: not given (blank number cell, or column absent)."""

    name: str
    description: str | None
    price_cents: int | None
    threshold: int | None


@dataclass(frozen=True)
class ValidRow:
    number: int
    product_id: str
    product: ProductValues
    warehouse_id: str | None
    on_hand: int | None
    stock_threshold: int | None


@dataclass(frozen=True)
class ProductChange:
    product_id: str
    row: int
    created: bool
    changes: dict[str, tuple[Any, Any]]  # field -> (before, after); before is None when created
    after: ProductState

    def to_dict(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "row": self.row,
            "action": "create" if self.created else "update",
            "changes": {k: {"before": b, "after": a} for k, (b, a) in self.changes.items()},
        }


@dataclass(frozen=True)
class StockChange:
    product_id: str
    warehouse_id: str
    row: int
    created: bool
    on_hand_before: int
    on_hand_after: int
    threshold_before: int | None
    threshold_after: int
    reserved: int  # as read: the apply step must still guard on_hand >= reserved

    @property
    def on_hand_delta(self) -> int:
        return self.on_hand_after - self.on_hand_before

    def to_dict(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "warehouseId": self.warehouse_id,
            "row": self.row,
            "action": "create" if self.created else "update",
            "onHand": {"before": self.on_hand_before, "after": self.on_hand_after, "delta": self.on_hand_delta},
            "threshold": {"before": self.threshold_before, "after": self.threshold_after},
        }


@dataclass
class ImportPlan:
    rows: int  # data rows read (blank rows not counted)
    errors: list[RowError] = field(default_factory=list)
    products: list[ProductChange] = field(default_factory=list)
    stock: list[StockChange] = field(default_factory=list)

    @property
    def invalid_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row > 1})

    @property
    def is_empty(self) -> bool:
        return not self.products and not self.stock

    def to_dict(self) -> dict[str, Any]:
        """The per-row report the import answers with (preview, or after applying)."""
        return {
            "rows": self.rows,
            "validRows": self.rows - len(self.invalid_rows),
            "invalidRows": len(self.invalid_rows),
            "errors": [e.to_dict() for e in sorted(self.errors, key=lambda e: (e.row, e.field))],
            "summary": {
                "productsCreated": sum(1 for p in self.products if p.created),
                "productsUpdated": sum(1 for p in self.products if not p.created),
                "stockLinesCreated": sum(1 for s in self.stock if s.created),
                "stockLinesUpdated": sum(1 for s in self.stock if not s.created),
            },
            "products": [p.to_dict() for p in self.products],
            "stock": [s.to_dict() for s in self.stock],
        }


class _RowProblems(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors


def _number(cells: Mapping[str, str], name: str, row: int, errors: list[RowError], *, high: int) -> int | None:
    raw = cells.get(name, "")
    if raw == "":
        return None
    if _DECIMAL.fullmatch(raw) and not _WHOLE.fullmatch(raw):
        hint = " of cents (12.99 is written 1299)" if name == "priceCents" else ""
        errors.append(RowError(row, name, f"must be a whole number{hint}"))
        return None
    if not _WHOLE.fullmatch(raw):
        errors.append(RowError(row, name, "must be a whole number, 0 or more"))
        return None
    value = int(raw.split(".")[0])
    if value > high:
        errors.append(RowError(row, name, f"must be at most {high}"))
        return None
    return value


def _checked(row: int, errors: list[RowError], check: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one of `core.validation`'s checks, turning its ValidationError into a row error."""
    try:
        return check(*args, **kwargs)
    except ValidationError as exc:
        name = str(exc.details.get("field", "row"))
        errors.append(RowError(row, name, exc.message.removeprefix(f"{name}: ")))
        return None


def validate_row(row: Row, snapshot: CatalogSnapshot) -> ValidRow:
    """One row on its own (raises _RowProblems with every problem of the row)."""
    errors: list[RowError] = []
    cells = {k: from_spreadsheet(v) for k, v in row.cells.items()}
    n = row.number
    present = {k: v for k, v in cells.items() if v != ""}  # blank cells: as if not given
    product_id = _checked(n, errors, validation.product_identifier, present, "productId")
    name = _checked(n, errors, validation.text, present, "productName", max_length=200)
    description = None
    if "description" in cells:  # the column is there: a blank cell empties the description
        description = _checked(
            n,
            errors,
            validation.text,
            cells,
            "description",
            max_length=2000,
            required=False,
            allow_empty=True,
            multiline=True,  # descriptions may span lines (as in the API)
        )
    price = _number(cells, "priceCents", n, errors, high=validation.MAX_PRICE_CENTS)
    threshold = _number(cells, "threshold", n, errors, high=validation.MAX_QUANTITY)
    on_hand = _number(cells, "onHand", n, errors, high=validation.MAX_QUANTITY)
    stock_threshold = _number(cells, "stockThreshold", n, errors, high=validation.MAX_QUANTITY)
    warehouse_id = None
    if cells.get("warehouseId"):
        warehouse_id = _checked(n, errors, validation.identifier, cells, "warehouseId")
        if warehouse_id is not None and warehouse_id not in snapshot.warehouses:
            errors.append(RowError(n, "warehouseId", f"no warehouse {warehouse_id}"))
            warehouse_id = None
    elif cells.get("onHand") or cells.get("stockThreshold"):
        errors.append(RowError(n, "warehouseId", "is required when onHand or stockThreshold is given"))
    if warehouse_id is not None and product_id is not None:
        current = snapshot.stock.get((product_id, warehouse_id))
        if current is None and on_hand is None and not any(e.field == "onHand" for e in errors):
            errors.append(RowError(n, "onHand", "is required for a new stock line"))
        if current is not None and on_hand is not None and on_hand < current.reserved:
            errors.append(
                RowError(n, "onHand", f"must not be below the {current.reserved} units reserved by open orders")
            )
    if errors:
        raise _RowProblems(errors)
    return ValidRow(
        n, product_id, ProductValues(name, description, price, threshold), warehouse_id, on_hand, stock_threshold
    )


def plan_import(upload: ParsedUpload, snapshot: CatalogSnapshot) -> ImportPlan:
    """Validate every row and compute what applying the valid ones would change.

    Rows are checked on their own, then against each other: a product's fields must agree on all its
    rows (the first valid row of a product states them) and a (product, warehouse) appears once.
    """
    plan = ImportPlan(rows=len(upload.rows), errors=list(upload.errors))
    valid: list[ValidRow] = []
    for raw in upload.rows:
        try:
            valid.append(validate_row(raw, snapshot))
        except _RowProblems as problems:
            plan.errors += problems.errors

    stated: dict[str, ValidRow] = {}
    seen_lines: dict[tuple[str, str], int] = {}
    accepted: list[ValidRow] = []
    for row in valid:
        first = stated.setdefault(row.product_id, row)
        conflicts = [
            RowError(row.number, name, f"differs from row {first.number} for the same product")
            for name, mine, theirs in _product_fields(row.product, first.product)
            if mine is not None and theirs is not None and mine != theirs
        ]
        if row.warehouse_id is not None:
            key = (row.product_id, row.warehouse_id)
            if key in seen_lines:
                conflicts.append(
                    RowError(row.number, "warehouseId", f"this product's line is already on row {seen_lines[key]}")
                )
            else:
                seen_lines[key] = row.number
        if conflicts:
            plan.errors += conflicts
        else:
            accepted.append(row)

    # A product's rows may each give some fields (blank cells keep): merge them, first row first.
    merged: dict[str, tuple[int, ProductValues]] = {}
    for row in accepted:
        number, values = merged.get(row.product_id, (row.number, row.product))
        merged[row.product_id] = (
            number,
            ProductValues(
                values.name,
                values.description if values.description is not None else row.product.description,
                values.price_cents if values.price_cents is not None else row.product.price_cents,
                values.threshold if values.threshold is not None else row.product.threshold,
            ),
        )
    after_products: dict[str, ProductState] = {}
    for product_id, (number, values) in merged.items():
        product_change = _product_change(product_id, number, values, snapshot.products.get(product_id))
        after_products[product_id] = product_change.after if product_change else snapshot.products[product_id]
        if product_change:
            plan.products.append(product_change)
    for row in accepted:
        if row.warehouse_id is not None:
            stock_change = _stock_change(row, snapshot, after_products[row.product_id])
            if stock_change:
                plan.stock.append(stock_change)
    return plan


def _product_fields(a: ProductValues, b: ProductValues) -> list[tuple[str, Any, Any]]:
    return [
        ("productName", a.name, b.name),
        ("description", a.description, b.description),
        ("priceCents", a.price_cents, b.price_cents),
        ("threshold", a.threshold, b.threshold),
    ]


def _product_change(
    product_id: str, row: int, values: ProductValues, current: ProductState | None
) -> ProductChange | None:
    if current is None:
        after = ProductState(
            product_id, values.name, values.description or "", values.price_cents or 0, values.threshold or 0
        )
        changes: dict[str, tuple[Any, Any]] = {
            "productName": (None, after.name),
            "description": (None, after.description),
            "priceCents": (None, after.price_cents),
            "threshold": (None, after.threshold),
        }
        return ProductChange(product_id, row, True, changes, after)
    after = ProductState(
        product_id,
        values.name,
        current.description if values.description is None else values.description,
        current.price_cents if values.price_cents is None else values.price_cents,
        current.threshold if values.threshold is None else values.threshold,
    )
    changes = {
        name: (before, now)
        for name, before, now in (
            ("productName", current.name, after.name),
            ("description", current.description, after.description),
            ("priceCents", current.price_cents, after.price_cents),
            ("threshold", current.threshold, after.threshold),
        )
        if before != now
    }
    return ProductChange(product_id, row, False, changes, after) if changes else None


def _stock_change(row: ValidRow, snapshot: CatalogSnapshot, product: ProductState) -> StockChange | None:
    assert row.warehouse_id is not None
    current = snapshot.stock.get((row.product_id, row.warehouse_id))
    if current is None:
        assert row.on_hand is not None  # validate_row requires it for a new line
        threshold = row.stock_threshold if row.stock_threshold is not None else product.threshold
        return StockChange(row.product_id, row.warehouse_id, row.number, True, 0, row.on_hand, None, threshold, 0)
    on_hand = current.on_hand if row.on_hand is None else row.on_hand
    threshold = current.threshold if row.stock_threshold is None else row.stock_threshold
    if on_hand == current.on_hand and threshold == current.threshold:
        return None
    return StockChange(
        row.product_id,
        row.warehouse_id,
        row.number,
        False,
        current.on_hand,
        on_hand,
        current.threshold,
        threshold,
        current.reserved,
    )
