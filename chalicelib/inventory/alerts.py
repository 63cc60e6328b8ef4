"""Low-stock alerts: the stock stream says what changed, the threshold rule says whether it is a
crossing, and each crossing is announced exactly once, however often its record is delivered.

    stock table --stream--> on_stock_change --publish--> low_stock topic --> alert_emails queue
                                    \\                            \\--> admin e-mail subscribers
                                     \\--PutEvents--> bus: StockLow (domain events, docs/events/)
    alert_emails queue --> send_alert_emails --collect--> digest window --flush--SES--> admins

A crossing is identified by the stream record's sequence number (stable across redeliveries): the
SNS publish and the collection into a digest window are wrapped in Powertools idempotency records
keyed on it, so a retried batch or a duplicated message does not alert twice; the StockLow event
carries it as its `eventId` (published at least once; consumers dedupe). The admins' e-mails go
out at most one per digest window (`inventory.digests`): one crossing gives the usual alert,
a burst one digest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.core import observability, resources
from chalicelib.core.config import get_settings
from chalicelib.core.db import iso, utcnow
from chalicelib.core.observability import logger, record_context
from chalicelib.core.resources import EVENT_SCHEMA_VERSION, INVENTORY_EVENTS_SOURCE
from chalicelib.inventory import digests
from chalicelib.inventory.thresholds import StockLevel, crossed_below, level_from_image

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from chalicelib.core.events import DomainEvent

ALERT_EVENT = "LowStock"
STOCK_LOW = "StockLow"  # the crossing's domain event on the bus
IDEMPOTENCY_WINDOW = timedelta(days=7)
ALERT_KEY = "alertId"
DIGEST_KEY = "digestId"


@cache
def _idempotency_config(key: str = ALERT_KEY) -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath=key,
        expires_after_seconds=int(IDEMPOTENCY_WINDOW.total_seconds()),
        raise_on_no_idempotency_key=True,
    )


@cache
def _idempotent(function: Callable[..., Any], key: str = ALERT_KEY) -> Callable[..., Any]:
    """`function(alert=...)` made idempotent on `alert[key]` (built on first use: cold start).

    A record is IN_PROGRESS while the function runs, COMPLETED after; an exception deletes it so a
    retry runs the function again. With the Lambda context registered, an IN_PROGRESS record left by
    an invocation that timed out expires with that invocation instead of blocking retries.
    """
    import os

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    persistence = DynamoDBPersistenceLayer(table_name=os.environ[resources.IDEMPOTENCY.env])
    wrapped: Callable[..., Any] = idempotent_function(
        data_keyword_argument="alert", persistence_store=persistence, config=_idempotency_config(key)
    )(function)
    return wrapped


def _register(context: Any) -> None:
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        for key in (ALERT_KEY, DIGEST_KEY):
            _idempotency_config(key).register_lambda_context(context)


def crossing_alert(record: DynamoDBRecord) -> dict[str, Any] | None:
    """The alert a stream record calls for, or None (see `thresholds` for INSERT and REMOVE)."""
    change = record.dynamodb
    if change is None:
        return None
    # Powertools gives a missing image as {} (not None): level_from_image maps it to None.
    old, new = level_from_image(change.old_image), level_from_image(change.new_image)
    if new is None or not crossed_below(old, new):
        return None
    image = change.new_image
    created = change.approximate_creation_date_time
    # When the stock was written (the record's time, the same on every delivery), not when read.
    detected = datetime.fromtimestamp(created, UTC) if created is not None else utcnow()
    return _alert(str(image["product_id"]), str(image["warehouse_id"]), new, str(change.sequence_number), detected)


def _alert(
    product_id: str, warehouse_id: str, level: StockLevel, sequence_number: str, detected: datetime
) -> dict[str, Any]:
    return {
        "type": ALERT_EVENT,
        "alertId": f"low-stock#{product_id}#{warehouse_id}#{sequence_number}",
        "productId": product_id,
        "warehouseId": warehouse_id,
        "available": level.available,
        "threshold": level.threshold,
        "detectedAt": iso(detected),
    }


def stock_low_event(alert: dict[str, Any]) -> DomainEvent:
    """The crossing as a domain event (docs/events/StockLow.v1.schema.json); its `eventId` is the
    alert's id, deterministic per stream record."""
    from chalicelib.core.events import DomainEvent, parse_time

    detail = {
        "schemaVersion": EVENT_SCHEMA_VERSION,
        "eventId": alert["alertId"],
        "occurredAt": alert["detectedAt"],
        "productId": alert["productId"],
        "productName": alert["productName"],
        "warehouseId": alert["warehouseId"],
        "available": alert["available"],
        "threshold": alert["threshold"],
    }
    return DomainEvent(INVENTORY_EVENTS_SOURCE, STOCK_LOW, detail, parse_time(alert["detectedAt"]))


