"""The storefront (web/index.html) and the admin console's shop pages in a real browser.

Headless Debian Chromium driven by Playwright against the session devstack (tests/e2e/conftest.py),
like test_browser.py. Each test seeds its own warehouses and products with unique names (the stack
is shared), so which warehouse serves a line is known. Screenshots go to `.devstack/screenshots/`.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.stack import StackInfo
from tests.e2e.conftest import Api, InboxReader

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".devstack" / "screenshots"
TIMEOUT_MS = 15_000
# Assertions wait as long as actions do: under `make test` the devstack shares two cores with the
# other suite (and the deployment rehearsal), so a live quote can take more than expect's 5 s.
expect.set_options(timeout=TIMEOUT_MS)
WORKFLOW_MS = 45_000  # the order workflow (Step Functions on the devstack) behind checkout
PASSWORD = "Shopper-test-1"
CARD = "4242424242424242"

pytestmark = [
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed (make deps-browser)"),
    pytest.mark.timeout(300),
]


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module", autouse=True)
def delivery_as_shipped(api: Api) -> None:
    """The delivery methods as a new shop has them: tests before these (the API fuzzing) may have
    renamed them or changed their costs on the shared devstack."""
    from chalicelib.shop.delivery import DEFAULTS

    for method in DEFAULTS.values():
        body = {"name": method.name, "costCents": method.cost_cents, "etaDays": method.eta_days}
        response = api.request("PUT", f"/delivery-methods/{method.method}", json=body)
        assert response.status_code == 200, response.text


class Devices:
    """Browser contexts ("devices": no shared storage) that fail the test on any JavaScript error."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def open(self, *, phone: bool = False) -> Any:
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = self.browser.new_context(viewport=viewport, locale="en-US", timezone_id="UTC", is_mobile=phone)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        watch_api(page)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console.error: {msg.text}")
                if msg.type == "error" and "Failed to load resource" not in msg.text
                else None
            ),
        )
        return page


@pytest.fixture
def devices(browser: Any, request: pytest.FixtureRequest) -> Iterator[Devices]:
    d = Devices(browser)
    try:
        yield d
    finally:
        for context in d.contexts:
            context.close()
    assert not d.errors, f"JavaScript errors in {request.node.name}: {d.errors}"


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(250)  # let toasts and dialogs settle
    page.screenshot(path=str(SCREENSHOTS / f"shop-{name}.png"), full_page=full_page)


class Shop:
    """Warehouses and products of one test, made through the API as the admin."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.tag = uuid.uuid4().hex[:6]

    def warehouse(self, name: str, zip_code: str) -> dict[str, str]:
        body = {"warehouseId": f"wh-{self.tag}-{zip_code}", "name": f"{name} {self.tag}", "zip": zip_code}
        response = self.api.post("/warehouses", json=body)
        assert response.status_code == 201, response.text
        return body

    def product(self, name: str, price_cents: int, stock: dict[str, int]) -> dict[str, Any]:
        product_id = f"sf-{self.tag}-{len(name)}{uuid.uuid4().hex[:4]}"
        body = {
            "productId": product_id,
            "productName": f"{name} {self.tag}",
            "quantity": 0,
            "threshold": 0,
            "priceCents": price_cents,
            "description": f"{name}, made to last.",
        }
        response = self.api.post("/products", json=body)
        assert response.status_code == 201, response.text
        for warehouse_id, on_hand in stock.items():
            line = self.api.request("PUT", f"/products/{product_id}/stock/{warehouse_id}", json={"onHand": on_hand})
            assert line.status_code in (200, 201), line.text
        return body


def welcome10(api: Api) -> None:
    """The demo's WELCOME10 (10 % off, once per customer), made if the shared stack lacks it."""
    response = api.post("/promo-codes", json={"code": "WELCOME10", "kind": "PERCENT", "value": 10, "maxPerCustomer": 1})
    assert response.status_code in (201, 409), response.text
    response = api.request(
        "PATCH", "/promo-codes/WELCOME10", json={"active": True, "maxRedemptions": None, "endsAt": None}
    )
    assert response.status_code == 200, response.text


def add_to_cart(page: Any, web: str, product: dict[str, Any], quantity: int = 1) -> None:
    page.goto(f"{web}/#/products/{product['productId']}")
    expect(page.get_by_role("heading", name=product["productName"])).to_be_visible()
    if quantity != 1:
        page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name=f"Add to cart: {product['productName']}").click()
    expect(page.locator("#toasts")).to_contain_text(f"{product['productName']} to your cart")


