"""Schemathesis fuzzes the running devstack from the API's own OpenAPI document (issue 7 §6).

Signed in as the demo admin, then anonymously: any 5xx, any response that does not match its
documented schema, content type or headers, any status the document does not list for the
operation, and any invalid input that is not refused with a 4xx fails the test. Bounded: a fixed
number of examples per operation and phase (about a minute per run). The seed is fixed so a
failure reproduces; set STOCKROOM_FUZZ_SEED to explore other inputs (`st replay` reproduces a
reported case).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.core.apidoc import DOCUMENT
from devstack.stack import StackInfo
from tests.e2e.conftest import Api

pytestmark = pytest.mark.timeout(600)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)
EXAMPLES_PER_OPERATION = 20


def fuzz(stack: StackInfo, tmp_path: Path, *headers: str) -> subprocess.CompletedProcess[str]:
    seed = os.environ.get("STOCKROOM_FUZZ_SEED", "1")
    command = [
        str(SCHEMATHESIS),
        "run",
        str(DOCUMENT),
        "--url",
        stack.api_url,
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        seed,
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--output-truncate",
        "false",
        "--suppress-health-check",
        "too_slow",
    ]
    for header in headers:
        command += ["--header", header]
    return subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def report(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout + done.stderr)[-20_000:]


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed (requirements-dev.txt)")
def test_fuzz_as_the_demo_admin(stack: StackInfo, api: Api, admin_token: str, tmp_path: Path) -> None:
    # The document's example id, so that operations on an existing product are reached too.
    api.post("/products", json={"productId": "493.857.51", "productName": "Fuzzed", "quantity": 100, "threshold": 1})
    # A key with every scope, so the machine routes (/machine/..., X-Api-Key) are reached past 401 too.
    key = api.post("/api-keys", json={"name": "fuzz", "scopes": ["orders:write", "stock:write", "catalog:read"]})
    assert key.status_code == 201, key.text
    done = fuzz(stack, tmp_path, f"Authorization: Bearer {admin_token}", f"X-Api-Key: {key.json()['apiKey']}")
    assert done.returncode == 0, report(done)
    assert " passed" in done.stdout and "Authentication failed" not in done.stdout, report(done)


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed (requirements-dev.txt)")
def test_fuzz_anonymously(stack: StackInfo, tmp_path: Path) -> None:
    done = fuzz(stack, tmp_path)
    assert done.returncode == 0, report(done)
