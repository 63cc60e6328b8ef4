"""Cognito in the devstack as AWS runs it, where moto falls short (`apply()`, from `Emulator.start`).

1. E-mailed codes are real (moto sends none and accepts any). Wraps moto's cognito-idp responses:

- `SignUp` and `ResendConfirmationCode` e-mail a fresh 6-digit code (valid 24 h) to the user's
  address; `ConfirmSignUp` refuses a wrong one with `CodeMismatchException` and an outdated one
  with `ExpiredCodeException`, and on the right one confirms the user and marks the address
  verified;
- `ForgotPassword` e-mails a reset code (valid 1 h; moto's own code, which it leaked in an
  `x-moto-...` response header, is gone); `ConfirmForgotPassword` checks it the same way, and the
  new password against the pool's policy;
- `AdminCreateUser` without `MessageAction=SUPPRESS` e-mails the invitation with the temporary
  password (the user must then answer `NEW_PASSWORD_REQUIRED`).

2. ID tokens carry the user's e-mail address in `email` (moto wrote the name the user signed in
   with there: the user's id after a challenge answered with it, as Cognito's challenges ask).

The e-mails go out as the pool sends them: from Cognito's own sender
(`no-reply@verificationemail.com`) unless the pool's EmailConfiguration names an SES identity of
ours, with the pool's message templates (`{####}` is the code). They land in moto's SES, so the
local inbox shows them. Only the newest code of a kind is valid, and it is used up on success.
Requests are serialized by the emulator; the lock below only guards against direct callers.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Any

COGNITO_DEFAULT_SENDER = "no-reply@verificationemail.com"
SIGN_UP, FORGOT_PASSWORD = "sign-up", "forgot-password"
CODE_TTL_SECONDS = {SIGN_UP: 24 * 3600, FORGOT_PASSWORD: 3600}
DEFAULT_SUBJECT = "Your verification code"
DEFAULT_MESSAGE = "Your verification code is {####}. "
DEFAULT_INVITE_SUBJECT = "Your temporary password"
DEFAULT_INVITE_MESSAGE = "Your username is {username} and temporary password is {####}. "


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: float


_codes: dict[tuple[str, str, str], IssuedCode] = {}  # (pool id, user sub, kind) -> newest code
_lock = threading.Lock()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def issue(pool_id: str, user_id: str, kind: str, now: float | None = None) -> str:
    """A fresh code for the user; any older code of the same kind stops being valid."""
    code = new_code()
    with _lock:
        _codes[(pool_id, user_id, kind)] = IssuedCode(code, (now or time.time()) + CODE_TTL_SECONDS[kind])
    return code


def check(pool_id: str, user_id: str, kind: str, code: str, now: float | None = None) -> None:
    """Use up the right code; raise Cognito's own exceptions for a wrong or outdated one."""
    from moto.cognitoidp.exceptions import CodeMismatchException, ExpiredCodeException

    with _lock:
        issued = _codes.get((pool_id, user_id, kind))
        if issued is None or not secrets.compare_digest(issued.code, str(code or "")):
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        if issued.expires_at < (now or time.time()):
            raise ExpiredCodeException("Invalid code provided, please request a code again.")
        del _codes[(pool_id, user_id, kind)]


