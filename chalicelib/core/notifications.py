"""Adapters for telling people things: SES e-mail, SNS topics, and the jinja2 templates.

Clients are built on first use and kept while warm; tests and the devstack reach the emulator the
same way production reaches AWS, through the standard environment (`AWS_ENDPOINT_URL`).
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.core.config import get_settings

if TYPE_CHECKING:
    from jinja2 import Environment
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_clients: dict[str, Any] = {}
_jinja: Environment | None = None


def _client(service: str) -> Any:
    if service not in _clients:
        import boto3

        _clients[service] = boto3.client(service, region_name=get_settings().region)  # type: ignore[call-overload]
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
    response = get_ses().send_email(
        Source=settings.sender_email,
        Destination={"ToAddresses": list(to)},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Html": {"Data": html, "Charset": "UTF-8"}, "Text": {"Data": text, "Charset": "UTF-8"}},
        },
        **kwargs,
    )
    return response["MessageId"]


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
