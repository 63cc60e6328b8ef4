// Add or edit a product (POST /products, PATCH /products/{id}) in a modal dialog.

import { api, ApiError } from "../../lib/api.js";
import { config } from "../../lib/config.js";
import { $ } from "../../lib/dom.js";
import {
  clearErrors, clearFieldErrorOnInput, numberValue, parsePrice, setBusy, showClientError, showError, wireDialog,
} from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { ensureSession } from "../session.js";
import { queueRefresh } from "./data.js";
import { DEFAULT_WAREHOUSE, state, warehouseStock } from "./state.js";

const productDialog = $("#product-dialog");
const productForm = $("#product-form");
let editing = null; // product being edited (null = adding)
let editQuantity; // what the quantity field showed when the dialog opened

/** Open the dialog to add (no product) or edit a product; optionally focus one field. */
export function openProductDialog(product, focusField) {
  editing = product || null;
  productForm.reset();
  clearErrors(productForm);
  const f = productForm.elements;
  const isEdit = Boolean(product);
  $("#product-dialog-title").textContent = isEdit ? "Edit product" : "Add product";
  $("#product-dialog-sub").textContent = isEdit
    ? `Article ${product.productId}. Changes apply immediately.`
    : "New products start in the main warehouse.";
  $("#product-submit").textContent = isEdit ? "Save changes" : "Add product";
  f.productId.readOnly = isEdit;
  const several = isEdit && Array.isArray(product.stock) && product.stock.some((w) => w.warehouseId !== DEFAULT_WAREHOUSE);
  $("#pf-quantity-label").textContent = several ? `Available in ${DEFAULT_WAREHOUSE}` : isEdit ? "Available" : "Quantity in stock";
  editQuantity = undefined;
  if (isEdit) {
    f.productId.value = product.productId;
    f.productName.value = product.productName || "";
    const main = warehouseStock(product, DEFAULT_WAREHOUSE);
    editQuantity = main ? Number(main.available) : undefined;
    f.quantity.value = main ? String(main.available) : "";
    f.threshold.value = String(product.threshold ?? "");
    f.priceCents.value = product.priceCents ? (product.priceCents / 100).toFixed(2) : "";
    f.description.value = product.description || "";
  }
  productDialog.showModal();
  const target = focusField ? f[focusField] : isEdit ? f.productName : f.productId;
  target.focus();
  if (target.select) target.select();
}

async function submit(event) {
  event.preventDefault();
  if (productForm.dataset.busy) return;
  clearErrors(productForm);
  const f = productForm.elements;
  const price = parsePrice(f.priceCents.value);
  if (!price.ok) {
    showClientError(productForm, "priceCents", "Enter a price like 12.50.");
    return;
  }
  const values = {
    productId: f.productId.value.trim(),
    productName: f.productName.value.trim(),
    quantity: numberValue(f.quantity),
    threshold: numberValue(f.threshold),
    priceCents: price.cents,
    description: f.description.value.trim(),
  };
  const product = editing;
  let body;
  if (product) {
    body = {};
    if (values.productName !== (product.productName || "")) body.productName = values.productName;
    if (values.productName === "") {
      showClientError(productForm, "productName", "A product needs a name.");
      return;
    }
    if (values.quantity !== editQuantity && values.quantity !== undefined) body.quantity = values.quantity;
    if (values.threshold !== product.threshold) body.threshold = values.threshold === undefined ? "" : values.threshold;
    if ((values.priceCents || 0) !== (product.priceCents || 0)) body.priceCents = values.priceCents || 0;
    if (values.description !== (product.description || "")) body.description = values.description;
    if (Object.keys(body).length === 0) {
      productDialog.close();
      return;
    }
  } else {
    body = {};
    for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== "") body[k] = v;
  }
  if (!ensureSession()) return;
  setBusy(productForm, true);
  try {
    const saved = product ? await api.updateProduct(product.productId, body) : await api.createProduct(body);
    productDialog.close();
    const name = (saved && saved.productName) || values.productName || values.productId;
    if (!product && saved && saved.productId) state.pinned.add(saved.productId);
    toast(product ? `Saved changes to ${name}.` : `Added ${name} to your inventory.`);
    if (!product && state.filter) {
      $("#search-input").value = "";
      state.filter = "";
    }
    await queueRefresh();
    const r = saved && state.rows.get(saved.productId);
    if (r && !product) {
      r.row.classList.remove("is-new");
      void r.row.offsetWidth;
      r.row.classList.add("is-new");
      r.row.scrollIntoView({ behavior: "smooth", block: "center" });
    }
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) showError(productForm, err);
    if (product && err instanceof ApiError && err.status === 404) queueRefresh();
  } finally {
    setBusy(productForm, false);
  }
}

export function initProductDialog() {
  $("#pf-currency").textContent = `(${config.currency})`;
  $("#add-product-btn").addEventListener("click", () => openProductDialog(null));
  wireDialog(productDialog);
  clearFieldErrorOnInput(productForm);
  productForm.addEventListener("submit", submit);
}
