"""Catalog CSV export and import (issue 11 §3): the format, what spreadsheets write, row validation
with {row, field, message}, and the change set (an export or a re-upload changes nothing)."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace

import pytest

from chalicelib.backoffice import catalog_csv as cc
from chalicelib.backoffice.catalog_csv import CatalogSnapshot, ImportPlan, ProductState, StockState
from chalicelib.core.errors import PayloadTooLarge, ValidationError

HEADER = "productId,productName,description,priceCents,threshold,warehouseId,onHand,reserved,available,stockThreshold"


def snapshot() -> CatalogSnapshot:
    return CatalogSnapshot.of(
        products=[
            ProductState("493.857.51", "MALM bed frame", 'Oak veneer, 160x200 "queen"\nassembly needed', 29900, 2),
            ProductState("LAMP-1", "Lampe à poser — laiton", "", 4999, 5),
            ProductState("SALE-1", "-20% bundle", '=HYPERLINK("x")', 100, 0),
            ProductState("NEW-1", "Not stocked yet", "", 0, 0),
        ],
        stock=[
            StockState("493.857.51", "east", 10, 3, 2),
            StockState("493.857.51", "west", 0, 0, 4),
            StockState("LAMP-1", "east", 50, 0, 5),
            StockState("SALE-1", "central", 7, 7, 1),
        ],
        warehouses=["east", "west", "central"],
    )


def plan(text: str | bytes, snap: CatalogSnapshot | None = None) -> ImportPlan:
    data = text.encode() if isinstance(text, str) else text
    return cc.plan_import(cc.parse_upload(data), snap or snapshot())


def errors(p: ImportPlan) -> list[tuple[int, str]]:
    return [(e.row, e.field) for e in p.errors]


def apply(p: ImportPlan, snap: CatalogSnapshot) -> CatalogSnapshot:
    """What applying a plan would leave (the service's job; here to check a re-upload)."""
    products = dict(snap.products)
    stock = dict(snap.stock)
    for change in p.products:
        products[change.product_id] = change.after
    for s in p.stock:
        old = stock.get((s.product_id, s.warehouse_id))
        stock[(s.product_id, s.warehouse_id)] = StockState(
            s.product_id, s.warehouse_id, s.on_hand_after, old.reserved if old else 0, s.threshold_after
        )
    return CatalogSnapshot(products, stock, snap.warehouses)


# --- export ---------------------------------------------------------------------------------------


def test_export_is_one_row_per_product_and_warehouse() -> None:
    text = cc.render_export(snapshot())
    assert text.startswith("\ufeff" + HEADER + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert [(r["productId"], r["warehouseId"]) for r in rows] == [
        ("493.857.51", "east"),
        ("493.857.51", "west"),
        ("LAMP-1", "east"),
        ("NEW-1", ""),
        ("SALE-1", "central"),
    ]
    bed = rows[0]
    assert bed["description"] == 'Oak veneer, 160x200 "queen"\nassembly needed'
    assert (bed["onHand"], bed["reserved"], bed["available"], bed["stockThreshold"], bed["threshold"]) == (
        "10",
        "3",
        "7",
        "2",
        "2",
    )
    assert rows[3]["onHand"] == "" and rows[3]["priceCents"] == "0"
    # Formula-looking text is escaped for spreadsheets.
    assert rows[4]["productName"] == "'-20% bundle" and rows[4]["description"] == '\'=HYPERLINK("x")'


def test_an_export_imports_back_as_it_is() -> None:
    p = plan(cc.render_export(snapshot()).encode("utf-8"))
    assert p.errors == [] and p.is_empty and p.rows == 5


def test_random_catalogs_round_trip() -> None:
    rng = random.Random(5)
    alphabet = "abcXYZ 0189,;\t\"'=+-@é€—\n"
    name_alphabet = alphabet.replace("\t", "").replace("\n", "")  # names are one line (issue 7 §1)
    for _ in range(30):
        products = [
            ProductState(
                f"P{n}",
                "".join(rng.choice(name_alphabet) for _ in range(rng.randint(1, 20))).strip() or "x",
                "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))).strip(),
                rng.randint(0, 10**6),
                rng.randint(0, 50),
            )
            for n in range(rng.randint(1, 8))
        ]
        stock = [
            StockState(p.product_id, w, on_hand := rng.randint(0, 100), rng.randint(0, on_hand), rng.randint(0, 9))
            for p in products
            for w in ("east", "west")
            if rng.random() < 0.6
        ]
        snap = CatalogSnapshot.of(products, stock, ["east", "west"])
        p = plan(cc.render_export(snap).encode(), snap)
        assert p.errors == [] and p.is_empty, (p.errors, p.products, p.stock)


# --- what spreadsheets write ----------------------------------------------------------------------


def test_excel_semicolon_windows_1252_without_bom() -> None:
    data = "productId;productName;priceCents\r\nLAMP-1;Lampe à poser — laiton;5999\r\n".encode("cp1252")
    parsed = cc.parse_upload(data)
    assert (parsed.delimiter, parsed.encoding) == (";", "windows-1252")
    p = cc.plan_import(parsed, snapshot())
    assert p.errors == []
    (change,) = p.products
    assert change.changes == {"priceCents": (4999, 5999)}  # the name decoded right: unchanged


def test_utf16_tab_separated_unicode_text() -> None:
    data = "productId\tproductName\twarehouseId\tonHand\nLAMP-1\tLampe à poser — laiton\teast\t40\n".encode("utf-16")
    parsed = cc.parse_upload(data)
    assert (parsed.delimiter, parsed.encoding) == ("\t", "utf-16")
    (change,) = cc.plan_import(parsed, snapshot()).stock
    assert (change.on_hand_before, change.on_hand_after, change.on_hand_delta) == (50, 40, -10)


def test_quoting_case_order_blank_rows_and_row_numbers() -> None:
    text = (
        "  PRODUCTNAME , productid,Description\n"
        '"Bed, frame ""XL""",493.857.51,"line one\nline two"\n'
        ",,\n"
        "\n"
        "Lamp,LAMP-1,\n"
        ",bad id!,\n"
    )
    p = plan(text)
    # Row 2 spans two lines; the blank records are rows 3 and 4; the bad one is row 6.
    assert errors(p) == [(6, "productId"), (6, "productName")]
    bed = next(c for c in p.products if c.product_id == "493.857.51")
    assert bed.changes["productName"][1] == 'Bed, frame "XL"'
    assert bed.changes["description"][1] == "line one\nline two"
    lamp = next(c for c in p.products if c.product_id == "LAMP-1")
    assert lamp.changes == {"productName": ("Lampe à poser — laiton", "Lamp")}


def test_formula_escape_is_undone_on_import() -> None:
    p = plan("productId,productName\nSALE-1,'-20% bundle\nLAMP-1,'Quoted on purpose\n")
    (lamp,) = p.products
    assert lamp.product_id == "LAMP-1" and lamp.changes["productName"][1] == "'Quoted on purpose"


# --- header problems ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("productId,description", [(1, "productName")]),
        ("productId,productName,prcieCents", [(1, "prcieCents")]),
        ("productId,productName,productid", [(1, "productId")]),
        ("sku,name", [(1, "name"), (1, "productId"), (1, "productName"), (1, "sku")]),
    ],
)
def test_header_problems_are_errors_on_row_1(header: str, expected: list[tuple[int, str]]) -> None:
    p = plan(header + "\nLAMP-1,Lamp,x\n")
    assert sorted(errors(p)) == expected and p.is_empty
    assert p.to_dict()["errors"][0]["row"] == 1


