"""API keys for machine clients (tills, marketplaces, ERP sync): issue 11 §4.

A key reads `srk_<keyId>_<secret>`: `keyId` (12 hex digits) is public and names the record; the
secret is 256 random bits (URL-safe base64). Only the secret's SHA-256 is stored and it is
compared in constant time; the key itself is shown once, when it is created.

Verification reads the record on every request (strongly consistent: a revocation holds from the
next request on) and answers:
- no header, a malformed key, an unknown key id, a wrong secret -> 401 Unauthorized ("invalid API key",
  the same words for each, so a caller learns nothing about which part was wrong);
- a revoked key (with its right secret) -> 401 Unauthorized ("revoked");
- a valid key without the route's scope -> 403 Forbidden, naming the scope.

Deployed, API Gateway checks the key too, on the `/machine/...` routes (`api_key_required`): each
key is registered with the machine clients' usage plan (its throttle and quota per key) when it is
created, and deleted from API Gateway when it is revoked. API Gateway must compare the value, so it
keeps one (readable only with IAM rights on API Gateway); this table keeps only the hash. The
registration comes first: a key whose record could not be written afterwards is deleted again, so
no record ever names a key the gateway refuses, and a key the gateway knows without a record is
refused by the app.

`last used` is kept without a write per request: the record read for verification carries the last
use, and only when that is at least a minute old is it updated, by a conditional write that a
concurrent request updating it first makes fail harmlessly. So at most about one write a minute per
key, whatever the traffic and however many Lambdas serve it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.core import validation
from chalicelib.core.errors import Forbidden, NotFound, Unauthorized, ValidationError

if TYPE_CHECKING:
    from chalicelib.core.auth import Principal

KEY_PREFIX = "srk"
KEY_ID_HEX_DIGITS = 12
SECRET_BYTES = 32  # 256 bits
HEADER = "X-Api-Key"

ORDERS_WRITE = "orders:write"
STOCK_WRITE = "stock:write"
CATALOG_READ = "catalog:read"
SCOPES = (ORDERS_WRITE, STOCK_WRITE, CATALOG_READ)

LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_NAME_LENGTH = 100
_INVALID = "invalid API key"
# Compared against when the key id is unknown, so that path does the same work as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


# --- pure parts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedKey:
    key_id: str
    secret: str

    @property
    def value(self) -> str:
        """The whole key, as the client sends it in `X-Api-Key`."""
        return f"{KEY_PREFIX}_{self.key_id}_{self.secret}"

    @property
    def secret_hash(self) -> str:
        return hash_secret(self.secret)


def generate_key() -> GeneratedKey:
    return GeneratedKey(key_id=secrets.token_hex(KEY_ID_HEX_DIGITS // 2), secret=secrets.token_urlsafe(SECRET_BYTES))


def hash_secret(secret: str) -> str:
    # A fast hash is right here: the secret has 256 bits of entropy, so there is nothing to
    # brute-force (a slow password hash would only slow every machine request down).
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(value: str) -> tuple[str, str]:
    """`srk_<keyId>_<secret>` -> (keyId, secret); anything else is an invalid key."""
    prefix, _, rest = value.strip().partition("_")
    key_id, _, secret = rest.partition("_")  # the secret may itself contain "_"
    if (
        prefix != KEY_PREFIX
        or len(key_id) != KEY_ID_HEX_DIGITS
        or any(c not in "0123456789abcdef" for c in key_id)
        or len(secret) < 40
        or len(secret) > 64
    ):
        raise Unauthorized(_INVALID)
    return key_id, secret


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def last_use_due(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a request at `now` should record itself as the key's last use."""
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """A machine client, as routes see a caller (`subject`, `actor`, `is_admin` like core.auth's)."""

    key_id: str
    name: str
    scopes: frozenset[str]

    @property
    def subject(self) -> str:
        return f"apikey:{self.key_id}"

    @property
    def actor(self) -> str:
        """How the audit trail (movements, status history) names this caller."""
        return f"apikey:{self.key_id}"

    @property
    def is_admin(self) -> bool:
        return False

    def as_principal(self) -> Principal:
        """The caller as the services take one: a machine client (`kind` "apikey") is never a
        customer (no carts or order history of its own) and never an admin."""
        from chalicelib.core.auth import Principal

        return Principal(subject=self.subject, email=None, groups=(), kind="apikey")

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this API key lacks the scope {scope}", scope=scope)


def validate_new_key(body: Mapping[str, Any]) -> tuple[str, frozenset[str]]:
    """`{name, scopes}` of `POST /api-keys`, each problem a 400 naming the field."""
    validation.reject_unknown(dict(body), {"name", "scopes"})
    name = validation.text(dict(body), "name", max_length=MAX_NAME_LENGTH)
    assert name is not None
    scopes = body.get("scopes")
    if scopes is None:
        raise ValidationError("scopes", "is required")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise ValidationError("scopes", f"must be a non-empty list of {', '.join(SCOPES)}")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError("scopes", f"unknown scope {unknown[0]} (known: {', '.join(SCOPES)})")
    return name, frozenset(scopes)


