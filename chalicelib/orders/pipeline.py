"""Starting the order workflow (issue 10 §1): orders stream -> `order_workflow` queue -> one Step
Functions execution per order and attempt.

- `start_order_workflows` (orders stream): a new `PLACED` shop order (an INSERT) becomes a message
  `{"orderId", "attempt": 1}` on the queue. A record delivered twice sends a second message, which
  is harmless (below). Anything else in the stream is not ours (the events helper's consumer reacts
  to status changes).
- `run_order_workflows` (the queue): starts the execution named `execution_name(orderId, attempt)`
  with input `{"orderId", "attempt"}`. AWS keeps a Standard execution's name unique for 90 days: a
  second start of the same name and input while it runs returns it, and afterwards answers
  `ExecutionAlreadyExists`, which is this attempt having started already: success. A message that
  is not a workflow start fails on its own (partial batch response) and ends in the DLQ after
  `max_receive_count` receives without blocking the rest.
- `park`: a run that cannot finish after the capture (retries exhausted) is not undone: it sends
  `{"orderId", "attempt": n + 1, "parked": {...}}` straight to the DLQ, whose depth alarms.
  `make redrive QUEUE=order_workflow` (SQS's message move task in AWS) moves it back to the queue,
  which starts attempt n + 1; its tasks skip whatever is done (`orders.progress`).
"""

from __future__ import annotations

import json
import os
from typing import Any

from chalicelib.core import resources
from chalicelib.core.observability import logger, record_context

MAX_ATTEMPTS = 20  # attempts of one order's workflow (restarts and redrives); a bound, not a policy


class NotAWorkflowStart(Exception):
    """A queue message that is not `{"orderId": str, "attempt": int}`: left to the DLQ."""


def execution_name(order_id: str, attempt: int = 1) -> str:
    """The execution of an order's attempt: the order id itself for the first (what a duplicate
    start collides with), `<orderId>.<n>` for a restart or a redrive. Order ids are ULID-like
    (`[0-9A-Za-z_-]`), within Step Functions' 80 characters and allowed set."""
    return order_id if attempt <= 1 else f"{order_id}.{attempt}"


def workflow_input(order_id: str, attempt: int = 1) -> dict[str, Any]:
    return {"orderId": order_id, "attempt": attempt}


def parse_message(body: str) -> tuple[str, int]:
    """`(orderId, attempt)` of a queue message; `NotAWorkflowStart` for anything else."""
    try:
        message = json.loads(body)
    except ValueError:
        raise NotAWorkflowStart("not JSON") from None
    if not isinstance(message, dict):
        raise NotAWorkflowStart("not an object")
    order_id, attempt = message.get("orderId"), message.get("attempt", 1)
    if not isinstance(order_id, str) or not order_id or len(order_id) > 64:
        raise NotAWorkflowStart("orderId is missing")
    if isinstance(attempt, bool) or not isinstance(attempt, int) or not 1 <= attempt <= MAX_ATTEMPTS:
        raise NotAWorkflowStart(f"attempt must be a whole number from 1 to {MAX_ATTEMPTS}")
    return order_id, attempt


def placed_order_id(record: Any) -> str | None:
    """The order id of a stream record that is a new shop order in PLACED; None otherwise."""
    if record.event_name is None or record.event_name.name != "INSERT":
        return None
    image = record.dynamodb.new_image if record.dynamodb else None
    if not image or image.get("status") != "PLACED" or image.get("kind") != "shop":
        return None
    order_id = image.get("order_id")
    return order_id if isinstance(order_id, str) else None


def _sqs() -> Any:
    from chalicelib.core.notifications import _client

    return _client("sqs")


def _sfn() -> Any:
    from chalicelib.core.notifications import _client

    return _client("stepfunctions")


def enqueue(order_id: str, attempt: int = 1) -> None:
    _sqs().send_message(
        QueueUrl=os.environ[resources.ORDER_WORKFLOW_QUEUE.env],
        MessageBody=json.dumps(workflow_input(order_id, attempt)),
    )


def start(order_id: str, attempt: int = 1) -> str:
    """Start the order's attempt; "started" or "already" (the same attempt was started before)."""
    client = _sfn()
    try:
        client.start_execution(
            stateMachineArn=os.environ[resources.ORDER_WORKFLOW.env],
            name=execution_name(order_id, attempt),
            input=json.dumps(workflow_input(order_id, attempt)),
        )
    except client.exceptions.ExecutionAlreadyExists:
        # The name is this attempt's and the input is derived from it alone: the same start.
        logger.info("order workflow already started", extra={"order_id": order_id, "attempt": attempt})
        return "already"
    return "started"


