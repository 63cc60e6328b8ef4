"""The embedded AWS emulator: moto's server app, in this process, one request at a time.

DynamoDB guarantees atomic conditional writes and transactions; moto's backends are plain
Python objects that a threaded server would mutate concurrently. A lock around the whole WSGI
call (including producing the body) makes every request atomic, as the real service is. Running
in-process also lets the inbox read moto's backends (what SES sent, what SNS published).

Consequence: a long-polling SQS ReceiveMessage (WaitTimeSeconds > 0) holds the lock while it
waits; the event runtime therefore polls with WaitTimeSeconds=0.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from devstack.env import REGION

log = logging.getLogger("devstack.emulator")

# moto routes the Cognito JWKS URL (`/<pool id>/.well-known/jwks.json`) to cognito-idp only when
# an Authorization header names that service; the app fetches its keys with a plain GET.
COGNITO_AUTHORIZATION = (
    f"AWS4-HMAC-SHA256 Credential=devstack/20240101/{REGION}/cognito-idp/aws4_request, "
    "SignedHeaders=host, Signature=devstack"
)
_PRUNE_EVERY = 500  # requests
_KEEP_ITERATORS = 1000


class SerializedApp:
    """WSGI middleware: one request at a time, and the JWKS route fixed up."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._count = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").endswith("/.well-known/jwks.json") and not environ.get("HTTP_AUTHORIZATION"):
            environ["HTTP_AUTHORIZATION"] = COGNITO_AUTHORIZATION
        with self._lock:
            result = self._app(environ, start_response)
            try:
                body = list(result)  # produce the whole response while holding the lock
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
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
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per AWS call would drown the devstack's own output


class Emulator:
    """moto's server on host:port (port 0 picks a free one) in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566) -> None:
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        from devstack import moto_patches

        moto_patches.apply()  # O(items) transaction rollback; relies on SerializedApp below
        app = SerializedApp(DomainDispatcherApplication(create_backend_app))
        # Threads accept and parse requests concurrently; the app handles them one at a time.
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=_QuietHandler)
        self.port = int(self._server.server_port)
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
