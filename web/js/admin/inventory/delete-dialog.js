// Delete a product (DELETE /products/{id}) after a confirmation.

import { api, ApiError } from "../../lib/api.js";
import { $, h } from "../../lib/dom.js";
import { clearErrors, setBusy, showError, wireDialog } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { ensureSession } from "../session.js";
import { queueRefresh } from "./data.js";

const deleteDialog = $("#delete-dialog");
const deleteForm = $("#delete-form");
let deleting = null;

export function openDeleteDialog(product) {
  if (!product) return;
  deleting = product;
  clearErrors(deleteForm);
  $("#delete-text").replaceChildren(
    h("strong", {}, product.productName || product.productId), ` (${product.productId}) and its stock in every warehouse will be removed. `,
    "This can't be undone.");
  deleteDialog.showModal();
  deleteForm.querySelector("button[data-close]").focus();
}

async function submit(event) {
  event.preventDefault();
  if (deleteForm.dataset.busy || !deleting) return;
  if (!ensureSession()) return;
  const product = deleting;
  clearErrors(deleteForm);
  setBusy(deleteForm, true);
  try {
    await api.deleteProduct(product.productId);
    deleteDialog.close();
    toast(`Deleted ${product.productName || product.productId}.`);
    await queueRefresh();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      deleteDialog.close();
      toast(`${product.productName || product.productId} was already deleted.`);
      queueRefresh();
    } else if (!(err instanceof ApiError && err.status === 401)) {
      showError(deleteForm, err);
    }
  } finally {
    setBusy(deleteForm, false);
  }
}

export function initDeleteDialog() {
  wireDialog(deleteDialog);
  deleteForm.addEventListener("submit", submit);
}
