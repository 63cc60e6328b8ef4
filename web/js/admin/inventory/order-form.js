// "Place order": take units out of one warehouse's stock now (POST /inventory-order).

import { api, ApiError, newIdempotencyKey } from "../../lib/api.js";
import { $, h } from "../../lib/dom.js";
import { formatNumber } from "../../lib/format.js";
import { clearErrors, numberValue, setBusy, showClientError, showError } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { ensureSession } from "../session.js";
import { queueRefresh } from "./data.js";
import { DEFAULT_WAREHOUSE, on, state, warehouseStock } from "./state.js";

const orderForm = $("#order-form");
const orderProduct = $("#order-product");
const orderWarehouse = $("#order-warehouse");
let orderOptionsKey = "";
// Idempotency-Key of the order being submitted, kept for retries of the same order.
let orderKey = null;

function renderOrderOptions() {
  const sorted = state.products.slice().sort((a, b) => String(a.productName).localeCompare(String(b.productName)));
  const key = JSON.stringify(sorted.map((p) => [p.productId, p.productName]));
  const selected = orderProduct.value;
  if (key !== orderOptionsKey) {
    orderOptionsKey = key;
    orderProduct.replaceChildren(
      h("option", { value: "" }, sorted.length ? "Choose a product…" : "No products yet"),
      ...sorted.map((p) => h("option", { value: p.productId }, `${p.productName || p.productId} · ${p.productId}`)),
    );
    orderProduct.value = state.byId.has(selected) ? selected : "";
  }
  renderOrderDetails();
}

function renderOrderDetails() {
  const p = state.byId.get(orderProduct.value);
  const hint = $("#order-product-hint");
  const stock = p && Array.isArray(p.stock) ? p.stock : [];
  const chosen = orderWarehouse.value;
  const whKey = JSON.stringify([p && p.productId, stock.map((w) => [w.warehouseId, w.available])]);
  if (orderWarehouse.dataset.key !== whKey) {
    orderWarehouse.dataset.key = whKey;
    orderWarehouse.replaceChildren(...(stock.length
      ? stock.map((w) => h("option", { value: w.warehouseId }, `${w.warehouseId} (${formatNumber(w.available)})`))
      : [h("option", { value: "" }, DEFAULT_WAREHOUSE)]));
    const fallback = warehouseStock(p, DEFAULT_WAREHOUSE) ? DEFAULT_WAREHOUSE : stock.length ? stock[0].warehouseId : "";
    orderWarehouse.value = warehouseStock(p, chosen) ? chosen : fallback;
  }
  orderWarehouse.disabled = stock.length < 2;
  if (!p) {
    hint.replaceChildren("Pick what to order; stock updates as soon as it's placed.");
    hint.classList.remove("is-warn");
    return;
  }
  const w = warehouseStock(p, orderWarehouse.value);
  const available = w ? Number(w.available) : Number(p.quantity) || 0;
  const low = w ? Number(w.available) < Number(w.threshold) : p.lowStock || available <= 0;
  hint.classList.toggle("is-warn", low);
  hint.replaceChildren(
    h("strong", {}, `${formatNumber(available)} available`),
    stock.length > 1 ? ` in ${orderWarehouse.value} · ${formatNumber(p.quantity)} in total` : ` · threshold ${formatNumber(w ? w.threshold : p.threshold)}`,
  );
}

/** Prefill the form for one product (a row's cart button) and put the cursor in the quantity. */
export function startOrder(productId) {
  orderProduct.value = productId;
  orderKey = null;
  clearErrors(orderForm);
  renderOrderDetails();
  orderForm.scrollIntoView({ behavior: "smooth", block: "nearest" });
  const qty = orderForm.elements.quantity;
  qty.focus();
  qty.select();
}

async function submit(event) {
  event.preventDefault();
  if (orderForm.dataset.busy) return; // a double click never sends twice
  clearErrors(orderForm);
  const productId = orderProduct.value;
  if (!productId) {
    showClientError(orderForm, "productId", "Choose a product to order.");
    return;
  }
  if (!ensureSession()) return;
  const order = { productId, quantity: numberValue(orderForm.elements.quantity) };
  if (orderWarehouse.value) order.warehouseId = orderWarehouse.value; // always explicit: what the admin saw
  // The same key is reused if this exact order is retried (e.g. after a network error), so the
  // API can answer with the original order instead of placing a second one.
  if (!orderKey) orderKey = newIdempotencyKey();
  setBusy(orderForm, true);
  try {
    const result = await api.placeInventoryOrder(order, orderKey);
    orderKey = null;
    const p = state.byId.get(productId);
    const name = (p && p.productName) || productId;
    const where = result && result.warehouseId ? ` from ${result.warehouseId}` : "";
    toast(`Order placed: ${formatNumber((result && result.quantity) || order.quantity)} × ${name}${where}.`);
    orderForm.elements.quantity.value = "1";
    await queueRefresh();
  } catch (err) {
    if (err instanceof ApiError && err.status !== 0) orderKey = null; // the API answered: not a retry
    if (!(err instanceof ApiError && err.status === 401)) showError(orderForm, err);
    if (err instanceof ApiError && err.code === "InsufficientStock") queueRefresh();
  } finally {
    setBusy(orderForm, false);
  }
}

export function initOrderForm() {
  orderProduct.addEventListener("change", () => renderOrderDetails());
  orderWarehouse.addEventListener("change", () => renderOrderDetails());
  // A changed order is a new order: the next submission gets a new Idempotency-Key.
  orderForm.addEventListener("input", () => {
    orderKey = null;
    clearErrors(orderForm);
  });
  orderForm.addEventListener("submit", submit);
  on("products", renderOrderOptions);
}
