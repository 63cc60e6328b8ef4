"""The Terraform CLI's own checks, where a binary (and, for validate, the provider mirror) exists:
`terraform fmt -check -recursive`, `terraform validate` of every root module against the AWS
provider 5.x schema, and the variable validations that must refuse a bad combination at plan time.
Without a binary, tests/infra/test_provider_schema.py validates from the provider's published
schema instead (docs/DEPLOY.md, "Checks").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from terraform import rehearsal

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_BIN = shutil.which("terraform")

needs_terraform = pytest.mark.skipif(
    TERRAFORM_BIN is None, reason="no `terraform` binary on PATH: fmt and validate are not run"
)


def _mirror_or_skip() -> Path:
    try:
        return rehearsal.find_provider_mirror()
    except rehearsal.Unavailable as missing:
        pytest.skip(f"terraform validate needs the provider: {missing}")


def _env(work: Path, mirror: Path) -> dict[str, str]:
    (work / "terraformrc").write_text(rehearsal.cli_config(mirror))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
    env.update({"TF_CLI_CONFIG_FILE": str(work / "terraformrc"), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"})
    return env


def _tf(directory: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM_BIN is not None
    return subprocess.run(
        [TERRAFORM_BIN, *args],
        cwd=directory,
        env=env | {"TF_DATA_DIR": str(directory / ".terraform")},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@needs_terraform
def test_terraform_fmt_check_recursive() -> None:
    result = subprocess.run(
        [str(TERRAFORM_BIN), "fmt", "-check", "-recursive", "-diff", str(ROOT / "terraform")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def initialised(
    packaged: tuple[Path, dict[str, int]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """The root module as deployed (terraform/ plus the package), initialised from the mirror."""
    if TERRAFORM_BIN is None:
        pytest.skip("no `terraform` binary on PATH")
    mirror = _mirror_or_skip()
    work = tmp_path_factory.mktemp("validate")
    module_dir = rehearsal.prepare(work, packaged[0])
    env = _env(work, mirror)
    init = _tf(module_dir, env, "init", "-backend=false", "-input=false", "-no-color")
    assert init.returncode == 0, init.stdout + init.stderr
    return module_dir, env


def _problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    report = json.loads(result.stdout)
    return [
        f"{d['severity']}: {d['summary']} {d.get('detail', '')} ({d.get('range', {}).get('filename')})"
        for d in report.get("diagnostics", [])
        if d["severity"] == "error" or "deprecated" not in d["summary"].lower()
    ]


def test_terraform_validate_platform(initialised: tuple[Path, dict[str, str]]) -> None:
    module_dir, env = initialised
    result = _tf(module_dir, env, "validate", "-json", "-no-color")
    assert _problems(result) == [] and json.loads(result.stdout)["valid"]


def test_terraform_validate_bootstrap(tmp_path: Path) -> None:
    if TERRAFORM_BIN is None:
        pytest.skip("no `terraform` binary on PATH")
    mirror = _mirror_or_skip()
    module_dir = tmp_path / "bootstrap"
    shutil.copytree(ROOT / "terraform" / "bootstrap", module_dir)
    env = _env(tmp_path, mirror)
    init = _tf(module_dir, env, "init", "-backend=false", "-input=false", "-no-color")
    assert init.returncode == 0, init.stdout + init.stderr
    result = _tf(module_dir, env, "validate", "-json", "-no-color")
    assert _problems(result) == [] and json.loads(result.stdout)["valid"]


def test_validate_catches_an_unknown_argument(initialised: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    module_dir, env = initialised
    broken = tmp_path / "terraform"
    shutil.copytree(module_dir, broken, symlinks=True)
    (broken / "broken.tf").write_text('resource "aws_sqs_queue" "broken" {\n  visibility_timeout = 30\n}\n')
    result = _tf(broken, env | {"TF_DATA_DIR": str(module_dir / ".terraform")}, "validate", "-json", "-no-color")
    assert any("visibility_timeout" in p for p in _problems(result))


def _variable(
    initialised: tuple[Path, dict[str, str]], expression: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    module_dir, env = initialised
    flags = [arg for name, value in variables.items() for arg in ("-var", f"{name}={value}")]
    # Required variables get placeholders; console evaluates (and validates) the inputs only.
    flags += ["-var", "sender_email=a@example.com", "-var", 'admin_emails=["b@example.com"]']
    return _tf(module_dir, env, "console", "-no-color", *flags, stdin=expression + "\n")


def test_threat_protection_needs_the_plus_tier(initialised: tuple[Path, dict[str, str]]) -> None:
    # `terraform console` reports a failed validation and still exits 0: read what it says.
    refused = _variable(
        initialised,
        "var.cognito_threat_protection",
        cognito_user_pool_tier="ESSENTIALS",
        cognito_threat_protection="AUDIT",
    )
    assert "needs cognito_user_pool_tier" in refused.stderr + refused.stdout
    allowed = _variable(
        initialised,
        "var.cognito_threat_protection",
        cognito_user_pool_tier="PLUS",
        cognito_threat_protection="ENFORCED",
    )
    assert "Error" not in allowed.stderr + allowed.stdout and '"ENFORCED"' in allowed.stdout
    default = _variable(initialised, "var.cognito_user_pool_tier")
    assert "Error" not in default.stderr + default.stdout and '"ESSENTIALS"' in default.stdout
