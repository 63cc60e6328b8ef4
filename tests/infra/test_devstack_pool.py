"""The devstack's user pool is the one Terraform declares (`devstack.provision.USER_POOL`).

The pool's rules (password policy, MFA, verification e-mail, recovery, sign-up) shape what the
site and the e-mailed codes do locally; they must not drift from what production gets.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from devstack import provision
from tests.infra.tfmodule import Module, load_module

COGNITO_TF = Path(__file__).resolve().parents[2] / "terraform" / "cognito.tf"


@pytest.fixture(scope="module")
def cognito(tmp_path_factory: pytest.TempPathFactory) -> Module:
    """terraform/cognito.tf alone (no package step needed: the pool is declared there)."""
    directory = tmp_path_factory.mktemp("cognito")
    shutil.copy(COGNITO_TF, directory / COGNITO_TF.name)
    return load_module(directory)


def _one(block: Any) -> dict[str, Any]:
    return dict(block[0] if isinstance(block, list) else block or {})


def pool_from_terraform(module: Module) -> tuple[dict[str, Any], bool, dict[str, Any]]:
    """(CreateUserPool arguments, software token MFA, CreateUserPoolClient arguments) of terraform/."""
    pool = module.resource("aws_cognito_user_pool", "this") or {}
    client = module.resource("aws_cognito_user_pool_client", "web") or {}
    policy = _one(pool.get("password_policy"))
    template = _one(pool.get("verification_message_template"))
    recovery = _one(pool.get("account_recovery_setting")).get("recovery_mechanism", [])
    arguments = {
        "UsernameAttributes": pool.get("username_attributes"),
        "UsernameConfiguration": {"CaseSensitive": _one(pool.get("username_configuration")).get("case_sensitive")},
        "AutoVerifiedAttributes": pool.get("auto_verified_attributes"),
        "MfaConfiguration": pool.get("mfa_configuration"),
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": policy.get("minimum_length"),
                "RequireUppercase": policy.get("require_uppercase"),
                "RequireLowercase": policy.get("require_lowercase"),
                "RequireNumbers": policy.get("require_numbers"),
                "RequireSymbols": policy.get("require_symbols"),
                "TemporaryPasswordValidityDays": policy.get("temporary_password_validity_days"),
            }
        },
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": _one(pool.get("admin_create_user_config")).get("allow_admin_create_user_only")
        },
        "AccountRecoverySetting": {
            "RecoveryMechanisms": [{"Name": m.get("name"), "Priority": m.get("priority")} for m in recovery]
        },
        "VerificationMessageTemplate": {
            "DefaultEmailOption": template.get("default_email_option"),
            "EmailSubject": template.get("email_subject"),
            "EmailMessage": template.get("email_message"),
        },
    }
    software_token = bool(_one(pool.get("software_token_mfa_configuration")).get("enabled"))
    sending = _one(pool.get("email_configuration")).get("email_sending_account") or "COGNITO_DEFAULT"
    arguments["EmailSendingAccount"] = sending  # devstack.provision.EMAIL_SENDING_ACCOUNT
    client_arguments = {
        "GenerateSecret": client.get("generate_secret"),
        "ExplicitAuthFlows": client.get("explicit_auth_flows"),
        "PreventUserExistenceErrors": client.get("prevent_user_existence_errors"),
        "EnableTokenRevocation": client.get("enable_token_revocation"),
    }
    return arguments, software_token, client_arguments


def pool_problems(module: Module) -> list[str]:
    pool, software_token, client = pool_from_terraform(module)
    devstack_pool = {**provision.USER_POOL, "EmailSendingAccount": provision.EMAIL_SENDING_ACCOUNT}
    problems = [
        f"user pool {key}: devstack {devstack_pool.get(key)!r}, terraform {value!r}"
        for key, value in pool.items()
        if devstack_pool.get(key) != value
    ]
    if software_token != provision.SOFTWARE_TOKEN_MFA:
        problems.append(f"software token MFA: devstack {provision.SOFTWARE_TOKEN_MFA}, terraform {software_token}")
    problems += [
        f"web client {key}: devstack {provision.APP_CLIENT.get(key)!r}, terraform {value!r}"
        for key, value in client.items()
        if provision.APP_CLIENT.get(key) != value
    ]
    return problems


def test_the_devstack_pool_is_terraforms(cognito: Module) -> None:
    assert pool_problems(cognito) == []


def test_a_drifted_pool_is_reported(cognito: Module) -> None:
    drifted = copy.deepcopy(cognito)
    pool = drifted.resource("aws_cognito_user_pool", "this")
    assert pool is not None
    _one(pool["password_policy"])  # the block exists
    pool["password_policy"] = [{**_one(pool["password_policy"]), "minimum_length": 8}]
    pool["verification_message_template"] = [{**_one(pool["verification_message_template"]), "email_subject": "x"}]
    pool["email_configuration"] = [{"email_sending_account": "COGNITO_DEFAULT"}]
    problems = pool_problems(drifted)
    assert any("Policies" in p for p in problems) and any("VerificationMessageTemplate" in p for p in problems)
    assert any("EmailSendingAccount" in p for p in problems)
