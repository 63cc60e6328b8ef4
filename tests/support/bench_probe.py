"""Two stand-in benchmarks for tests/unit/test_bench.py: one leaves its process dirty the way the
in-process request count did (AWS variables, a cached client); the other reports what it finds."""

from __future__ import annotations

import os
import sys
from typing import Any

from bench.__main__ import child


def leave_a_mess() -> dict[str, Any]:
    os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens there
    sys.modules.setdefault("stockroom_bench_probe_state", sys)  # a stand-in for cached clients
    return {"pid": os.getpid()}


def look_around() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "state": "stockroom_bench_probe_state" in sys.modules,
    }


BENCHMARKS = {"mess": leave_a_mess, "look": look_around}

if __name__ == "__main__":
    sys.exit(child(BENCHMARKS, sys.argv[-1]))
