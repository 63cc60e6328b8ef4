"""The deployment rehearsed: `make deploy-local` against a fresh emulator, as part of `make test`.

The rehearsal runs as its own process (`python -m terraform.rehearsal`): its emulator's moto
state and fixes must not mix with the moto the integration tests use in this process. It reuses
the session's package (`packaged`), so the suite packages once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from terraform import rehearsal

ROOT = Path(__file__).resolve().parents[2]


def _tools_or_skip() -> None:
    try:
        rehearsal.find_terraform()
        rehearsal.find_provider_mirror()
    except rehearsal.Unavailable as missing:
        pytest.skip(f"deploy rehearsal not run: {missing}")


def test_the_platform_applies_replans_clean_and_destroys(
    packaged: tuple[Path, dict[str, int]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _tools_or_skip()
    report = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "terraform.rehearsal",
            "--package-dir",
            str(packaged[0]),
            "--keep",
            str(tmp_path / "work"),
            "--report",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    figures = json.loads(report.read_text())
    assert figures["resources"] >= 100  # the whole platform, not a fragment of it
    with capsys.disabled():
        phases = ", ".join(f"{k} {v:.0f} s" for k, v in figures["seconds"].items())
        print(f"\n[deploy rehearsal] {figures['resources']} resources; {phases}")


def test_the_override_is_derived_from_the_module(packaged: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    """A queue (or CloudFront function) someone adds is covered without touching the rehearsal."""
    module_dir = rehearsal.prepare(tmp_path, packaged[0])
    (module_dir / "extra.tf").write_text(
        'resource "aws_sqs_queue_redrive_allow_policy" "extra" {\n'
        "  for_each  = toset([])\n  queue_url = each.value\n"
        '  redrive_allow_policy = "{}"\n}\n'
    )
    doc: dict[str, Any] = rehearsal.override(module_dir)
    redrive = doc["resource"]["aws_sqs_queue_redrive_allow_policy"]
    assert redrive["extra"] == {"for_each": {}}
    assert all(v == {"count": 0} for k, v in redrive.items() if k != "extra")
    assert doc["resource"]["aws_cloudfront_function"]["folder_index"] == {"publish": False}
    # A resource moto cannot create is left out, and what referenced it gets a stand-in.
    assert doc["resource"]["aws_cloudfront_cache_policy"]["catalog"] == {"count": 0}
    behaviours = doc["resource"]["aws_cloudfront_distribution"]["web"]["ordered_cache_behavior"]
    assert "aws_cloudfront_cache_policy" not in json.dumps(behaviours)
    assert len(behaviours) == json.dumps(module_dir.joinpath("web.tf").read_text()).count("ordered_cache_behavior {")
    aliases = [p.get("alias") for p in doc["provider"]["aws"]]
    assert None in aliases and "us_east_1" in aliases
    assert "resource" not in doc or "aws_dynamodb_table" not in doc["resource"]  # protection stays on
    destroy = rehearsal.override(module_dir, for_destroy=True)["resource"]
    assert all(t == {"deletion_protection_enabled": False} for t in destroy["aws_dynamodb_table"].values())


def test_two_prefixes_share_no_physical_name(packaged: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    """name_prefix separates environments in one account: plan the same package with two
    prefixes and compare every physical name the plans would create."""
    _tools_or_skip()
    names = rehearsal.physical_names(packaged[0], ["blue", "green"], workdir=tmp_path)
    blue, green = names["blue"], names["green"]
    assert len(blue) > 40, "the plan names the platform's resources"
    assert blue & green == set()
    assert all("blue" in name for _, name in blue)
