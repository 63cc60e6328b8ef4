// Cognito sign-in (USER_PASSWORD_AUTH and its challenges, see docs/CONTRACTS.md) and the session kept in sessionStorage.
// Only the ID token is kept: it is what the API reads from `Authorization: Bearer <token>`.

import { config } from "./config.js";

const STORAGE_KEY = "stockroom.session";
const EXPIRY_SKEW_SECONDS = 30;

export class AuthError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "AuthError";
    this.code = code || "AuthError";
  }
}

/** Decode a JWT's payload without verifying it (the API verifies; the UI only reads claims). */
export function decodeClaims(token) {
  try {
    const part = String(token).split(".")[1];
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function sessionFromToken(idToken) {
  const claims = decodeClaims(idToken);
  if (!claims) throw new AuthError("The sign-in service returned an unreadable token.");
  const groups = claims["cognito:groups"];
  return {
    idToken,
    email: claims.email || claims["cognito:username"] || claims.username || "",
    groups: Array.isArray(groups) ? groups : typeof groups === "string" ? groups.split(/[ ,]+/) : null,
    exp: Number(claims.exp) || 0,
  };
}

export function getSession() {
  try {
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (!stored) return null;
    const session = JSON.parse(stored);
    return session && session.idToken ? session : null;
  } catch {
    return null;
  }
}

export function isExpired(session, now = Date.now()) {
  return !session || !session.exp || session.exp - EXPIRY_SKEW_SECONDS <= now / 1000;
}

/** Whether the token puts the user in the `admin` group (Cognito omits the claim for users in no group;
 * the API reads it the same way, so this only spares a non-admin a dashboard that refuses every change). */
export function isAdmin(session) {
  return Boolean(session && Array.isArray(session.groups) && session.groups.includes("admin"));
}

export function signOut() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    /* storage unavailable: nothing to forget */
  }
}

const COGNITO_MESSAGES = {
  NotAuthorizedException: "Incorrect email or password.",
  UserNotFoundException: "Incorrect email or password.",
  UserNotConfirmedException: "This account has not been confirmed yet.",
  PasswordResetRequiredException: "A password reset is required for this account.",
  TooManyRequestsException: "Too many attempts. Wait a moment and try again.",
  LimitExceededException: "Too many attempts. Wait a moment and try again.",
  InvalidParameterException: "Enter your email and password.",
};

// The same codes mean other things while answering a challenge.
const CHALLENGE_MESSAGES = {
  CodeMismatchException: "That code is not right. Enter the current 6-digit code from your authenticator app.",
  ExpiredCodeException: "That code has expired. Enter the current one from your authenticator app.",
  NotAuthorizedException: "This sign-in took too long. Start again with your email and password.",
  TooManyRequestsException: "Too many attempts. Wait a moment and try again.",
  LimitExceededException: "Too many attempts. Wait a moment and try again.",
};

/** Challenges this site can answer; any other is refused with a clear message. */
export const SUPPORTED_CHALLENGES = ["NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA"];

/** One call of Cognito's browser API (see docs/CONTRACTS.md); the answer's JSON body. */
async function cognito(action, payload, messages) {
  if (!config.loaded || !config.cognitoEndpoint || !config.clientId) {
    throw new AuthError("Sign-in is not configured for this site (config.js is missing or incomplete).", "NotConfigured");
  }
  let response;
  try {
    response = await fetch(config.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify({ ClientId: config.clientId, ...payload }),
    });
  } catch {
    throw new AuthError("Can't reach the sign-in service. Check your connection and try again.", "NetworkError");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const type = String((body && (body.__type || body.code)) || "").split("#").pop();
    const message = messages[type] || (body && body.message) || `Sign-in failed (HTTP ${response.status}).`;
    throw new AuthError(message, type || "AuthError");
  }
  return body || {};
}

/** Tokens end the sign-in (the session is stored); a challenge asks for one more step. */
function outcome(body, email) {
  if (body.ChallengeName) {
    if (!SUPPORTED_CHALLENGES.includes(body.ChallengeName)) {
      throw new AuthError(`This account needs a sign-in step (${body.ChallengeName}) that this site does not support.`, body.ChallengeName);
    }
    const parameters = body.ChallengeParameters || {};
    return {
      challenge: {
        name: body.ChallengeName,
        session: body.Session,
        // Cognito wants the user's id back (USER_ID_FOR_SRP, or USERNAME); the e-mail also works.
        username: parameters.USER_ID_FOR_SRP || parameters.USERNAME || email,
        email,
      },
    };
  }
  const idToken = body.AuthenticationResult && body.AuthenticationResult.IdToken;
  if (!idToken) throw new AuthError("The sign-in service did not return a token.");
  const session = sessionFromToken(idToken);
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    /* private mode without storage: the session lives for this page only */
  }
  return { session };
}

