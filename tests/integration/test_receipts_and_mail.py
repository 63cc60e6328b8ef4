"""Receipts in the private bucket with presigned links, and the order e-mails through SES's
SendRawEmail, against moto (provisioned from the same definitions as the devstack)."""

from __future__ import annotations

import email
import email.policy
import io
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from pypdf import PdfReader

from chalicelib.core import resources, storage
from chalicelib.orders import emails
from chalicelib.orders.receipts import load_receipt, receipt_key, receipt_url, render_receipt, store_receipt
from devstack.env import REGION
from tests.integration.conftest import env, sent_emails
from tests.support.orders import sample_view

pytestmark = pytest.mark.usefixtures("aws")


def test_the_receipts_bucket_is_provisioned_private() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    name = env("RECEIPTS_BUCKET")
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4


def test_store_is_idempotent_and_the_link_is_short_lived() -> None:
    view = sample_view()
    stored = store_receipt(view)
    assert (stored.bucket, stored.key) == (env("RECEIPTS_BUCKET"), "receipts/ord-7f3a9c2e.pdf")
    again = store_receipt(view)
    assert again == stored  # same key, same bytes
    s3 = boto3.client("s3", region_name=REGION)
    head = s3.head_object(Bucket=stored.bucket, Key=stored.key)
    assert head["ContentType"] == "application/pdf" and head["Metadata"] == {"order-id": "ord-7f3a9c2e"}
    assert load_receipt(view.order_id) == render_receipt(view)

    url = receipt_url(view.order_id)
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert 'filename="receipt-ord-7f3a9c2e.pdf"' in query["response-content-disposition"][0]
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "ord-7f3a9c2e" in text and "$241.69" in text


def test_links_are_bounded() -> None:
    with pytest.raises(ValueError, match="expires_in"):
        storage.presigned_get(resources.RECEIPTS_BUCKET, receipt_key("o"), expires_in=7 * 24 * 3600)


def test_confirmation_goes_out_as_one_raw_multipart_message_with_the_pdf() -> None:
    view = sample_view()
    pdf = render_receipt(view)
    message_id = emails.send(
        emails.confirmation(view, status_url="https://s/o", receipt_url="https://s/r", receipt_pdf=pdf)
    )
    (sent,) = sent_emails()
    assert sent.id == message_id
    assert (sent.source, sent.destinations) == ("stockroom@example.com", ["zoe@example.com"])
    message = email.message_from_string(sent.raw_data, policy=email.policy.default)
    assert str(message["Subject"]) == "Your Stockroom Demo Shop order ord-7f3a9c2e is confirmed"
    assert str(message["From"]) == "Stockroom Demo Shop <stockroom@example.com>"
    assert message["X-Stockroom-Order"] == "ord-7f3a9c2e"
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "receipt-ord-7f3a9c2e.pdf"
    assert attachment.get_payload(decode=True) == pdf


def test_admin_purchase_mail() -> None:
    admin = emails.admin_purchase(sample_view(), admin_url="https://s/admin")
    assert admin is not None
    emails.send(admin)
    (sent,) = sent_emails()
    assert sent.destinations == ["owner@example.com"]
