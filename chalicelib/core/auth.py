"""Who is calling: Cognito tokens verified by the app itself.

API Gateway's Cognito authorizer checks tokens when deployed, but `chalice local` and the Chalice
test client accept any token, even an unsigned one. So every route that relies on an identity
verifies the token here: RS256 signature against the user pool's JWKS, issuer, audience, token use,
expiry. Only ID tokens: API Gateway's Cognito authorizer, configured without OAuth scopes (app.py),
accepts ID tokens and refuses access tokens, so the app does the same and local behaviour matches.
The JWKS address is configured on its own (`COGNITO_JWKS_URL`): the local emulator serves its keys
at its own address while its tokens name the AWS issuer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice.app import Request

from chalicelib.core.config import get_settings
from chalicelib.core.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from jwt import PyJWKClient

ADMIN_GROUP = "admin"
_jwks_client: PyJWKClient | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling, however they proved it. Services take a Principal, never token claims.

    `kind` is "user" for a Cognito user (a customer, or an admin); other kinds (machine clients
    with API keys) are not customers: they place orders for guests, never own carts or orders.
    """

    subject: str
    email: str | None
    groups: tuple[str, ...]
    kind: str = "user"

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups

    @property
    def customer_id(self) -> str | None:
        """The id a customer's carts and orders are filed under (the Cognito subject), if any."""
        return self.subject if self.kind == "user" else None

    @property
    def actor(self) -> str:
        """How the audit trail names this caller (a machine client by its subject, `apikey:<id>`)."""
        return f"user:{self.email or self.subject}" if self.kind == "user" else self.subject


def get_jwks_client() -> PyJWKClient:
    """The JWKS client, built on first use and reused while warm (it caches the keys)."""
    global _jwks_client
    if _jwks_client is None:
        from jwt import PyJWKClient

        settings = get_settings()
        if not settings.cognito_jwks_url:
            raise Unauthorized("sign-in is not configured on this deployment")
        _jwks_client = PyJWKClient(settings.cognito_jwks_url, cache_keys=True, lifespan=3600, timeout=5)
    return _jwks_client


def set_jwks_client(client: PyJWKClient | None) -> None:
    """Replace the JWKS client (tests), or forget it so the next call builds it from settings."""
    global _jwks_client
    _jwks_client = client


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    token = header[7:] if header[:7].lower() == "bearer " else header
    token = str(token).strip()
    if not token:
        raise Unauthorized("sign in first: this request needs an Authorization header with your token")
    return token


def verify_token(token: str) -> dict[str, Any]:
    """The token's claims if Cognito issued it for our app client and it is still valid."""
    import jwt

    settings = get_settings()
    if not settings.cognito_issuer or not settings.cognito_client_id:
        raise Unauthorized("sign-in is not configured on this deployment")
    try:
        signing_key = get_jwks_client().get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            signing_key.key,
            algorithms=["RS256"],  # never "none", never HMAC with the public key
            issuer=settings.cognito_issuer,
            options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
            leeway=30,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("your session has expired; sign in again") from None
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthorized(f"invalid token ({exc})") from None
    if claims.get("token_use") != "id":
        # What API Gateway's Cognito authorizer (no scopes) answers for an access token too.
        raise Unauthorized("send the ID token from sign-in (IdToken), not the access or refresh token")
    if claims.get("aud") != settings.cognito_client_id:
        raise Unauthorized("invalid token (issued for another client)")
    return claims


def authenticate(request: Request) -> Principal:
    claims = verify_token(bearer_token(request))
    groups = claims.get("cognito:groups") or []
    return Principal(
        subject=str(claims["sub"]),
        email=claims.get("email"),
        groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
    )


def optional_principal(request: Request) -> Principal | None:
    """The caller if the request carries a token (verified: a bad token is 401, never ignored),
    None for an anonymous request. For routes that answer everyone, admins with more."""
    if not str(request.headers.get("authorization", "")).strip():
        return None
    return authenticate(request)


def require_admin(request: Request) -> Principal:
    principal = authenticate(request)
    if not principal.is_admin:
        raise Forbidden("this needs an admin account")
    return principal
