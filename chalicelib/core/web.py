"""The HTTP edge: the app object, correlation ids, and one shape for every response.

Every response the API produces, whatever produced it (a handler, a domain error, an unexpected
exception, Chalice's own 405, the catch-all 404), leaves through `handle_errors` and so carries:

- an error body `{"error": "<Code>", "message": "..."}` for every status >= 400 (Chalice's own
  `{"Code", "Message"}` bodies are rewritten), with a JSON content type;
- `X-Correlation-Id` (sent by the client, or generated), also on every log line of the request;
- the stage's CORS headers when the stage configures CORS (`CORS_ALLOW_ORIGIN`), so a browser
  shows the site the real error instead of an opaque network failure;
- `Cache-Control: private, no-store` unless the handler chose a caching policy itself.

`tests/integration/test_http_edge.py` checks this route by route, from the app's route table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, CORSConfig, Request, Response

from chalicelib.core.config import get_settings
from chalicelib.core.errors import StockroomError
from chalicelib.core.observability import logger

CORRELATION_HEADER = "X-Correlation-Id"
NO_STORE = "private, no-store"
ANY_MEDIA_TYPE = ["*/*"]

# Chalice's own error codes, in the API's vocabulary.
_CHALICE_CODES = {
    "MethodNotAllowedError": "MethodNotAllowed",
    "UnsupportedMediaType": "UnsupportedMediaType",
    "InternalServerError": "InternalError",
    "BadRequestError": "BadRequest",
    "BadRequest": "BadRequest",
    "NotFoundError": "NotFound",
    "UnauthorizedError": "Unauthorized",
    "ForbiddenError": "Forbidden",
    "ConflictError": "Conflict",
    "UnprocessableEntityError": "UnprocessableEntity",
    "TooManyRequestsError": "TooManyRequests",
    "RequestTimeoutError": "RequestTimeout",
}
_INTERNAL_MESSAGE = "Something went wrong on our side; it has been logged."


class StockroomApp(Chalice):
    """Chalice, with every route accepting any request media type at routing.

    Chalice checks a route's `content_types` before the handler runs, case-sensitively, and so
    before authentication: an anonymous caller would learn the route's body rules, and
    `Application/JSON` would be refused. Handlers authenticate first, then `core.http.read_json`
    checks the media type properly.
    """

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        kwargs.setdefault("content_types", list(ANY_MEDIA_TYPE))
        return super().route(path, **kwargs)


def cors_config() -> CORSConfig | None:
    """The stage's CORS configuration (None when the stage serves the site on the API's origin)."""
    origin = get_settings().cors_allow_origin
    if not origin:
        return None
    return CORSConfig(
        allow_origin=origin,
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-Id"],
        expose_headers=["X-Correlation-Id"],
        max_age=600,
    )


def _correlation_id(event: Any) -> str:
    if isinstance(event, Request):
        given = event.headers.get(CORRELATION_HEADER.lower(), "")
        if given and len(given) <= 128 and given.isprintable() and given.isascii():
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
    """The one place where domain errors become HTTP responses, and where every response gets
    its shape. Anything unexpected is a bug: a 500 that says only that, with the details in the
    log under the request's correlation id."""
    try:
        response = get_response(event)
    except StockroomError as exc:
        if exc.status >= 500:
            logger.warning("request failed", extra={"error": exc.code, "detail": exc.message})
        response = Response(body=exc.to_dict(), status_code=exc.status)
    except Exception:
        logger.exception("unhandled error", extra={"path": event.path, "method": event.method})
        response = Response(body={"error": "InternalError", "message": _INTERNAL_MESSAGE}, status_code=500)
    return finish(response)


def finish(response: Response) -> Response:
    """Give any response the API's error shape, content type, CORS and cache headers."""
    if response.status_code >= 400:
        response.body = error_body(response)
        _set_header(response, "Content-Type", "application/json", replace=True)
    cors = cors_config()
    if cors is not None:
        for name, value in cors.get_access_control_headers().items():
            _set_header(response, name, value)
    _set_header(response, "Cache-Control", NO_STORE)
    return response


def error_body(response: Response) -> dict[str, Any]:
    """The API's `{"error", "message", ...}` for an error response, whatever made it."""
    body = response.body
    if isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("message"), str):
        return body
    if isinstance(body, dict) and "Code" in body:
        code = _CHALICE_CODES.get(str(body["Code"]), str(body["Code"]).removesuffix("Error") or "Error")
        message = _INTERNAL_MESSAGE if code == "InternalError" else str(body.get("Message") or code)
        return {"error": code, "message": message}
    if response.status_code >= 500:
        return {"error": "InternalError", "message": _INTERNAL_MESSAGE}
    return {"error": "Error", "message": f"the request failed with status {response.status_code}"}


def _set_header(response: Response, name: str, value: str, *, replace: bool = False) -> None:
    existing = next((key for key in response.headers if key.lower() == name.lower()), None)
    if existing is not None:
        if not replace:
            return
        del response.headers[existing]
    response.headers[name] = value