def test_unnamed_empty_columns_are_ignored_but_not_unnamed_values() -> None:
    assert plan("productId,productName,,\nLAMP-1,Lamp,,\n").errors == []
    assert errors(plan("productId,productName,\nLAMP-1,Lamp,surprise\n")) == [(1, "column 3")]


def test_reserved_and_available_are_read_never_imported() -> None:
    p = plan(
        "productId,productName,warehouseId,onHand,reserved,available\nLAMP-1,Lampe à poser — laiton,east,50,999,-3\n"
    )
    assert p.errors == [] and p.is_empty


# --- rows -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (",Lamp,,,,,", "productId", "is required"),
        ("no spaces please,Lamp,,,,,", "productId", "must be 1-64 letters"),
        ("LAMP-1,,,,,,", "productName", "is required"),
        ("LAMP-1,Lamp,12.99,,,,", "priceCents", "whole number of cents (12.99 is written 1299)"),
        ("LAMP-1,Lamp,1299,-1,,,", "threshold", "whole number, 0 or more"),
        ("LAMP-1,Lamp,1299,ten,,,", "threshold", "whole number, 0 or more"),
        ("LAMP-1,Lamp,99999999999,,,,", "priceCents", "at most"),
        ("LAMP-1,Lamp,,,north,5,", "warehouseId", "no warehouse north"),
        ("LAMP-1,Lamp,,,,5,", "warehouseId", "is required when onHand or stockThreshold is given"),
        ("LAMP-1,Lamp,,,west,,", "onHand", "is required for a new stock line"),
        ("SALE-1,-20% bundle,,,central,6,", "onHand", "below the 7 units reserved by open orders"),
        ("LAMP-1,Lamp,,,,,,extra", "row", "has 8 cells but the header names 7"),
        ("LAMP-1,Lamp\x07,,,,,", "productName", "control characters"),
    ],
)
def test_each_row_problem_is_named(row: str, field: str, message: str) -> None:
    p = plan("productId,productName,priceCents,threshold,warehouseId,onHand,stockThreshold\n" + row + "\n")
    assert [(e.row, e.field) for e in p.errors] == [(2, field)], p.errors
    assert message in p.errors[0].message
    assert p.to_dict()["errors"] == [{"row": 2, "field": field, "message": p.errors[0].message}]


