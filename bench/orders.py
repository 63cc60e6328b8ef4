"""Figures for the order workflow's building blocks (`python -m bench documents`):

- the PDF receipt: render time (p50/p99 over repeated renders, warm process) and size, for a
  3-line and a 30-line order, plus the first render in a fresh process (imports fpdf2);
- the confirmation e-mail: rendering time and encoded MIME size with the receipt attached;
- AWS requests per payment operation of the simulated gateway (moto in-process, botocore hooks):
  a first authorization, its replay, a capture, a refund.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def documents(renders: int = 40) -> dict[str, Any]:
    from bench.__main__ import _local_env

    os.environ.update(_local_env())
    from chalicelib.core.notifications import build_message
    from chalicelib.orders import emails
    from chalicelib.orders.receipts import render_receipt
    from chalicelib.orders.views import LineView
    from tests.support.orders import sample_view

    big_lines = tuple(
        LineView(f"art-{n:03d}", f"Product number {n}", "east", 2, 1_000 + n, 2 * (1_000 + n)) for n in range(30)
    )
    views = {"3_lines": sample_view(), "30_lines": sample_view(lines=big_lines, discount_cents=0, promo_code=None)}
    out: dict[str, Any] = {}
    for name, view in views.items():
        render_receipt(view)
        times = []
        for _ in range(renders):
            started = time.perf_counter()
            pdf = render_receipt(view)
            times.append(time.perf_counter() - started)
        out[f"receipt_{name}_ms_p50"] = round(_pct(times, 50) * 1000, 1)
        out[f"receipt_{name}_ms_p99"] = round(_pct(times, 99) * 1000, 1)
        out[f"receipt_{name}_bytes"] = len(pdf)

    code = (
        "import time; t=time.perf_counter(); from chalicelib.orders.receipts import render_receipt; "
        "from tests.support.orders import sample_view; render_receipt(sample_view()); print(time.perf_counter()-t)"
    )
    cold = [
        float(subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=os.environ.copy(), check=True,
                             capture_output=True, text=True).stdout.split()[-1])
        for _ in range(5)
    ]  # fmt: skip
    out["receipt_first_render_fresh_process_ms_median"] = round(statistics.median(cold) * 1000, 1)

    view = views["3_lines"]
    pdf = render_receipt(view)
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        email = emails.confirmation(view, status_url="https://s/o", receipt_url="https://s/r", receipt_pdf=pdf)
        raw = build_message(sender="s@example.com", to=list(email.to), subject=email.subject, html=email.html,
                            text=email.text, attachments=email.attachments)  # fmt: skip
        times.append(time.perf_counter() - started)
    out["confirmation_email_ms_p50"] = round(_pct(times, 50) * 1000, 1)
    out["confirmation_email_mime_bytes"] = len(raw)
    out.update(_payment_requests())
    return out


def _payment_requests() -> dict[str, Any]:
    from moto import mock_aws

    from bench.aws_calls import count_aws_calls

    with mock_aws():
        from chalicelib.core import db
        from chalicelib.core.db import create_table
        from chalicelib.orders.models import Payment
        from chalicelib.orders.payments import order_key
        from chalicelib.orders.payments.simulated import SimulatedGateway

        db._connection = None
        create_table(Payment)
        gateway = SimulatedGateway()
        args = {"order_id": "b-0", "amount_cents": 1_000, "currency": "USD", "token": "tok_visa"}
        gateway.authorize(**args, idempotency_key="warm")  # PynamoDB's DescribeTable happens once
        counts: dict[str, int] = {}
        first = {**args, "order_id": "b-1", "idempotency_key": order_key("b-1", "authorize")}
        steps = {
            "authorize": lambda: gateway.authorize(**first),
            "authorize_replay": lambda: gateway.authorize(**first),
        }
        for name, step in steps.items():
            with count_aws_calls() as calls:
                payment = step()
            counts[f"requests_{name}"] = sum(calls.values())
        with count_aws_calls() as calls:
            gateway.capture(payment_id=payment.payment_id, idempotency_key=order_key("b-1", "capture"))
        counts["requests_capture"] = sum(calls.values())
        with count_aws_calls() as calls:
            gateway.refund(payment_id=payment.payment_id, idempotency_key=order_key("b-1", "refund:all"))
        counts["requests_refund"] = sum(calls.values())
    return counts
