"""Every Terraform block against the AWS provider 5.x schema where no terraform binary can do it:
the schema comes from npm's `@cdktf/provider-aws` 19.x jsii assembly (tests/infra/provider_schema.py),
fetched into a cache on first use. Where terraform and the provider mirror exist,
test_terraform_cli.py runs `terraform validate` instead and these are skipped.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from terraform import rehearsal
from tests.infra import provider_schema
from tests.infra.provider_schema import Block
from tests.infra.tfmodule import Module, load_module

ROOT = Path(__file__).resolve().parents[2]


def _terraform_validates() -> bool:
    try:
        rehearsal.find_terraform()
        rehearsal.find_provider_mirror()
    except rehearsal.Unavailable:
        return False
    return True


@pytest.fixture(scope="module")
def schema() -> dict[str, dict[str, Block]]:
    if _terraform_validates():
        pytest.skip("terraform validate with the provider mirror checks the schema here (test_terraform_cli.py)")
    if shutil.which("npm") is None:
        pytest.skip("neither terraform with the provider mirror nor npm: the provider schema is not checked")
    return provider_schema.load(provider_schema.ensure_assembly())


def test_platform_blocks_match_the_provider_schema(module: Module, schema: dict[str, dict[str, Block]]) -> None:
    assert provider_schema.check(module, schema) == []


def test_bootstrap_blocks_match_the_provider_schema(schema: dict[str, dict[str, Block]]) -> None:
    assert provider_schema.check(load_module(ROOT / "terraform" / "bootstrap"), schema) == []


def test_schema_check_catches_unknown_and_missing(module: Module, schema: dict[str, dict[str, Block]]) -> None:
    broken = copy.deepcopy(module)
    broken.resources["aws_sqs_queue"]["alert_emails"]["visibility_timeout"] = 30
    del broken.resources["aws_sqs_queue_policy"]["alert_emails"]["policy"]
    problems = provider_schema.check(broken, schema)
    assert "aws_sqs_queue.alert_emails: unknown argument or block 'visibility_timeout'" in problems
    assert "aws_sqs_queue_policy.alert_emails: missing required argument 'policy'" in problems


def test_the_checker_on_a_small_schema() -> None:
    """The checker itself, always run: unknown and missing arguments, nested and dynamic blocks."""
    rule = Block(attributes={"id": True, "status": True}, blocks={"filter": (Block({"prefix": False}), False)})
    schema = {"resource": {"aws_thing": Block({"bucket": True, "name": False}, {"rule": (rule, True)})}, "data": {}}
    module = Module(
        resources={
            "aws_thing": {
                "ok": {"bucket": "b", "count": 1, "rule": [{"id": "r", "status": "Enabled", "filter": [{}]}]},
                "dynamic_rule": {"bucket": "b", "dynamic": [{"rule": {"for_each": "x"}}]},
                "bad": {"name": "n", "nam": "typo", "rule": [{"id": "r", "filter": [{"prefx": "p"}]}]},
            },
            "aws_unknown": {"x": {}},
        }
    )
    assert provider_schema.check(module, schema) == [
        "aws_thing.bad: unknown argument or block 'nam'",
        "aws_thing.bad: missing required argument 'bucket'",
        "aws_thing.bad.rule[0]: missing required argument 'status'",
        "aws_thing.bad.rule[0].filter[0]: unknown argument or block 'prefx'",
        "aws_unknown.x: no such resource type in the AWS provider 5.x",
    ]
