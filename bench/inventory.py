"""The inventory core's figures (issue 7 §3-4, issue 9 §8).

- `catalog_pages`: read units and latency of a catalog page (public and admin views, and a
  search page) with 100 and with 10,000 products x 3 warehouses, through the Chalice test client
  against moto in-process. They stay level: a page reads its products from the `by_name` index and
  exactly their stock lines, never the catalog.
- `reconciliation`: the hourly reconciliation's time with 1,000 and with 100,000 movements on
  the same stock lines. It stays level: each line carries its running ledger total.
- `parallel_patches`: latency of 100 simultaneous PATCHes of one product through the devstack
  (moto server + `chalice local`), catalog fields and quantities, and how they were answered.

Bulk data is written straight into moto's backend (what the app would have written, serialised by
the same models), so seeding 40,000 items takes seconds instead of minutes.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
WAREHOUSES = ("main", "west", "central")


def _median_ms(work: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


@contextmanager
def _emulated_account() -> Iterator[Any]:
    """moto in-process with every table provisioned; yields a function that bulk-puts models."""
    from moto import mock_aws

    with mock_aws():
        from moto.dynamodb.models import dynamodb_backends

        from chalicelib.core import db
        from chalicelib.core.config import reset_settings
        from devstack.env import ACCOUNT_ID, REGION
        from devstack.provision import provision_resources

        db._connection = None
        reset_settings()
        provision_resources(None)
        backend = dynamodb_backends[ACCOUNT_ID][REGION]

        def put(*items: Any) -> None:
            for item in items:
                backend.put_item(item.Meta.table_name, item.serialize())

        yield put
    from chalicelib.core import db

    db._connection = None


def _seed_catalog(put: Callable[..., None], products: int) -> None:
    from chalicelib.core.db import utcnow
    from chalicelib.inventory.catalog import name_key
    from chalicelib.inventory.models import Product
    from chalicelib.inventory.stock import new_line

    now = utcnow()
    for n in range(products):
        product_id = f"{n // 100000 % 1000:03d}.{n // 100 % 1000:03d}.{n % 100:02d}"
        name = f"Product {n:05d} {uuid.uuid4().hex[:6]}"
        put(
            Product(
                product_id,
                name=name,
                name_key=name_key(name),
                description="A product of the benchmark catalog, described in a sentence or two.",
                price_cents=1000 + n,
                threshold=5,
                warehouse_ids=set(WAREHOUSES),
                version=1,
                created_at=now,
                updated_at=now,
            ),
            *(new_line(product_id, w, on_hand=20 + n % 7, threshold=5, now=now) for w in WAREHOUSES),
        )


def catalog_pages(sizes: tuple[int, ...] = (100, 10_000), page: int = 50, runs: int = 7) -> dict[str, Any]:
    """Read units and median latency of a catalog page at each catalog size."""
    from chalice.test import Client

    from bench.aws_calls import dynamodb_read_units
    from devstack.chalice_patch import patch_chalice_local

    results: dict[str, Any] = {"page_size": page, "warehouses": len(WAREHOUSES), "runs": runs, **_conditions()}
    for size in sizes:
        with _emulated_account() as put:
            started = time.perf_counter()
            _seed_catalog(put, size)
            seeded = time.perf_counter() - started
            token, headers = _admin_token()
            from app import app

            patch_chalice_local()
            with Client(app, stage_name="local") as client:
                # A page from the middle of the catalog: its cursor comes from walking there.
                cursor = None
                for _ in range(min(3, size // page)):
                    cursor = json.loads(
                        client.http.get(f"/products?limit={page}" + (f"&cursor={cursor}" if cursor else "")).body
                    )["nextCursor"]
                middle = f"/products?limit={page}" + (f"&cursor={cursor}" if cursor else "")
                cases = {
                    "public_first_page": (f"/products?limit={page}", {}),
                    "public_middle_page": (middle, {}),
                    "admin_page": (middle, headers),
                    "search_page": (f"/products?limit={page}&q=product%200", {}),
                }
                for label, (path, extra) in cases.items():
                    with dynamodb_read_units() as cost:
                        response = client.http.get(path, headers=extra)
                    assert response.status_code == 200, response.body
                    items = len(json.loads(response.body)["items"])
                    total, in_emulator = [], []
                    for _ in range(runs):
                        with dynamodb_read_units() as timed:
                            start = time.perf_counter()
                            client.http.get(path, headers=extra)
                            total.append(time.perf_counter() - start)
                        in_emulator.append(timed["seconds"])
                    results[f"{size}_products_{label}"] = {
                        "items": items,
                        "read_units": cost["read_units"],
                        "requests": int(cost["requests"]),
                        "latency_ms_median": round(statistics.median(total) * 1000, 1),
                        # moto answers an index Query by scanning the whole table (DynamoDB reads
                        # only the page): the app's own share is what stays level.
                        "app_ms_median": round(
                            statistics.median(t - e for t, e in zip(total, in_emulator, strict=True)) * 1000, 1
                        ),
                    }
            results[f"{size}_products_seed_seconds"] = round(seeded, 1)
            del token
    return results


def _conditions() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 1)}


def _admin_token() -> tuple[str, dict[str, str]]:
    import boto3

    from chalicelib.core import auth
    from chalicelib.core.config import reset_settings
    from tests.support.tokens import StaticJWKS, mint

    idp = boto3.client("cognito-idp", region_name="us-east-1")
    pool = idp.create_user_pool(PoolName="bench")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool, ClientName="web")["UserPoolClient"]["ClientId"]
    os.environ.update(COGNITO_USER_POOL_ID=pool, COGNITO_CLIENT_ID=client_id)
    reset_settings()
    auth.set_jwks_client(StaticJWKS())
    token = mint(issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}", client_id=client_id, groups=["admin"])
    return token, {"Authorization": f"Bearer {token}"}


def reconciliation(movements: tuple[int, ...] = (1_000, 100_000), lines: int = 100, runs: int = 3) -> dict[str, Any]:
    """The hourly reconciliation's median time as the ledger grows on the same stock lines."""
    from bench.aws_calls import count_aws_calls
    from chalicelib.core.db import utcnow
    from chalicelib.inventory import stock
    from chalicelib.inventory.models import Product
    from chalicelib.inventory.stock import new_line, new_movement

    results: dict[str, Any] = {"stock_lines": lines, "runs": runs, **_conditions()}
    for count in movements:
        with _emulated_account() as put:
            now = utcnow() - timedelta(days=365)
            per_line = count // lines
            for n in range(lines):
                product_id = f"REC-{n:04d}"
                put(
                    Product(
                        product_id,
                        name=product_id,
                        name_key=product_id.lower(),
                        warehouse_ids={"main"},
                        version=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
                total = 0
                for m in range(per_line):
                    delta = 5 if m % 3 else -2
                    total += delta
                    put(
                        new_movement(
                            product_id,
                            "main",
                            on_hand_delta=delta,
                            reason="bench",
                            actor="bench",
                            now=now + timedelta(seconds=m),
                        )
                    )
                put(new_line(product_id, "main", on_hand=total, threshold=1, now=now))
            with count_aws_calls() as calls:
                outcome = stock.reconcile_all(actor="bench")
            assert outcome == {"checked": lines, "repaired": 0}, outcome
            results[f"{count}_movements"] = {
                "reconcile_ms_median": _median_ms(lambda: stock.reconcile_all(actor="bench"), runs),
                "dynamodb_requests": dict(calls),
            }
    return results


def _race(clients: int, call: Callable[[int], tuple[int, str, float]]) -> list[tuple[int, str, float]]:
    """`clients` threads released at once by a barrier, each making one call."""
    outcomes: list[tuple[int, str, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def one(n: int) -> None:
        barrier.wait()
        outcome = call(n)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def parallel_patches(clients: int = 100) -> dict[str, Any]:
    """100 simultaneous PATCHes of one product through the devstack, twice: catalog fields
    (name, price: set without reading, never conflicting) and quantities (read, then written
    guarded on the line's version; retried with jitter; 409 ConcurrentUpdate past the retries)."""
    import urllib.error
    import urllib.request

    from devstack.env import Ports
    from devstack.provision import sign_in
    from devstack.stack import StackProcess

    results: dict[str, Any] = {"clients": clients, **_conditions()}
    # The devstack in a process of its own, as `make run` runs it: the 100 client threads here
    # must not compete with the emulator and the API for this process's interpreter lock.
    with StackProcess(Ports.free(), PROJECT / ".devstack" / f"bench-{uuid.uuid4().hex[:6]}", demo=False) as info:
        admin = next(u for u in info.users if "admin" in u["groups"])
        token = sign_in(info.aws_url, info.client_id, admin["email"], admin["password"])["IdToken"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def send(method: str, path: str, body: dict[str, Any]) -> tuple[int, str, float]:
            request = urllib.request.Request(
                info.api_url + path, data=json.dumps(body).encode(), headers=headers, method=method
            )
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    status, error = response.status, ""
            except urllib.error.HTTPError as err:
                status, error = err.code, json.loads(err.read() or b"{}").get("error", "")
            return status, error, time.perf_counter() - start

        for label, body_of in (
            ("catalog_fields", lambda n: {"productName": f"Name {n}", "priceCents": n}),
            ("quantity", lambda n: {"quantity": 100 + n}),
        ):
            product_id = f"PATCH-{uuid.uuid4().hex[:6]}"
            status, _, _ = send(
                "POST", "/products", {"productId": product_id, "productName": "Race", "quantity": 10, "threshold": 0}
            )
            assert status == 201, status
            alone = [send("PATCH", f"/products/{product_id}", body_of(n))[2] for n in range(10)]
            started = time.perf_counter()
            outcomes = _race(
                clients,
                lambda n, product_id=product_id, body_of=body_of: send("PATCH", f"/products/{product_id}", body_of(n)),
            )
            elapsed = time.perf_counter() - started
            latencies = [seconds for _, _, seconds in outcomes]
            answered: dict[str, int] = {}
            for status, error, _ in outcomes:
                key = f"{status} {error}".strip()
                answered[key] = answered.get(key, 0) + 1
            results[label] = {
                "one_at_a_time_ms_median": round(statistics.median(alone) * 1000, 1),
                "answers": answered,
                "seconds": round(elapsed, 2),
                "latency_ms_p50": round(_percentile(latencies, 50) * 1000, 1),
                "latency_ms_p90": round(_percentile(latencies, 90) * 1000, 1),
                "latency_ms_p99": round(_percentile(latencies, 99) * 1000, 1),
                "latency_ms_max": round(max(latencies) * 1000, 1),
            }
    return results
