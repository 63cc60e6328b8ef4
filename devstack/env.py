"""Ports, paths and the environment the app runs with locally.

The physical resource names come from `.chalice/config.json` (stage `local`), exactly as
`chalice local` reads them, so the devstack never keeps a second list of names.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
STAGE = "local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account, also used by config.json's local ARNs
STATE_DIR = PROJECT_DIR / ".devstack"


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


def stage_environment(stage: str = STAGE, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The Lambda environment of a stage, merged the way Chalice merges it (stage wins)."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


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
