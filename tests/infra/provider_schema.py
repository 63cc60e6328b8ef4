"""The AWS provider 5.x schema without a terraform binary: from npm's `@cdktf/provider-aws` 19.x.

CDKTF's provider package is generated from the provider's schema and ships it, in its jsii
assembly (`.jsii`), as one `<Resource>Config` struct per resource and data source, one struct per
nested block, each property documented with a link whose anchor is the Terraform name
(`.../docs/resources/s3_bucket#bucket_prefix`) and marked optional or not. `load()` turns that into
{"resource"|"data": {type: Block}}; `check()` reports unknown arguments or blocks and missing
required ones for every block of a module (tests/infra/tfmodule.py shape).

The package (about 34 MB) is fetched with `npm pack` into a cache outside the repository on first
use (`ensure_assembly`), never committed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = "@cdktf/provider-aws@19"
CACHE = Path(os.environ.get("STOCKROOM_CACHE", Path.home() / ".cache" / "stockroom")) / "cdktf-provider-aws-19"
_REPRESENTS = re.compile(r"/docs/(resources|data-sources)/([a-z0-9_]+) (?:data\.)?aws_")
_ANCHOR = re.compile(r"#([a-z0-9_]+) ")
# Every resource and data block may carry these (Terraform's, not the provider's).
META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection", "dynamic"}


@dataclass
class Block:
    attributes: dict[str, bool] = field(default_factory=dict)  # name -> required
    blocks: dict[str, tuple[Block, bool]] = field(default_factory=dict)  # name -> (block, required)


def ensure_assembly(cache: Path = CACHE) -> Path:
    """The package's `.jsii`, fetched once with `npm pack` (needs npm and the registry)."""
    assembly = cache / ".jsii"
    if assembly.exists():
        return assembly
    cache.mkdir(parents=True, exist_ok=True)
    packed = subprocess.run(
        ["npm", "pack", PACKAGE, "--pack-destination", str(cache), "--silent"],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    tarball = cache / packed.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        member = archive.getmember("package/.jsii")
        source = archive.extractfile(member)
        assert source is not None
        assembly.write_bytes(source.read())
    tarball.unlink()
    return assembly


def _struct_of(type_ref: dict[str, Any], types: dict[str, Any]) -> str | None:
    """The fqn of a nested-block struct behind a property type (direct, in a list, or a union)."""
    if "fqn" in type_ref:
        target = types.get(type_ref["fqn"], {})
        return str(type_ref["fqn"]) if target.get("datatype") else None
    if "collection" in type_ref:
        return _struct_of(type_ref["collection"]["elementtype"], types)
    for option in type_ref.get("union", {}).get("types", []):
        found = _struct_of(option, types)
        if found:
            return found
    return None


def _block(fqn: str, types: dict[str, Any], seen: tuple[str, ...] = ()) -> Block:
    block = Block()
    for prop in types[fqn].get("properties", []):
        docs = prop.get("docs", {})  # attributes link in the summary, blocks in the remarks
        anchor = _ANCHOR.search(f"{docs.get('summary', '')} {docs.get('remarks', '')} ")
        if not anchor:
            continue
        name, required = anchor.group(1), not prop.get("optional", False)
        nested = _struct_of(prop["type"], types)
        if nested and nested not in seen:
            block.blocks[name] = (_block(nested, types, (*seen, fqn)), required)
        else:
            block.attributes[name] = required
    return block


def load(assembly: Path) -> dict[str, dict[str, Block]]:
    """{"resource": {"aws_s3_bucket": Block, ...}, "data": {...}} from the jsii assembly."""
    compact = assembly.with_suffix(".schema.json")
    if compact.exists() and compact.stat().st_mtime >= assembly.stat().st_mtime:
        return _from_json(json.loads(compact.read_text()))
    types: dict[str, Any] = json.loads(assembly.read_text())["types"]
    schema: dict[str, dict[str, Block]] = {"resource": {}, "data": {}}
    for fqn, spec in types.items():
        if spec.get("kind") != "class":
            continue
        match = _REPRESENTS.search(spec.get("docs", {}).get("summary", ""))
        config = f"{fqn}Config"
        if match and config in types:
            kind = "resource" if match.group(1) == "resources" else "data"
            schema[kind][f"aws_{match.group(2)}"] = _block(config, types)
    compact.write_text(json.dumps(_to_json(schema)))
    return schema


def _to_json(value: Any) -> Any:
    if isinstance(value, Block):
        return {"a": value.attributes, "b": {k: [_to_json(b), r] for k, (b, r) in value.blocks.items()}}
    return {k: _to_json(v) for k, v in value.items()}


def _from_json(value: dict[str, Any]) -> dict[str, dict[str, Block]]:
    def block(raw: dict[str, Any]) -> Block:
        return Block(dict(raw["a"]), {k: (block(b), bool(r)) for k, (b, r) in raw["b"].items()})

    return {kind: {name: block(raw) for name, raw in named.items()} for kind, named in value.items()}


def _bodies(value: Any) -> list[dict[str, Any]]:
    """A nested block's bodies: hcl2 gives a list of dicts, JSON a dict or a list."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _check_body(where: str, body: dict[str, Any], block: Block, top: bool) -> list[str]:
    problems = []
    dynamic = {name for d in _bodies(body.get("dynamic", [])) for name in d}
    for key in body:
        if top and key in META:
            continue
        if key not in block.attributes and key not in block.blocks and key != "dynamic":
            problems.append(f"{where}: unknown argument or block {key!r}")
    for name, required in block.attributes.items():
        if required and name not in body:
            problems.append(f"{where}: missing required argument {name!r}")
    for name, (nested, required) in block.blocks.items():
        if name in body:
            for i, child in enumerate(_bodies(body[name])):
                problems += _check_body(f"{where}.{name}[{i}]", child, nested, top=False)
        elif required and name not in dynamic:
            problems.append(f"{where}: missing required block {name!r}")
    return problems


def check(module: Any, schema: dict[str, dict[str, Block]]) -> list[str]:
    problems = []
    for kind, blocks in (("resource", module.resources), ("data", module.data)):
        for rtype, named in blocks.items():
            if not rtype.startswith("aws_"):
                continue
            block = schema[kind].get(rtype)
            for name, body in named.items():
                where = f"{'data.' if kind == 'data' else ''}{rtype}.{name}"
                if block is None:
                    problems.append(f"{where}: no such {kind} type in the AWS provider 5.x")
                    continue
                problems += _check_body(where, body, block, top=True)
    return problems
