"""The web site on loopback, shaped like the CloudFront distribution in front of it in prod.

- `/` static files from `web/`, plus a generated `/config.js`;
- `/api/*` forwarded to the API with `/api` stripped (same origin, as CloudFront does);
- `/_aws/cognito-idp/` forwarded to the emulator, so the browser signs in as it would at
  `https://cognito-idp.<region>.amazonaws.com/`: only the browser's own Cognito actions (those
  real Cognito serves without AWS credentials, `BROWSER_COGNITO_ACTIONS`), others refused with 400;
- `/_inbox` (HTML), `/_inbox.json` and `/_inbox/<id>...`: what SES and SNS sent;
- `POST /_devstack/fire/<handler>`: fire a scheduled handler now (`make fire`);
- `GET|PUT /_devstack/transaction-conflicts` `{"windowMs": n}`: DynamoDB's TransactionConflict,
  emulated (see `devstack.moto_patches`); 0 switches it off.

It is reachable only as itself: every request whose `Host` is not the site's own loopback
address (`127.0.0.1:<port>` or `localhost:<port>`) is refused with 403, so a page on another
site that rebinds its DNS name to 127.0.0.1 can neither read the inbox nor drive the proxies.
Static folders serve files only, never a listing; slow clients are timed out.
"""

from __future__ import annotations

import html
import http.client
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devstack.emulator import COGNITO_AUTHORIZATION
from devstack.env import CLIENT_TIMEOUT_SECONDS, loopback_hosts
from devstack.inbox import Entry, Inbox

log = logging.getLogger("devstack.web")

# Cognito's unsigned ("public") API: what a browser client calls with no AWS credentials, each
# authorized by the client id, a session or the user's own access token. Everything else
# (AdminAddUserToGroup, ListUsers, ...) needs IAM credentials in AWS; through the proxy it would
# run with the emulator's, so it is refused.
BROWSER_COGNITO_ACTIONS = frozenset(
    {
        "InitiateAuth",
        "RespondToAuthChallenge",
        "SignUp",
        "ConfirmSignUp",
        "ResendConfirmationCode",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "GetUser",
        "ChangePassword",
        "GlobalSignOut",
        "RevokeToken",
    }
)
_COGNITO_TARGET_PREFIX = "AWSCognitoIdentityProviderService."

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


def config_js(
    region: str, user_pool_id: str, client_id: str, *, shop_name: str = "Stockroom", currency: str = "USD"
) -> str:
    """`web/config.js` as docs/CONTRACTS.md describes it; `shop_name` and `currency` are the
    stage's `SHOP_NAME` and `SHOP_CURRENCY` (terraform/web.tf renders the same two)."""
    config = {
        "apiBase": "/api",
        "region": region,
        "userPoolId": user_pool_id,
        "clientId": client_id,
        "cognitoEndpoint": "/_aws/cognito-idp/",
        "shopName": shop_name,
        "currency": currency,
    }
    return f"window.STOCKROOM_CONFIG = {json.dumps(config, indent=2)};\n"


class Site:
    """What the handler needs from the stack."""

    def __init__(
        self,
        web_dir: Path,
        api_port: int,
        aws_port: int,
        config: str,
        inbox: Inbox,
        fire: Callable[[str], dict[str, Any]],
        web_port: int = 8080,
    ) -> None:
        self.web_dir = web_dir
        self.api_port = api_port
        self.aws_port = aws_port
        self.web_port = web_port  # the site's own port: requests must name it in `Host`
        self.config = config
        self.inbox = inbox
        self.fire = fire


