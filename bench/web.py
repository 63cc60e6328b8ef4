"""The storefront's first load: what headless Chromium transfers for `/` until the catalog is shown.

A devstack with its demo data (8 products) serves the site; Chromium (Debian's, through
Playwright) opens `/` with an empty cache and the Chrome DevTools Protocol counts every response's
bytes on the wire (`encodedDataLength`: headers and body, as sent). The budget is 150 KB (issue 9
§7). The devstack's site server does not compress, so the figure is an upper bound of what
CloudFront (which compresses text) sends.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
BUDGET_BYTES = 150 * 1024


def first_load() -> dict[str, Any]:
    if shutil.which(CHROMIUM) is None:
        return {"error": "Debian chromium is not installed (make deps-browser)"}
    sys.path.insert(0, str(PROJECT))
    from playwright.sync_api import sync_playwright

    from devstack.env import Ports
    from devstack.stack import Stack

    with (
        Stack(Ports.free(), state_dir=PROJECT / ".devstack" / f"bench-web-{uuid.uuid4().hex[:6]}", demo=True) as info,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            urls: dict[str, str] = {}
            kinds: dict[str, str] = {}
            sizes: dict[str, int] = {}
            cdp.on(
                "Network.responseReceived",
                lambda e: (
                    urls.__setitem__(e["requestId"], e["response"]["url"]),
                    kinds.__setitem__(e["requestId"], e["type"]),
                ),
            )
            cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
            page.goto(info.web_url.rstrip("/") + "/", wait_until="networkidle")
            page.wait_for_selector(".product-card")
            page.wait_for_load_state("networkidle")
            products = page.locator(".product-card").count()
        finally:
            browser.close()
    total = sum(sizes.values())
    by_kind: dict[str, int] = {}
    for request_id, size in sizes.items():
        by_kind[kinds.get(request_id, "Other")] = by_kind.get(kinds.get(request_id, "Other"), 0) + size
    largest = sorted(((sizes[r], urls.get(r, "?")) for r in sizes), reverse=True)[:5]
    return {
        "first_load_transferred_kb": round(total / 1024, 1),
        "budget_kb": BUDGET_BYTES // 1024,
        "within_budget": total <= BUDGET_BYTES,
        "requests": len(sizes),
        "by_type_kb": {k: round(v / 1024, 1) for k, v in sorted(by_kind.items())},
        "largest": [f"{round(s / 1024, 1)} KB {u.split('//', 1)[-1].split('/', 1)[-1] or '/'}" for s, u in largest],
        "products_shown": products,
        "conditions": "devstack site server (no compression), empty cache, 1280x900, demo catalog",
    }
