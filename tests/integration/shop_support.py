"""Helpers for the shop's integration tests: a catalog with stock in warehouses at known zip codes,
customers with real (moto-signed) tokens, and JSON calls through the Chalice test client."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from tests.integration.conftest import Cognito

# Warehouses at real ZIP codes: New York, Chicago, Los Angeles.
NYC, CHICAGO, LA = "10001", "60607", "90021"
# Delivery zips: Newark NJ (near New York), Milwaukee (near Chicago), San Diego (near Los Angeles).
NEWARK, MILWAUKEE, SAN_DIEGO = "07102", "53202", "92101"

ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Newark", "zip": NEWARK, "country": "US"}


@dataclass
class Caller:
    """A way to call the API: anonymous, a customer, or an admin."""

    client: Client
    token: str | None = None
    sub: str | None = None
    email: str | None = None

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return {**headers, **(extra or {})}

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        raw = json.dumps(body) if body is not None else None
        response = getattr(self.client.http, method.lower())(path, headers=self.headers(headers), body=raw)
        response.json = json.loads(response.body) if response.body else None
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)


def admin(client: Client, cognito: Cognito) -> Caller:
    return Caller(client, cognito.token(groups=["admin"], email="admin@example.com"), email="admin@example.com")


def customer(client: Client, cognito: Cognito, email: str | None = None) -> Caller:
    sub = str(uuid.uuid4())
    email = email or f"c-{sub[:8]}@example.com"
    return Caller(client, cognito.token(sub=sub, email=email), sub=sub, email=email)


def guest(client: Client) -> Caller:
    return Caller(client)


def warehouse(boss: Caller, warehouse_id: str, zip_code: str, active: bool = True) -> dict[str, Any]:
    response = boss.post("/warehouses", {"warehouseId": warehouse_id, "name": f"{warehouse_id} depot", "zip": zip_code})
    assert response.status_code == 201, response.body
    if not active:
        assert boss.patch(f"/warehouses/{warehouse_id}", {"active": False}).status_code == 200
    return dict(response.json)


def product(boss: Caller, price_cents: int = 1000, stock: dict[str, int] | None = None, name: str = "") -> str:
    """A product with stock per warehouse (the default warehouse `main` gets `stock['main']` or 0)."""
    from chalicelib.core.db import utcnow
    from chalicelib.inventory.models import Stock

    product_id = f"P-{uuid.uuid4().hex[:10]}"
    stock = stock or {}
    body = {
        "productId": product_id,
        "productName": name or f"Product {product_id}",
        "quantity": stock.get("main", 0),
        "threshold": 0,
        "priceCents": price_cents,
    }
    response = boss.post("/products", body)
    assert response.status_code == 201, response.body
    for warehouse_id, quantity in stock.items():
        if warehouse_id == "main":
            continue
        Stock(
            product_id,
            warehouse_id,
            on_hand=quantity,
            reserved=0,
            available=quantity,
            threshold=0,
            version=1,
            updated_at=utcnow(),
        ).save()
    return product_id


def stock_of(product_id: str) -> dict[str, tuple[int, int, int]]:
    """warehouse -> (on_hand, reserved, available), read consistently."""
    from chalicelib.inventory.models import Stock

    return {
        s.warehouse_id: (int(s.on_hand), int(s.reserved), int(s.available))
        for s in Stock.query(product_id, consistent_read=True)
    }


def three_warehouses(boss: Caller) -> None:
    warehouse(boss, "nyc", NYC)
    warehouse(boss, "chi", CHICAGO)
    warehouse(boss, "la", LA)


def order_body(items: list[tuple[str, int]], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "items": [{"productId": p, "quantity": q} for p, q in items],
        "zip": NEWARK,
        "deliveryMethod": "CURBSIDE",
        "shippingAddress": ADDRESS,
        "email": "guest@example.com",
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}
