"""Cognito in the devstack e-mails real codes and refuses wrong ones, as AWS does (issue 9 §3).

Against the embedded emulator with the devstack's own pool (`devstack.provision`), through boto3
as the site's browser calls them; the e-mails are read from the local inbox.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from devstack import cognito
from devstack.cognito import FORGOT_PASSWORD, SIGN_UP
from devstack.emulator import Emulator
from devstack.env import stage_environment
from devstack.inbox import Entry, Inbox
from devstack.provision import _cognito
from devstack.runtime import aws_client

PASSWORD = "Correct-horse-9!"
SENDER = stage_environment()["SENDER_EMAIL"]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with Emulator(port=0) as emulator:
        yield emulator.url


@pytest.fixture(scope="module")
def pool(endpoint: str) -> tuple[str, str]:
    # The pool sends from the shop's SES identity (EmailSendingAccount DEVELOPER, as Terraform
    # configures it), which must be verified first, as provisioning does.
    aws_client("ses", endpoint).verify_email_identity(EmailAddress=SENDER)
    return _cognito(endpoint)


@pytest.fixture(scope="module")
def idp(endpoint: str) -> Any:
    return aws_client("cognito-idp", endpoint)


def new_email() -> str:
    return f"shopper-{uuid.uuid4().hex[:10]}@example.com"


def mails_to(address: str) -> list[Entry]:
    return [e for e in reversed(Inbox(None).entries()) if address in e.to]  # oldest first


def code_in(entry: Entry) -> str:
    match = re.search(r"\b(\d{6})\b", entry.text)
    assert match, entry.text
    return match[1]


def sign_in(idp: Any, client_id: str, email: str, password: str) -> dict[str, Any]:
    return dict(
        idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    )


def test_sign_up_emails_a_code_and_only_that_code_confirms(idp: Any, pool: tuple[str, str]) -> None:
    pool_id, client_id = pool
    email = new_email()
    answer = idp.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    assert answer["UserConfirmed"] is False
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "s***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }

    [mail] = mails_to(email)
    assert mail.sender == SENDER and mail.subject == "Your Stockroom verification code"
    code = code_in(mail)
    assert mail.text == f"Your Stockroom verification code is {code}."

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for bad in (wrong, "", "abcdef"):
        with pytest.raises(idp.exceptions.CodeMismatchException):
            idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=bad or "0")
    with pytest.raises(idp.exceptions.UserNotConfirmedException):
        sign_in(idp, client_id, email, PASSWORD)

    idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    assert "IdToken" in sign_in(idp, client_id, email, PASSWORD)["AuthenticationResult"]
    attributes = {
        a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool_id, Username=email)["UserAttributes"]
    }
    assert attributes["email_verified"] == "true"
    with pytest.raises(idp.exceptions.CodeMismatchException):  # used up
        idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)


def test_resend_replaces_the_code(idp: Any, pool: tuple[str, str]) -> None:
    _, client_id = pool
    email = new_email()
    idp.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    first = code_in(mails_to(email)[0])
    answer = idp.resend_confirmation_code(ClientId=client_id, Username=email)
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    _, second_mail = mails_to(email)
    second = code_in(second_mail)
    if second != first:  # one chance in a million that they are equal
        with pytest.raises(idp.exceptions.CodeMismatchException):
            idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=first)
    idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=second)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.resend_confirmation_code(ClientId=client_id, Username=email)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.resend_confirmation_code(ClientId=client_id, Username=new_email())


def test_forgot_password_emails_a_reset_code(idp: Any, pool: tuple[str, str], endpoint: str) -> None:
    _, client_id = pool
    email = new_email()
    idp.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code_in(mails_to(email)[0]))

    answer = idp.forgot_password(ClientId=client_id, Username=email)
    assert answer["CodeDeliveryDetails"]["Destination"] == "s***@e***"
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert not any(name.startswith("x-moto") for name in headers)  # moto's code no longer leaks
    reset_mail = mails_to(email)[-1]
    assert reset_mail.sender == SENDER
    code = code_in(reset_mail)

    new_password = "Battery-staple-7!"
    with pytest.raises(idp.exceptions.CodeMismatchException):
        idp.confirm_forgot_password(
            ClientId=client_id, Username=email, ConfirmationCode=f"{(int(code) + 7) % 10**6:06d}", Password=new_password
        )
    assert "AuthenticationResult" in sign_in(idp, client_id, email, PASSWORD)  # unchanged
    with pytest.raises(idp.exceptions.InvalidPasswordException):  # the pool's policy holds
        idp.confirm_forgot_password(ClientId=client_id, Username=email, ConfirmationCode=code, Password="short")
    idp.confirm_forgot_password(ClientId=client_id, Username=email, ConfirmationCode=code, Password=new_password)
    assert "AuthenticationResult" in sign_in(idp, client_id, email, new_password)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(idp, client_id, email, PASSWORD)

    # An unknown address gets the same kind of answer and no e-mail (no user enumeration).
    stranger = new_email()
    assert idp.forgot_password(ClientId=client_id, Username=stranger)["CodeDeliveryDetails"]
    assert mails_to(stranger) == []


def test_codes_expire() -> None:
    now = time.time()
    code = cognito.issue("pool", "sub", FORGOT_PASSWORD, now=now)
    from moto.cognitoidp.exceptions import ExpiredCodeException

    with pytest.raises(ExpiredCodeException):
        cognito.check("pool", "sub", FORGOT_PASSWORD, code, now=now + 3601)
    code = cognito.issue("pool", "sub", SIGN_UP, now=now)
    cognito.check("pool", "sub", SIGN_UP, code, now=now + 23 * 3600)


def test_an_invited_user_gets_a_temporary_password_and_must_replace_it(idp: Any, pool: tuple[str, str]) -> None:
    pool_id, client_id = pool
    email = new_email()
    idp.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=[{"Name": "email", "Value": email}])
    [invitation] = mails_to(email)
    assert invitation.subject == "Your temporary password"
    temporary = re.search(r"temporary password is (\S+)\. ", invitation.text)
    assert temporary, invitation.text
    challenge = sign_in(idp, client_id, email, temporary[1])
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    result = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": challenge["ChallengeParameters"]["USERNAME"], "NEW_PASSWORD": PASSWORD},
    )
    claims = jwt.decode(result["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
    assert claims["email"] == email  # moto wrote the user's id here after a challenge


def test_totp_codes_are_checked(idp: Any, pool: tuple[str, str]) -> None:
    pool_id, client_id = pool
    email = new_email()
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    access = sign_in(idp, client_id, email, PASSWORD)["AuthenticationResult"]["AccessToken"]
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    totp = TOTP(_b32(secret), 6, SHA1(), 30, enforce_key_length=False)
    idp.verify_software_token(AccessToken=access, UserCode=totp.generate(time.time()).decode())
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})

    challenge = sign_in(idp, client_id, email, PASSWORD)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    right = totp.generate(time.time()).decode()
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    def answer(code: str) -> dict[str, Any]:
        return dict(
            idp.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=challenge["Session"],
                ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code},
            )
        )

    with pytest.raises(idp.exceptions.CodeMismatchException):
        answer(wrong)
    assert "IdToken" in answer(right)["AuthenticationResult"]


def _b32(secret: str) -> bytes:
    import base64

    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def test_a_pool_sending_through_our_ses_identity_sends_from_it(idp: Any, endpoint: str) -> None:
    """email_configuration { email_sending_account = "DEVELOPER" }: from our verified identity."""
    sender = "shop@example.com"
    aws_client("ses", endpoint).verify_email_identity(EmailAddress=sender)
    pool_id = idp.create_user_pool(
        PoolName=f"dev-{uuid.uuid4().hex[:6]}",
        UsernameAttributes=["email"],
        EmailConfiguration={
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": f"arn:aws:ses:us-east-1:123456789012:identity/{sender}",
            "From": sender,
        },
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web")["UserPoolClient"]["ClientId"]
    email = new_email()
    idp.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    [mail] = mails_to(email)
    assert mail.sender == sender and mail.subject == "Your verification code"
    idp.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code_in(mail))