def test_rows_of_a_product_must_agree_and_lines_appear_once() -> None:
    text = (
        "productId,productName,priceCents,warehouseId,onHand\n"
        "LAMP-1,Lamp,100,east,1\n"
        "LAMP-1,Lamp,200,west,1\n"  # another price for the same product
        "LAMP-1,Lamp,,east,2\n"  # east again
        "LAMP-1,Lamp,100,central,3\n"  # agrees (a blank cell would too)
    )
    p = plan(text)
    assert errors(p) == [(3, "priceCents"), (4, "warehouseId")]
    assert "differs from row 2" in p.errors[0].message and "already on row 2" in p.errors[1].message
    assert sorted((s.warehouse_id, s.on_hand_after) for s in p.stock) == [("central", 3), ("east", 1)]


def test_every_invalid_row_is_reported_and_valid_rows_still_planned() -> None:
    text = "productId,productName,priceCents\nA-1,Alpha,1\nB 2,Beta,2\nC-3,,3\nD-4,Delta,x\nE-5,Echo,5\n"
    p = plan(text)
    assert errors(p) == [(3, "productId"), (4, "productName"), (5, "priceCents")]
    assert [c.product_id for c in p.products] == ["A-1", "E-5"]  # what ?mode=partial applies
    summary = p.to_dict()
    assert (summary["rows"], summary["validRows"], summary["invalidRows"]) == (5, 2, 3)
    assert summary["summary"]["productsCreated"] == 2


# --- the change set -------------------------------------------------------------------------------


