// Accounts through Cognito (web/js/lib/auth.js; the devstack forwards only the browser-safe
// actions): sign in (`#/signin?next=<route>`), sign up (`#/signup`), confirm the e-mailed code
// (`#/verify?email=`), forgot password (`#/forgot`). Signing in merges this browser's guest cart
// into the customer's (cart.js). The password typed at sign-up is held in this module only (never
// stored) so a confirmed account can be signed in at once.

import { confirmForgotPassword, confirmSignUp, forgotPassword, resendSignUpCode, signUp } from "../../lib/auth.js";
import { h, icon } from "../../lib/dom.js";
import { clearErrors, clearFieldErrorOnInput, setBusy, showClientError, showError } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { currentCustomer, signInCustomer } from "../customer.js";
import { href, navigate } from "../router.js";

let pending = null; // {email, password} between sign-up and the code

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function field(id, label, attrs, hint) {
  const input = h("input", { id, ...attrs });
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "hint" }, hint) : null);
}

function card(title, sub, form, ...alt) {
  return h("section", { class: "auth-card card-box" }, h("h1", {}, title), sub ? h("p", { class: "muted" }, sub) : null, form,
    alt.length ? h("div", { class: "auth-alt" }, ...alt) : null);
}

function authForm(id, submitLabel, busyLabel, ...fields) {
  const form = h("form", { class: "form", id, novalidate: true },
    ...fields,
    h("div", { class: "form-error", role: "alert", hidden: true }),
    h("button", { type: "submit", class: "btn btn-primary btn-block btn-lg", "data-busy-label": busyLabel }, h("span", {}, submitLabel)));
  clearFieldErrorOnInput(form);
  return form;
}

/** Run `task` for a submitted form: busy state, errors in words on the form. */
function onSubmit(form, check, task) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.busy) return;
    clearErrors(form);
    if (!check()) return;
    setBusy(form, true);
    try {
      await task();
    } catch (err) {
      showError(form, err, { title: "That didn't work." });
    } finally {
      setBusy(form, false);
    }
  });
}

function checkEmail(form) {
  if (EMAIL.test(form.elements.email.value.trim())) return true;
  showClientError(form, "email", "Enter your email address, e.g. name@example.com.");
  return false;
}

function checkPassword(form, name = "password") {
  const value = form.elements[name].value;
  if (value.length >= 8) return true;
  showClientError(form, name, "Use at least 8 characters, with upper and lower case letters and a number.");
  return false;
}

const nextRoute = (query) => {
  const next = query.get("next") || "account";
  return /^[a-z][a-z0-9/-]*$/i.test(next) ? next : "account";
};

export const signin = {
  title: "Sign in",
  render(main, { query }) {
    if (currentCustomer()) {
      navigate(nextRoute(query));
      return null;
    }
    const form = authForm("signin-form", "Sign in", "Signing in…",
      field("signin-email", "Email", { name: "email", type: "email", autocomplete: "username", required: true, value: query.get("email") || "" }),
      field("signin-password", "Password", { name: "password", type: "password", autocomplete: "current-password", required: true }));
    main.append(card("Sign in", "See your orders and keep your cart on every device.", form,
      h("a", { href: href("forgot", { email: query.get("email") }) }, "Forgot your password?"),
      h("span", {}, "New here? ", h("a", { href: href("signup", { next: query.get("next") }) }, "Create an account"))));
    onSubmit(form, () => checkEmail(form) && (form.elements.password.value ? true : showClientError(form, "password", "Enter your password.") && false), async () => {
      await signInCustomer(form.elements.email.value.trim(), form.elements.password.value);
      toast("You are signed in. Your cart is with your account now.");
      navigate(nextRoute(query));
    });
    return null;
  },
};

