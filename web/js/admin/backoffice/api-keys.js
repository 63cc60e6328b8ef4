// The API keys page (`#/api-keys`): keys for machine clients such as tills and marketplaces (issue
// 11 §4). A new key is shown once, right after it is made (only its hash is kept); revoking takes
// two clicks and refuses the key from the next request on.

import { api } from "../../lib/api.js";
import { h } from "../../lib/dom.js";
import { formatRelative, parseTime } from "../../lib/format.js";
import { clearErrors, setButtonBusy, showError } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { card, errorNotice, pageHead, table } from "./ui.js";

const SCOPES = [
  ["orders:write", "Place orders"],
  ["stock:write", "Set stock counts"],
  ["catalog:read", "Read the catalog"],
];

let listBox = null;
let secretBox = null;
let form = null;

function revokeButton(key) {
  const button = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { keyId: key.keyId } }, "Revoke");
  button.addEventListener("click", async () => {
    if (button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = "Confirm revoke";
      button.className = "btn btn-danger btn-sm";
      return;
    }
    setButtonBusy(button, true, "Revoking…");
    try {
      await api.revokeApiKey(key.keyId);
      toast(`Key “${key.name}” revoked.`);
      await load();
    } catch (err) {
      toast(err.message, "error");
      setButtonBusy(button, false);
    }
  });
  return button;
}

async function load() {
  try {
    const { items } = await api.listApiKeys();
    const rows = items.map((k) => [
      k.name,
      h("code", { class: "mono" }, k.keyId),
      k.scopes.join(", "),
      formatRelative(parseTime(k.createdAt)),
      k.lastUsedAt ? formatRelative(parseTime(k.lastUsedAt)) : "never",
      h("span", { class: k.status === "active" ? "badge badge-ok" : "badge badge-out" }, k.status),
      k.status === "active" ? revokeButton(k) : "",
    ]);
    listBox.replaceChildren(
      table(
        "API keys",
        [{ label: "Name" }, { label: "Key id" }, { label: "Scopes" }, { label: "Created" }, { label: "Last used" }, { label: "Status" }, { label: "" }],
        rows,
        "No API keys yet.",
      ),
    );
  } catch (err) {
    listBox.replaceChildren(errorNotice(err));
  }
}

async function create(event) {
  event.preventDefault();
  clearErrors(form);
  const name = form.elements.name.value.trim();
  const scopes = SCOPES.map(([s]) => s).filter((s) => form.elements[s].checked);
  const button = form.querySelector("[type=submit]");
  setButtonBusy(button, true, "Creating…");
  try {
    const created = await api.createApiKey(name, scopes);
    const value = h("code", { class: "mono bo-secret", id: "new-key-value" }, created.apiKey);
    const copy = h("button", { type: "button", class: "btn btn-secondary btn-sm" }, "Copy");
    copy.addEventListener("click", () => navigator.clipboard?.writeText(created.apiKey).then(() => toast("Copied.")));
    const done = h("button", { type: "button", class: "btn btn-ghost btn-sm" }, "I have stored it");
    done.addEventListener("click", () => secretBox.replaceChildren());
    secretBox.replaceChildren(
      h(
        "div",
        { class: "notice", role: "status", id: "new-key" },
        h("p", {}, h("strong", {}, `Key “${created.name}” created. `), "Copy it now: it is shown only this once. Send it as the X-Api-Key header on /machine/… routes."),
        h("p", {}, value, " ", copy, " ", done),
      ),
    );
    form.reset();
    await load();
  } catch (err) {
    showError(form, err);
  } finally {
    setButtonBusy(button, false);
  }
}

export default {
  id: "api-keys",
  title: "API keys",
  mount(section) {
    form = h(
      "form",
      { class: "form", id: "api-key-form", onsubmit: create, novalidate: true },
      h("div", { class: "field" }, h("label", { for: "key-name" }, "Name"), h("input", { id: "key-name", name: "name", type: "text", required: true, maxlength: "100", placeholder: "e.g. Till 1", autocomplete: "off" }), h("p", { class: "field-error", hidden: true })),
      h(
        "fieldset",
        { class: "field", name: "scopes" },
        h("legend", {}, "May"),
        ...SCOPES.map(([scope, label]) => h("label", { class: "bo-check" }, h("input", { type: "checkbox", name: scope, value: scope }), ` ${label} (${scope})`)),
        h("p", { class: "field-error", hidden: true }),
      ),
      h("div", { class: "form-error", role: "alert", hidden: true }),
      h("button", { type: "submit", class: "btn btn-primary" }, "Create key"),
    );
    secretBox = h("div", { id: "new-key-box" });
    listBox = h("div", { id: "api-key-list" });
    section.append(
      pageHead("API keys", "For tills, marketplaces and other machine clients."),
      secretBox,
      h("div", { class: "bo-keys" }, card("New key", "key-new", form), card("Keys", "key-list", listBox)),
    );
  },
  show() {
    load();
  },
  reset() {
    if (secretBox) secretBox.replaceChildren();
    if (listBox) listBox.replaceChildren();
  },
};
