"""`chalice local`, unchanged except for a listen backlog fit for concurrent clients, a 401
(not a 500) for malformed bearer tokens (see `devstack.chalice_patch`), and the site's origin
on the site's actual port (`STOCKROOM_WEB_PORT`, see `devstack.env.port_overrides`): chalice
sets the stage's variables from config.json over the process environment, port 8080 included.

Chalice's threaded dev server keeps `http.server`'s default backlog of 5 pending connections;
a burst of simultaneous clients (a browser, a load test, 50 concurrent orders) then gets
connection resets before a thread ever sees the request. Run as
`python -m devstack.chalice_local <chalice arguments>`, e.g. `local --stage local --port 8000`.
"""

from __future__ import annotations

import sys

from chalice import local
from chalice.cli import cli

from devstack.chalice_patch import patch_local_authorizer, patch_stage_environment

local.ThreadedHTTPServer.request_queue_size = 128
patch_local_authorizer()  # a malformed token gets the app's 401, not a 500 from the emulation
patch_stage_environment()  # SITE_ORIGIN / CORS_ALLOW_ORIGIN on the ports in use


def main() -> int:
    return int(cli(args=sys.argv[1:], prog_name="chalice", obj={}) or 0)


if __name__ == "__main__":
    sys.exit(main())
