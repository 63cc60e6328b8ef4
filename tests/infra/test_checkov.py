"""checkov over terraform/ and the generated chalice.tf.json: zero failed checks.

checkov lives in its own virtualenv (.venv-checkov, from requirements-checkov.txt: it pins an old
`packaging` that clashes with python-hcl2); `make test` and `make infra` build it first.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv-checkov" / "bin" / "checkov"))
CUSTOM = {"CKV2_STOCKROOM_1", "CKV2_STOCKROOM_2", "CKV2_STOCKROOM_3", "CKV2_STOCKROOM_4"}

pytestmark = pytest.mark.skipif(
    not CHECKOV.exists(), reason=f"checkov not installed at {CHECKOV}: run `make infra` (it builds .venv-checkov)"
)


def run_checkov(directory: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--config-file",
            str(ROOT / ".checkov.yaml"),
            "--external-checks-dir",
            str(ROOT / "terraform" / "checkov"),
            "-o",
            "json",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=directory,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def failures(reports: list[dict[str, Any]]) -> list[str]:
    return [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]


@pytest.fixture(scope="module")
def report(module_dir: Path) -> list[dict[str, Any]]:
    return run_checkov(module_dir)


def test_checkov_finds_no_failed_checks(report: list[dict[str, Any]]) -> None:
    frameworks = {r.get("check_type") for r in report}
    assert {"terraform", "terraform_json"} <= frameworks, "both the .tf files and chalice.tf.json are scanned"
    assert all(r["summary"]["parsing_errors"] == 0 for r in report)
    assert sum(r["summary"]["passed"] for r in report) > 200
    assert failures(report) == []


def test_checkov_custom_policies_fail_on_a_broken_copy(module_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(module_dir, broken)
    edits = {
        "cognito.tf": [
            ("minimum_length                   = 12", "minimum_length                   = 8"),
            ('mfa_configuration        = "OPTIONAL"', 'mfa_configuration        = "OFF"'),
        ],
        "dynamodb.tf": [("deletion_protection_enabled = true", "deletion_protection_enabled = false")],
        "sqs.tf": [(re.compile(r"\n  redrive_policy = jsonencode\(\{.*?\n  \}\)\n", re.S), "\n")],
    }
    for name, replacements in edits.items():
        text = (broken / name).read_text()
        for old, new in replacements:
            changed = old.sub(new, text) if isinstance(old, re.Pattern) else text.replace(old, new)
            assert changed != text, f"{name}: the mutation did not apply"
            text = changed
        (broken / name).write_text(text)
    failed = {line.split()[0] for line in failures(run_checkov(broken))}
    assert failed >= CUSTOM, f"custom policies that did not fail: {CUSTOM - failed}"


def test_every_skip_says_why() -> None:
    """Global skips carry a comment above them; inline skips a reason after the id."""
    lines = (ROOT / ".checkov.yaml").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\s*- CKV", line):
            assert lines[i - 1].strip().startswith("#") and len(lines[i - 1]) > 30, f"skip without a reason: {line}"
    for tf in (ROOT / "terraform").glob("*.tf"):
        for line in tf.read_text().splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV\w+:\S.{20,}", line), (
                    f"{tf.name}: skip without a reason: {line.strip()}"
                )
