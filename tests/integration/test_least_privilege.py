"""Each function's IAM policy grants exactly what its recorded AWS calls need (docs/DEPLOY.md,
"Least privilege"). Runs last in the session (conftest.py), over what every integration test
recorded; run the whole of tests/integration to see the real picture."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws_calls import compare, grants_of_call, name_map, platform_grants, policy_grants

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_FILES = {p.name for p in Path(__file__).parent.glob("test_*.py")}


def _policy(function: str) -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / f"policy-prod-{function}.json").read_text())


def _functions() -> list[str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return sorted(config["stages"]["prod"]["lambda_functions"])


def test_every_function_has_exactly_the_grants_its_calls_need(
    request: pytest.FixtureRequest, record_aws_calls: Any
) -> None:
    collected = {item.path.name for item in request.session.items}
    if not collected >= INTEGRATION_FILES:
        pytest.skip("least privilege is judged on the calls of the whole integration suite: run tests/integration")
    from app import app

    recorded = record_aws_calls.calls
    dump = os.environ.get("STOCKROOM_AWS_CALLS_JSON")  # for a look at the evidence
    if dump:
        Path(dump).write_text(json.dumps({f: sorted(g) for f, g in recorded.items()}, indent=2))
    problems = []
    for function in _functions():
        problems += compare(function, recorded.get(function, set()), _policy(function), platform_grants(app, function))
    unknown = sorted(f"{f}: {grant}" for f, grants in recorded.items() for grant in grants if "unknown:" in grant[1])
    assert unknown == [], "calls on resources that config.json's local and prod stages do not both name"
    assert problems == []


def test_every_function_with_a_handler_has_a_policy_file() -> None:
    from app import app

    functions = {source.name for source in app.event_sources} | ({"api_handler"} if app.routes else set())
    assert functions <= set(_functions()), "every Lambda function is configured for prod"
    for function in _functions():
        assert (ROOT / ".chalice" / f"policy-prod-{function}.json").exists()


def test_the_ledger_is_append_only_for_every_role() -> None:
    """No role may rewrite or erase the movements table: Put (guarded, new items) and reads only."""
    for function in _functions():
        for action, resource in policy_grants(_policy(function)):
            if resource == "aws_dynamodb_table.movements":
                assert action not in {
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:PartiQLUpdate",
                    "dynamodb:PartiQLDelete",
                    "dynamodb:DeleteTable",
                    "dynamodb:UpdateTable",
                }, f"{function} may {action} on the movements ledger"


def test_the_comparison_fails_both_ways() -> None:
    """A call nothing grants and a grant nothing uses are both reported."""
    names = name_map()
    products = next(name for name, ref in names.items() if ref == "aws_dynamodb_table.products")
    recorded = grants_of_call("dynamodb", "PutItem", {"TableName": products}, names)
    policy = {
        "Statement": [
            {
                "Sid": "TableProducts",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem"],
                "Resource": "${aws_dynamodb_table.products.arn}",
            }
        ]
    }
    problems = compare("f", recorded, policy, set())
    assert any("dynamodb:PutItem on aws_dynamodb_table.products is called but not granted" in p for p in problems)
    assert any(
        "dynamodb:GetItem on aws_dynamodb_table.products (Sid TableProducts) is granted but nothing uses it" in p
        for p in problems
    )


def test_a_transaction_needs_each_items_action() -> None:
    names = name_map()
    by_ref = {ref: name for name, ref in names.items()}
    grants = grants_of_call(
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Update": {"TableName": by_ref["aws_dynamodb_table.stock"]}},
                {"Put": {"TableName": by_ref["aws_dynamodb_table.movements"]}},
                {"ConditionCheck": {"TableName": by_ref["aws_dynamodb_table.products"]}},
            ]
        },
        names,
    )
    assert grants == {
        ("dynamodb:UpdateItem", "aws_dynamodb_table.stock"),
        ("dynamodb:PutItem", "aws_dynamodb_table.movements"),
        ("dynamodb:ConditionCheckItem", "aws_dynamodb_table.products"),
    }
