"""Business and reliability metrics leave the function as CloudWatch EMF log lines (no API call)."""

from __future__ import annotations

import json

import pytest

from chalicelib.core import observability


def _emf_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_count_emits_one_emf_metric_in_the_environments_namespace(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "blue")
    observability.count(observability.ORDERS_PLACED, 3)
    (line,) = _emf_lines(capsys.readouterr().out)
    directive = line["_aws"]["CloudWatchMetrics"][0]  # type: ignore[index]
    assert directive["Namespace"] == "blue"
    assert directive["Metrics"] == [{"Name": "OrdersPlaced", "Unit": "Count"}]
    assert ["service"] in directive["Dimensions"]
    assert line["OrdersPlaced"] == [3.0] or line["OrdersPlaced"] == 3.0
    assert line["service"] == "stockroom"


def test_nothing_to_count_emits_nothing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "blue")
    observability.count(observability.RECORDS_FAILED, 0)
    assert _emf_lines(capsys.readouterr().out) == []


def test_the_dashboard_and_alarms_know_every_metric() -> None:
    from pathlib import Path

    tf = (Path(__file__).resolve().parents[2] / "terraform" / "observability.tf").read_text()
    names = [
        observability.ORDERS_PLACED,
        observability.ALERTS_SENT,
        observability.RECONCILE_REPAIRS,
        observability.RECORDS_FAILED,
    ]
    assert 'business_metrics  = ["' + '", "'.join(names) + '"]' in tf
    assert 'metric_name         = "RecordsFailed"' in tf
