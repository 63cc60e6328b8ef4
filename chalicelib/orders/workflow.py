"""The order workflow's tasks, run by Step Functions (`statemachines/order_workflow.asl.json`), each
written next to its compensation, as the ASL names them:

    ChargePayment -> CommitStock -> StoreReceipt -> PublishOrderNotification -> EmailCustomer -> MarkConfirmed
      |                 |              |                |                          |
      | declined,       | (after the capture nothing is undone, never a silent refund:
      | refused,        |  CommitStock or MarkConfirmed failing after its retries parks the run in the
      | unreachable     |  order_workflow DLQ, which alarms, for redrive; StoreReceipt, the notification
      v                 v  and the e-mail failing are noted, the order goes on to CONFIRMED and the
    CompensateChargePayment    run is parked afterwards so the failed step is done on redrive)
      release the reservation, PAYMENT_FAILED, void any authorization, e-mail the customer why

Every task takes `{"orderId", "attempt"}` and is idempotent: it reads the order (strongly
consistent) and does only what is not done yet (`orders.progress`), so Step Functions' retries, a
duplicate start, a restart by the sweeper and a redrive all converge on one outcome. A task that
finds the order closed by someone else (cancelled by its customer, failed elsewhere) raises
`OrderClosed`, which the ASL catches to end the run quietly: the cancel settles the money itself.

Error names are exception class names (Lambda reports them so): transient ones are retried by the
ASL (`TRANSIENT`), permanent payment errors are caught by the compensation, anything else after the
capture parks the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.core.config import get_settings
from chalicelib.core.db import Cancelled, transact, utcnow
from chalicelib.core.errors import InvalidTransition, PaymentStateError, StockroomError
from chalicelib.core.observability import logger, record_context
from chalicelib.orders import progress
from chalicelib.orders.progress import Step
from chalicelib.orders.status import OrderStatus, is_at_or_past

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

ACTOR = "system:workflow"
PAYMENT_FAILED_REASON = "We could not take the payment for this order."


class OrderClosed(Exception):
    """The order was cancelled or failed by someone else while its workflow ran; the run ends."""


class PaymentCapturedUnrecorded(Exception):
    """The compensation found the order's payment captured: it must not be marked failed (the
    money would be lost); the run is parked and a redrive finishes ChargePayment instead."""


class StockCommitRefused(Exception):
    """The paid order's reserved stock could not be committed (an invariant broke): parked."""


# --- instrumentation: Powertools Tracer and Metrics around every task ----------------------------


@cache
def _tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer(service="stockroom")  # off outside Lambda (chalice local, tests, the devstack)


def count(name: str, value: int = 1) -> None:
    """A business metric, flushed at once as one EMF log line (no API call, no IAM grant):
    `single_metric` keeps no state between calls, so concurrent tasks in one process (the devstack
    runs them in threads) cannot mix their figures."""
    import os

    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Stockroom"
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=namespace) as metric:
        metric.add_dimension(name="service", value="stockroom")


def run_task(task: Callable[[dict[str, Any], Any], dict[str, Any]], event: dict[str, Any], context: Any) -> Any:
    """Run one task as a Lambda handler: traced (an X-Ray subsegment per task, annotated with the
    order, and its AWS calls when deployed), its log lines tagged with the order and the task."""
    tracer = _tracer()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        order_id = str(event.get("orderId", ""))
        tracer.put_annotation(key="orderId", value=order_id)
        with record_context(order_id=order_id, task=task.__name__):
            return task(event, context)

    return tracer.capture_lambda_handler(handler)(event, context)


def _order_id(event: dict[str, Any]) -> str:
    from chalicelib.core.errors import ValidationError

    order_id = event.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise ValidationError("orderId", "is required")
    return order_id


def _closed(order: Any) -> OrderClosed:
    return OrderClosed(f"order {order.order_id} is {order.status}")


# --- ChargePayment, and its compensation ---------------------------------------------------------


