"""Every response has the API's shape (issue 7 §1-2, §5), checked route by route.

The routes come from the app's own route table and the body rules from the OpenAPI document, so
a route added later is checked without anyone remembering to add it here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.core import apidoc
from chalicelib.core.http import MAX_BODY_BYTES, MAX_DEPTH
from tests.integration.conftest import Cognito


@pytest.fixture
def client(shared_stack: tuple[Client, Cognito]) -> Client:
    """Shared by the whole module: these tests only read, or write ids no other test uses."""
    return shared_stack[0]


@pytest.fixture
def cognito(shared_stack: tuple[Client, Cognito]) -> Cognito:
    return shared_stack[1]


ORIGIN = "http://127.0.0.1:8080"  # the local stage's CORS_ALLOW_ORIGIN
SAMPLE_PARAMS = {
    "product_id": "493.857.51",
    "warehouse_id": "main",
    # the shop (issue 9)
    "method": "CURBSIDE",
    "cart_id": "c" * 32,
    "code": "WELCOME10",
    "order_id": "00000000-0000-4000-8000-000000000000",
    # the back office (issue 11)
    "date": "2025-03-14",
    "key_id": "0123456789ab",
}


def app_routes() -> list[tuple[str, str, Any]]:
    from app import app

    return [(path, method, entry) for path, methods in app.routes.items() for method, entry in methods.items()]


def concrete(path: str) -> str:
    if "{proxy+}" in path:
        return path.replace("{proxy+}", "no/such/route")
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS[m.group(1)], path)


def documented_body(path: str, method: str) -> bool:
    """The route takes a JSON body (the CSV import's body rules are its own:
    tests/integration/test_catalog_csv_api.py)."""
    openapi_path = re.sub(r"\{(\w+)\}", lambda m: "{" + _camel(m.group(1)) + "}", path)
    operation = apidoc.document()["paths"].get(openapi_path, {}).get(method.lower(), {})
    return "application/json" in operation.get("requestBody", {}).get("content", {})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


ROUTES = app_routes()
IDS = [f"{method} {path}" for path, method, _ in ROUTES]
BODY_ROUTES = [(p, m, e) for p, m, e in ROUTES if documented_body(p, m)]


def request(client: Client, method: str, path: str, *, body: Any = None, **headers: str) -> Any:
    payload = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
    response = client.http.request(method, path, headers={"Origin": ORIGIN, **headers}, body=payload)
    return response


def assert_shaped(response: Any) -> dict[str, Any] | None:
    """The API's promises for any response: correlation id, CORS, and for errors the shape."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers.get("x-correlation-id"), headers
    assert headers.get("access-control-allow-origin") == ORIGIN, headers
    assert "X-Correlation-Id" in headers.get("access-control-expose-headers", ""), headers
    if response.status_code < 400:
        return None
    assert headers.get("content-type", "").startswith("application/json"), headers
    body = json.loads(response.body)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("message"), str), body
    assert "Code" not in body and "Message" not in body
    return body


def test_the_route_table_is_what_these_tests_walk() -> None:
    paths = {path for path, _, _ in ROUTES}
    assert {"/products", "/products/{product_id}", "/{proxy+}"} <= paths
    assert len(BODY_ROUTES) >= 4  # POST /products, PUT+PATCH /products/{id}, PUT stock, POST /inventory-order


@pytest.mark.parametrize(("path", "method", "entry"), ROUTES, ids=IDS)
def test_every_route_accepts_any_media_type_at_routing(path: str, method: str, entry: Any) -> None:
    # Chalice's own content-type check runs before the handler (and so before authentication)
    # and is case-sensitive: the app does the check itself, after authentication.
    assert entry.content_types == ["*/*"], (method, path)


@pytest.mark.parametrize(("path", "method", "entry"), ROUTES, ids=IDS)
def test_anonymous_calls_are_shaped_and_authenticated_before_any_validation(
    client: Client, path: str, method: str, entry: Any
) -> None:
    # A body the routes would refuse three ways at once (media type, size, nesting): an anonymous
    # caller of a protected route learns none of it, only that it must sign in.
    hostile = b"[" * (MAX_DEPTH + 5) + b" " * (MAX_BODY_BYTES + 10)
    response = request(client, method, concrete(path), body=hostile, **{"Content-Type": "text/x-nonsense"})
    body = assert_shaped(response)
    if entry.authorizer is not None:
        assert response.status_code == 401, (method, path, response.body)
        assert body is not None and body["error"] == "Unauthorized"


@pytest.fixture(scope="module")
def machine_key(shared_stack: tuple[Client, Cognito]) -> str:
    """An API key with every scope, for the machine routes (issue 11 §4)."""
    from chalicelib.backoffice import api_keys

    return str(api_keys.create_key({"name": "edge", "scopes": list(api_keys.SCOPES)}, actor="test")["apiKey"])


