"""`make smoke URL=...`: is a deployed Stockroom alive, reachable and wired to its own resources?

    python -m tests.smoke https://d123.cloudfront.net/

Run by the deploy workflow after every apply, and against the devstack in `make test`
(tests/e2e/test_smoke.py), the same checks either way, over HTTP only:

1. the site (`/`) and the admin console (`/admin/`) load: 200 with HTML, not S3's 403;
2. `/api/health` answers `{"status": "ok"}` through the site's origin;
3. `/config.js` names the deployed user pool (SMOKE_USER_POOL_ID, when set, must match);
4. the smoke user signs in through the Cognito endpoint `config.js` names, creates a product,
   reads it back, and deletes it again (needs an admin: SMOKE_EMAIL, SMOKE_PASSWORD).

Each check prints one line; the exit status is the number of failed checks.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests

TIMEOUT = 20


@dataclass
class Outcome:
    name: str
    ok: bool
    detail: str


@dataclass
class Smoke:
    url: str
    email: str | None = None
    password: str | None = None
    user_pool_id: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/") + "/"

    def check(self, name: str, step: Callable[[], str]) -> None:
        try:
            self.outcomes.append(Outcome(name, True, step()))
        except Exception as problem:  # every failure is reported; the run goes on
            self.outcomes.append(Outcome(name, False, f"{type(problem).__name__}: {problem}"))

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(urljoin(self.url, path), timeout=TIMEOUT, allow_redirects=False, **kwargs)

    # --- the checks ---------------------------------------------------------------------------

    def page(self, path: str) -> str:
        response = self.get(path)
        _expect(response.status_code == 200, f"{path} answered {response.status_code}, not 200")
        _expect("html" in response.headers.get("Content-Type", ""), f"{path} is not HTML")
        _expect("<html" in response.text.lower(), f"{path} has no <html> document")
        return f"{path} 200, {len(response.content)} bytes"

    def health(self) -> str:
        response = self.get("api/health")
        _expect(response.status_code == 200, f"/api/health answered {response.status_code}")
        _expect(response.json() == {"status": "ok"}, f"/api/health said {response.text[:200]}")
        return "/api/health ok"

    def config_js(self) -> str:
        response = self.get("config.js")
        _expect(response.status_code == 200, f"/config.js answered {response.status_code}")
        match = re.search(r"STOCKROOM_CONFIG\s*=\s*(\{.*\})\s*;", response.text, re.S)
        _expect(match is not None, "/config.js does not set window.STOCKROOM_CONFIG")
        assert match is not None
        self.config = json.loads(match.group(1))
        pool = self.config.get("userPoolId")
        _expect(bool(pool and self.config.get("clientId")), "config.js names no user pool or client")
        if self.user_pool_id:
            _expect(pool == self.user_pool_id, f"config.js names pool {pool}, the deployment's is {self.user_pool_id}")
        return f"config.js names pool {pool}"

    def product_round_trip(self) -> str:
        _expect(bool(self.email and self.password), "no smoke user (SMOKE_EMAIL, SMOKE_PASSWORD)")
        _expect(bool(self.config), "config.js was not read")
        token = self.sign_in()
        api = urljoin(self.url, self.config.get("apiBase", "/api").lstrip("/") + "/")
        headers = {"Authorization": f"Bearer {token}"}
        product_id = f"smoke-{int(time.time())}-{uuid.uuid4().hex[:6]}"
        body = {"productId": product_id, "productName": "Smoke test", "quantity": 3, "threshold": 1}
        created = self.session.post(api + "products", json=body, headers=headers, timeout=TIMEOUT)
        _expect(created.status_code == 201, f"POST /products answered {created.status_code}: {created.text[:300]}")
        try:
            # Read back as a visitor sees it (the public view names the stock `available`; the
            # admin view `quantity`): the product is live on the site, not only in the table.
            read = self.session.get(api + f"products/{product_id}", timeout=TIMEOUT)
            _expect(read.status_code == 200, f"GET /products/{product_id} answered {read.status_code}")
            seen = read.json()
            _expect(
                seen.get("productName") == "Smoke test" and 3 in (seen.get("available"), seen.get("quantity")),
                f"read back {read.text[:300]}",
            )
        finally:
            deleted = self.session.delete(api + f"products/{product_id}", headers=headers, timeout=TIMEOUT)
        _expect(deleted.status_code == 204, f"DELETE /products/{product_id} answered {deleted.status_code}")
        gone = self.session.get(api + f"products/{product_id}", timeout=TIMEOUT)
        _expect(gone.status_code == 404, f"the deleted product still answers {gone.status_code}")
        return f"signed in as {self.email}; product {product_id} created, read, deleted"

    def sign_in(self) -> str:
        """USER_PASSWORD_AUTH against the Cognito endpoint config.js names, as the site does."""
        endpoint = urljoin(self.url, str(self.config.get("cognitoEndpoint", "")))
        response = self.session.post(
            endpoint,
            data=json.dumps(
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": self.config["clientId"],
                    "AuthParameters": {"USERNAME": self.email, "PASSWORD": self.password},
                }
            ),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            },
            timeout=TIMEOUT,
        )
        _expect(response.status_code == 200, f"sign-in answered {response.status_code}: {response.text[:300]}")
        result = response.json().get("AuthenticationResult")
        _expect(result is not None, f"sign-in needs a challenge: {response.json().get('ChallengeName')}")
        return str(result["IdToken"])

    def run(self) -> list[Outcome]:
        self.check("site", lambda: self.page(""))
        self.check("admin console", lambda: self.page("admin/"))
        self.check("api health", self.health)
        self.check("config.js", self.config_js)
        self.check("product round trip", self.product_round_trip)
        return self.outcomes


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.smoke <site url>   (SMOKE_EMAIL, SMOKE_PASSWORD, SMOKE_USER_POOL_ID)")
        return 2
    smoke = Smoke(
        args[0],
        email=os.environ.get("SMOKE_EMAIL"),
        password=os.environ.get("SMOKE_PASSWORD"),
        user_pool_id=os.environ.get("SMOKE_USER_POOL_ID"),
    )
    failed = 0
    for outcome in smoke.run():
        print(f"{'ok  ' if outcome.ok else 'FAIL'} {outcome.name}: {outcome.detail}")
        failed += not outcome.ok
    return failed


if __name__ == "__main__":
    sys.exit(main())
