"""Stockroom's switchboard: every route and event handler, and nothing else.

Handlers translate: read the request or event, call one service function, shape the response.
Services live in `chalicelib`; they are imported inside the handlers that use them, so a cold
start pays only for what its function needs.

Every route authenticates first (when it needs a caller), then reads its input: an anonymous
caller learns nothing of a route's body rules. Every route is described in
`chalicelib/openapi.json` (a test fails for a route missing there).
"""

from __future__ import annotations

from typing import Any

from chalice import CognitoUserPoolAuthorizer, Rate, Response
from chalice.app import DynamoDBEvent, SQSEvent

from chalicelib.core import resources
from chalicelib.core.http import query_int, read_json
from chalicelib.core.observability import logger
from chalicelib.core.web import StockroomApp, cors_config, handle_errors, with_correlation_id

app = StockroomApp(app_name="stockroom")
app.api.cors = cors_config()  # None unless the stage sets CORS_ALLOW_ORIGIN (the local stage does)
app.register_middleware(with_correlation_id, "all")
app.register_middleware(handle_errors, "http")

# API Gateway checks Cognito tokens when deployed; the app verifies them again itself
# (chalicelib.core.auth) because `chalice local` and the test client accept any token.
cognito = CognitoUserPoolAuthorizer("stockroom-users", provider_arns=["${aws_cognito_user_pool.this.arn}"])


# --- catalog and stock (seed 000) -------------------------------------------------------------


@app.route("/products", methods=["GET"])
def list_products() -> Response:
    from chalicelib.core import auth
    from chalicelib.inventory import catalog

    caller = auth.optional_principal(app.current_request)
    params = app.current_request.query_params or {}
    page = catalog.list_products(
        limit=query_int(params, "limit", 1, 100),
        cursor=params.get("cursor"),
        query=params.get("q") or None,
        view=_catalog_view(caller),
    )
    return _catalog_response(page, caller)


@app.route("/products", methods=["POST"], authorizer=cognito)
def create_product() -> Response:
    from chalicelib.core import auth
    from chalicelib.inventory import catalog

    admin = auth.require_admin(app.current_request)
    product = catalog.create_product(read_json(app.current_request), actor=admin.actor)
    return Response(product, status_code=201, headers={"Location": f"/products/{product['productId']}"})


@app.route("/products/{product_id}", methods=["GET"])
def get_product(product_id: str) -> Response:
    from chalicelib.core import auth
    from chalicelib.inventory import catalog

    caller = auth.optional_principal(app.current_request)
    return _catalog_response(catalog.get_product(product_id, _catalog_view(caller)), caller)


@app.route("/products/{product_id}", methods=["PUT", "PATCH"], authorizer=cognito)
def update_product(product_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.inventory import catalog

    admin = auth.require_admin(app.current_request)
    return catalog.update_product(product_id, read_json(app.current_request), actor=admin.actor)


@app.route("/products/{product_id}", methods=["DELETE"], authorizer=cognito)
def delete_product(product_id: str) -> Response:
    from chalicelib.core import auth
    from chalicelib.inventory import catalog

    admin = auth.require_admin(app.current_request)
    catalog.delete_product(product_id, actor=admin.actor)
    return Response("", status_code=204)


@app.route("/products/{product_id}/movements", methods=["GET"], authorizer=cognito)
def list_movements(product_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.inventory import stock

    auth.require_admin(app.current_request)
    params = app.current_request.query_params or {}
    return stock.list_movements(product_id, limit=query_int(params, "limit", 1, 100), cursor=params.get("cursor"))


@app.route("/products/{product_id}/stock/{warehouse_id}", methods=["PUT"], authorizer=cognito)
def set_stock_line(product_id: str, warehouse_id: str) -> Response:
    from chalicelib.core import auth
    from chalicelib.inventory import stock

    admin = auth.require_admin(app.current_request)
    line, created = stock.set_line(product_id, warehouse_id, read_json(app.current_request), actor=admin.actor)
    headers = {"Location": f"/products/{product_id}/stock/{warehouse_id}"} if created else {}
    return Response({"productId": product_id, **line}, status_code=201 if created else 200, headers=headers)


@app.route("/inventory-order", methods=["POST"], authorizer=cognito)
def place_inventory_order() -> Response:
    from chalicelib.core import auth
    from chalicelib.shop import staff_orders

    request = app.current_request
    admin = auth.require_admin(request)
    order = staff_orders.place_inventory_order(
        read_json(request), actor=admin.actor, idempotency_key=request.headers.get("idempotency-key")
    )
    return Response(order, status_code=201, headers={"Location": f"/orders/{order['orderId']}"})


def _catalog_view(principal: Any) -> Any:
    return "admin" if principal is not None and principal.is_admin else "public"


def _catalog_response(body: dict[str, Any], caller: Any) -> Response:
    """Anonymous catalog reads may be cached briefly (CloudFront, browsers); a signed-in
    caller's never (an admin's carries the shop's stock figures)."""
    from chalicelib.inventory.catalog import PUBLIC_CACHE_CONTROL

    cache = PUBLIC_CACHE_CONTROL if caller is None else "private, no-store"
    return Response(body, headers={"Cache-Control": cache, "Vary": "Authorization"})


# --- the API itself ---------------------------------------------------------------------------


@app.route("/health", methods=["GET"])
def health() -> dict[str, Any]:
    return {"status": "ok"}


@app.route("/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this API (chalicelib/openapi.json)."""
    from chalicelib.core import apidoc

    return Response(apidoc.document(), headers={"Cache-Control": "public, max-age=300"})


UNKNOWN_ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


@app.route("/", methods=UNKNOWN_ROUTE_METHODS)
@app.route("/{proxy+}", methods=UNKNOWN_ROUTE_METHODS)
def unknown_route() -> Response:
    """Any path no route serves: 404 in the API's error shape, never echoing credentials.

    Deployed, API Gateway sends every unmatched path here (a greedy resource) instead of its own
    403 that echoes the Authorization header; `chalice local` matches it the same way
    (devstack.chalice_patch)."""
    from chalicelib.core.errors import NotFound
    from chalicelib.core.validation import safe_name

    request = app.current_request
    raise NotFound(f"no route {request.method} {safe_name(request.path)}; the API is described at /openapi.json")


# --- events -----------------------------------------------------------------------------------


@app.on_dynamodb_record(stream_arn=resources.STOCK.stream_arn_ref, batch_size=100, starting_position="TRIM_HORIZON")
def on_stock_change(event: DynamoDBEvent) -> dict[str, Any]:
    """Low-stock alerts, edge-triggered on every stock write, whoever made it."""
    from chalicelib.inventory import alerts

    return alerts.handle_stock_records(event.to_dict()["Records"], event.context)


@app.on_sqs_message(queue_arn=resources.ALERT_EMAILS_QUEUE.arn_ref, batch_size=resources.ALERT_EMAILS_QUEUE.batch_size)
def send_alert_emails(event: SQSEvent) -> dict[str, Any]:
    """E-mail the admins about each low-stock alert published on the topic."""
    from chalicelib.inventory import alerts

    return alerts.handle_alert_email_messages(event.to_dict()["Records"], event.context)


@app.schedule(
    Rate(1, unit=Rate.HOURS), name="reconcile_stock", description="Repair and record stock edited outside the app"
)
def reconcile_stock(event: Any) -> dict[str, Any]:
    """Find stock items edited outside the app (on_hand != ledger total), repair, record."""
    from chalicelib.inventory import stock

    return stock.reconcile_all(actor="system:reconcile")


logger.debug("app loaded", extra={"routes": len(app.routes)})
