"""What `make package` and terraform/*.tf add for a first deployment that works and tells the truth:
environment-scoped names, SES sandbox grants, Cognito e-mail through SES behind a WAF, and alarms
on ratios and lag (docs/DEPLOY.md)."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.tfmodule import Module


def _single(value: Any) -> dict[str, Any]:
    return dict(value[0] if isinstance(value, list) else value)


def test_generated_names_start_with_the_name_prefix(generated: dict[str, Any]) -> None:
    resources = generated["resource"]
    for rtype, attribute in (
        ("aws_lambda_function", "function_name"),
        ("aws_iam_role", "name"),
        ("aws_cloudwatch_log_group", "name"),
        ("aws_lambda_layer_version", "layer_name"),
        ("aws_cloudwatch_event_rule", "name"),
        ("aws_api_gateway_rest_api", "name"),
    ):
        for key, body in resources.get(rtype, {}).items():
            name = body[attribute]
            assert "${var.name_prefix}" in name and "stockroom-prod" not in name, (rtype, key, name)


def test_metrics_namespace_is_per_environment(generated: dict[str, Any]) -> None:
    for function in generated["resource"]["aws_lambda_function"].values():
        assert function["environment"]["variables"]["POWERTOOLS_METRICS_NAMESPACE"] == "${var.name_prefix}"


def test_every_role_that_sends_email_is_granted_on_sandbox_recipients(generated: dict[str, Any]) -> None:
    policies = generated["resource"]["aws_iam_role_policy"]
    senders = [
        k for k, p in policies.items() if '"ses:SendEmail"' in str(p.get("policy")) and not k.endswith("_ses_sandbox")
    ]
    assert senders, "some function sends e-mail"
    for key in senders:
        companion = policies[f"{key}_ses_sandbox"]
        assert companion["count"] == "${var.ses_sandbox_recipients ? 1 : 0}"
        assert companion["role"] == policies[key]["role"]
        assert "local.ses_recipient_identity_arns" in companion["policy"]


def test_consumers_are_known_to_the_lag_alarms(generated: dict[str, Any], module: Module) -> None:
    local = generated["locals"]
    mappings = generated["resource"]["aws_lambda_event_source_mapping"].values()
    streams = sum(1 for m in mappings if "stream_arn" in str(m.get("event_source_arn")))
    queues = sum(1 for m in mappings if "aws_sqs_queue." in str(m.get("event_source_arn")))
    assert len(local["chalice_stream_functions"]) == streams > 0
    assert len(local["chalice_queue_consumers"]) == queues > 0
    alarms = module.resources["aws_cloudwatch_metric_alarm"]
    assert alarms["stream_iterator_age"]["for_each"] == "${local.chalice_stream_functions}"
    assert alarms["queue_oldest_message"]["for_each"] == "${local.chalice_queue_consumers}"


def test_error_alarms_are_ratios_with_a_minimum_and_send_no_ok_mail(module: Module) -> None:
    alarms = module.resources["aws_cloudwatch_metric_alarm"]
    for name in ("api_5xx_ratio", "lambda_error_ratio"):
        queries = alarms[name]["metric_query"]
        expression = next(q["expression"] for q in queries if q.get("return_data"))
        assert expression.startswith("IF(") and ">= ${var.min_invocations}" in expression, name
    assert "api_5xx" not in alarms and "lambda_errors" not in alarms, "no alarm on a single error"
    for name, alarm in alarms.items():
        assert "ok_actions" not in alarm, f"{name} would e-mail on every recovery"
    assert alarms["records_failed"]["metric_name"] == "RecordsFailed"


def test_cognito_mails_through_ses_and_a_waf_rate_limits_the_site(module: Module) -> None:
    pool = module.resources["aws_cognito_user_pool"]["this"]
    email = _single(pool["email_configuration"])
    assert email["email_sending_account"] == "DEVELOPER"
    assert email["source_arn"] == "${aws_sesv2_email_identity.sender.arn}"
    assert pool["user_pool_tier"] == "${var.cognito_user_pool_tier}"
    assert _single(pool["user_pool_add_ons"])["advanced_security_mode"] == "${var.cognito_threat_protection}"
    policy = module.data["aws_iam_policy_document"]["cognito_sends"]
    principals = _single(_single(policy["statement"])["principals"])
    assert principals["identifiers"] == ["email.cognito-idp.amazonaws.com"]

    distribution = module.resources["aws_cloudfront_distribution"]["web"]
    assert distribution["web_acl_id"] == "${aws_wafv2_web_acl.site.arn}"
    acl = module.resources["aws_wafv2_web_acl"]["site"]
    assert acl["scope"] == "CLOUDFRONT" and acl["provider"] == "${aws.us_east_1}"
    rule = _single(acl["rule"])
    rate = _single(_single(rule["statement"])["rate_based_statement"])
    assert rate["limit"] == "${var.waf_rate_limit}" and rate["aggregate_key_type"] == "IP"
    assert "block" in json.dumps(rule["action"])


def test_no_cloudfront_policy_lookups_by_name(module: Module) -> None:
    """Managed policies by their published ids: no `data "aws_cloudfront_*_policy"` look-ups."""
    assert not [d for d in module.data if d.startswith("aws_cloudfront_")]
    ids = module.locals["cloudfront_managed_policy"]
    assert ids["caching_disabled"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert ids["caching_optimized"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
