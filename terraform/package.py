"""`make package`: Chalice's Terraform output, completed, in `terraform/`.

    python -m terraform.package [--out terraform] [--stage prod]

1. `download_wheelhouse()`: every dependency locked in requirements.txt (hashes checked) as a
   wheel the python3.11 Lambda runtime can load (manylinux, glibc <= 2.26); no source builds.
   Then `chalice package --pkg-format terraform --stage prod` into a scratch directory, its pip
   limited to that wheelhouse (fake credentials and a region are supplied when none are set;
   Chalice only needs them to name ARNs).
2. `complete()` rewrites the generated `chalice.tf.json` for what Chalice lacks (each step says
   why). It is a pure function of the template, tested in tests/infra.
3. `slim_layer()` drops boto3/botocore/s3transfer from the managed layer: the Lambda runtime has
   them, and botocore alone is half the layer.
4. The template and both zips land in `--out` (git-ignored), and their sizes are printed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from chalicelib.core.resources import EVENT_BUSES, QUEUES

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = ROOT / "terraform"

# Stream mappings: a poison record is isolated by bisection, retried a bounded number of times and
# for a bounded age, then sent (as metadata) to this queue instead of blocking its shard for a day.
STREAM_FAILURE_DESTINATION = "${aws_sqs_queue.stream_failures_dlq.arn}"
STREAM_MAX_RETRY_ATTEMPTS = 5
STREAM_MAX_RECORD_AGE_SECONDS = 6 * 3600
PLATFORM_KEY = "${aws_kms_key.this.arn}"
NAME_PREFIX = "${var.name_prefix}"
METRICS_NAMESPACE = "${var.name_prefix}"
LOG_RETENTION = "${var.log_retention_days}"

# Provided by the Lambda Python runtime; the managed layer need not carry them. urllib3 is here only
# because botocore pulled it in: the runtime's botocore is paired with the runtime's own.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "urllib3")

# EventBridge -> SQS targets: retried (with backoff) for up to a day, then sent to the queue's DLQ.
EVENT_TARGET_MAX_RETRIES = 185
EVENT_TARGET_MAX_AGE_SECONDS = 24 * 3600
QUEUES_BY_KEY = {queue.key: queue for queue in QUEUES}

_INVOKE_ARN = re.compile(r"\$\{aws_lambda_function\.([A-Za-z0-9_-]+)\.invoke_arn\}")


def complete(template: dict[str, Any], app_name: str, stage: str) -> dict[str, Any]:
    """Chalice's `chalice.tf.json` plus what a production deploy needs. Returns a new dict."""
    t = copy.deepcopy(template)
    resources = t.setdefault("resource", {})
    functions: dict[str, Any] = resources.get("aws_lambda_function", {})

    # versions.tf is the one place for version constraints: Chalice's (Terraform < 1.4, AWS < 5)
    # reject every current pipeline, and a second required_providers block is an error anyway.
    t.pop("terraform", None)
    # null_data_source is deprecated and unused; dropping it drops the null provider too.
    t.get("data", {}).pop("null_data_source", None)
    _apply_name_prefix(resources, app_name, stage)

    # A log group per function, created before it (else Lambda creates one that never expires),
    # encrypted, with retention. Function environment encrypted with the platform key.
    log_groups = resources.setdefault("aws_cloudwatch_log_group", {})
    for key, function in functions.items():
        log_groups[key] = {
            "name": "/aws/lambda/{}".format(function["function_name"]),
            "retention_in_days": LOG_RETENTION,
            "kms_key_id": PLATFORM_KEY,
        }
        depends_on = function.setdefault("depends_on", [])
        if f"aws_cloudwatch_log_group.{key}" not in depends_on:
            depends_on.append(f"aws_cloudwatch_log_group.{key}")
        function["kms_key_arn"] = PLATFORM_KEY
    # function key => function name, for the alarms and dashboard in observability.tf.
    t.setdefault("locals", {})["chalice_functions"] = {k: f["function_name"] for k, f in functions.items()}

    # Consumers by kind, for the lag alarms in observability.tf (stream iterator age, oldest
    # message per queue): function key => function name / queue name.
    stream_functions: dict[str, str] = {}
    queue_consumers: dict[str, str] = {}
    for mapping in resources.get("aws_lambda_event_source_mapping", {}).values():
        function_key = _referenced(str(mapping.get("function_name", "")), "aws_lambda_function")
        if function_key in functions and is_stream_mapping(mapping):
            stream_functions[function_key] = functions[function_key]["function_name"]
        queue_key = _referenced(str(mapping.get("event_source_arn", "")), "aws_sqs_queue")
        if function_key in functions and queue_key and is_sqs_mapping(mapping):
            queue_consumers[function_key] = f"${{aws_sqs_queue.{queue_key}.name}}"
    t["locals"]["chalice_stream_functions"] = stream_functions
    t["locals"]["chalice_queue_consumers"] = queue_consumers

    for mapping in resources.get("aws_lambda_event_source_mapping", {}).values():
        if is_sqs_mapping(mapping):
            # Handlers return Powertools' partial batch response: only failed messages go back.
            mapping["function_response_types"] = ["ReportBatchItemFailures"]
            # Chalice has no setting for it: the e-mail consumers' bound on concurrent
            # invocations, so a burst queues up instead of outrunning SES's sending rate.
            queue = QUEUES_BY_KEY.get(_referenced(str(mapping.get("event_source_arn", "")), "aws_sqs_queue") or "")
            if queue is not None and queue.max_concurrency is not None:
                mapping["scaling_config"] = {"maximum_concurrency": queue.max_concurrency}
        elif is_stream_mapping(mapping):
            mapping["function_response_types"] = ["ReportBatchItemFailures"]
            mapping["bisect_batch_on_function_error"] = True
            mapping["maximum_retry_attempts"] = STREAM_MAX_RETRY_ATTEMPTS
            mapping["maximum_record_age_in_seconds"] = STREAM_MAX_RECORD_AGE_SECONDS
            mapping["destination_config"] = {"on_failure": {"destination_arn": STREAM_FAILURE_DESTINATION}}

    # Chalice names a schedule rule after its handler only: two stages (or apps) in one account
    # would fight over "reconcile_stock-event".
    for key, rule in resources.get("aws_cloudwatch_event_rule", {}).items():
        rule["name"] = f"{NAME_PREFIX}-{key}"
    # One metrics namespace per environment: two environments in one account must not add up
    # each other's business metrics on their dashboards and alarms (observability.tf).
    for function in functions.values():
        variables = function.get("environment", {}).get("variables", {})
        if "POWERTOOLS_METRICS_NAMESPACE" in variables:
            variables["POWERTOOLS_METRICS_NAMESPACE"] = METRICS_NAMESPACE
    _unescape_policy_interpolations(resources)
    _grant_ses_sandbox_recipients(resources)
    _add_event_rules(resources)
    # rule key => rule name, for the delivery widget in observability.tf.
    t["locals"]["event_rule_names"] = {
        rule.key: f"{NAME_PREFIX}-{rule.key}" for bus in EVENT_BUSES for rule in bus.rules
    }

    _complete_rest_api(t, resources)
    return t


