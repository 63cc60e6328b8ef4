"""`chalice local`, unchanged except for a listen backlog fit for concurrent clients and the
fixes of `devstack.chalice_patch` (401 for malformed bearer tokens, URL-decoded path parameters,
API Gateway's route precedence with greedy `{proxy+}` routes).

Chalice's threaded dev server keeps `http.server`'s default backlog of 5 pending connections;
a burst of simultaneous clients (a browser, a load test, 50 concurrent orders) then gets
connection resets before a thread ever sees the request. Run as
`python -m devstack.chalice_local <chalice arguments>`, e.g. `local --stage local --port 8000`.
"""

from __future__ import annotations

import sys

from chalice import local
from chalice.cli import cli

from devstack.chalice_patch import patch_chalice_local

local.ThreadedHTTPServer.request_queue_size = 128
patch_chalice_local()  # behave as API Gateway does (see devstack/chalice_patch.py)


def main() -> int:
    return int(cli(args=sys.argv[1:], prog_name="chalice", obj={}) or 0)


if __name__ == "__main__":
    sys.exit(main())
