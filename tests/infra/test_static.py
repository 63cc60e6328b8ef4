"""Static checks of terraform/ plus the generated chalice.tf.json (no Terraform binary here).

Each check passes on the real module and is shown to fail on a broken copy of it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core import resources
from chalicelib.tables import ALL_MODELS, table_schema
from tests.infra import tfmodule
from tests.infra.tfmodule import Module

ROOT = Path(__file__).resolve().parents[2]
WILDCARD_REASONS: dict[str, str] = json.loads((ROOT / "terraform" / "iam_wildcards.json").read_text())

# First AWS provider release that accepts each Lambda runtime (its runtime list comes from the AWS
# SDK it was built with). python3.11 arrived in 5.11.0; python3.12 and python3.13 are taken at
# releases known to accept them. A new runtime fails the check until it is added here.
MIN_PROVIDER_FOR_RUNTIME = {"python3.11": "5.11.0", "python3.12": "5.31.0", "python3.13": "5.77.0"}


def schemas() -> list[dict[str, Any]]:
    return [table_schema(model) for model in ALL_MODELS]


def broken(module: Module) -> Module:
    return copy.deepcopy(module)


# --- references -----------------------------------------------------------------------------


def test_every_reference_is_declared(module: Module) -> None:
    assert tfmodule.check_references(module) == []


def test_reference_check_catches_undeclared_names(module: Module) -> None:
    m = broken(module)
    m.resources["aws_sqs_queue"].pop("stream_failures_dlq")
    m.variables.pop("sender_email")
    m.locals.pop("chalice_functions")
    problems = "\n".join(tfmodule.check_references(m))
    assert "aws_sqs_queue.stream_failures_dlq is not declared" in problems
    assert "var.sender_email is not declared" in problems  # used by the generated Lambda environment
    assert "local.chalice_functions is not declared" in problems


def test_references_inside_generated_policies_and_swagger_are_read(module: Module) -> None:
    refs = {ref for _, ref in tfmodule.references(module)}
    assert "aws_cognito_user_pool.this" in refs  # the authorizer, inside the swagger string
    assert "aws_kms_key.this" in refs  # inside the JSON policy strings


def test_indexed_references_resolve_to_their_resource(module: Module) -> None:
    """for_each instances (aws_s3_bucket.private["receipts"]) count as references to the resource."""
    refs = set(tfmodule.references(module))
    assert ("output.receipts_bucket", "aws_s3_bucket.private") in refs
    assert ("aws_s3_bucket_policy.private", "data.aws_iam_policy_document.private_bucket") in refs
    m = broken(module)
    m.data["aws_iam_policy_document"].pop("private_bucket")
    m.outputs["reports_bucket"]["value"] = "${aws_s3_bucket.reports.bucket}"  # the address before for_each
    problems = tfmodule.check_references(m)
    assert "aws_s3_bucket_policy.private: data.aws_iam_policy_document.private_bucket is not declared" in problems
    assert "output.reports_bucket: aws_s3_bucket.reports is not declared" in problems


# --- DynamoDB -------------------------------------------------------------------------------


def test_tables_match_the_models(module: Module) -> None:
    assert tfmodule.check_tables(module, schemas()) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda t: t["stock"].update(range_key="product_id"), "stock: key_schema"),
        (lambda t: t["orders"]["global_secondary_index"].pop(), "orders: global_secondary_indexes"),
        (lambda t: t["stock"].update(stream_enabled=False), "stock: stream_view_type"),
        (lambda t: t["idempotency"].pop("ttl"), "idempotency: ttl_attribute"),
        (lambda t: t["products"].update(deletion_protection_enabled=False), "products: no deletion protection"),
        (lambda t: t.pop("movements"), "movements is missing"),
        (lambda t: t.update(extra={"hash_key": "id"}), "extra has no model"),
    ],
)
def test_table_check_catches_drift(module: Module, mutate: Any, expected: str) -> None:
    m = broken(module)
    mutate(m.resources["aws_dynamodb_table"])
    assert any(expected in p for p in tfmodule.check_tables(m, schemas()))


# --- buckets --------------------------------------------------------------------------------


def bucket_problems(module: Module, chalice_config: dict[str, Any]) -> list[str]:
    """Each bucket of `resources.BUCKETS` is one of Terraform's private buckets and named by both
    stages: a literal name locally, a reference to that bucket in prod."""
    problems = []
    declared = set(module.locals.get("private_buckets", {}))
    stages = chalice_config["stages"]
    for bucket in resources.BUCKETS:
        if bucket.key not in declared:
            problems.append(f"{bucket.key}: not in local.private_buckets")
        if not stages["local"]["environment_variables"].get(bucket.env):
            problems.append(f"{bucket.key}: stage local does not name it ({bucket.env})")
        prod = stages["prod"]["environment_variables"].get(bucket.env, "")
        if prod != "${" + bucket.terraform_ref + ".bucket}":
            problems.append(f"{bucket.key}: stage prod {bucket.env} is {prod!r}, not the Terraform bucket")
    return problems


def test_buckets_are_declared_and_named_by_both_stages(module: Module, chalice_config: dict[str, Any]) -> None:
    assert bucket_problems(module, chalice_config) == []
    m = broken(module)
    m.locals["private_buckets"] = {"reports": {}}
    config = copy.deepcopy(chalice_config)
    config["stages"]["prod"]["environment_variables"]["RECEIPTS_BUCKET"] = "stockroom-receipts"
    del config["stages"]["local"]["environment_variables"]["RECEIPTS_BUCKET"]
    problems = "\n".join(bucket_problems(m, config))
    assert "receipts: not in local.private_buckets" in problems
    assert "stage local does not name it" in problems
    assert "not the Terraform bucket" in problems


# --- queues and topics ----------------------------------------------------------------------


def test_queues_have_dead_letter_queues_and_subscriptions(module: Module) -> None:
    assert tfmodule.check_queues(module, list(resources.QUEUES)) == []


def test_queue_check_catches_a_queue_without_dlq(module: Module) -> None:
    m = broken(module)
    m.resources["aws_sqs_queue"]["alert_emails"].pop("redrive_policy")
    m.resources["aws_sqs_queue"]["orphan"] = {"name": "orphan", "kms_master_key_id": "k"}
    m.resources["aws_sns_topic_subscription"].pop("alert_emails_low_stock")
    problems = "\n".join(tfmodule.check_queues(m, list(resources.QUEUES)))
    assert "alert_emails: redrive policy targets None" in problems
    assert "orphan has no dead-letter queue" in problems
    assert "not subscribed to aws_sns_topic.low_stock" in problems


def test_topics_exist_and_are_encrypted(module: Module) -> None:
    assert tfmodule.check_topics(module, [t.key for t in resources.TOPICS] + ["daily_sales", "alarms"]) == []
    m = broken(module)
    m.resources["aws_sns_topic"]["low_stock"].pop("kms_master_key_id")
    assert tfmodule.check_topics(m, ["low_stock"]) == ["aws_sns_topic.low_stock: not encrypted"]


def test_every_dead_letter_queue_has_an_alarm(module: Module) -> None:
    assert tfmodule.check_dlq_alarms(module) == []
    m = broken(module)
    m.resources["aws_sqs_queue"]["new_dlq"] = {"name": "x", "message_retention_seconds": 1209600}
    assert tfmodule.check_dlq_alarms(m) == ["aws_sqs_queue.new_dlq: dead-letter queue without an alarm"]


# --- Lambda ---------------------------------------------------------------------------------


def test_generated_functions_exist_for_every_handler(module: Module, chalice_config: dict[str, Any]) -> None:
    functions = module.resources["aws_lambda_function"]
    assert {"api_handler", "on_stock_change", "send_alert_emails", "reconcile_stock"} <= set(functions)


def test_every_function_has_a_log_group(module: Module) -> None:
    assert tfmodule.check_log_groups(module) == []
    m = broken(module)
    m.resources["aws_cloudwatch_log_group"].pop("send_alert_emails")
    m.resources["aws_lambda_function"]["on_stock_change"]["depends_on"] = []
    problems = "\n".join(tfmodule.check_log_groups(m))
    assert "send_alert_emails: no log group named /aws/lambda/${var.name_prefix}-send_alert_emails" in problems
    assert "on_stock_change: does not depend on its log group" in problems


def test_event_source_mappings_handle_failures(module: Module) -> None:
    mappings = module.resources["aws_lambda_event_source_mapping"]
    assert mappings, "app.py registers stream and SQS handlers"
    assert tfmodule.check_event_source_mappings(module) == []


@pytest.mark.parametrize(
    "field, expected",
    [
        ("function_response_types", "lacks ReportBatchItemFailures"),
        ("bisect_batch_on_function_error", "bisect_batch_on_function_error is not on"),
        ("maximum_retry_attempts", "maximum_retry_attempts must be a bound"),
        ("maximum_record_age_in_seconds", "maximum_record_age_in_seconds must be a bound"),
        ("destination_config", "no on-failure SQS destination"),
    ],
)
def test_mapping_check_catches_missing_stream_settings(module: Module, field: str, expected: str) -> None:
    m = broken(module)
    stream = next(v for v in m.resources["aws_lambda_event_source_mapping"].values() if "starting_position" in v)
    stream.pop(field)
    assert any(expected in p for p in tfmodule.check_event_source_mappings(m))


def test_mapping_check_catches_sqs_without_partial_failures_or_short_visibility(module: Module) -> None:
    m = broken(module)
    sqs = next(
        v for v in m.resources["aws_lambda_event_source_mapping"].values() if "aws_sqs_queue." in v["event_source_arn"]
    )
    sqs.pop("function_response_types")
    m.resources["aws_lambda_function"]["send_alert_emails"]["timeout"] = 300
    problems = "\n".join(tfmodule.check_event_source_mappings(m))
    assert "lacks ReportBatchItemFailures" in problems
    assert "< 6 x function timeout 300s" in problems


def test_schedule_rules_are_named_per_environment(module: Module) -> None:
    assert tfmodule.check_schedule_rules(module) == []
    m = broken(module)
    schedules = [r for r in m.resources["aws_cloudwatch_event_rule"].values() if r.get("schedule_expression")]
    schedules[0]["name"] = "stockroom-prod-reconcile_stock-event"
    assert tfmodule.check_schedule_rules(m)


# --- IAM ------------------------------------------------------------------------------------


def _statements(module: Module) -> list[tuple[str, dict[str, Any]]]:
    return list(tfmodule.policy_statements(module))


def test_no_unexplained_iam_wildcards(module: Module) -> None:
    statements = _statements(module)
    assert any(w.startswith("aws_iam_role_policy.") for w, _ in statements), "generated role policies are read"
    assert tfmodule.check_iam_wildcards(statements, WILDCARD_REASONS) == []


def test_iam_wildcard_check_catches_star_grants(module: Module) -> None:
    lazy = {"Sid": "Lazy", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:::table/x"}
    anywhere = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}
    statements = [*_statements(module), ("aws_iam_role_policy.x", lazy), ("aws_iam_role_policy.y", anywhere)]
    problems = tfmodule.check_iam_wildcards(statements, WILDCARD_REASONS)
    assert len(problems) == 2


def test_each_function_has_its_own_role_and_policy_file(module: Module, chalice_config: dict[str, Any]) -> None:
    functions = module.resources["aws_lambda_function"]
    per_function = chalice_config["stages"]["prod"].get("lambda_functions", {})
    roles = {f["role"] for f in functions.values()}
    assert len(roles) == len(functions), "one IAM role per Lambda"
    for key in functions:
        policy_file = per_function.get(key, {}).get("iam_policy_file")
        assert policy_file, f"{key}: no iam_policy_file in .chalice/config.json stages.prod.lambda_functions"
        assert (ROOT / ".chalice" / policy_file).exists()
    assert len({per_function[k]["iam_policy_file"] for k in functions}) == len(functions)


def _grants(module: Module, function_key: str) -> list[tuple[set[str], set[str]]]:
    role = module.resources["aws_lambda_function"][function_key]["role"].split(".")[1]
    policy = tfmodule.policy_json(module.resources["aws_iam_role_policy"][role]["policy"])
    return [(set(tfmodule._as_list(s["Action"])), set(tfmodule._as_list(s["Resource"]))) for s in policy["Statement"]]


def _granted(grants: list[tuple[set[str], set[str]]], action: str, resource: str) -> bool:
    return any(action in actions and resource in res for actions, res in grants)


def test_policies_cover_logs_and_event_sources(module: Module) -> None:
    """Each role writes its own log group, reads its event source and reaches its failure queue."""
    for key in module.resources["aws_lambda_function"]:
        grants = _grants(module, key)
        assert _granted(grants, "logs:PutLogEvents", f"${{aws_cloudwatch_log_group.{key}.arn}}:*"), key
        assert _granted(grants, "xray:PutTraceSegments", "*"), key
    for mapping in module.resources["aws_lambda_event_source_mapping"].values():
        key = tfmodule._function_key(mapping["function_name"])
        assert key
        grants = _grants(module, key)
        arn = mapping["event_source_arn"]
        if "aws_sqs_queue." in arn:
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
                assert _granted(grants, action, arn), (key, action)
        else:
            table = arn.split(".")[1]
            for action in (
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:DescribeStream",
                "dynamodb:ListStreams",
            ):
                assert _granted(grants, action, f"${{aws_dynamodb_table.{table}.arn}}/stream/*"), (key, action)
            destination = mapping["destination_config"]["on_failure"]["destination_arn"]
            assert _granted(grants, "sqs:SendMessage", destination), key


# --- versions -------------------------------------------------------------------------------


def test_version_constraints_accept_the_generated_runtime(module: Module) -> None:
    assert tfmodule.check_versions(module, MIN_PROVIDER_FOR_RUNTIME) == []


def test_version_check_catches_chalice_defaults_and_old_providers(module: Module, packaged: Any) -> None:
    m = broken(module)
    # What Chalice writes, left in place next to versions.tf:
    m.terraform.append(
        (
            "chalice.tf.json",
            {"required_version": ">= 0.12.26, < 1.4.0", "required_providers": {"aws": {"version": ">= 3.61.0, < 5"}}},
        )
    )
    problems = "\n".join(tfmodule.check_versions(m, MIN_PROVIDER_FOR_RUNTIME))
    assert "required_providers must be declared exactly once" in problems
    assert "rejects current Terraform" in problems
    m = broken(module)
    m.terraform = [
        (
            "versions.tf",
            {"required_version": ">= 1.9.0", "required_providers": {"aws": {"version": ">= 5.0.0, < 6.0.0"}}},
        )
    ]
    assert any("rejects runtime python3.11" in p for p in tfmodule.check_versions(m, MIN_PROVIDER_FOR_RUNTIME))
    m.terraform = [
        ("versions.tf", {"required_version": ">= 1.9.0", "required_providers": {"aws": {"version": ">= 5.31.0"}}})
    ]
    assert any("allows 6.x" in p for p in tfmodule.check_versions(m, MIN_PROVIDER_FOR_RUNTIME))


def test_constraint_reader() -> None:
    assert tfmodule.allows("~> 5.31", "5.99.0") and not tfmodule.allows("~> 5.31", "6.0.0")
    assert tfmodule.allows("~> 5.31.0", "5.31.9") and not tfmodule.allows("~> 5.31.0", "5.32.0")
    assert not tfmodule.allows(">= 0.12.26, < 1.4.0", "1.5.0")


# --- deployment package ---------------------------------------------------------------------


def test_code_package_is_small_and_layer_leaves_boto_to_the_runtime(packaged: Any) -> None:
    import zipfile

    out, sizes = packaged
    assert sizes["deployment.zip"] < 512 * 1024, "code only: dependencies belong in the managed layer"
    with zipfile.ZipFile(out / "layer-deployment.zip") as layer:
        packages = {n.split("/")[4] for n in layer.namelist() if n.count("/") > 4}
    assert "pynamodb" in packages
    assert not packages & {"boto3", "botocore", "s3transfer"}


def test_slim_layer_drops_only_runtime_packages(tmp_path: Path) -> None:
    import zipfile

    from terraform.package import slim_layer

    src, dest = tmp_path / "in.zip", tmp_path / "out.zip"
    site = "python/lib/python3.11/site-packages/"
    names = [
        "botocore/__init__.py",
        "botocore-1.0.dist-info/METADATA",
        "boto3/x.py",
        "botocore_extra/x.py",
        "pynamodb/x.py",
    ]
    with zipfile.ZipFile(src, "w") as z:
        for name in names:
            z.writestr(site + name, "x")
    slim_layer(src, dest)
    with zipfile.ZipFile(dest) as z:
        kept = {n[len(site) :] for n in z.namelist()}
    assert kept == {"botocore_extra/x.py", "pynamodb/x.py"}


# --- dependency cycles ----------------------------------------------------------------------


def test_no_dependency_cycles(module: Module) -> None:
    assert tfmodule.check_cycles(module) == []


def test_cycle_check_catches_a_cycle(module: Module) -> None:
    # The trap it guards: the API's CORS origin naming the CloudFront domain while CloudFront's
    # /api origin names the API.
    m = broken(module)
    api = m.resources["aws_api_gateway_rest_api"]["rest_api"]
    api["description"] = "${aws_cloudfront_distribution.web.domain_name}"
    problems = tfmodule.check_cycles(m)
    assert any("aws_cloudfront_distribution.web" in p and "aws_api_gateway_rest_api.rest_api" in p for p in problems)