def test_changes_against_the_current_catalog() -> None:
    text = (
        "productId,productName,description,priceCents,threshold,warehouseId,onHand,stockThreshold\n"
        "493.857.51,MALM bed frame,,,,east,12,\n"  # blank description empties it; on hand 10 -> 12
        "LAMP-1,Lampe à poser — laiton,,,,west,5,\n"  # a new stock line: threshold from the product
        "NEW-2,Brand new,A thing,1500,3,east,20,1\n"  # a new product with stock
        "NEW-1,Not stocked yet,,,,,,\n"  # unchanged
    )
    p = plan(text)
    assert p.errors == []
    by_product = {c.product_id: c for c in p.products}
    assert by_product["493.857.51"].changes == {"description": ('Oak veneer, 160x200 "queen"\nassembly needed', "")}
    assert by_product["NEW-2"].created and by_product["NEW-2"].after == ProductState(
        "NEW-2", "Brand new", "A thing", 1500, 3
    )
    assert "LAMP-1" not in by_product and "NEW-1" not in by_product
    by_line = {(s.product_id, s.warehouse_id): s for s in p.stock}
    bed = by_line[("493.857.51", "east")]
    assert (bed.created, bed.on_hand_delta, bed.threshold_after, bed.reserved) == (False, 2, 2, 3)
    lamp_west = by_line[("LAMP-1", "west")]
    assert (lamp_west.created, lamp_west.on_hand_after, lamp_west.threshold_after) == (True, 5, 5)
    new = by_line[("NEW-2", "east")]
    assert (new.created, new.on_hand_delta, new.threshold_after) == (True, 20, 1)
    assert p.to_dict()["summary"] == {
        "productsCreated": 1,
        "productsUpdated": 1,
        "stockLinesCreated": 2,
        "stockLinesUpdated": 1,
    }


def test_blank_numbers_keep_current_values() -> None:
    p = plan(
        "productId,productName,priceCents,threshold,warehouseId,onHand,stockThreshold\n"
        "LAMP-1,Lampe à poser — laiton,,,east,,9\n"
    )
    assert p.products == []
    (line,) = p.stock
    assert (line.on_hand_before, line.on_hand_after, line.threshold_before, line.threshold_after) == (50, 50, 5, 9)


def test_a_re_upload_changes_nothing() -> None:
    text = (
        "productId,productName,priceCents,warehouseId,onHand\n"
        "NEW-2,Brand new,1500,east,20\n"
        "NEW-2,Brand new,1500,west,4\n"
        "LAMP-1,Lampe à poser — laiton,6000,east,45\n"
    )
    first = plan(text)
    assert not first.is_empty and first.errors == []
    after = apply(first, snapshot())
    again = plan(text, after)
    assert again.errors == [] and again.is_empty


def test_whole_numbers_written_as_decimals_by_spreadsheets() -> None:
    p = plan("productId,productName,warehouseId,onHand\nLAMP-1,Lampe à poser — laiton,east,45.0\n")
    assert p.errors == [] and p.stock[0].on_hand_after == 45


# --- limits and what is not CSV ---------------------------------------------------------------------


def test_size_and_row_limits() -> None:
    with pytest.raises(PayloadTooLarge, match="1024 KiB"):
        cc.parse_upload(b"productId,productName\n" + b"x" * cc.MAX_IMPORT_BYTES)
    rows = "".join(f"P{n},Name\n" for n in range(cc.MAX_IMPORT_ROWS + 1))
    with pytest.raises(PayloadTooLarge, match="2,000 rows"):
        cc.parse_upload(("productId,productName\n" + rows).encode())
    rows = "".join(f"P{n},Name\n" for n in range(cc.MAX_IMPORT_ROWS))
    assert len(cc.parse_upload(("productId,productName\n" + rows).encode()).rows) == cc.MAX_IMPORT_ROWS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"  \r\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file"),
        (b'productId,productName\n"LAMP-1,Lamp\n', "not valid CSV"),
        (b"productId,productName\nA,\x81\x8d\xe9\n", "not UTF-8 or Windows-1252"),
    ],
)
def test_what_is_not_csv_text(data: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        cc.parse_upload(data)
    assert caught.value.details["field"] == "file"


def test_spreadsheet_escape() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain", "", "'quoted", "'+", "''"):
        assert cc.from_spreadsheet(cc.spreadsheet_safe(text)) == text
    assert cc.spreadsheet_safe("=1+1") == "'=1+1" and cc.spreadsheet_safe("plain") == "plain"


def test_snapshot_helpers() -> None:
    snap = snapshot()
    assert snap.stock[("493.857.51", "east")].available == 7
    assert replace(snap.products["LAMP-1"], price_cents=1).price_cents == 1
