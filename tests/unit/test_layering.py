"""The dependency direction of `chalicelib/` (see its docstring):

    backoffice -> orders -> shop -> inventory -> core

A module may import its own package and the packages to its right, never to its left. `core`
imports no capability. `chalicelib/tables.py` is the registry of all tables and may import any.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "chalicelib"
LAYERS = ["core", "inventory", "shop", "orders", "backoffice"]
REGISTRIES = {"chalicelib/tables.py"}


def imported_modules(source: str, module: str) -> list[str]:
    """Absolute names of every chalicelib module a source file imports (at any depth)."""
    names: list[str] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return [n for n in names if n.startswith("chalicelib.")]


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def violations(files: dict[str, str]) -> list[str]:
    """`files`: path relative to the project -> source. Each import against the direction."""
    problems = []
    for path, source in sorted(files.items()):
        if path in REGISTRIES:
            continue
        module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        own = layer_of(module)
        for name in imported_modules(source, module if not path.endswith("__init__.py") else module + ".x"):
            target = layer_of(name)
            if name == "chalicelib.tables" or name.startswith("chalicelib.tables."):
                problems.append(f"{path} imports the table registry {name} (import the models it needs)")
            elif own is None:
                continue
            elif target is not None and target > own:
                problems.append(f"{path} ({LAYERS[own]}) imports {name} ({LAYERS[target]})")
    return problems


def sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text() for p in LIB.rglob("*.py")}


def test_every_package_is_a_known_layer() -> None:
    packages = {p.name for p in LIB.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS)
    for name in LAYERS:
        assert ast.get_docstring(ast.parse((LIB / name / "__init__.py").read_text())), f"{name} needs a docstring"


def test_each_docstring_says_what_its_package_may_import() -> None:
    """The docstring a reader sees first states the rule this file enforces."""
    for index, name in enumerate(LAYERS):
        doc = ast.get_docstring(ast.parse((LIB / name / "__init__.py").read_text())) or ""
        flat = " ".join(doc.split())
        if index == 0:
            assert "Imports no capability" in flat, name
        elif "every other capability" not in flat:
            assert "May import" in flat, name
            named = {layer for layer in LAYERS if f"`{layer}`" in flat.split("May import", 1)[1]}
            assert named == set(LAYERS[:index]), (name, named)


def test_capabilities_import_only_in_the_documented_direction() -> None:
    assert violations(sources()) == []


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("chalicelib/core/db.py", "from chalicelib.inventory.models import Stock", "(core) imports"),
        ("chalicelib/inventory/x.py", "def f():\n    from chalicelib.shop import checkout", "(inventory) imports"),
        ("chalicelib/shop/x.py", "import chalicelib.orders.payments", "(shop) imports"),
        ("chalicelib/orders/x.py", "from ..backoffice import reports", "(orders) imports"),
        ("chalicelib/shop/x.py", "from chalicelib.tables import ALL_MODELS", "table registry"),
    ],
)
def test_the_check_catches_each_kind_of_violation(path: str, source: str, expected: str) -> None:
    problems = violations({path: source})
    assert problems and expected in problems[0]


def test_allowed_directions_pass() -> None:
    assert violations({"chalicelib/orders/x.py": "from chalicelib.shop.models import Order\nfrom . import y"}) == []
