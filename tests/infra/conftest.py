"""Infra fixtures: the deployable module, built from a clean clone like `make package` does.

`packaged` runs the real package step once per session into a temporary directory; `module_dir`
is a copy of terraform/*.tf next to the generated chalice.tf.json (what `terraform plan` reads).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from terraform import package as packager
from tests.infra.tfmodule import Module, load_module

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("package")
    sizes = packager.package(out, stage="prod")
    return out, sizes


@pytest.fixture(scope="session")
def module_dir(packaged: tuple[Path, dict[str, int]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, _ = packaged
    directory = tmp_path_factory.mktemp("module") / "terraform"
    # The module's files and the folders it reads (functions/), not the separate root modules
    # (bootstrap/) or the tooling.
    shutil.copytree(
        TERRAFORM,
        directory,
        ignore=shutil.ignore_patterns(
            "bootstrap", "checkov", ".terraform", "*.tfstate*", "__pycache__", "*.py", "*.zip", "chalice.tf.json"
        ),
    )
    shutil.copy(out / "chalice.tf.json", directory / "chalice.tf.json")
    return directory


@pytest.fixture(scope="session")
def module(module_dir: Path) -> Module:
    return load_module(module_dir)


@pytest.fixture(scope="session")
def chalice_config() -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


@pytest.fixture(scope="session")
def generated(packaged: tuple[Path, dict[str, int]]) -> dict[str, Any]:
    out, _ = packaged
    return json.loads((out / "chalice.tf.json").read_text())
