"""Seed 000 end to end, over HTTP against the running devstack.

Every assertion goes through the real path: `chalice local` for the API, the emulator's streams,
the event runtime, SNS -> SQS -> the alert e-mail handler -> SES, and the inbox.
"""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import moto.cognitoidp
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.env import PROJECT_DIR, stage_environment
from devstack.stack import StackInfo
from tests.e2e.conftest import Api, InboxReader

pytestmark = pytest.mark.timeout(180)

STOCK_TABLE = stage_environment()["STOCK_TABLE"]
ADMIN_EMAIL = stage_environment()["ADMIN_EMAILS"].split(",")[0]


def new_id() -> str:
    digits = uuid.uuid4().int
    return f"{digits % 1000:03d}.{digits // 1000 % 1000:03d}.{digits // 10**6 % 100:02d}"


def create(api: Api, quantity: int, threshold: int, name: str | None = None) -> dict[str, Any]:
    product_id = new_id()
    body = {
        "productId": product_id,
        "productName": name or f"Test product {product_id}",
        "quantity": quantity,
        "threshold": threshold,
        "description": "made by the e2e tests",
        "priceCents": 1999,
    }
    response = api.post("/products", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def order(api: Api, product_id: str, quantity: int) -> requests.Response:
    return api.post("/inventory-order", json={"productId": product_id, "quantity": quantity})


def alerts_for(inbox: InboxReader, product_id: str, kind: str) -> list[dict[str, Any]]:
    return inbox.matching(lambda e: e["kind"] == kind and product_id in e["text"])


def settle(seconds: float = 2.0) -> None:
    """Give the stream and queue pollers time to deliver anything still in flight."""
    time.sleep(seconds)


# --- the seed flow -----------------------------------------------------------------------------


def test_products_and_inventory_orders(api: Api) -> None:
    product = create(api, quantity=10, threshold=2, name="Seed flow lamp")
    product_id = product["productId"]
    assert product["quantity"] == 10 and product["productName"] == "Seed flow lamp"

    listed: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.get("/products", params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        listed += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert any(p["productId"] == product_id and p["quantity"] == 10 for p in listed)

    placed = order(api, product_id, 3)
    assert placed.status_code == 201, placed.text
    assert placed.json()["productId"] == product_id and placed.json()["quantity"] == 3 and placed.json()["orderId"]
    assert api.get(f"/products/{product_id}").json()["quantity"] == 7

    too_many = order(api, product_id, 8)
    assert too_many.status_code == 409
    assert too_many.json()["error"] == "InsufficientStock" and too_many.json()["available"] == 7
    assert api.get(f"/products/{product_id}").json()["quantity"] == 7

    unknown = order(api, "no-such-product", 1)
    assert unknown.status_code == 404
    assert api.get("/products/no-such-product").status_code == 404


# --- low-stock alerts --------------------------------------------------------------------------


def test_low_stock_alert_travels_the_real_path_once_per_crossing(api: Api, inbox: InboxReader) -> None:
    product_id = create(api, quantity=10, threshold=5, name="Alert path chair")["productId"]
    assert order(api, product_id, 4).status_code == 201  # 6 left: not low yet
    assert order(api, product_id, 2).status_code == 201  # 4 left: crosses below 5

    emails = inbox.wait_for(lambda e: e["kind"] == "email" and product_id in e["text"])
    email = emails[0]
    assert ADMIN_EMAIL in email["to"] and "Alert path chair" in email["subject"]
    assert email["html"] and "Alert path chair" in email["html"]
    notification = inbox.wait_for(lambda e: e["kind"] == "sns" and product_id in e["text"])[0]
    assert notification["topic_arn"].endswith(":stockroom-local-low-stock")
    payload = json.loads(notification["text"])
    assert payload["productId"] == product_id and payload["available"] == 4 and payload["threshold"] == 5

    assert order(api, product_id, 1).status_code == 201  # still low: no new crossing
    settle()
    assert len(alerts_for(inbox, product_id, "email")) == 1
    assert len(alerts_for(inbox, product_id, "sns")) == 1

    # Restocked above the threshold, then below again: a second crossing, a second alert.
    assert api.request("PATCH", f"/products/{product_id}", json={"quantity": 9}).status_code == 200
    assert order(api, product_id, 6).status_code == 201
    inbox.wait_for(lambda e: e["kind"] == "email" and product_id in e["text"], count=2)
    settle()
    assert len(alerts_for(inbox, product_id, "email")) == 2


def test_alert_for_a_write_made_outside_the_app(api: Api, inbox: InboxReader, aws: Any) -> None:
    product_id = create(api, quantity=10, threshold=5, name="Direct write rug")["productId"]
    aws("dynamodb").update_item(
        TableName=STOCK_TABLE,
        Key={"product_id": {"S": product_id}, "warehouse_id": {"S": "main"}},
        UpdateExpression="SET available = :n, on_hand = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    email = inbox.wait_for(lambda e: e["kind"] == "email" and product_id in e["text"])[0]
    assert "Direct write rug" in email["subject"]
    inbox.wait_for(lambda e: e["kind"] == "sns" and product_id in e["text"])
    settle()
    assert len(alerts_for(inbox, product_id, "email")) == 1


def test_inbox_pages(stack: StackInfo, api: Api, inbox: InboxReader) -> None:
    product_id = create(api, quantity=3, threshold=2, name="Inbox page mirror")["productId"]
    assert order(api, product_id, 2).status_code == 201
    email = inbox.wait_for(lambda e: e["kind"] == "email" and product_id in e["text"])[0]
    listing = requests.get(f"{stack.web_url}/_inbox", timeout=10)
    assert listing.status_code == 200 and "Inbox page mirror" in listing.text
    detail = requests.get(f"{stack.web_url}/_inbox/{email['id']}", timeout=10)
    assert detail.status_code == 200 and ADMIN_EMAIL in detail.text
    body = requests.get(f"{stack.web_url}/_inbox/{email['id']}.html", timeout=10)
    assert body.status_code == 200 and "Inbox page mirror" in body.text
    assert "sandbox" in body.headers["Content-Security-Policy"]


# --- concurrency -------------------------------------------------------------------------------


def test_concurrent_orders_never_oversell(api: Api, admin_token: str) -> None:
    product_id = create(api, quantity=20, threshold=0)["productId"]

    def one(_: int) -> int:
        client = Api(api.base, admin_token)  # one connection per caller, as separate clients
        return order(client, product_id, 1).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(one, range(50)))
    assert statuses.count(201) == 20, statuses
    assert statuses.count(409) == 30, statuses
    product = api.get(f"/products/{product_id}").json()
    assert product["quantity"] == 0
    assert product["stock"][0]["onHand"] == 0 and product["stock"][0]["available"] == 0


# --- authentication ----------------------------------------------------------------------------


def _claims(stack: StackInfo, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{stack.user_pool_id}",
        "sub": str(uuid.uuid4()),
        "aud": stack.client_id,
        "token_use": "id",
        "email": "intruder@example.com",
        "cognito:groups": ["admin"],
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    return claims


def _emulator_key() -> Any:
    """The private key the emulator signs its tokens with (it ships inside moto)."""
    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    key = json.loads(gzip.decompress(path.read_bytes()))
    jwk = key["keys"][0] if "keys" in key else key
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))


def _unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'dummy'})}.{part(claims)}."


