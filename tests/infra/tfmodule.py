"""A Terraform root module read statically (no terraform binary): `.tf` through python-hcl2,
`.tf.json` as JSON, merged into one shape, plus the checks `make test` runs on it.

Each check returns a list of problems (empty: fine), so a test can show it fails on a broken copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

Block = dict[str, Any]


@dataclass
class Module:
    resources: dict[str, dict[str, Block]] = field(default_factory=dict)  # type -> name -> body
    data: dict[str, dict[str, Block]] = field(default_factory=dict)
    variables: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    terraform: list[tuple[str, Block]] = field(default_factory=list)  # (file, terraform block)

    def resource(self, rtype: str, name: str) -> Block | None:
        return self.resources.get(rtype, {}).get(name)

    def all_resources(self) -> Iterator[tuple[str, str, Block]]:
        for rtype, named in self.resources.items():
            for name, body in named.items():
                yield rtype, name, body


# --- loading --------------------------------------------------------------------------------


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps literal strings quoted ("\"abc\"") and drops its own markers here."""
    if isinstance(value, str):
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return value
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {
            _unquote(k): _unquote(v)
            for k, v in value.items()
            if k not in ("__is_block__", "__comments__", "__inline_comments__")
        }
    return value


def _single(block: Any) -> Block:
    """A nested block: hcl2 gives a list of one dict, JSON a dict (or a list)."""
    if isinstance(block, list):
        return block[0] if block else {}
    return block or {}


def load_module(directory: Path) -> Module:
    module = Module()
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            _merge(module, _unquote(hcl2.load(handle)), path.name, hcl=True)
    for path in sorted(directory.glob("*.tf.json")):
        _merge(module, json.loads(path.read_text()), path.name, hcl=False)
    return module


def _items(section: Any) -> Iterator[tuple[str, Any]]:
    for entry in section if isinstance(section, list) else [section]:
        yield from entry.items()


def _merge(module: Module, doc: dict[str, Any], filename: str, *, hcl: bool) -> None:
    for rtype, named in _items(doc.get("resource", [])):
        for name, body in _items(named):
            module.resources.setdefault(rtype, {})[name] = body
    for dtype, named in _items(doc.get("data", [])):
        for name, body in _items(named):
            module.data.setdefault(dtype, {})[name] = body
    for name, body in _items(doc.get("variable", [])):
        module.variables[name] = body
    for name, body in _items(doc.get("output", [])):
        module.outputs[name] = body
    for name, body in _items(doc.get("module", [])):
        module.modules[name] = body
    for entry in doc.get("locals", []) if isinstance(doc.get("locals"), list) else [doc.get("locals", {})]:
        module.locals.update(entry or {})
    for entry in doc.get("terraform", []) if isinstance(doc.get("terraform"), list) else [doc.get("terraform")]:
        if entry:
            module.terraform.append((filename, entry))


# --- references -----------------------------------------------------------------------------

_RESOURCE_REF = re.compile(r"(?<![\w.\-\"])((?:aws|null|random|archive|local|tls)_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")
_DATA_REF = re.compile(r"(?<![\w.])data\.([a-z0-9_]+)\.([A-Za-z_][\w-]*)")
_VAR_REF = re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)")
_LOCAL_REF = re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)")
_MODULE_REF = re.compile(r"(?<![\w.])module\.([A-Za-z_][\w-]*)")