/**
 * Start signing in with e-mail and password: `{session}` when done, or `{challenge}` when Cognito
 * asks for one more step (a new password for a user an admin created, a TOTP code); answer it
 * with `answerChallenge`.
 */
export async function startSignIn(email, password) {
  const body = await cognito(
    "InitiateAuth",
    { AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: email, PASSWORD: password } },
    COGNITO_MESSAGES,
  );
  return outcome(body, email);
}

/**
 * Answer a challenge from `startSignIn` (or a previous answer): `{newPassword}` for
 * NEW_PASSWORD_REQUIRED, `{code}` for SOFTWARE_TOKEN_MFA. Resolves to `{session}` or the next `{challenge}`.
 */
export async function answerChallenge(challenge, { newPassword, code } = {}) {
  const responses = { USERNAME: challenge.username };
  if (challenge.name === "NEW_PASSWORD_REQUIRED") responses.NEW_PASSWORD = newPassword;
  else if (challenge.name === "SOFTWARE_TOKEN_MFA") responses.SOFTWARE_TOKEN_MFA_CODE = String(code || "").replace(/\s+/g, "");
  const body = await cognito(
    "RespondToAuthChallenge",
    { ChallengeName: challenge.name, Session: challenge.session, ChallengeResponses: responses },
    CHALLENGE_MESSAGES,
  );
  return outcome(body, challenge.email);
}

/** Sign in when no challenge is expected; stores and returns the session (a challenge throws). */
export async function signIn(email, password) {
  const result = await startSignIn(email, password);
  if (result.challenge) {
    throw new AuthError("This account needs one more sign-in step.", result.challenge.name);
  }
  return result.session;
}

// --- self-service accounts (the storefront) ----------------------------------------------------

const ACCOUNT_MESSAGES = {
  UsernameExistsException: "An account with this email already exists. Sign in, or reset your password if you forgot it.",
  CodeMismatchException: "That code is not right. Check the latest email we sent you and try again.",
  ExpiredCodeException: "That code has expired. Ask for a new one below.",
  TooManyRequestsException: "Too many attempts. Wait a moment and try again.",
  LimitExceededException: "Too many attempts. Wait a few minutes and try again.",
  TooManyFailedAttemptsException: "Too many wrong codes. Wait a few minutes and ask for a new one.",
  UserNotFoundException: "There is no account with this email.",
  NotAuthorizedException: "This account cannot do that (it may already be confirmed). Try signing in.",
  CodeDeliveryFailureException: "We could not send the code to this email. Check the address.",
};
// InvalidPasswordException and InvalidParameterException carry Cognito's own explanation
// (the password policy, a malformed address): it is shown as it is.

/** Create an account; Cognito e-mails a 6-digit code to confirm the address (`confirmSignUp`). */
export async function signUp(email, password) {
  const body = await cognito(
    "SignUp",
    { Username: email, Password: password, UserAttributes: [{ Name: "email", Value: email }] },
    ACCOUNT_MESSAGES,
  );
  return { confirmed: Boolean(body.UserConfirmed), destination: (body.CodeDeliveryDetails || {}).Destination || email };
}

export async function confirmSignUp(email, code) {
  await cognito("ConfirmSignUp", { Username: email, ConfirmationCode: String(code || "").replace(/\s+/g, "") }, ACCOUNT_MESSAGES);
}

export async function resendSignUpCode(email) {
  await cognito("ResendConfirmationCode", { Username: email }, ACCOUNT_MESSAGES);
}

/** Ask for a password reset code by e-mail (`confirmForgotPassword` sets the new password). */
export async function forgotPassword(email) {
  await cognito("ForgotPassword", { Username: email }, ACCOUNT_MESSAGES);
}

export async function confirmForgotPassword(email, code, newPassword) {
  await cognito(
    "ConfirmForgotPassword",
    { Username: email, ConfirmationCode: String(code || "").replace(/\s+/g, ""), Password: newPassword },
    ACCOUNT_MESSAGES,
  );
}
