"""The Lambda layer loads on the python3.11 runtime (Amazon Linux 2, glibc 2.26) and is the lock.

Every compiled package in the built layer must come from a wheel tagged manylinux for glibc <= 2.26
and CPython 3.11 (or the stable ABI): a package built from source on the packaging machine is
linked against its libraries (a Pillow against Debian's libjpeg) and fails to import on Lambda.
"""

from __future__ import annotations

import re
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from terraform.package import LAMBDA_GLIBC, RUNTIME_PROVIDED

ROOT = Path(__file__).resolve().parents[2]
SITE = "python/lib/python3.11/site-packages/"
_MANYLINUX = re.compile(r"manylinux_(\d+)_(\d+)_x86_64|manylinux(1|2010|2014)_x86_64")
_LEGACY_GLIBC = {"1": (2, 5), "2010": (2, 12), "2014": (2, 17)}


def runtime_loads(tag: str) -> bool:
    """Whether a wheel tag (`cp311-cp311-manylinux_2_17_x86_64`) loads on the python3.11 runtime."""
    python, abi, platform = tag.split("-")
    if platform == "any":
        return True
    match = _MANYLINUX.fullmatch(platform)
    if not match:
        return False
    glibc = (int(match[1]), int(match[2])) if match[1] else _LEGACY_GLIBC[match[3]]
    if glibc > LAMBDA_GLIBC:
        return False
    if abi == "abi3":
        return bool(re.fullmatch(r"cp3(\d+)", python)) and int(python[3:]) <= 11
    return python == "cp311" and abi == "cp311"


def layer_problems(layer: Path) -> list[str]:
    """Compiled packages the runtime cannot load, and shared objects of no compliant wheel."""
    problems = []
    with zipfile.ZipFile(layer) as z:
        names = z.namelist()
        compliant_files: set[str] = set()
        for info in (n for n in names if n.endswith(".dist-info/WHEEL")):
            wheel = Parser().parsestr(z.read(info).decode())
            tags = wheel.get_all("Tag") or []
            dist = info[len(SITE) :].split("/")[0]
            record = info[: -len("WHEEL")] + "RECORD"
            files = [SITE + line.split(",")[0] for line in z.read(record).decode().splitlines() if line]
            if wheel.get("Root-Is-Purelib", "true").strip().lower() == "true" and not any(
                f.endswith(".so") for f in files
            ):
                compliant_files.update(files)
                continue
            if any(runtime_loads(tag) for tag in tags):
                compliant_files.update(files)
            else:
                problems.append(f"{dist}: tags {tags} do not load on python3.11 / glibc 2.26")
        for name in names:
            if re.search(r"\.so(\.\d+)*$", name) and name not in compliant_files:
                problems.append(f"{name}: shared object not from a runtime-compatible wheel")
    return problems


def _pins(path: Path) -> dict[str, str]:
    return {
        name.lower().replace("_", "-"): version
        for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(), re.M)
    }


def test_every_compiled_package_in_the_layer_loads_on_the_runtime(packaged: tuple[Path, dict[str, int]]) -> None:
    layer = packaged[0] / "layer-deployment.zip"
    assert layer.exists()
    assert layer_problems(layer) == []


def test_the_layer_is_the_lock(packaged: tuple[Path, dict[str, int]]) -> None:
    """Exactly the versions locked in requirements.txt (less what the runtime provides)."""
    with zipfile.ZipFile(packaged[0] / "layer-deployment.zip") as z:
        metadata = [Parser().parsestr(z.read(n).decode()) for n in z.namelist() if n.endswith(".dist-info/METADATA")]
    in_layer = {m["Name"].lower().replace("_", "-"): m["Version"] for m in metadata}
    locked = {k: v for k, v in _pins(ROOT / "requirements.txt").items() if k not in RUNTIME_PROVIDED}
    assert in_layer == locked


