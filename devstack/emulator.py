"""The embedded AWS emulator: moto's server app, in this process, one request at a time.

DynamoDB guarantees atomic conditional writes and transactions; moto's backends are plain
Python objects that a threaded server would mutate concurrently. A lock around the whole WSGI
call (including producing the body) makes every request atomic, as the real service is. Running
in-process also lets the inbox read moto's backends (what SES sent, what SNS published).

Invariants of the lock:
- nothing waits on a client while holding it: the whole request body is read first (each client
  has its own thread), and the response is sent after it is released; a client silent for
  `CLIENT_TIMEOUT_SECONDS` is disconnected, so a stalled socket never delays anyone else;
- no app handler ever runs under it (Step Functions tasks are dispatched outside, see
  `devstack.stepfunctions`).
Consequence: a long-polling SQS ReceiveMessage (WaitTimeSeconds > 0) holds the lock while it
waits; the event runtime therefore polls with WaitTimeSeconds=0.

Only its own loopback address is served (`Host` is `127.0.0.1:<port>`, `localhost:<port>` or,
for S3's virtual-hosted style, `<bucket>.localhost:<port>`); other names get 403, so a web page
that rebinds its DNS name to 127.0.0.1 cannot reach it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wsgi import get_input_stream

from devstack.env import CLIENT_TIMEOUT_SECONDS, REGION, loopback_hosts

log = logging.getLogger("devstack.emulator")

# moto routes the Cognito JWKS URL (`/<pool id>/.well-known/jwks.json`) to cognito-idp only when
# an Authorization header names that service; the app fetches its keys with a plain GET.
COGNITO_AUTHORIZATION = (
    f"AWS4-HMAC-SHA256 Credential=devstack/20240101/{REGION}/cognito-idp/aws4_request, "
    "SignedHeaders=host, Signature=devstack"
)
_PRUNE_EVERY = 500  # requests
_KEEP_ITERATORS = 1000
BODY_DEADLINE_SECONDS = 60.0  # a whole request body, however it trickles in
_CHUNK = 64 * 1024


class SlowClient(Exception):
    """The client did not send its whole request body in time."""


def read_body(environ: dict[str, Any], deadline_seconds: float = BODY_DEADLINE_SECONDS) -> bytes:
    """The whole request body (Content-Length or chunked), before any lock is taken.

    Each read waits at most the socket's timeout; the whole body at most `deadline_seconds`.
    """
    stream = get_input_stream(environ, safe_fallback=True)
    deadline = time.monotonic() + deadline_seconds
    parts: list[bytes] = []
    while True:
        if time.monotonic() > deadline:
            raise SlowClient(f"request body not received within {deadline_seconds:.0f}s")
        try:
            chunk = stream.read(_CHUNK)
        except (ClientDisconnected, TimeoutError, OSError) as exc:
            raise SlowClient(f"request body incomplete: {exc}") from exc
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def _plain(start_response: Callable[..., Any], status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")],
    )
    return [body]


_holding = threading.local()


def holding_request_lock() -> bool:
    """Whether this thread is serving an emulator request now (and so holds the lock)."""
    return bool(getattr(_holding, "active", False))


class SerializedApp:
    """WSGI middleware: one request at a time, its body read before; own host only; JWKS fixed up."""

    def __init__(
        self, app: Callable[..., Iterable[bytes]], host_ok: Callable[[str | None], bool] | None = None
    ) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._count = 0
        self.host_ok = host_ok  # set once the server knows its port

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.host_ok is not None and not self.host_ok(environ.get("HTTP_HOST")):
            return _plain(
                start_response,
                "403 Forbidden",
                "ForbiddenHost",
                f"Host {environ.get('HTTP_HOST')!r} is not this emulator's address; other names are refused",
            )
        try:
            body = read_body(environ)
        except SlowClient as exc:
            return _plain(start_response, "408 Request Timeout", "RequestTimeout", str(exc))
        # moto reads a complete, in-memory body: nothing it does under the lock waits on a socket.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input_terminated"] = False
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        if environ.get("PATH_INFO", "").endswith("/.well-known/jwks.json") and not environ.get("HTTP_AUTHORIZATION"):
            environ["HTTP_AUTHORIZATION"] = COGNITO_AUTHORIZATION
        with self._lock:
            _holding.active = True
            try:
                result = self._app(environ, start_response)
                try:
                    body = list(result)  # produce the whole response while holding the lock
                finally:
                    close = getattr(result, "close", None)
                    if close:
                        close()
            finally:
                _holding.active = False
            self._count += 1
            if self._count % _PRUNE_EVERY == 0:
                _prune_shard_iterators()
        return body


def _prune_shard_iterators() -> None:
    """moto keeps every shard iterator it ever handed out; pollers would grow it without end.

    Pollers use each iterator within a fraction of a second, so keeping the newest is safe.
    """
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    for account in list(dynamodbstreams_backends.values()):
        for backend in list(account.values()):
            iterators = backend.shard_iterators
            if len(iterators) > 2 * _KEEP_ITERATORS:
                for key in list(iterators)[: len(iterators) - _KEEP_ITERATORS]:
                    iterators.pop(key, None)


class _QuietHandler(MotoRequestHandler):
    timeout = CLIENT_TIMEOUT_SECONDS  # socket timeout per read: a silent client is disconnected

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per AWS call would drown the devstack's own output


class Emulator:
    """moto's server on host:port (port 0 picks a free one) in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566, *, client_timeout: float | None = None) -> None:
        self.host = host
        self.port = port
        self.client_timeout = client_timeout or CLIENT_TIMEOUT_SECONDS
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        from devstack import cognito, moto_patches

        moto_patches.apply()  # O(items) transaction rollback; relies on SerializedApp below
        window = os.environ.get(moto_patches.TRANSACTION_CONFLICT_MS, "").strip()
        if window:  # DynamoDB's TransactionConflict, emulated (see devstack/moto_patches.py)
            moto_patches.CONFLICTS.configure(float(window))
        cognito.apply()  # e-mailed verification codes, checked as Cognito checks them
        # TOTP codes (SOFTWARE_TOKEN_MFA) checked against the secret AssociateSoftwareToken gave.
        os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
        app = SerializedApp(DomainDispatcherApplication(create_backend_app))
        handler = type("Handler", (_QuietHandler,), {"timeout": self.client_timeout})
        # Threads accept and parse requests concurrently; the app handles them one at a time.
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=handler)
        self.port = int(self._server.server_port)
        app.host_ok = loopback_hosts(self.port, subdomains=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)
        self._thread.start()
        log.info("AWS emulator on %s", self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