def _interpolations(text: str) -> Iterator[str]:
    """The contents of every ${...} in a string, braces balanced."""
    start = text.find("${")
    while start != -1:
        depth, i = 0, start + 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        yield text[start + 2 : i]
        start = text.find("${", i)


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def references(module: Module) -> Iterator[tuple[str, str]]:
    """(where, reference) for every reference in every expression of the module."""
    sections: list[tuple[str, Any]] = []
    for rtype, name, body in module.all_resources():
        sections.append((f"{rtype}.{name}", body))
    for dtype, named in module.data.items():
        for name, body in named.items():
            sections.append((f"data.{dtype}.{name}", body))
    sections += [(f"output.{k}", v) for k, v in module.outputs.items()]
    sections += [(f"local.{k}", v) for k, v in module.locals.items()]
    sections += [(f"variable.{k}", v.get("validation", [])) for k, v in module.variables.items()]
    for where, body in sections:
        depends_on = body.get("depends_on", []) if isinstance(body, dict) else []
        for dep in depends_on:  # plain strings in JSON, expressions in HCL
            yield where, dep.strip("${}")
        for _, text in _strings(body):
            for expression in _interpolations(text):
                for m in _RESOURCE_REF.finditer(expression):
                    yield where, f"{m.group(1)}.{m.group(2)}"
                for m in _DATA_REF.finditer(expression):
                    yield where, f"data.{m.group(1)}.{m.group(2)}"
                for m in _VAR_REF.finditer(expression):
                    yield where, f"var.{m.group(1)}"
                for m in _LOCAL_REF.finditer(expression):
                    yield where, f"local.{m.group(1)}"
                for m in _MODULE_REF.finditer(expression):
                    yield where, f"module.{m.group(1)}"


def check_references(module: Module) -> list[str]:
    declared = {f"{t}.{n}" for t, n, _ in module.all_resources()}
    declared |= {f"data.{t}.{n}" for t, named in module.data.items() for n in named}
    declared |= {f"var.{n}" for n in module.variables}
    declared |= {f"local.{n}" for n in module.locals}
    declared |= {f"module.{n}" for n in module.modules}
    return sorted({f"{where}: {ref} is not declared" for where, ref in references(module) if ref not in declared})


# --- DynamoDB -------------------------------------------------------------------------------


def table_in_terraform(body: Block) -> dict[str, Any]:
    """A Terraform table in the shape of chalicelib.core.db.table_schema()."""
    key_schema = {"HASH": body.get("hash_key")}
    if body.get("range_key"):
        key_schema["RANGE"] = body["range_key"]
    attributes = body.get("attribute", [])
    gsis = body.get("global_secondary_index", [])
    ttl = _single(body.get("ttl", {}))
    return {
        "attributes": {a["name"]: a["type"] for a in (attributes if isinstance(attributes, list) else [attributes])},
        "key_schema": key_schema,
        "global_secondary_indexes": {
            g["name"]: {k: v for k, v in (("HASH", g.get("hash_key")), ("RANGE", g.get("range_key"))) if v}
            for g in (gsis if isinstance(gsis, list) else [gsis])
        },
        "stream_view_type": body.get("stream_view_type") if body.get("stream_enabled") in (True, "true") else None,
        "ttl_attribute": ttl.get("attribute_name") if ttl.get("enabled") in (True, "true") else None,
    }


def check_tables(module: Module, schemas: list[dict[str, Any]]) -> list[str]:
    problems = []
    tables = module.resources.get("aws_dynamodb_table", {})
    for schema in schemas:
        body = tables.get(schema["key"])
        if body is None:
            problems.append(f"aws_dynamodb_table.{schema['key']} is missing")
            continue
        actual = table_in_terraform(body)
        for aspect in ("attributes", "key_schema", "global_secondary_indexes", "stream_view_type", "ttl_attribute"):
            if actual[aspect] != schema[aspect]:
                problems.append(
                    f"aws_dynamodb_table.{schema['key']}: {aspect} {actual[aspect]!r} != model {schema[aspect]!r}"
                )
        if body.get("billing_mode") != "PAY_PER_REQUEST":
            problems.append(f"aws_dynamodb_table.{schema['key']}: billing_mode is not PAY_PER_REQUEST")
        if body.get("deletion_protection_enabled") not in (True, "true"):
            problems.append(f"aws_dynamodb_table.{schema['key']}: no deletion protection")
        if not _single(body.get("point_in_time_recovery", {})).get("enabled"):
            problems.append(f"aws_dynamodb_table.{schema['key']}: no point-in-time recovery")
        if _single(body.get("server_side_encryption", {})).get("enabled") not in (True, "true"):
            problems.append(f"aws_dynamodb_table.{schema['key']}: no server-side encryption block")
    for key in set(tables) - {s["key"] for s in schemas}:
        problems.append(f"aws_dynamodb_table.{key} has no model in chalicelib.tables.ALL_MODELS")
    return problems