def fill_checkout(page: Any, *, email: str | None, zip_code: str) -> None:
    watch_api(page)
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    if email is not None:
        page.get_by_label("Email").fill(email)
    page.get_by_label("Curbside delivery").check()
    page.get_by_label("ZIP code").fill(zip_code)
    page.get_by_label("Full name").fill("Robin Shopper")
    page.get_by_label("Address", exact=True).fill("500 Howard St")
    page.get_by_label("City").fill("San Francisco")


def watch_api(page: Any) -> None:
    """Keep the page's API calls and navigations, for `expect_quote`'s failure message."""
    if hasattr(page, "quote_log"):
        return
    log: list[str] = []
    page.quote_log = log
    started = time.monotonic()

    def note(what: str) -> None:
        log.append(f"{time.monotonic() - started:6.2f}s {what}")

    def api_call(r: Any) -> bool:
        return "/api/" in r.url and r.resource_type in ("fetch", "xhr")

    page.on(
        "request",
        lambda r: note(f"{r.method} {r.url.split('/api', 1)[1]} {r.post_data or ''}") if api_call(r) else None,
    )
    page.on("response", lambda r: note(f"  {r.status} {r.url.split('/api', 1)[1]}") if api_call(r.request) else None)
    page.on("requestfailed", lambda r: note(f"  failed {r.url} {r.failure}") if api_call(r) else None)
    page.on("framenavigated", lambda f: note(f"at {f.url}") if f == page.main_frame else None)


def expect_quote(page: Any, text: str) -> None:
    """The checkout summary shows the live quote containing `text`; on failure, say what the summary
    showed and what became of each quote request (a failure under load must be diagnosable)."""
    try:
        expect(page.locator("#summary-lines")).to_contain_text(text)
    except AssertionError as exc:
        summary = page.locator(".checkout-summary").inner_text()
        requests_seen = "\n  ".join(getattr(page, "quote_log", ["(not watched)"]))
        raise AssertionError(
            f"{exc}\nthe summary showed: {summary!r}\nthe page's API calls:\n  {requests_seen}"
        ) from None


