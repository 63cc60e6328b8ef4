"""Two fixes to `chalice local` (the first also applies to `chalice.test.Client`).

For a Cognito-authorized route, Chalice's local authorizer base64-decodes the bearer token's
payload to fake API Gateway's claims, and a malformed token (`not.a.token`) makes it raise: the
caller gets a 500 where API Gateway would answer 401. We let such a request through with no
claims instead; the app verifies every token itself (`chalicelib.core.auth`) and answers 401.
The local authorizer accepts anything anyway, so this admits nothing that was refused before.
"""

from __future__ import annotations

from typing import Any


def patch_local_authorizer() -> None:
    from chalice.local import LocalGatewayAuthorizer

    original = LocalGatewayAuthorizer._decode_jwt_payload
    if getattr(original, "_stockroom_patched", False):
        return

    def decode(self: Any, jwt: str) -> dict[str, Any]:
        try:
            claims = original(self, jwt)
        except (ValueError, IndexError, TypeError):
            return {}
        return claims if isinstance(claims, dict) else {}

    decode._stockroom_patched = True  # type: ignore[attr-defined]
    LocalGatewayAuthorizer._decode_jwt_payload = decode  # type: ignore[method-assign]


def patch_stage_environment() -> None:
    """The stage's loopback origins follow the site's port (`devstack.env.port_overrides`).

    `chalice local` copies the stage's variables from config.json over the process environment
    before importing app.py, so the devstack cannot set them from outside; this corrects them as
    they are copied.
    """
    from chalice.cli.factory import CLIFactory

    from devstack.env import Ports, port_overrides

    original = CLIFactory.load_chalice_app
    if getattr(original, "_stockroom_patched", False):
        return

    def load_chalice_app(self: Any, environment_variables: Any = None, validate_feature_flags: Any = True) -> Any:
        if environment_variables is not None:
            environment_variables = dict(environment_variables)
            environment_variables.update(port_overrides(environment_variables, Ports.from_env()))
        return original(self, environment_variables, validate_feature_flags)

    load_chalice_app._stockroom_patched = True  # type: ignore[attr-defined]
    CLIFactory.load_chalice_app = load_chalice_app  # type: ignore[method-assign]
