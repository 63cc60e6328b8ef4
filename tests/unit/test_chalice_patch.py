"""`chalice local` routes as API Gateway does (devstack/chalice_patch.py)."""

from __future__ import annotations

import pytest

from devstack.chalice_patch import match_route

ROUTES = ["/", "/health", "/products", "/products/{product_id}", "/products/{product_id}/movements", "/{proxy+}"]


@pytest.mark.parametrize(
    ("url", "route", "params"),
    [
        ("/products", "/products", {}),
        ("/products/", "/products", {}),  # API Gateway drops a trailing slash
        ("/products/abc", "/products/{product_id}", {"product_id": "abc"}),
        ("/products/abc%0A", "/products/{product_id}", {"product_id": "abc\n"}),  # decoded, as API Gateway does
        ("/products/a%2Fb", "/products/{product_id}", {"product_id": "a/b"}),  # an encoded slash stays in the param
        ("/products/%E2%82%AC/movements?limit=1", "/products/{product_id}/movements", {"product_id": "€"}),
        ("/", "/", {}),
        ("/nope", "/{proxy+}", {"proxy": "nope"}),  # literal and {param} routes win; greedy takes the rest
        ("/products/x/y/z", "/{proxy+}", {"proxy": "products/x/y/z"}),
        ("/products/x/nope", "/{proxy+}", {"proxy": "products/x/nope"}),
    ],
)
def test_api_gateway_route_selection(url: str, route: str, params: dict[str, str]) -> None:
    matched, captured, _ = match_route(ROUTES, url)
    assert (matched, captured) == (route, params)


def test_query_strings_are_parsed_and_nothing_matches_without_a_catch_all() -> None:
    _, _, query = match_route(ROUTES, "/products?limit=3&q=a%20b&q=c")
    assert query == {"limit": ["3"], "q": ["a b", "c"]}
    with pytest.raises(ValueError):
        match_route(["/products"], "/nope")
