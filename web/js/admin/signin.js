// The sign-in view: e-mail and password through Cognito; only admins get past it.

import { config } from "../lib/config.js";
import { $ } from "../lib/dom.js";
import { isAdmin, signIn, signOut } from "../lib/auth.js";
import { setBusy } from "../lib/forms.js";

const view = $("#signin-view");
const form = $("#signin-form");
const notice = $("#signin-notice");

function setNotice(message, tone) {
  notice.hidden = !message;
  notice.className = `notice ${tone === "error" ? "is-error" : tone === "info" ? "" : "is-warn"}`;
  notice.textContent = message || "";
}

/** Show the sign-in view with a notice (tone "warn", "error" or "info"). */
export function showSignIn(message, tone = "warn") {
  view.hidden = false;
  document.title = "Sign in · Stockroom";
  if (!config.loaded) {
    message = "This site is missing its configuration (config.js), so sign-in cannot work yet.";
    tone = "error";
  }
  setNotice(message, tone);
  const email = $("#signin-email");
  if (!email.value) email.focus();
  else $("#signin-password").focus();
}

export function hideSignIn() {
  view.hidden = true;
}

/** Wire the form; `onSignedIn(session)` runs once an admin has signed in. */
export function initSignIn(onSignedIn) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = form.email.value.trim();
    const password = form.password.value;
    if (!email || !password) {
      setNotice("Enter your email and password.", "error");
      (email ? form.password : form.email).focus();
      return;
    }
    setBusy(form, true);
    try {
      const session = await signIn(email, password);
      if (!isAdmin(session)) {
        signOut();
        throw new Error("This account is not a shop administrator. Sign in with an admin account.");
      }
      form.password.value = "";
      notice.hidden = true;
      onSignedIn(session);
    } catch (err) {
      setNotice(err.message || "Sign-in failed.", "error");
      form.password.select();
    } finally {
      setBusy(form, false);
    }
  });
}