def sign_in_shop(page: Any, web: str, email: str, password: str) -> None:
    page.goto(f"{web}/#/signin")
    form = page.locator("#signin-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()


def admin_sign_in(page: Any, stack: StackInfo, route: str) -> None:
    email, password = next((u["email"], u["password"]) for u in stack.users if "admin" in u["groups"])
    page.goto(f"{stack.web_url.rstrip('/')}/admin/{route}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def verification_code(inbox: InboxReader, email: str) -> str:
    entry = inbox.wait_for(
        lambda e: email in (e.get("to") or []) and "verification code" in (e.get("subject") or "").lower()
    )[0]
    match = re.search(r"\b(\d{6})\b", entry.get("text") or entry.get("html") or "")
    assert match, entry
    return match.group(1)


# --- tests --------------------------------------------------------------------------------------


def test_guest_checkout_end_to_end(devices: Devices, stack: StackInfo, api: Api) -> None:
    web = stack.web_url.rstrip("/")
    shop = Shop(api)
    west = shop.warehouse("Bay depot", "94107")
    stool = shop.product("Teak stool", 4500, {west["warehouseId"]: 6})
    page = devices.open()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if r.method != "GET" else None)

    # Find it in the catalog by searching, see its price and availability, open it.
    page.goto(f"{web}/")
    page.get_by_label("Search products").fill(stool["productName"])
    page.get_by_label("Search products").press("Enter")
    card = page.locator(f'.product-card[data-product-id="{stool["productId"]}"]')
    expect(card).to_contain_text("$45.00")
    expect(card).to_contain_text("In stock")
    shot(page, "01-catalog-search")
    card.get_by_role("link", name=stool["productName"]).click()
    expect(page.locator(".product-desc")).to_have_text("Teak stool, made to last.")

    # Two in the cart, kept by the browser: the server cart's id in localStorage.
    add_to_cart(page, web, stool, 2)
    expect(page.locator("#cart-count")).to_have_text("2")
    cart_id = page.evaluate("localStorage.getItem('stockroom.cartId')")
    assert (
        cart_id
        and requests.get(f"{stack.api_url.rstrip('/')}/carts/{cart_id}", timeout=10).json()["items"][0]["quantity"] == 2
    )
    page.get_by_role("link", name=re.compile("^Cart")).click()
    expect(page.locator("#cart-subtotal")).to_have_text("$90.00")
    page.get_by_role("link", name="Checkout").click()

    fill_checkout(page, email="guest.shopper@example.com", zip_code="94105")
    expect_quote(page, f"Ships from {west['name']}")
    expect(page.locator("#summary-total")).to_have_text("$119.00")  # 90 + 29 curbside
    page.get_by_text("Test card numbers").click()
    page.get_by_role("button", name=f"Use test card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}").click()
    expect(page.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    shot(page, "02-guest-checkout")
    page.get_by_role("button", name=re.compile("Place order")).click()

    expect(page.get_by_role("heading", name="Thank you! Your order is placed.")).to_be_visible()
    expect(page.locator("#cart-count")).to_be_hidden()
    shot(page, "03-confirmation")
    orders = [s for s in sent if '"paymentToken"' in s]
    assert len(orders) == 1 and '"paymentToken":"tok_visa"' in orders[0]
    assert not any(CARD in s or "4242 4242" in s for s in sent), "a card number left the browser"

    # The status link works on another device: the order token in the link is the guest's key.
    link = page.locator("#status-link").get_attribute("href")
    assert link and "token=" in link
    other = devices.open()
    other.goto(f"{web}/{link}")
    expect(other.locator("#status-history")).to_contain_text("Placed")
    # The order workflow runs behind checkout: the page follows it to CONFIRMED and offers the receipt.
    expect(other.locator("#order-status")).to_have_text("Confirmed", timeout=WORKFLOW_MS)
    expect(other.locator("#status-history")).to_contain_text("Paid")
    expect(other.locator("#order-card")).to_contain_text("4242")
    receipt = other.locator("#receipt-link")
    expect(receipt).to_be_visible(timeout=WORKFLOW_MS)
    href = receipt.get_attribute("href")
    assert href and "/receipt?token=" in href
    redirect = requests.get(f"{web}{href}", allow_redirects=False, timeout=30)
    assert redirect.status_code == 302 and redirect.headers["Location"], redirect.text
    expect(other.locator("#order-lines")).to_contain_text(f"2 \u00d7 {stool['productName']}")
    expect(other.locator("#order-lines")).to_contain_text(f"Ships from {west['name']}")
    expect(other.locator("#order-total")).to_have_text("$119.00")
    shot(other, "04-status-guest")
    # Without the token the same page says how to get in, never whose order it is.
    other.goto(f"{web}/{link.split('?')[0]}")
    expect(other.get_by_role("heading", name="Order not found")).to_be_visible()

    # The admin marks it shipped in the console; the guest's page shows the carrier and the history.
    order_id = link.split("orders/")[1].split("?")[0]
    admin = devices.open()
    admin_sign_in(admin, stack, f"#/orders/{order_id}")
    admin.locator("#admin-ship-order").click()
    ship = admin.locator("#ship-dialog")
    ship.get_by_label("Carrier (optional)").fill("UPS")
    ship.get_by_label("Tracking number (optional)").fill("1Z999AA10123456784")
    ship.get_by_role("button", name="Mark shipped").click()
    expect(admin.locator("#admin-shipment")).to_contain_text("UPS 1Z999AA10123456784")
    expect(admin.locator("#admin-history")).to_contain_text("Shipped")
    other.goto(f"{web}/{link}")
    expect(other.locator("#order-status")).to_have_text("Shipped")
    expect(other.locator("#order-tracking")).to_have_text("UPS 1Z999AA10123456784")
    shot(other, "04b-status-shipped")


def test_customer_signs_up_merges_cart_uses_promo_and_cancels(
    devices: Devices, stack: StackInfo, api: Api, inbox: InboxReader
) -> None:
    web = stack.web_url.rstrip("/")
    shop = Shop(api)
    west = shop.warehouse("Bay depot", "94107")
    east = shop.warehouse("Harbor depot", "10001")
    lamp = shop.product("Brass lamp", 8000, {west["warehouseId"]: 3})
    mirror = shop.product("Round mirror", 2000, {east["warehouseId"]: 4})
    welcome10(api)
    email = f"shopper-{shop.tag}@example.com"

    # Device 1: sign up, confirm with the code e-mailed to the local inbox, put a lamp in the cart.
    phone = devices.open()
    phone.goto(f"{web}/#/signup")
    form = phone.locator("#signup-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    expect(phone.get_by_role("heading", name="Confirm your email")).to_be_visible()
    phone.get_by_label("Code").fill("000000")
    phone.get_by_role("button", name="Confirm").click()
    expect(phone.locator("#verify-form .form-error")).to_contain_text(
        "code is not right"
    )  # Cognito's refusal, in words
    phone.get_by_label("Code").fill(verification_code(inbox, email))
    phone.get_by_role("button", name="Confirm").click()
    expect(phone.get_by_role("heading", name="Your account")).to_be_visible()
    add_to_cart(phone, web, lamp)

    # Device 2: a guest cart with a mirror; signing in merges it into the account's cart.
    laptop = devices.open()
    add_to_cart(laptop, web, mirror, 2)
    assert laptop.evaluate("localStorage.getItem('stockroom.cartId')")
    sign_in_shop(laptop, web, email, PASSWORD)
    expect(laptop.get_by_role("heading", name="Your account")).to_be_visible()
    expect(laptop.locator("#cart-count")).to_have_text("3")
    assert laptop.evaluate("localStorage.getItem('stockroom.cartId')") is None
    laptop.goto(f"{web}/#/cart")
    expect(laptop.locator(".cart-line")).to_have_count(2)
    expect(laptop.locator("#cart-subtotal")).to_have_text("$120.00")
    shot(laptop, "05-merged-cart")

    # Checkout with WELCOME10 to a zip: each line names the warehouse serving it.
    laptop.get_by_role("link", name="Checkout").click()
    fill_checkout(laptop, email=None, zip_code="94105")
    expect(laptop.locator(".signed-in-as")).to_contain_text(email)
    laptop.get_by_label("Promo code (optional)").fill("welcome10")
    laptop.get_by_role("button", name="Apply").click()
    expect(laptop.locator(".promo-applied")).to_contain_text("WELCOME10 applied: you save $12.00")
    lines = laptop.locator("#summary-lines li")
    expect(lines.filter(has_text=lamp["productName"])).to_contain_text(f"Ships from {west['name']}")
    expect(lines.filter(has_text=mirror["productName"])).to_contain_text(f"Ships from {east['name']}")
    expect(laptop.locator(".split-note")).to_contain_text("2 parcels")
    expect(laptop.locator("#summary-discount")).to_have_text("\u2212$12.00")
    expect(laptop.locator("#summary-total")).to_have_text("$137.00")  # 120 - 12 + 29
    # Pay with a test token from the picker (tok_timeout has no card number).
    laptop.get_by_text("Test token", exact=True).click()
    options = laptop.locator("#payment-token option").all_inner_texts()
    assert any(o.startswith("tok_timeout") for o in options) and any(o.startswith("tok_mastercard") for o in options)
    laptop.get_by_label("Test payment token").select_option("tok_mastercard")
    shot(laptop, "06-customer-checkout")
    laptop.get_by_role("button", name=re.compile("Place order")).click()
    expect(laptop.get_by_role("heading", name="Thank you! Your order is placed.")).to_be_visible()
    order_id = laptop.url.split("/confirmation/")[1].split("?")[0]

    # The order is in the history on the other device; cancel it there.
    phone.goto(f"{web}/#/account")
    row = phone.locator(f'#my-orders li[data-order-id="{order_id}"]')
    expect(row).to_contain_text("$137.00")
    # Cancelled once the workflow has confirmed it (paid: the payment is refunded).
    expect(row.locator(".status")).to_have_text(re.compile("Placed|Paid|Confirmed"))
    laptop.goto(f"{web}/#/orders/{order_id}")
    expect(laptop.locator("#order-status")).to_have_text("Confirmed", timeout=WORKFLOW_MS)
    phone.reload()
    expect(row.locator(".status")).to_have_text("Confirmed")
    row.get_by_role("button", name=f"Cancel order {order_id}").click()
    phone.locator("#confirm-yes").click()
    expect(row.locator(".status")).to_have_text("Cancelled")
    expect(row.get_by_role("button")).to_have_count(0)
    shot(phone, "07-history-cancelled")
    assert api.get(f"/orders/{order_id}").json()["status"] == "CANCELLED"

    # The admin finds it in the console: the day's list, then its page with warehouses and history.
    admin = devices.open()
    admin_sign_in(admin, stack, "#/orders")
    admin.get_by_label("Status").select_option("CANCELLED")
    listed = admin.locator(f'#orders-table tr[data-order-id="{order_id}"]')
    expect(listed).to_contain_text(email)
    expect(listed).to_contain_text("$137.00")
    listed.get_by_role("link").click()
    expect(admin.get_by_role("heading", name=f"Order {order_id}")).to_be_visible()
    table = admin.locator("#order-lines")
    expect(table.locator("tr", has_text=lamp["productName"]).locator(".warehouse")).to_have_text(west["name"])
    expect(table.locator("tr", has_text=mirror["productName"]).locator(".warehouse")).to_have_text(east["name"])
    expect(admin.locator("#admin-history")).to_contain_text("Placed")
    expect(admin.locator("#admin-history")).to_contain_text("Cancelled")
    expect(admin.locator("#admin-cancel-order")).to_have_count(0)
    shot(admin, "08-admin-order")
    # Or by the number the customer quotes, whatever day it is on; a wrong number says so.
    admin.goto(f"{web}/admin/#/orders")
    admin.get_by_label("Order number or customer e-mail").fill(order_id)
    shot(admin, "08b-admin-find-order", full_page=False)
    admin.get_by_role("button", name="Find").click()
    expect(admin.get_by_role("heading", name=f"Order {order_id}")).to_be_visible()
    admin.goto(f"{web}/admin/#/orders")
    admin.get_by_label("Order number or customer e-mail").fill("00000000-0000-4000-8000-000000000000")
    admin.get_by_role("button", name="Find").click()
    expect(admin.locator("[role=alert]").filter(has_text=re.compile("not found|no order", re.I))).to_be_visible()
    # Or every order of the customer by their e-mail address, whatever the day, then back to a day.
    admin.goto(f"{web}/admin/#/orders")
    admin.get_by_label("Order number or customer e-mail").fill(email.upper())
    admin.get_by_role("button", name="Find").click()
    expect(admin.locator("#orders-email-note")).to_contain_text(f"Every order placed with {email.upper()}")
    expect(admin.locator(f'#orders-table tr[data-order-id="{order_id}"]')).to_contain_text("Cancelled")
    expect(admin.locator("#orders-table tbody tr")).to_have_count(1)
    shot(admin, "08c-admin-orders-of-a-customer", full_page=False)
    admin.get_by_role("button", name="Show a day's orders instead").click()
    expect(admin.locator("#orders-email-note")).to_be_hidden()
    expect(admin.locator("#orders-day")).to_be_enabled()


def test_phone_sized_storefront(devices: Devices, stack: StackInfo, api: Api) -> None:
    web = stack.web_url.rstrip("/")
    shop = Shop(api)
    west = shop.warehouse("Bay depot", "94107")
    chair = shop.product("Oak chair with a rather long name for a small screen", 6900, {west["warehouseId"]: 2})
    page = devices.open(phone=True)
    page.goto(f"{web}/")
    expect(page.locator(".product-card").first).to_be_visible()
    wide = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wide) <= 0, "the catalog is wider than the phone"
    expect(page.get_by_label("Search products")).to_be_in_viewport()
    expect(page.locator("#cart-link")).to_be_in_viewport()
    shot(page, "09-phone-catalog")
    add_to_cart(page, web, chair, 2)
    expect(page.locator("#cart-count")).to_have_text("2")
    assert page.evaluate(wide) <= 0
    page.goto(f"{web}/#/checkout")
    fill_checkout(page, email="phone.shopper@example.com", zip_code="94105")
    expect_quote(page, f"Ships from {west['name']}")
    assert page.evaluate(wide) <= 0, "the checkout is wider than the phone"
    page.locator("#place-order").scroll_into_view_if_needed()
    expect(page.locator("#place-order")).to_be_in_viewport()
    shot(page, "10-phone-checkout")


def test_api_errors_are_shown_in_words(devices: Devices, stack: StackInfo, api: Api) -> None:
    web = stack.web_url.rstrip("/")
    shop = Shop(api)
    west = shop.warehouse("Bay depot", "94107")
    vase = shop.product("Clay vase", 1500, {west["warehouseId"]: 1})
    page = devices.open()
    add_to_cart(page, web, vase)

    # More than is available: the API's 409 in words.
    page.goto(f"{web}/#/cart")
    page.get_by_role("button", name=f"One more {vase['productName']}").click()
    expect(page.locator("#toasts")).to_contain_text(f"Only 1 {vase['productName']} available")
    expect(page.locator("#cart-subtotal")).to_have_text("$15.00")

    page.goto(f"{web}/#/checkout")
    fill_checkout(page, email="words@example.com", zip_code="00000")
    zip_error = page.locator("#checkout-zip").locator("xpath=..").locator(".field-error")
    expect(zip_error).to_be_visible()
    expect(zip_error).to_contain_text(re.compile("zip", re.I))

    page.get_by_label("ZIP code").fill("94105")
    expect(page.locator("#summary-total")).to_have_text("$44.00")
    page.get_by_label("Promo code (optional)").fill("NO-SUCH-CODE")
    page.get_by_role("button", name="Apply").click()
    promo_error = page.locator("#checkout-promo").locator("xpath=../..").locator(".field-error")
    expect(promo_error).to_contain_text(re.compile("NO-SUCH-CODE|not", re.I))
    expect(page.locator("#summary-total")).to_have_text("$44.00")

    # A card number that is not a test card is refused in the browser, before anything is sent.
    page.get_by_label("Card number").fill("4000 0000 0000 0001")
    page.get_by_label("Expiry date").fill("1230")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.locator("#cardNumber-error")).to_contain_text("not valid")
    page.get_by_label("Card number").fill("4000 0000 0000 0002")  # the test card that is declined
    page.get_by_label("Expiry date").fill("01 / 20")
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.locator("#cardExpiry-error")).to_have_text("This card has expired.")
    shot(page, "11-errors-in-words")

    # Sign-in refused by Cognito: said in words on the form.
    sign_in_shop(page, web, "nobody@example.com", "Wrong-password-1")
    expect(page.locator("#signin-form .form-error")).to_be_visible()
    expect(page.locator("#signin-form .form-error")).not_to_contain_text("undefined")


