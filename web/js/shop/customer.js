// Who is shopping: a guest, or a customer signed in through Cognito (web/js/lib/auth.js keeps the
// ID token for this tab). Signing in brings the guest cart along; signing out (or a token the API
// no longer accepts) leaves a guest with an empty cart, the customer's own staying on the server.

import { onAuthProblem } from "../lib/api.js";
import { AuthError, getSession, isAdmin, isExpired, signOut, startSignIn } from "../lib/auth.js";
import { forgetCart, loadCart } from "./cart.js";

const events = new EventTarget();

export function onCustomerChange(listener) {
  events.addEventListener("change", listener);
}

function changed(reason) {
  events.dispatchEvent(new CustomEvent("change", { detail: { reason } }));
}

/** The signed-in customer's session, or null (an expired one is forgotten). */
export function currentCustomer() {
  const session = getSession();
  if (!session) return null;
  if (isExpired(session)) {
    signOut();
    forgetCart();
    return null;
  }
  return session;
}

export const customerIsAdmin = () => isAdmin(currentCustomer());

/** Sign in with e-mail and password, then merge this browser's guest cart into the customer's. */
export async function signInCustomer(email, password) {
  const result = await startSignIn(email, password);
  if (result.challenge) {
    signOut();
    throw new AuthError(
      "This account needs an extra sign-in step (a new password or an authenticator code). Sign in once in the admin console, then come back.",
      result.challenge.name,
    );
  }
  try {
    await loadCart();
  } finally {
    changed("signin");
  }
  return result.session;
}

export function signOutCustomer(reason = "signout") {
  signOut();
  forgetCart();
  changed(reason);
}

// A token the API refused (expired, revoked): continue as a guest and say so.
onAuthProblem((err) => {
  if (err.status === 401 && getSession()) signOutCustomer("expired");
});
