"""Least privilege from evidence: which AWS calls each Lambda function makes, and what its policy grants.

During the integration tests every botocore call is recorded (an event hook on every client,
PynamoDB's included) against the function that made it: `api_handler` for every request through
the Chalice test client's HTTP side, the handler's name for `client.lambda_.invoke(name, ...)`.
A call becomes the IAM action(s) it needs on a Terraform resource reference, e.g.
`dynamodb:PutItem` on `aws_dynamodb_table.products` (a transaction needs its per-item actions).

tests/integration/test_least_privilege.py then compares, per function, with
`.chalice/policy-prod-<function>.json`: a grant nothing uses fails, a call nothing grants fails.
Grants that AWS itself exercises with the function's role (logs, X-Ray, the platform key, the
event source mapping reading a stream or queue, a stream's on-failure destination) are derived
from the app (`platform_grants`), not recorded. Adding a function or a call needs no change here:
run the integration tests and read what they say is missing or unused.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
Grant = tuple[str, str]  # (action, resource reference)

current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_function", default=None)

# Operations whose IAM action is not `<prefix>:<Operation>`.
_ACTION_OF = {
    ("s3", "HeadObject"): ["s3:GetObject"],
    ("s3", "ListObjectsV2"): ["s3:ListBucket"],
    ("s3", "HeadBucket"): ["s3:ListBucket"],
}
# API Gateway management calls the app makes (API keys of machine clients, issue 11) -> the IAM
# action and resource path; the usage plan is the app's only one (`machine_clients`).
_APIGATEWAY_ARN = "arn:${local.partition}:apigateway:${local.region}::"
_APIGATEWAY = {
    "GetUsagePlans": ("apigateway:GET", "/usageplans"),
    "CreateApiKey": ("apigateway:POST", "/apikeys"),
    "CreateUsagePlanKey": ("apigateway:POST", "/usageplans/${aws_api_gateway_usage_plan.machine_clients.id}/keys"),
    "DeleteApiKey": ("apigateway:DELETE", "/apikeys/*"),
}
# DynamoDB transactions are authorized per item, with the item's own action.
_TRANSACT_ACTION = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_REF = re.compile(r"\$\{((?:aws|data)_[a-z0-9_]+\.[\w-]+(?:\[[^\]]*\])?)\.[a-z_]+\}(/index/\*|/stream/\*)?")


# --- physical names -> Terraform references ---------------------------------------------------


def name_map(config: dict[str, Any] | None = None) -> dict[str, str]:
    """Physical resource name (as the local stage names it) -> Terraform reference, by pairing
    each environment variable's `local` value with its `prod` interpolation."""
    config = config or json.loads((ROOT / ".chalice" / "config.json").read_text())
    local = config["stages"]["local"].get("environment_variables", {})
    prod = dict(config["stages"]["prod"].get("environment_variables", {}))
    # Per-function settings too (a state machine's ARN, which its own tasks must not depend on).
    for function in config["stages"]["prod"].get("lambda_functions", {}).values():
        prod.update(function.get("environment_variables", {}))
    mapping = {}
    for name, expression in prod.items():
        match = _REF.fullmatch(str(expression))
        if match:
            # A prod-only setting (no local value) still names a resource production uses.
            mapping[str(local.get(name, f"prod-only:{name}"))] = match.group(1)
    return mapping


def policy_ref(resource: str) -> str:
    """`${aws_dynamodb_table.orders.arn}/index/*` -> `aws_dynamodb_table.orders/index`."""
    if resource == "*":
        return "*"
    match = _REF.fullmatch(resource) or _REF.match(resource)
    if not match:
        return resource
    suffix = {"/index/*": "/index", "/stream/*": "/stream"}.get(match.group(2) or "", "")
    return match.group(1) + suffix


# --- calls -> grants ----------------------------------------------------------------------------


