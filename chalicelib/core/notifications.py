"""Adapters for telling people things: SES e-mail, SNS topics, and the jinja2 templates.

Clients are built on first use and kept while warm; tests and the devstack reach the emulator the
same way production reaches AWS, through the standard environment (`AWS_ENDPOINT_URL`).

E-mail with attachments goes out as one raw MIME message (`send_mail`):

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8      (first: clients show the last part they understand)
        text/html; charset=utf-8
      application/pdf; name="receipt-....pdf"   (each attachment)

SES throttles above the account's sending rate. Every send backs off on throttling with jittered
exponential delays, within the caller's time budget, and then raises `EmailThrottled` (transient:
the SQS message or Step Functions task is retried later). botocore's own retries are off for SES so
that this is the one retry layer. Headers are always valid: no line breaks or control characters
can reach them from data (no header injection), non-ASCII text is RFC 2047 encoded, long lines
are folded.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.core.config import get_settings
from chalicelib.core.errors import EmailRejected, EmailThrottled

if TYPE_CHECKING:
    from jinja2 import Environment
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_clients: dict[str, Any] = {}
_jinja: Environment | None = None
T = TypeVar("T")

# SES error codes meaning "slow down": v1 answers `Throttling` ("Maximum sending rate exceeded"),
# v2 and some SDK paths `TooManyRequestsException` / `MaxSendingRateExceeded`.
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "MaxSendingRateExceeded", "TooManyRequestsException"}
)
# Worth another try soon: the service failed, the request was not refused.
TRANSIENT_CODES = frozenset({"ServiceUnavailable", "InternalFailure", "InternalError", "RequestTimeout"})
SEND_ATTEMPTS = 6
BACKOFF_BASE = 0.2  # seconds; attempt n waits up to base * 2**n, capped
BACKOFF_CAP = 5.0
MAX_RAW_BYTES = 10 * 1024 * 1024  # SES's limit for one raw message, after MIME encoding
MAX_SUBJECT = 200
_sleep: Callable[[float], None] = time.sleep  # replaced by tests
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}", re.ASCII)  # printable ASCII without ':' (RFC 5322 ftext)
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*", re.ASCII)


def _client(service: str) -> Any:
    if service not in _clients:
        import boto3
        from botocore.config import Config

        # SES: `_with_backoff` is the one retry layer (botocore would retry throttling itself, with
        # delays too short for a sending-rate limit, multiplying our attempts).
        config = Config(retries={"mode": "standard", "max_attempts": 1}) if service == "ses" else None
        _clients[service] = boto3.client(service, region_name=get_settings().region, config=config)  # type: ignore[call-overload]
    return _clients[service]


def get_ses() -> SESClient:
    client: SESClient = _client("ses")
    return client


def get_sns() -> SNSClient:
    client: SNSClient = _client("sns")
    return client


def render(template: str, **context: Any) -> str:
    """Render `templates/<template>`; HTML templates are autoescaped, text ones are not."""
    global _jinja
    if _jinja is None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        _jinja = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _jinja.get_template(template).render(**context)


def send_email(*, to: list[str] | tuple[str, ...], subject: str, html: str, text: str) -> str:
    """Send one e-mail through SES; returns its message id."""
    settings = get_settings()
    kwargs: dict[str, Any] = {}
    configuration_set = os.environ.get("SES_CONFIGURATION_SET")
    if configuration_set:
        kwargs["ConfigurationSetName"] = configuration_set
    response = _with_backoff(
        lambda: get_ses().send_email(
            Source=settings.sender_email,
            Destination={"ToAddresses": [_address(a) for a in to]},
            Message={
                "Subject": {"Data": header_text(subject), "Charset": "UTF-8"},
                "Body": {"Html": {"Data": html, "Charset": "UTF-8"}, "Text": {"Data": text, "Charset": "UTF-8"}},
            },
            **kwargs,
        )
    )
    return response["MessageId"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. application/pdf
    data: bytes


def header_text(value: str, *, max_length: int = MAX_SUBJECT) -> str:
    """`value` made safe for a header: one line, no control characters, bounded, never empty."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text or "(no subject)"


def _address(value: str, display_name: str | None = None) -> str:
    """One mailbox, checked and formatted (`"Name" <a@b.c>`); refuses anything SES would reject
    or that could smuggle another header or recipient."""
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    candidate = value.strip()
    if not candidate or _CONTROL.search(candidate) or not candidate.isascii() or candidate.count("@") != 1:
        raise EmailRejected("not a valid e-mail address", address=value[:100])
    try:
        name = header_text(display_name, max_length=78) if display_name else ""
        address = Address(display_name=name, addr_spec=candidate)
    except (ValueError, IndexError, HeaderParseError):
        raise EmailRejected("not a valid e-mail address", address=value[:100]) from None
    if not address.domain or "." not in address.domain or not address.username:
        raise EmailRejected("not a valid e-mail address", address=value[:100])
    return str(address)


def _filename(name: str) -> str:
    cleaned = header_text(name.replace("/", "_").replace("\\", "_"), max_length=100)
    return cleaned if cleaned != "(no subject)" else "attachment"


