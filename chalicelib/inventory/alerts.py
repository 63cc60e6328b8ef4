"""Low-stock alerts: the stock stream says what changed, the threshold rule says whether it is a
crossing, and each crossing is announced exactly once, however often its record is delivered.

    stock table --stream--> on_stock_change --publish--> low_stock topic --> alert_emails queue
                                                                   \\--> admin e-mail subscribers
    alert_emails queue --> send_alert_emails --SES--> admins

A crossing is identified by the stream record's sequence number (stable across redeliveries), and
both the publish and the e-mail are wrapped in Powertools idempotency records keyed on it: a
retried batch or a duplicated message does not alert twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.core import observability, resources
from chalicelib.core.config import get_settings
from chalicelib.core.db import iso, utcnow
from chalicelib.core.observability import logger, record_context
from chalicelib.inventory.thresholds import StockLevel, crossed_below, level_from_image

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

ALERT_EVENT = "LowStock"
IDEMPOTENCY_WINDOW = timedelta(days=7)


@cache
def _idempotency_config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="alertId",
        expires_after_seconds=int(IDEMPOTENCY_WINDOW.total_seconds()),
        raise_on_no_idempotency_key=True,
    )


@cache
def _idempotent(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function(alert=...)` made idempotent on `alert["alertId"]` (built on first use: cold start).

    A record is IN_PROGRESS while the function runs, COMPLETED after; an exception deletes it so a
    retry runs the function again. With the Lambda context registered, an IN_PROGRESS record left by
    an invocation that timed out expires with that invocation instead of blocking retries.
    """
    import os

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    persistence = DynamoDBPersistenceLayer(table_name=os.environ[resources.IDEMPOTENCY.env])
    wrapped: Callable[..., Any] = idempotent_function(
        data_keyword_argument="alert", persistence_store=persistence, config=_idempotency_config()
    )(function)
    return wrapped


def _register(context: Any) -> None:
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        _idempotency_config().register_lambda_context(context)


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
    return _alert(str(image["product_id"]), str(image["warehouse_id"]), new, str(change.sequence_number))


def _alert(product_id: str, warehouse_id: str, level: StockLevel, sequence_number: str) -> dict[str, Any]:
    return {
        "type": ALERT_EVENT,
        "alertId": f"low-stock#{product_id}#{warehouse_id}#{sequence_number}",
        "productId": product_id,
        "warehouseId": warehouse_id,
        "available": level.available,
        "threshold": level.threshold,
        "detectedAt": iso(utcnow()),
    }


def _product_name(product_id: str) -> str:
    from chalicelib.inventory.models import Product

    try:
        return str(Product.get(product_id).name)
    except Product.DoesNotExist:
        return product_id


def publish_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """Announce one crossing on the low-stock topic (call through `_idempotent`)."""
    alert = {**alert, "productName": _product_name(alert["productId"])}
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
    """E-mail one alert to the admins (call through `_idempotent`)."""
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


def _on_stock_record(record: DynamoDBRecord) -> None:
    with record_context(record_id=record.event_id):
        alert = crossing_alert(record)
        if alert is not None:
            _idempotent(publish_alert)(alert=alert)


def _on_alert_message(record: SQSRecord) -> None:
    with record_context(record_id=record.message_id):
        _email_from_message(record)


class UnrecognisedMessage(Exception):
    """A queue message that is not a low-stock alert. Raised, not ignored: the message fails,
    returns to the queue and ends in the dead-letter queue, where someone can inspect it."""


def _email_from_message(record: SQSRecord) -> None:
    envelope = json.loads(record.body)
    # Subscribed without raw delivery: the SNS envelope carries our JSON in "Message".
    alert = json.loads(envelope["Message"]) if isinstance(envelope, dict) and "TopicArn" in envelope else envelope
    if not isinstance(alert, dict) or alert.get("type") != ALERT_EVENT or not isinstance(alert.get("alertId"), str):
        logger.error("not a low-stock alert: left to the dead-letter queue", extra={"message_id": record.message_id})
        raise UnrecognisedMessage(f"message {record.message_id} is not a low-stock alert")
    _idempotent(email_alert)(alert=alert)


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
