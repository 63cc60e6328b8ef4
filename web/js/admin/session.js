// The admin's session as pages see it: check it before a write, and end it when it has expired.
// The shell (main.js) listens for the end and shows the sign-in view; pages never switch views.

import { getSession, isExpired } from "../lib/auth.js";

const EXPIRED = "stockroom:session-expired";

/** Tell the shell the session is over (it signs out, resets every page and asks to sign in again). */
export function expireSession(message) {
  window.dispatchEvent(new CustomEvent(EXPIRED, { detail: { message: message || "" } }));
}

export function onSessionExpired(listener) {
  window.addEventListener(EXPIRED, (event) => listener(event.detail.message));
}

/** Before a write: an expired token goes straight back to sign-in instead of failing at the API. */
export function ensureSession() {
  const session = getSession();
  if (!session || isExpired(session)) {
    expireSession();
    return false;
  }
  return true;
}