def charge_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Authorize and capture the order's total; the order becomes PAID.

    The authorization is recorded on the order (`payment_reference`, guarded on PLACED) before the
    capture, so a cancel that commits from then on knows there is money to give back, and one that
    committed before makes this task void its own authorization. Capture and void are each
    guarded by the gateway on AUTHORIZED, so exactly one of them wins a race; the cancel's
    settlement refunds a capture that won. Every gateway call carries the order's idempotency key:
    whatever is retried, the card is charged at most once.
    """
    from pynamodb.exceptions import UpdateError

    from chalicelib.orders import payments
    from chalicelib.orders.transitions import apply_transition
    from chalicelib.shop.models import Order
    from chalicelib.shop.payment_cards import DEFAULT_TOKEN

    order_id = _order_id(event)
    order = progress.load(order_id)
    if is_at_or_past(order.status, OrderStatus.PAID):
        return {"outcome": str(OrderStatus.PAID), "paymentId": order.payment_reference}
    if order.status != OrderStatus.PLACED:
        raise _closed(order)
    gateway = payments.get_gateway()
    waiting = get_settings().payment_timeout_seconds
    left = payments.seconds_left(context, margin=2.0)
    authorization = gateway.authorize(
        order_id=order_id,
        amount_cents=int(order.total_cents),
        currency=order.currency or get_settings().currency,
        token=order.payment_token or DEFAULT_TOKEN,
        idempotency_key=payments.order_key(order_id, "authorize"),
        timeout=waiting if left is None else min(waiting, left),
    )
    try:
        Order(order_id).update(
            actions=[
                Order.payment_reference.set(authorization.payment_id),
                Order.payment_card.set(authorization.card.label),
                Order.updated_at.set(utcnow()),
            ],
            condition=(Order.status == OrderStatus.PLACED)
            & (Order.payment_reference.does_not_exist() | (Order.payment_reference == authorization.payment_id)),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        order = progress.load(order_id)
        if is_at_or_past(order.status, OrderStatus.PAID):
            return {"outcome": str(OrderStatus.PAID), "paymentId": order.payment_reference}
        # Closed before it knew of this authorization: nobody else will release it.
        _void_quietly(order_id, authorization.payment_id)
        raise _closed(order) from None
    try:
        gateway.capture(payment_id=authorization.payment_id, idempotency_key=payments.order_key(order_id, "capture"))
    except PaymentStateError:
        order = progress.load(order_id)
        if order.status in (OrderStatus.CANCELLED, OrderStatus.PAYMENT_FAILED):
            raise _closed(order) from None  # the cancel voided it first: nothing was charged
        raise
    try:
        apply_transition(order_id, OrderStatus.PAID, actor=ACTOR)
    except InvalidTransition as refused:
        if is_at_or_past(refused.current, OrderStatus.PAID):
            return {"outcome": str(OrderStatus.PAID), "paymentId": authorization.payment_id}
        # Cancelled between the capture and this write: its settlement refunds the capture.
        raise OrderClosed(f"order {order_id} is {refused.current}") from None
    count("PaymentsCaptured")
    return {"outcome": str(OrderStatus.PAID), "paymentId": authorization.payment_id}


def compensate_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """ChargePayment's compensation: the payment was declined, refused or could not be made.

    In one transaction: PLACED -> PAYMENT_FAILED (guarded on the order as read), the reserved stock
    released and the promo redemption returned. Then any authorization is voided and the customer
    is told why. Repeatable: a repeat finds PAYMENT_FAILED and only finishes what is left.
    """
    from chalicelib.orders import notices
    from chalicelib.orders.cancellation import give_back_reservations
    from chalicelib.orders.emails import payment_failed
    from chalicelib.orders.transitions import add_to_transaction
    from chalicelib.shop.models import Order

    order_id = _order_id(event)
    reason = failure_reason(event.get("error"))
    for _attempt in range(5):
        order = progress.load(order_id)
        if order.status == OrderStatus.PAYMENT_FAILED:
            break
        if order.status != OrderStatus.PLACED:
            raise _closed(order)  # cancelled meanwhile, or paid after all: nothing to compensate
        if order.payment_reference and _captured(order.payment_reference):
            # ChargePayment died between the capture and PAID: money was taken, never fail it.
            raise PaymentCapturedUnrecorded(f"order {order_id}: payment {order.payment_reference} is captured")
        now = utcnow()

        def build(tx: Any, order: Any = order, now: Any = now) -> None:
            add_to_transaction(
                tx,
                order.order_id,
                OrderStatus.PAYMENT_FAILED,
                actor=ACTOR,
                at=now,
                extra_actions=[Order.payment_failure.set(reason), Order.updated_at.set(now)],
                extra_condition=Order.status == order.status,
            )
            give_back_reservations(tx, order, now=now, actor=ACTOR, reason="payment failed")

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(Order):
                continue  # the order changed since it was read: decide again
            raise
        count("PaymentsFailed")
        logger.info("payment failed: reservation released", extra={"order_id": order_id, "reason": reason})
        break
    else:
        raise StockroomError(f"order {order_id} kept changing while its payment failure was recorded")
    _void_authorization(order)
    notices.send_once(
        order,
        Step.PAYMENT_FAILED_SENT,
        lambda view, status_url, _receipt: payment_failed(view, reason=reason, status_url=status_url),
    )
    return {"outcome": str(OrderStatus.PAYMENT_FAILED), "reason": reason}


def _captured(payment_id: str) -> bool:
    from chalicelib.orders import payments

    return payments.get_gateway().get(payment_id).captured_cents > 0


def failure_reason(error: Any) -> str:
    """What the customer is told about a failed payment, from the error Step Functions caught:
    a decline's own message (the issuer's words, `payment_cards.decline_message`), otherwise a
    generic sentence (an unknown token or an unreachable processor is not the customer's to read)."""
    if not isinstance(error, dict):
        return PAYMENT_FAILED_REASON
    if error.get("Error") != "PaymentDeclined":
        return PAYMENT_FAILED_REASON
    try:
        message = json.loads(str(error.get("Cause") or "{}")).get("errorMessage")
    except ValueError:
        message = None
    return str(message) if isinstance(message, str) and 0 < len(message) <= 200 else PAYMENT_FAILED_REASON


def _void_authorization(order: Any) -> None:
    """Release any authorization this order's payment key holds (a timeout may have left one
    behind that the order never recorded): the same key replays the authorization, if any."""
    from chalicelib.core.errors import PaymentError
    from chalicelib.orders import payments
    from chalicelib.shop.payment_cards import DEFAULT_TOKEN

    payment_id = order.payment_reference
    if payment_id is None:
        try:
            payment_id = (
                payments.get_gateway()
                .authorize(
                    order_id=order.order_id,
                    amount_cents=int(order.total_cents),
                    currency=order.currency or get_settings().currency,
                    token=order.payment_token or DEFAULT_TOKEN,
                    idempotency_key=payments.order_key(order.order_id, "authorize"),
                    timeout=0.0,
                )
                .payment_id
            )
        except PaymentError:
            return  # declined, unknown token, never reached the processor: nothing is held
    _void_quietly(order.order_id, payment_id)


def _void_quietly(order_id: str, payment_id: str) -> None:
    from chalicelib.orders import payments

    try:
        payments.get_gateway().void(payment_id=payment_id, idempotency_key=payments.order_key(order_id, "void"))
    except PaymentStateError:
        pass  # not an open authorization (declined, voided already): nothing is held


# --- CommitStock (after the capture: no compensation, parked on failure) -------------------------


def commit_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Take the paid order's units from stock: for every line `on_hand -= q, reserved -= q` with
    its movement, in one transaction with the order's `stock_committed` step, guarded on PAID and
    on the step not being done, so it happens once and never after a cancel."""
    from chalicelib.inventory import reservations
    from chalicelib.inventory.models import Stock
    from chalicelib.shop.models import Order

    order_id = _order_id(event)
    for _attempt in range(5):
        order = progress.load(order_id)
        if progress.done(order, Step.STOCK_COMMITTED):
            return {"outcome": "already"}
        if order.status != OrderStatus.PAID:
            if order.status in (OrderStatus.CANCELLED, OrderStatus.PAYMENT_FAILED):
                raise _closed(order)
            raise StockCommitRefused(f"order {order_id} is {order.status}, not PAID, and its stock is not committed")
        now = utcnow()

        def build(tx: Any, order: Any = order, now: Any = now) -> None:
            tx.update(
                Order(order.order_id),
                actions=[Order.workflow_steps.add({str(Step.STOCK_COMMITTED)}), Order.updated_at.set(now)],
                condition=(Order.status == OrderStatus.PAID)
                & ~Order.workflow_steps.contains(str(Step.STOCK_COMMITTED)),
            )
            for line in order.lines:
                reservations.commit(
                    tx, line.product_id, line.warehouse_id, int(line.quantity), now=now, actor=ACTOR, reference=order_id
                )

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(Order):
                continue  # cancelled or committed meanwhile: decide again on what it is now
            if cancelled.failed(Stock):
                raise StockCommitRefused(f"order {order_id}: a reserved line could not be committed") from None
            raise
        return {"outcome": "committed"}
    raise StockroomError(f"order {order_id} kept changing while its stock was committed")


# --- StoreReceipt, PublishOrderNotification, EmailCustomer (never undo the payment) --------------


def _paid_order(event: dict[str, Any]) -> Any:
    order = progress.load(_order_id(event))
    if order.status in (OrderStatus.CANCELLED, OrderStatus.PAYMENT_FAILED):
        raise _closed(order)
    return order


def store_receipt(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Render the PDF receipt (fpdf2) into the private receipts bucket; record its key. The bytes
    are deterministic and the key is the order's, so a repeat overwrites it with the same file."""
    from chalicelib.orders import notices
    from chalicelib.orders.receipts import receipt_key
    from chalicelib.orders.receipts import store_receipt as put_receipt
    from chalicelib.shop.models import Order

    order = _paid_order(event)
    if progress.done(order, Step.RECEIPT_STORED):
        return {"outcome": "already"}
    stored = put_receipt(notices.view_of(order))
    progress.record(order.order_id, Step.RECEIPT_STORED, actions=(Order.receipt_key.set(receipt_key(order.order_id)),))
    return {"outcome": "stored", "bytes": stored.size}


def publish_order_notification(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Tell the outside subscribers of the `order_events` topic that the order is paid and
    confirmed (JSON for machines, prose for e-mail subscribers)."""
    import os

    from chalicelib.core import resources
    from chalicelib.core.notifications import publish

    order = _paid_order(event)
    if progress.done(order, Step.NOTIFIED):
        return {"outcome": "already"}
    message_id = publish(
        topic_arn=os.environ[resources.ORDER_EVENTS_TOPIC.env],
        subject=f"Order {order.order_id} confirmed",
        payload=notification(order),
        email_text=(
            f"Order {order.order_id} is paid and confirmed: {len(order.lines)} line(s), "
            f"total {int(order.total_cents)} {order.currency} minor units, delivery {order.delivery_method}."
        ),
        event_type=NOTIFICATION_TYPE,
    )
    progress.record(order.order_id, Step.NOTIFIED)
    return {"outcome": "published", "messageId": message_id}


NOTIFICATION_TYPE = "OrderConfirmed"
NOTIFICATION_VERSION = 1


def notification(order: Any) -> dict[str, Any]:
    """The order notification's JSON (documented in docs/CONTRACTS.md): no e-mail address, no
    shipping address, no card data: outside subscribers learn what was sold, not to whom."""
    from chalicelib.core.db import iso

    return {
        "type": NOTIFICATION_TYPE,
        "version": NOTIFICATION_VERSION,
        "orderId": order.order_id,
        "placedAt": iso(order.created_at),
        "businessDate": order.order_date,
        "currency": order.currency,
        "totalCents": int(order.total_cents),
        "deliveryMethod": order.delivery_method,
        "lines": [
            {
                "productId": line.product_id,
                "warehouseId": line.warehouse_id,
                "quantity": int(line.quantity),
                "unitPriceCents": int(line.unit_price_cents or 0),
            }
            for line in order.lines
        ],
        "paymentReference": order.payment_reference,
    }


def email_customer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The confirmation e-mail: what was ordered, totals, delivery, links to the order page and the
    receipt, and the receipt attached (when StoreReceipt stored it; the link serves it later)."""
    from chalicelib.orders import notices
    from chalicelib.orders.emails import confirmation
    from chalicelib.orders.receipts import load_receipt

    order = _paid_order(event)
    pdf = load_receipt(order.order_id) if order.receipt_key else None
    sent = notices.send_once(
        order,
        Step.CONFIRMATION_SENT,
        lambda view, status_url, receipt_url: confirmation(
            view, status_url=status_url, receipt_url=receipt_url if pdf else None, receipt_pdf=pdf
        ),
    )
    return {"outcome": "sent" if sent else "already", "attached": pdf is not None}


# --- MarkConfirmed -------------------------------------------------------------------------------


def mark_confirmed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """PAID -> CONFIRMED, only once the stock is committed (a confirmed order's units left stock)."""
    from chalicelib.orders.transitions import apply_transition
    from chalicelib.shop.models import Order

    order_id = _order_id(event)
    try:
        result = apply_transition(
            order_id,
            OrderStatus.CONFIRMED,
            actor=ACTOR,
            extra_actions=[Order.updated_at.set(utcnow())],
            extra_condition=Order.workflow_steps.contains(str(Step.STOCK_COMMITTED)),
        )
    except InvalidTransition as refused:
        if is_at_or_past(refused.current, OrderStatus.CONFIRMED):
            return {"outcome": "already"}
        if refused.current in (OrderStatus.CANCELLED, OrderStatus.PAYMENT_FAILED):
            raise OrderClosed(f"order {order_id} is {refused.current}") from None
        raise
    if result.changed:
        count("OrdersConfirmed")
    return {"outcome": "confirmed" if result.changed else "already"}


# --- ParkWorkflow --------------------------------------------------------------------------------


def park_order_workflow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Park the run for redrive: a message in the order_workflow DLQ (which alarms) that, moved back
    to its queue (`make redrive QUEUE=order_workflow`, or SQS's redrive in AWS), starts the next
    attempt of this order's workflow, which skips whatever is done."""
    from chalicelib.orders import pipeline

    order_id = _order_id(event)
    attempt = int(event.get("attempt") or 1)
    raw_state = event.get("state")
    state: dict[str, Any] = raw_state if isinstance(raw_state, dict) else {}
    failed = {
        key.removesuffix("Failure"): _error_name(value)
        for key, value in state.items()
        if key.endswith("Failure") or key == "error"
    }
    pipeline.park(order_id, attempt=attempt, failed=failed)
    count("WorkflowsParked")
    logger.error("order workflow parked for redrive", extra={"order_id": order_id, "failed": failed})
    return {"outcome": "parked", "failed": failed}


def _error_name(value: Any) -> str:
    return str(value.get("Error", "")) if isinstance(value, dict) else str(value)


TASKS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    task.__name__: task
    for task in (
        charge_payment,
        compensate_payment,
        commit_stock,
        store_receipt,
        publish_order_notification,
        email_customer,
        mark_confirmed,
        park_order_workflow,
    )
}
