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


class Conflict(StockroomError):
    status = 409
    code = "Conflict"


class InsufficientStock(Conflict):
    code = "InsufficientStock"


class PayloadTooLarge(StockroomError):
    status = 413
    code = "PayloadTooLarge"


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
