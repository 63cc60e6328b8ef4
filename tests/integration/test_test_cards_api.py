"""`GET /payments/test-cards`: the storefront's test-mode card table, served from its one
definition (chalicelib/shop/payment_cards.py), public and cacheable."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from chalicelib.shop.payment_cards import CARDS, card_table


def test_the_card_form_table_is_public_and_cacheable(client: Client) -> None:
    response = client.http.get("/payments/test-cards")
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    body = json.loads(response.body)
    assert body == card_table()
    assert {c["number"]: c["token"] for c in body["cards"]} == CARDS


def test_a_signed_in_caller_gets_the_same_table(client: Client, cognito: Any) -> None:
    response = client.http.get("/payments/test-cards", headers={"Authorization": f"Bearer {cognito.token()}"})
    assert response.status_code == 200
    assert json.loads(response.body) == card_table()
