"""The API's OpenAPI 3.1 document (`chalicelib/openapi.json`), served at `GET /openapi.json`.

The document is written by hand, next to the code, and kept true by tests: every route of the
app is in it and every path in it is a route (`tests/unit/test_openapi.py`), and schemathesis
fuzzes the running devstack from it (`tests/e2e/test_api_fuzz.py`). To add a route: add its path
under "paths" (reuse `components`: the error responses, the id parameters), then run those tests.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DOCUMENT = Path(__file__).resolve().parent.parent / "openapi.json"


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return loaded