def publish_event(alert: dict[str, Any]) -> None:
    """Put the crossing's StockLow event on the bus; raises if the bus did not take it (the record
    fails and is retried; the SNS publish before it is not repeated)."""
    from chalicelib.core import events

    failed = events.publish([stock_low_event(alert)])
    if failed:
        raise RuntimeError(f"StockLow {alert['alertId']} not published: {failed[0].code} {failed[0].message}")


def _product_name(product_id: str) -> str:
    from chalicelib.inventory.models import Product

    try:
        return str(Product.get(product_id).name)
    except Product.DoesNotExist:
        return product_id


def publish_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """Announce one crossing on the low-stock topic (call through `_idempotent`)."""
    message_id = _publish(alert)
    logger.info("low-stock alert published", extra={"alert_id": alert["alertId"], "sns_message_id": message_id})
    return {"messageId": message_id}


def _publish(alert: dict[str, Any]) -> str:
    from chalicelib.core import notifications

    return notifications.publish(
        topic_arn=get_settings().low_stock_topic_arn,
        subject=notifications.sns_subject(f"Low stock: {alert['productName']} ({alert['available']} left)"),
        payload=alert,
        email_text=notifications.render("low_stock_alert.txt", alert=alert),
        event_type=ALERT_EVENT,
    )


def email_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """E-mail one alert to the admins (the only crossing of its digest window)."""
    from chalicelib.core import notifications

    recipients = get_settings().admin_emails
    if not recipients:
        logger.warning("no ADMIN_EMAILS configured; low-stock e-mail not sent", extra={"alert_id": alert["alertId"]})
        return {"messageId": None}
    message_id = notifications.send_email(
        to=recipients,
        subject=notifications.one_line(f"Low stock: {alert['productName']} has {alert['available']} left"),
        html=notifications.render("low_stock_alert.html", alert=alert, site=get_settings().site_origin),
        text=notifications.render("low_stock_alert.txt", alert=alert),
    )
    logger.info("low-stock e-mail sent", extra={"alert_id": alert["alertId"], "ses_message_id": message_id})
    observability.count(observability.ALERTS_SENT)
    return {"messageId": message_id}


def email_digest(alerts: list[dict[str, Any]], window: digests.Window) -> dict[str, Any]:
    """E-mail the admins one list of the crossings of a digest window."""
    from chalicelib.core import notifications

    recipients = get_settings().admin_emails
    if not recipients:
        logger.warning("no ADMIN_EMAILS configured; low-stock digest not sent", extra={"digest_id": window.digest_id})
        return {"messageId": None}
    context = {
        "alerts": alerts,
        "site": get_settings().site_origin,
        "digest_id": window.digest_id,
        "window_seconds": window.seconds,
        "window_start": f"{window.start:%Y-%m-%d %H:%M:%S}",
        "window_end": f"{window.end:%Y-%m-%d %H:%M:%S}",
    }
    message_id = notifications.send_email(
        to=recipients,
        subject=notifications.one_line(f"Low stock: {len(alerts)} items below their thresholds"),
        html=notifications.render("low_stock_digest.html", **context),
        text=notifications.render("low_stock_digest.txt", **context),
    )
    logger.info(
        "low-stock digest sent",
        extra={"digest_id": window.digest_id, "crossings": len(alerts), "ses_message_id": message_id},
    )
    observability.count(observability.ALERTS_SENT, len(alerts))  # crossings reported, as one e-mail each counts
    return {"messageId": message_id, "crossings": len(alerts)}


