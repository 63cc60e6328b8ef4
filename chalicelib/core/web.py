"""HTTP middleware: correlation ids on every request and record, domain errors to responses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Request, Response

from chalicelib.core.errors import StockroomError
from chalicelib.core.observability import logger

CORRELATION_HEADER = "X-Correlation-Id"


def _correlation_id(event: Any) -> str:
    if isinstance(event, Request):
        given = event.headers.get(CORRELATION_HEADER.lower(), "")
        if given and len(given) <= 128 and given.isprintable():
            return str(given)
        request_id = (event.context or {}).get("requestId")
        return str(request_id or uuid.uuid4())
    context = getattr(event, "context", None)
    return str(getattr(context, "aws_request_id", None) or uuid.uuid4())


def with_correlation_id(event: Any, get_response: Callable[[Any], Any]) -> Any:
    correlation_id = _correlation_id(event)
    logger.set_correlation_id(correlation_id)
    try:
        response = get_response(event)
    finally:
        logger.set_correlation_id(None)
    if isinstance(response, Response):
        response.headers[CORRELATION_HEADER] = correlation_id
    return response


def handle_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """The one place where domain errors become HTTP responses. Anything else is a bug: a 500
    that says only that, with the details in the log under the request's correlation id."""
    try:
        return get_response(event)
    except StockroomError as exc:
        if exc.status >= 500:
            logger.warning("request failed", extra={"error": exc.code, "detail": exc.message})
        return Response(body=exc.to_dict(), status_code=exc.status, headers=dict(exc.headers))
    except Exception:
        logger.exception("unhandled error", extra={"path": event.path, "method": event.method})
        return Response(
            body={"error": "InternalError", "message": "Something went wrong on our side; it has been logged."},
            status_code=500,
        )
