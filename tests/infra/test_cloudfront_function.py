"""The site's viewer-request CloudFront Function, run by node on CloudFront-shaped events.

The function is what makes `/admin/` reachable behind S3's REST endpoint (no index documents,
403 for a folder key); tests/e2e exercise the same paths against the devstack's web server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = ROOT / "terraform" / "functions" / "folder-index.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the CloudFront Function is not run")

# Loads the function as CloudFront does (a script defining `handler`), runs it on each event.
RUNNER = """
const fs = require("fs");
const source = fs.readFileSync(process.argv[1], "utf8");
const handler = new Function(source + "\\nreturn handler;")();
const events = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(events.map((e) => handler(e))));
"""


def run(*uris: str | tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    events = []
    for item in uris:
        uri, querystring = item if isinstance(item, tuple) else (item, {})
        events.append(
            {
                "version": "1.0",
                "context": {"eventType": "viewer-request"},
                "viewer": {"ip": "198.51.100.7"},
                "request": {"method": "GET", "uri": uri, "querystring": querystring, "headers": {}, "cookies": {}},
            }
        )
    result = subprocess.run(
        [str(NODE), "-e", RUNNER, str(FUNCTION)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return list(json.loads(result.stdout))


def test_folder_uris_get_their_index_document() -> None:
    admin, nested = run("/admin/", "/admin/reports/")
    assert admin["uri"] == "/admin/index.html"
    assert nested["uri"] == "/admin/reports/index.html"


def test_files_and_the_root_pass_unchanged() -> None:
    script, css, root, dotted = run("/js/api.js", "/admin/app.css", "/", "/v1.2/")
    assert script["uri"] == "/js/api.js"
    assert css["uri"] == "/admin/app.css"
    assert root["uri"] == "/"  # the distribution's default_root_object serves index.html
    assert dotted["uri"] == "/v1.2/index.html"  # a folder is a folder, whatever its name


def test_a_folder_without_its_slash_is_redirected_keeping_the_query() -> None:
    bare, with_query = run(
        "/admin",
        ("/admin", {"tab": {"value": "orders"}, "x": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]}}),
    )
    assert bare["statusCode"] == 301
    assert bare["headers"]["location"]["value"] == "/admin/"
    assert with_query["headers"]["location"]["value"] == "/admin/?tab=orders&x=1&x=2"


def test_terraform_attaches_it_to_the_site_only() -> None:
    """Viewer request on the default (site) behaviour; the /api/* behaviour stays untouched."""
    web = (ROOT / "terraform" / "web.tf").read_text()
    assert 'file("${path.module}/functions/folder-index.js")' in web
    default = web[web.index("default_cache_behavior {") : web.index("ordered_cache_behavior {")]
    api = web[web.index("ordered_cache_behavior {") : web.index("restrictions {")]
    assert "aws_cloudfront_function.folder_index.arn" in default
    assert 'event_type   = "viewer-request"' in default
    assert "function_association" not in api
