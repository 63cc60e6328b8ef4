// Building blocks of the console's pages after the inventory one: a page head, a card with a
// table, and a form dialog whose fields are described as data. Every API error is shown in words
// on the dialog's form (lib/forms.js), next to the field it names; an expired session goes back to
// sign-in through session.js.

import { ApiError } from "../lib/api.js";
import { h, icon } from "../lib/dom.js";
import { clearErrors, clearFieldErrorOnInput, setBusy, showError } from "../lib/forms.js";
import { ensureSession } from "./session.js";

export function pageHead(title, sub, ...actions) {
  return h("div", { class: "page-head" },
    h("div", {}, h("h1", {}, title), sub ? h("p", { class: "muted" }, sub) : null),
    h("div", { class: "page-actions" }, ...actions));
}

export function button(label, { kind = "secondary", iconName, small = false, ...attrs } = {}) {
  return h("button", { type: "button", class: `btn btn-${kind}${small ? " btn-sm" : ""}`, ...attrs },
    iconName ? icon(iconName) : null, h("span", {}, label));
}

/** A card holding a table: `columns` are header labels (`{label, num}`), rows built by the page. */
export function tableCard(title, columns, { id, actions = [] } = {}) {
  const tbody = h("tbody");
  const state = h("p", { class: "table-note muted", role: "status" });
  const card = h("section", { class: "card", "aria-label": title },
    h("div", { class: "card-head" }, h("h2", {}, title), h("div", { class: "toolbar" }, ...actions)),
    h("div", { class: "table-wrap" }, h("table", { class: "grid", id },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label || c)))), tbody)),
    state);
  return { card, tbody, state };
}

export function badge(text, tone) {
  return h("span", { class: `badge badge-${tone}` }, text);
}

/** An error as the admin reads it (the API's own message). */
export function errorText(err) {
  const m = (err && err.message) || "Something went wrong.";
  return /[.!?]$/.test(m) ? m : `${m}.`;
}

/**
 * A dialog with a form of `fields` ([{name, label, type?, options?, hint?, readonly?, step?}]).
 * `open(values)` shows it filled in; `submit(values)` returns a promise: the dialog closes on
 * success, shows the error in words otherwise. Empty inputs are `""` (the page decides).
 */
export function formDialog({ id, title, submitLabel, fields, submit }) {
  const inputs = {};
  const rows = fields.map((f) => {
    const fid = `${id}-${f.name}`;
    let input;
    if (f.type === "select") {
      input = h("select", { id: fid, name: f.name }, f.options.map(([value, label]) => h("option", { value }, label)));
    } else if (f.type === "checkbox") {
      input = h("input", { id: fid, name: f.name, type: "checkbox" });
      inputs[f.name] = input;
      return h("div", { class: "field field-check" }, h("label", { for: fid }, input, " ", f.label), f.hint ? h("p", { class: "hint" }, f.hint) : null);
    } else {
      input = h("input", { id: fid, name: f.name, type: f.type || "text", step: f.step, min: f.min, autocomplete: "off", inputmode: f.inputmode });
    }
    inputs[f.name] = input;
    return h("div", { class: "field" }, h("label", { for: fid }, f.label), input, f.hint ? h("p", { class: "hint" }, f.hint) : null);
  });
  const titleEl = h("h2", { id: `${id}-title` }, title);
  const submitBtn = h("button", { type: "submit", class: "btn btn-primary" }, h("span", {}, submitLabel));
  const form = h("form", { class: "form", novalidate: true },
    h("div", { class: "dialog-head" }, titleEl,
      h("button", { type: "button", class: "icon-btn", "aria-label": "Close", "data-close": "" }, icon("x"))),
    h("div", { class: "dialog-body" }, ...rows, h("div", { class: "form-error", role: "alert", hidden: true })),
    h("div", { class: "dialog-foot" }, h("button", { type: "button", class: "btn btn-secondary", "data-close": "" }, "Cancel"), submitBtn));
  const dialog = h("dialog", { class: "dialog dialog-sm", id, "aria-labelledby": `${id}-title` }, form);
  document.body.append(dialog);
  dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => dialog.close()));
  clearFieldErrorOnInput(form);

  let context = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.busy || !ensureSession()) return;
    clearErrors(form);
    const values = {};
    for (const [name, input] of Object.entries(inputs)) values[name] = input.type === "checkbox" ? input.checked : input.value.trim();
    setBusy(form, true);
    try {
      await submit(values, context);
      dialog.close();
    } catch (err) {
      showError(form, err instanceof ApiError ? err : new ApiError(400, { error: err && err.field ? "ValidationError" : "Error", field: err && err.field, message: errorText(err) }));
    } finally {
      setBusy(form, false);
    }
  });

  return {
    dialog,
    inputs,
    open(values = {}, { heading, ctx, readonly = [] } = {}) {
      context = ctx ?? null;
      clearErrors(form);
      if (heading) titleEl.textContent = heading;
      for (const [name, input] of Object.entries(inputs)) {
        const v = values[name];
        if (input.type === "checkbox") input.checked = Boolean(v);
        else input.value = v === undefined || v === null ? "" : String(v);
        input.readOnly = readonly.includes(name);
      }
      dialog.showModal();
      const first = Object.values(inputs).find((i) => !i.readOnly);
      first?.focus();
    },
  };
}

/** Ask before something that cannot be undone. */
export function confirmDialog(id) {
  const text = h("p", {});
  const titleEl = h("h2", { id: `${id}-title` });
  const yes = h("button", { type: "submit", class: "btn btn-danger", value: "ok" }, "Confirm");
  const dialog = h("dialog", { class: "dialog dialog-sm", id, "aria-labelledby": `${id}-title` },
    h("form", { class: "form", method: "dialog" },
      h("div", { class: "dialog-head" }, titleEl),
      h("div", { class: "dialog-body" }, text),
      h("div", { class: "dialog-foot" }, h("button", { type: "submit", class: "btn btn-secondary", value: "cancel" }, "Keep it"), yes)));
  document.body.append(dialog);
  return (title, body, label = "Confirm") => {
    titleEl.textContent = title;
    text.textContent = body;
    yes.textContent = label;
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
  };
}

/** Cents from "12.50" (""/undefined -> undefined); a ValidationError naming `field` otherwise. */
export function centsOf(raw, field) {
  if (raw === "" || raw === undefined) return undefined;
  if (!/^\d+(\.\d{1,2})?$/.test(raw)) throw new ApiError(400, { error: "ValidationError", field, message: "Enter an amount like 12.50." });
  return Math.round(Number(raw) * 100);
}

/** A whole number, or the text as typed (the API names the field); "" -> undefined. */
export function intOf(raw) {
  if (raw === "" || raw === undefined) return undefined;
  return /^-?\d+$/.test(raw) ? Number(raw) : raw;
}
