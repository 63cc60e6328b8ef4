"""Provision the emulator from the app's own definitions; safe to run again.

Tables come from `chalicelib.tables.ALL_MODELS`; queues, topics, event buses with their rules and
state machines from `chalicelib.core.resources` (ASL documents under `statemachines/`, see
`devstack.stepfunctions`); physical names from the `local` stage of `.chalice/config.json`. The process environment must
already point at the emulator (`env.apply_environment`) because the models read it on import.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from devstack.env import ACCOUNT_ID, REGION, scaled_visibility, sqs_visibility_scale, stage_environment
from devstack.runtime import aws_client

if TYPE_CHECKING:
    from chalicelib.core.resources import EventBus

log = logging.getLogger("devstack.provision")

USER_POOL_NAME = "stockroom-local"
APP_CLIENT_NAME = "stockroom-web"
ADMIN_GROUP = "admin"
DEMO_PASSWORD = "Stockroom-demo-1"

# The user pool and its web client as `terraform/cognito.tf` declares them (`aws_cognito_user_pool.
# this`, `aws_cognito_user_pool_client.web`), in CreateUserPool's terms; tests/infra keeps the two
# in step. What moto cannot hold (domain, advanced security, OAuth) is left out.
USER_POOL: dict[str, Any] = {
    "UsernameAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": False},
    "AutoVerifiedAttributes": ["email"],
    "MfaConfiguration": "OPTIONAL",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": True,
            "TemporaryPasswordValidityDays": 3,
        }
    },
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},  # customers sign themselves up
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    "VerificationMessageTemplate": {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailSubject": "Your Stockroom verification code",
        "EmailMessage": "Your Stockroom verification code is {####}.",
    },
}
SOFTWARE_TOKEN_MFA = True  # software_token_mfa_configuration { enabled = true }
# Who sends the pool's e-mails (codes, invitations): Cognito itself ("COGNITO_DEFAULT", from
# no-reply@verificationemail.com) or our SES identity ("DEVELOPER", from SENDER_EMAIL), as
# email_configuration.email_sending_account says in Terraform (absent: COGNITO_DEFAULT).
EMAIL_SENDING_ACCOUNT = "DEVELOPER"
APP_CLIENT: dict[str, Any] = {
    "GenerateSecret": False,
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
}


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    groups: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("admin@example.com", DEMO_PASSWORD, (ADMIN_GROUP,)),
    DemoUser("customer@example.com", DEMO_PASSWORD),
)


@dataclass
class Provisioned:
    user_pool_id: str
    client_id: str
    jwks_url: str
    tables: dict[str, str] = field(default_factory=dict)  # Terraform key -> physical name
    queues: dict[str, str] = field(default_factory=dict)  # Terraform key -> physical name
    users: list[DemoUser] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _last_segment(value: str) -> str:
    """Physical name from a queue URL (`.../<name>`) or topic ARN (`...:<name>`)."""
    return value.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def local_names() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(tables, queues, topics): Terraform key -> physical name in the local stage."""
    from chalicelib import tables
    from chalicelib.core import resources

    stage = stage_environment()
    refs = [m.Meta.ref for m in tables.ALL_MODELS]  # type: ignore[attr-defined]
    tables = {ref.key: stage[ref.env] for ref in refs}
    queues = {q.key: _last_segment(stage[q.env]) for q in resources.QUEUES}
    topics = {t.key: _last_segment(stage[t.env]) for t in resources.TOPICS}
    return tables, queues, topics


def provision(endpoint: str) -> Provisioned:
    """Everything: the app's resources, then the user pool with its demo users."""
    tables, queues, topics = provision_resources(endpoint)
    pool_id, client_id = _cognito(endpoint)
    log.info(
        "provisioned %d tables, %d queues, %d topics, user pool %s", len(tables), len(queues), len(topics), pool_id
    )
    return Provisioned(
        user_pool_id=pool_id,
        client_id=client_id,
        jwks_url=f"{endpoint}/{pool_id}/.well-known/jwks.json",
        tables=tables,
        queues=queues,
        users=list(DEMO_USERS),
    )


