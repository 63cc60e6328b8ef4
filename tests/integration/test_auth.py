"""Writes need an admin's valid Cognito token, also through the test client (which, like
`chalice local`, lets any token through the route's authorizer)."""

from __future__ import annotations

import pytest
from chalice.test import Client

from tests.integration.conftest import Cognito
from tests.integration.test_products_api import BED, call
from tests.support.tokens import mint, stranger_key

WRITES = [("POST", "/products"), ("PUT", "/products/x"), ("DELETE", "/products/x"), ("POST", "/inventory-order")]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_no_token_is_401(client: Client, method: str, path: str) -> None:
    response = call(client, method, path, None, BED)
    assert response.status_code == 401 and response.data["error"] == "Unauthorized"


def bad_tokens(cognito: Cognito) -> dict[str, str]:
    return {
        "unsigned": mint(issuer=cognito.issuer, client_id=cognito.client_id, groups=["admin"], algorithm="none"),
        "forged": mint(issuer=cognito.issuer, client_id=cognito.client_id, groups=["admin"], key=stranger_key()),
        "expired": mint(issuer=cognito.issuer, client_id=cognito.client_id, groups=["admin"], expires_in=-120),
        "other issuer": mint(
            issuer="https://cognito-idp.us-east-1.amazonaws.com/other", client_id=cognito.client_id, groups=["admin"]
        ),
        "other client": mint(issuer=cognito.issuer, client_id="someone-else", groups=["admin"]),
        "unknown key id": mint(issuer=cognito.issuer, client_id=cognito.client_id, groups=["admin"], kid="nope"),
        "refresh-ish": mint(issuer=cognito.issuer, client_id=cognito.client_id, groups=["admin"], token_use="refresh"),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize(
    "kind",
    ["unsigned", "forged", "expired", "other issuer", "other client", "unknown key id", "refresh-ish", "garbage"],
)
def test_bad_tokens_are_401(client: Client, cognito: Cognito, kind: str) -> None:
    token = bad_tokens(cognito)[kind]
    response = call(client, "POST", "/products", None, BED, Authorization=f"Bearer {token}")
    assert response.status_code == 401, (kind, response.data)
    assert call(client, "GET", "/products/493.857.51").status_code == 404  # nothing was written


def test_expired_token_says_so(client: Client, cognito: Cognito) -> None:
    token = bad_tokens(cognito)["expired"]
    response = call(client, "POST", "/products", None, BED, Authorization=f"Bearer {token}")
    assert "expired" in response.data["message"]


def test_customer_is_403(client: Client, cognito: Cognito) -> None:
    token = cognito.token(groups=[])
    response = call(client, "POST", "/products", None, BED, Authorization=f"Bearer {token}")
    assert response.status_code == 403 and response.data["error"] == "Forbidden"


def test_admin_access_token_is_refused_as_api_gateway_refuses_it(client: Client, cognito: Cognito) -> None:
    """API Gateway's Cognito authorizer without OAuth scopes takes ID tokens only; so does the app."""
    from app import cognito as authorizer

    assert not authorizer.to_swagger().get("x-amazon-apigateway-authorizer", {}).get("scopes")
    token = cognito.token(groups=["admin"], token_use="access")
    response = call(client, "POST", "/products", None, BED, Authorization=token)
    assert response.status_code == 401 and "ID token" in response.data["message"]


def test_real_moto_login_token_works(client: Client, cognito: Cognito) -> None:
    import boto3

    idp = boto3.client("cognito-idp", region_name="us-east-1")
    idp.update_user_pool_client(
        UserPoolId=cognito.pool_id,
        ClientId=cognito.client_id,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    idp.create_group(UserPoolId=cognito.pool_id, GroupName="admin")
    idp.admin_create_user(UserPoolId=cognito.pool_id, Username="owner@example.com")
    idp.admin_set_user_password(
        UserPoolId=cognito.pool_id, Username="owner@example.com", Password="Stockroom-demo-1", Permanent=True
    )
    idp.admin_add_user_to_group(UserPoolId=cognito.pool_id, Username="owner@example.com", GroupName="admin")
    result = idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "owner@example.com", "PASSWORD": "Stockroom-demo-1"},
    )["AuthenticationResult"]
    response = call(client, "POST", "/products", None, BED, Authorization=f"Bearer {result['IdToken']}")
    assert response.status_code == 201, response.data


def test_reads_are_public(client: Client) -> None:
    assert call(client, "GET", "/products").status_code == 200
    assert call(client, "GET", "/health").status_code == 200
