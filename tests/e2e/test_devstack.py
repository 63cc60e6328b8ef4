"""The devstack's own services: the inbox shows raw e-mails with attachments, and keeps files."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.env import stage_environment
from devstack.stack import StackInfo
from tests.e2e.conftest import InboxReader


def test_inbox_shows_raw_emails_with_attachments(
    stack: StackInfo, aws: Any, inbox: InboxReader, stack_state: Path
) -> None:
    message = EmailMessage()
    message["Subject"] = "Receipt 42"
    message["From"] = stage_environment()["SENDER_EMAIL"]
    message["To"] = "customer@example.com"
    message.set_content("Thanks for your order.")
    message.add_alternative("<p>Thanks for your <b>order</b>.</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="receipt-42.pdf")
    aws("ses").send_raw_email(RawMessage={"Data": message.as_bytes()})

    entry = inbox.wait_for(lambda e: e["subject"] == "Receipt 42")[0]
    assert entry["kind"] == "email" and entry["to"] == ["customer@example.com"]
    assert "Thanks for your order." in entry["text"] and "<b>order</b>" in entry["html"]
    assert entry["attachments"] == [{"filename": "receipt-42.pdf", "contentType": "application/pdf", "size": 13}]

    download = requests.get(f"{stack.web_url}/_inbox/{entry['id']}/attachments/0", timeout=10)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 fake"
    assert "receipt-42.pdf" in download.headers["Content-Disposition"]
    raw = requests.get(f"{stack.web_url}/_inbox/{entry['id']}.eml", timeout=10)
    assert raw.status_code == 200 and "Receipt 42" in raw.text
    page = requests.get(f"{stack.web_url}/_inbox/{entry['id']}", timeout=10).text
    assert "receipt-42.pdf" in page and f"/_inbox/{entry['id']}.html" in page

    files = {p.name for p in (stack_state / "inbox").iterdir()}
    stem = f"{entry['id']:04d}-email"
    assert {f"{stem}.json", f"{stem}.html", f"{stem}.eml"} <= files


def test_transaction_conflicts_can_be_switched_on_at_run_time(stack: StackInfo, aws: Any) -> None:
    """What the concurrency tests use: DynamoDB's TransactionConflict, emulated for a while."""
    switch = f"{stack.web_url}/_devstack/transaction-conflicts"
    ddb = aws("dynamodb")
    table = f"conflicts-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    put = {"Put": {"TableName": table, "Item": {"k": {"S": "hot"}}}}
    try:
        assert requests.put(switch, json={"windowMs": 2000}, timeout=10).json()["enabled"] is True
        ddb.transact_write_items(TransactItems=[put])
        with pytest.raises(ddb.exceptions.TransactionCanceledException) as err:
            ddb.transact_write_items(TransactItems=[put])
        assert [r["Code"] for r in err.value.response["CancellationReasons"]] == ["TransactionConflict"]
        assert requests.get(switch, timeout=10).json()["cancelled"] == 1
    finally:
        assert requests.put(switch, json={"windowMs": 0}, timeout=10).json()["enabled"] is False
    ddb.transact_write_items(TransactItems=[put])  # off again