def build_message(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    html: str,
    text: str,
    attachments: Iterable[Attachment] = (),
    sender_name: str | None = None,
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The raw MIME message (CRLF line ends) that `send_mail` hands to SES."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate

    if not to:
        raise EmailRejected("an e-mail needs at least one recipient")
    # 7-bit clean, as SES asks: non-ASCII bodies go quoted-printable or base64, headers RFC 2047.
    message = EmailMessage(policy=SMTP.clone(cte_type="7bit"))
    message["From"] = _address(sender, sender_name)
    message["To"] = ", ".join(_address(a) for a in to)
    if reply_to:
        message["Reply-To"] = _address(reply_to)
    message["Subject"] = header_text(subject)
    message["Date"] = formatdate(usegmt=True)
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"invalid header name {name!r}")
        message[name] = header_text(value, max_length=900)
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    for attachment in attachments:
        content_type = attachment.content_type.lower()
        if not _MIME_TYPE.fullmatch(content_type):
            raise ValueError(f"invalid attachment content type {attachment.content_type!r}")
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=_filename(attachment.filename)
        )
    raw = message.as_bytes()
    if len(raw) > MAX_RAW_BYTES:
        raise EmailRejected(f"the e-mail is {len(raw)} bytes encoded; SES accepts at most {MAX_RAW_BYTES}")
    return raw


def send_mail(
    *,
    to: Sequence[str],
    subject: str,
    html: str,
    text: str,
    attachments: Iterable[Attachment] = (),
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
    deadline: float | None = None,
) -> str:
    """Send one multipart e-mail (HTML, its text alternative, attachments) with SES
    `SendRawEmail`, from the shop's sender address under the shop's name; returns SES's message
    id. `deadline` (a `time.monotonic()` instant) bounds the backoff: no wait goes past it."""
    settings = get_settings()
    raw = build_message(
        sender=settings.sender_email,
        sender_name=settings.shop_name,
        to=to,
        subject=subject,
        html=html,
        text=text,
        attachments=attachments,
        reply_to=reply_to,
        headers=headers,
    )
    return send_raw(raw, deadline=deadline)


def send_raw(raw: bytes, *, deadline: float | None = None) -> str:
    """Send a raw MIME message (from `build_message`, or built elsewhere, such as the daily
    report's e-mail with inline charts) with SES `SendRawEmail`, backing off like every send."""
    if len(raw) > MAX_RAW_BYTES:
        raise EmailRejected(f"the e-mail is {len(raw)} bytes encoded; SES accepts at most {MAX_RAW_BYTES}")
    kwargs: dict[str, Any] = {}
    configuration_set = os.environ.get("SES_CONFIGURATION_SET")
    if configuration_set:
        kwargs["ConfigurationSetName"] = configuration_set
    # No `Destinations`: SES takes the envelope from the message's To/Cc/Bcc headers.
    response = _with_backoff(
        lambda: get_ses().send_raw_email(Source=get_settings().sender_email, RawMessage={"Data": raw}, **kwargs),
        deadline=deadline,
    )
    return str(response["MessageId"])


def _with_backoff(call: Callable[[], T], *, deadline: float | None = None) -> T:
    """`call()`, again after a jittered exponential wait while SES throttles or fails transiently.

    Full jitter (a random wait up to the exponential bound) spreads concurrent senders out
    instead of having them retry in lockstep. A refusal (`MessageRejected`, an unverified
    address) is permanent and raised at once; so is the daily quota, which no wait within one
    invocation fixes.
    """
    from botocore.exceptions import ClientError

    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return call()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "")), str(error.get("Message", ""))
            if code in THROTTLING_CODES and "daily" in message.lower():
                raise EmailThrottled(f"SES daily sending quota exhausted ({message})") from None
            if code not in THROTTLING_CODES and code not in TRANSIENT_CODES:
                raise EmailRejected(f"SES refused the e-mail: {code}: {message}", sesError=code) from None
            wait = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
            out_of_time = deadline is not None and time.monotonic() + wait > deadline
            if attempt == SEND_ATTEMPTS or out_of_time:
                raise EmailThrottled(f"SES still answers {code} after {attempt} attempts; try again later") from None
            _sleep(wait)
    raise AssertionError("unreachable")


SNS_SUBJECT_MAX = 99  # AWS: "less than 100 characters long"


def one_line(text: str) -> str:
    """Text fit for a subject line: line breaks and control characters become spaces, runs of
    white space one space, trimmed."""
    spaced = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(spaced.split())


def sns_subject(text: str) -> str:
    """An SNS subject AWS accepts, whatever the text (product names come from admins).

    AWS's rule (Publish API): UTF-8 text with no line breaks or control characters, less than
    100 characters; its older wording also required ASCII starting with a letter, number or
    punctuation mark. moto accepts anything, so this builds the strictest form: ASCII
    (accents dropped, other characters as '?'), one line, starting with a letter, digit or
    punctuation mark, at most 99 characters (cut with "...").
    """
    ascii_text = "".join(
        ch if ch.isascii() else "?"
        for ch in unicodedata.normalize("NFKD", one_line(text))
        if not unicodedata.combining(ch)
    )
    # Trimmed printable ASCII starts with a letter, a digit or a punctuation mark by construction.
    subject = one_line(ascii_text) or "Stockroom notification"
    if len(subject) > SNS_SUBJECT_MAX:
        subject = subject[: SNS_SUBJECT_MAX - 3].rstrip() + "..."
    return subject


def publish(*, topic_arn: str, subject: str, payload: dict[str, Any], email_text: str, event_type: str) -> str:
    """Publish a domain event: JSON for machines (queues, Lambdas), prose for e-mail subscribers."""
    response = get_sns().publish(
        TopicArn=topic_arn,
        Subject=sns_subject(subject),
        MessageStructure="json",
        Message=json.dumps({"default": json.dumps(payload), "email": email_text}),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
    )
    return response["MessageId"]