# Every GET of a cart answers 2.5 s late in this browser: on a slow connection the cart page's load
# is still under way when the customer moves on to checkout, which loads the cart again.
SLOW_CART_READS = """
const realFetch = window.fetch;
window.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  const url = String(input && input.url ? input.url : input);
  if (/\\/carts\\/[^/?]+$/.test(url) && (!init || !init.method || init.method === "GET")) {
    await new Promise((resolve) => setTimeout(resolve, 2500));
  }
  return response;
};
"""


def test_what_is_typed_at_checkout_survives_slow_cart_loads(devices: Devices, stack: StackInfo, api: Api) -> None:
    """The checkout form is drawn once: the cart arriving a second time (the cart page's load, then
    checkout's own) must not redraw it over what the customer typed meanwhile (found under load in CI)."""
    web = stack.web_url.rstrip("/")
    shop = Shop(api)
    west = shop.warehouse("Bay depot", "94107")
    jug = shop.product("Stone jug", 3000, {west["warehouseId"]: 4})
    page = devices.open()
    page.add_init_script(SLOW_CART_READS)
    add_to_cart(page, web, jug)
    page.get_by_role("link", name=re.compile("^Cart")).click()
    page.get_by_role("link", name="Checkout").click()  # the cart page's load is still under way
    fill_checkout(page, email="slow.network@example.com", zip_code="94105")
    page.wait_for_timeout(6000)  # both loads have answered
    expect(page.get_by_label("ZIP code")).to_have_value("94105")
    expect(page.get_by_label("Full name")).to_have_value("Robin Shopper")
    expect_quote(page, f"Ships from {west['name']}")
    expect(page.locator("#summary-total")).to_have_text("$59.00")
    gets = [line for line in page.quote_log if " GET /delivery-methods" in line]
    assert len(gets) == 1, page.quote_log  # drawn once


