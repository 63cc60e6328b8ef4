"""API keys against the emulated table: only a hash stored, shown once, 401/403 as documented,
revocation at once, `last used` at most one write a minute."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from bench.aws_calls import count_aws_calls
from chalicelib.backoffice import api_keys
from chalicelib.core import db
from chalicelib.core.errors import Forbidden, NotFound, Unauthorized, ValidationError
from tests.integration.conftest import env

ADMIN = "user:owner@example.com"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(db, "utcnow", clock)
    yield clock


def raw_item(key_id: str) -> dict[str, object]:
    table = boto3.resource("dynamodb").Table(env("API_KEYS_TABLE"))
    return dict(table.get_item(Key={"key_id": key_id}, ConsistentRead=True)["Item"])


def test_a_key_is_shown_once_and_only_its_hash_is_stored(clock: Clock) -> None:
    created = api_keys.create_key({"name": "Till 1", "scopes": ["orders:write", "catalog:read"]}, actor=ADMIN)
    value = created["apiKey"]
    key_id, secret = api_keys.parse_key(value)
    assert created["keyId"] == key_id and value.startswith(f"srk_{key_id}_")
    assert len(secret) >= 43  # 256 bits, URL-safe base64
    stored = raw_item(key_id)
    assert secret not in json.dumps(stored, default=str) and value not in json.dumps(stored, default=str)
    assert stored["secret_hash"] == api_keys.hash_secret(secret)
    assert created["scopes"] == ["catalog:read", "orders:write"] and created["status"] == "active"
    listed = api_keys.list_keys()["items"]
    assert [k["keyId"] for k in listed] == [key_id]
    assert "apiKey" not in listed[0] and "secretHash" not in listed[0] and "secret_hash" not in listed[0]
    # A refused request writes nothing.
    with pytest.raises(ValidationError) as caught:
        api_keys.create_key({"name": "x", "scopes": ["orders:write", "admin"]}, actor=ADMIN)
    assert caught.value.details["field"] == "scopes"
    assert boto3.client("dynamodb").scan(TableName=env("API_KEYS_TABLE"))["Count"] == 1


def test_verification(clock: Clock) -> None:
    value = api_keys.create_key({"name": "ERP", "scopes": ["stock:write"]}, actor=ADMIN)["apiKey"]
    principal = api_keys.verify(value, scope="stock:write")
    assert principal.name == "ERP" and principal.actor.startswith("apikey:") and not principal.is_admin

    with pytest.raises(Forbidden, match="lacks the scope orders:write") as forbidden:
        api_keys.verify(value, scope="orders:write")
    assert forbidden.value.status == 403 and forbidden.value.details == {"scope": "orders:write"}

    key_id, secret = api_keys.parse_key(value)
    wrong_secret = f"srk_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    unknown_id = f"srk_{'0' * 12}_{secret}"
    for bad in (wrong_secret, unknown_id, "srk_short_x", "Bearer abc", value + "x" * 30, f"xyz_{key_id}_{secret}"):
        with pytest.raises(Unauthorized, match=r"^invalid API key$"):
            api_keys.verify(bad, scope="stock:write")
    for missing in (None, "", "   "):
        with pytest.raises(Unauthorized, match="X-Api-Key"):
            api_keys.verify(missing, scope="stock:write")
    with pytest.raises(ValueError, match="unknown scope"):
        api_keys.verify(value, scope="admin")
    # As a route reads it: the header in any case.
    assert api_keys.principal_from_headers({"x-api-key": value}, scope="stock:write").name == "ERP"
    assert api_keys.principal_from_headers({"X-API-KEY": value}, scope="stock:write").name == "ERP"
    with pytest.raises(Unauthorized):
        api_keys.principal_from_headers({"authorization": "Bearer x"}, scope="stock:write")


def test_revocation_is_effective_at_once_and_idempotent(clock: Clock) -> None:
    value = api_keys.create_key({"name": "POS", "scopes": ["orders:write"]}, actor=ADMIN)["apiKey"]
    key_id, _ = api_keys.parse_key(value)
    api_keys.verify(value, scope="orders:write")
    revoked = api_keys.revoke_key(key_id, actor=ADMIN)
    assert revoked["status"] == "revoked" and revoked["revokedAt"] == "2025-03-14T12:00:00.000Z"
    with pytest.raises(Unauthorized, match="revoked"):
        api_keys.verify(value, scope="orders:write")
    clock.now += timedelta(hours=1)
    again = api_keys.revoke_key(key_id, actor="user:someone-else@example.com")
    assert again["revokedAt"] == revoked["revokedAt"]  # the first revocation stands
    assert raw_item(key_id)["revoked_by"] == ADMIN
    with pytest.raises(NotFound):
        api_keys.revoke_key("000000000000", actor=ADMIN)


def test_last_use_is_written_at_most_once_a_minute(clock: Clock) -> None:
    value = api_keys.create_key({"name": "Till", "scopes": ["catalog:read"]}, actor=ADMIN)["apiKey"]
    key_id, _ = api_keys.parse_key(value)
    assert "last_used_at" not in raw_item(key_id)

    def updates(calls: int) -> int:
        with count_aws_calls() as counted:
            for _ in range(calls):
                api_keys.verify(value, scope="catalog:read")
        return counted["dynamodb.UpdateItem"]

    assert updates(1) == 1  # first use
    first_use = api_keys.list_keys()["items"][0]["lastUsedAt"]
    assert first_use == "2025-03-14T12:00:00.000Z"
    clock.now += timedelta(seconds=30)
    assert updates(20) == 0  # within the minute: reads only
    clock.now += timedelta(seconds=30)
    assert updates(20) == 1  # a minute after the last recorded use
    assert api_keys.list_keys()["items"][0]["lastUsedAt"] == "2025-03-14T12:01:00.000Z"


def test_concurrent_first_uses_record_once(clock: Clock) -> None:
    value = api_keys.create_key({"name": "Busy till", "scopes": ["catalog:read"]}, actor=ADMIN)["apiKey"]
    errors: list[BaseException] = []

    def use() -> None:
        try:
            api_keys.verify(value, scope="catalog:read")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with count_aws_calls() as counted:
        threads = [threading.Thread(target=use) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    # Each request may try (they all read "never used"), but the conditional write lets the rest
    # fail harmlessly: the value is one instant, and no request was refused.
    assert 1 <= counted["dynamodb.UpdateItem"] <= 8
    assert api_keys.list_keys()["items"][0]["lastUsedAt"] == "2025-03-14T12:00:00.000Z"
