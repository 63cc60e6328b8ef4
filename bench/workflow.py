"""The order workflow's figures (issue 10 §7).

- `workflow_requests`: AWS requests per order, by service and operation, from placement to
  CONFIRMED: the checkout, the stream consumer's enqueue, the queue consumer's start, each task as
  Step Functions calls it, counted with botocore's hooks against moto in-process (the Lambda pollers'
  own SQS receive/delete and the stream reads are AWS's, estimated beside them). Then the cost of
  1,000 orders from those counts and AWS's public on-demand prices (us-east-1; the table is printed).
- `workflow_latency`: placement -> confirmation e-mail in the inbox, p50/p99, N orders from 16
  clients through the whole devstack (moto's interpreter running the ASL, the tasks in-process).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent

# AWS public on-demand prices, us-east-1, USD (pricing pages as of 2025; free tiers ignored).
PRICES = {
    "stepfunctions_standard_per_state_transition": 0.025 / 1000,
    "lambda_per_request": 0.20 / 1_000_000,
    "lambda_per_gb_second_arm": 0.0000133334,
    "dynamodb_on_demand_per_write_request_unit": 0.625 / 1_000_000,
    "dynamodb_on_demand_per_read_request_unit": 0.125 / 1_000_000,
    "sqs_standard_per_request": 0.40 / 1_000_000,
    "sns_per_publish": 0.50 / 1_000_000,
    "ses_per_email": 0.10 / 1000,
    "ses_per_attachment_gb": 0.12,
    "s3_standard_per_put": 0.005 / 1000,
    "s3_standard_per_get": 0.0004 / 1000,
}
# Happy path: ChargePayment, CommitStock, StoreReceipt, PublishOrderNotification, EmailCustomer,
# MarkConfirmed, AnyStepFailed, Confirmed (Step Functions bills each state entered).
STATE_TRANSITIONS = 8
TASKS = (
    "charge_payment",
    "commit_stock",
    "store_receipt",
    "publish_order_notification",
    "email_customer",
    "mark_confirmed",
)
# Lambda functions per order: the stream consumer and the queue consumer (batched in AWS: counted as
# one each, the worst case) and the six tasks; memory as .chalice/config.json gives them.
MEMORY_MB = {
    "start_order_workflows": 256,
    "run_order_workflows": 256,
    "charge_payment": 256,
    "commit_stock": 256,
    "store_receipt": 512,
    "publish_order_notification": 256,
    "email_customer": 512,
    "mark_confirmed": 256,
}
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}
READ_OPERATIONS = {"GetItem", "Query", "Scan", "BatchGetItem"}


def _dynamodb_units(requests: list[tuple[str, dict[str, Any]]]) -> tuple[float, float]:
    """(write units, read units), conservatively: each item written is 1 KB or more -> its size in
    KB rounded up (orders are ~2 KB: 2 units); transactional items cost twice; a consistent read of
    an item up to 4 KB is 1 unit; a Query or BatchGet 1 unit per item returned, assumed 1."""
    writes = reads = 0.0
    for name, body in requests:
        service, _, operation = name.partition(".")
        if service != "dynamodb":
            continue
        if operation == "TransactWriteItems":
            writes += 2 * sum(
                2 if "Put" in item and "order_id" in json.dumps(item) else 1 for item in body.get("TransactItems", [])
            )
        elif operation in WRITE_OPERATIONS:
            writes += 2 if body.get("TableName", "").endswith("orders") else 1
        elif operation in READ_OPERATIONS:
            reads += 1
    return writes, reads


def workflow_requests(orders: int = 10) -> dict[str, Any]:
    """AWS requests per order from POST /orders to CONFIRMED, and the cost of 1,000 orders."""
    from bench.aws_calls import count_aws_calls
    from bench.inproc import in_process_api
    from chalicelib.orders import pipeline

    with in_process_api() as (client, admin):

        def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
            response = client.http.post(path, headers=headers, body=json.dumps(body))
            assert response.status_code in (200, 201), response.body
            return json.loads(response.body)

        post("/warehouses", {"warehouseId": "main", "name": "New York", "zip": "10001"}, admin)
        body = {"productId": "BENCH-A", "productName": "Bench", "quantity": 10_000, "threshold": 0}
        post("/products", {**body, "priceCents": 1250}, admin)
        order = {
            "items": [{"productId": "BENCH-A", "quantity": 2}],
            "zip": "07102",
            "deliveryMethod": "CURBSIDE",
            "shippingAddress": {
                "name": "B",
                "line1": "1 Main St",
                "city": "Newark",
                "zip": "07102",
                "country": "US",
            },
            "email": "bench@example.com",
            "paymentToken": "tok_visa",
        }

        def one_order() -> float:
            placed = post("/orders", order, {"Content-Type": "application/json"})
            pipeline.enqueue(placed["orderId"])  # what start_order_workflows does per record
            pipeline.start(placed["orderId"])  # what run_order_workflows does per message
            spent = 0.0
            for name in TASKS:
                started = time.perf_counter()
                client.lambda_.invoke(name, {"orderId": placed["orderId"], "attempt": 1})
                spent += (time.perf_counter() - started) * MEMORY_MB[name] / 1024
            return spent

        one_order()  # warm: imports, PynamoDB's DescribeTable calls happen once
        requests: list[tuple[str, dict[str, Any]]] = []
        gb_seconds = 0.0
        with count_aws_calls(requests) as calls:
            for _ in range(orders):
                gb_seconds += one_order()
    # moto's in-process Step Functions also tries to run the started execution (its Lambda.Invoke
    # calls fail: no such functions in moto); the tasks are invoked above, as Step Functions would.
    per_order = {k: round(v / orders, 2) for k, v in sorted(calls.items()) if not k.startswith("lambda.")}
    # AWS's own requests on our behalf, billed to us: the queue's Lambda poller receives and deletes
    # each message (SQS batches of 1 in the worst case); stream reads by Lambda are free.
    per_order["sqs.ReceiveMessage (Lambda poller)"] = 1.0
    per_order["sqs.DeleteMessage (Lambda poller)"] = 1.0
    by_service: dict[str, float] = {}
    for name, count in per_order.items():
        service = name.split(".", 1)[0]
        by_service[service] = round(by_service.get(service, 0.0) + count, 2)
    writes, reads = _dynamodb_units(requests)
    lambda_invocations = len(MEMORY_MB)
    # The two consumers' compute, not measured here: 50 ms each at 256 MB, generously.
    gb_seconds_per_order = gb_seconds / orders + 2 * 0.05 * 0.25
    cost = {
        "stepfunctions": STATE_TRANSITIONS * PRICES["stepfunctions_standard_per_state_transition"],
        "lambda": lambda_invocations * PRICES["lambda_per_request"]
        + gb_seconds_per_order * PRICES["lambda_per_gb_second_arm"],
        "dynamodb": writes / orders * PRICES["dynamodb_on_demand_per_write_request_unit"]
        + reads / orders * PRICES["dynamodb_on_demand_per_read_request_unit"],
        "sqs": by_service.get("sqs", 0.0) * PRICES["sqs_standard_per_request"],
        "sns": by_service.get("sns", 0.0) * PRICES["sns_per_publish"],
        "ses": by_service.get("ses", 0.0) * PRICES["ses_per_email"] + 2.5e-6 * PRICES["ses_per_attachment_gb"],
        "s3": per_order.get("s3.PutObject", 0.0) * PRICES["s3_standard_per_put"]
        + per_order.get("s3.GetObject", 0.0) * PRICES["s3_standard_per_get"],
    }
    return {
        "orders": orders,
        "requests_per_order_by_service": by_service,
        "requests_per_order_by_operation": per_order,
        "dynamodb_units_per_order_write_read": [round(writes / orders, 1), round(reads / orders, 1)],
        "lambda_invocations_per_order": lambda_invocations,
        "lambda_gb_seconds_per_order (in-process against moto: an upper bound)": round(gb_seconds_per_order, 4),
        "state_transitions_per_order": STATE_TRANSITIONS,
        "cost_usd_per_1000_orders_by_service": {k: round(v * 1000, 4) for k, v in cost.items()},
        "cost_usd_per_1000_orders": round(sum(cost.values()) * 1000, 3),
        "prices_usd_us_east_1": PRICES,
    }


def workflow_latency(clients: int = 16, total: int = 200, max_seconds: float = 300.0) -> dict[str, Any]:
    """Placement -> confirmation e-mail in the devstack's inbox, for `total` orders placed by
    `clients` at a time; the placement's own latency beside it, to show which part dominates."""
    from devstack.env import Ports
    from devstack.provision import sign_in
    from devstack.stack import Stack

    log = open(os.devnull, "wb")  # noqa: SIM115
    with Stack(
        Ports.free(), state_dir=PROJECT / ".devstack" / f"bench-{uuid.uuid4().hex[:6]}", demo=False, api_log=log
    ) as info:
        admin = next(u for u in info.users if "admin" in u["groups"])
        token = sign_in(info.aws_url, info.client_id, admin["email"], admin["password"])["IdToken"]
        admin_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def call(path: str, body: dict[str, Any] | None, headers: dict[str, str], base: str) -> Any:
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data else "GET")
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")

        call("/warehouses", {"warehouseId": "main", "name": "New York", "zip": "10001"}, admin_headers, info.api_url)
        product = {"productId": "BENCH-A", "productName": "Bench", "quantity": total + 50, "threshold": 0}
        call("/products", {**product, "priceCents": 500}, admin_headers, info.api_url)
        order = {
            "items": [{"productId": "BENCH-A", "quantity": 1}],
            "zip": "07102",
            "deliveryMethod": "CURBSIDE",
            "shippingAddress": {"name": "B", "line1": "1 Main St", "city": "Newark", "zip": "07102", "country": "US"},
            "email": "bench@example.com",
            "paymentToken": "tok_visa",
        }
        guest = {"Content-Type": "application/json"}
        call("/orders", order, guest, info.api_url)  # warm the API process and the tasks
        placed_at: dict[str, float] = {}
        placement: list[float] = []
        lock = threading.Lock()
        remaining = [total]
        deadline = time.monotonic() + max_seconds

        def worker() -> None:
            while time.monotonic() < deadline:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                started = time.monotonic()
                placed = call("/orders", order, guest, info.api_url)
                with lock:
                    placed_at[placed["orderId"]] = started
                    placement.append(time.monotonic() - started)

        seen: dict[str, float] = {}
        done = threading.Event()

        def watch_inbox() -> None:
            while not done.is_set() and time.monotonic() < deadline + 60:
                for entry in call("/_inbox.json", None, {}, info.web_url):
                    subject = entry.get("subject", "")
                    if entry.get("kind") != "email" or "confirmed" not in subject:
                        continue
                    for order_id in list(placed_at):
                        if order_id in subject and order_id not in seen:
                            seen[order_id] = time.monotonic()
                if len(seen) >= total and len(placed_at) >= total:
                    return
                time.sleep(0.2)

        watcher = threading.Thread(target=watch_inbox)
        watcher.start()
        threads = [threading.Thread(target=worker) for _ in range(clients)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        placing = time.monotonic() - started
        watcher.join()
        done.set()
        elapsed = time.monotonic() - started
    log.close()
    latencies = sorted(seen[o] - placed_at[o] for o in seen)

    def pct(values: list[float], p: float) -> float:
        return round(values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))] * 1000) if values else -1

    return {
        "clients": clients,
        "orders_placed": len(placed_at),
        "confirmation_emails_seen": len(seen),
        "seconds_placing": round(placing, 1),
        "seconds_until_last_email": round(elapsed, 1),
        "placement_ms_p50_p99": [pct(sorted(placement), 50), pct(sorted(placement), 99)],
        "placement_to_email_ms_p50_p99": [pct(latencies, 50), pct(latencies, 99)],
    }