def test_a_quote_that_meets_a_transient_failure_is_asked_again(devices: Devices, stack: StackInfo, api: Api) -> None:
    """A dropped connection or a 5xx while the quote is worked out is repeated by the page (a quote
    changes nothing); a failure that lasts is said in words with a way to try again."""
    web = stack.web_url.rstrip("/")
    shop = Shop(api)
    west = shop.warehouse("Bay depot", "94107")
    bowl = shop.product("Oak bowl", 2000, {west["warehouseId"]: 3})
    page = devices.open()
    add_to_cart(page, web, bowl)
    failures = {"left": 2, "seen": 0}

    def flaky(route: Any) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            failures["seen"] += 1
            if failures["left"] % 2:
                route.abort("connectionreset")
            else:
                route.fulfill(status=503, content_type="application/json", body='{"error":"Busy","message":"busy"}')
        else:
            route.continue_()

    page.route("**/checkout/quote", flaky)
    page.goto(f"{web}/#/checkout")
    fill_checkout(page, email="flaky@example.com", zip_code="94105")
    expect_quote(page, f"Ships from {west['name']}")
    expect(page.locator("#summary-total")).to_have_text("$49.00")
    assert failures["seen"] == 2

    # A failure that lasts: the page stops asking, says so, and offers to try again.
    failures["left"] = 100
    page.get_by_label("Self-service pick-up").check()
    expect(page.get_by_role("button", name="Try again")).to_be_visible(timeout=20_000)
    expect(page.locator(".checkout-summary")).to_contain_text("The total could not be worked out.")
    seen = failures["seen"]
    assert seen == 2 + 4, seen  # the first try and three repeats
    failures["left"] = 0
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#summary-total")).to_have_text("$20.00")