def _add_event_rules(resources: dict[str, Any]) -> None:
    """The rules of every bus of `resources.EVENT_BUSES`, written from that one definition (their
    patterns are the ones the devstack provisions and the unit tests check), each with an SQS
    target per queue: input as is (consumers read AWS's envelope), a retry policy, and the queue's
    own DLQ for events EventBridge could not deliver (a deleted queue, a key or queue policy
    refusing). The queue and key policies that let `events.amazonaws.com` deliver, conditioned on
    these rules' ARNs, are in sqs.tf and kms.tf."""
    rules = resources.setdefault("aws_cloudwatch_event_rule", {})
    targets = resources.setdefault("aws_cloudwatch_event_target", {})
    for bus in EVENT_BUSES:
        for rule in bus.rules:
            rules[rule.key] = {
                "name": f"{NAME_PREFIX}-{rule.key}",
                "description": rule.description,
                "event_bus_name": f"${{aws_cloudwatch_event_bus.{bus.key}.name}}",
                "event_pattern": json.dumps(rule.event_pattern, sort_keys=True),
            }
            for queue in rule.target_queues:
                targets[f"{rule.key}_{queue}"] = {
                    "rule": f"${{aws_cloudwatch_event_rule.{rule.key}.name}}",
                    "event_bus_name": f"${{aws_cloudwatch_event_bus.{bus.key}.name}}",
                    "target_id": queue,
                    "arn": f"${{aws_sqs_queue.{queue}.arn}}",
                    "retry_policy": {
                        "maximum_event_age_in_seconds": EVENT_TARGET_MAX_AGE_SECONDS,
                        "maximum_retry_attempts": EVENT_TARGET_MAX_RETRIES,
                    },
                    "dead_letter_config": {"arn": f"${{aws_sqs_queue.{queue}_dlq.arn}}"},
                }


