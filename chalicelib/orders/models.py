"""The orders capability's tables: the simulated payment gateway's payments."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.db import ModelMeta, table_name


class Payment(Model):
    """What the simulated card processor keeps: one item per payment (`pi_...`) and one per refund
    (`re_...`). Ids derive from the caller's idempotency key, so the conditional put of a new item
    is also the idempotency check: a replay finds its item and gets the recorded outcome.

    Payment statuses: PENDING (request taken, no outcome yet) -> AUTHORIZED | DECLINED;
    AUTHORIZED -> CAPTURED | VOIDED; CAPTURED -> REFUNDED once `refunded_cents` reaches
    `captured_cents` (partial refunds keep CAPTURED). Refund items are SUCCEEDED.
    No card number is ever stored: only the token, the brand and the last four digits.
    """

    class Meta(ModelMeta):
        ref = resources.PAYMENTS
        table_name = table_name(ref)

    payment_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # "payment" | "refund"
    order_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute()  # digest of the request that created the item
    status = UnicodeAttribute()
    amount_cents = NumberAttribute()  # authorized amount, or the refund's amount
    currency = UnicodeAttribute()
    token = UnicodeAttribute(null=True)
    card_brand = UnicodeAttribute(null=True)
    card_last4 = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)  # authorization requests seen under this key
    decline_code = UnicodeAttribute(null=True)
    captured_cents = NumberAttribute(default=0)
    capture_key = UnicodeAttribute(null=True)
    void_key = UnicodeAttribute(null=True)
    refunded_cents = NumberAttribute(default=0)
    refund_of = UnicodeAttribute(null=True)  # refunds: the payment refunded
    reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
