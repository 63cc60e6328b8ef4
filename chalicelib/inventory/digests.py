"""The admins' low-stock e-mails, at most one per window: a bulk import that takes forty items below
their thresholds at once sends one digest, not forty e-mails (and never outruns SES's rate).

    alert_emails queue --LowStock alert-------> collect(): the crossing joins its window
                       --LowStockDigestDue----> flush(): the window closes, its crossings go out
                                                 in one e-mail (the usual alert for a single one)

Windows are fixed slices of the clock, `[k * W, (k + 1) * W)` with W =
`LOW_STOCK_DIGEST_WINDOW_SECONDS`, and a crossing belongs to the window of its detection time (the
stock write's stream record), so the grouping does not depend on how fast the queue is drained.
A burst that straddles a boundary gives two e-mails. A single crossing waits for the end of its
window (at most W, plus `DUE_GRACE_SECONDS`).

The window's items (table `alert_digests`): a header (`entry_id` `#window`) and one item per
crossing (`entry_id` = its alert id). The invariant: **a crossing is added only while its window
is open, and a window is read only after it is closed**, so every crossing added is read:

    collect                                         flush (the window's due message)
    ---------------------------------------------   -------------------------------------------
    TransactWrite: ConditionCheck header has no     UpdateItem header SET closed_at (from now on
      closed_at + Put crossing  (refused: the         every collect into it is refused)
      window closed meanwhile -> the current         Query the window's crossings (consistent)
      window instead)                                 one e-mail; at most once per window
    header without due_sent_at -> SQS message          (Powertools idempotency on the digest id)
      delayed to the window's end, then due_sent_at

Two collectors may both send the due message; the second flush finds the first's idempotency
record and sends nothing. A due message that arrives before the window's end (clocks disagree)
is put back with the time left.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core import resources
from chalicelib.core.config import get_settings
from chalicelib.core.db import ModelMeta, iso, table_name, utcnow
from chalicelib.core.observability import logger

DUE_EVENT = "LowStockDigestDue"
HEADER = "#window"  # sorts before every alert id ("low-stock#...")
DUE_GRACE_SECONDS = 5  # after the window's end, for crossings still being collected
MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds
RETENTION = timedelta(days=14)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_WINDOW_MOVES = 3


class AlertDigest(Model):
    """Low-stock crossings grouped by digest window. Key: `digest_id` (`low-stock#<window start>`)
    + `entry_id` (`#window` for the window's header, else the crossing's alert id)."""

    class Meta(ModelMeta):
        ref = resources.ALERT_DIGESTS
        table_name = table_name(ref)

    digest_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    alert = UnicodeAttribute(null=True)  # the crossing, JSON
    closed_at = UTCDateTimeAttribute(null=True)  # header: set by the flush; no crossing joins after
    due_sent_at = UTCDateTimeAttribute(null=True)  # header: the due message is on its way
    expires_at = TTLAttribute()


# --- windows (pure) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime
    seconds: int

    @classmethod
    def of(cls, moment: datetime, seconds: int) -> Window:
        """The window holding `moment`."""
        offset = math.floor((moment - EPOCH).total_seconds() / seconds) * seconds
        return cls(EPOCH + timedelta(seconds=offset), seconds)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)

    @property
    def digest_id(self) -> str:
        return f"low-stock#{self.start:%Y-%m-%dT%H:%M:%SZ}"

    def due_in(self, now: datetime) -> int:
        """Seconds until the window's due message may be read: its end plus the grace."""
        left = math.ceil((self.end - now).total_seconds()) + DUE_GRACE_SECONDS
        return max(0, min(MAX_DELAY_SECONDS, left))

    def next(self) -> Window:
        return Window(self.end, self.seconds)

    def due_message(self) -> dict[str, Any]:
        return {
            "type": DUE_EVENT,
            "digestId": self.digest_id,
            "windowStart": iso(self.start),
            "windowSeconds": self.seconds,
        }


