"""The devstack is not a hole in the machine (issue 7 §5): the emulator and the site serve their
own loopback address only, a stalled client delays nobody, the Cognito proxy forwards a browser's
own calls only, static folders never list, and the inbox loses nothing under concurrent sends.

Everything runs in this process against an embedded emulator on a free port; nothing depends on
`chalicelib` or this process's AWS environment.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from devstack.emulator import Emulator
from devstack.env import Ports, port_overrides, stage_environment
from devstack.inbox import Inbox
from devstack.runtime import aws_client
from devstack.web import BROWSER_COGNITO_ACTIONS, Site, WebServer

SENDER = "shop@example.com"
PASSWORD = "Correct-horse-9"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def site(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    web = tmp_path_factory.mktemp("web")
    (web / "index.html").write_text("<p>home</p>")
    (web / "assets").mkdir()
    (web / "assets" / "app.js").write_text("export {};")
    (web / "admin").mkdir()
    (web / "admin" / "index.html").write_text("<p>admin</p>")
    inbox = Inbox(None)
    server = WebServer(Site(web, 1, emulator.port, "window.X = 1;\n", inbox, lambda name: {"ok": True}), port=0)
    server.start()
    yield server
    server.stop()


def raw_request(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- the emulator ------------------------------------------------------------------------------


def test_a_stalled_client_does_not_delay_other_requests(emulator: Emulator) -> None:
    sqs = aws_client("sqs", emulator.url)
    sqs.list_queues()  # warm up: the first request builds moto's service app
    stalled = socket.create_connection(("127.0.0.1", emulator.port))
    try:
        # A request that promises 1,000 bytes of body and sends 10, then goes silent.
        stalled.sendall(
            b"POST / HTTP/1.1\r\n"
            + f"Host: 127.0.0.1:{emulator.port}\r\n".encode()
            + b"Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n"
            + b"Authorization: AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/sqs/aws4_request, "
            + b"SignedHeaders=host, Signature=x\r\n"
            + b'Content-Length: 1000\r\n\r\n{"QueueNa'
        )
        time.sleep(0.2)  # it is inside the server now
        durations = []
        for _ in range(3):
            started = time.monotonic()
            sqs.list_queues()
            durations.append(time.monotonic() - started)
        assert max(durations) < 1.0, durations
    finally:
        stalled.close()


def test_a_silent_client_is_disconnected() -> None:
    with (
        Emulator(port=0, client_timeout=1.0) as emulator,
        socket.create_connection(("127.0.0.1", emulator.port)) as silent,
    ):
        silent.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{emulator.port}\r\nContent-Length: 50\r\n\r\n".encode())
        silent.settimeout(5)
        started = time.monotonic()
        answer = silent.recv(4096)  # 408 or a closed connection, once client_timeout (1 s) passed
        assert time.monotonic() - started < 4
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408")


def test_the_emulator_answers_its_own_loopback_names_only(emulator: Emulator) -> None:
    body = b"{}"
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=x",
    }
    for host in (f"127.0.0.1:{emulator.port}", f"localhost:{emulator.port}"):
        status, _ = raw_request(emulator.port, "POST", "/", {**headers, "Host": host}, body)
        assert status == 200, host
    for host in ("attacker.example", f"attacker.example:{emulator.port}", f"127.0.0.1:{emulator.port + 1}", ""):
        status, answer = raw_request(emulator.port, "POST", "/", {**headers, "Host": host}, body)
        assert status == 403, host
        assert json.loads(answer)["__type"] == "ForbiddenHost"


# --- the site ----------------------------------------------------------------------------------


def test_the_site_answers_its_own_loopback_names_only_on_every_path(site: WebServer) -> None:
    paths = [
        ("GET", "/"),
        ("GET", "/assets/app.js"),
        ("GET", "/config.js"),
        ("GET", "/_inbox"),
        ("GET", "/_inbox.json"),
        ("GET", "/_inbox/1"),
        ("GET", "/api/products"),
        ("POST", "/_aws/cognito-idp/"),
        ("POST", "/_devstack/fire/x"),
    ]
    for method, path in paths:
        for host in ("rebound.attacker.example", f"rebound.attacker.example:{site.port}", f"127.0.0.2:{site.port}"):
            status, answer = raw_request(site.port, method, path, {"Host": host})
            assert status == 403, (method, path, host)
            assert json.loads(answer)["error"] == "ForbiddenHost"
    for host in (f"127.0.0.1:{site.port}", f"localhost:{site.port}"):
        assert raw_request(site.port, "GET", "/_inbox.json", {"Host": host})[0] == 200
        assert raw_request(site.port, "GET", "/assets/app.js", {"Host": host})[0] == 200


def test_static_folders_serve_files_never_listings(site: WebServer) -> None:
    host = {"Host": f"127.0.0.1:{site.port}"}
    assert raw_request(site.port, "GET", "/assets/app.js", host) == (200, b"export {};")
    assert raw_request(site.port, "GET", "/admin/", host) == (200, b"<p>admin</p>")  # a folder's index.html
    status, body = raw_request(site.port, "GET", "/assets/", host)
    assert status == 404 and b"app.js" not in body
    assert raw_request(site.port, "GET", "/assets", host)[0] in (301, 404)  # never a listing
    assert b"app.js" not in raw_request(site.port, "GET", "/assets?x=1", host)[1]


def _pool(emulator: Emulator) -> tuple[str, str]:
    idp = aws_client("cognito-idp", emulator.url)
    pool_id = idp.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool_id, GroupName="admin")
    return pool_id, client_id


def cognito(site: WebServer, action: str, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, Any]]:
    status, answer = raw_request(
        site.port,
        "POST",
        "/_aws/cognito-idp/",
        {
            "Host": f"127.0.0.1:{site.port}",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
            **headers,
        },
        json.dumps(body).encode(),
    )
    return status, json.loads(answer or b"{}")


def test_the_cognito_proxy_forwards_only_a_browsers_own_actions(emulator: Emulator, site: WebServer) -> None:
    pool_id, client_id = _pool(emulator)
    idp = aws_client("cognito-idp", emulator.url)
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)

    # A customer signs in through the proxy, as the site does ...
    status, signed_in = cognito(
        site,
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD},
        },
    )
    assert status == 200 and "AccessToken" in signed_in["AuthenticationResult"]
    access_token = signed_in["AuthenticationResult"]["AccessToken"]
    assert cognito(site, "GetUser", {"AccessToken": access_token})[0] == 200

    # ... and cannot make itself an admin, list users or reach any other admin action, however
    # it dresses the request up (its own Authorization header naming another service included).
    for action, body in (
        ("AdminAddUserToGroup", {"UserPoolId": pool_id, "Username": email, "GroupName": "admin"}),
        ("ListUsers", {"UserPoolId": pool_id}),
        ("AdminSetUserPassword", {"UserPoolId": pool_id, "Username": email, "Password": PASSWORD, "Permanent": True}),
        ("DeleteUserPool", {"UserPoolId": pool_id}),
        ("AssociateSoftwareToken", {"AccessToken": access_token}),
    ):
        status, answer = cognito(site, action, body)
        assert status == 400, action
        assert answer["__type"] == "InvalidParameterException" and action in answer["message"]
    dynamo_auth = (
        "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"
    )
    status, _ = raw_request(
        site.port,
        "POST",
        "/_aws/cognito-idp/",
        {
            "Host": f"127.0.0.1:{site.port}",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Authorization": dynamo_auth,
        },
        b"{}",
    )
    assert status == 400
    # An allowed action with a forged Authorization still reaches Cognito, never DynamoDB.
    status, answer = cognito(site, "GetUser", {"AccessToken": access_token}, Authorization=dynamo_auth)
    assert status == 200 and answer["Username"]
    assert raw_request(site.port, "GET", "/_aws/cognito-idp/", {"Host": f"127.0.0.1:{site.port}"})[0] == 400
    assert idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=email)["Groups"] == []


def test_the_allowed_actions_are_cognitos_unsigned_browser_api() -> None:
    assert {
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
    } == BROWSER_COGNITO_ACTIONS
    assert not any(action.startswith("Admin") for action in BROWSER_COGNITO_ACTIONS)


# --- the inbox ---------------------------------------------------------------------------------


def test_the_inbox_takes_what_arrives_while_it_converts() -> None:
    """Deterministic: an item appended during conversion is taken next time, never skipped."""
    inbox = Inbox(None)
    items: list[str] = ["a", "b"]

    def convert(item: str) -> Any:
        if item == "a":
            items.append("c")  # another thread's send, landing mid-collection
        entry = inbox._next("email", item)
        entry.message_id = item
        return entry

    inbox._take(("test",), items, convert)
    inbox._take(("test",), items, convert)
    assert sorted(e.message_id for e in inbox._entries) == ["a", "b", "c"]


def test_every_accepted_message_appears_once_under_concurrent_sends(emulator: Emulator, tmp_path: Path) -> None:
    """Raw e-mails, written to files: conversion takes long enough for sends to land during it."""
    ses = aws_client("ses", emulator.url)
    ses.verify_email_identity(EmailAddress=SENDER)
    inbox = Inbox(tmp_path, poll_interval=0.001).start()
    tag = uuid.uuid4().hex[:8]
    try:
        clients = threading.local()  # one client per thread: creating one costs ~0.3 s

        def send(n: int) -> str:
            if not hasattr(clients, "ses"):
                clients.ses = aws_client("ses", emulator.url)
            message = EmailMessage()
            message["Subject"], message["From"], message["To"] = f"{tag} {n}", SENDER, "owner@example.com"
            message.set_content("hello")
            message.add_alternative("<p>hello</p>", subtype="html")
            return str(clients.ses.send_raw_email(RawMessage={"Data": message.as_bytes()})["MessageId"])

        with ThreadPoolExecutor(8) as pool:
            accepted = list(pool.map(send, range(200)))
    finally:
        inbox.stop()
    seen = [e.message_id for e in inbox.entries() if e.subject.startswith(tag)]
    assert len(accepted) == 200
    assert sorted(seen) == sorted(accepted)  # each once: nothing lost, nothing twice
    assert len({e.id for e in inbox.entries()}) == len(inbox.entries())


# --- the local stage's origins follow the ports --------------------------------------------------


def test_site_origin_and_cors_follow_the_web_port() -> None:
    env = stage_environment("local", ports=Ports(aws=1, api=2, web=9191))
    assert env["SITE_ORIGIN"] == env["CORS_ALLOW_ORIGIN"] == "http://127.0.0.1:9191"
    assert stage_environment("local", ports=Ports())["CORS_ALLOW_ORIGIN"] == "http://127.0.0.1:8080"
    prod = {"SITE_ORIGIN": "https://${aws_cloudfront_distribution.web.domain_name}"}
    assert port_overrides(prod, Ports(web=9191)) == {}  # prod's interpolation is never touched


def test_stalled_site_client_does_not_block_the_site(site: WebServer) -> None:
    host = {"Host": f"127.0.0.1:{site.port}"}
    assert raw_request(site.port, "GET", "/_inbox.json", host)[0] == 200  # the inbox caught up
    with socket.create_connection(("127.0.0.1", site.port)) as stalled:
        stalled.sendall(
            f"POST /_devstack/fire/x HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\nContent-Length: 99\r\n\r\n".encode()
        )
        started = time.monotonic()
        assert raw_request(site.port, "GET", "/_inbox.json", host)[0] == 200
        assert time.monotonic() - started < 1.0


def test_the_transaction_conflict_switch(site: WebServer) -> None:
    from devstack.moto_patches import CONFLICTS

    host = {"Host": f"127.0.0.1:{site.port}", "Content-Type": "application/json"}
    path = "/_devstack/transaction-conflicts"
    try:
        status, body = raw_request(site.port, "PUT", path, host, b'{"windowMs": 25}')
        assert status == 200 and json.loads(body) == {"windowMs": 25.0, "enabled": True, "cancelled": 0}
        assert CONFLICTS.window_ms == 25
        assert json.loads(raw_request(site.port, "GET", path, host)[1])["enabled"] is True
        for bad in (b'{"windowMs": -1}', b'{"windowMs": "fast"}', b'{"windowMs": true}', b"{}", b"[", b""):
            status, body = raw_request(site.port, "PUT", path, host, bad)
            assert status == 400 and json.loads(body)["field"] == "windowMs", bad
        assert CONFLICTS.window_ms == 25  # a refused change changes nothing
        status, body = raw_request(site.port, "PUT", path, host, b'{"windowMs": 0}')
        assert json.loads(body)["enabled"] is False
    finally:
        CONFLICTS.configure(0)