def test_admin_manages_warehouses_stock_delivery_and_promo_codes(devices: Devices, stack: StackInfo, api: Api) -> None:
    web = stack.web_url.rstrip("/")
    shop = Shop(api)
    product = shop.product("Linen throw", 3900, {})
    page = devices.open()
    admin_sign_in(page, stack, "#/warehouses")

    # A warehouse: created with its zip (an unknown zip refused in words), renamed, deactivated.
    warehouse_id = f"wh-{shop.tag}-ui"
    page.locator("#add-warehouse").click()
    dialog = page.locator("#warehouse-dialog")
    dialog.get_by_label("Warehouse id").fill(warehouse_id)
    dialog.get_by_label("Name").fill(f"Dock {shop.tag}")
    dialog.get_by_label("ZIP code").fill("00000")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(".field-error")).to_contain_text(re.compile("zip", re.I))
    dialog.get_by_label("ZIP code").fill("60607")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    row = page.locator(f'#warehouses-table tr[data-warehouse-id="{warehouse_id}"]')
    expect(row).to_contain_text("60607")
    expect(row.locator(".badge")).to_have_text("Active")
    shot(page, "12-admin-warehouses")

    # Stock in it: set a count, then adjust it.
    page.goto(f"{web}/admin/#/stock/{warehouse_id}")
    line = page.locator(f'#stock-table tr[data-product-id="{product["productId"]}"]')
    # Not stocked there yet: an adjustment has nothing to adjust, a count creates the line.
    expect(line.get_by_role("button", name=f"Adjust {product['productName']}")).to_be_disabled()
    line.get_by_role("button", name=f"Set count of {product['productName']}").click()
    page.locator("#stock-set-dialog").get_by_label("On hand").fill("12")
    page.locator("#stock-set-dialog").get_by_role("button", name="Save count").click()
    expect(line.locator(".on-hand")).to_have_text("12")
    line.get_by_role("button", name=f"Adjust {product['productName']}").click()
    page.locator("#stock-adjust-dialog").get_by_label(re.compile("Units to add")).fill("-5")
    page.locator("#stock-adjust-dialog").get_by_role("button", name="Apply").click()
    expect(line.locator(".available")).to_have_text("7")
    stock = {s["warehouseId"]: s for s in api.get(f"/products/{product['productId']}").json()["stock"]}
    assert stock[warehouse_id]["onHand"] == 7
    # The adjustment was relative (POST .../adjustments), recorded as its own movement.
    latest = api.get(f"/products/{product['productId']}/movements", params={"limit": 1}).json()["items"][0]
    assert (latest["warehouseId"], latest["onHandDelta"], latest["reason"]) == (warehouse_id, -5, "units removed")
    shot(page, "13-admin-stock")

    # Deactivating the warehouse keeps its stock; deleting it is refused in words while it holds some.
    page.goto(f"{web}/admin/#/warehouses")
    row.get_by_role("button", name=f"Deactivate Dock {shop.tag}").click()
    expect(row.locator(".badge")).to_have_text("Inactive")
    row.get_by_role("button", name=f"Delete Dock {shop.tag}").click()
    page.locator("#warehouse-confirm").get_by_role("button", name="Delete").click()
    expect(page.locator("#toasts")).to_contain_text(re.compile("stock", re.I))
    expect(row).to_be_visible()

    # Delivery cost.
    page.goto(f"{web}/admin/#/delivery")
    curbside = page.locator('#delivery-table tr[data-method="CURBSIDE"]')
    before = api.get("/delivery-methods").json()["items"]
    curbside.get_by_role("button").click()
    page.locator("#delivery-dialog").get_by_label(re.compile("^Cost")).fill("31.50")
    page.locator("#delivery-dialog").get_by_role("button", name="Save").click()
    expect(curbside.locator(".cost")).to_have_text("$31.50")
    old = next(m for m in before if m["method"] == "CURBSIDE")
    api.request(
        "PUT",
        "/delivery-methods/CURBSIDE",
        json={"costCents": old["costCents"], "etaDays": old["etaDays"], "name": old["name"]},
    )

    # A promo code: created, shown with its redemptions, deactivated.
    code = f"SPRING{shop.tag}".upper()
    page.goto(f"{web}/admin/#/promos")
    page.locator("#add-promo").click()
    promo = page.locator("#promo-dialog")
    promo.get_by_label("Code").fill(code)
    promo.get_by_label("Discount").select_option("FIXED")
    promo.get_by_label("Value").fill("5.00")
    promo.get_by_label("Minimum subtotal (optional)").fill("40")
    promo.get_by_role("button", name="Save").click()
    expect(promo).to_be_hidden()
    promo_row = page.locator(f'#promos-table tr[data-code="{code}"]')
    expect(promo_row).to_contain_text("$5.00 off")
    expect(promo_row.locator(".redemptions")).to_have_text("0")
    promo_row.get_by_role("button", name=f"Deactivate {code}").click()
    expect(promo_row.locator(".badge")).to_have_text("Inactive")
    saved = api.get(f"/promo-codes/{code}").json()
    assert saved["value"] == 500 and saved["minSubtotalCents"] == 4000 and saved["active"] is False
    shot(page, "14-admin-promos")