def window_of_due(message: dict[str, Any]) -> Window:
    from chalicelib.core.events import parse_time

    seconds = message.get("windowSeconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        raise ValueError(f"a digest-due message needs windowSeconds >= 1, not {seconds!r}")
    window = Window(parse_time(str(message["windowStart"])), seconds)
    if window.digest_id != message.get("digestId"):
        raise ValueError(f"digest id {message.get('digestId')!r} is not the window's ({window.digest_id})")
    return window


def sort_alerts(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A digest's crossings in reading order: by product name, then warehouse."""
    return sorted(alerts, key=lambda a: (str(a.get("productName", "")).casefold(), str(a.get("warehouseId", ""))))


# --- collect and flush ------------------------------------------------------------------------------

_sqs: Any = None


def get_sqs() -> Any:
    global _sqs
    if _sqs is None:
        import boto3

        _sqs = boto3.client("sqs", region_name=get_settings().region)
    return _sqs


def collect(alert: dict[str, Any], *, now: datetime | None = None) -> str:
    """Add one crossing to its window (that of `detectedAt`; the current one if that window has
    closed) and make sure the window's due message is on its way. Returns the digest id."""
    from chalicelib.core.db import Cancelled, transact
    from chalicelib.core.events import parse_time

    moment = now or utcnow()
    seconds = get_settings().low_stock_digest_window_seconds
    window = Window.of(parse_time(str(alert["detectedAt"])), seconds)
    expires = moment + RETENTION
    for _ in range(MAX_WINDOW_MOVES):
        item = AlertDigest(window.digest_id, str(alert["alertId"]), alert=json.dumps(alert), expires_at=expires)

        def build(tx: Any, window: Window = window, item: AlertDigest = item) -> None:
            tx.condition_check(AlertDigest, window.digest_id, HEADER, condition=AlertDigest.closed_at.does_not_exist())
            tx.save(item)

        try:
            transact(build)
        except Cancelled as cancelled:
            if cancelled.failed(AlertDigest) is None:
                raise
            late = window
            window = Window.of(moment, seconds)
            if window.start <= late.start:
                window = late.next()
            moved = {"from": late.digest_id, "to": window.digest_id}
            logger.info("digest window already sent; crossing moved", extra=moved)
            continue
        _schedule(window, moment, expires)
        return window.digest_id
    raise RuntimeError(f"alert {alert['alertId']}: every window tried was closed")


def _schedule(window: Window, now: datetime, expires: datetime) -> None:
    header = AlertDigest(window.digest_id, HEADER)
    header.update(actions=[AlertDigest.expires_at.set(expires)])  # creates it if missing; ALL_NEW back
    if header.closed_at is not None or header.due_sent_at is not None:
        return  # flushed already (after this crossing was added), or its due message is on its way
    send_due(window, now)
    header.update(actions=[AlertDigest.due_sent_at.set(now)])


def send_due(window: Window, now: datetime) -> None:
    delay = window.due_in(now)
    get_sqs().send_message(
        QueueUrl=get_settings().alert_emails_queue_url,
        MessageBody=json.dumps(window.due_message()),
        DelaySeconds=delay,
    )
    logger.info("digest due message sent", extra={"digest_id": window.digest_id, "delay_seconds": delay})


def due_now(window: Window, now: datetime | None = None) -> bool:
    """Whether a due message may be acted on; if not, it is sent again for the time left."""
    moment = now or utcnow()
    if moment >= window.end:
        return True
    send_due(window, moment)
    return False


def close(window: Window, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Close the window (no crossing joins it afterwards) and return its crossings."""
    moment = now or utcnow()
    header = AlertDigest(window.digest_id, HEADER)
    header.update(
        actions=[
            AlertDigest.closed_at.set(AlertDigest.closed_at | moment),  # if_not_exists: the first close wins
            AlertDigest.expires_at.set(AlertDigest.expires_at | (moment + RETENTION)),
        ]
    )
    alerts = [
        json.loads(item.alert)
        for item in AlertDigest.query(window.digest_id, AlertDigest.entry_id > HEADER, consistent_read=True)
        if item.alert
    ]
    return sort_alerts(alerts)
