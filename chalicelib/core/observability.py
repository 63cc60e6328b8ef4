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