def test_card_form_tokenizes_like_the_api(devices: Devices, stack: StackInfo) -> None:
    """The browser's card checks (web/js/shop/pages/payment.js) give what the API's
    `tokenize_test_card` gives, over the table the browser reads from GET /payments/test-cards."""
    from datetime import date

    from chalicelib.core.errors import ValidationError
    from chalicelib.shop.payment_cards import CARDS, tokenize_test_card

    today = date.today()
    future = (today.year + 3) % 100
    cases = [(number, 12, future, "1234" if number.startswith("3") else "123") for number in CARDS]
    cases += [
        ("4242424242424241", 12, future, "123"),  # Luhn
        ("4000056655665557", 12, future, "123"),  # a valid number that is not a test card
        ("42424242", 12, future, "123"),  # too short
        ("4242 4242 4242 4242", 1, 20, "123"),  # expired
        ("4242-4242-4242-4242", 13, future, "123"),  # no such month
        ("378282246310005", 12, future, "123"),  # American Express wants 4 digits
        ("4242424242424242", 12, future, "12"),
    ]
    fields = {"cardNumber": "cardNumber", "expMonth": "cardExpiry", "expYear": "cardExpiry", "cvc": "cardCvc"}
    expected: list[dict[str, str]] = []
    for number, month, year, cvc in cases:
        try:
            card = tokenize_test_card(number, exp_month=month, exp_year=year, cvc=cvc, today=today)
            expected.append({"token": card.token})
        except ValidationError as err:
            expected.append({"field": fields[err.details["field"]]})

    page = devices.open()
    page.goto(f"{stack.web_url.rstrip('/')}/")
    got = page.evaluate(
        """async (cases) => {
            const { tokenizeCard } = await import("./js/shop/pages/payment.js");
            const { api } = await import("./js/lib/api.js");
            const table = await api.testCards();
            return cases.map(([number, month, year, cvc]) => {
                const r = tokenizeCard(table, { number, expiry: `${month} / ${String(year).padStart(2, "0")}`, cvc });
                return r.token ? { token: r.token } : { field: r.field };
            });
        }""",
        [list(c) for c in cases],
    )
    assert got == expected
    assert len(CARDS) >= 10


def test_forgot_password_then_sign_out(devices: Devices, stack: StackInfo, inbox: InboxReader, aws: Any) -> None:
    """A customer who forgot their password gets a code by e-mail, sets a new one, is signed in;
    signing out leaves a guest."""
    web = stack.web_url.rstrip("/")
    email = f"forgetful-{uuid.uuid4().hex[:6]}@example.com"
    idp = aws("cognito-idp")
    idp.admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(
        UserPoolId=stack.user_pool_id, Username=email, Password="Old-password-1", Permanent=True
    )

    page = devices.open()
    sign_in_shop(page, web, email, "Old-password-9")
    expect(page.locator("#signin-form .form-error")).to_be_visible()
    page.get_by_role("link", name="Forgot your password?").click()
    page.locator("#forgot-form").get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    reset = page.locator("#reset-form")
    reset.get_by_label("Code").fill(verification_code(inbox, email))
    reset.get_by_label("New password").fill("New-password-2")
    reset.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    expect(page.locator("#account-label")).to_have_text("Account")

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#account-label")).to_have_text("Sign in")
    assert (
        page.evaluate("sessionStorage.length") == 0
        or page.evaluate("sessionStorage.getItem('stockroom.session')") is None
    )
    page.goto(f"{web}/#/account")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