def _apply_name_prefix(resources: dict[str, Any], app_name: str, stage: str) -> None:
    """Every generated physical name starts with var.name_prefix, never with `<app>-<stage>`:
    Chalice names functions, roles and the layer `stockroom-prod...` whatever the environment, so
    a second environment in the account would collide. The function keys stay the names' tails
    (`<prefix>-on_stock_change`); the API handler, which Chalice names `<app>-<stage>` alone,
    becomes `<prefix>-api_handler`. Runs before anything derives names from them (log groups)."""
    generated = f"{app_name}-{stage}"
    for named in resources.values():
        for key, body in named.items():
            for attribute in ("name", "function_name", "layer_name"):
                value = body.get(attribute)
                if not isinstance(value, str):
                    continue
                if value == generated:
                    body[attribute] = f"{NAME_PREFIX}-{key}"
                elif value.startswith(generated + "-"):
                    body[attribute] = NAME_PREFIX + value[len(generated) :]
    for api in resources.get("aws_api_gateway_rest_api", {}).values():
        if api.get("name") == app_name:
            api["name"] = NAME_PREFIX


def _unescape_policy_interpolations(resources: dict[str, Any]) -> None:
    """A policy file may name a resource with an index (`${aws_s3_bucket.private["receipts"].arn}/*`).
    Chalice embeds the policy as a JSON string, so the index's quotes arrive escaped (`\\"`), which
    Terraform's template parser refuses inside `${...}`: the quotes of an interpolation are HCL's,
    not the JSON's, so they are unescaped there (the interpolated value is an ARN, quote-free)."""
    for policy in resources.get("aws_iam_role_policy", {}).values():
        text = policy.get("policy")
        if isinstance(text, str):
            policy["policy"] = re.sub(r"\$\{[^}]*\}", lambda m: m.group(0).replace('\\"', '"'), text)


def _grant_ses_sandbox_recipients(resources: dict[str, Any]) -> None:
    """In the SES sandbox, IAM checks a sender's grant on each recipient's identity too. Every
    role whose policy sends e-mail gets a companion grant on the sandbox recipients (ses.tf),
    present only while `var.ses_sandbox_recipients` is on."""
    policies = resources.get("aws_iam_role_policy", {})
    for key, policy in list(policies.items()):
        text = str(policy.get("policy", ""))
        actions = [a for a in ("ses:SendEmail", "ses:SendRawEmail") if f'"{a}"' in text]
        if not actions:
            continue
        policies[f"{key}_ses_sandbox"] = {
            "count": "${var.ses_sandbox_recipients ? 1 : 0}",
            "name": "SesSandboxRecipients",
            "role": policy["role"],
            "policy": (
                '${jsonencode({Version = "2012-10-17", Statement = [{Sid = "SendToSandboxRecipients",'
                f' Effect = "Allow", Action = {json.dumps(actions)},'
                " Resource = local.ses_recipient_identity_arns}]})}"
            ),
        }


