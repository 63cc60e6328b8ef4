"""Integration fixtures: moto in this process, every resource provisioned from its one
definition, a Cognito pool with real (moto-signed) tokens, and the Chalice test client."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.core import auth
from chalicelib.core.config import reset_settings
from devstack.chalice_patch import patch_chalice_local
from devstack.env import ACCOUNT_ID, REGION
from tests.support.tokens import StaticJWKS, mint


@dataclass
class Cognito:
    pool_id: str
    client_id: str
    issuer: str

    def token(self, *, groups: list[str] | None = None, **kwargs: Any) -> str:
        return mint(issuer=self.issuer, client_id=self.client_id, groups=groups, **kwargs)

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(groups=['admin'])}", "Content-Type": "application/json"}


def _reset_adapters() -> None:
    from chalicelib.backoffice import api_keys
    from chalicelib.core import db, notifications, storage
    from chalicelib.core import events as domain_events
    from chalicelib.inventory import alerts, digests
    from chalicelib.orders import payments

    db._connection = None
    notifications._clients.clear()
    storage.set_s3(None)
    payments.set_gateway(None)
    alerts._idempotent.cache_clear()
    alerts._idempotency_config.cache_clear()
    domain_events.set_events(None)
    domain_events.once.cache_clear()
    domain_events._dedupe_config.cache_clear()
    digests._sqs = None
    auth.set_jwks_client(None)
    api_keys.set_gateway(None)  # its usage plan's id belongs to one emulated account
    reset_settings()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        _reset_adapters()
        from devstack.provision import provision_resources

        provision_resources(None)  # no endpoint: moto's in-process mock answers
        yield
    _reset_adapters()


@pytest.fixture(scope="module")
def only_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """moto for a whole module with only the tables its tests use (`TABLES` in the module):
    much cheaper than provisioning everything per test. Use with `empty_tables`."""
    from chalicelib.core.db import create_table

    with mock_aws():
        _reset_adapters()
        for model in request.module.TABLES:
            create_table(model)
        yield
    _reset_adapters()


@pytest.fixture
def empty_tables(only_tables: None, request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with the module's tables empty."""
    yield
    for model in request.module.TABLES:
        with model.batch_write() as batch:
            for item in model.scan(consistent_read=True):
                batch.delete(item)


@pytest.fixture
def serialized(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto answers one request at a time, as the devstack's emulator does: each request is atomic,
    as DynamoDB guarantees, while threads still interleave between requests. Concurrency tests
    need it; moto's in-process backends are not thread-safe on their own."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_request)


def _user_pool(monkeypatch: pytest.MonkeyPatch) -> Cognito:
    idp = boto3.client("cognito-idp", region_name=REGION)
    pool_id = idp.create_user_pool(PoolName="stockroom-test")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web")["UserPoolClient"]["ClientId"]
    monkeypatch.setenv("COGNITO_USER_POOL_ID", pool_id)
    monkeypatch.setenv("COGNITO_CLIENT_ID", client_id)
    reset_settings()
    auth.set_jwks_client(StaticJWKS())
    return Cognito(pool_id, client_id, f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}")


@pytest.fixture
def cognito(aws: None, monkeypatch: pytest.MonkeyPatch) -> Cognito:
    return _user_pool(monkeypatch)


@pytest.fixture
def client(cognito: Cognito) -> Iterator[Client]:
    from app import app

    patch_chalice_local()
    with Client(app, stage_name="local") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def shared_stack() -> Iterator[tuple[Client, Cognito]]:
    """One emulated account, user pool and test client for a whole module: for tests that only
    read, or write ids of their own (provisioning takes seconds; most tests need none of it)."""
    from app import app

    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        _reset_adapters()
        from devstack.provision import provision_resources

        provision_resources(None)
        cognito = _user_pool(monkeypatch)
        patch_chalice_local()
        with Client(app, stage_name="local") as test_client:
            yield test_client, cognito
    _reset_adapters()


def sent_emails() -> list[Any]:
    from moto.ses.models import ses_backends

    return list(ses_backends[ACCOUNT_ID][REGION].sent_messages)


def env(name: str) -> str:
    return os.environ[name]


# --- least privilege: every AWS call recorded per function (tests/support/aws_calls.py) ----------

LAST = "test_least_privilege.py"


@pytest.fixture(scope="session", autouse=True)
def record_aws_calls() -> Iterator[Any]:
    from tests.support.aws_calls import Recorder

    with Recorder().recording() as recorder:
        yield recorder


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The least-privilege comparison runs after every other test has recorded its calls."""
    items.sort(key=lambda item: item.path.name == LAST)
