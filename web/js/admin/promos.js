// Promo codes (`#/promos`): percent or fixed discounts with an optional minimum, dates and limits;
// how often each was redeemed; deactivate (a redeemed code cannot be deleted, only deactivated).

import { api } from "../lib/api.js";
import { config } from "../lib/config.js";
import { h } from "../lib/dom.js";
import { formatDateTime } from "../lib/format.js";
import { formatMoney, formatNumber } from "../lib/format.js";
import { toast } from "../lib/toast.js";
import { badge, button, centsOf, confirmDialog, errorText, formDialog, intOf, pageHead, tableCard } from "./kit.js";
import { ensureSession } from "./session.js";

let table = null;
let dialog = null;
let confirm = null;

const FIELDS = [
  { name: "code", label: "Code", hint: "Customers type it at checkout (not case-sensitive)." },
  { name: "kind", label: "Discount", type: "select", options: [["PERCENT", "Percent off"], ["FIXED", "Amount off"]] },
  { name: "value", label: "Value", inputmode: "decimal", hint: "Percent (e.g. 10) or amount (e.g. 5.00)." },
  { name: "minSubtotal", label: "Minimum subtotal (optional)", inputmode: "decimal" },
  { name: "startsAt", label: "Starts (optional)", type: "datetime-local" },
  { name: "endsAt", label: "Ends (optional)", type: "datetime-local" },
  { name: "maxRedemptions", label: "Uses in total (optional)", type: "number", min: "1", step: "1" },
  { name: "maxPerCustomer", label: "Uses per customer (optional)", type: "number", min: "1", step: "1" },
  { name: "active", label: "Active", type: "checkbox" },
];

const money = (cents) => formatMoney(cents, config.currency);
const describe = (p) => (p.kind === "PERCENT" ? `${p.value}% off` : `${money(p.value)} off`);
const localInput = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16) : "");
const isoOf = (local) => (local ? new Date(`${local}Z`).toISOString() : null);

function body(v, creating) {
  const b = {
    kind: v.kind,
    value: v.kind === "FIXED" ? centsOf(v.value, "value") : intOf(v.value),
    minSubtotalCents: centsOf(v.minSubtotal, "minSubtotal") ?? (creating ? undefined : 0),
    startsAt: isoOf(v.startsAt),
    endsAt: isoOf(v.endsAt),
    maxRedemptions: intOf(v.maxRedemptions) ?? null,
    maxPerCustomer: intOf(v.maxPerCustomer) ?? null,
    active: v.active,
  };
  if (creating) {
    b.code = v.code;
    for (const k of Object.keys(b)) if (b[k] === null || b[k] === undefined) delete b[k];
  }
  return b;
}

async function load() {
  try {
    const items = [];
    let cursor = null;
    do {
      const page = await api.listPromoCodes({ limit: 100, cursor });
      items.push(...(page.items || []));
      cursor = page.nextCursor;
    } while (cursor && items.length < 1000);
    table.state.textContent = items.length ? "" : "No promo codes yet.";
    table.tbody.replaceChildren(...items.map((p) => {
      const edit = button("Edit", { small: true, "aria-label": `Edit ${p.code}` });
      const toggle = button(p.active ? "Deactivate" : "Activate", { small: true, "aria-label": `${p.active ? "Deactivate" : "Activate"} ${p.code}` });
      const del = p.redemptions ? null : button("Delete", { small: true, kind: "ghost", "aria-label": `Delete ${p.code}` });
      edit.addEventListener("click", () => dialog.open({
        code: p.code, kind: p.kind, value: p.kind === "FIXED" ? (p.value / 100).toFixed(2) : p.value,
        minSubtotal: p.minSubtotalCents ? (p.minSubtotalCents / 100).toFixed(2) : "", startsAt: localInput(p.startsAt), endsAt: localInput(p.endsAt),
        maxRedemptions: p.maxRedemptions, maxPerCustomer: p.maxPerCustomer, active: p.active,
      }, { heading: `Edit ${p.code}`, ctx: p, readonly: ["code"] }));
      toggle.addEventListener("click", () => run(() => api.updatePromoCode(p.code, { active: !p.active }), `${p.code} is ${p.active ? "inactive" : "active"} now.`));
      del?.addEventListener("click", async () => {
        if (await confirm(`Delete ${p.code}?`, "Customers can no longer use it.", "Delete")) run(() => api.deletePromoCode(p.code), `${p.code} is deleted.`);
      });
      const limits = [p.minSubtotalCents ? `from ${money(p.minSubtotalCents)}` : null,
        p.maxRedemptions ? `${p.maxRedemptions} uses` : null, p.maxPerCustomer ? `${p.maxPerCustomer} per customer` : null,
        p.endsAt ? `until ${formatDateTime(p.endsAt)}` : null].filter(Boolean).join(" · ");
      return h("tr", { dataset: { code: p.code } },
        h("td", {}, h("strong", { class: "mono" }, p.code)),
        h("td", {}, describe(p), limits ? h("div", { class: "muted small" }, limits) : null),
        h("td", { class: "num redemptions" }, formatNumber(p.redemptions || 0)),
        h("td", {}, p.active ? badge("Active", "ok") : badge("Inactive", "low")),
        h("td", { class: "row-actions" }, edit, toggle, del));
    }));
  } catch (err) {
    table.state.textContent = errorText(err);
  }
}

async function run(call, message) {
  if (!ensureSession()) return;
  try {
    await call();
    toast(message);
  } catch (err) {
    toast(errorText(err), "error");
  }
  load();
}

export default {
  id: "promos",
  title: "Promo codes",
  mount(section) {
    const add = button("New promo code", { kind: "primary", iconName: "plus", id: "add-promo" });
    table = tableCard("Promo codes", ["Code", "Discount", { label: "Redeemed", num: true }, "Status", ""], { id: "promos-table" });
    section.append(pageHead("Promo codes", "Discounts customers enter at checkout; each redemption is counted."), table.card);
    section.querySelector(".page-actions").append(add);
    confirm = confirmDialog("promo-confirm");
    dialog = formDialog({
      id: "promo-dialog", title: "New promo code", submitLabel: "Save", fields: FIELDS,
      async submit(v, existing) {
        if (existing) await api.updatePromoCode(existing.code, body(v, false));
        else await api.createPromoCode(body(v, true));
        toast(`${(v.code || "").toUpperCase()} is saved.`);
        load();
      },
    });
    add.addEventListener("click", () => dialog.open({ kind: "PERCENT", active: true }, { heading: "New promo code" }));
  },
  show() {
    load();
  },
};
