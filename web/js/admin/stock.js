// Stock per warehouse (`#/stock`, `#/stock/<warehouseId>`): every product's line in one warehouse
// (on hand, reserved by open orders, available, low-stock threshold). "Set count" writes a counted
// quantity (`PUT /products/{id}/stock/{warehouseId}`); "Adjust" adds or removes units (a delivery,
// breakage) with `POST .../adjustments`, relative to whatever the line holds when it commits, so
// two people booking deliveries at once both count. Each is recorded as a movement with the reason.
// An adjustment keeps its Idempotency-Key while the dialog retries it (a lost answer applies once).

import { api, ApiError, newIdempotencyKey } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";
import { toast } from "../lib/toast.js";
import { badge, button, errorText, formDialog, intOf, pageHead, tableCard } from "./kit.js";

const MAX_PAGES = 20;
let section = null;
let table = null;
let picker = null;
let setDialog = null;
let adjustDialog = null;
let adjustKey = null; // Idempotency-Key of the adjustment being applied (kept for its retries)
let warehouses = [];
let products = [];
let current = "";

const lineOf = (product, warehouseId) => (product.stock || []).find((s) => s.warehouseId === warehouseId) || null;

function render() {
  const wh = warehouses.find((w) => w.warehouseId === current);
  table.state.textContent = !wh ? "Add a warehouse first." : products.length ? "" : "No products yet.";
  table.tbody.replaceChildren(...(wh ? products : []).map((p) => {
    const line = lineOf(p, current);
    const set = button("Set count", { small: true, "aria-label": `Set count of ${p.productName}` });
    const adjust = button("Adjust", { small: true, "aria-label": `Adjust ${p.productName}` });
    set.addEventListener("click", () => setDialog.open({ onHand: line ? line.onHand : 0, threshold: line ? line.threshold : p.threshold, reason: "stock count" },
      { heading: `${p.productName} in ${wh.name}`, ctx: p }));
    if (line) {
      adjust.addEventListener("click", () => {
        adjustKey = null;
        adjustDialog.open({ delta: "", reason: "" }, { heading: `Adjust ${p.productName} in ${wh.name}`, ctx: p });
      });
    } else {
      adjust.disabled = true;
      adjust.title = "Not stocked here yet: set a count first.";
    }
    const low = line && line.available < line.threshold;
    return h("tr", { dataset: { productId: p.productId } },
      h("td", {}, h("strong", {}, p.productName), h("div", { class: "mono muted" }, p.productId)),
      h("td", { class: "num on-hand" }, line ? formatNumber(line.onHand) : "—"),
      h("td", { class: "num" }, line ? formatNumber(line.reserved) : "—"),
      h("td", { class: "num available" }, line ? formatNumber(line.available) : h("span", { class: "muted" }, "not stocked")),
      h("td", { class: "num" }, line ? formatNumber(line.threshold) : "—"),
      h("td", {}, line ? (low ? badge("Low", "low") : badge("OK", "ok")) : null),
      h("td", { class: "row-actions" }, set, adjust));
  }));
}

async function loadProducts() {
  const all = [];
  let cursor = null;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const page = await api.listProducts({ limit: 100, cursor });
    all.push(...(page.items || []));
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return all;
}

async function load() {
  table.state.textContent = "Loading…";
  try {
    const [w, p] = await Promise.all([api.listWarehouses(), loadProducts()]);
    warehouses = w.items || [];
    products = p;
    if (!warehouses.some((x) => x.warehouseId === current)) current = (warehouses[0] || {}).warehouseId || "";
    picker.replaceChildren(...warehouses.map((x) => h("option", { value: x.warehouseId, selected: x.warehouseId === current || null },
      `${x.name}${x.active ? "" : " (inactive)"}`)));
    render();
  } catch (err) {
    table.state.textContent = errorText(err);
  }
}

async function write(product, onHand, threshold, reason) {
  const body = { onHand: intOf(String(onHand)) };
  if (threshold !== undefined) body.threshold = threshold;
  if (reason) body.reason = reason;
  const line = await api.setStockLine(product.productId, current, body);
  const stock = (product.stock || []).filter((s) => s.warehouseId !== current);
  product.stock = [...stock, line];
  render();
  return line;
}

export default {
  id: "stock",
  title: "Stock",
  mount(el) {
    section = el;
    picker = h("select", { id: "stock-warehouse", "aria-label": "Warehouse" });
    picker.addEventListener("change", () => {
      current = picker.value;
      window.location.hash = `#/stock/${encodeURIComponent(current)}`;
    });
    table = tableCard("Stock lines", ["Product", { label: "On hand", num: true }, { label: "Reserved", num: true },
      { label: "Available", num: true }, { label: "Threshold", num: true }, "Status", ""], { id: "stock-table",
      actions: [h("label", { class: "visually-hidden", for: "stock-warehouse" }, "Warehouse"), picker] });
    section.append(pageHead("Stock", "Counts per warehouse. Reserved units belong to open orders and cannot be counted away."), table.card);
    setDialog = formDialog({
      id: "stock-set-dialog", title: "Set count", submitLabel: "Save count",
      fields: [
        { name: "onHand", label: "On hand", type: "number", min: "0", step: "1" },
        { name: "threshold", label: "Low-stock threshold", type: "number", min: "0", step: "1" },
        { name: "reason", label: "Reason", hint: "Kept with the movement, e.g. stock count, delivery." },
      ],
      async submit(v, product) {
        const line = await write(product, v.onHand, intOf(v.threshold), v.reason);
        toast(`${product.productName}: ${formatNumber(line.onHand)} on hand.`);
      },
    });
    adjustDialog = formDialog({
      id: "stock-adjust-dialog", title: "Adjust", submitLabel: "Apply",
      fields: [
        { name: "delta", label: "Units to add (negative to remove)", type: "number", step: "1" },
        { name: "reason", label: "Reason", hint: "e.g. delivery received, damaged." },
      ],
      async submit(v, product) {
        const delta = intOf(v.delta);
        if (typeof delta !== "number" || delta === 0) {
          throw Object.assign(new Error("Enter a whole number of units, e.g. 5 or -2."), { field: "delta" });
        }
        const change = { delta };
        if (v.reason) change.reason = v.reason;
        if (!adjustKey) adjustKey = newIdempotencyKey();
        let result;
        try {
          result = await api.adjustStockLine(product.productId, current, change, adjustKey);
        } catch (err) {
          if (err instanceof ApiError && err.status !== 0 && err.status < 500) adjustKey = null; // refused: the next try is new
          throw err;
        }
        adjustKey = null;
        const { onHand, reserved, available, threshold } = result;
        product.stock = [...(product.stock || []).filter((s) => s.warehouseId !== current), { warehouseId: current, onHand, reserved, available, threshold }];
        render();
        toast(`${product.productName}: ${delta > 0 ? "+" : ""}${formatNumber(delta)}, ${formatNumber(onHand)} on hand.`);
      },
    });
    // A changed adjustment is a new one: the next Apply gets a new Idempotency-Key.
    adjustDialog.dialog.addEventListener("input", () => { adjustKey = null; });
  },
  show(params) {
    if (params[0]) current = params[0];
    load();
  },
  reset() {
    products = [];
    warehouses = [];
    if (table) table.tbody.replaceChildren();
  },
};
