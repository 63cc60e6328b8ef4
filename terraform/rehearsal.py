"""`make deploy-local`: rehearse the real deployment against the local AWS emulator.

    python -m terraform.rehearsal [--package-dir DIR] [--keep DIR] [--report FILE]

What production runs, in the same order, on what production gets:

1. `make package` (or reuse `--package-dir`, as the test suite does with its session package);
2. `terraform init` from the provider's filesystem mirror (a CLI configuration written for the
   rehearsal: no registry, no network);
3. `terraform apply` of terraform/*.tf plus the generated chalice.tf.json into a fresh emulator
   (moto's server, `devstack.emulator.Emulator` on a free port; the provider reaches it through
   `AWS_ENDPOINT_URL`, which the AWS provider honours for every service);
4. `terraform plan -detailed-exitcode`: must show no changes (a perpetual diff is a bug that
   would redeploy on every pipeline run);
5. `terraform destroy`, after turning deletion protection off the way an operator must.

Nothing here changes what production gets. Every emulator gap is worked around in files this
module writes into its own scratch copy of the module (`zz_rehearsal_override.tf.json`, a
Terraform override file) or, where moto answers what no override can avoid, in the rehearsal's
emulator (`_EMULATOR_FIXES`). docs/DEPLOY.md lists each workaround with its reason; keep the
two in step. The override is derived from the module itself, so resources other engineers add
(tables, queues, state machines, buses, rules) are rehearsed without touching this file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = ROOT / "terraform"
PACKAGE_FILES = ("chalice.tf.json", "deployment.zip", "layer-deployment.zip")
OVERRIDE_FILE = "zz_rehearsal_override.tf.json"
REHEARSAL_PREFIX = "stockroom"  # var.name_prefix's default: the rehearsal sets no other

# Where the hashicorp/aws provider mirror may be (the machines carry one; CI images may too).
# STOCKROOM_TF_PROVIDER_MIRROR names another root (the directory holding registry.terraform.io/).
MIRROR_CANDIDATES = ("/opt/tf-plugins", "~/.terraform.d/plugins", "/usr/share/terraform/plugins")
PROVIDER_PATH = "registry.terraform.io/hashicorp/aws"

# Values for the variables production must set (terraform.tfvars in a real pipeline).
REHEARSAL_VARIABLES: dict[str, Any] = {
    "sender_email": "stockroom@example.com",
    "admin_emails": ["owner@example.com"],
}


class Unavailable(Exception):
    """No terraform binary or provider mirror on this machine: the rehearsal cannot run."""


@dataclass
class Result:
    resources: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    workdir: Path | None = None

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


# --- finding the tools ----------------------------------------------------------------------


def find_terraform() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        raise Unavailable("no `terraform` binary on PATH")
    return binary


def find_provider_mirror() -> Path:
    """The filesystem mirror root holding registry.terraform.io/hashicorp/aws/5.x/<platform>/."""
    candidates = [os.environ.get("STOCKROOM_TF_PROVIDER_MIRROR", ""), *MIRROR_CANDIDATES]
    for candidate in filter(None, candidates):
        root = Path(candidate).expanduser()
        if any((root / PROVIDER_PATH).glob("5.*/*/terraform-provider-aws*")):
            return root
    raise Unavailable(
        f"no hashicorp/aws 5.x provider mirror in {', '.join(MIRROR_CANDIDATES)} "
        "(set STOCKROOM_TF_PROVIDER_MIRROR to its root)"
    )


def cli_config(mirror: Path) -> str:
    """Terraform CLI configuration: providers from the mirror only, never from the registry."""
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f'    include = ["{PROVIDER_PATH}"]\n'
        "  }\n"
        "}\n"
    )


# --- the emulator and its fixes -------------------------------------------------------------


def _fix_sesv2_configuration_set() -> None:
    """moto wraps SendingOptions twice ({"SendingEnabled": {"SendingEnabled": true}}), so the
    provider cannot read back any SESv2 configuration set it creates."""
    from moto.ses.models import ConfigurationSet

    if getattr(ConfigurationSet, "_rehearsal_fixed", False):
        return
    original = ConfigurationSet.to_dict_v2

    def to_dict_v2(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = original(self)
        enabled = self.enabled.get("SendingEnabled", True) if isinstance(self.enabled, dict) else self.enabled
        result["SendingOptions"] = {"SendingEnabled": bool(enabled)}
        return result

    ConfigurationSet.to_dict_v2 = to_dict_v2
    ConfigurationSet._rehearsal_fixed = True


def _accept_swagger_2() -> None:
    """moto's PutRestApi refuses Swagger 2.0 ("Only OpenAPI 3.x.x are currently supported"), the
    format Chalice writes and API Gateway imports. moto reads only `paths` and the integration
    extensions, which the two versions share: it is handed the same document labelled 3.0."""
    from moto.apigateway.models import APIGatewayBackend

    if getattr(APIGatewayBackend, "_rehearsal_fixed", False):
        return
    original = APIGatewayBackend.put_rest_api

    def put_rest_api(self: Any, function_id: str, api_doc: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if str(api_doc.get("swagger", "")).startswith("2."):
            api_doc = {k: v for k, v in api_doc.items() if k != "swagger"} | {"openapi": "3.0.1"}
        return original(self, function_id, api_doc, *args, **kwargs)

    APIGatewayBackend.put_rest_api = put_rest_api
    APIGatewayBackend._rehearsal_fixed = True


def _skip_conditional_bucket_denies() -> None:
    """moto evaluates bucket policies without their conditions, so the TLS-only statement
    (Deny s3:* when aws:SecureTransport is false) denies every request, TLS or not: uploads fail
    with 403 once the policy is set. A Deny that carries a condition is left out of moto's
    evaluation (a real deployment's requests use TLS, so that statement never applies to them)."""
    from moto.s3.models import FakeBucket

    if getattr(FakeBucket, "_rehearsal_fixed", False):
        return
    original = FakeBucket.get_permission

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return original(self, action, resource)
        policy = json.loads(self.policy.decode())
        statements = policy.get("Statement", [])
        kept = [s for s in statements if not (s.get("Effect") == "Deny" and s.get("Condition"))]
        saved, self.policy = self.policy, json.dumps({**policy, "Statement": kept}).encode()
        try:
            return original(self, action, resource)
        finally:
            self.policy = saved

    FakeBucket.get_permission = get_permission
    FakeBucket._rehearsal_fixed = True


def _compact_redrive_policy() -> None:
    """moto returns a queue's RedrivePolicy re-serialised with spaces; SQS returns it compact, as
    the provider wrote it. The provider compares the strings, so moto alone shows a perpetual diff."""
    from moto.sqs.models import Queue

    if getattr(Queue, "_rehearsal_fixed", False):
        return
    original = Queue.attributes

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = original.fget(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)
    Queue._rehearsal_fixed = True


def _load_aws_managed_policies() -> None:
    """moto knows AWS managed IAM policies (`arn:aws:iam::aws:policy/...`) only when asked to;
    the API Gateway account role attaches AmazonAPIGatewayPushToCloudWatchLogs."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"


# Applied to the rehearsal's emulator only (its own process: see `emulator()`), each with its reason.
_EMULATOR_FIXES: list[Callable[[], None]] = [
    _fix_sesv2_configuration_set,
    _accept_swagger_2,
    _skip_conditional_bucket_denies,
    _compact_redrive_policy,
    _load_aws_managed_policies,
]


@contextmanager
def emulator() -> Iterator[str]:
    """A fresh emulator on a free port, with the rehearsal's fixes; yields its URL.

    moto's state and the fixes live in this process: run the rehearsal as its own process
    (`python -m terraform.rehearsal`, as `make deploy-local` and the test do), never inside a
    process that uses moto for something else."""
    from devstack.emulator import Emulator

    for fix in _EMULATOR_FIXES:
        fix()
    with Emulator(port=0) as running:
        yield running.url


# --- the override -----------------------------------------------------------------------------


# Attributes moto does not store or returns differently from AWS, per resource type: ignored by
# the rehearsal's re-plan (lifecycle.ignore_changes in the override), so that "no changes" means
# no changes the configuration itself causes. Each with what moto gets wrong.
EMULATOR_DRIFT: dict[str, tuple[list[str], str]] = {
    "aws_api_gateway_rest_api": (["binary_media_types"], "moto returns each binary media type as an empty string"),
    "aws_cloudfront_distribution": (
        ["origin", "default_cache_behavior", "ordered_cache_behavior", "viewer_certificate"],
        "moto drops origin access control ids and function associations, and returns forwarded_values"
        " and an SSL support method that CloudFront does not return with a cache policy and the default"
        " certificate",
    ),
    "aws_cognito_user_pool": (["user_pool_tier"], "moto does not store the pool's feature plan"),
    "aws_sesv2_configuration_set": (
        ["suppression_options", "tracking_options", "vdm_options", "tags_all"],
        "moto returns empty option blocks SESv2 omits, and no tags",
    ),
    "aws_sesv2_email_identity": (["tags_all"], "moto does not return SESv2 identity tags"),
}


# Resource types moto cannot create at all: not created in the rehearsal, and every reference to
# one of their attributes in the rest of the module is replaced by a stand-in value (in an override
# of the attribute or block that holds it). Each with what moto lacks and the stand-in's meaning.
UNSUPPORTED: dict[str, tuple[dict[str, str], str]] = {
    "aws_cloudfront_cache_policy": (
        {"id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"},  # Managed-CachingDisabled
        "moto has no CreateCachePolicy; behaviours that use one get the managed CachingDisabled policy",
    ),
}


def _stand_ins(module: Any) -> dict[str, dict[str, Any]]:
    """Override bodies: unsupported resources disabled, references to them replaced."""
    import re

    resources: dict[str, dict[str, Any]] = {}
    patterns = []
    for rtype, (values, _) in UNSUPPORTED.items():
        for name, body in module.resources.get(rtype, {}).items():
            resources.setdefault(rtype, {})[name] = _disable(body)
            for attribute, value in values.items():
                patterns.append((re.compile(rf"\$\{{{rtype}\.{re.escape(name)}\.{attribute}\}}"), value))
    if not patterns:
        return resources

    def substitute(value: Any) -> tuple[Any, bool]:
        if isinstance(value, str):
            replaced = value
            for pattern, stand_in in patterns:
                replaced = pattern.sub(stand_in, replaced)
            return replaced, replaced != value
        if isinstance(value, list):
            items = [substitute(v) for v in value]
            return [v for v, _ in items], any(c for _, c in items)
        if isinstance(value, dict):
            pairs = {k: substitute(v) for k, v in value.items()}
            return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
        return value, False

    for rtype, name, body in _blocks(module):
        if rtype in UNSUPPORTED:
            continue
        for key, value in body.items():
            replaced, changed = substitute(value)
            if changed:  # the whole argument, or every block of that type, as override files need
                resources.setdefault(rtype, {}).setdefault(name, {})[key] = replaced
    return resources


def _blocks(doc: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource in a loaded module (tests.infra.tfmodule shape)."""
    for rtype, named in doc.resources.items():
        for name, body in named.items():
            yield rtype, name, body


def _disable(body: dict[str, Any]) -> dict[str, Any]:
    """Override meta-argument that makes a resource (counted or iterated) create nothing."""
    return {"for_each": {}} if "for_each" in body else {"count": 0}


def override(module_dir: Path, *, for_destroy: bool = False) -> dict[str, Any]:
    """The rehearsal's override file, derived from the module (so new resources are covered).

    - provider: fake credentials, no account or credential lookups, path-style S3 URLs (the
      emulator has no per-bucket host names); the endpoint itself comes from AWS_ENDPOINT_URL.
    - aws_sqs_queue_redrive_allow_policy: moto ignores the RedriveAllowPolicy attribute, so the
      provider waits forever for it to appear: not created in the rehearsal.
    - aws_cloudfront_function: moto creates functions but has no PublishFunction: created
      unpublished (the distribution still associates the function's ARN).
    - lifecycle.ignore_changes on what moto does not store (EMULATOR_DRIFT).
    - for the destroy only: deletion protection off on every table and user pool, the step an
      operator takes on purpose before destroying an environment (docs/DEPLOY.md).
    """
    from tests.infra.tfmodule import load_module

    module = load_module(module_dir)
    resources: dict[str, dict[str, Any]] = _stand_ins(module)
    for rtype, name, body in _blocks(module):
        if rtype == "aws_sqs_queue_redrive_allow_policy":
            resources.setdefault(rtype, {})[name] = _disable(body)
        if rtype == "aws_cloudfront_function":
            resources.setdefault(rtype, {})[name] = {"publish": False}
        if rtype in EMULATOR_DRIFT:
            resources.setdefault(rtype, {}).setdefault(name, {})["lifecycle"] = {
                "ignore_changes": EMULATOR_DRIFT[rtype][0]
            }
        if for_destroy and rtype == "aws_dynamodb_table":
            resources.setdefault(rtype, {}).setdefault(name, {})["deletion_protection_enabled"] = False
        if for_destroy and rtype == "aws_cognito_user_pool":
            resources.setdefault(rtype, {}).setdefault(name, {})["deletion_protection"] = "INACTIVE"
    fake = {
        "access_key": "rehearsal",
        "secret_key": "rehearsal",
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "skip_requesting_account_id": True,
        "s3_use_path_style": True,
    }
    # Every configuration of the aws provider, the default and each alias (e.g. us_east_1 for WAF).
    doc: dict[str, Any] = {"provider": {"aws": [fake] + [{"alias": a, **fake} for a in provider_aliases(module_dir)]}}
    if resources:
        doc["resource"] = resources
    return doc


def provider_aliases(module_dir: Path) -> list[str]:
    """Aliases of the aws provider configured in the module's .tf files."""
    import hcl2

    aliases = []
    for path in sorted(module_dir.glob("*.tf")):
        with path.open() as handle:
            for block in hcl2.load(handle).get("provider", []):
                for body in (block.get("aws"), block.get('"aws"')):
                    if isinstance(body, dict) and body.get("alias"):
                        aliases.append(str(body["alias"]).strip('"'))
    return aliases


# --- running it -------------------------------------------------------------------------------


class Terraform:
    """Runs terraform in the module; each command's output also goes to <workdir>/logs/."""

    def __init__(self, binary: str, module_dir: Path, env: dict[str, str], log: Callable[[str], None]) -> None:
        self.binary, self.module_dir, self.env, self.log = binary, module_dir, env, log
        self.logs = module_dir.parent / "logs"
        self.logs.mkdir(exist_ok=True)
        self._count = 0

    def run(self, *args: str, ok: tuple[int, ...] = (0,), timeout: float = 1200) -> subprocess.CompletedProcess[str]:
        self._count += 1
        log_file = self.logs / f"{self._count:02d}-{args[0]}.log"
        self.log(f"$ terraform {' '.join(args)}    (output: {log_file})")
        with log_file.open("w") as out:
            process = subprocess.run(
                [self.binary, *args],
                cwd=self.module_dir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
            )
        output = log_file.read_text()
        if process.returncode not in ok:
            errors = output[output.find("Error:") :] if "Error:" in output else output[-6000:]
            raise RuntimeError(f"terraform {args[0]} failed ({process.returncode}):\n{errors[:8000]}")
        return subprocess.CompletedProcess(process.args, process.returncode, output, "")


def prepare(workdir: Path, package_dir: Path) -> Path:
    """A scratch copy laid out like the repository: <workdir>/terraform (the module's files, the
    package added) beside links to the repository's other folders (web/, and whatever else the
    module reads through `${path.module}/../`)."""
    module_dir = workdir / "terraform"
    shutil.copytree(
        TERRAFORM_DIR,
        module_dir,
        ignore=shutil.ignore_patterns(
            ".terraform", "*.tfstate*", "tfplan", "backend.tf", "__pycache__", "*.py", *PACKAGE_FILES
        ),
    )
    for name in PACKAGE_FILES:
        if (package_dir / name).exists():
            shutil.copy(package_dir / name, module_dir / name)
    if not (module_dir / "chalice.tf.json").exists():
        raise RuntimeError(f"{package_dir} holds no chalice.tf.json: run `make package` first")
    for entry in ROOT.iterdir():
        if entry.is_dir() and entry.name != "terraform" and not entry.name.startswith("."):
            (workdir / entry.name).symlink_to(entry)
    (module_dir / "rehearsal.auto.tfvars.json").write_text(json.dumps(REHEARSAL_VARIABLES, indent=2))
    return module_dir


@contextmanager
def _session(
    package_dir: Path | None, workdir: Path | None, log: Callable[[str], None], result: Result
) -> Iterator[Terraform]:
    """Scratch copy (packaged unless given), CLI configuration, fresh emulator, `terraform init`."""
    binary = find_terraform()
    mirror = find_provider_mirror()
    with tempfile.TemporaryDirectory(prefix="stockroom-rehearsal-") as scratch:
        work = workdir or Path(scratch)
        result.workdir = work
        if package_dir is None:
            from terraform import package as packager

            started = time.monotonic()
            package_dir = work / "package"
            packager.package(package_dir, stage="prod")
            result.seconds["package"] = time.monotonic() - started
        module_dir = prepare(work, package_dir)
        (work / "terraformrc").write_text(cli_config(mirror))
        with emulator() as endpoint:
            tf = Terraform(binary, module_dir, _environment(endpoint, work), log)
            _write_override(module_dir, for_destroy=False)
            started = time.monotonic()
            tf.run("init", "-input=false", "-no-color")
            result.seconds["init"] = time.monotonic() - started
            yield tf


def rehearse(
    package_dir: Path | None = None,
    *,
    workdir: Path | None = None,
    log: Callable[[str], None] = print,
    parallelism: int = 64,
) -> Result:
    """Package (unless given), apply into a fresh emulator, re-plan to no changes, destroy."""
    result = Result()
    with _session(package_dir, workdir, log, result) as tf:
        step = time.monotonic()
        tf.run("apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={parallelism}")
        result.seconds["apply"] = time.monotonic() - step
        result.resources = len(tf.run("state", "list").stdout.split())
        log(f"applied {result.resources} resources in {result.seconds['apply']:.0f} s")
        problems = applied_event_delivery_problems(tf.env["AWS_ENDPOINT_URL"])
        if problems:
            raise RuntimeError("event delivery policies not applied as declared:\n" + "\n".join(problems))
        log("event delivery: queue, DLQ and key policies let each rule (and only the bus's rules) deliver")

        step = time.monotonic()
        plan = tf.run(
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
            "-out=replan",
            f"-parallelism={parallelism}",
            ok=(0, 2),
        )
        result.seconds["replan"] = time.monotonic() - step
        if plan.returncode == 2:
            raise RuntimeError("the plan after apply is not empty:\n" + describe_changes(tf))
        log("re-plan: no changes")

        step = time.monotonic()
        # The state was refreshed by the re-plan a moment ago: no third and fourth refresh of
        # everything (each costs as long as the re-plan) before turning protection off and destroying.
        _write_override(tf.module_dir, for_destroy=True)
        fresh = ("-auto-approve", "-input=false", "-no-color", "-refresh=false", f"-parallelism={parallelism}")
        tf.run("apply", *fresh)
        try:
            tf.run("destroy", *fresh)
        except RuntimeError as failed:
            if "BucketNotEmpty" not in str(failed):
                raise
            # A versioned bucket keeps old versions of the files Terraform deleted: an operator
            # empties it (every version) and destroys again.
            _empty_buckets(tf.env["AWS_ENDPOINT_URL"])
            try:
                tf.run("destroy", *fresh)
            except RuntimeError as again:
                if "BucketNotEmpty" not in str(again):
                    raise
                # moto answers 500 to DeleteObject of some versions (an emulator gap, listed in
                # docs/DEPLOY.md): the buckets it cannot empty leave the state, the rest is destroyed.
                buckets = [a for a in tf.run("state", "list").stdout.split() if a.startswith("aws_s3_bucket.")]
                log(f"emulator could not empty {buckets}: removed from the state")
                tf.run("state", "rm", *buckets)
                tf.run("destroy", *fresh)
        left = tf.run("state", "list").stdout.split()
        result.seconds["destroy"] = time.monotonic() - step
        if left:
            raise RuntimeError(f"destroy left {len(left)} resources: {left[:10]}")
        log(f"destroyed everything in {result.seconds['destroy']:.0f} s")
    return result


# Attributes that hold a name unique in the account (or region); resources whose names are scoped
# to a parent (a role's inline policy, a pool's group, an object key) are not physical names.
NAME_ATTRIBUTES = (
    "name",
    "function_name",
    "layer_name",
    "bucket",
    "bucket_prefix",
    "alarm_name",
    "dashboard_name",
    "configuration_set_name",
    "domain",
)
SCOPED_TYPES = ("aws_iam_role_policy", "aws_cognito_user_group", "aws_s3_object", "aws_api_gateway_stage")


def physical_names(
    package_dir: Path, prefixes: list[str], *, workdir: Path | None = None, log: Callable[[str], None] = print
) -> dict[str, set[tuple[str, str]]]:
    """(resource type, physical name) of everything a plan with each name_prefix would create."""
    names: dict[str, set[tuple[str, str]]] = {}
    with _session(package_dir, workdir, log, Result()) as tf:
        for prefix in prefixes:
            tf.run(
                "plan",
                "-input=false",
                "-no-color",
                "-refresh=false",
                "-var",
                f"name_prefix={prefix}",
                f"-out=plan-{prefix}",
            )
            plan = json.loads(tf.run("show", "-json", f"plan-{prefix}").stdout)
            found: set[tuple[str, str]] = set()
            modules = [plan.get("planned_values", {}).get("root_module", {})]
            while modules:
                module = modules.pop()
                modules += module.get("child_modules", [])
                for resource in module.get("resources", []):
                    if resource["mode"] != "managed" or resource["type"] in SCOPED_TYPES:
                        continue
                    for attribute in NAME_ATTRIBUTES:
                        value = (resource.get("values") or {}).get(attribute)
                        if isinstance(value, str) and value:
                            found.add((resource["type"], value))
            names[prefix] = found
    return names


def applied_event_delivery_problems(endpoint: str) -> list[str]:
    """What the emulator holds after apply, read back: for every rule target of the domain bus,
    the target queue and its DLQ carry a policy letting events.amazonaws.com send with
    aws:SourceArn = that rule's ARN, and the key policy lets EventBridge use the key only for
    the bus's rules. (Static checks: tests/infra/test_event_delivery.py.)"""
    import boto3

    from chalicelib.core.resources import EVENT_BUSES

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="rehearsal",
            aws_secret_access_key="rehearsal",
        )

    events, sqs, kms = client("events"), client("sqs"), client("kms")
    problems: list[str] = []
    applied = {  # rule name -> (its bus, its ARN), whatever the buses are called
        rule["Name"]: (bus["Name"], rule["Arn"])
        for bus in events.list_event_buses()["EventBuses"]
        for rule in events.list_rules(EventBusName=bus["Name"])["Rules"]
    }
    for rule in (rule for bus in EVENT_BUSES for rule in bus.rules):
        name = f"{REHEARSAL_PREFIX}-{rule.key}"
        if name not in applied:
            problems.append(f"rule {name} was not applied")
            continue
        bus_name, rule_arn = applied[name]
        targets = events.list_targets_by_rule(Rule=name, EventBusName=bus_name)
        if len(targets["Targets"]) != len(rule.target_queues):
            problems.append(f"rule {name}: {len(targets['Targets'])} targets, not {len(rule.target_queues)}")
        for target in targets["Targets"]:
            dlq = target.get("DeadLetterConfig", {}).get("Arn")
            if not dlq or not target.get("RetryPolicy"):
                problems.append(f"{rule.key} -> {target['Arn']}: no DLQ or retry policy")
            for arn in (target["Arn"], dlq):
                if not arn:
                    continue
                url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
                policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
                if not _allows_events(json.loads(policy.get("Policy", "{}")), "sqs:SendMessage", rule_arn):
                    problems.append(f"{arn}: its policy does not let {rule_arn} send")
    key_id = kms.describe_key(KeyId=f"alias/{REHEARSAL_PREFIX}")["KeyMetadata"]["KeyId"]
    key_policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    sample_rule = f"arn:aws:events:us-east-1:123456789012:rule/{REHEARSAL_PREFIX}-domain-events/any"
    if not _allows_events(key_policy, "kms:GenerateDataKey*", sample_rule):
        problems.append("the key policy does not let the domain bus's rules use the key")
    if _allows_events(key_policy, "kms:GenerateDataKey*", "arn:aws:events:us-east-1:123456789012:rule/other/x"):
        problems.append("the key policy lets rules of other buses use the key")
    return problems