def collect_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """Add one crossing to its digest window (call through `_idempotent`: once per alert)."""
    return {"digestId": digests.collect(alert)}


def flush_digest(alert: dict[str, Any]) -> dict[str, Any]:
    """Close a digest window and e-mail its crossings: one alone as the usual alert, several as
    one digest (call through `_idempotent(..., DIGEST_KEY)`: once per window). `alert` is the
    due message (named so for the idempotency wrapper)."""
    window = digests.window_of_due(alert)
    crossings = digests.close(window)
    if not crossings:
        return {"messageId": None, "crossings": 0}
    if len(crossings) == 1:
        return {**email_alert(crossings[0]), "crossings": 1}
    return email_digest(crossings, window)


def _on_stock_record(record: DynamoDBRecord) -> None:
    with record_context(record_id=record.event_id):
        alert = crossing_alert(record)
        if alert is not None:
            alert = {**alert, "productName": _product_name(alert["productId"])}
            _idempotent(publish_alert)(alert=alert)
            publish_event(alert)


def _on_alert_message(record: SQSRecord) -> None:
    with record_context(record_id=record.message_id):
        _email_from_message(record)


class UnrecognisedMessage(Exception):
    """A queue message that is not a low-stock alert. Raised, not ignored: the message fails,
    returns to the queue and ends in the dead-letter queue, where someone can inspect it."""


def _email_from_message(record: SQSRecord) -> None:
    envelope = json.loads(record.body)
    # Subscribed without raw delivery: the SNS envelope carries our JSON in "Message".
    message = json.loads(envelope["Message"]) if isinstance(envelope, dict) and "TopicArn" in envelope else envelope
    if isinstance(message, dict) and message.get("type") == digests.DUE_EVENT:
        try:
            window = digests.window_of_due(message)
        except (KeyError, ValueError) as exc:
            raise UnrecognisedMessage(f"message {record.message_id}: {exc}") from None
        if digests.due_now(window):
            _idempotent(flush_digest, DIGEST_KEY)(alert=message)
        return
    is_alert = isinstance(message, dict) and message.get("type") == ALERT_EVENT
    if not is_alert or not isinstance(message.get(ALERT_KEY), str):
        logger.error("not a low-stock alert: left to the dead-letter queue", extra={"message_id": record.message_id})
        raise UnrecognisedMessage(f"message {record.message_id} is not a low-stock alert")
    _idempotent(collect_alert)(alert=message)


def handle_stock_records(records: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    """Stream batch -> partial batch response (failed records are retried, the rest are done)."""
    _register(context)
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    response: dict[str, Any] = dict(
        process_partial_response(
            event={"Records": records},
            record_handler=_on_stock_record,
            processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
            context=context,
        )
    )
    failures: list[Any] = response.get("batchItemFailures", [])
    observability.count(observability.RECORDS_FAILED, len(failures))
    return response


def handle_alert_email_messages(records: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    """SQS batch -> partial batch response (failed messages return to the queue, then the DLQ)."""
    _register(context)
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    response: dict[str, Any] = dict(
        process_partial_response(
            event={"Records": records},
            record_handler=_on_alert_message,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
    )
    failures: list[Any] = response.get("batchItemFailures", [])
    observability.count(observability.RECORDS_FAILED, len(failures))
    return response
