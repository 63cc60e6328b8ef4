// The summary tiles (products, units, low stock) and the "Needs restock" list.

import { $, h, icon } from "../../lib/dom.js";
import { formatNumber } from "../../lib/format.js";
import { openProductDialog } from "./product-dialog.js";
import { lowProducts, on, state } from "./state.js";
import { setLowOnly } from "./table.js";

function renderSummary() {
  const more = state.nextCursor ? "+" : "";
  $("#stat-products").textContent = formatNumber(state.products.length) + more;
  $("#stat-units").textContent = formatNumber(state.products.reduce((n, p) => n + (Number(p.quantity) || 0), 0)) + more;
  const low = lowProducts().length;
  $("#stat-low").textContent = formatNumber(low);
  $("#stat-low-tile").classList.toggle("has-low", low > 0);
}

function renderRestock() {
  const low = lowProducts().sort((a, b) => (a.quantity - a.threshold) - (b.quantity - b.threshold));
  const count = $("#restock-count");
  count.textContent = String(low.length);
  count.classList.toggle("is-warn", low.length > 0);
  const list = $("#restock-list");
  if (low.length === 0) {
    list.replaceChildren(h("li", { class: "restock-empty" }, icon("check"), "Everything is above its threshold."));
    return;
  }
  list.replaceChildren(...low.map((p) => h("li", {},
    h("div", { style: "min-width: 0" },
      h("span", { class: "restock-name" }, p.productName || p.productId),
      h("span", { class: "restock-meta" }, `${formatNumber(p.quantity)} left · threshold ${formatNumber(p.threshold)}`)),
    h("button", {
      type: "button", class: "btn btn-secondary btn-sm", "aria-label": `Restock ${p.productName || p.productId}`,
      onclick: () => openProductDialog(state.byId.get(p.productId), "quantity"),
    }, "Restock"))));
}

export function initSummary() {
  const lowTile = $("#stat-low-tile");
  lowTile.setAttribute("aria-pressed", "false");
  lowTile.addEventListener("click", () => setLowOnly(!state.lowOnly));
  on("products", () => {
    renderSummary();
    renderRestock();
  });
}