def _allows_events(policy: dict[str, Any], action: str, source_arn: str) -> bool:
    """Whether an Allow statement for events.amazonaws.com grants `action` under an
    aws:SourceArn condition that `source_arn` satisfies (ArnEquals, or ArnLike with `*`)."""
    import fnmatch

    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        services = (statement.get("Principal") or {}).get("Service", [])
        actions = statement.get("Action", [])
        if statement.get("Effect") != "Allow" or "events.amazonaws.com" not in _listed(services):
            continue
        if action not in _listed(actions):
            continue
        conditions = statement.get("Condition", {})
        for test in ("ArnEquals", "ArnLike"):
            values = _listed((conditions.get(test) or {}).get("aws:SourceArn", []))
            if any(fnmatch.fnmatchcase(source_arn, v) if test == "ArnLike" else v == source_arn for v in values):
                return True
    return False


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _empty_buckets(endpoint: str) -> None:
    """Delete every object version and delete marker of every bucket in the emulator."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="rehearsal",
        aws_secret_access_key="rehearsal",
    )
    for bucket in s3.list_buckets().get("Buckets", []):
        listing = s3.list_object_versions(Bucket=bucket["Name"])
        for entry in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]:
            try:
                s3.delete_object(Bucket=bucket["Name"], Key=entry["Key"], VersionId=entry["VersionId"])
            except s3.exceptions.ClientError:
                continue  # see the caller: moto fails some of these


def _environment(endpoint: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "rehearsal",
            "AWS_SECRET_ACCESS_KEY": "rehearsal",
            "TF_CLI_CONFIG_FILE": str(work / "terraformrc"),
            "TF_DATA_DIR": str(work / ".terraform"),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    return env


def _write_override(module_dir: Path, *, for_destroy: bool) -> None:
    (module_dir / OVERRIDE_FILE).unlink(missing_ok=True)  # not read as part of the module itself
    (module_dir / OVERRIDE_FILE).write_text(json.dumps(override(module_dir, for_destroy=for_destroy), indent=2))


def describe_changes(tf: Terraform) -> str:
    """Each planned change with the attributes that differ (what a perpetual diff is made of)."""
    plan = json.loads(tf.run("show", "-json", "replan").stdout)
    lines = []
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
        differs = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        lines.append(f"  {change['address']}: {'/'.join(actions)} {differs}")
        for key in differs[:5]:
            lines.append(f"      {key}: {json.dumps(before.get(key))[:300]} -> {json.dumps(after.get(key))[:300]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package-dir", type=Path, help="reuse this `make package` output instead of packaging")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (state, logs) for a post-mortem")
    parser.add_argument("--report", type=Path, help="write the figures (resources, seconds per phase) here as JSON")
    args = parser.parse_args(argv)
    try:
        result = rehearse(args.package_dir, workdir=args.keep)
    except Unavailable as missing:
        print(f"deploy-local: cannot rehearse here: {missing}", file=sys.stderr)
        return 2
    if args.report:
        args.report.write_text(json.dumps({"resources": result.resources, "seconds": result.seconds}, indent=2))
    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in result.seconds.items())
    print(f"Rehearsal passed: {result.resources} resources applied, re-planned to no changes, destroyed ({phases}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
