"""The OpenAPI document (chalicelib/openapi.json) and the app agree, both ways.

To add a route: add its path and operation to chalicelib/openapi.json (reuse the components:
`#/components/parameters/ProductId`, `#/components/responses/BadRequest`, ...), then run this.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib.core import apidoc, http, validation

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
DOC = apidoc.document()


def template(path: str) -> str:
    """A path with its parameters unnamed: `/products/{product_id}` == `/products/{productId}`."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def app_operations() -> set[tuple[str, str]]:
    from app import app, unknown_route

    return {
        (template(path), method.lower())
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if entry.view_function is not unknown_route  # the catch-all is the API's 404, not API
    }


def doc_operations() -> set[tuple[str, str]]:
    return {(template(path), method) for path, item in DOC["paths"].items() for method in item if method in METHODS}


def test_every_route_is_documented() -> None:
    missing = sorted(app_operations() - doc_operations())
    assert not missing, f"routes missing from chalicelib/openapi.json: {missing}"


def test_every_documented_operation_is_a_route() -> None:
    extra = sorted(doc_operations() - app_operations())
    assert not extra, f"chalicelib/openapi.json documents routes the app does not have: {extra}"


def test_path_parameter_names_match_the_route_order() -> None:
    from app import app

    by_template = {template(p): p for p in app.routes}
    for path, item in DOC["paths"].items():
        documented = re.findall(r"\{([^}]+)\}", path)
        in_app = re.findall(r"\{([^}]+)\}", by_template[template(path)])
        assert [name.replace("_", "").lower() for name in in_app] == [n.lower() for n in documented], path
        params = [_resolve(p) for p in item.get("parameters", [])]
        assert sorted(p["name"] for p in params if p["in"] == "path") == sorted(documented), path


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOC
        for key in node["$ref"].removeprefix("#/").split("/"):
            target = target[key]
        node = target
    return node


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in DOC["paths"].items() for m, op in item.items() if m in METHODS]


@pytest.mark.parametrize(("path", "method", "operation"), _operations(), ids=[f"{m} {p}" for p, m, _ in _operations()])
def test_each_operation_documents_its_errors(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    security = operation.get("security", DOC["security"])
    if security and {} not in security:  # needs a token: says what happens without one
        assert {"401", "403"} <= set(responses), (method, path)
    if "requestBody" in operation:
        assert {"400", "413", "415"} <= set(responses), (method, path)
    if "{" in path:
        assert "400" in responses and ("404" in responses or path == "/openapi.json"), (method, path)
    for status, response in responses.items():
        headers = _resolve(response).get("headers", {})
        assert "X-Correlation-Id" in headers, (method, path, status)


def test_the_document_states_the_limits_the_code_enforces() -> None:
    product_id = _resolve({"$ref": "#/components/parameters/ProductId"})["schema"]
    assert product_id["pattern"] == "^" + validation.ID_PATTERN.pattern + "$"
    assert product_id["maxLength"] == 64
    limit = _resolve({"$ref": "#/components/parameters/Limit"})["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    description = DOC["info"]["description"]
    assert str(http.MAX_BODY_BYTES) in description and str(http.MAX_DEPTH) in description
    create = DOC["components"]["schemas"]["ProductCreate"]["properties"]
    assert create["quantity"]["maximum"] == validation.MAX_QUANTITY
    assert create["priceCents"]["maximum"] == validation.MAX_PRICE_CENTS


def test_schemathesis_loads_it_as_openapi_3_1() -> None:
    import schemathesis

    schema = schemathesis.openapi.from_dict(DOC)
    assert DOC["openapi"].startswith("3.1")
    assert len(list(schema.get_all_operations())) == len(doc_operations())


def test_it_is_served_at_openapi_json() -> None:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as client:
        response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.body) == DOC
    assert response.headers["Cache-Control"].startswith("public")