def masked(address: str) -> str:
    """`c***@e***` as Cognito shows a delivery destination."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def delivery(address: str) -> dict[str, str]:
    return {"Destination": masked(address), "DeliveryMedium": "EMAIL", "AttributeName": "email"}


# --- moto plumbing -----------------------------------------------------------------------------


def _pool_for_client(client_id: str) -> Any:
    from moto.cognitoidp.exceptions import ResourceNotFoundError
    from moto.cognitoidp.models import cognitoidp_backends

    for regions in list(cognitoidp_backends.values()):
        for backend in list(regions.values()):
            for pool in list(backend.user_pools.values()):
                if client_id in pool.clients:
                    return pool
    raise ResourceNotFoundError(client_id)


def _user(pool: Any, username: str) -> Any:
    from moto.cognitoidp.exceptions import UserNotFoundError

    user = pool._get_user(username)
    if user is None:
        raise UserNotFoundError("Username/client id combination not found.")
    return user


def _email_of(user: Any) -> str | None:
    return user.attribute_lookup.get("email")


def send_pool_email(pool: Any, to: str, subject: str, body: str) -> None:
    """An e-mail from the pool's sender into the emulator's SES (what the inbox reads)."""
    from moto.ses.models import Message, ses_backends
    from moto.ses.utils import get_random_message_id

    ses = ses_backends[pool.account_id][pool.region]
    config = pool.extended_config.get("EmailConfiguration") or {}
    if config.get("EmailSendingAccount") == "DEVELOPER" and config.get("SourceArn"):
        # The pool sends through our own SES identity: it must be verified, as in AWS.
        source = config.get("From") or config["SourceArn"].rsplit("/", 1)[-1]
        ses.send_email(source, subject, body, {"ToAddresses": [to]})
        return
    # Cognito's own sender needs no identity of ours.
    message = Message(get_random_message_id(), COGNITO_DEFAULT_SENDER, subject, body, {"ToAddresses": [to]})
    ses.sent_messages.append(message)
    ses.sent_message_count += 1


def _verification_email(pool: Any, user: Any, code: str) -> None:
    address = _email_of(user)
    if not address:
        return
    template = pool.extended_config.get("VerificationMessageTemplate") or {}
    subject = template.get("EmailSubject") or pool.extended_config.get("EmailVerificationSubject") or DEFAULT_SUBJECT
    message = template.get("EmailMessage") or pool.extended_config.get("EmailVerificationMessage") or DEFAULT_MESSAGE
    send_pool_email(pool, address, subject, message.replace("{####}", code))


def _invitation_email(pool: Any, user: Any, username: str, password: str) -> None:
    address = _email_of(user)
    if not address:
        return
    invite = (pool.extended_config.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
    subject = invite.get("EmailSubject") or DEFAULT_INVITE_SUBJECT
    message = invite.get("EmailMessage") or DEFAULT_INVITE_MESSAGE
    send_pool_email(pool, address, subject, message.replace("{username}", username).replace("{####}", password))


def temporary_password() -> str:
    """One that satisfies any Cognito password policy (upper, lower, digit, symbol, 16 long)."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"Aa1!{body}"


# --- the patched responses ---------------------------------------------------------------------


