"""The admin dashboard in a real browser against the whole devstack.

Headless Debian Chromium (`/usr/bin/chromium`, `make deps-browser`) driven by Playwright; no
browser is ever downloaded. Screenshots of every step go to `.devstack/screenshots/` (git-ignored)
so a person can look at what the test saw.
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

from devstack.stack import StackInfo
from tests.e2e.conftest import Api

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".devstack" / "screenshots"
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed (make deps-browser)"),
    pytest.mark.timeout(300),
]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(stack: StackInfo) -> dict[str, Any]:
    """URLs and demo accounts from the devstack session fixture (tests/e2e/conftest.py)."""
    admin = next(u for u in stack.users if "admin" in u["groups"])
    customer = next((u for u in stack.users if "admin" not in u["groups"]), None)
    return {
        "web": stack.web_url.rstrip("/"),
        "api": stack.api_url.rstrip("/"),
        "admin": (admin["email"], admin["password"]),
        "customer": (customer["email"], customer["password"]) if customer else None,
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console.error: {msg.text}")
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors in {request.node.name}: {errors}"


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(350)  # let dialog and toast animations settle
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def sign_in(page: Any, web: str, email: str, password: str) -> None:
    page.goto(f"{web}/admin/")
    expect(page.get_by_role("heading", name="Sign in to your shop")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def row(page: Any, product_id: str) -> Any:
    return page.locator(f'tr.row[data-product-id="{product_id}"]')


def wait_loaded(page: Any) -> None:
    """Signed in and the first load of the catalog is on screen (the stack's catalog may be empty)."""
    expect(page.get_by_role("heading", name="Inventory", exact=True)).to_be_visible()
    expect(page.locator("#sync-text")).to_contain_text("Live", timeout=TIMEOUT_MS)


def seed_product(api: Api, name: str, quantity: int, threshold: int) -> str:
    """A product made through the API (the e2e stack has no demo data; other tests share it)."""
    product_id = f"ui-{uuid.uuid4().hex[:10]}"
    response = api.post(
        "/products",
        json={
            "productId": product_id,
            "productName": name,
            "quantity": quantity,
            "threshold": threshold,
            "priceCents": 1999,
        },
    )
    assert response.status_code == 201, response.text
    return product_id


def api_product(api: Api, product_id: str) -> dict[str, Any]:
    response = api.get(f"/products/{product_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- tests ----------------------------------------------------------------------------------


def test_admin_adds_product_orders_and_sees_low_stock(page: Any, site: dict[str, Any], api: Api) -> None:
    web = site["web"]
    email, password = site["admin"]
    seed_product(api, "Linen napkins, set of 4", 40, 10)

    # The admin console (the site's root is the storefront); signing in shows the live inventory.
    page.goto(f"{web}/admin/")
    expect(page.get_by_role("heading", name="Sign in to your shop")).to_be_visible()
    shot(page, "01-sign-in")
    sign_in(page, web, email, password)
    wait_loaded(page)
    expect(page.locator("tr.row").first).to_be_visible()
    expect(page.locator("#user-email")).to_have_text(email)
    token = page.evaluate("JSON.parse(sessionStorage.getItem('stockroom.session')).idToken")
    assert token.count(".") == 2, "the ID token is kept in sessionStorage"
    shot(page, "02-dashboard")

    # Add a product (10 in stock, alert below 5).
    product_id = f"e2e-{uuid.uuid4().hex[:8]}"
    name = f"Walnut serving tray {product_id[-4:]}"
    page.get_by_role("button", name="Add product").first.click()
    dialog = page.locator("#product-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Article number").fill(product_id)
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Quantity in stock").fill("10")
    dialog.get_by_label("Low-stock threshold").fill("5")
    dialog.get_by_label("Price").fill("49.90")
    dialog.get_by_label("Description").fill("Solid walnut, 45 x 30 cm. <b>not bold</b>")
    shot(page, "03-add-product-form")
    dialog.get_by_role("button", name="Add product").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#toasts")).to_contain_text(f"Added {name}")

    new_row = row(page, product_id)
    expect(new_row).to_be_visible()
    expect(new_row.locator(".product-name")).to_have_text(name)
    expect(new_row.locator(".qty")).to_have_text("10")
    expect(new_row.locator(".c-thr")).to_have_text("5")
    expect(new_row.locator(".badge")).to_have_text("In stock")
    expect(new_row).not_to_have_class(re.compile(r"\bis-low\b"))
    expect(new_row.locator("time")).to_have_text("just now")
    assert new_row.locator("time").get_attribute("title"), "absolute time on hover"
    assert api_product(api, product_id)["priceCents"] == 4990

    # Per-warehouse breakdown on expand; API text is shown as text, never as markup.
    new_row.get_by_role("button", name=f"Stock per warehouse for {name}").click()
    detail = page.locator(f'tr.detail[data-detail-for="{product_id}"]')
    expect(detail).to_be_visible()
    expect(detail.locator(".wh-table tbody tr")).to_have_count(1)
    expect(detail).to_contain_text("<b>not bold</b>")
    expect(detail.locator("b")).to_have_count(0)
    shot(page, "04-product-added")

    # The API's own error, inline: adding the same article number again.
    page.get_by_role("button", name="Add product").first.click()
    dialog.get_by_label("Article number").fill(product_id)
    dialog.get_by_label("Name").fill("Duplicate")
    dialog.get_by_label("Quantity in stock").fill("1")
    dialog.get_by_label("Low-stock threshold").fill("1")
    dialog.get_by_role("button", name="Add product").click()
    expect(dialog.locator(".form-error")).to_contain_text("already exists")
    expect(dialog.get_by_label("Article number")).to_have_attribute("aria-invalid", "true")
    shot(page, "05-add-product-duplicate")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    # Place an order of 6: the row drops to 4, below the threshold of 5, and is marked low.
    order = page.locator("#order-form")
    order.get_by_label("Product").select_option(product_id)
    expect(order.locator("#order-product-hint")).to_contain_text("10 available")
    order.get_by_label("Quantity").fill("6")
    order.get_by_role("button", name="Place order").click()
    expect(page.locator("#toasts")).to_contain_text(f"Order placed: 6 \u00d7 {name}")
    expect(new_row.locator(".qty")).to_have_text("4")
    expect(new_row).to_have_class(re.compile(r"\bis-low\b"))
    expect(new_row.locator(".badge")).to_have_text("Low stock")
    expect(page.locator("#restock-list")).to_contain_text(name)
    assert api_product(api, product_id)["quantity"] == 4
    shot(page, "06-ordered-low-stock")

    # Ordering more than is available: the API's 409 message appears in the form, nothing changes.
    order.get_by_label("Quantity").fill("50")
    order.get_by_role("button", name="Place order").click()
    error = order.locator(".form-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Not enough stock")
    expect(error).to_contain_text(re.compile(rf"only 4 of {re.escape(product_id)} available", re.I))
    expect(new_row.locator(".qty")).to_have_text("4")
    shot(page, "07-order-insufficient-stock")

    # A double click places one order (the button is disabled while submitting; one Idempotency-Key).
    order.get_by_label("Quantity").fill("1")
    expect(error).to_be_hidden()
    order.get_by_role("button", name="Place order").dblclick()
    expect(new_row.locator(".qty")).to_have_text("3")
    page.wait_for_timeout(1500)
    assert api_product(api, product_id)["quantity"] == 3

    # Edit the threshold: the product is no longer low.
    new_row.get_by_role("button", name=f"Edit {name}").click()
    expect(dialog.get_by_label("Article number")).to_have_value(product_id)
    dialog.get_by_label("Low-stock threshold").fill("2")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    expect(new_row.locator(".badge")).to_have_text("In stock")
    expect(new_row).not_to_have_class(re.compile(r"\bis-low\b"))

    # Search filters the table.
    page.get_by_label("Search products").fill(product_id)
    expect(page.locator("tr.row:visible")).to_have_count(1)
    page.get_by_label("Search products").fill("")

    # Delete, with confirmation.
    new_row.get_by_role("button", name=f"Delete {name}").click()
    confirm = page.locator("#delete-dialog")
    expect(confirm).to_contain_text(name)
    shot(page, "08-delete-confirm")
    confirm.get_by_role("button", name="Delete product").click()
    expect(new_row).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text(f"Deleted {name}")

    # Sign out: back to the sign-in screen, token gone.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to your shop")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('stockroom.session')") is None


def test_auto_refresh_shows_changes_made_elsewhere(page: Any, site: dict[str, Any], api: Api) -> None:
    product_id = seed_product(api, "Beeswax candle", 7, 5)
    email, password = site["admin"]
    sign_in(page, site["web"], email, password)
    wait_loaded(page)
    line = row(page, product_id)
    expect(line.locator(".qty")).to_have_text("7")
    expect(line).not_to_have_class(re.compile(r"\bis-low\b"))

    # Someone else (another admin, a till) takes 3 units through the API: within a refresh period
    # or two the row shows 4 and is marked low, without anyone touching the page.
    response = api.post("/inventory-order", json={"productId": product_id, "quantity": 3})
    assert response.status_code == 201, response.text
    started = time.monotonic()
    expect(line.locator(".qty")).to_have_text("4", timeout=12_000)
    expect(line).to_have_class(re.compile(r"\bis-low\b"))
    assert time.monotonic() - started < 12


def test_bad_sign_in_and_expired_session(page: Any, site: dict[str, Any], api: Api) -> None:
    web = site["web"]
    product_id = seed_product(api, "Stoneware mug", 20, 4)
    email, password = site["admin"]

    sign_in(page, web, email, "not-the-password")
    notice = page.locator("#signin-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Incorrect email or password")
    shot(page, "09-sign-in-error")

    # A token the API rejects (here: a forged signature) sends the admin back to sign in.
    sign_in(page, web, email, password)
    wait_loaded(page)
    # Other tests share the stack: the product may sit beyond the first page; the search asks the API.
    page.get_by_label("Search products").fill(product_id)
    expect(row(page, product_id)).to_be_visible()
    page.evaluate(
        """() => {
          const s = JSON.parse(sessionStorage.getItem('stockroom.session'));
          const [h, p] = s.idToken.split('.');
          s.idToken = `${h}.${p}.Zm9yZ2Vk`;
          sessionStorage.setItem('stockroom.session', JSON.stringify(s));
        }"""
    )
    order = page.locator("#order-form")
    order.get_by_label("Product").select_option(product_id)
    order.get_by_label("Quantity").fill("1")
    order.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Sign in to your shop")).to_be_visible()
    expect(notice).to_contain_text("session has expired")
    shot(page, "10-session-expired")
    assert api_product(api, product_id)["quantity"] == 20, "the rejected order changed nothing"


def test_non_admin_cannot_use_the_dashboard(page: Any, site: dict[str, Any]) -> None:
    if site["customer"] is None:
        pytest.skip("no non-admin demo account")
    email, password = site["customer"]
    sign_in(page, site["web"], email, password)
    notice = page.locator("#signin-notice")
    expect(notice).to_contain_text("not a shop administrator")
    expect(page.locator("#dashboard-view")).to_be_hidden()


def test_mobile_layout(page: Any, site: dict[str, Any], api: Api) -> None:
    seed_product(api, "Cast-iron skillet, 26 cm", 2, 5)
    email, password = site["admin"]
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site["web"], email, password)
    wait_loaded(page)
    expect(page.locator("tr.row").first).to_be_visible()
    # Nothing wider than the screen except the table's own scroller.
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    first = page.locator("tr.row").first
    expect(first.locator(".badge")).to_be_visible()  # status and actions fit without scrolling sideways
    expect(first.locator("[data-action=delete]")).to_be_in_viewport()
    first.locator(".expand-btn").click()
    expect(page.locator("tr.detail:visible .wh-table")).to_be_visible()
    shot(page, "11-mobile", full_page=True)


def test_console_pages_are_routed_by_hash(page: Any, site: dict[str, Any]) -> None:
    """The nav is written from web/js/admin/pages.js; an unknown route shows the default page."""
    email, password = site["admin"]
    sign_in(page, site["web"], email, password)
    wait_loaded(page)
    nav = page.get_by_role("navigation", name="Admin")
    expect(nav.get_by_role("link", name="Inventory")).to_have_attribute("aria-current", "page")
    assert page.title() == "Inventory · Stockroom"
    page.goto(f"{site['web']}/admin/#/no-such-page")
    wait_loaded(page)
    expect(page.locator('section[data-page="inventory"]')).to_be_visible()
    expect(nav.get_by_role("link", name="Inventory")).to_have_attribute("href", "#/inventory")


# --- Cognito challenges -----------------------------------------------------------------------


def _new_admin(aws: Any, stack: StackInfo, **create: Any) -> str:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    idp = aws("cognito-idp")
    idp.admin_create_user(
        UserPoolId=stack.user_pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        **create,
    )
    idp.admin_add_user_to_group(UserPoolId=stack.user_pool_id, Username=email, GroupName="admin")
    return email


def test_an_invited_admin_chooses_a_new_password(
    page: Any, site: dict[str, Any], stack: StackInfo, aws: Any, inbox: Any
) -> None:
    """NEW_PASSWORD_REQUIRED: the invitation e-mail's temporary password, then the admin's own."""
    email = _new_admin(aws, stack)  # Cognito e-mails the invitation with a temporary password
    invitation = inbox.wait_for(lambda e: email in e["to"] and "temporary password" in e["text"])[0]
    temporary = re.search(r"temporary password is (\S+)\. ", invitation["text"])
    assert temporary, invitation["text"]

    sign_in(page, site["web"], email, temporary[1])
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    shot(page, "12-new-password-required")
    step = page.locator("#new-password-form")
    step.get_by_label("New password", exact=True).fill("Sturdy-Shelf-2024!")
    step.get_by_label("Confirm new password").fill("Sturdy-Shelf-2024?")
    step.get_by_role("button", name="Set password and sign in").click()
    expect(step.locator("#np-confirm-error")).to_contain_text("not the same")
    # Cognito's own policy message, shown as it is.
    step.get_by_label("New password", exact=True).fill("weakpassword1")
    step.get_by_label("Confirm new password").fill("weakpassword1")
    step.get_by_role("button", name="Set password and sign in").click()
    expect(page.locator("#signin-notice")).to_contain_text(re.compile("password policy", re.I))
    step.get_by_label("New password", exact=True).fill("Sturdy-Shelf-2024!")
    step.get_by_label("Confirm new password").fill("Sturdy-Shelf-2024!")
    step.get_by_role("button", name="Set password and sign in").click()
    wait_loaded(page)
    expect(page.locator("#user-email")).to_have_text(email)

    # The new password is the password from now on; the temporary one no longer works.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, site["web"], email, temporary[1])
    expect(page.locator("#signin-notice")).to_contain_text("Incorrect email or password")
    sign_in(page, site["web"], email, "Sturdy-Shelf-2024!")
    wait_loaded(page)


def test_an_admin_with_an_authenticator_app_enters_its_code(
    page: Any, site: dict[str, Any], stack: StackInfo, aws: Any
) -> None:
    """SOFTWARE_TOKEN_MFA: TOTP turned on the way the pool offers it, then answered in the console."""
    import base64

    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    from devstack.provision import sign_in as cognito_sign_in

    password = "Careful-Keeper-77"
    email = _new_admin(aws, stack, MessageAction="SUPPRESS")
    idp = aws("cognito-idp")
    idp.admin_set_user_password(UserPoolId=stack.user_pool_id, Username=email, Password=password, Permanent=True)
    access = cognito_sign_in(stack.aws_url, stack.client_id, email, password)["AccessToken"]
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    totp = TOTP(key, 6, SHA1(), 30, enforce_key_length=False)  # moto's secret is shorter than AWS's
    idp.verify_software_token(AccessToken=access, UserCode=totp.generate(time.time()).decode())
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})

    sign_in(page, site["web"], email, password)
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    step = page.locator("#mfa-form")
    code = step.get_by_label("Authentication code")
    expect(code).to_be_focused()
    shot(page, "13-totp-required")
    right = totp.generate(time.time()).decode()
    code.fill(f"{(int(right) + 1) % 10**6:06d}")
    step.get_by_role("button", name="Verify").click()
    expect(page.locator("#signin-notice")).to_contain_text("That code is not right")
    expect(page.locator("#dashboard-view")).to_be_hidden()
    code.fill(totp.generate(time.time()).decode())
    step.get_by_role("button", name="Verify").click()
    wait_loaded(page)
    expect(page.locator("#user-email")).to_have_text(email)
