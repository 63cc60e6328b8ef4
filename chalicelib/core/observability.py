"""Structured JSON logs (Powertools Logger) with a correlation id per request or record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger

logger = Logger(service="stockroom")


@contextmanager
def record_context(**keys: str | None) -> Iterator[None]:
    """Tag every log line written while one record of a batch is handled (`record_id`, ...);
    the invocation's `correlation_id` stays on them too."""
    logger.append_keys(**keys)
    try:
        yield
    finally:
        logger.remove_keys(list(keys))


# Business and reliability metrics, as CloudWatch embedded metric format (EMF) log lines: no API
# call, no extra IAM grant; CloudWatch Logs turns each line into a metric. Namespace from
# POWERTOOLS_METRICS_NAMESPACE (per environment when deployed), dimension service=stockroom.
# terraform/observability.tf alarms on them and draws them on the dashboard.
ORDERS_PLACED = "OrdersPlaced"
ALERTS_SENT = "AlertsSent"
RECONCILE_REPAIRS = "ReconcileRepairs"
RECORDS_FAILED = "RecordsFailed"  # per-record failures a partial batch response hides from Lambda's Errors


def count(name: str, value: int = 1) -> None:
    """Add `value` to a count metric, flushed at once (one EMF line), so it survives whatever the
    handler does next. Zero is not emitted: an absent datapoint reads as zero on the alarms."""
    if value <= 0:
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        metric.add_dimension(name="service", value="stockroom")
