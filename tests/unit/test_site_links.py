"""Links into the web site (chalicelib/shop/links.py): the routes web/js/shop and web/js/admin serve."""

from __future__ import annotations

import pytest

from chalicelib.core.config import reset_settings
from chalicelib.shop.links import admin_order_url, order_status_url


def test_status_link_carries_the_token_in_the_fragment() -> None:
    url = order_status_url("0b1c-2d", "a_b-C9", origin="https://shop.example/")
    assert url == "https://shop.example/#/orders/0b1c-2d?token=a_b-C9"
    before_fragment = url.split("#", 1)[0]
    assert "a_b-C9" not in before_fragment, "a fragment never reaches a server or a Referer"


def test_status_link_without_token_and_odd_ids_are_encoded() -> None:
    assert order_status_url("o/1 2", origin="http://x") == "http://x/#/orders/o%2F1%202"
    assert order_status_url("o1", "t+/=", origin="http://x") == "http://x/#/orders/o1?token=t%2B%2F%3D"


def test_admin_link_and_the_site_origin_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE_ORIGIN", "https://d111.cloudfront.net")
    reset_settings()
    try:
        assert admin_order_url("o1") == "https://d111.cloudfront.net/admin/#/orders/o1"
        assert order_status_url("o1", "t") == "https://d111.cloudfront.net/#/orders/o1?token=t"
    finally:
        monkeypatch.undo()
        reset_settings()
