"""The local inbox: every e-mail sent through SES and every SNS notification, readable.

The emulator runs in this process, so the inbox reads moto's backends directly (SES keeps the
messages it "sent", SNS topics keep what was published) instead of subscribing anything. A
collector thread turns new entries into `Entry` objects (newest first for the web page) and
files under `.devstack/inbox/` (`<n>-<kind>.json`, plus `.html` bodies and `.eml` raw messages).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import json
import logging
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("devstack.inbox")


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes

    def describe(self) -> dict[str, Any]:
        return {"filename": self.filename, "contentType": self.content_type, "size": len(self.data)}


@dataclass
class Entry:
    id: int
    kind: str  # "email" or "sns"
    received_at: str
    subject: str
    sender: str = ""
    to: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    raw: str = ""
    topic_arn: str = ""
    message_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in ("attachments", "raw")}
        data["attachments"] = [a.describe() for a in self.attachments]
        data["hasRaw"] = bool(self.raw)
        return data


def _looks_like_html(body: str) -> bool:
    return bool(re.search(r"<(html|body|p|div|table|br|h\d)\b", body, re.IGNORECASE))


def html_to_text(markup: str) -> str:
    """A readable plain-text rendering of an HTML body (moto keeps only one body)."""
    text = re.sub(r"(?is)<(head|style|script)\b.*?</\1>", "", markup)
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|h\d|li|table)>", "\n", text)
    text = re.sub(r"(?i)</t[dh]>", " ", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _from_raw(raw: str) -> dict[str, Any]:
    """Subject, parties, bodies and attachments of a raw MIME message."""
    message = email.message_from_string(raw, policy=email.policy.default)
    parts: dict[str, Any] = {
        "subject": str(message.get("Subject", "")),
        "sender": str(message.get("From", "")),
        "to": [str(a) for a in message.get_all("To", [])],
        "attachments": [],
    }
    for kind in ("plain", "html"):
        body = message.get_body(preferencelist=(kind,))
        if body is not None:
            parts["text" if kind == "plain" else "html"] = body.get_content()
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        parts["attachments"].append(Attachment(part.get_filename() or "attachment", part.get_content_type(), payload))
    return parts


class Inbox:
    """Collects what the emulator sent; thread-safe."""

    def __init__(self, folder: Path | None, poll_interval: float = 0.25) -> None:
        self.folder = folder
        self.poll_interval = poll_interval
        self._entries: list[Entry] = []
        self._seen: dict[tuple[str, ...], int] = {}  # backend list -> how many entries were taken
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.iterdir():  # a new emulator starts empty: so does its inbox
                if old.is_file():
                    old.unlink()

    def entries(self) -> list[Entry]:
        """Newest first."""
        self.collect()
        with self._lock:
            return list(reversed(self._entries))

    def get(self, entry_id: int) -> Entry | None:
        return next((e for e in self.entries() if e.id == entry_id), None)

    def start(self) -> Inbox:
        self._thread = threading.Thread(target=self._loop, name="inbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.collect()
            except Exception:
                log.exception("inbox collection failed")

    def collect(self) -> None:
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        with self._lock:
            for account, regions in list(ses_backends.items()):
                for region, backend in list(regions.items()):
                    self._take(("ses", account, region), backend.sent_messages, self._email)
            for sns_regions in list(sns_backends.values()):
                for sns in list(sns_regions.values()):
                    for arn, topic in list(sns.topics.items()):
                        self._take(
                            ("sns", arn), topic.sent_notifications, lambda n, arn=arn: self._notification(arn, n)
                        )

    def _take(self, key: tuple[str, ...], items: list[Any], convert: Any) -> None:
        """Take what `items` (a list moto appends to, from other threads) gained since last time.

        Invariant: `_seen[key]` counts exactly the items converted. The slice is one atomic copy;
        whatever is appended while it is converted is taken next time (counting `len(items)`
        afterwards would skip it forever).
        """
        start = self._seen.get(key, 0)
        if start > len(items):  # the emulator's backends were reset: a new list
            start = 0
        new = items[start:]
        for item in new:
            entry: Entry = convert(item)
            self._entries.append(entry)
            self._write(entry)
        self._seen[key] = start + len(new)

    def _next(self, kind: str, subject: str) -> Entry:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        return Entry(id=len(self._entries) + 1, kind=kind, received_at=now, subject=subject)

    def _email(self, message: Any) -> Entry:
        entry = self._next("email", getattr(message, "subject", "") or "")
        entry.message_id = message.id
        entry.sender = message.source
        if hasattr(message, "raw_data"):  # SendRawEmail (attachments)
            entry.raw = message.raw_data
            for name, value in _from_raw(message.raw_data).items():
                setattr(entry, name, value or getattr(entry, name))
            entry.to = entry.to or list(message.destinations)
        elif hasattr(message, "template"):  # SendTemplatedEmail
            entry.subject = f"[template {message.template}]"
            entry.text = message.template_data
            entry.to = [a for addresses in message.destinations.values() for a in addresses]
        else:  # SendEmail: moto keeps one body, the HTML one when both were given
            entry.to = [a for addresses in message.destinations.values() for a in addresses]
            if _looks_like_html(message.body):
                entry.html = message.body
                entry.text = html_to_text(message.body)
            else:
                entry.text = message.body
        return entry

    def _notification(self, topic_arn: str, notification: tuple[Any, ...]) -> Entry:
        message_id, message, subject, attributes, _group = notification
        entry = self._next("sns", subject or f"notification on {topic_arn.rsplit(':', 1)[-1]}")
        entry.message_id, entry.topic_arn, entry.text = message_id, topic_arn, message
        entry.sender, entry.to = topic_arn, [topic_arn.rsplit(":", 1)[-1]]
        entry.attributes = {k: v.get("Value", v) if isinstance(v, dict) else v for k, v in (attributes or {}).items()}
        try:  # MessageStructure=json: show what a queue or Lambda subscriber receives
            structure = json.loads(message)
            if isinstance(structure, dict) and isinstance(structure.get("default"), str):
                entry.text = structure["default"]
                entry.attributes["messageStructure"] = "json"
        except ValueError:
            pass
        return entry

    def _write(self, entry: Entry) -> None:
        if self.folder is None:
            return
        stem = self.folder / f"{entry.id:04d}-{entry.kind}"
        stem.with_suffix(".json").write_text(json.dumps(entry.describe(), indent=2, default=str))
        if entry.html:
            stem.with_suffix(".html").write_text(entry.html)
        if entry.raw:
            stem.with_suffix(".eml").write_text(entry.raw)
