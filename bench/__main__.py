"""`make bench`: Stockroom's figures.

1. Cold import of app.py against a bare `import boto3` (ratio of medians over fresh processes).
2. DynamoDB requests per POST /inventory-order (botocore event hooks, moto in-process).
3. Orders per second and p50/p99 latency of POST /inventory-order through the devstack
   (moto server + `chalice local`) with 16 concurrent clients.
4. The daily report over 10,000 sales-ledger records: the day's Queries, the aggregation, each
   rendering (JSON, CSV, PDF, chart PNGs, e-mail).
5. The order documents and payments: receipt render time and size, confirmation e-mail size,
   AWS requests per payment operation (`bench/orders.py`).
6. Catalog pages: read units and latency per page with 100 and 10,000 products x 3 warehouses
   (bench/inventory.py); 7. reconciliation with 1,000 and 100,000 movements; 8. 100 parallel
   PATCHes of one product through the devstack.
9. Zip code -> coordinates: first lookup in a fresh process (cold) and a warm lookup.
10. DynamoDB requests per shop order (POST /orders) for 1 and 10 lines.
11. Checkout (POST /orders) p50/p99 through the devstack with 16 concurrent clients.
12. The order workflow: AWS requests per order by service and the cost of 1,000 orders from AWS's
    public prices (`workflow_requests`); placement -> confirmation e-mail p50/p99 for 200 orders from
    16 clients through the devstack (`workflow_latency`) (bench/workflow.py).
13. The storefront's first load: KB headless Chromium transfers for `/` (budget 150 KB, bench/web.py).

Run one with `python -m bench cold|requests|throughput|report|documents|catalog|reconcile|patches|zip|
checkout_requests|checkout|workflow_requests|workflow_latency|web`.
Figures are printed and saved to `bench/results/latest.json` (git-ignored), with the conditions of
the run (CPU cores, load average, Python) beside them.

Each benchmark runs in a fresh interpreter of its own: one that sets up moto in-process, imports
the app or sets AWS variables cannot leak clients, cached settings or an environment into the
next (the throughput run once sent PynamoDB to the real AWS endpoint after the in-process count).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _local_env() -> dict[str, str]:
    sys.path.insert(0, str(PROJECT))
    from devstack.env import REGION, stage_environment

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(stage_environment("local"))
    env.update({"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    return env


def _forget_connections() -> None:
    """A second devstack in this process has another endpoint: drop the clients built for the first."""
    if "chalicelib.tables" not in sys.modules:
        return
    from chalicelib import tables
    from chalicelib.core import db, notifications

    db._connection = None
    notifications._clients.clear()
    for model in tables.ALL_MODELS:
        model._connection = None


def cold_import(runs: int = 15) -> dict[str, Any]:
    """Median time to import a module in a fresh interpreter, app.py vs boto3."""
    env = _local_env()

    def sample(statement: str) -> float:
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT, env=env, check=True, capture_output=True, text=True
        )
        return float(out.stdout.strip().splitlines()[-1])

    # Interleave the two so that machine noise hits both alike; one warm-up each fills the OS cache.
    sample("import app")
    sample("import boto3")
    app_times, boto_times, handler_times = [], [], []
    for _ in range(runs):
        app_times.append(sample("import app"))
        boto_times.append(sample("import boto3"))
        # What the first request to a catalog route adds: the service modules and PynamoDB models.
        handler_times.append(
            sample("import app, chalicelib.inventory.catalog, chalicelib.inventory.stock, chalicelib.inventory.models")
        )
    app_median, boto_median = statistics.median(app_times), statistics.median(boto_times)
    return {
        "runs": runs,
        "app_import_ms_median": round(app_median * 1000, 1),
        "boto3_import_ms_median": round(boto_median * 1000, 1),
        "ratio_app_to_boto3": round(app_median / boto_median, 2),
        "app_plus_catalog_services_ms_median": round(statistics.median(handler_times) * 1000, 1),
        "target_ratio": 1.3,
    }


def requests_per_order(orders: int = 20) -> dict[str, Any]:
    """DynamoDB requests made by POST /inventory-order, counted on every botocore client."""
    from bench.aws_calls import count_aws_calls
    from bench.inproc import in_process_api

    with in_process_api(_local_env()) as (client, headers):
        body = {"productId": "BENCH-1", "productName": "Bench", "quantity": 10_000, "threshold": 1}
        client.http.post("/products", headers=headers, body=json.dumps(body))
        client.http.post("/inventory-order", headers=headers, body=json.dumps({"productId": "BENCH-1", "quantity": 1}))
        with count_aws_calls() as calls:
            for n in range(orders):
                response = client.http.post(
                    "/inventory-order",
                    headers={**headers, "Idempotency-Key": f"bench-{n}"},
                    body=json.dumps({"productId": "BENCH-1", "quantity": 1}),
                )
                assert response.status_code == 201, response.body
        dynamodb = sum(v for k, v in calls.items() if k.startswith("dynamodb."))
    return {
        "orders": orders,
        "dynamodb_requests_per_order": dynamodb / orders,
        "by_operation": {k: v / orders for k, v in sorted(calls.items())},
        "target": 1,
    }


def throughput(clients: int = 16, total: int = 1600, max_seconds: float = 60.0) -> dict[str, Any]:
    """POST /inventory-order through the whole devstack, `clients` at a time (bounded in count and time)."""
    sys.path.insert(0, str(PROJECT))
    from devstack.env import Ports
    from devstack.provision import sign_in
    from devstack.stack import Stack

    _forget_connections()
    load_at_start = round(os.getloadavg()[0], 2)  # other work on the machine shows up here
    log = open(os.devnull, "wb")  # noqa: SIM115  # chalice local's request log
    with Stack(
        Ports.free(), state_dir=PROJECT / ".devstack" / f"bench-{uuid.uuid4().hex[:6]}", demo=False, api_log=log
    ) as info:
        admin = next(u for u in info.users if "admin" in u["groups"])
        token = sign_in(info.aws_url, info.client_id, admin["email"], admin["password"])["IdToken"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(path: str, body: dict[str, Any], extra: dict[str, str] | None = None) -> tuple[int, float]:
            request = urllib.request.Request(
                info.api_url + path, data=json.dumps(body).encode(), headers={**headers, **(extra or {})}, method="POST"
            )
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as err:
                status = err.code
            return status, time.perf_counter() - start

        stock = total + 100
        status, _ = post(
            "/products", {"productId": "BENCH-T", "productName": "Bench", "quantity": stock, "threshold": 0}
        )
        assert status == 201, status
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        remaining = [total]
        deadline = time.monotonic() + max_seconds

        def worker() -> None:
            while time.monotonic() < deadline:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                status, seconds = post("/inventory-order", {"productId": "BENCH-T", "quantity": 1})
                with lock:
                    latencies.append(seconds)
                    statuses[status] = statuses.get(status, 0) + 1

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        # As the admin: the anonymous view says only "available" (capped), not the quantity.
        read = urllib.request.Request(
            f"{info.api_url}/products/BENCH-T", headers={"Authorization": headers["Authorization"]}
        )
        with urllib.request.urlopen(read, timeout=10) as response:
            left = json.load(response)["quantity"]
    log.close()
    ok = statuses.get(201, 0)
    return {
        "clients": clients,
        "orders_requested": total,
        "cpu_cores": os.cpu_count(),
        "load_average_1m_at_start": load_at_start,
        "requests": len(latencies),
        "statuses": statuses,
        "seconds": round(elapsed, 2),
        "orders_per_second": round(ok / elapsed, 1),
        "latency_ms_p50": round(_percentile(latencies, 50) * 1000, 1),
        "latency_ms_p90": round(_percentile(latencies, 90) * 1000, 1),
        "latency_ms_p99": round(_percentile(latencies, 99) * 1000, 1),
        "stock_consistent": left == stock - ok,
    }


def zip_lookup(runs: int = 15, warm_lookups: int = 100_000) -> dict[str, Any]:
    """Zip -> coordinates. Cold: a fresh interpreter imports `inventory.geo` and looks one zip up
    (index read and decoded); warm: the mean of many lookups in one process."""
    env = _local_env()
    code = (
        "import time; t = time.perf_counter(); from chalicelib.inventory import geo; i = time.perf_counter(); "
        "assert geo.lookup('10001'); e = time.perf_counter(); print(e - t, e - i)"
    )
    samples, first_lookups = [], []
    for _ in range(runs + 1):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT, env=env, check=True, capture_output=True, text=True
        )
        total, lookup = (float(x) for x in out.stdout.strip().splitlines()[-1].split())
        samples.append(total)
        first_lookups.append(lookup)
    sys.path.insert(0, str(PROJECT))
    from chalicelib.inventory import geo

    zips = ["10001", "90210", "60607", "73301", "99501", "00501", "33101", "98101"]
    geo.lookup("10001")
    start = time.perf_counter()
    for n in range(warm_lookups):
        geo.lookup(zips[n % len(zips)])
    warm = (time.perf_counter() - start) / warm_lookups
    return {
        # First run warms the OS cache. Cold = import of the module + first lookup (index read).
        "cold_ms_median": round(statistics.median(samples[1:]) * 1000, 2),
        "cold_ms_max": round(max(samples[1:]) * 1000, 2),
        "cold_first_lookup_only_ms_median": round(statistics.median(first_lookups[1:]) * 1000, 2),
        "warm_ms_mean": round(warm * 1000, 5),
        "index_bytes": os.path.getsize(geo.INDEX_PATH),
        "target_cold_ms": 20,
        "target_warm_ms": 0.1,
    }


def checkout_requests(orders: int = 10) -> dict[str, Any]:
    """DynamoDB requests made by POST /orders (guest, delivery, promo code) for 1 and 10 lines."""
    from bench.aws_calls import count_aws_calls
    from bench.inproc import in_process_api

    results: dict[str, Any] = {}
    with in_process_api(_local_env()) as (client, admin):

        def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
            response = client.http.post(path, headers=headers, body=json.dumps(body))
            assert response.status_code in (200, 201), response.body
            return json.loads(response.body)

        for warehouse_id, zip_code in (("east", "10001"), ("central", "60607"), ("west", "90021")):
            post("/warehouses", {"warehouseId": warehouse_id, "name": warehouse_id, "zip": zip_code}, admin)
        post("/promo-codes", {"code": "BENCH", "kind": "PERCENT", "value": 10}, admin)
        ids = [f"BENCH-{n}" for n in range(10)]
        for product_id in ids:
            body = {
                "productId": product_id,
                "productName": "Bench",
                "quantity": 0,
                "threshold": 0,
                "priceCents": 100,
            }
            post("/products", body, admin)
        from chalicelib.core.db import utcnow
        from chalicelib.inventory.models import Stock

        for product_id in ids:
            for warehouse_id in ("east", "central", "west"):
                Stock(
                    product_id,
                    warehouse_id,
                    on_hand=10_000,
                    reserved=0,
                    available=10_000,
                    threshold=0,
                    version=1,
                    updated_at=utcnow(),
                ).save()
        guest = {"Content-Type": "application/json"}
        address = {"name": "B", "line1": "1 Main St", "city": "Newark", "zip": "07102", "country": "US"}
        for lines in (1, 10):
            body = {
                "items": [{"productId": p, "quantity": 1} for p in ids[:lines]],
                "zip": "07102",
                "deliveryMethod": "CURBSIDE",
                "shippingAddress": address,
                "email": "bench@example.com",
                "promoCode": "BENCH",
            }
            post("/orders", body, guest)  # warm: PynamoDB's DescribeTable calls happen once
            with count_aws_calls() as calls:
                for n in range(orders):
                    post("/orders", body, {**guest, "Idempotency-Key": f"bench-{lines}-{n}"})
            results[f"lines_{lines}"] = {
                "dynamodb_requests_per_order": sum(v for k, v in calls.items() if k.startswith("dynamodb.")) / orders,
                "by_operation": {k: v / orders for k, v in sorted(calls.items())},
            }
    results["constant_in_lines"] = (
        results["lines_1"]["dynamodb_requests_per_order"] == results["lines_10"]["dynamodb_requests_per_order"]
    )
    return results


def checkout(clients: int = 16, total: int = 400, max_seconds: float = 60.0) -> dict[str, Any]:
    """POST /orders (guest, 2 lines, curbside delivery, promo code) through the whole devstack,
    `clients` at a time (bounded in count and time). Stock is in the catalog's default warehouse
    (`main`, New York); a second warehouse (Los Angeles) is ranked and read but not needed."""
    sys.path.insert(0, str(PROJECT))
    from devstack.env import Ports
    from devstack.provision import sign_in
    from devstack.stack import Stack

    _forget_connections()
    log = open(os.environ.get("BENCH_API_LOG", os.devnull), "wb")  # noqa: SIM115  # chalice local's request log
    with Stack(
        Ports.free(), state_dir=PROJECT / ".devstack" / f"bench-{uuid.uuid4().hex[:6]}", demo=False, api_log=log
    ) as info:
        admin = next(u for u in info.users if "admin" in u["groups"])
        token = sign_in(info.aws_url, info.client_id, admin["email"], admin["password"])["IdToken"]
        admin_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, float]:
            request = urllib.request.Request(
                info.api_url + path, data=json.dumps(body).encode(), headers=headers, method="POST"
            )
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as err:
                status = err.code
                if status >= 500 or os.environ.get("BENCH_DEBUG"):
                    print(path, status, err.read()[:300], flush=True)
            return status, time.perf_counter() - start

        for warehouse_id, zip_code in (("main", "10001"), ("west", "90021")):
            status, _ = post(
                "/warehouses", {"warehouseId": warehouse_id, "name": warehouse_id, "zip": zip_code}, admin_headers
            )
            assert status == 201, status
        status, _ = post("/promo-codes", {"code": "BENCH", "kind": "PERCENT", "value": 10}, admin_headers)
        assert status == 201, status
        for product_id in ("BENCH-A", "BENCH-B"):
            body = {"productId": product_id, "productName": "Bench", "quantity": total + 100, "threshold": 0}
            status, _ = post("/products", {**body, "priceCents": 500}, admin_headers)
            assert status == 201, status
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        remaining = [total]
        deadline = time.monotonic() + max_seconds
        address = {"name": "B", "line1": "1 Main St", "city": "Newark", "zip": "07102", "country": "US"}
        order = {
            "items": [{"productId": "BENCH-A", "quantity": 1}, {"productId": "BENCH-B", "quantity": 1}],
            "zip": "07102",
            "deliveryMethod": "CURBSIDE",
            "shippingAddress": address,
            "email": "bench@example.com",
            "promoCode": "BENCH",
        }

        # Warm the API process first (imports, PynamoDB's DescribeTable per model), as a live service is.
        status, _ = post("/orders", order, {"Content-Type": "application/json"})
        assert status == 201, status
        deadline = time.monotonic() + max_seconds

        def worker() -> None:
            while time.monotonic() < deadline:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                status, seconds = post("/orders", order, {"Content-Type": "application/json"})
                with lock:
                    latencies.append(seconds)
                    statuses[status] = statuses.get(status, 0) + 1

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    log.close()
    ok = statuses.get(201, 0)
    return {
        "clients": clients,
        "requests": len(latencies),
        "statuses": statuses,
        "seconds": round(elapsed, 2),
        "orders_per_second": round(ok / elapsed, 1),
        "latency_ms_p50": round(_percentile(latencies, 50) * 1000, 1),
        "latency_ms_p99": round(_percentile(latencies, 99) * 1000, 1),
    }


def report_build() -> dict[str, Any]:
    os.environ.update(_local_env())
    from bench.reports import report_build as run

    return run()


def documents() -> dict[str, Any]:
    from bench.orders import documents as run

    return run()


def _workflow(name: str) -> Any:
    def run() -> dict[str, Any]:
        os.environ.update(_local_env())
        sys.path.insert(0, str(PROJECT))
        from bench import workflow

        result: dict[str, Any] = getattr(workflow, name)()
        return result

    return run


def web_first_load() -> dict[str, Any]:
    sys.path.insert(0, str(PROJECT))
    from bench import web

    return web.first_load()


def _inventory(name: str) -> Any:
    def run() -> dict[str, Any]:
        os.environ.update(_local_env())
        sys.path.insert(0, str(PROJECT))
        from bench import inventory

        result: dict[str, Any] = getattr(inventory, name)()
        return result

    return run


BENCHMARKS = {
    "cold": cold_import,
    "requests": requests_per_order,
    "throughput": throughput,
    "report": report_build,
    "zip": zip_lookup,
    "checkout_requests": checkout_requests,
    "checkout": checkout,
    "documents": documents,
    "catalog": _inventory("catalog_pages"),
    "reconcile": _inventory("reconciliation"),
    "patches": _inventory("parallel_patches"),
    "workflow_requests": _workflow("workflow_requests"),
    "workflow_latency": _workflow("workflow_latency"),
    "web": web_first_load,
}


def conditions() -> dict[str, Any]:
    """What the figures depend on besides the code."""
    return {
        "cpu_cores": os.cpu_count(),
        "load_average_1m_5m_15m": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
    }


_RESULT_MARK = "BENCH-RESULT "


def child(benchmarks: dict[str, Any], name: str) -> int:
    """In the fresh interpreter: run one benchmark, hand its figures to the parent."""
    print(_RESULT_MARK + json.dumps(benchmarks[name](), default=str), flush=True)
    return 0


def run_isolated(name: str, module: str = "bench") -> dict[str, Any]:
    """One benchmark in a fresh interpreter; its figures, or {"error": ...} if it failed."""
    process = subprocess.run(
        [sys.executable, "-m", module, "--child", name],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in reversed(process.stdout.splitlines()):
        if line.startswith(_RESULT_MARK):
            return dict(json.loads(line[len(_RESULT_MARK) :]))
    tail = (process.stderr or process.stdout).strip().splitlines()[-15:]
    return {"error": f"exit status {process.returncode}", "output": tail}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="benchmarks to run (default: all)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # one benchmark, JSON out
    args = parser.parse_args()
    if args.child:
        (name,) = args.names
        return child(BENCHMARKS, name)
    results: dict[str, Any] = {"conditions": conditions()}
    print("== conditions", flush=True)
    for key, value in results["conditions"].items():
        print(f"   {key:<38} {value}", flush=True)
    failed = []
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}", flush=True)
        results[name] = run_isolated(name)
        if "error" in results[name]:
            failed.append(name)
        for key, value in results[name].items():
            if isinstance(value, list) and key == "output":
                print(f"   {key}:", *value, sep="\n      ", flush=True)
            else:
                print(f"   {key:<38} {value}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
