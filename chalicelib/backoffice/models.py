"""The back office's tables: API keys (hashes only), the index of daily reports."""

from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
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
    # The same key registered with API Gateway's usage plan (its throttle and quota), deleted there
    # when the key is revoked; None once deleted (or for a key made before registration existed).
    gateway_key_id = UnicodeAttribute(null=True)


DAILY = "daily"  # the one kind of report so far: the index's partition


class ReportRecord(Model):
    """The index of built reports, one item per business day: what `GET /reports/daily` lists (one
    Query, newest first), where the day's files are (`prefix` in the reports bucket), the figures
    later reports need without reading S3 (net sales for the 14-day chart, units sold per stock line
    for reorder suggestions) and how far the day's notification got.

    Files live under `daily/<date>/<build_id>/`: every build writes its own set, and the index item
    names the newest (a build only replaces an item built from an older read of the ledger: see
    `read_at`), so the files an item names always belong together, whatever builds race.

    Notification (e-mail, SNS) happens once per day: `emailed_at` and `published_at` are set when
    each step has been done; `notify_claimed_at` is a lease one scheduled run takes (a conditional
    write) before doing them, so two runs at once cannot both send.
    """

    class Meta(ModelMeta):
        ref = resources.REPORTS
        table_name = table_name(ref)

    kind = UnicodeAttribute(hash_key=True)  # "daily"
    date = UnicodeAttribute(range_key=True)  # YYYY-MM-DD, the shop's business date
    build_id = UnicodeAttribute()
    prefix = UnicodeAttribute()  # key prefix of the build's files in the reports bucket
    read_at = UTCDateTimeAttribute()  # when this build read the ledger (newer builds win)
    built_at = UTCDateTimeAttribute()
    built_by = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
    currency = UnicodeAttribute()
    ledger_entries = NumberAttribute(default=0)
    orders = NumberAttribute(default=0)
    units = NumberAttribute(default=0)
    gross_cents = NumberAttribute(default=0)
    net_cents = NumberAttribute(default=0)
    # zlib-compressed JSON [[productId, warehouseId, units], ...] of the day's SOLD lines; None when
    # it would not fit in an item (readers then fall back to the sales ledger of that day).
    product_sales = BinaryAttribute(null=True, legacy_encoding=False)
    emailed_at = UTCDateTimeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    notify_claimed_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=0)