def test_the_check_refuses_a_source_build(tmp_path: Path) -> None:
    layer = tmp_path / "layer.zip"
    with zipfile.ZipFile(layer, "w") as z:
        info = SITE + "pillow-13.0.0.dist-info/"
        z.writestr(info + "WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n")
        z.writestr(info + "RECORD", "PIL/_imaging.cpython-311-x86_64-linux-gnu.so,,\n")
        z.writestr(SITE + "PIL/_imaging.cpython-311-x86_64-linux-gnu.so", b"\x7fELF")
        z.writestr(SITE + "stray/_x.so", b"\x7fELF")
    problems = layer_problems(layer)
    assert any(p.startswith("pillow-13.0.0.dist-info: tags") for p in problems)
    assert any("stray/_x.so" in p for p in problems)


@pytest.mark.parametrize(
    ("tag", "loads"),
    [
        ("cp311-cp311-manylinux_2_17_x86_64", True),
        ("cp311-cp311-manylinux2014_x86_64", True),
        ("cp311-abi3-manylinux_2_26_x86_64", True),
        ("cp311-abi3-manylinux_2_27_x86_64", False),
        ("cp37-abi3-manylinux_2_17_x86_64", True),
        ("cp311-cp311-manylinux_2_28_x86_64", False),
        ("cp312-cp312-manylinux_2_17_x86_64", False),
        ("cp311-cp311-linux_x86_64", False),
        ("cp311-cp311-manylinux_2_17_aarch64", False),
        ("py3-none-any", True),
    ],
)
def test_runtime_tag_rule(tag: str, loads: bool) -> None:
    assert runtime_loads(tag) is loads


def test_one_lock_with_hashes_for_the_venv_and_the_layer() -> None:
    """Every pin has hashes; the dev lock holds the runtime packages at the layer's versions; every
    requirement written in a .in file is in its lock."""
    for lock in ("requirements.txt", "requirements-dev.txt", "requirements-checkov.txt"):
        text = (ROOT / lock).read_text()
        entries = [e for e in re.split(r"\n(?=[^\s#])", text) if e and not e.startswith("#")]
        assert entries, f"{lock} locks nothing"
        for entry in entries:
            assert "==" in entry and "--hash=sha256:" in entry, f"{lock}: not pinned with hashes: {entry[:80]}"
    runtime, dev = _pins(ROOT / "requirements.txt"), _pins(ROOT / "requirements-dev.txt")
    assert {k: dev.get(k) for k in runtime} == runtime
    for source, lock in (("requirements.in", runtime), ("requirements-dev.in", dev)):
        for line in (ROOT / source).read_text().splitlines():
            name = re.match(r"([A-Za-z0-9_.-]+)", line.split("#")[0].strip())
            if name and not line.lstrip().startswith("-"):
                assert name.group(1).lower().replace("_", "-") in lock, f"{source}: {name.group(1)} is not locked"


def test_packaging_ignores_the_apps_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A devstack's CORS_ALLOW_ORIGIN in the packager's environment must not reach the template
    (Chalice imports app.py, which would add CORS preflight routes and a Terraform cycle)."""
    import json

    from terraform.package import packaging_environment

    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "http://127.0.0.1:8080")
    monkeypatch.setenv("PRODUCTS_TABLE", "stockroom-local-products")
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = packaging_environment(config, Path("/wheelhouse"))
    assert "CORS_ALLOW_ORIGIN" not in env and "PRODUCTS_TABLE" not in env
    assert env["PIP_NO_INDEX"] == "1" and env["PIP_FIND_LINKS"] == "/wheelhouse"


def test_the_packaged_api_has_no_cors_preflight_routes(packaged: tuple[Path, dict[str, int]]) -> None:
    """Production serves the site and /api from one origin: no CORS (docs/CONTRACTS.md)."""
    import json

    template = json.loads((packaged[0] / "chalice.tf.json").read_text())
    assert '"options"' not in template["locals"]["chalice_api_swagger"]
