// The sign-in view: e-mail and password through Cognito, then whatever challenge Cognito asks
// for (a new password for a user an admin created, a TOTP code once MFA is on); only admins get
// past it. One form is shown at a time: `#signin-form`, or the `form[data-challenge]` answering
// the current challenge.

import { config } from "../lib/config.js";
import { $, $$ } from "../lib/dom.js";
import { answerChallenge, isAdmin, signOut, startSignIn } from "../lib/auth.js";
import { clearErrors, clearFieldErrorOnInput, setBusy, showClientError } from "../lib/forms.js";

const view = $("#signin-view");
const form = $("#signin-form");
const notice = $("#signin-notice");
const challengeForms = $$("form[data-challenge]", view);

const HEADINGS = {
  "": ["Sign in to your shop", "Inventory, orders and stock alerts for shop administrators."],
  NEW_PASSWORD_REQUIRED: ["Choose a new password", "One more step before your first sign-in."],
  SOFTWARE_TOKEN_MFA: ["Two-step verification", "Your account is protected with an authenticator app."],
};

let challenge = null; // the challenge being answered (null: e-mail and password)
let onSignedIn = () => {};

function setNotice(message, tone) {
  notice.hidden = !message;
  notice.className = `notice ${tone === "error" ? "is-error" : tone === "info" ? "" : "is-warn"}`;
  notice.textContent = message || "";
}

/** Show the step for `next` (a challenge, or null for e-mail and password). */
function showStep(next) {
  challenge = next;
  const name = next ? next.name : "";
  const [title, sub] = HEADINGS[name] || HEADINGS[""];
  $("#signin-title").textContent = title;
  $("#signin-sub").textContent = sub;
  form.hidden = Boolean(next);
  for (const f of challengeForms) {
    const current = f.dataset.challenge === name;
    f.hidden = !current;
    if (!current) f.reset();
    clearErrors(f);
  }
  const target = next ? $(`form[data-challenge="${name}"] input`, view) : (form.email.value ? form.password : form.email);
  if (target) target.focus();
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
  showStep(null);
}

export function hideSignIn() {
  view.hidden = true;
}

/** Tokens: admins are in; anyone else is signed out again. A challenge: show its step. */
function proceed(result) {
  if (result.challenge) {
    setNotice("", "info");
    showStep(result.challenge);
    return;
  }
  if (!isAdmin(result.session)) {
    signOut();
    showStep(null);
    throw new Error("This account is not a shop administrator. Sign in with an admin account.");
  }
  form.password.value = "";
  notice.hidden = true;
  showStep(null);
  onSignedIn(result.session);
}

async function submitPassword(event) {
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
    proceed(await startSignIn(email, password));
  } catch (err) {
    setNotice(err.message || "Sign-in failed.", "error");
    if (!form.hidden) form.password.select();
  } finally {
    setBusy(form, false);
  }
}

/** What a challenge's form answers, or null after showing what is missing. */
function answerFrom(f) {
  if (f.dataset.challenge === "NEW_PASSWORD_REQUIRED") {
    const newPassword = f.newPassword.value;
    if (!newPassword) {
      showClientError(f, "newPassword", "Enter a new password.");
      return null;
    }
    if (newPassword !== f.confirm.value) {
      showClientError(f, "confirm", "The two passwords are not the same.");
      return null;
    }
    return { newPassword };
  }
  const code = f.code.value.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(code)) {
    showClientError(f, "code", "Enter the 6-digit code from your authenticator app.");
    return null;
  }
  return { code };
}

async function submitChallenge(event) {
  event.preventDefault();
  const f = event.currentTarget;
  if (f.dataset.busy || !challenge) return;
  clearErrors(f);
  setNotice("", "info");
  const answer = answerFrom(f);
  if (!answer) return;
  setBusy(f, true);
  try {
    proceed(await answerChallenge(challenge, answer));
  } catch (err) {
    if (err.code === "NotAuthorizedException") {
      showStep(null); // the challenge's session is over: start again
    } else {
      const input = f.querySelector("input");
      if (input) input.select();
    }
    setNotice(err.message || "Sign-in failed.", "error");
  } finally {
    setBusy(f, false);
  }
}

/** Wire the forms; `signedIn(session)` runs once an admin has signed in. */
export function initSignIn(signedIn) {
  onSignedIn = signedIn;
  form.addEventListener("submit", submitPassword);
  for (const f of challengeForms) {
    f.addEventListener("submit", submitChallenge);
    clearFieldErrorOnInput(f);
    $$("[data-restart]", f).forEach((b) => b.addEventListener("click", () => {
      setNotice("", "info");
      showStep(null);
    }));
  }
}