def apply() -> None:
    """Wrap moto's CognitoIdpResponse actions and token claims (idempotent)."""
    _fix_email_claim()
    from moto.cognitoidp.exceptions import InvalidParameterException
    from moto.cognitoidp.models import UserStatus
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import ActionResult, EmptyResult

    if getattr(CognitoIdpResponse, "_stockroom_codes", False):
        return
    original_sign_up = CognitoIdpResponse.sign_up
    original_confirm_sign_up = CognitoIdpResponse.confirm_sign_up
    original_confirm_forgot = CognitoIdpResponse.confirm_forgot_password
    original_admin_create_user = CognitoIdpResponse.admin_create_user

    def sign_up(self: Any) -> Any:
        result = original_sign_up(self)
        pool = _pool_for_client(self._get_param("ClientId"))
        user = _user(pool, self._get_param("Username"))
        if user.status == UserStatus.UNCONFIRMED and _email_of(user):
            _verification_email(pool, user, issue(pool.id, user.id, SIGN_UP))
            return ActionResult(
                {"UserConfirmed": False, "UserSub": user.id, "CodeDeliveryDetails": delivery(_email_of(user))}
            )
        return result

    def confirm_sign_up(self: Any) -> Any:
        pool = _pool_for_client(self._get_param("ClientId"))
        user = _user(pool, self._get_param("Username"))
        check(pool.id, user.id, SIGN_UP, self._get_param("ConfirmationCode"))
        result = original_confirm_sign_up(self)
        if _email_of(user):  # the code proved the address: Cognito marks it verified
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        return result

    def resend_confirmation_code(self: Any) -> Any:
        pool = _pool_for_client(self._get_param("ClientId"))
        user = _user(pool, self._get_param("Username"))
        if user.status != UserStatus.UNCONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        address = _email_of(user)
        if not address:
            raise InvalidParameterException("User has no e-mail address to send a code to.")
        _verification_email(pool, user, issue(pool.id, user.id, SIGN_UP))
        return ActionResult({"CodeDeliveryDetails": delivery(address)})

    def forgot_password(self: Any) -> Any:
        pool = _pool_for_client(self._get_param("ClientId"))
        user = pool._get_user(self._get_param("Username"))
        address = _email_of(user) if user is not None else None
        if user is None or not address:
            # What the pool's client answers for an unknown user (prevent_user_existence_errors
            # ENABLED): a plausible delivery, and no e-mail.
            return ActionResult({"CodeDeliveryDetails": delivery(self._get_param("Username") or "user@unknown")})
        _verification_email(pool, user, issue(pool.id, user.id, FORGOT_PASSWORD))
        return ActionResult({"CodeDeliveryDetails": delivery(address)})

    def confirm_forgot_password(self: Any) -> Any:
        pool = _pool_for_client(self._get_param("ClientId"))
        user = _user(pool, self._get_param("Username"))
        # The policy first: a refused password must not use the code up.
        self.backend_for(pool)._validate_password(pool.id, self._get_param("Password"))
        check(pool.id, user.id, FORGOT_PASSWORD, self._get_param("ConfirmationCode"))
        original_confirm_forgot(self)
        return EmptyResult()

    def admin_create_user(self: Any) -> Any:
        suppress = self._get_param("MessageAction") == "SUPPRESS"
        given = self._get_param("TemporaryPassword")
        if not suppress and not given:
            # Cognito generates a temporary password when none is given, and e-mails it.
            self.body = _with_param(self.body, "TemporaryPassword", temporary_password())
        result = original_admin_create_user(self)
        if not suppress:
            from moto.cognitoidp.models import cognitoidp_backends

            pool = cognitoidp_backends[self.current_account][self.region].user_pools[self._get_param("UserPoolId")]
            user = _user(pool, self._get_param("Username"))
            _invitation_email(pool, user, self._get_param("Username"), self._get_param("TemporaryPassword"))
        return result

    def backend_for(self: Any, pool: Any) -> Any:
        from moto.cognitoidp.models import cognitoidp_backends

        return cognitoidp_backends[pool.account_id][pool.region]

    CognitoIdpResponse.sign_up = sign_up  # type: ignore[method-assign]
    CognitoIdpResponse.confirm_sign_up = confirm_sign_up  # type: ignore[method-assign]
    CognitoIdpResponse.resend_confirmation_code = resend_confirmation_code  # type: ignore[attr-defined]
    CognitoIdpResponse.forgot_password = forgot_password  # type: ignore[method-assign]
    CognitoIdpResponse.confirm_forgot_password = confirm_forgot_password  # type: ignore[method-assign]
    CognitoIdpResponse.admin_create_user = admin_create_user  # type: ignore[method-assign]
    CognitoIdpResponse.backend_for = backend_for  # type: ignore[attr-defined]
    CognitoIdpResponse._stockroom_codes = True  # type: ignore[attr-defined]


def _with_param(body: Any, name: str, value: str) -> str:
    import json

    data = json.loads(body or "{}")
    data[name] = value
    return json.dumps(data)


def _fix_email_claim() -> None:
    from moto.cognitoidp.models import CognitoIdpUserPool

    original = CognitoIdpUserPool.create_jwt
    if getattr(original, "_stockroom_patched", False):
        return

    def create_jwt(self: Any, client_id: str, username: str, token_use: str, *args: Any, **kwargs: Any) -> Any:
        # In a pool whose usernames are e-mail addresses, moto copies the name it is given into
        # the `email` claim (and uses it for nothing else): give it the user's address.
        if token_use == "id" and "email" in self.extended_config.get("UsernameAttributes", []):
            user = self._get_user(username)
            address = user.attribute_lookup.get("email") if user is not None else None
            username = address or username
        return original(self, client_id, username, token_use, *args, **kwargs)

    create_jwt._stockroom_patched = True  # type: ignore[attr-defined]
    CognitoIdpUserPool.create_jwt = create_jwt  # type: ignore[method-assign]
