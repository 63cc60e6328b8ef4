"""The API in this process: `chalice.test.Client` on moto's in-process mock, provisioned as the
devstack is, with an admin token. For the benchmarks that count AWS requests per operation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def in_process_api(env: dict[str, str] | None = None) -> Iterator[tuple[Any, dict[str, str]]]:
    """Yield `(client, admin_headers)`; `env`: the stage environment to run under (default: as set)."""
    os.environ.update(env or {})
    from chalice.test import Client
    from moto import mock_aws

    from devstack.chalice_patch import patch_chalice_local

    with mock_aws():
        from chalicelib.core import auth
        from chalicelib.core.config import reset_settings
        from devstack.provision import provision
        from tests.support.tokens import StaticJWKS, mint

        provisioned = provision(None)  # type: ignore[arg-type]  # None: moto's in-process mock
        os.environ.update(COGNITO_USER_POOL_ID=provisioned.user_pool_id, COGNITO_CLIENT_ID=provisioned.client_id)
        reset_settings()
        auth.set_jwks_client(StaticJWKS())
        issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{provisioned.user_pool_id}"
        token = mint(issuer=issuer, client_id=provisioned.client_id, groups=["admin"])
        admin = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        from app import app

        patch_chalice_local()
        with Client(app, stage_name="local") as client:
            yield client, admin
