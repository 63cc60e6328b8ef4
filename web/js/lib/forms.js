// Forms: busy state, the API's errors shown where they belong, and reading typed values.
// A form's markup: `.field` wrappers with a `.field-error`, one `.form-error` box, a submit button.

import { $$, h, icon } from "./dom.js";
import { ApiError } from "./api.js";
import { formatNumber } from "./format.js";

export function setButtonBusy(button, busy, label) {
  if (!button) return;
  const text = button.querySelector("span:not(.visually-hidden)") || button;
  if (busy) {
    if (button.dataset.idleLabel === undefined) button.dataset.idleLabel = text.textContent;
    text.textContent = label || button.dataset.busyLabel || button.dataset.idleLabel;
    button.disabled = true;
    button.classList.add("is-busy");
    button.setAttribute("aria-busy", "true");
  } else {
    if (button.dataset.idleLabel !== undefined) text.textContent = button.dataset.idleLabel;
    delete button.dataset.idleLabel;
    button.disabled = false;
    button.classList.remove("is-busy");
    button.removeAttribute("aria-busy");
  }
}

/** While busy, `form.dataset.busy` is set: submit handlers return early (a double click sends once). */
export function setBusy(form, busy) {
  form.toggleAttribute("aria-busy", busy);
  form.dataset.busy = busy ? "1" : "";
  setButtonBusy(form.querySelector('button[type="submit"]'), busy);
}

export function clearErrors(form) {
  const box = form.querySelector(".form-error");
  if (box) {
    box.hidden = true;
    box.replaceChildren();
  }
  $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
  $$(".field-error", form).forEach((el) => {
    el.hidden = true;
    el.textContent = "";
  });
}

/** Typing into a field marked invalid clears its mark and message. */
export function clearFieldErrorOnInput(form) {
  form.addEventListener("input", (e) => {
    if (e.target.getAttribute("aria-invalid")) {
      e.target.removeAttribute("aria-invalid");
      const err = e.target.closest(".field")?.querySelector(".field-error");
      if (err) err.hidden = true;
    }
  });
}

const ERROR_TITLES = {
  InsufficientStock: "Not enough stock.",
  ValidationError: "Check the highlighted field.",
  NotFound: "Not found.",
  NetworkError: "Connection problem.",
  Forbidden: "Not allowed.",
  Unauthorized: "Signed out.",
  PromoCodeInvalid: "Promo code not accepted.",
  Busy: "The shop is very busy.",
  Conflict: "That can't be done now.",
};

function fieldError(form, name) {
  const input = form.elements.namedItem(name);
  if (!input || !(input instanceof HTMLElement) || !input.closest) return null;
  const field = input.closest(".field");
  if (!field) return null;
  let el = field.querySelector(".field-error");
  if (!el) {
    el = h("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
    field.append(el);
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    input.setAttribute("aria-describedby", [...described, el.id].join(" "));
  }
  return { input, el };
}

/** The API's message as a sentence: "quantity: must be ..." next to the quantity field reads "Must be ...". */
function sentence(message, field) {
  let text = String(message || "").trim();
  if (field && text.toLowerCase().startsWith(`${field.toLowerCase()}: `)) text = text.slice(field.length + 2);
  if (!text) return "Something went wrong.";
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Which field an error is about: `field`, or the product id a conflict names on a form that has it. */
function errorField(form, err) {
  if (!(err instanceof ApiError)) return null;
  if (err.field) return err.field;
  if (err.status === 409 && err.body.productId && form.elements.namedItem("productId") && !form.elements.productId.readOnly
      && form.elements.productId.type !== "select-one") return "productId";
  return null;
}

/** Show an API error the way the API said it: message in the form, and next to the field it names. */
export function showError(form, err, { title: fallbackTitle } = {}) {
  const box = form.querySelector(".form-error");
  const field = errorField(form, err);
  const message = sentence(err && err.message, field);
  let focusTarget = null;
  let onField = false;
  if (field) {
    const target = fieldError(form, field);
    if (target) {
      target.input.setAttribute("aria-invalid", "true");
      target.el.textContent = message;
      target.el.hidden = false;
      focusTarget = target.input;
      onField = true;
    }
  }
  if (box) {
    const title = (err && ERROR_TITLES[err.code]) || fallbackTitle
      || (err instanceof ApiError && err.status === 409 ? "Already exists." : "Couldn't save.");
    const label = onField ? `${labelFor(focusTarget)}: ${message.charAt(0).toLowerCase()}${message.slice(1)}` : message;
    const parts = [icon("alert"), h("div", {}, h("strong", {}, title), " ", label,
      err instanceof ApiError && err.available !== null && !message.includes(String(err.available))
        ? h("span", {}, ` Available now: ${formatNumber(err.available)}.`) : null)];
    box.replaceChildren(...parts);
    box.hidden = false;
  }
  if (focusTarget) focusTarget.focus();
}

function labelFor(input) {
  const label = input && input.labels && input.labels[0];
  return label ? label.firstChild.textContent.trim() : (input && input.name) || "Field";
}

/** A check made in the browser, shown next to its field like the API's own errors. */
export function showClientError(form, name, message, { focus = true } = {}) {
  const target = fieldError(form, name);
  if (target) {
    target.input.setAttribute("aria-invalid", "true");
    target.el.textContent = message;
    target.el.hidden = false;
    if (focus) target.input.focus();
  }
  return Boolean(target);
}

/** Clear one field's mark and message (a live check that passes again). */
export function clearFieldError(form, name) {
  const input = form.elements.namedItem(name);
  if (!input || !(input instanceof HTMLElement) || !input.closest) return;
  input.removeAttribute("aria-invalid");
  const el = input.closest(".field")?.querySelector(".field-error");
  if (el) {
    el.hidden = true;
    el.textContent = "";
  }
}

/** Whole numbers go to the API as numbers; anything else is sent as typed so the API explains. */
export function numberValue(input) {
  const raw = String(input.value).trim();
  if (raw === "") return input.validity && input.validity.badInput ? "invalid" : undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

/** "12.50", "1,299.00", "12,5", "$12" -> cents; {ok: false} for anything else. */
export function parsePrice(raw) {
  let s = String(raw).trim().replace(/[\s\u00a0]/g, "").replace(/^[^\d.,-]+|[^\d.,]+$/g, "");
  if (s === "") return { ok: true, cents: undefined };
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, "");
  else if (/^\d+,\d{1,2}$/.test(s)) s = s.replace(",", ".");
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return { ok: false };
  return { ok: true, cents: Math.round(Number(s) * 100) };
}

/** Close a dialog with its [data-close] buttons, or a click on its backdrop unless it is busy. */
export function wireDialog(dialog) {
  dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => dialog.close()));
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog && !dialog.querySelector("form").dataset.busy) dialog.close(); // click on the backdrop
  });
}
