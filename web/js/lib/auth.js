// Cognito sign-in (USER_PASSWORD_AUTH, see docs/CONTRACTS.md) and the session kept in sessionStorage.
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

/** Sign in with e-mail and password; stores and returns the session. */
export async function signIn(email, password) {
  if (!config.loaded || !config.cognitoEndpoint || !config.clientId) {
    throw new AuthError("Sign-in is not configured for this site (config.js is missing or incomplete).", "NotConfigured");
  }
  let response;
  try {
    response = await fetch(config.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: config.clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
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
    const message = COGNITO_MESSAGES[type] || (body && body.message) || `Sign-in failed (HTTP ${response.status}).`;
    throw new AuthError(message, type || "AuthError");
  }
  if (body && body.ChallengeName) {
    throw new AuthError(
      body.ChallengeName === "NEW_PASSWORD_REQUIRED"
        ? "This account must set a new password before it can sign in here."
        : `This account needs an extra sign-in step (${body.ChallengeName}) that this console does not support.`,
      body.ChallengeName,
    );
  }
  const idToken = body && body.AuthenticationResult && body.AuthenticationResult.IdToken;
  if (!idToken) throw new AuthError("The sign-in service did not return a token.");
  const session = sessionFromToken(idToken);
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    /* private mode without storage: the session lives for this page only */
  }
  return session;
}
