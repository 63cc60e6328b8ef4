"""Idempotency records, shared by request idempotency and Powertools' idempotent functions.

Request idempotency (`Idempotency-Key` header): the record is written *inside* the business
transaction, guarded by "absent or expired", so the effect and the record commit together or not
at all. A cancelled transaction whose record condition failed means the request was already
carried out: `replay` returns the original response (or 422 if the key was used for another body).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.db import ModelMeta, table_name
from chalicelib.core.errors import IdempotencyKeyReused
from chalicelib.core.observability import logger

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

REQUEST_TTL = timedelta(hours=24)


class IdempotencyRecord(Model):
    """Idempotency records, in the layout of Powertools' DynamoDB persistence layer.

    Shared by request idempotency (`Idempotency-Key` header, written inside the business
    transaction) and Powertools' `idempotent_function` (event handlers).
    """

    class Meta(ModelMeta):
        ref = resources.IDEMPOTENCY
        table_name = table_name(ref)

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)


def fingerprint(request: dict[str, Any]) -> str:
    """A stable digest of a request's meaningful content."""
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def claim_in(
    tx: TransactWrite, record_id: str, request_fingerprint: str, response: dict[str, Any], *, now: datetime
) -> None:
    """Add the request's idempotency record to the business transaction `tx`.

    Guarded by "absent or expired": a live record for this key means the request was carried out
    already, so the whole transaction is cancelled (`Cancelled.failed(IdempotencyRecord)`) and the
    caller answers with `replay(record_id, request_fingerprint)` instead.
    """
    tx.save(
        IdempotencyRecord(
            record_id,
            status="COMPLETED",
            data=json.dumps({"fingerprint": request_fingerprint, "status": 201, "body": response}),
            expiration=now + REQUEST_TTL,
        ),
        condition=IdempotencyRecord.id.does_not_exist() | (IdempotencyRecord.expiration < now),
    )


def replay(record_id: str, request_fingerprint: str) -> dict[str, Any]:
    """The response stored with an idempotency record, if it was for the same request."""
    record = IdempotencyRecord.get(record_id, consistent_read=True)
    stored = json.loads(record.data or "{}")
    if stored.get("fingerprint") != request_fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
    logger.info("idempotent replay", extra={"idempotency_record": record_id})
    body: dict[str, Any] = stored["body"]
    return body
