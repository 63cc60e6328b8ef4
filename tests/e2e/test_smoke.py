"""`make smoke` against the devstack: the checks the deploy workflow runs after every apply."""

from __future__ import annotations

import pytest

from devstack.stack import StackInfo
from tests.smoke import Smoke

pytestmark = pytest.mark.e2e


def _admin(stack: StackInfo) -> dict[str, str]:
    return next(u for u in stack.users if "admin" in u["groups"])


def test_smoke_passes_against_the_devstack(stack: StackInfo) -> None:
    admin = _admin(stack)
    smoke = Smoke(stack.web_url, email=admin["email"], password=admin["password"], user_pool_id=stack.user_pool_id)
    failed = [f"{o.name}: {o.detail}" for o in smoke.run() if not o.ok]
    assert failed == []
    assert [o.name for o in smoke.outcomes] == [
        "site",
        "admin console",
        "api health",
        "config.js",
        "product round trip",
    ]


def test_smoke_fails_on_another_pool_and_a_wrong_password(stack: StackInfo) -> None:
    """It is a real check: a site wired to another pool, or a user who cannot sign in, fails it."""
    admin = _admin(stack)
    smoke = Smoke(stack.web_url, email=admin["email"], password="not-the-password-1A!", user_pool_id="us-east-1_other")
    outcomes = {o.name: o for o in smoke.run()}
    assert not outcomes["config.js"].ok and "us-east-1_other" in outcomes["config.js"].detail
    assert not outcomes["product round trip"].ok
    assert outcomes["site"].ok and outcomes["api health"].ok


def test_smoke_fails_where_a_folder_is_not_served(stack: StackInfo) -> None:
    smoke = Smoke(stack.web_url)
    smoke.check("missing folder", lambda: smoke.page("no-such-folder/"))
    assert not smoke.outcomes[0].ok
