"""Test-wide environment: the `local` stage's resource names, fake credentials, no real AWS.

Set before anything imports `chalicelib.tables` (table names are read at import time).
"""

from __future__ import annotations

import os

from devstack.env import REGION, stage_environment

for _name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ.update(stage_environment("local"))
os.environ.update(
    {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