def grants_of_call(service: str, operation: str, params: dict[str, Any], names: dict[str, str]) -> set[Grant]:
    """The (action, resource) pairs IAM checks for one API call."""

    def ref(physical: Any, suffix: str = "") -> str:
        key = str(physical)
        for candidate in (key, key.rsplit("/", 1)[-1], key.rsplit(":", 1)[-1]):
            for name, reference in names.items():
                if candidate in (name, name.rsplit("/", 1)[-1], name.rsplit(":", 1)[-1]):
                    return reference + suffix
        return f"unknown:{key}{suffix}"

    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            found = set()
            for item in params.get("TransactItems", []):
                for kind, body in item.items():
                    action = "GetItem" if kind == "Get" else _TRANSACT_ACTION[kind]
                    found.add((f"dynamodb:{action}", ref(body["TableName"])))
            return found
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return {(f"dynamodb:{operation}", ref(table)) for table in params.get("RequestItems", {})}
        suffix = "/index" if params.get("IndexName") else ""
        return {(f"dynamodb:{operation}", ref(params.get("TableName", "?"), suffix))}
    if service == "sqs":
        return {(f"sqs:{operation}", ref(params.get("QueueUrl", "?")))}
    if service == "sns":
        return {(f"sns:{operation}", ref(params.get("TopicArn", params.get("TargetArn", "?"))))}
    if service == "events" and operation == "PutEvents":
        # IAM checks events:PutEvents on each entry's bus.
        return {("events:PutEvents", ref(entry.get("EventBusName", "default"))) for entry in params.get("Entries", [])}
    if service == "s3" and params.get("Bucket"):
        # Object and bucket actions alike name the bucket's reference (`${...arn}/*` in a policy).
        return {(action, ref(params["Bucket"])) for action in _ACTION_OF.get((service, operation), [f"s3:{operation}"])}
    if service == "states":
        return {(f"states:{operation}", ref(params.get("stateMachineArn", "?")))}
    if service in ("ses", "sesv2", "email"):
        found = {(f"ses:{operation}", "aws_sesv2_email_identity.sender")}
        # IAM checks the configuration set a message is sent with too. The local stage sends
        # without one; the prod stage names one (SES_CONFIGURATION_SET), so production needs it.
        if params.get("ConfigurationSetName") or "aws_sesv2_configuration_set.this" in names.values():
            found.add((f"ses:{operation}", "aws_sesv2_configuration_set.this"))
        return found
    if service == "apigateway" and operation in _APIGATEWAY:
        # API Gateway's management API is authorized by HTTP method on the resource's path.
        action, path = _APIGATEWAY[operation]
        return {(action, _APIGATEWAY_ARN + path)}
    actions = _ACTION_OF.get((service, operation), [f"{service}:{operation}"])
    return {(action, "*") for action in actions}


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """Attribute the calls inside to another function: for a test that forces an interleaving by
    running, say, an API order inside the reconcile handler, the order's calls are the API's."""
    token = current_function.set(function)
    try:
        yield
    finally:
        current_function.reset(token)