# --- the service ----------------------------------------------------------------------------------


def key_payload(key: Any) -> dict[str, Any]:
    from chalicelib.core.db import iso

    return {
        "keyId": key.key_id,
        "name": key.name,
        "scopes": sorted(key.scopes),
        "status": "revoked" if key.revoked_at else "active",
        "createdAt": iso(key.created_at),
        "createdBy": key.created_by,
        "lastUsedAt": iso(key.last_used_at) if key.last_used_at else None,
        "revokedAt": iso(key.revoked_at) if key.revoked_at else None,
    }


def create_key(body: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
    """`POST /api-keys` -> the key's record plus `apiKey`, the key itself, shown this once."""
    from pynamodb.exceptions import PutError

    from chalicelib.backoffice.models import ApiKey
    from chalicelib.core.db import utcnow
    from chalicelib.core.observability import logger

    name, scopes = validate_new_key(body)
    for _attempt in range(3):
        generated = generate_key()
        gateway_key_id = gateway().register(generated.key_id, generated.value, name=name)
        key = ApiKey(
            generated.key_id,
            name=name,
            scopes=set(scopes),
            secret_hash=generated.secret_hash,
            created_at=utcnow(),
            created_by=actor,
            gateway_key_id=gateway_key_id,
        )
        try:
            # 48-bit ids practically never collide; if one does, the guard keeps the older key.
            key.save(condition=ApiKey.key_id.does_not_exist())
        except PutError as exc:
            gateway().delete(gateway_key_id)  # the record never existed: neither may the key
            if exc.cause_response_code == "ConditionalCheckFailedException":
                continue
            raise
        except BaseException:
            gateway().delete(gateway_key_id)
            raise
        logger.info("api key created", extra={"key_id": key.key_id, "scopes": sorted(scopes), "actor": actor})
        return {**key_payload(key), "apiKey": generated.value}
    raise RuntimeError("could not find a free API key id")  # pragma: no cover


def list_keys(*, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
    """`GET /api-keys`: every key, newest first within the page, never a secret or its hash."""
    from chalicelib.backoffice.models import ApiKey
    from chalicelib.core.config import get_settings
    from chalicelib.core.db import decode_cursor, encode_cursor

    result = ApiKey.scan(limit=limit or get_settings().page_size, last_evaluated_key=decode_cursor(cursor, {"key_id"}))
    keys = sorted(result, key=lambda k: (k.created_at, k.key_id), reverse=True)
    return {"items": [key_payload(k) for k in keys], "nextCursor": encode_cursor(result.last_evaluated_key)}


def revoke_key(key_id: str, *, actor: str) -> dict[str, Any]:
    """`DELETE /api-keys/{keyId}`: refused from the next request on. Revoking twice is harmless
    (the first revocation's time and author stay), and finishes removing the key from API Gateway
    if the first revocation could not."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.backoffice.models import ApiKey
    from chalicelib.core.db import utcnow
    from chalicelib.core.observability import logger

    if len(key_id) != KEY_ID_HEX_DIGITS or any(c not in "0123456789abcdef" for c in key_id):
        raise ValidationError("keyId", f"must be the {KEY_ID_HEX_DIGITS} hex digits of a key id")
    try:
        key = ApiKey.get(key_id, consistent_read=True)
    except ApiKey.DoesNotExist:
        raise NotFound(f"no API key {key_id}", keyId=key_id) from None
    if key.revoked_at is None:
        try:
            key.update(
                actions=[ApiKey.revoked_at.set(utcnow()), ApiKey.revoked_by.set(actor)],
                condition=ApiKey.key_id.exists() & ApiKey.revoked_at.does_not_exist(),
            )
            logger.info("api key revoked", extra={"key_id": key_id, "actor": actor})
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            key.refresh(consistent_read=True)  # revoked meanwhile by someone else
    # The app refuses the key from now on (the record says revoked); API Gateway next. If that
    # fails, the key stays refused here and the next DELETE tries again.
    if key.gateway_key_id:
        try:
            gateway().delete(key.gateway_key_id)
            key.update(
                actions=[ApiKey.gateway_key_id.remove()],
                condition=ApiKey.gateway_key_id == key.gateway_key_id,
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        except Exception as exc:  # the revocation itself holds; log what is left to do
            logger.warning("revoked key still registered with API Gateway", extra={"key_id": key_id, "error": str(exc)})
    return key_payload(key)


def verify(value: str | None, *, scope: str) -> ApiKeyPrincipal:
    """The machine client an `X-Api-Key` value stands for, if it may use `scope`."""
    from chalicelib.backoffice.models import ApiKey
    from chalicelib.core.db import utcnow

    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")  # a programming error in a route, not a 4xx
    if not value or not value.strip():
        raise Unauthorized(f"this request needs an {HEADER} header with your API key")
    key_id, secret = parse_key(value)
    try:
        key = ApiKey.get(key_id, consistent_read=True)
    except ApiKey.DoesNotExist:
        secret_matches(secret, _DUMMY_HASH)
        raise Unauthorized(_INVALID) from None
    if not secret_matches(secret, key.secret_hash):
        raise Unauthorized(_INVALID)
    if key.revoked_at is not None:
        raise Unauthorized("this API key was revoked")
    principal = ApiKeyPrincipal(key_id=key.key_id, name=key.name, scopes=frozenset(key.scopes))
    principal.require(scope)
    now = utcnow()
    if last_use_due(key.last_used_at, now):
        _record_use(key, now)
    return principal


def _record_use(key: Any, now: datetime) -> None:
    """Set `last_used_at`, unless another request did within the last minute (then do nothing)."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.backoffice.models import ApiKey
    from chalicelib.core.observability import logger

    try:
        key.update(
            actions=[ApiKey.last_used_at.set(now)],
            condition=ApiKey.key_id.exists()
            & (ApiKey.last_used_at.does_not_exist() | (ApiKey.last_used_at <= now - LAST_USED_RESOLUTION)),
        )
    except UpdateError as exc:
        # Someone recorded a use first, or the write failed: the request itself is authorised either
        # way, and "last used" is a convenience, not worth refusing a till's order for.
        if exc.cause_response_code != "ConditionalCheckFailedException":
            logger.warning("could not record API key use", extra={"key_id": key.key_id, "error": str(exc)})


def principal_from_headers(headers: Mapping[str, str], *, scope: str) -> ApiKeyPrincipal:
    """For a route: the caller of a request carrying `X-Api-Key` (header names in any case)."""
    value = next((v for k, v in headers.items() if k.lower() == HEADER.lower()), None)
    return verify(value, scope=scope)


def has_api_key(headers: Mapping[str, str]) -> bool:
    """Whether a request tries API-key authentication (routes that also take Cognito tokens ask)."""
    return any(k.lower() == HEADER.lower() for k in headers)


# --- API Gateway's copy of the keys -----------------------------------------------------------


class Gateway:
    """The machine clients' usage plan in API Gateway: registers and deletes keys.

    The plan is found by its name (settings `machine_usage_plan_name`, from the stage) and its id
    kept while warm. Deleting a key that is already gone is not an error (a retried revocation)."""

    def __init__(self, client: Any = None) -> None:
        self._client = client
        self._plan_id: str | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            from chalicelib.core.config import get_settings

            self._client = boto3.client("apigateway", region_name=get_settings().region)
        return self._client

    def plan_id(self) -> str:
        from chalicelib.core.config import get_settings

        if self._plan_id is None:
            name = get_settings().machine_usage_plan_name
            if not name:
                raise RuntimeError("MACHINE_USAGE_PLAN_NAME is not set: the stage must name the usage plan")
            for page in self.client.get_paginator("get_usage_plans").paginate():
                found = next((p["id"] for p in page.get("items", []) if p.get("name") == name), None)
                if found:
                    self._plan_id = str(found)
                    break
            else:
                raise RuntimeError(f"no API Gateway usage plan named {name}")
        return self._plan_id

    def register(self, key_id: str, value: str, *, name: str) -> str:
        """Create the key in API Gateway with the app's value and add it to the plan; its gateway id."""
        plan = self.plan_id()
        created = self.client.create_api_key(
            name=f"stockroom-{key_id}",
            description=f"Stockroom API key {key_id} ({_ascii(name)})"[:120],
            enabled=True,
            value=value,
        )
        gateway_id = str(created["id"])
        try:
            self.client.create_usage_plan_key(usagePlanId=plan, keyId=gateway_id, keyType="API_KEY")
        except BaseException:
            self.delete(gateway_id)
            raise
        return gateway_id

    def delete(self, gateway_key_id: str) -> None:
        try:
            self.client.delete_api_key(apiKey=gateway_key_id)
        except self.client.exceptions.NotFoundException:
            pass


def _ascii(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


_gateway: Gateway | None = None


def gateway() -> Gateway:
    """The usage-plan adapter, built on first use (no AWS client at import)."""
    global _gateway
    if _gateway is None:
        _gateway = Gateway()
    return _gateway


def set_gateway(value: Gateway | None) -> None:
    """Replace the adapter (tests), or forget it so the next use builds it from settings."""
    global _gateway
    _gateway = value
