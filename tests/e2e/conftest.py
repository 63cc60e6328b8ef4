"""The whole devstack for end-to-end tests: emulator, `chalice local`, event runtime, web site.

It runs as a child process (`python -m devstack run` on free ports, state in a temp folder),
because a running stack sets its process's AWS environment, and the rest of the suite (which
shares this process) must keep its own. Tests talk to it over HTTP only: the API, the web site,
and the emulator's AWS API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.env import Ports
from devstack.provision import sign_in
from devstack.runtime import aws_client
from devstack.stack import StackInfo, StackProcess


@pytest.fixture(scope="session")
def stack_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devstack")


@pytest.fixture(scope="session")
def stack(stack_state: Path) -> Iterator[StackInfo]:
    """URLs (web_url, api_url, aws_url), user pool, demo users (email, password, groups)."""
    with StackProcess(Ports.free(), stack_state, demo=False) as info:
        yield info


def _user(stack: StackInfo, admin: bool) -> dict[str, Any]:
    return next(u for u in stack.users if ("admin" in u["groups"]) == admin)


@pytest.fixture(scope="session")
def admin_token(stack: StackInfo) -> str:
    """An admin's ID token from Cognito InitiateAuth (USER_PASSWORD_AUTH) through the emulator."""
    user = _user(stack, admin=True)
    return str(sign_in(stack.aws_url, stack.client_id, user["email"], user["password"])["IdToken"])


@pytest.fixture(scope="session")
def customer_token(stack: StackInfo) -> str:
    user = _user(stack, admin=False)
    return str(sign_in(stack.aws_url, stack.client_id, user["email"], user["password"])["IdToken"])


@pytest.fixture(scope="session")
def aws(stack: StackInfo) -> Callable[[str], Any]:
    """boto3 clients for the stack's emulator: `aws("dynamodb")`."""
    return lambda service: aws_client(service, stack.aws_url)


class Api:
    """The API over HTTP, optionally as a signed-in user."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, f"{self.base}{path}", **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


@pytest.fixture(scope="session")
def api(stack: StackInfo, admin_token: str) -> Api:
    """The API as the demo admin."""
    return Api(stack.api_url, admin_token)


class InboxReader:
    """The devstack's inbox (`/_inbox.json`): what SES sent and SNS published, newest first."""

    def __init__(self, web_url: str) -> None:
        self.web_url = web_url

    def entries(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.web_url}/_inbox.json", timeout=10)
        response.raise_for_status()
        return list(response.json())

    def matching(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [e for e in self.entries() if predicate(e)]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], count: int = 1, timeout: float = 20
    ) -> list[dict[str, Any]]:
        """Wait until at least `count` entries match; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(predicate)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} inbox entries, found {len(found)}: {found}")
            time.sleep(0.25)


@pytest.fixture(scope="session")
def inbox(stack: StackInfo) -> InboxReader:
    return InboxReader(stack.web_url)
