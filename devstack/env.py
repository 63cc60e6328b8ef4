"""Ports, paths and the environment the app runs with locally.

The physical resource names come from `.chalice/config.json` (stage `local`), exactly as
`chalice local` reads them, so the devstack never keeps a second list of names.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
STAGE = "local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account, also used by config.json's local ARNs
STATE_DIR = PROJECT_DIR / ".devstack"
CLIENT_TIMEOUT_SECONDS = 10  # a client of the site or the emulator silent this long is disconnected


@dataclass(frozen=True)
class Ports:
    aws: int = 4566
    api: int = 8000
    web: int = 8080

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Ports:
        return cls(
            aws=int(environ.get("STOCKROOM_AWS_PORT", "4566")),
            api=int(environ.get("STOCKROOM_API_PORT", "8000")),
            web=int(environ.get("STOCKROOM_WEB_PORT", "8080")),
        )

    @classmethod
    def free(cls) -> Ports:
        return cls(aws=free_port(), api=free_port(), web=free_port())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stage_environment(
    stage: str = STAGE, project_dir: Path = PROJECT_DIR, ports: Ports | None = None
) -> dict[str, str]:
    """The Lambda environment of a stage, merged the way Chalice merges it (stage wins).

    For the local stage, the site's origin follows the ports in use (`Ports.from_env()` unless
    given): config.json names the default port, and the site may run elsewhere.
    """
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    env.update(port_overrides(env, ports or Ports.from_env()))
    return env


# Settings that name the site's own address; a stage that sets them to a loopback URL (the local
# stage) gets the site's actual port. Others (prod's Terraform interpolations) are left alone.
SITE_ADDRESS_SETTINGS = ("SITE_ORIGIN", "CORS_ALLOW_ORIGIN")
_LOOPBACK_ORIGIN = re.compile(r"http://(127\.0\.0\.1|localhost):\d+")


def port_overrides(stage_env: Mapping[str, str], ports: Ports) -> dict[str, str]:
    """`SITE_ORIGIN` and `CORS_ALLOW_ORIGIN` on the site's port, where they are loopback origins."""
    return {
        name: f"http://127.0.0.1:{ports.web}"
        for name in SITE_ADDRESS_SETTINGS
        if _LOOPBACK_ORIGIN.fullmatch(stage_env.get(name, ""))
    }


def port_environment(ports: Ports) -> dict[str, str]:
    """The ports as environment variables (what `Ports.from_env` reads in a child process)."""
    return {
        "STOCKROOM_AWS_PORT": str(ports.aws),
        "STOCKROOM_API_PORT": str(ports.api),
        "STOCKROOM_WEB_PORT": str(ports.web),
    }


# `STOCKROOM_SQS_VISIBILITY_SCALE=0.05 make run`: every queue's visibility timeout times 0.05
# (180 s -> 9 s), so a message that keeps failing is redelivered every few seconds and reaches
# its dead-letter queue after maxReceiveCount receives in under a minute instead of 15.
SQS_VISIBILITY_SCALE = "STOCKROOM_SQS_VISIBILITY_SCALE"


def sqs_visibility_scale(environ: Mapping[str, str] = os.environ) -> float:
    """The devstack's visibility-timeout factor (1: as deployed); refuses nonsense loudly."""
    raw = environ.get(SQS_VISIBILITY_SCALE, "").strip() or "1"
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not 0 < scale <= 1:
        raise ValueError(f"{SQS_VISIBILITY_SCALE}={raw!r}: expected a number in (0, 1], e.g. 0.05")
    return scale


def scaled_visibility(seconds: int, scale: float) -> int:
    """A visibility timeout times the scale, at least one second (SQS's unit)."""
    return max(1, round(seconds * scale))


def aws_environment(endpoint: str) -> dict[str, str]:
    """Route every AWS SDK call to the emulator, with fake credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def apply_environment(env: Mapping[str, str]) -> None:
    """Set the app's environment in this process (before `chalicelib` is imported)."""
    # A real profile or session token must not leak into calls to the emulator.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(env)


def loopback_hosts(port: int, *, subdomains: bool = False) -> Callable[[str | None], bool]:
    """A check of `Host` headers: this server's own loopback address and port, nothing else.

    `subdomains`: also `<name>.localhost:<port>` (S3's virtual-hosted style on the emulator;
    browsers resolve every `*.localhost` to loopback, so no DNS rebinding can reach it).
    """
    allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
    suffix = f".localhost:{port}"

    def ok(host: str | None) -> bool:
        value = (host or "").strip().lower()
        return value in allowed or (subdomains and value.endswith(suffix) and "/" not in value)

    return ok