def _complete_rest_api(t: dict[str, Any], resources: dict[str, Any]) -> None:
    functions = resources.get("aws_lambda_function", {})
    swagger = t.get("locals", {}).get("chalice_api_swagger")
    if swagger:
        # The API's integration URIs name the function by its invoke_arn attribute; but the function's
        # environment names the CloudFront distribution, whose /api origin names this API: a cycle.
        # The same ARN built from the function's (static) name breaks it.
        def literal(match: re.Match[str]) -> str:
            name = functions[match.group(1)]["function_name"]
            return (
                "arn:${data.aws_partition.chalice.partition}:apigateway:${data.aws_region.chalice.name}"
                ":lambda:path/2015-03-31/functions/arn:${data.aws_partition.chalice.partition}:lambda:"
                "${data.aws_region.chalice.name}:${data.aws_caller_identity.chalice.account_id}"
                f":function:{name}/invocations"
            )

        t["locals"]["chalice_api_swagger"] = _INVOKE_ARN.sub(literal, swagger)

    # The stage moves out of the deployment into aws_api_gateway_stage.api (api.tf), which carries
    # access logs, tracing and throttling; a redeployment follows every change of the API body.
    for api in resources.get("aws_api_gateway_rest_api", {}).values():
        # A replaced API is created before the old one goes, so the stage never points at nothing.
        api["lifecycle"] = {"create_before_destroy": True}
    for key, deployment in resources.get("aws_api_gateway_deployment", {}).items():
        deployment.pop("stage_name", None)
        deployment.pop("stage_description", None)
        deployment["description"] = "Chalice API"
        deployment["triggers"] = {"redeployment": "${md5(local.chalice_api_swagger)}"}
        deployment["depends_on"] = sorted(f"aws_lambda_function.{f}" for f in functions if f == "api_handler")
        for output in t.get("output", {}).values():
            if output.get("value") == f"${{aws_api_gateway_deployment.{key}.invoke_url}}":
                output["value"] = "${aws_api_gateway_stage.api.invoke_url}"


def _referenced(expression: str, rtype: str) -> str | None:
    """`${aws_sqs_queue.alert_emails.arn}` -> `alert_emails` (for rtype aws_sqs_queue)."""
    match = re.search(rf"\$\{{{rtype}\.([A-Za-z0-9_-]+)\.", expression)
    return match.group(1) if match else None


def is_sqs_mapping(mapping: dict[str, Any]) -> bool:
    arn = str(mapping.get("event_source_arn", ""))
    return "aws_sqs_queue." in arn or ":sqs:" in arn


def is_stream_mapping(mapping: dict[str, Any]) -> bool:
    arn = str(mapping.get("event_source_arn", ""))
    return "starting_position" in mapping and ("stream_arn" in arn or ":stream/" in arn or ":kinesis:" in arn)


def slim_layer(src: Path, dest: Path) -> None:
    """Copy the managed layer zip without the packages the Lambda runtime already provides."""
    packages = "|".join(RUNTIME_PROVIDED)
    pattern = re.compile(rf"^python/lib/python3\.\d+/site-packages/({packages})(-[^/]+\.(?:dist-info|data))?/")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if pattern.match(item.filename):
                continue
            zout.writestr(item, zin.read(item.filename))


# The python3.11 Lambda runtime runs on Amazon Linux 2 (glibc 2.26): a compiled package loads
# there only from a manylinux wheel for glibc <= 2.26 (PEP 600 tags, with their legacy aliases).
LAMBDA_PYTHON = "3.11"
LAMBDA_GLIBC = (2, 26)
LAMBDA_PLATFORMS = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(5, LAMBDA_GLIBC[1] + 1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)


