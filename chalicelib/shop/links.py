"""Links into the web site, defined once for everything that writes one (e-mails, receipts, the
API's `Location`-style hints): the storefront and the admin console route by the URL's fragment
(`web/js/shop/router.js`, `web/js/admin/router.js`), so these are the pages' only addresses.

The order token travels in the fragment, never in the path or the query: browsers do not send a
fragment to the server or in `Referer`, so the token stays out of CloudFront's and S3's logs and
out of any site a customer follows a link to.
"""

from __future__ import annotations

from urllib.parse import quote

from chalicelib.core.config import get_settings


def _origin(origin: str | None) -> str:
    return (origin if origin is not None else get_settings().site_origin).rstrip("/")


def order_status_url(order_id: str, token: str | None = None, *, origin: str | None = None) -> str:
    """The storefront's order status page: `<site>/#/orders/<orderId>?token=<orderToken>`. With the
    token anyone holding the link (a guest, from the e-mail) reads and may cancel the order;
    without it, only its owner once signed in."""
    url = f"{_origin(origin)}/#/orders/{quote(order_id, safe='')}"
    return f"{url}?token={quote(token, safe='')}" if token else url


def admin_order_url(order_id: str, *, origin: str | None = None) -> str:
    """The order's page in the admin console: `<site>/admin/#/orders/<orderId>`."""
    return f"{_origin(origin)}/admin/#/orders/{quote(order_id, safe='')}"