def provision_resources(endpoint: str | None) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Tables, queues with their DLQs, topics and subscriptions, the SES sender; no user pool.

    `endpoint` None: clients use AWS's own endpoints, which moto's in-process mock answers (tests).
    """
    from chalicelib import tables as registry
    from chalicelib.core import resources

    tables, queues, topics = local_names()
    for model in registry.ALL_MODELS:
        registry.create_table(model)

    sns, sqs = aws_client("sns", endpoint), aws_client("sqs", endpoint)
    queue_refs: dict[str, tuple[str, str, str]] = {}  # queue key -> (URL, ARN, DLQ ARN)
    scale = sqs_visibility_scale()  # 1 unless the engineer asked for faster redelivery
    topic_arns = {key: sns.create_topic(Name=name)["TopicArn"] for key, name in topics.items()}  # idempotent
    for queue in resources.QUEUES:
        name = queues[queue.key]
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = _queue_arn(sqs, dlq_url)
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count})
        visibility = scaled_visibility(queue.visibility_timeout, scale)
        attributes = {"VisibilityTimeout": str(visibility), "RedrivePolicy": redrive}
        try:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except sqs.exceptions.QueueNameExists:  # exists with other attributes: bring it in line
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arn = _queue_arn(sqs, url)
        queue_refs[queue.key] = (url, arn, dlq_arn)
        sources = [topic_arns[key] for key in queue.subscribes_to]
        for topic_arn in sources:
            existing = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
            if not any(s["Protocol"] == "sqs" and s["Endpoint"] == arn for s in existing):
                # Raw message delivery stays off: consumers unwrap the SNS envelope, as in prod.
                sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)

    stage = stage_environment()
    rule_arns = provision_event_buses(endpoint, resources.EVENT_BUSES, queue_refs, stage)
    for queue in resources.QUEUES:
        url, arn, _ = queue_refs[queue.key]
        topic_sources = [topic_arns[key] for key in queue.subscribes_to]
        if topic_sources or rule_arns.get(queue.key):
            policy = _queue_policy(arn, topic_sources, rule_arns.get(queue.key, []))
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})

    from devstack.stepfunctions import provision_state_machines

    provision_state_machines(endpoint, resources.STATE_MACHINES, stage)
    aws_client("ses", endpoint).verify_email_identity(EmailAddress=stage["SENDER_EMAIL"])
    _buckets(endpoint, [stage[bucket.env] for bucket in resources.BUCKETS])
    _usage_plans(endpoint, [stage[plan.env] for plan in resources.USAGE_PLANS])
    return tables, queues, topics


def provision_event_buses(
    endpoint: str | None,
    buses: Iterable[EventBus],
    queue_refs: Mapping[str, tuple[str, str, str]],
    stage_env: Mapping[str, str],
) -> dict[str, list[str]]:
    """Each bus, its rules and their SQS targets: queue key -> ARNs of the rules that feed it.

    A target names its queue's DLQ and a retry policy as Terraform does; moto's delivery ignores
    both (see README, "EventBridge in the devstack").
    """
    buses = list(buses)
    events = aws_client("events", endpoint) if buses else None
    feeding: dict[str, list[str]] = {}
    for bus in buses:
        assert events is not None
        bus_name = stage_env[bus.env]
        try:
            events.create_event_bus(Name=bus_name)
        except events.exceptions.ResourceAlreadyExistsException:
            pass
        for rule in bus.rules:
            rule_arn = events.put_rule(  # idempotent: updates the pattern of an existing rule
                Name=f"{bus_name}-{rule.key}",
                EventBusName=bus_name,
                EventPattern=json.dumps(rule.event_pattern),
                Description=rule.description,
                State="ENABLED",
            )["RuleArn"]
            targets = []
            for queue_key in rule.target_queues:
                _, queue_arn, dlq_arn = queue_refs[queue_key]
                targets.append(
                    {
                        "Id": queue_key,
                        "Arn": queue_arn,
                        "DeadLetterConfig": {"Arn": dlq_arn},
                        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
                    }
                )
                feeding.setdefault(queue_key, []).append(rule_arn)
            if targets:
                events.put_targets(Rule=f"{bus_name}-{rule.key}", EventBusName=bus_name, Targets=targets)
    return feeding


def _buckets(endpoint: str | None, names: list[str]) -> None:
    """The private buckets (receipts, ...), closed to the public as in prod."""
    s3 = aws_client("s3", endpoint)
    for name in names:
        try:
            s3.create_bucket(Bucket=name)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )


def _usage_plans(endpoint: str | None, names: list[str]) -> None:
    """API Gateway usage plans the app registers API keys with (no API is deployed locally, so
    nothing enforces them here: the app's own key check does)."""
    apigateway = aws_client("apigateway", endpoint)
    existing = {p["name"] for p in apigateway.get_usage_plans().get("items", [])}
    for name in names:
        if name not in existing:
            apigateway.create_usage_plan(
                name=name,
                throttle={"rateLimit": 10.0, "burstLimit": 20},
                quota={"limit": 50000, "period": "DAY"},
            )


def _queue_arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _queue_policy(queue_arn: str, topic_arns: list[str], rule_arns: list[str]) -> dict[str, Any]:
    """Who may send to the queue: its topics (SNS) and the rules targeting it (EventBridge)."""
    statements = []
    for sid, service, sources in (("topics", "sns", topic_arns), ("rules", "events", rule_arns)):
        if sources:
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"Service": f"{service}.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": sources}},
                }
            )
    return {"Version": "2012-10-17", "Statement": statements}