class Recorder:
    """Records the grants each function's calls need while `recording()` is active."""

    def __init__(self, names: dict[str, str] | None = None) -> None:
        self.names = names if names is not None else name_map()
        self.calls: dict[str, set[Grant]] = defaultdict(set)

    def _hook(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        function = current_function.get()
        if function is None:  # fixtures, provisioning and direct service calls are nobody's
            return
        service = model.service_model.signing_name or model.service_model.service_name
        self.calls[function] |= grants_of_call(service, model.name, params, self.names)

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        import botocore.session
        from chalice import test as chalice_test

        original_create = botocore.session.Session.create_client
        original_request = chalice_test.TestHTTPClient.request
        original_invoke = chalice_test.TestLambdaClient.invoke
        hook = self._hook

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original_create(session, *args, **kwargs)
            client.meta.events.register("before-parameter-build", hook)
            return client

        def request(client: Any, *args: Any, **kwargs: Any) -> Any:
            token = current_function.set("api_handler")  # every route is the API handler's
            try:
                return original_request(client, *args, **kwargs)
            finally:
                current_function.reset(token)

        def invoke(client: Any, function_name: str, *args: Any, **kwargs: Any) -> Any:
            token = current_function.set(function_name)
            try:
                return original_invoke(client, function_name, *args, **kwargs)
            finally:
                current_function.reset(token)

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
        chalice_test.TestHTTPClient.request = request  # type: ignore[method-assign]
        chalice_test.TestLambdaClient.invoke = invoke  # type: ignore[method-assign]
        try:
            yield self
        finally:
            botocore.session.Session.create_client = original_create  # type: ignore[method-assign]
            chalice_test.TestHTTPClient.request = original_request  # type: ignore[method-assign]
            chalice_test.TestLambdaClient.invoke = original_invoke  # type: ignore[method-assign]


# --- policies and what AWS uses on the function's behalf ----------------------------------------


def policy_grants(policy: dict[str, Any]) -> dict[Grant, str]:
    """(action, resource reference) -> Sid, for every Allow statement of a policy file."""
    grants: dict[Grant, str] = {}
    for statement in policy.get("Statement", []):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                grants[(action, policy_ref(resource))] = statement.get("Sid", "?")
    return grants


# Actions AWS performs with every function's role: Lambda writing its logs, X-Ray traces, and the
# platform key (the functions' environment, and SSE of the tables, queues and topics they use).
ALWAYS_PLATFORM = {
    ("logs:CreateLogStream", "aws_cloudwatch_log_group.{function}"),
    ("logs:PutLogEvents", "aws_cloudwatch_log_group.{function}"),
    ("xray:PutTraceSegments", "*"),
    ("xray:PutTelemetryRecords", "*"),
    ("kms:Decrypt", "aws_kms_key.this"),
    ("kms:GenerateDataKey", "aws_kms_key.this"),
}
STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
QUEUE_CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes")
STREAM_FAILURE_DESTINATION = "aws_sqs_queue.stream_failures_dlq"


def platform_grants(app: Any, function: str) -> set[Grant]:
    """What AWS needs from this function's role: ALWAYS_PLATFORM, plus its event source
    mapping's reads (a table's stream, a queue) and a stream mapping's on-failure destination."""
    from chalice.app import DynamoDBEventConfig, SQSEventConfig

    grants = {(action, resource.format(function=function)) for action, resource in ALWAYS_PLATFORM}
    for source in app.event_sources:
        if source.name != function:
            continue
        if isinstance(source, DynamoDBEventConfig):
            table = _REF.match(source.stream_arn)
            if table:
                grants |= {(action, f"{table.group(1)}/stream") for action in STREAM_READ}
            grants.add(("sqs:SendMessage", STREAM_FAILURE_DESTINATION))
        elif isinstance(source, SQSEventConfig):
            queue = _REF.match(str(source.queue_arn or ""))
            if queue:
                grants |= {(action, queue.group(1)) for action in QUEUE_CONSUME}
    return grants


def compare(function: str, recorded: set[Grant], policy: dict[str, Any], platform: set[Grant]) -> list[str]:
    """Problems: a call nothing grants, a grant nothing uses. Empty list: least privilege holds."""
    granted = policy_grants(policy)
    needed = recorded | platform
    problems = [
        f"{function}: {action} on {resource} is called but not granted in .chalice/policy-prod-{function}.json"
        for action, resource in sorted(recorded - set(granted))
    ]
    problems += [
        f"{function}: {action} on {resource} (Sid {granted[(action, resource)]}) is granted but nothing uses it"
        for action, resource in sorted(set(granted) - needed)
    ]
    problems += [
        f"{function}: AWS needs {action} on {resource} for this function, but it is not granted"
        for action, resource in sorted(platform - set(granted))
    ]
    return problems
