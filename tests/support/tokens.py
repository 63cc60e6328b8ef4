"""Tokens for tests: moto's Cognito signs with a key it ships; we can mint good and bad ones."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient
from moto.utilities.utils import load_resource


def moto_public_jwks() -> dict[str, Any]:
    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys


def moto_private_jwk() -> dict[str, Any]:
    key: dict[str, Any] = load_resource("cognitoidp/resources/jwks-private.json")
    return key


class StaticJWKS(PyJWKClient):
    """A JWKS client that serves moto's public keys without HTTP (moto's mock intercepts boto, not urllib)."""

    def __init__(self) -> None:
        super().__init__("https://jwks.invalid/keys.json", cache_keys=False)

    def fetch_data(self) -> Any:
        return moto_public_jwks()


def mint(
    *,
    issuer: str,
    client_id: str,
    groups: list[str] | None = None,
    expires_in: int = 3600,
    token_use: str = "id",
    key: Any = None,
    kid: str = "dummy",
    algorithm: str = "RS256",
    **extra: Any,
) -> str:
    """A Cognito-shaped token signed with moto's key (or `key`)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": str(uuid.uuid4()),
        "token_use": token_use,
        "iat": now - 10,
        "auth_time": now - 10,
        "exp": now + expires_in,
        "email": "someone@example.com",
        ("aud" if token_use == "id" else "client_id"): client_id,
    }
    if groups is not None:
        claims["cognito:groups"] = groups
    claims.update(extra)
    if algorithm == "none":
        return jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    signing_key = key if key is not None else jwt.PyJWK(moto_private_jwk()).key
    return jwt.encode(claims, signing_key, algorithm=algorithm, headers={"kid": kid})


def stranger_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