@pytest.mark.parametrize(("path", "method", "entry"), BODY_ROUTES, ids=[f"{m} {p}" for p, m, _ in BODY_ROUTES])
def test_body_limits_on_every_body_route(
    client: Client, cognito: Cognito, machine_key: str, path: str, method: str, entry: Any
) -> None:
    # Who may call it: an admin, or a machine client's API key on /machine/... (authenticated first).
    machine = path.startswith("/machine/")
    admin = {"X-Api-Key": machine_key} if machine else {"Authorization": f"Bearer {cognito.token(groups=['admin'])}"}
    url = concrete(path)

    too_big = request(client, method, url, body=b"{" + b" " * MAX_BODY_BYTES + b"}", **admin)
    assert too_big.status_code == 413 and assert_shaped(too_big)["error"] == "PayloadTooLarge"  # type: ignore[index]

    deep = request(client, method, url, body="[" * 1000 + "]" * 1000, **admin, **{"Content-Type": "application/json"})
    deep_body = assert_shaped(deep)
    assert deep.status_code == 400 and deep_body is not None and deep_body["field"] == "body", deep.body
    assert str(MAX_DEPTH) in deep_body["message"]

    text = request(client, method, url, body="productId=x", **admin, **{"Content-Type": "text/plain"})
    assert text.status_code == 415 and assert_shaped(text)["error"] == "UnsupportedMediaType"  # type: ignore[index]

    # Media types are case-insensitive and take parameters: this is JSON (refused for its content).
    mixed = request(client, method, url, body="[]", **admin, **{"Content-Type": "Application/JSON; charset=UTF-8"})
    mixed_body = assert_shaped(mixed)
    assert mixed.status_code == 400 and mixed_body is not None and mixed_body["field"] == "body", mixed.body
    latin = request(client, method, url, body="{}", **admin, **{"Content-Type": "application/json; charset=latin-1"})
    assert latin.status_code == 415


@pytest.mark.parametrize(("path", "method", "entry"), ROUTES, ids=IDS)
def test_unexpected_errors_are_500_in_the_api_shape(
    client: Client, cognito: Cognito, monkeypatch: pytest.MonkeyPatch, path: str, method: str, entry: Any
) -> None:
    from chalicelib.core import auth

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug: secret detail")

    monkeypatch.setattr(auth, "authenticate", broken)
    response = request(
        client, method, concrete(path), body="{}", Authorization=f"Bearer {cognito.token(groups=['admin'])}"
    )
    body = assert_shaped(response)
    reads_caller = entry.authorizer is not None or (path in ("/products", "/products/{product_id}") and method == "GET")
    assert b"secret detail" not in response.body
    if reads_caller:
        assert response.status_code == 500, (method, path, response.body)
        assert body == {"error": "InternalError", "message": "Something went wrong on our side; it has been logged."}


def test_a_bug_that_chalice_catches_itself_is_reshaped(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception that is not a ChaliceUnhandledError is turned into a 500 by Chalice itself,
    in its own `{"Code", "Message"}` shape: the edge rewrites it."""
    from chalicelib.inventory import catalog

    def broken(**_: Any) -> Any:
        raise KeyError("internal detail")

    monkeypatch.setattr(catalog, "list_products", broken)
    response = request(client, "GET", "/products")
    assert response.status_code == 500
    assert assert_shaped(response) == {
        "error": "InternalError",
        "message": "Something went wrong on our side; it has been logged.",
    }
    assert b"internal detail" not in response.body


def test_a_method_a_path_does_not_take_is_405_in_the_api_shape(client: Client) -> None:
    from app import UNKNOWN_ROUTE_METHODS, app

    checked = 0
    for path, methods in app.routes.items():
        if "{proxy+}" in path or path == "/":
            continue
        missing = next(m for m in UNKNOWN_ROUTE_METHODS if m not in methods)
        response = request(client, missing, concrete(path))
        assert response.status_code == 405, (missing, path)
        assert assert_shaped(response)["error"] == "MethodNotAllowed"  # type: ignore[index]
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == set(methods)
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("path", ["/nope", "/products/x/nope", "/products/x/stock/main/extra", "/"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unknown_routes_are_404_and_never_echo_credentials(client: Client, path: str, method: str) -> None:
    secret = "Bearer eyJzZWNyZXQiOiJ0b2tlbiJ9.c2VjcmV0.c2lnbmF0dXJl"
    response = request(client, method, path, Authorization=secret, body="{}")
    assert response.status_code == 404, response.body
    body = assert_shaped(response)
    assert body is not None and body["error"] == "NotFound"
    assert b"eyJzZWNyZXQ" not in response.body and b"Authorization" not in response.body


def test_every_response_has_a_correlation_id_even_generated(client: Client) -> None:
    given = request(client, "GET", "/nope", **{"X-Correlation-Id": "trace-42"})
    assert given.headers["X-Correlation-Id"] == "trace-42"
    generated = request(client, "GET", "/health")
    assert generated.status_code == 200 and len(generated.headers["X-Correlation-Id"]) >= 16
    hostile = request(client, "GET", "/health", **{"X-Correlation-Id": "x" * 500})
    assert hostile.headers["X-Correlation-Id"] != "x" * 500


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/products/abc%0A", "productId"),  # decoded as API Gateway does: "abc\n"
        ("/products/abc%0D", "productId"),
        ("/products/abc%09", "productId"),
        ("/products/abc%00", "productId"),
        ("/products/%D9%A4%D9%A9%D9%A3", "productId"),  # Arabic-Indic digits
        ("/products/" + "x" * 1000, "productId"),
        ("/products/493.857.5", "productId"),
        ("/products/493.857.511", "productId"),
    ],
)
def test_hostile_ids_in_paths_are_400_naming_the_id(client: Client, path: str, field: str) -> None:
    response = request(client, "GET", path)
    assert response.status_code == 400, (path, response.body)
    body = assert_shaped(response)
    assert body is not None and body["field"] == field


def test_path_parameters_are_url_decoded(client: Client, cognito: Cognito) -> None:
    admin = {"Authorization": f"Bearer {cognito.token(groups=['admin'])}", "Content-Type": "application/json"}
    body = {"productId": "EDGE-1", "productName": "Lamp", "quantity": 1, "threshold": 0}
    assert request(client, "POST", "/products", body=body, **admin).status_code == 201
    # %2D is "-": the encoded and the plain path reach the same product.
    assert request(client, "GET", "/products/EDGE%2D1").status_code == 200
