"""The pipeline never hands production to a pull request (docs/DEPLOY.md, "The pipeline").

The workflow uses a read-only plan role for pull requests and the apply role only in the
`production` environment on main; the bootstrap's trust policies say the same, and the documented
trust policies are the bootstrap's, word for word.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.infra.tfmodule import load_module

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"


def _workflow() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def _role_of(job: dict[str, Any]) -> str | None:
    for step in job.get("steps", []):
        if "configure-aws-credentials" in str(step.get("uses", "")):
            return str(step["with"]["role-to-assume"])
    return None


def test_only_the_apply_job_assumes_the_apply_role_and_only_on_main_in_production() -> None:
    workflow = _workflow()
    assert "id-token" not in (workflow.get("permissions") or {}), "OIDC tokens per job, never workflow-wide"
    jobs = workflow["jobs"]
    roles = {name: _role_of(job) for name, job in jobs.items()}
    assert roles["apply"] == "${{ vars.AWS_APPLY_ROLE_ARN }}"
    assert [name for name, role in roles.items() if role and "APPLY" in role] == ["apply"]
    apply = jobs["apply"]
    assert apply["environment"] == "production"
    assert apply["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    plan = jobs["plan"]
    assert roles["plan"] == "${{ vars.AWS_PLAN_ROLE_ARN }}" and plan["environment"] == "plan"
    assert plan["if"] == "github.event_name == 'pull_request'"
    plan_commands = " ".join(str(s.get("run", "")) for s in plan["steps"])
    assert "apply" not in plan_commands and "-lock=false" in plan_commands
    for name, job in jobs.items():
        if name not in ("plan", "apply"):
            assert (job.get("permissions") or {}).get("id-token") != "write", f"{name} may not get AWS tokens"


def test_the_apply_job_smoke_tests_the_deployment() -> None:
    steps = [str(s.get("run", "")) for s in _workflow()["jobs"]["apply"]["steps"]]
    apply = next(i for i, run in enumerate(steps) if "terraform apply" in run)
    smoke = next(i for i, run in enumerate(steps) if "make smoke URL=" in run)
    assert smoke > apply
    assert "SMOKE_USER_POOL_ID" in steps[smoke]


def _trust(name: str) -> dict[str, Any]:
    module = load_module(ROOT / "terraform" / "bootstrap")
    return dict(module.data["aws_iam_policy_document"][name])


def _conditions(policy: dict[str, Any]) -> dict[str, list[str]]:
    statement = policy["statement"][0]
    return {f"{c['test']} {c['variable']}": list(c["values"]) for c in statement["condition"]}


def test_bootstrap_trust_policies() -> None:
    apply = _conditions(_trust("apply_trust"))
    assert apply["StringEquals ${local.oidc_host}:sub"] == ["${local.repo}:environment:production:ref:refs/heads/main"]
    assert apply["StringEquals ${local.oidc_host}:aud"] == ["sts.amazonaws.com"]
    plan = _conditions(_trust("plan_trust"))
    assert sorted(plan["StringLike ${local.oidc_host}:sub"]) == [
        "${local.repo}:environment:plan:ref:*",
        "${local.repo}:pull_request:ref:refs/pull/*",
    ]
    assert not any("production" in v or "heads/main" in v for v in plan["StringLike ${local.oidc_host}:sub"])


def test_documented_trust_policies_are_the_bootstraps() -> None:
    text = (ROOT / "docs" / "DEPLOY.md").read_text()
    documented = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]
    subjects = {s["Sid"]: s["Condition"] for policy in documented for s in policy["Statement"] if "Sid" in s}
    repo = "repo:<owner>/<repo>"
    assert subjects["ProductionEnvironmentOnMain"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        f"{repo}:environment:production:ref:refs/heads/main"
    )
    assert sorted(
        subjects["PullRequestsAndPlanEnvironment"]["StringLike"]["token.actions.githubusercontent.com:sub"]
    ) == [
        f"{repo}:environment:plan:ref:*",
        f"{repo}:pull_request:ref:refs/pull/*",
    ]