def download_wheelhouse(requirements: Path, dest: Path) -> None:
    """Every locked runtime dependency as the wheel the Lambda runtime can load, checked against
    the lock's hashes. No source builds: a package without such a wheel fails here, loudly,
    instead of shipping something compiled against this machine's libraries."""
    platforms = [arg for platform in LAMBDA_PLATFORMS for arg in ("--platform", platform)]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON,
            "--abi",
            f"cp{LAMBDA_PYTHON.replace('.', '')}",
            "--abi",
            "abi3",
            "--abi",
            "none",
            *platforms,
            "-r",
            str(requirements),
            "--dest",
            str(dest),
        ],
        check=True,
        env=_pip_environment(),
    )


def _pip_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def packaging_environment(config: dict[str, Any], wheelhouse: Path) -> dict[str, str]:
    """The environment `chalice package` runs in.

    - Chalice's own pip runs see only the verified wheelhouse: what is deployed is what is locked.
    - None of the app's settings (any variable a stage of .chalice/config.json defines): Chalice
      imports app.py to read its routes, and app.py reads settings such as CORS_ALLOW_ORIGIN from
      the environment. Left in place, a developer's devstack variables (or a test's) would change
      the production template: CORS preflight routes, and a Terraform cycle with them.
    """
    settings = set(config.get("environment_variables", {}))
    for stage in config.get("stages", {}).values():
        settings |= set(stage.get("environment_variables", {}))
    env = _pip_environment(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse))
    return {name: value for name, value in env.items() if name not in settings}


def run_chalice_package(stage: str, build_dir: Path, wheelhouse: Path) -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = packaging_environment(config, wheelhouse)
    # `chalice package` never calls AWS, but boto3 wants a region and credentials to exist.
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
    if not (env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE")):
        env["AWS_ACCESS_KEY_ID"] = "packaging"
        env["AWS_SECRET_ACCESS_KEY"] = "packaging"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from chalice.cli import main; main()",
            "--project-dir",
            str(ROOT),
            "package",
            "--pkg-format",
            "terraform",
            "--stage",
            stage,
            str(build_dir),
        ],
        check=True,
        env=env,
        cwd=ROOT,
    )


def package(out: Path, stage: str = "prod") -> dict[str, int]:
    """Package the app into `out`; returns the size in bytes of each file written."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chalice-package-") as scratch:
        build = Path(scratch) / "build"
        wheelhouse = Path(scratch) / "wheelhouse"
        download_wheelhouse(ROOT / "requirements.txt", wheelhouse)
        run_chalice_package(stage, build, wheelhouse)
        template = json.loads((build / "chalice.tf.json").read_text())
        completed = complete(template, app_name=config["app_name"], stage=stage)
        (out / "chalice.tf.json").write_text(json.dumps(completed, indent=2, sort_keys=True) + "\n")
        shutil.copyfile(build / "deployment.zip", out / "deployment.zip")
        if (build / "layer-deployment.zip").exists():
            slim_layer(build / "layer-deployment.zip", out / "layer-deployment.zip")
            raw_layer = (build / "layer-deployment.zip").stat().st_size
        else:
            raw_layer = 0
    sizes = {
        name: (out / name).stat().st_size
        for name in ("chalice.tf.json", "deployment.zip", "layer-deployment.zip")
        if (out / name).exists()
    }
    sizes["layer-deployment.zip (before slimming)"] = raw_layer
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TERRAFORM_DIR)
    parser.add_argument("--stage", default="prod")
    args = parser.parse_args(argv)
    sizes = package(args.out, args.stage)
    print(f"Packaged into {args.out}:")
    for name, size in sizes.items():
        print(f"  {name:<40} {_human(size):>10}")
    return 0


def _human(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{size} B"
        size /= 1024  # type: ignore[assignment]
    return str(size)


if __name__ == "__main__":
    sys.exit(main())