# --- SQS, SNS -------------------------------------------------------------------------------

_ARN_OF_QUEUE = re.compile(r"aws_sqs_queue\.([\w-]+)\.arn")
_MAX_RECEIVE = re.compile(r"maxReceiveCount\s*[=:]\s*\"?(\d+)")


def redrive_target(body: Block) -> tuple[str | None, int | None]:
    policy = str(body.get("redrive_policy", ""))
    target = _ARN_OF_QUEUE.search(policy)
    count = _MAX_RECEIVE.search(policy)
    return (target.group(1) if target else None, int(count.group(1)) if count else None)


def _is_dlq(name: str, body: Block) -> bool:
    return name.endswith("_dlq")


def check_queues(module: Module, queues: list[Any]) -> list[str]:
    """Every queue of resources.QUEUES with its DLQ, timeouts and subscriptions; every other
    queue in Terraform either has a redrive policy or is a dead-letter queue itself."""
    problems = []
    sqs = module.resources.get("aws_sqs_queue", {})
    for q in queues:
        body = sqs.get(q.key)
        if body is None:
            problems.append(f"aws_sqs_queue.{q.key} is missing")
            continue
        target, count = redrive_target(body)
        if target != q.dlq_key:
            problems.append(f"aws_sqs_queue.{q.key}: redrive policy targets {target!r}, not {q.dlq_key!r}")
        if count != q.max_receive_count:
            problems.append(f"aws_sqs_queue.{q.key}: maxReceiveCount {count} != {q.max_receive_count}")
        if int(body.get("visibility_timeout_seconds", 30)) < q.visibility_timeout:
            problems.append(f"aws_sqs_queue.{q.key}: visibility timeout below {q.visibility_timeout}s")
        for topic in q.subscribes_to:
            subs = [
                s
                for s in module.resources.get("aws_sns_topic_subscription", {}).values()
                if s.get("topic_arn") == f"${{aws_sns_topic.{topic}.arn}}"
                and s.get("endpoint") == f"${{aws_sqs_queue.{q.key}.arn}}"
                and s.get("protocol") == "sqs"
            ]
            if not subs:
                problems.append(f"aws_sqs_queue.{q.key} is not subscribed to aws_sns_topic.{topic}")
            elif any(s.get("raw_message_delivery") in (True, "true") for s in subs):
                problems.append(f"aws_sqs_queue.{q.key}: raw message delivery is on (consumers expect the envelope)")
        if q.subscribes_to and not any(
            p.get("queue_url") == f"${{aws_sqs_queue.{q.key}.id}}"
            for p in module.resources.get("aws_sqs_queue_policy", {}).values()
        ):
            problems.append(f"aws_sqs_queue.{q.key}: no queue policy lets its topics send")
    for name, body in sqs.items():
        if not (body.get("kms_master_key_id") or body.get("sqs_managed_sse_enabled") in (True, "true")):
            problems.append(f"aws_sqs_queue.{name}: not encrypted")
        if _is_dlq(name, body):
            if int(body.get("message_retention_seconds", 0)) != 1209600:
                problems.append(f"aws_sqs_queue.{name}: a DLQ keeps messages 14 days (1209600 s)")
        else:
            target, _ = redrive_target(body)
            if target is None:
                problems.append(f"aws_sqs_queue.{name} has no dead-letter queue")
            elif target not in sqs:
                problems.append(f"aws_sqs_queue.{name}: dead-letter queue {target} is not declared")
    return problems


