"""The back office's console pages in a real browser against the whole devstack (issue 11): a day's
report with its figures and charts, reorder suggestions, a CSV previewed then imported, an API key
shown once then revoked. Screenshots go to `.devstack/screenshots/backoffice-*.png`."""

from __future__ import annotations

import shutil
import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests

from chalicelib.core.db import business_date
from chalicelib.orders import ledger
from chalicelib.orders.ledger import LedgerLine, LedgerOrder
from tests.e2e.conftest import Api
from tests.e2e.test_backoffice_flow import write_ledger, yesterday_noon
from tests.e2e.test_browser import CHROMIUM, browser, page, shot, sign_in, site, wait_loaded  # noqa: F401

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed (make deps-browser)"),
    pytest.mark.timeout(300),
]


def image_loaded(tab: Any, selector: str) -> bool:
    return bool(tab.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))


def test_reports_and_reorder_pages(page: Any, site: dict[str, Any], api: Api, aws: Any) -> None:  # noqa: F811
    at = yesterday_noon()
    day = business_date(at)
    tag = uuid.uuid4().hex[:6]
    orders = [
        LedgerOrder(f"ui-{tag}-{n}", [LedgerLine(f"UI-{tag}", "Desk lamp", "main", 2, 1999)], 0, 499, "CURBSIDE")
        for n in range(2)
    ]
    write_ledger(aws, [e for o in orders for e in ledger.confirmed_entries(o, at + timedelta(minutes=5))])
    # The lamp in stock: 4 sold yesterday, 3 left, so the reorder page asks for more.
    product = {"productId": f"UI-{tag}", "productName": "Desk lamp", "quantity": 3, "threshold": 1}
    assert api.post("/products", json=product).status_code == 201
    built = api.post(f"/reports/daily/{day}")
    assert built.status_code == 200, built.text
    net = built.json()["revenue"]["netCents"]

    sign_in(page, site["web"], *site["admin"])
    wait_loaded(page)
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Daily reports")).to_be_visible()
    page.locator("#report-list").get_by_role("link", name=day).click()
    expect(page.locator("#report-day")).to_have_text(f"Sales of {day}")
    expect(page.locator("#rep-net")).to_have_text(f"${net // 100:,}.{net % 100:02d}")
    page.wait_for_function("() => document.querySelector('#chart-days')?.complete")
    assert image_loaded(page, "#chart-hours") and image_loaded(page, "#chart-days")
    href = page.locator("#report-pdf").get_attribute("href")
    pdf = requests.get(str(href), timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    expect(page.get_by_role("cell", name=f"Desk lamp (UI-{tag})")).to_be_visible()
    shot(page, "backoffice-report", full_page=True)

    page.get_by_role("link", name="Reorder").click()
    expect(page.get_by_role("heading", name="Reorder suggestions")).to_be_visible()
    # Days without a report are read from the ledger (8 Queries a day): slower on the emulator.
    expect(page.locator("#reorder-note")).to_contain_text("target cover", timeout=60_000)
    lamp = page.locator("#reorder-table tr", has_text=f"UI-{tag}")
    expect(lamp.locator(".badge")).to_have_text("Urgent")  # 3 left at 4 a day: gone before a delivery
    shot(page, "backoffice-reorder", full_page=True)


def test_import_preview_confirm_and_api_keys(page: Any, site: dict[str, Any], api: Api) -> None:  # noqa: F811
    tag = uuid.uuid4().hex[:6]
    rows = [f"UIC-{tag}-{n},Chair {n},{1500 + n},1,main,4,1" for n in range(3)]
    bad = f"UIC-{tag}-9,,abc,1,main,4,1"
    header = "productId,productName,priceCents,threshold,warehouseId,onHand,stockThreshold"

    sign_in(page, site["web"], *site["admin"])
    wait_loaded(page)
    page.get_by_role("link", name="Import / export").click()
    expect(page.get_by_role("heading", name="Import and export")).to_be_visible()
    # A file with an invalid row: the preview names it and the import stays disabled.
    page.set_input_files(
        "#import-file",
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": "\n".join([header, *rows, bad]).encode()}],
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-summary")).to_contain_text("4 row(s): 3 valid, 1 invalid")
    expect(page.get_by_role("cell", name="priceCents")).to_be_visible()
    expect(page.locator("#import-confirm")).to_be_disabled()
    shot(page, "backoffice-import-invalid", full_page=True)
    assert api.get(f"/products/UIC-{tag}-0").status_code == 404

    page.set_input_files(
        "#import-file",
        files=[{"name": "chairs.csv", "mimeType": "text/csv", "buffer": "\n".join([header, *rows]).encode()}],
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-summary")).to_contain_text("would create or change 3 product(s)")
    page.locator("#import-confirm").click()
    expect(page.locator("#import-summary")).to_contain_text("did create or change 3 product(s)")
    shot(page, "backoffice-import-done", full_page=True)
    assert api.get(f"/products/UIC-{tag}-2").json()["priceCents"] == 1502

    page.get_by_role("link", name="API keys").click()
    page.locator("#key-name").fill(f"Till {tag}")
    page.get_by_label("Read the catalog (catalog:read)").check()
    page.get_by_role("button", name="Create key").click()
    value = page.locator("#new-key-value")
    expect(value).to_contain_text("srk_")
    key = value.inner_text()
    machine = f"{site['api']}/machine/products"
    assert requests.get(machine, headers={"X-Api-Key": key}, timeout=30).status_code == 200
    shot(page, "backoffice-api-key-created", full_page=True)
    page.get_by_role("button", name="I have stored it").click()
    expect(page.locator("#new-key-value")).to_have_count(0)  # shown once: gone from the page

    key_id = key.split("_")[1]
    revoke = page.locator(f'button[data-key-id="{key_id}"]')
    revoke.click()
    expect(revoke).to_have_text("Confirm revoke")
    revoke.click()
    row = page.locator("#api-key-list tr", has_text=key_id)
    expect(row.locator(".badge")).to_have_text("revoked")
    shot(page, "backoffice-api-key-revoked", full_page=True)
    assert requests.get(machine, headers={"X-Api-Key": key}, timeout=30).status_code == 401