class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = CLIENT_TIMEOUT_SECONDS  # socket timeout: a stalled client frees its thread
    site: Site

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        self.site = site
        self.host_ok = loopback_hosts(site.web_port)
        super().__init__(*args, directory=str(site.web_dir), **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a dev server: always the file on disk
        super().end_headers()

    # routing ----------------------------------------------------------------------------------

    def _route(self) -> bool:
        """Answer the request unless it is a static file; True when answered."""
        path = urlsplit(self.path).path
        if not self.host_ok(self.headers.get("Host")):
            self._refuse_host()
        elif path == "/api" or path.startswith("/api/"):
            self._proxy(self.site.api_port, self.path[len("/api") :] or "/", {})
        elif path.startswith("/_aws/cognito-idp"):
            self._cognito()
        elif path == "/config.js" and self.command in ("GET", "HEAD"):
            self._send(200, "application/javascript; charset=utf-8", self.site.config.encode())
        elif path == "/_inbox.json" and self.command == "GET":
            body = json.dumps([e.describe() for e in self.site.inbox.entries()], indent=2, default=str)
            self._send(200, "application/json", body.encode())
        elif (path == "/_inbox" or path.startswith("/_inbox/")) and self.command == "GET":
            self._inbox(path)
        elif path.startswith("/_devstack/fire/") and self.command == "POST":
            self._fire(path.rsplit("/", 1)[-1])
        elif path == "/_devstack/transaction-conflicts" and self.command in ("GET", "PUT"):
            self._transaction_conflicts()
        else:
            return False
        return True

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """Files only: a folder without an index.html is not found (never a listing)."""
        self.send_error(404, "File not found")

    def do_GET(self) -> None:
        if not self._route():
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._route():
            super().do_HEAD()

    def do_POST(self) -> None:
        if not self._route():
            self._send(405, "text/plain", b"method not allowed")

    do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_POST

    # helpers ----------------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _refuse_host(self) -> None:
        self._body()  # keep the connection's framing intact
        message = {
            "error": "ForbiddenHost",
            "message": f"Host {self.headers.get('Host')!r} is not this devstack's site "
            f"(http://127.0.0.1:{self.site.web_port}); requests for other names are refused",
        }
        self._send(403, "application/json", json.dumps(message).encode())

    def _cognito(self) -> None:
        """Forward a browser's Cognito call, if it is one a browser may make (see module doc)."""
        target = self.headers.get("X-Amz-Target") or ""
        action = target[len(_COGNITO_TARGET_PREFIX) :] if target.startswith(_COGNITO_TARGET_PREFIX) else ""
        if self.command != "POST" or action not in BROWSER_COGNITO_ACTIONS:
            self._body()
            message = {
                "__type": "InvalidParameterException",
                "message": f"X-Amz-Target {target!r} is not forwarded: this proxy serves a browser's own "
                f"Cognito calls only ({', '.join(sorted(BROWSER_COGNITO_ACTIONS))}), with POST",
            }
            self._send(400, "application/x-amz-json-1.1", json.dumps(message).encode())
            return
        # Our own Authorization (never the caller's) only routes the request to cognito-idp in the
        # emulator; the actions above ignore credentials, as they do in AWS.
        self._proxy(self.site.aws_port, "/", {"Authorization": COGNITO_AUTHORIZATION})

    def _proxy(self, port: int, path: str, extra_headers: dict[str, str]) -> None:
        body = self._body()
        replaced = {name.lower() for name in extra_headers} | _HOP_BY_HOP
        headers = {k: v for k, v in self.headers.items() if k.lower() not in replaced}
        headers.update(extra_headers)
        headers["Host"] = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 5
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                connection.request(self.command, path, body=body or None, headers=headers)
                response = connection.getresponse()
                data = response.read()
                break
            except OSError as exc:
                # `chalice local --autoreload` restarts on every code change: wait for it, but
                # only repeat a request that cannot have been processed (or that is safe).
                retry = isinstance(exc, ConnectionRefusedError) or self.command in ("GET", "HEAD")
                if not retry or time.monotonic() > deadline:
                    message = json.dumps({"error": "BadGateway", "message": f"upstream on port {port}: {exc}"})
                    self._send(502, "application/json", message.encode())
                    return
                time.sleep(0.25)
            finally:
                connection.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _transaction_conflicts(self) -> None:
        """GET: the emulation's state; PUT `{"windowMs": n}`: switch it (0: off) and reset its count."""
        from devstack.moto_patches import CONFLICTS

        if self.command == "PUT":
            try:
                window = json.loads(self._body() or b"null")["windowMs"]
                if isinstance(window, bool) or not isinstance(window, int | float):
                    raise TypeError
                CONFLICTS.configure(float(window))
            except (ValueError, KeyError, TypeError):
                message = {
                    "error": "ValidationError",
                    "field": "windowMs",
                    "message": "windowMs: expected a number of milliseconds between 0 (off) and 10000",
                }
                self._send(400, "application/json", json.dumps(message).encode())
                return
        self._send(200, "application/json", json.dumps(CONFLICTS.describe()).encode())

    def _fire(self, name: str) -> None:
        try:
            result = self.site.fire(name)
        except KeyError as exc:
            self._send(404, "application/json", json.dumps({"error": "NotFound", "message": exc.args[0]}).encode())
            return
        self._send(200 if result.get("ok") else 500, "application/json", json.dumps(result, default=str).encode())

    def _inbox(self, path: str) -> None:
        if path == "/_inbox":
            self._send(200, "text/html; charset=utf-8", inbox_page(self.site.inbox.entries()).encode())
            return
        match = re.fullmatch(r"/_inbox/(\d+)(\.html|\.eml|/attachments/(\d+))?", path)
        entry = self.site.inbox.get(int(match[1])) if match else None
        if entry is None or match is None:
            self._send(404, "text/plain", b"no such message")
        elif match[2] is None:
            self._send(200, "text/html; charset=utf-8", entry_page(entry).encode())
        elif match[2] == ".html":
            # The e-mail's own HTML, shown in a sandboxed frame of the entry page.
            self._send(
                200,
                "text/html; charset=utf-8",
                entry.html.encode(),
                {"Content-Security-Policy": _EMAIL_CSP},
            )
        elif match[2] == ".eml":
            self._send(
                200,
                "message/rfc822",
                entry.raw.encode(),
                {"Content-Disposition": f'attachment; filename="message-{entry.id}.eml"'},
            )
        else:
            index = int(match[3])
            if index >= len(entry.attachments):
                self._send(404, "text/plain", b"no such attachment")
                return
            attachment = entry.attachments[index]
            filename = attachment.filename.replace('"', "")
            self._send(
                200,
                attachment.content_type,
                attachment.data,
                {"Content-Disposition": f'attachment; filename="{filename}"'},
            )


_EMAIL_CSP = "sandbox; default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline'"
_STYLE = """<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:.4rem .6rem;border-bottom:1px solid #ddd;text-align:left}
.kind{font-size:12px;padding:1px 6px;border-radius:8px;background:#eef}.sns{background:#efe}
pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}iframe{width:100%;height:32rem;border:1px solid #ccc}
</style>"""


def inbox_page(entries: list[Entry]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(e.received_at[11:19])}</td>"
        f"<td><span class='kind {e.kind}'>{e.kind}</span></td>"
        f"<td><a href='/_inbox/{e.id}'>{html.escape(e.subject or '(no subject)')}</a></td>"
        f"<td>{html.escape(', '.join(e.to))}</td>"
        f"<td>{'&#128206; ' + str(len(e.attachments)) if e.attachments else ''}</td></tr>"
        for e in entries
    )
    empty = "<p>Nothing sent yet. Low-stock alerts and e-mails show up here.</p>" if not entries else ""
    return (
        f"<!doctype html><meta charset=utf-8><title>Stockroom inbox</title>{_STYLE}"
        "<meta http-equiv=refresh content=5>"
        f"<h1>Local inbox</h1><p>E-mails sent through SES and SNS notifications, newest first "
        f"(<a href='/_inbox.json'>JSON</a>).</p>{empty}"
        f"<table><tr><th>Time (UTC)</th><th></th><th>Subject</th><th>To</th><th></th></tr>{rows}</table>"
    )