export const signup = {
  title: "Create an account",
  render(main, { query }) {
    const form = authForm("signup-form", "Create account", "Creating your account…",
      field("signup-email", "Email", { name: "email", type: "email", autocomplete: "email", required: true }),
      field("signup-password", "Password", { name: "password", type: "password", autocomplete: "new-password", required: true },
        "At least 8 characters, with upper and lower case letters and a number."));
    main.append(card("Create an account", "Track your orders and check out faster.", form,
      h("span", {}, "Already have an account? ", h("a", { href: href("signin", { next: query.get("next") }) }, "Sign in"))));
    onSubmit(form, () => checkEmail(form) && checkPassword(form), async () => {
      const email = form.elements.email.value.trim();
      const result = await signUp(email, form.elements.password.value);
      pending = { email, password: form.elements.password.value };
      if (result.confirmed) {
        await signInCustomer(email, pending.password);
        pending = null;
        navigate(nextRoute(query));
        return;
      }
      navigate("verify", { email, next: query.get("next") });
    });
    return null;
  },
};

export const verify = {
  title: "Confirm your email",
  render(main, { query }) {
    const email = query.get("email") || (pending && pending.email) || "";
    const form = authForm("verify-form", "Confirm", "Confirming…",
      field("verify-email", "Email", { name: "email", type: "email", autocomplete: "email", required: true, value: email }),
      field("verify-code", "Code", { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "8", class: "code-input", required: true },
        "The 6-digit code we emailed you."));
    const resend = h("button", { type: "button", class: "link-btn" }, "Send a new code");
    main.append(card("Confirm your email", email ? `We sent a code to ${email}.` : "Enter the code we emailed you.", form, h("span", {}, "No email? ", resend)));
    resend.addEventListener("click", async () => {
      clearErrors(form);
      if (!checkEmail(form)) return;
      try {
        await resendSignUpCode(form.elements.email.value.trim());
        toast("We sent you a new code.");
      } catch (err) {
        showError(form, err, { title: "No code sent." });
      }
    });
    onSubmit(form, () => checkEmail(form) && (/^\s*\d{6}\s*$/.test(form.elements.code.value) || (showClientError(form, "code", "Enter the 6 digits from the email.") && false)), async () => {
      const address = form.elements.email.value.trim();
      await confirmSignUp(address, form.elements.code.value);
      if (pending && pending.email === address) {
        const { password } = pending;
        pending = null;
        await signInCustomer(address, password);
        toast("Your account is ready and you are signed in.");
        navigate(nextRoute(query));
      } else {
        toast("Your email is confirmed. Sign in to continue.");
        navigate("signin", { email: address, next: query.get("next") });
      }
    });
    return null;
  },
};

export const forgot = {
  title: "Reset your password",
  render(main, { query }) {
    const ask = authForm("forgot-form", "Email me a code", "Sending…",
      field("forgot-email", "Email", { name: "email", type: "email", autocomplete: "email", required: true, value: query.get("email") || "" }));
    const reset = authForm("reset-form", "Set new password", "Saving…",
      field("reset-code", "Code", { name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "8", class: "code-input", required: true }),
      field("reset-password", "New password", { name: "password", type: "password", autocomplete: "new-password", required: true },
        "At least 8 characters, with upper and lower case letters and a number."));
    reset.hidden = true;
    const sent = h("p", { class: "notice is-ok", hidden: true }, icon("check"), h("span", {}));
    main.append(card("Reset your password", "We email you a code to set a new one.", h("div", {}, ask, sent, reset),
      h("a", { href: "#/signin" }, "Back to sign in")));
    let email = "";
    onSubmit(ask, () => checkEmail(ask), async () => {
      email = ask.elements.email.value.trim();
      await forgotPassword(email);
      ask.hidden = true;
      sent.hidden = false;
      sent.querySelector("span").textContent = `If ${email} has an account, a code is on its way.`;
      reset.hidden = false;
      reset.elements.code.focus();
    });
    onSubmit(reset, () => (/^\s*\d{6}\s*$/.test(reset.elements.code.value) || (showClientError(reset, "code", "Enter the 6 digits from the email.") && false)) && checkPassword(reset), async () => {
      await confirmForgotPassword(email, reset.elements.code.value, reset.elements.password.value);
      await signInCustomer(email, reset.elements.password.value);
      toast("Your password is changed and you are signed in.");
      navigate("account");
    });
    return null;
  },
};