def check_topics(module: Module, topic_keys: list[str]) -> list[str]:
    topics = module.resources.get("aws_sns_topic", {})
    problems = [f"aws_sns_topic.{k} is missing" for k in topic_keys if k not in topics]
    problems += [f"aws_sns_topic.{k}: not encrypted" for k, body in topics.items() if not body.get("kms_master_key_id")]
    return problems


def check_dlq_alarms(module: Module) -> list[str]:
    """Every dead-letter queue is in local.dead_letter_queues, which the alarm iterates."""
    alarmed = str(module.locals.get("dead_letter_queues", ""))
    alarm = module.resource("aws_cloudwatch_metric_alarm", "dlq_messages") or {}
    problems = (
        [] if "dead_letter_queues" in str(alarm.get("for_each", "")) else ["no alarm iterates local.dead_letter_queues"]
    )
    for name, body in module.resources.get("aws_sqs_queue", {}).items():
        if _is_dlq(name, body) and f"aws_sqs_queue.{name}.name" not in alarmed:
            problems.append(f"aws_sqs_queue.{name}: dead-letter queue without an alarm")
    return problems


# --- Lambda ---------------------------------------------------------------------------------


def check_log_groups(module: Module) -> list[str]:
    problems = []
    groups = module.resources.get("aws_cloudwatch_log_group", {})
    by_name = {g.get("name"): key for key, g in groups.items()}
    for key, function in module.resources.get("aws_lambda_function", {}).items():
        wanted = "/aws/lambda/{}".format(function["function_name"])
        group = by_name.get(wanted)
        if group is None:
            problems.append(f"aws_lambda_function.{key}: no log group named {wanted}")
            continue
        if not groups[group].get("retention_in_days"):
            problems.append(f"aws_cloudwatch_log_group.{group}: no retention")
        if f"aws_cloudwatch_log_group.{group}" not in function.get("depends_on", []):
            problems.append(
                f"aws_lambda_function.{key}: does not depend on its log group (Lambda would create it first)"
            )
    return problems


def _function_key(ref: str) -> str | None:
    m = re.search(r"aws_lambda_function\.([\w-]+)\.", ref)
    return m.group(1) if m else None


def check_event_source_mappings(module: Module) -> list[str]:
    problems = []
    sqs = module.resources.get("aws_sqs_queue", {})
    functions = module.resources.get("aws_lambda_function", {})
    for key, mapping in module.resources.get("aws_lambda_event_source_mapping", {}).items():
        arn = str(mapping.get("event_source_arn", ""))
        response_types = mapping.get("function_response_types", [])
        if "ReportBatchItemFailures" not in response_types:
            problems.append(f"{key}: function_response_types lacks ReportBatchItemFailures")
        function = functions.get(_function_key(str(mapping.get("function_name", ""))) or "", {})
        if "aws_sqs_queue." in arn or ":sqs:" in arn:
            queue = _ARN_OF_QUEUE.search(arn)
            if queue and queue.group(1) in sqs and function:
                visibility = int(sqs[queue.group(1)].get("visibility_timeout_seconds", 30))
                if visibility < 6 * int(function.get("timeout", 3)):
                    problems.append(
                        f"{key}: queue visibility {visibility}s < 6 x function timeout {function.get('timeout')}s"
                    )
        elif "starting_position" in mapping:
            if mapping.get("bisect_batch_on_function_error") is not True:
                problems.append(f"{key}: bisect_batch_on_function_error is not on")
            retries = mapping.get("maximum_retry_attempts")
            if not isinstance(retries, int) or not 0 <= retries <= 10000:
                problems.append(f"{key}: maximum_retry_attempts must be a bound (0-10000), got {retries!r}")
            age = mapping.get("maximum_record_age_in_seconds")
            if not isinstance(age, int) or not 60 <= age <= 604800:
                problems.append(f"{key}: maximum_record_age_in_seconds must be a bound (60-604800), got {age!r}")
            destination = _single(_single(mapping.get("destination_config", {})).get("on_failure", {})).get(
                "destination_arn", ""
            )
            target = _ARN_OF_QUEUE.search(str(destination))
            if not target or target.group(1) not in sqs:
                problems.append(f"{key}: no on-failure SQS destination declared in Terraform")
    return problems