def entry_page(entry: Entry) -> str:
    parts = [
        f"<!doctype html><meta charset=utf-8><title>{html.escape(entry.subject)}</title>{_STYLE}",
        "<p><a href='/_inbox'>&larr; inbox</a></p>",
        f"<h1>{html.escape(entry.subject or '(no subject)')}</h1><table>",
        f"<tr><th>From</th><td>{html.escape(entry.sender)}</td></tr>",
        f"<tr><th>To</th><td>{html.escape(', '.join(entry.to))}</td></tr>",
        f"<tr><th>Received</th><td>{html.escape(entry.received_at)}</td></tr>",
    ]
    if entry.attributes:
        parts.append(f"<tr><th>Attributes</th><td>{html.escape(json.dumps(entry.attributes))}</td></tr>")
    for i, attachment in enumerate(entry.attachments):
        parts.append(
            f"<tr><th>Attachment</th><td><a href='/_inbox/{entry.id}/attachments/{i}'>"
            f"{html.escape(attachment.filename)}</a> "
            f"({attachment.content_type}, {len(attachment.data)} bytes)</td></tr>"
        )
    if entry.raw:
        parts.append(f"<tr><th>Raw</th><td><a href='/_inbox/{entry.id}.eml'>message.eml</a></td></tr>")
    parts.append("</table>")
    if entry.html:
        parts.append(f"<h2>HTML</h2><iframe sandbox src='/_inbox/{entry.id}.html'></iframe>")
    if entry.text:
        parts.append(f"<h2>Text</h2><pre>{html.escape(entry.text)}</pre>")
    return "".join(parts)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # browsers and tests open many connections at once


class WebServer:
    """The threaded site server (one thread per connection) in a background thread."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.site = site
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> WebServer:
        self._server = _Server((self.host, self.port), partial(Handler, site=self.site))
        self.port = int(self._server.server_address[1])
        self.site.web_port = self.port  # port 0 picked a free one: that is the site's address now
        self._thread = threading.Thread(target=self._server.serve_forever, name="web", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