def test_tokens_are_verified_by_the_running_api(stack: StackInfo, customer_token: str) -> None:
    api = Api(stack.api_url)
    body = {"productId": new_id(), "productName": "Forged", "quantity": 1, "threshold": 0}

    def status(token: str | None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return api.post("/products", json=body, headers=headers).status_code

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expired = _claims(stack, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)

    assert status(None) == 401
    assert status(_unsigned(_claims(stack))) == 401
    assert status(jwt.encode(_claims(stack), other_key, algorithm="RS256", headers={"kid": "dummy"})) == 401
    assert status(jwt.encode(expired, _emulator_key(), algorithm="RS256", headers={"kid": "dummy"})) == 401
    assert (
        status(
            jwt.encode(
                _claims(stack, aud="another-client"), _emulator_key(), algorithm="RS256", headers={"kid": "dummy"}
            )
        )
        == 401
    )
    assert status("not.a.token") == 401  # chalice local's own authorizer would answer 500
    assert status("garbage") == 401
    assert status(customer_token) == 403
    # Control: the same construction, valid and unexpired, is accepted, so the 401s above are
    # for the signature, the algorithm, the expiry and the audience, not for the construction.
    assert status(jwt.encode(_claims(stack), _emulator_key(), algorithm="RS256", headers={"kid": "dummy"})) == 201


def test_cors_preflight_for_the_configured_origin(stack: StackInfo) -> None:
    # The stack runs on free ports: the allowed origin is the site's, not config.json's 8080.
    assert not stack.web_url.endswith(":8080")
    response = requests.options(
        f"{stack.api_url}/products",
        headers={"Origin": stack.web_url, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == stack.web_url
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]


# --- the web site ------------------------------------------------------------------------------


def test_web_site_config_and_same_origin_proxies(stack: StackInfo) -> None:
    config = requests.get(f"{stack.web_url}/config.js", timeout=10).text
    assert stack.user_pool_id in config and stack.client_id in config and '"/api"' in config
    assert requests.get(f"{stack.web_url}/api/health", timeout=10).json() == {"status": "ok"}
    user = next(u for u in stack.users if "admin" in u["groups"])
    signed_in = requests.post(
        f"{stack.web_url}/_aws/cognito-idp/",
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            "Content-Type": "application/x-amz-json-1.1",
        },
        data=json.dumps(
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": stack.client_id,
                "AuthParameters": {"USERNAME": user["email"], "PASSWORD": user["password"]},
            }
        ),
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["AuthenticationResult"]["IdToken"]
    products = requests.get(f"{stack.web_url}/api/products", headers={"Authorization": token}, timeout=10)
    assert products.status_code == 200 and "items" in products.json()
    assert requests.get(f"{stack.web_url}/", timeout=10).status_code == 200


# --- make fire ---------------------------------------------------------------------------------


def fire(stack_state: Path, handler: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", "fire", handler, "--state-dir", str(stack_state)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_fire_reconcile_stock_through_the_cli(api: Api, aws: Any, stack_state: Path) -> None:
    product_id = create(api, quantity=10, threshold=0)["productId"]
    # Someone counts the shelf and edits the table by hand: on_hand 14, available left at 10.
    aws("dynamodb").update_item(
        TableName=STOCK_TABLE,
        Key={"product_id": {"S": product_id}, "warehouse_id": {"S": "main"}},
        UpdateExpression="SET on_hand = :n",
        ExpressionAttributeValues={":n": {"N": "14"}},
    )
    done = fire(stack_state, "reconcile_stock")
    assert done.returncode == 0, done.stdout + done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["ok"] and outcome["handler"] == "reconcile_stock" and outcome["result"]["repaired"] >= 1
    stock = api.get(f"/products/{product_id}").json()["stock"][0]
    assert (stock["onHand"], stock["available"]) == (14, 14)
    movements = api.get(f"/products/{product_id}/movements").json()["items"]
    assert sum(m.get("onHandDelta", 0) for m in movements) == 14

    unknown = fire(stack_state, "no_such_handler")
    assert unknown.returncode == 1 and "reconcile_stock" in unknown.stdout
