"""One fix to Chalice's local API Gateway emulation (`chalice local` and `chalice.test.Client`).

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
