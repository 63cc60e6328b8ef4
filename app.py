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

from chalice import CognitoUserPoolAuthorizer, Cron, Rate, Response
from chalice.app import DynamoDBEvent, SQSEvent

from chalicelib.core import resources
from chalicelib.core.http import query_int, read_json
from chalicelib.core.observability import logger
from chalicelib.core.web import StockroomApp, cors_config, handle_errors, with_correlation_id

app = StockroomApp(app_name="stockroom")
app.api.cors = cors_config()  # None unless the stage sets CORS_ALLOW_ORIGIN (the local stage does)
app.register_middleware(with_correlation_id, "all")
app.register_middleware(handle_errors, "http")
# CSV uploads pass through API Gateway as bytes (base64), whatever their encoding: the import reads
# Windows-1252 and UTF-16 as spreadsheets write them, which a text body would mangle.
app.api.binary_types.append("text/csv")

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


@app.route("/products/{product_id}/stock/{warehouse_id}/adjustments", methods=["POST"], authorizer=cognito)
def adjust_stock_line(product_id: str, warehouse_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.inventory import stock

    request = app.current_request
    admin = auth.require_admin(request)
    return stock.adjust_line(
        product_id,
        warehouse_id,
        read_json(request),
        actor=admin.actor,
        idempotency_key=request.headers.get("idempotency-key"),
    )


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


# --- warehouses (issue 9 §1) --------------------------------------------------------------------


@app.route("/warehouses", methods=["GET"])
def list_warehouses() -> dict[str, Any]:
    from chalicelib.inventory import warehouses

    return warehouses.list_warehouses()


@app.route("/warehouses", methods=["POST"], authorizer=cognito)
def create_warehouse() -> Response:
    from chalicelib.core import auth
    from chalicelib.inventory import warehouses

    admin = auth.require_admin(app.current_request)
    created = warehouses.create_warehouse(read_json(app.current_request), actor=admin.actor)
    return Response(created, status_code=201, headers={"Location": f"/warehouses/{created['warehouseId']}"})


@app.route("/warehouses/{warehouse_id}", methods=["GET"])
def get_warehouse(warehouse_id: str) -> dict[str, Any]:
    from chalicelib.inventory import warehouses

    return warehouses.get_warehouse(warehouse_id)


@app.route("/warehouses/{warehouse_id}", methods=["PATCH"], authorizer=cognito)
def update_warehouse(warehouse_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.inventory import warehouses

    admin = auth.require_admin(app.current_request)
    return warehouses.update_warehouse(warehouse_id, read_json(app.current_request), actor=admin.actor)


@app.route("/warehouses/{warehouse_id}", methods=["DELETE"], authorizer=cognito)
def delete_warehouse(warehouse_id: str) -> Response:
    from chalicelib.core import auth
    from chalicelib.inventory import warehouses

    admin = auth.require_admin(app.current_request)
    warehouses.delete_warehouse(warehouse_id, actor=admin.actor)
    return Response("", status_code=204)


# --- shop: delivery, customers, carts, promo codes, checkout, orders (issue 9) ------------------


@app.route("/delivery-methods", methods=["GET"])
def list_delivery_methods() -> dict[str, Any]:
    from chalicelib.shop import delivery

    return delivery.list_methods()


@app.route("/delivery-methods/{method}", methods=["PUT"], authorizer=cognito)
def set_delivery_method(method: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import delivery

    admin = auth.require_admin(app.current_request)
    return delivery.set_method(method, read_json(app.current_request), actor=admin.actor)


@app.route("/me", methods=["GET"], authorizer=cognito)
def get_me() -> dict[str, Any]:
    from chalicelib.core import auth

    principal = auth.authenticate(app.current_request)
    return {"sub": principal.subject, "email": principal.email, "isAdmin": principal.is_admin}


@app.route("/carts", methods=["POST"])
def create_cart() -> Response:
    from chalicelib.core import auth
    from chalicelib.shop import carts

    request = app.current_request
    caller = auth.optional_principal(request)
    cart = carts.create_cart(read_json(request) if request.raw_body else None, caller)
    return Response(cart, status_code=201, headers={"Location": f"/carts/{cart['cartId']}"})


@app.route("/carts/{cart_id}", methods=["GET"])
def get_cart(cart_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import carts

    return carts.get_cart(cart_id, auth.optional_principal(app.current_request))


@app.route("/carts/{cart_id}/items/{product_id}", methods=["PUT"])
def set_cart_item(cart_id: str, product_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import carts

    request = app.current_request
    caller = auth.optional_principal(request)
    return carts.set_item(cart_id, product_id, read_json(request), caller)


@app.route("/carts/{cart_id}/items/{product_id}", methods=["DELETE"])
def remove_cart_item(cart_id: str, product_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import carts

    return carts.remove_item(cart_id, product_id, auth.optional_principal(app.current_request))


@app.route("/me/cart", methods=["GET"], authorizer=cognito)
def get_my_cart() -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import carts

    return carts.get_my_cart(auth.authenticate(app.current_request))


@app.route("/me/cart/merge", methods=["POST"], authorizer=cognito)
def merge_cart() -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import carts

    request = app.current_request
    customer = auth.authenticate(request)  # who, before anything about the body
    return carts.merge_cart(read_json(request), customer)


@app.route("/promo-codes", methods=["GET"], authorizer=cognito)
def list_promo_codes() -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import promos

    auth.require_admin(app.current_request)
    params = app.current_request.query_params or {}
    return promos.list_promo_codes(limit=query_int(params, "limit", 1, 100), cursor=params.get("cursor"))


@app.route("/promo-codes", methods=["POST"], authorizer=cognito)
def create_promo_code() -> Response:
    from chalicelib.core import auth
    from chalicelib.shop import promos

    admin = auth.require_admin(app.current_request)
    created = promos.create_promo_code(read_json(app.current_request), actor=admin.actor)
    return Response(created, status_code=201, headers={"Location": f"/promo-codes/{created['code']}"})


@app.route("/promo-codes/{code}", methods=["GET"], authorizer=cognito)
def get_promo_code(code: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import promos

    auth.require_admin(app.current_request)
    return promos.get_promo_code(code)


@app.route("/promo-codes/{code}", methods=["PATCH"], authorizer=cognito)
def update_promo_code(code: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import promos

    admin = auth.require_admin(app.current_request)
    return promos.update_promo_code(code, read_json(app.current_request), actor=admin.actor)


@app.route("/promo-codes/{code}", methods=["DELETE"], authorizer=cognito)
def delete_promo_code(code: str) -> Response:
    from chalicelib.core import auth
    from chalicelib.shop import promos

    admin = auth.require_admin(app.current_request)
    promos.delete_promo_code(code, actor=admin.actor)
    return Response("", status_code=204)


@app.route("/checkout/quote", methods=["POST"])
def quote_checkout() -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import checkout

    request = app.current_request
    caller = auth.optional_principal(request)
    return checkout.quote(read_json(request), caller)


@app.route("/orders", methods=["POST"])
def place_order() -> Response:
    from chalicelib.core import auth
    from chalicelib.shop import checkout

    request = app.current_request
    caller = auth.optional_principal(request)
    order = checkout.place_order(read_json(request), caller, idempotency_key=request.headers.get("idempotency-key"))
    return Response(order, status_code=201, headers={"Location": f"/orders/{order['orderId']}"})


@app.route("/place-order", methods=["POST"])
def place_simple_order() -> Response:
    from chalicelib.core import auth
    from chalicelib.shop import checkout

    request = app.current_request
    caller = auth.optional_principal(request)
    order = checkout.place_simple_order(
        read_json(request), caller, idempotency_key=request.headers.get("idempotency-key")
    )
    return Response(order, status_code=201, headers={"Location": f"/orders/{order['orderId']}"})


@app.route("/orders", methods=["GET"], authorizer=cognito)
def list_orders() -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import orders

    auth.require_admin(app.current_request)
    params = app.current_request.query_params or {}
    return orders.list_orders(
        day=params.get("day"),
        status=params.get("status"),
        limit=query_int(params, "limit", 1, 100),
        cursor=params.get("cursor"),
        email=params.get("email"),
    )


@app.route("/orders/{order_id}", methods=["GET"])
def get_order(order_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import orders

    request = app.current_request
    token = request.headers.get("x-order-token") or (request.query_params or {}).get("token")
    return orders.get_order(order_id, auth.optional_principal(request), token)


@app.route("/orders/{order_id}/cancel", methods=["POST"])
def cancel_order(order_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.orders import cancellation

    request = app.current_request
    return cancellation.cancel_order(order_id, auth.optional_principal(request), request.headers.get("x-order-token"))


@app.route("/me/orders", methods=["GET"], authorizer=cognito)
def list_my_orders() -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.shop import orders

    params = app.current_request.query_params or {}
    return orders.list_my_orders(
        auth.authenticate(app.current_request),
        limit=query_int(params, "limit", 1, 100),
        cursor=params.get("cursor"),
    )


def _catalog_view(principal: Any) -> Any:
    return "admin" if principal is not None and principal.is_admin else "public"


def _catalog_response(body: dict[str, Any], caller: Any) -> Response:
    """Anonymous catalog reads may be cached briefly (CloudFront, browsers); a signed-in
    caller's never (an admin's carries the shop's stock figures)."""
    from chalicelib.inventory.catalog import PUBLIC_CACHE_CONTROL

    cache = PUBLIC_CACHE_CONTROL if caller is None else "private, no-store"
    return Response(body, headers={"Cache-Control": cache, "Vary": "Authorization"})


# --- back office: daily reports and reorder suggestions (issue 11 §1-2) -----------------------


@app.route("/reports/daily", methods=["GET"], authorizer=cognito)
def list_daily_reports() -> dict[str, Any]:
    from chalicelib.backoffice import daily
    from chalicelib.core import auth

    auth.require_admin(app.current_request)
    params = app.current_request.query_params or {}
    return daily.list_reports(limit=query_int(params, "limit", 1, 100), cursor=params.get("cursor"))


@app.route("/reports/daily/{date}", methods=["GET"], authorizer=cognito)
def get_daily_report(date: str) -> Response:
    from chalicelib.backoffice import daily
    from chalicelib.core import auth
    from chalicelib.core.errors import ValidationError

    auth.require_admin(app.current_request)
    fmt = (app.current_request.query_params or {}).get("format", "json")
    if fmt == "json":
        return Response(daily.get_report(date))
    if fmt not in daily.DOWNLOADS:
        raise ValidationError("format", "must be json, csv or pdf")
    return Response("", status_code=302, headers={"Location": daily.file_url(date, fmt)})


@app.route("/reports/daily/{date}", methods=["POST"], authorizer=cognito)
def build_daily_report(date: str) -> dict[str, Any]:
    from chalicelib.backoffice import daily
    from chalicelib.core import auth

    admin = auth.require_admin(app.current_request)
    return daily.build(date, actor=admin.actor).report


@app.route("/reports/daily/{date}/files", methods=["GET"], authorizer=cognito)
def daily_report_files(date: str) -> dict[str, Any]:
    from chalicelib.backoffice import daily
    from chalicelib.core import auth

    auth.require_admin(app.current_request)
    return daily.files(date)


@app.route("/reports/reorder", methods=["GET"], authorizer=cognito)
def reorder_suggestions() -> dict[str, Any]:
    from chalicelib.backoffice import daily
    from chalicelib.core import auth
    from chalicelib.core.db import utcnow

    auth.require_admin(app.current_request)
    return daily.reorder_now(utcnow())


# --- back office: catalog CSV export and import (issue 11 §3) -----------------------------------


@app.route("/products/export.csv", methods=["GET"], authorizer=cognito)
def export_catalog() -> Response:
    from chalicelib.backoffice import catalog_io
    from chalicelib.core import auth
    from chalicelib.core.db import business_date, utcnow

    auth.require_admin(app.current_request)
    filename = f"catalog-{business_date(utcnow())}.csv"
    return Response(
        catalog_io.export_csv().encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@app.route("/products/import", methods=["POST"], authorizer=cognito)
def import_catalog() -> dict[str, Any]:
    from chalicelib.backoffice import catalog_io
    from chalicelib.core import auth

    request = app.current_request
    admin = auth.require_admin(request)
    catalog_io.check_media_type(request.headers.get("content-type"))
    mode, dry_run = catalog_io.parse_options(request.query_params or {})
    raw = request.raw_body or b""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return catalog_io.import_csv(data, mode=mode, dry_run=dry_run, actor=admin.actor)


# --- back office: API keys for machine clients (issue 11 §4) ------------------------------------


@app.route("/api-keys", methods=["POST"], authorizer=cognito)
def create_api_key() -> Response:
    from chalicelib.backoffice import api_keys
    from chalicelib.core import auth

    admin = auth.require_admin(app.current_request)
    created = api_keys.create_key(read_json(app.current_request), actor=admin.actor)
    return Response(created, status_code=201, headers={"Location": f"/api-keys/{created['keyId']}"})


@app.route("/api-keys", methods=["GET"], authorizer=cognito)
def list_api_keys() -> dict[str, Any]:
    from chalicelib.backoffice import api_keys
    from chalicelib.core import auth

    auth.require_admin(app.current_request)
    params = app.current_request.query_params or {}
    return api_keys.list_keys(limit=query_int(params, "limit", 1, 100), cursor=params.get("cursor"))


@app.route("/api-keys/{key_id}", methods=["DELETE"], authorizer=cognito)
def revoke_api_key(key_id: str) -> dict[str, Any]:
    from chalicelib.backoffice import api_keys
    from chalicelib.core import auth

    admin = auth.require_admin(app.current_request)
    return api_keys.revoke_key(key_id, actor=admin.actor)


# --- machine clients: the same operations for API keys, under /machine (issue 11 §4) -----------
# API Gateway requires the key on these methods (usage plan: throttle, quota) and the app verifies
# it again (hash, scope, revocation). The browser's routes keep Cognito: API Gateway cannot have
# one method accept "a Cognito token or an API key" (docs/CONTRACTS.md, "Machine clients").


@app.route("/machine/products", methods=["GET"], api_key_required=True)
def machine_list_products() -> Response:
    from chalicelib.backoffice import api_keys
    from chalicelib.inventory import catalog

    api_keys.principal_from_headers(app.current_request.headers, scope=api_keys.CATALOG_READ)
    params = app.current_request.query_params or {}
    page = catalog.list_products(
        limit=query_int(params, "limit", 1, 100),
        cursor=params.get("cursor"),
        query=params.get("q") or None,
        view="admin",
    )
    return Response(page, headers={"Cache-Control": "private, no-store"})


@app.route("/machine/products/{product_id}", methods=["GET"], api_key_required=True)
def machine_get_product(product_id: str) -> dict[str, Any]:
    from chalicelib.backoffice import api_keys
    from chalicelib.inventory import catalog

    api_keys.principal_from_headers(app.current_request.headers, scope=api_keys.CATALOG_READ)
    return catalog.get_product(product_id, "admin")


@app.route("/machine/products/{product_id}/stock/{warehouse_id}", methods=["PUT"], api_key_required=True)
def machine_set_stock_line(product_id: str, warehouse_id: str) -> Response:
    from chalicelib.backoffice import api_keys
    from chalicelib.inventory import stock

    client = api_keys.principal_from_headers(app.current_request.headers, scope=api_keys.STOCK_WRITE)
    line, created = stock.set_line(product_id, warehouse_id, read_json(app.current_request), actor=client.actor)
    headers = {"Location": f"/products/{product_id}/stock/{warehouse_id}"} if created else {}
    return Response({"productId": product_id, **line}, status_code=201 if created else 200, headers=headers)


@app.route("/machine/orders", methods=["POST"], api_key_required=True)
def machine_place_order() -> Response:
    from chalicelib.backoffice import api_keys
    from chalicelib.shop import checkout

    request = app.current_request
    client = api_keys.principal_from_headers(request.headers, scope=api_keys.ORDERS_WRITE)
    order = checkout.place_order(
        read_json(request), client.as_principal(), idempotency_key=request.headers.get("idempotency-key")
    )
    return Response(order, status_code=201, headers={"Location": f"/orders/{order['orderId']}"})


@app.route("/machine/place-order", methods=["POST"], api_key_required=True)
def machine_place_simple_order() -> Response:
    from chalicelib.backoffice import api_keys
    from chalicelib.shop import checkout

    request = app.current_request
    client = api_keys.principal_from_headers(request.headers, scope=api_keys.ORDERS_WRITE)
    order = checkout.place_simple_order(
        read_json(request), client.as_principal(), idempotency_key=request.headers.get("idempotency-key")
    )
    return Response(order, status_code=201, headers={"Location": f"/orders/{order['orderId']}"})


# --- payments (test mode) ------------------------------------------------------------------------


@app.route("/payments/test-cards", methods=["GET"])
def list_test_cards() -> Response:
    """Stripe's test card numbers and the gateway's test tokens, for the storefront's card form
    (which maps a number to its token in the browser: no card number is ever sent)."""
    from chalicelib.shop import payment_cards

    return Response(payment_cards.card_table(), headers={"Cache-Control": "public, max-age=3600"})


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
    """Low-stock crossings, edge-triggered on every stock write, whoever made it: the SNS alert and
    the StockLow domain event."""
    from chalicelib.inventory import alerts

    return alerts.handle_stock_records(event.to_dict()["Records"], event.context)


@app.on_sqs_message(queue_arn=resources.ALERT_EMAILS_QUEUE.arn_ref, batch_size=resources.ALERT_EMAILS_QUEUE.batch_size)
def send_alert_emails(event: SQSEvent) -> dict[str, Any]:
    """E-mail the admins about low-stock crossings: at most one e-mail per digest window."""
    from chalicelib.inventory import alerts

    return alerts.handle_alert_email_messages(event.to_dict()["Records"], event.context)


@app.schedule(
    Rate(1, unit=Rate.HOURS), name="reconcile_stock", description="Repair and record stock edited outside the app"
)
def reconcile_stock(event: Any) -> dict[str, Any]:
    """Find stock items edited outside the app (on_hand != ledger total), repair, record."""
    from chalicelib.inventory import stock

    return stock.reconcile_all(actor="system:reconcile")


# --- back office: the daily sales report (issue 11 §1) -------------------------------------------


@app.schedule(
    Cron(15, "*", "*", "*", "?", "*"),
    name="daily_sales_report",
    description="Build, store and send the previous business day's sales report (acts once per shop day)",
)
def daily_sales_report(event: Any) -> dict[str, Any]:
    """Hourly, because EventBridge's cron is UTC and the shop's midnight moves with its time zone and
    daylight saving time: each run reports the shop's previous day unless that day was sent."""
    from chalicelib.backoffice import daily
    from chalicelib.core.db import utcnow

    return daily.run_scheduled(_event_time(event) or utcnow())


def _event_time(event: Any) -> Any:
    """When EventBridge fired the schedule (a retried invocation keeps its original time)."""
    from datetime import datetime

    raw = getattr(event, "time", None)
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None


# --- order workflow (issue 10 §1, §3, §5) ------------------------------------------------------


@app.route("/orders/{order_id}/receipt", methods=["GET"])
def get_order_receipt(order_id: str) -> Response:
    """The owner, an admin or the order's (or an e-mailed link's) token -> 302 to a short-lived URL."""
    from chalicelib.core import auth
    from chalicelib.orders import fulfilment

    request = app.current_request
    token = request.headers.get("x-order-token") or (request.query_params or {}).get("token")
    location = fulfilment.receipt_location(order_id, auth.optional_principal(request), token)
    return Response("", status_code=302, headers={"Location": location, "Cache-Control": "no-store"})


@app.route("/orders/{order_id}/ship", methods=["POST"], authorizer=cognito)
def ship_order(order_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.orders import fulfilment

    request = app.current_request
    admin = auth.require_admin(request)
    return fulfilment.ship_order(order_id, read_json(request) if request.raw_body else {}, admin=admin)


@app.route("/orders/{order_id}/deliver", methods=["POST"], authorizer=cognito)
def deliver_order(order_id: str) -> dict[str, Any]:
    from chalicelib.core import auth
    from chalicelib.orders import fulfilment

    return fulfilment.deliver_order(order_id, admin=auth.require_admin(app.current_request))


@app.on_dynamodb_record(stream_arn=resources.ORDERS.stream_arn_ref, batch_size=100, starting_position="TRIM_HORIZON")
def start_order_workflows(event: DynamoDBEvent) -> dict[str, Any]:
    """New PLACED orders -> the order_workflow queue."""
    from chalicelib.orders import pipeline

    return pipeline.handle_order_records(event.to_dict()["Records"], event.context)


@app.on_sqs_message(
    queue_arn=resources.ORDER_WORKFLOW_QUEUE.arn_ref, batch_size=resources.ORDER_WORKFLOW_QUEUE.batch_size
)
def run_order_workflows(event: SQSEvent) -> dict[str, Any]:
    """One named Step Functions execution per order and attempt (a duplicate start is harmless)."""
    from chalicelib.orders import pipeline

    return pipeline.handle_workflow_messages(event.to_dict()["Records"], event.context)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="sweep_stuck_orders", description="Restart or expire stuck orders")
def sweep_stuck_orders(event: Any) -> dict[str, Any]:
    from chalicelib.orders import pipeline

    return pipeline.sweep_stuck_orders()


# Tasks of statemachines/order_workflow.asl.json (`${<name>}`), each chalicelib.orders.workflow.<name>
# run traced; module-level functions, because a Lambda handler is `app.<name>`.


@app.lambda_function(name="charge_payment")
def charge_payment(event: dict[str, Any], context: Any) -> Any:
    """ChargePayment: authorize and capture; PLACED -> PAID."""
    from chalicelib.orders import workflow

    return workflow.run_task(workflow.charge_payment, event, context)


@app.lambda_function(name="compensate_payment")
def compensate_payment(event: dict[str, Any], context: Any) -> Any:
    """CompensateChargePayment: PAYMENT_FAILED, reservation released, customer told why."""
    from chalicelib.orders import workflow

    return workflow.run_task(workflow.compensate_payment, event, context)


@app.lambda_function(name="commit_stock")
def commit_stock(event: dict[str, Any], context: Any) -> Any:
    """CommitStock: on_hand -= q, reserved -= q with movements, once."""
    from chalicelib.orders import workflow

    return workflow.run_task(workflow.commit_stock, event, context)


@app.lambda_function(name="store_receipt")
def store_receipt(event: dict[str, Any], context: Any) -> Any:
    """StoreReceipt: the PDF receipt in the private bucket."""
    from chalicelib.orders import workflow

    return workflow.run_task(workflow.store_receipt, event, context)


@app.lambda_function(name="publish_order_notification")
def publish_order_notification(event: dict[str, Any], context: Any) -> Any:
    """PublishOrderNotification: one message on the order_events topic."""
    from chalicelib.orders import workflow

    return workflow.run_task(workflow.publish_order_notification, event, context)


@app.lambda_function(name="email_customer")
def email_customer(event: dict[str, Any], context: Any) -> Any:
    """EmailCustomer: the confirmation e-mail with the receipt attached."""
    from chalicelib.orders import workflow

    return workflow.run_task(workflow.email_customer, event, context)


@app.lambda_function(name="mark_confirmed")
def mark_confirmed(event: dict[str, Any], context: Any) -> Any:
    """MarkConfirmed: PAID -> CONFIRMED."""
    from chalicelib.orders import workflow

    return workflow.run_task(workflow.mark_confirmed, event, context)


@app.lambda_function(name="park_order_workflow")
def park_order_workflow(event: dict[str, Any], context: Any) -> Any:
    """ParkWorkflow: the next attempt into the order_workflow DLQ for redrive."""
    from chalicelib.orders import workflow

    return workflow.run_task(workflow.park_order_workflow, event, context)


# --- domain events (issue 10 §4: the bus, docs/events/) ---------------------------------------


@app.on_dynamodb_record(stream_arn=resources.ORDERS.stream_arn_ref, batch_size=100, starting_position="TRIM_HORIZON")
def publish_order_events(event: DynamoDBEvent) -> dict[str, Any]:
    """Every order status change, as a domain event on the bus (the orders stream is the outbox)."""
    from chalicelib.orders import events

    return events.handle_order_records(event.to_dict()["Records"], event.context)


@app.on_sqs_message(
    queue_arn=resources.PURCHASE_EMAILS_QUEUE.arn_ref, batch_size=resources.PURCHASE_EMAILS_QUEUE.batch_size
)
def send_purchase_emails(event: SQSEvent) -> dict[str, Any]:
    """OrderConfirmed: the admins' purchase notification e-mail, once per order."""
    from chalicelib.orders import purchase_emails

    return purchase_emails.handle_messages(event.to_dict()["Records"], event.context)


@app.on_sqs_message(
    queue_arn=resources.LEDGER_EVENTS_QUEUE.arn_ref, batch_size=resources.LEDGER_EVENTS_QUEUE.batch_size
)
def record_sales(event: SQSEvent) -> dict[str, Any]:
    """Sales events: the sales ledger's records (the daily reports' source)."""
    from chalicelib.orders import ledger_writer

    return ledger_writer.handle_messages(event.to_dict()["Records"], event.context)


@app.on_sqs_message(queue_arn=resources.ORDER_FEED_QUEUE.arn_ref, batch_size=resources.ORDER_FEED_QUEUE.batch_size)
def publish_order_feed(event: SQSEvent) -> dict[str, Any]:
    """Every order event, republished on the order_events topic for outside subscribers."""
    from chalicelib.orders import feed

    return feed.handle_messages(event.to_dict()["Records"], event.context)


logger.debug("app loaded", extra={"routes": len(app.routes)})
