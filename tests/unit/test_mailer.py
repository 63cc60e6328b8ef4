"""The raw MIME mailer: structure, always-valid headers, and backoff on SES throttling
(SES replaced by a fake that throttles on cue; no emulator)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.core import notifications
from chalicelib.core.errors import EmailRejected, EmailThrottled
from chalicelib.core.notifications import Attachment, build_message, header_text

PDF = b"%PDF-1.4 fake receipt \x00\xff bytes"


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def build(**changes: Any) -> bytes:
    args: dict[str, Any] = {
        "sender": "shop@example.com",
        "sender_name": "Corner Shop",
        "to": ["ann@example.com"],
        "subject": "Your order",
        "html": "<p>Hello <b>Ann</b></p>",
        "text": "Hello Ann",
        "attachments": [Attachment("receipt-o1.pdf", "application/pdf", PDF)],
    }
    args.update(changes)
    return build_message(**args)


def test_multipart_mixed_with_alternative_bodies_and_the_attachment() -> None:
    message = parse(build())
    assert message.get_content_type() == "multipart/mixed"
    body, attachment = message.get_payload()  # type: ignore[misc]
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.get_payload()] == ["text/plain", "text/html"]
    assert message.get_body(("plain",)).get_content().strip() == "Hello Ann"  # type: ignore[union-attr]
    assert "<b>Ann</b>" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "receipt-o1.pdf"
    assert attachment.get_payload(decode=True) == PDF
    assert message["From"] == "Corner Shop <shop@example.com>"
    assert message["Date"]


def test_headers_stay_valid_whatever_the_data() -> None:
    raw = build(
        subject="Ünïcode order ✓\r\nBcc: evil@example.com\x00" + "x" * 500,
        sender_name='Shop "Best"\nBcc: evil@example.com',
        html="<p>é</p>",
        text="é",
    )
    raw.decode("ascii")  # 7-bit clean: non-ASCII is encoded (RFC 2047, quoted-printable, base64)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = parse(raw)
    assert message["Bcc"] is None
    subject = str(message["Subject"])
    assert subject.startswith("Ünïcode order ✓ Bcc: evil@example.com") and "\n" not in subject
    assert len(subject) <= 200
    assert message["From"].addresses[0].addr_spec == "shop@example.com"  # type: ignore[union-attr]
    assert header_text("  \r\n ") == "(no subject)"


@pytest.mark.parametrize(
    "address", ["ann@example.com\r\nBcc: evil@example.com", "not an address", "a@b", "zoë@example.com", "", "a@@b.c"]
)
def test_bad_recipients_are_refused(address: str) -> None:
    with pytest.raises(EmailRejected, match="not a valid e-mail address"):
        build(to=[address])


def test_no_recipient_bad_header_names_and_bad_types_are_refused() -> None:
    with pytest.raises(EmailRejected):
        build(to=[])
    with pytest.raises(ValueError, match="header name"):
        build(headers={"X-Bad: injected": "v"})
    with pytest.raises(ValueError, match="content type"):
        build(attachments=[Attachment("a", "application/pdf\r\nX: y", b"")])


def test_attachment_names_cannot_carry_paths_or_breaks() -> None:
    message = parse(build(attachments=[Attachment("../../etc/pass\r\nwd.pdf", "application/pdf", PDF)]))
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == ".._.._etc_pass wd.pdf"


def test_oversized_messages_are_refused_before_sending() -> None:
    with pytest.raises(EmailRejected, match="at most"):
        build(attachments=[Attachment("big.bin", "application/octet-stream", b"\0" * (8 * 1024 * 1024))])


# --- sending with backoff ---------------------------------------------------------------


def error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "SendRawEmail")


class FakeSES:
    def __init__(self, failures: list[ClientError]) -> None:
        self.failures = failures
        self.sent: list[dict[str, Any]] = []

    def _answer(self, kwargs: dict[str, Any]) -> dict[str, str]:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(kwargs)
        return {"MessageId": f"m-{len(self.sent)}"}

    def send_raw_email(self, **kwargs: Any) -> dict[str, str]:
        return self._answer(kwargs)

    def send_email(self, **kwargs: Any) -> dict[str, str]:
        return self._answer(kwargs)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    waits: list[float] = []
    monkeypatch.setattr(notifications, "_sleep", waits.append)
    yield waits
    notifications._clients.pop("ses", None)


def fake(*failures: ClientError) -> FakeSES:
    ses = FakeSES(list(failures))
    notifications._clients["ses"] = ses
    return ses


def send(**changes: Any) -> str:
    args: dict[str, Any] = {"to": ["ann@example.com"], "subject": "s", "html": "<p>h</p>", "text": "t"}
    args.update(changes)
    return notifications.send_mail(**args)


def test_throttling_is_retried_with_growing_jittered_waits(sleeps: list[float]) -> None:
    ses = fake(
        error("Throttling", "Maximum sending rate exceeded."), error("MaxSendingRateExceeded"), error("Throttling")
    )
    assert send() == "m-1"
    assert len(sleeps) == 3 and len(ses.sent) == 1
    for attempt, wait in enumerate(sleeps, start=1):
        assert 0 <= wait <= min(notifications.BACKOFF_CAP, notifications.BACKOFF_BASE * 2**attempt)
    sent = ses.sent[0]
    assert sent["Source"] == "stockroom@example.com" and b"\r\nTo: ann@example.com\r\n" in sent["RawMessage"]["Data"]


def test_throttling_that_outlasts_the_attempts_is_a_transient_error(sleeps: list[float]) -> None:
    fake(*[error("Throttling")] * notifications.SEND_ATTEMPTS)
    with pytest.raises(EmailThrottled) as throttled:
        send()
    assert type(throttled.value).__name__ == "EmailThrottled"
    assert len(sleeps) == notifications.SEND_ATTEMPTS - 1


def test_no_wait_goes_past_the_deadline(sleeps: list[float]) -> None:
    import time

    fake(error("Throttling"), error("Throttling"))
    with pytest.raises(EmailThrottled):
        send(deadline=time.monotonic())
    assert sleeps == []


def test_the_daily_quota_and_refusals_are_not_retried(sleeps: list[float]) -> None:
    fake(error("Throttling", "Daily message quota exceeded."))
    with pytest.raises(EmailThrottled, match="daily sending quota"):
        send()
    fake(error("MessageRejected", "Email address is not verified."))
    with pytest.raises(EmailRejected, match="MessageRejected"):
        send()
    assert sleeps == []


def test_transient_service_errors_are_retried_too(sleeps: list[float]) -> None:
    ses = fake(error("ServiceUnavailable"))
    assert send() == "m-1" and len(sleeps) == 1 and ses.sent


def test_the_simple_sender_backs_off_as_well(sleeps: list[float]) -> None:
    ses = fake(error("Throttling"))
    assert notifications.send_email(to=["ann@example.com"], subject="a\r\nb", html="h", text="t") == "m-1"
    assert len(sleeps) == 1
    assert ses.sent[0]["Message"]["Subject"]["Data"] == "a b"


def test_raw_messages_built_elsewhere_get_the_same_backoff(sleeps: list[float]) -> None:
    ses = fake(error("Throttling"))
    raw = build()
    assert notifications.send_raw(raw) == "m-1"
    assert len(sleeps) == 1 and ses.sent[0]["RawMessage"]["Data"] is raw
    with pytest.raises(EmailRejected, match="at most"):
        notifications.send_raw(b"x" * (notifications.MAX_RAW_BYTES + 1))
