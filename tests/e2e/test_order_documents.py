"""The workflow's documents on the running devstack: the receipt stored in the provisioned
receipts bucket and fetched over HTTP through its presigned link, and the confirmation e-mail
(raw MIME through SES) read back from the inbox with its PDF. The components run in this test
process, pointed at the devstack's emulator; the workflow that calls them comes later."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from pypdf import PdfReader

from chalicelib.core import notifications, storage
from chalicelib.orders import emails
from chalicelib.orders.receipts import load_receipt, receipt_url, store_receipt
from devstack.stack import StackInfo
from tests.e2e.conftest import InboxReader
from tests.support.orders import sample_view


@pytest.fixture
def on_the_stack(aws: Callable[[str], Any]) -> Iterator[None]:
    """Route the S3 and SES adapters to the devstack's emulator for one test."""
    storage.set_s3(aws("s3"))
    notifications._clients["ses"] = aws("ses")
    yield
    storage.set_s3(None)
    notifications._clients.pop("ses", None)


@pytest.mark.usefixtures("on_the_stack")
def test_receipt_in_the_bucket_and_its_link_over_http(stack: StackInfo) -> None:
    view = sample_view(order_id="e2e-receipt-1")
    stored = store_receipt(view)
    assert stored.key == "receipts/e2e-receipt-1.pdf"
    url = receipt_url(view.order_id)
    assert url.startswith(stack.aws_url)
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text[:300]
    assert response.content == load_receipt(view.order_id)
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "e2e-receipt-1" in text and "$241.69" in text


@pytest.mark.usefixtures("on_the_stack")
def test_confirmation_email_reaches_the_inbox_with_the_pdf(inbox: InboxReader, stack: StackInfo) -> None:
    view = sample_view(order_id="e2e-mail-1")
    pdf = store_receipt(view) and load_receipt(view.order_id)
    emails.send(emails.confirmation(view, status_url="http://s/o", receipt_url="http://s/r", receipt_pdf=pdf))
    (entry,) = inbox.wait_for(lambda e: "e2e-mail-1" in e["subject"])
    assert entry["to"] == ["zoe@example.com"]
    assert "Your order e2e-mail-1 is confirmed" in entry["text"] and "$241.69" in entry["html"]
    assert entry["attachments"] == [
        {"filename": "receipt-e2e-mail-1.pdf", "contentType": "application/pdf", "size": len(pdf)}
    ]
    download = requests.get(f"{stack.web_url}/_inbox/{entry['id']}/attachments/0", timeout=10)
    assert download.content == pdf
