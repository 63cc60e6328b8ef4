"""Domain errors. Each carries a user-readable message and its HTTP status; `chalicelib.core.web`
is the one place that turns them into responses.

They derive from Chalice's `ChaliceUnhandledError` only so that Chalice lets them reach our error
middleware instead of turning them into a generic 500 itself.
"""

from __future__ import annotations

from typing import Any

from chalice.app import ChaliceUnhandledError


class StockroomError(ChaliceUnhandledError):
    status = 400
    code = "BadRequest"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class ValidationError(StockroomError):
    status = 400
    code = "ValidationError"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", field=field)


class Unauthorized(StockroomError):
    status = 401
    code = "Unauthorized"


class Forbidden(StockroomError):
    status = 403
    code = "Forbidden"


class NotFound(StockroomError):
    status = 404
    code = "NotFound"


class MethodNotAllowed(StockroomError):
    status = 405
    code = "MethodNotAllowed"


class Conflict(StockroomError):
    status = 409
    code = "Conflict"


class ConcurrentUpdate(Conflict):
    """Others kept changing the same item while this write retried; nothing was written. The
    client should read the item again and resend its change (docs/CONTRACTS.md)."""

    code = "ConcurrentUpdate"


class InsufficientStock(Conflict):
    code = "InsufficientStock"


class PayloadTooLarge(StockroomError):
    status = 413
    code = "PayloadTooLarge"


class UnsupportedMediaType(StockroomError):
    status = 415
    code = "UnsupportedMediaType"


class ImportInvalid(StockroomError):
    """An upload with invalid rows; `errors` lists each as {row, field, message}. Nothing changed."""

    status = 422
    code = "ImportInvalid"


class IdempotencyKeyReused(StockroomError):
    status = 422
    code = "IdempotencyKeyReused"


class Busy(StockroomError):
    """Contention outlasted our retries; the client may retry (the write did not happen)."""

    status = 503
    code = "Busy"


class InvalidTransition(Conflict):
    """An order status change the state machine does not allow from the order's current status."""

    code = "InvalidTransition"

    def __init__(self, message: str, *, current: str, target: str, **details: Any) -> None:
        super().__init__(message, current=current, target=target, **details)
        self.current = current
        self.target = target


# --- payments -------------------------------------------------------------------------------
# In a Step Functions task the error name is the exception's class name, so the ASL's Retry and
# Catch name these classes: transient ones are retried, permanent ones caught. The names are part
# of the workflow's contract (`chalicelib.orders.payments.TRANSIENT_ERRORS`, `PERMANENT_ERRORS`).


class PaymentError(StockroomError):
    """Anything the payment gateway refused or failed to do."""

    status = 402
    code = "PaymentError"


class PaymentDeclined(PaymentError):
    """Permanent: the card issuer said no. `decline_code` says why (Stripe's codes)."""

    code = "PaymentDeclined"

    def __init__(self, message: str, *, decline_code: str, **details: Any) -> None:
        super().__init__(message, declineCode=decline_code, **details)
        self.decline_code = decline_code


class UnknownPaymentToken(PaymentError):
    """Permanent: the token is not one the gateway issued (or one of its test tokens)."""

    status = 400
    code = "UnknownPaymentToken"


class PaymentStateError(PaymentError):
    """Permanent: the operation does not apply to the payment as it is (capturing a declined
    payment, refunding more than was captured, ...)."""

    status = 409
    code = "PaymentStateError"


class PaymentIdempotencyConflict(PaymentError):
    """Permanent: an idempotency key was reused for a different request (a caller's bug)."""

    status = 422
    code = "PaymentIdempotencyConflict"


class PaymentNotFound(PaymentError):
    status = 404
    code = "PaymentNotFound"


class PaymentProcessingError(PaymentError):
    """Transient: the processor failed; the same request (same idempotency key) may succeed."""

    status = 503
    code = "PaymentProcessingError"


class PaymentGatewayTimeout(PaymentError):
    """Transient: no answer in time. The request may have been carried out: retry it with the
    same idempotency key, which returns the outcome instead of charging again."""

    status = 504
    code = "PaymentGatewayTimeout"


# --- e-mail ---------------------------------------------------------------------------------


class EmailThrottled(StockroomError):
    """Transient: SES kept throttling past our backoff; send again later (SQS / Step Functions)."""

    status = 503
    code = "EmailThrottled"


class EmailRejected(StockroomError):
    """Permanent: SES refused the message itself (unverified sender, bad address, too large)."""

    status = 502
    code = "EmailRejected"
