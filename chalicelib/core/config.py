"""Settings from the environment, read once.

Every physical resource name reaches the code through an environment variable set by the Chalice
stage (`.chalice/config.json`): literal names for the `local` stage, Terraform interpolations for
`prod`. Nothing here knows whether it runs locally; the AWS endpoint comes from `AWS_ENDPOINT_URL`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_WAREHOUSE_ID = "main"


@dataclass(frozen=True)
class Settings:
    region: str
    site_origin: str
    cors_allow_origin: str
    sender_email: str
    admin_emails: tuple[str, ...]
    low_stock_topic_arn: str
    cognito_user_pool_id: str
    cognito_client_id: str
    cognito_jwks_url: str
    cognito_issuer: str
    page_size: int
    shop_name: str
    shop_timezone: str  # IANA name: business dates (orders, reports) are days in this zone
    currency: str  # ISO 4217; amounts are integer minor units (cents)
    # Reorder suggestions (chalicelib.backoffice.reorder): demand is averaged over the last
    # `reorder_window_days` days; a suggestion tops stock up to `reorder_target_cover_days` days of
    # demand once a delivery that takes the product's lead time (default below) arrives.
    reorder_window_days: int
    reorder_target_cover_days: int
    reorder_lead_time_days: int
    # Domain events (issue 10 §4): the bus they are published on, the topic the feed republishes
    # them on, and the low-stock digest: crossings detected within one window of this many
    # seconds reach the admins as one e-mail (inventory.digests).
    event_bus_name: str
    order_events_topic_arn: str
    alert_emails_queue_url: str
    low_stock_digest_window_seconds: int
    # The back office (issue 11): where the daily report's summary is published, and the API
    # Gateway usage plan (by name) that the machine clients' API keys are registered with.
    daily_sales_topic_arn: str = ""
    machine_usage_plan_name: str = ""
    # The order workflow (chalicelib.orders.pipeline): an order still PLACED or PAID this long after
    # checkout is looked at by the sweeper (restarted, or expired with its stock released); the
    # payment task waits this long for the gateway's answer before retrying the same request.
    stuck_order_minutes: int = 15
    payment_timeout_seconds: float = 8.0


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _positive(env: Mapping[str, str], name: str, default: int, *, unit: str = "days", high: int | None = None) -> int:
    """A whole number >= 1 (at most `high`) from the environment; a bad value is a deployment
    error, named."""
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of {unit}, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high} {unit}, not {value}")
    return value


# An SQS message can be delayed 900 s at most; the digest's due message waits for the end of its
# window plus a few seconds of grace (inventory.digests.DUE_GRACE_SECONDS).
MAX_DIGEST_WINDOW_SECONDS = 890


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    pool_id = env.get("COGNITO_USER_POOL_ID", "")
    issuer = env.get("COGNITO_ISSUER") or (f"https://cognito-idp.{region}.amazonaws.com/{pool_id}" if pool_id else "")
    return Settings(
        region=region,
        site_origin=env.get("SITE_ORIGIN", "http://127.0.0.1:8080"),
        # Empty in prod: CloudFront serves the site and the API from one origin, so no CORS (and the
        # API's definition must not name the CloudFront domain: CloudFront's origin names the API).
        cors_allow_origin=env.get("CORS_ALLOW_ORIGIN", ""),
        sender_email=env.get("SENDER_EMAIL", "stockroom@example.com"),
        admin_emails=_split(env.get("ADMIN_EMAILS", "")),
        low_stock_topic_arn=env.get("LOW_STOCK_TOPIC_ARN", ""),
        cognito_user_pool_id=pool_id,
        cognito_client_id=env.get("COGNITO_CLIENT_ID", ""),
        # Kept apart from the issuer: the local emulator serves its keys at its own address while
        # its tokens name the AWS issuer.
        cognito_jwks_url=env.get("COGNITO_JWKS_URL") or (f"{issuer}/.well-known/jwks.json" if issuer else ""),
        cognito_issuer=issuer,
        page_size=int(env.get("PAGE_SIZE", "50")),
        shop_name=env.get("SHOP_NAME", "Stockroom"),
        shop_timezone=env.get("SHOP_TIMEZONE", "America/New_York"),
        currency=env.get("SHOP_CURRENCY", "USD"),
        reorder_window_days=_positive(env, "REORDER_WINDOW_DAYS", 28),
        reorder_target_cover_days=_positive(env, "REORDER_TARGET_COVER_DAYS", 14),
        reorder_lead_time_days=_positive(env, "REORDER_LEAD_TIME_DAYS", 7),
        daily_sales_topic_arn=env.get("DAILY_SALES_TOPIC_ARN", ""),
        machine_usage_plan_name=env.get("MACHINE_USAGE_PLAN_NAME", ""),
        event_bus_name=env.get("EVENT_BUS_NAME", ""),
        order_events_topic_arn=env.get("ORDER_EVENTS_TOPIC_ARN", ""),
        alert_emails_queue_url=env.get("ALERT_EMAILS_QUEUE_URL", ""),
        low_stock_digest_window_seconds=_positive(
            env, "LOW_STOCK_DIGEST_WINDOW_SECONDS", 120, unit="seconds", high=MAX_DIGEST_WINDOW_SECONDS
        ),
        stuck_order_minutes=_positive(env, "STUCK_ORDER_MINUTES", 15),
        payment_timeout_seconds=float(_positive(env, "PAYMENT_TIMEOUT_SECONDS", 8)),
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
