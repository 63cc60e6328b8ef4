// The inventory page (`#/inventory`, the console's default): seed 000's live dashboard.
// Its markup is the `<section data-page="inventory">` of admin/index.html; its parts:
// data.js (loading, refresh), table.js, summary.js, order-form.js, product-dialog.js,
// delete-dialog.js, all sharing state.js.

import { $ } from "../../lib/dom.js";
import { loadMore, queueRefresh, startTimer, stopTimer } from "./data.js";
import { initDeleteDialog } from "./delete-dialog.js";
import { initOrderForm } from "./order-form.js";
import { initProductDialog } from "./product-dialog.js";
import { resetState, state } from "./state.js";
import { initSummary } from "./summary.js";
import { initTable, renderTable } from "./table.js";

export default {
  id: "inventory",
  title: "Inventory",
  mount() {
    initTable();
    initSummary();
    initOrderForm();
    initProductDialog();
    initDeleteDialog();
    $("#load-more").addEventListener("click", loadMore);
  },
  show() {
    if (!state.loaded) renderTable();
    startTimer();
    queueRefresh();
  },
  hide() {
    stopTimer();
  },
  reset() {
    resetState();
  },
};