def park(order_id: str, *, attempt: int, failed: dict[str, str]) -> None:
    """Leave the order's next attempt in the DLQ for an operator to redrive (it alarms)."""
    body = {**workflow_input(order_id, min(attempt + 1, MAX_ATTEMPTS)), "parked": failed}
    _sqs().send_message(QueueUrl=os.environ["ORDER_WORKFLOW_DLQ_URL"], MessageBody=json.dumps(body))


def _on_order_record(record: Any) -> None:
    order_id = placed_order_id(record)
    if order_id is not None:
        with record_context(order_id=order_id):
            enqueue(order_id)


def _on_workflow_message(record: Any) -> None:
    with record_context(record_id=record.message_id):
        try:
            order_id, attempt = parse_message(record.body)
        except NotAWorkflowStart as problem:
            logger.error("not an order workflow start: left to the DLQ", extra={"problem": str(problem)})
            raise
        start(order_id, attempt)


def handle_order_records(records: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    """Orders stream batch -> partial batch response."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return dict(
        process_partial_response(
            event={"Records": records},
            record_handler=_on_order_record,
            processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
            context=context,
        )
    )


def handle_workflow_messages(records: list[dict[str, Any]], context: Any = None) -> dict[str, Any]:
    """Workflow queue batch -> partial batch response (a bad message fails alone)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return dict(
        process_partial_response(
            event={"Records": records},
            record_handler=_on_workflow_message,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
    )


# --- the sweeper: orders stuck in PLACED, cancelled orders not settled -------------------------


def sweep_decision(status: str, age_minutes: float, *, stuck_minutes: int, settled: bool) -> str:
    """What the sweeper does with an order older than `stuck_minutes` (pure):

    - PLACED for less than twice `stuck_minutes` -> "restart": start attempt 1 again. If its stream
      record or message was lost, this starts it; if it exists, the start is a harmless duplicate
      (`ExecutionAlreadyExists`). A payment's retries last seconds, so nothing legitimate is
      still PLACED after this long;
    - PLACED for longer -> "expire": cancelled with its stock released (and any authorization
      voided, by the cancel's settlement), the customer told;
    - CANCELLED, not settled -> "settle" (the cancel's refund did not finish);
    - anything else -> "leave" (PAID and later belong to the workflow: parked runs wait for redrive).
    """
    if status == "PLACED":
        return "restart" if age_minutes < 2 * stuck_minutes else "expire"
    if status == "CANCELLED" and not settled:
        return "settle"
    return "leave"


def sweep_stuck_orders(*, now: Any = None) -> dict[str, int]:
    """Every order of today's and yesterday's business days created more than
    `STUCK_ORDER_MINUTES` ago that is still PLACED, or cancelled and not settled."""
    from datetime import timedelta

    from chalicelib.core.config import get_settings
    from chalicelib.core.db import business_date, utcnow
    from chalicelib.orders import cancellation, progress
    from chalicelib.shop.models import DAY_SHARDS, Order

    moment = now or utcnow()
    stuck = get_settings().stuck_order_minutes
    cutoff = moment - timedelta(minutes=stuck)
    days = sorted({business_date(moment), business_date(moment - timedelta(days=1))})
    counts = {"restart": 0, "expire": 0, "settle": 0}
    for day in days:
        for shard in range(DAY_SHARDS):
            for order in Order.by_day.query(
                f"{day}#{shard}",
                Order.created_at < cutoff,
                filter_condition=Order.status.is_in("PLACED", "CANCELLED"),
            ):
                age = (moment - order.created_at).total_seconds() / 60
                settled = progress.done(order, progress.Step.SETTLED)
                decision = sweep_decision(str(order.status), age, stuck_minutes=stuck, settled=settled)
                if decision == "leave":
                    continue
                counts[decision] += 1
                with record_context(order_id=order.order_id):
                    logger.info("stuck order", extra={"decision": decision, "age_minutes": round(age)})
                    if decision == "restart":
                        start(order.order_id, 1)
                    elif decision == "expire":
                        cancellation.cancel_order(
                            order.order_id,
                            None,
                            None,
                            reason="expired: the payment did not complete",
                            actor="system:sweeper",
                            visible=False,
                        )
                    else:
                        cancellation.settle(order.order_id)
    return counts
