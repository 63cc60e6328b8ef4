"""API keys' pure parts: the key's shape, hashing, the request body, when a use is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.backoffice import api_keys
from chalicelib.core.errors import Forbidden, Unauthorized, ValidationError


def test_generated_keys_parse_back_and_are_unique() -> None:
    keys = [api_keys.generate_key() for _ in range(500)]
    assert len({k.key_id for k in keys}) == 500 and len({k.secret for k in keys}) == 500
    for key in keys:
        assert api_keys.parse_key(key.value) == (key.key_id, key.secret)  # even with "_" in the secret
        assert len(key.secret) >= 43  # >= 256 bits as URL-safe base64 (>= 128 required)
        assert api_keys.secret_matches(key.secret, key.secret_hash)
        assert not api_keys.secret_matches(key.secret + "x", key.secret_hash)
    assert any("_" in k.secret for k in keys)


@pytest.mark.parametrize(
    "value",
    ["", "srk", "srk_", "srk_abc_def", "SRK_0123456789ab_" + "a" * 43, "srk_0123456789AB_" + "a" * 43,
     "srk_0123456789ab_short", "sk_0123456789ab_" + "a" * 43, "srk_0123456789ab_" + "a" * 65],
)  # fmt: skip
def test_malformed_keys_are_invalid(value: str) -> None:
    with pytest.raises(Unauthorized, match=r"^invalid API key$"):
        api_keys.parse_key(value)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["orders:write"]}, "name"),
        ({"name": "  ", "scopes": ["orders:write"]}, "name"),
        ({"name": "x" * 101, "scopes": ["orders:write"]}, "name"),
        ({"name": 5, "scopes": ["orders:write"]}, "name"),
        ({"name": "x"}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": "orders:write"}, "scopes"),
        ({"name": "x", "scopes": ["orders:write", "admin"]}, "scopes"),
        ({"name": "x", "scopes": [1]}, "scopes"),
        ({"name": "x", "scopes": ["orders:write"], "secret": "mine"}, "secret"),
    ],
)
def test_bad_request_bodies_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        api_keys.validate_new_key(body)
    assert caught.value.details["field"] == field and caught.value.status == 400


def test_a_good_body() -> None:
    name, scopes = api_keys.validate_new_key({"name": " Till 1 ", "scopes": ["orders:write", "orders:write"]})
    assert (name, scopes) == ("Till 1", frozenset({"orders:write"}))


def test_a_use_is_recorded_at_most_once_a_minute() -> None:
    now = datetime(2025, 3, 14, 12, tzinfo=UTC)
    assert api_keys.last_use_due(None, now)
    assert not api_keys.last_use_due(now - timedelta(seconds=59), now)
    assert api_keys.last_use_due(now - timedelta(seconds=60), now)


def test_scopes_of_a_principal() -> None:
    principal = api_keys.ApiKeyPrincipal("0123456789ab", "Till", frozenset({"orders:write"}))
    principal.require("orders:write")
    with pytest.raises(Forbidden, match="stock:write"):
        principal.require("stock:write")
    assert principal.actor == "apikey:0123456789ab" and not principal.is_admin


def test_has_api_key() -> None:
    assert api_keys.has_api_key({"X-Api-Key": ""}) and api_keys.has_api_key({"x-api-key": "k"})
    assert not api_keys.has_api_key({"authorization": "Bearer x"})