def check_schedule_rules(module: Module) -> list[str]:
    """Schedule rules are named per environment (`${var.name_prefix}-<rule>`) and uniquely."""
    rules = module.resources.get("aws_cloudwatch_event_rule", {})
    problems = []
    names = [r.get("name", "") for r in rules.values() if r.get("schedule_expression")]
    for name in names:
        if not name.startswith("${var.name_prefix}-"):
            problems.append(f"schedule rule {name!r} is not named per environment (${{var.name_prefix}}-...)")
    if len(names) != len(set(names)):
        problems.append("schedule rule names are not unique")
    return problems


# --- IAM ------------------------------------------------------------------------------------


def policy_json(text: str) -> Any:
    """A generated policy as JSON: `terraform/package.py` leaves HCL quotes inside `${...}`
    unescaped (`${aws_s3_bucket.private["receipts"].arn}`), so they are escaped back to read it."""
    return json.loads(re.sub(r"\$\{[^}]*\}", lambda m: m.group(0).replace('"', '\\"'), text))


def policy_statements(module: Module) -> Iterator[tuple[str, Block]]:
    """(where, statement) for JSON policies on roles/policies and HCL policy documents."""
    for rtype in ("aws_iam_role_policy", "aws_iam_policy"):
        for name, body in module.resources.get(rtype, {}).items():
            policy = body.get("policy", "")
            if isinstance(policy, str) and policy.lstrip().startswith("{"):
                statements = policy_json(policy).get("Statement", [])
                for s in statements if isinstance(statements, list) else [statements]:
                    yield f"{rtype}.{name}", s
    for name, body in module.data.get("aws_iam_policy_document", {}).items():
        for s in body.get("statement", []):
            yield (
                f"data.aws_iam_policy_document.{name}",
                {
                    "Sid": s.get("sid"),
                    "Effect": s.get("effect", "Allow"),
                    "Action": s.get("actions", []),
                    "Resource": s.get("resources", []),  # none: a trust policy (the role itself)
                    "NotAction": s.get("not_actions"),
                    "NotResource": s.get("not_resources"),
                    "Principal": s.get("principals"),
                },
            )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def check_iam_wildcards(statements: list[tuple[str, Block]], reasons: dict[str, str]) -> list[str]:
    """An Allow on "*" resources or with "*" in an action needs a reason, keyed by its Sid."""
    problems = []
    for where, s in statements:
        if s.get("Effect", "Allow") != "Allow":
            continue
        if s.get("NotAction") or s.get("NotResource"):
            problems.append(f"{where}: {s.get('Sid')!r} uses NotAction/NotResource")
            continue
        wild_actions = [a for a in _as_list(s.get("Action")) if "*" in a]
        wild_resources = [
            r for r in _as_list(s.get("Resource")) if r == "*" or re.fullmatch(r"arn:[^:]*:[^:]*:[^:]*:[^:]*:\*", r)
        ]
        if (wild_actions or wild_resources) and not reasons.get(s.get("Sid") or ""):
            problems.append(
                f"{where}: statement {s.get('Sid')!r} grants {wild_actions or wild_resources}"
                " without a reason in terraform/iam_wildcards.json"
            )
    return problems


# --- versions -------------------------------------------------------------------------------


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.strip().lstrip("v").split(".")) + (0,) * (3 - len(text.strip().split(".")))


