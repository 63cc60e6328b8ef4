"""`make bench` runs each benchmark in a fresh interpreter, so none can leak into the next."""

from __future__ import annotations

import os

from bench.__main__ import conditions, run_isolated

PROBE = "tests.support.bench_probe"


def test_each_benchmark_starts_clean() -> None:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    mess = run_isolated("mess", module=PROBE)
    look = run_isolated("look", module=PROBE)
    assert mess["pid"] != look["pid"]
    assert look == {"pid": look["pid"], "endpoint": None, "state": False}
    assert "AWS_ENDPOINT_URL" not in os.environ  # nor into the parent


def test_a_failing_benchmark_is_reported_not_fatal() -> None:
    result = run_isolated("no-such-benchmark", module=PROBE)
    assert result["error"].startswith("exit status") and any("KeyError" in line for line in result["output"])


def test_conditions_are_printed_with_the_figures() -> None:
    found = conditions()
    assert found["cpu_cores"] == os.cpu_count() and len(found["load_average_1m_5m_15m"]) == 3