def _cognito(endpoint: str) -> tuple[str, str]:
    idp = aws_client("cognito-idp", endpoint)
    pools = idp.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next((p["Id"] for p in pools if p["Name"] == USER_POOL_NAME), None)
    if pool_id is None:
        email: dict[str, Any] = {}
        if EMAIL_SENDING_ACCOUNT == "DEVELOPER":  # through the SES identity provisioning verified
            sender = stage_environment()["SENDER_EMAIL"]
            email = {
                "EmailConfiguration": {
                    "EmailSendingAccount": "DEVELOPER",
                    "SourceArn": f"arn:aws:ses:{REGION}:{ACCOUNT_ID}:identity/{sender}",
                    "From": sender,
                }
            }
        pool_id = idp.create_user_pool(PoolName=USER_POOL_NAME, **USER_POOL, **email)["UserPool"]["Id"]
        idp.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": SOFTWARE_TOKEN_MFA},
            MfaConfiguration=USER_POOL["MfaConfiguration"],
        )
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == APP_CLIENT_NAME), None)
    if client_id is None:
        client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName=APP_CLIENT_NAME, **APP_CLIENT)[
            "UserPoolClient"
        ]["ClientId"]
    groups = {g["GroupName"] for g in idp.list_groups(UserPoolId=pool_id)["Groups"]}
    if ADMIN_GROUP not in groups:
        idp.create_group(UserPoolId=pool_id, GroupName=ADMIN_GROUP, Description="Shop staff")
    for user in DEMO_USERS:
        try:
            idp.admin_create_user(
                UserPoolId=pool_id,
                Username=user.email,
                UserAttributes=[{"Name": "email", "Value": user.email}, {"Name": "email_verified", "Value": "true"}],
                MessageAction="SUPPRESS",
            )
        except idp.exceptions.UsernameExistsException:
            pass
        idp.admin_set_user_password(UserPoolId=pool_id, Username=user.email, Password=user.password, Permanent=True)
        for group in user.groups:
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=user.email, GroupName=group)
    return str(pool_id), str(client_id)


def app_environment(endpoint: str, provisioned: Provisioned) -> dict[str, str]:
    """What the app needs beyond config.json: the Cognito pool, known only once provisioned."""
    return {
        "COGNITO_USER_POOL_ID": provisioned.user_pool_id,
        "COGNITO_CLIENT_ID": provisioned.client_id,
        "COGNITO_JWKS_URL": provisioned.jwks_url,
    }


def sign_in(endpoint: str, client_id: str, email: str, password: str) -> dict[str, Any]:
    """InitiateAuth (USER_PASSWORD_AUTH) through the emulator: the AuthenticationResult."""
    result = aws_client("cognito-idp", endpoint).initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
    )
    return dict(result["AuthenticationResult"])