def allows(constraint: str, version: str) -> bool:
    """Terraform's version constraint syntax (=, !=, >, >=, <, <=, ~>), comma = and."""
    v = _version(version)
    for clause in filter(None, (c.strip() for c in constraint.split(","))):
        m = re.fullmatch(r"(=|!=|>=|<=|>|<|~>)?\s*([\d.]+)", clause)
        if not m:
            raise ValueError(f"cannot read version constraint {clause!r}")
        op, raw = m.group(1) or "=", m.group(2)
        c = _version(raw)
        if op == "~>":
            parts = raw.split(".")
            upper = tuple(int(p) for p in parts[:-1])
            upper = (*upper[:-1], upper[-1] + 1) if len(parts) > 1 else (10**9,)
            ok = v >= c and v[: len(upper)] < upper
        else:
            ok = {"=": v == c, "!=": v != c, ">": v > c, ">=": v >= c, "<": v < c, "<=": v <= c}[op]
        if not ok:
            return False
    return True


def check_versions(module: Module, min_provider_for_runtime: dict[str, str]) -> list[str]:
    problems = []
    blocks_with_providers = [(f, b) for f, b in module.terraform if b.get("required_providers")]
    if len(blocks_with_providers) != 1:
        problems.append(
            f"required_providers must be declared exactly once, found in {[f for f, _ in blocks_with_providers]}"
        )
    required_versions = [b["required_version"] for _, b in module.terraform if b.get("required_version")]
    for constraint in required_versions:
        if not (allows(constraint, "1.9.0") and allows(constraint, "1.11.4")):
            problems.append(f"required_version {constraint!r} rejects current Terraform (1.9-1.11)")
    if not required_versions:
        problems.append("no required_version")
    aws = None
    for _, block in blocks_with_providers:
        providers = _single(block["required_providers"])
        aws = _single(providers.get("aws", {})).get("version")
    if not aws:
        return [*problems, "no AWS provider version constraint"]
    if allows(aws, "6.0.0"):
        problems.append(f"AWS provider {aws!r} allows 6.x, which removed arguments Chalice's API resources use")
    if not allows(aws, "5.99.0"):
        problems.append(f"AWS provider {aws!r} rejects current 5.x releases")
    runtimes = {f.get("runtime") for f in module.resources.get("aws_lambda_function", {}).values()}
    for layer in module.resources.get("aws_lambda_layer_version", {}).values():
        runtimes |= set(layer.get("compatible_runtimes", []))
    for runtime in sorted(r for r in runtimes if r):
        minimum = min_provider_for_runtime.get(runtime)
        if minimum is None:
            problems.append(f"runtime {runtime}: unknown minimum AWS provider version (add it to the table)")
            continue
        older = _version(minimum)
        below = ".".join(str(p) for p in (older[0], older[1] - 1, 99)) if older[1] else f"{older[0] - 1}.99.0"
        if allows(aws, below):
            problems.append(
                f"AWS provider {aws!r} allows {below}, which rejects runtime {runtime} (needs >= {minimum})"
            )
    return problems


# --- dependency cycles ----------------------------------------------------------------------


def dependency_graph(module: Module) -> dict[str, set[str]]:
    """Resource, data and local nodes with the nodes their expressions reference."""
    nodes = {f"{t}.{n}" for t, n, _ in module.all_resources()}
    nodes |= {f"data.{t}.{n}" for t, named in module.data.items() for n in named}
    nodes |= {f"local.{n}" for n in module.locals}
    graph: dict[str, set[str]] = {node: set() for node in nodes}
    for where, ref in references(module):
        if where in graph and ref in nodes:
            graph[where].add(ref)
    return graph


def check_cycles(module: Module) -> list[str]:
    """Terraform refuses a configuration whose dependency graph has a cycle (`Error: Cycle`)."""
    graph = dependency_graph(module)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    problems: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                problems.append("cycle: " + " -> ".join(cycle))
            elif target not in state:
                visit(target, path)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return problems
