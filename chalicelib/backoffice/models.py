"""The back office's tables: API keys (hashes only)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.db import ModelMeta, table_name


class ApiKey(Model):
    """A machine client's API key. The secret itself is never stored: `secret_hash` is its SHA-256
    (the secret is 256 random bits, so a fast hash is enough: nothing to brute-force), compared in
    constant time. A revoked key keeps its record (`revoked_at`) for the audit trail."""

    class Meta(ModelMeta):
        ref = resources.API_KEYS
        table_name = table_name(ref)

    key_id = UnicodeAttribute(hash_key=True)  # public part of the key, shown in lists
    name = UnicodeAttribute()
    scopes = UnicodeSetAttribute()
    secret_hash = UnicodeAttribute()  # hex SHA-256 of the secret part
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)  # updated at most once a minute
    revoked_at = UTCDateTimeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
