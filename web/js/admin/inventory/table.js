// The product table: keyed rows (reused across refreshes so focus, open details and animations
// survive), per-warehouse details on expand, search, sort and the low-stock filter.

import { config } from "../../lib/config.js";
import { $, $$, h, icon } from "../../lib/dom.js";
import { formatAbsolute, formatMoney, formatNumber, formatRelative, parseTime } from "../../lib/format.js";
import { searchCatalog } from "./data.js";
import { openDeleteDialog } from "./delete-dialog.js";
import { startOrder } from "./order-form.js";
import { openProductDialog } from "./product-dialog.js";
import { on, state } from "./state.js";

const tbody = $("#product-rows");
let detailSeq = 0;

function stockStatus(p) {
  const qty = Number(p.quantity) || 0;
  if (qty <= 0) return { key: "out", label: "Out of stock" };
  if (p.lowStock) return { key: "low", label: "Low stock" };
  return { key: "ok", label: "In stock" };
}

function matches(p) {
  if (state.lowOnly && !(p.lowStock || (Number(p.quantity) || 0) <= 0)) return false;
  if (!state.filter) return true;
  const q = state.filter.toLowerCase();
  return String(p.productName || "").toLowerCase().includes(q) || String(p.productId).toLowerCase().includes(q);
}

function createRow(productId) {
  const detailId = `detail-${++detailSeq}`;
  const expand = h("button", { type: "button", class: "icon-btn expand-btn", "aria-expanded": "false", "aria-controls": detailId }, icon("chevron"));
  const name = h("span", { class: "product-name" });
  const id = h("span", { class: "product-id mono" });
  const qty = h("span", { class: "qty" });
  const meterFill = h("span");
  const qtyInner = h("span", { class: "qty-cell-inner" }, qty);
  const thr = h("td", { class: "c-thr num" });
  const badge = h("span", { class: "badge" });
  const statusNote = h("span", { class: "status-note", hidden: true });
  const time = h("time");
  const orderBtn = h("button", { type: "button", class: "icon-btn", "data-action": "order" }, icon("cart"));
  const editBtn = h("button", { type: "button", class: "icon-btn", "data-action": "edit" }, icon("edit"));
  const deleteBtn = h("button", { type: "button", class: "icon-btn danger", "data-action": "delete" }, icon("trash"));
  const qtyCell = h("td", { class: "c-qty num" }, qtyInner, h("div", { class: "meter", "aria-hidden": "true" }, meterFill));
  const row = h("tr", { class: "row", dataset: { productId } },
    h("td", { class: "c-expand" }, expand),
    h("td", { class: "c-product" }, name, id),
    qtyCell,
    thr,
    h("td", { class: "c-status" }, badge, statusNote),
    h("td", { class: "c-updated" }, time),
    h("td", { class: "c-actions" }, h("div", { class: "row-actions" }, orderBtn, editBtn, deleteBtn)),
  );
  const detailBody = h("div", { class: "detail-grid" });
  const detail = h("tr", { class: "detail", id: detailId, hidden: true, dataset: { detailFor: productId } },
    h("td", { colspan: "7" }, detailBody));

  expand.addEventListener("click", () => toggleExpanded(productId));
  orderBtn.addEventListener("click", () => startOrder(productId));
  editBtn.addEventListener("click", () => openProductDialog(state.byId.get(productId)));
  deleteBtn.addEventListener("click", () => openDeleteDialog(state.byId.get(productId)));

  return { row, detail, detailBody, expand, name, id, qty, qtyCell, meterFill, thr, badge, statusNote, time, orderBtn, editBtn, deleteBtn, lastQty: null, detailKey: "" };
}

function updateRow(r, p) {
  const status = stockStatus(p);
  const name = p.productName || p.productId;
  r.row.classList.toggle("is-low", status.key === "low" || status.key === "out");
  r.row.classList.toggle("is-out", status.key === "out");
  r.detail.classList.toggle("is-low", status.key !== "ok");
  r.name.textContent = name;
  r.id.textContent = p.productId;
  r.qty.textContent = formatNumber(p.quantity);
  const threshold = Number(p.threshold) || 0;
  const scale = Math.max(threshold * 2, 1);
  r.meterFill.style.width = `${Math.min(100, Math.round(((Number(p.quantity) || 0) / scale) * 100))}%`;
  r.thr.textContent = formatNumber(p.threshold);
  r.badge.className = `badge badge-${status.key}`;
  r.badge.textContent = status.label;
  const stock = Array.isArray(p.stock) ? p.stock : [];
  const lowAt = stock.filter((s) => Number(s.available) < Number(s.threshold)).map((s) => String(s.warehouseId));
  r.statusNote.textContent = status.key === "low" && stock.length > 1 && lowAt.length < stock.length ? `in ${lowAt.join(", ")}` : "";
  r.statusNote.hidden = !r.statusNote.textContent;
  const updated = parseTime(p.lastUpdated);
  r.time.dateTime = p.lastUpdated || "";
  r.time.title = formatAbsolute(updated);
  r.time.textContent = formatRelative(updated);
  r.time._date = updated;
  r.expand.setAttribute("aria-label", `Stock per warehouse for ${name}`);
  r.orderBtn.setAttribute("aria-label", `Order ${name}`);
  r.orderBtn.title = "Place order";
  r.editBtn.setAttribute("aria-label", `Edit ${name}`);
  r.editBtn.title = "Edit";
  r.deleteBtn.setAttribute("aria-label", `Delete ${name}`);
  r.deleteBtn.title = "Delete";

  if (r.lastQty !== null && r.lastQty !== p.quantity) {
    const cls = p.quantity < r.lastQty ? "flash-down" : "flash-up";
    r.qtyCell.classList.remove("flash-down", "flash-up");
    void r.qtyCell.offsetWidth; // restart the animation
    r.qtyCell.classList.add(cls);
  }
  r.lastQty = p.quantity;

  const detailKey = JSON.stringify([p.stock, p.description, p.priceCents, p.lastUpdated]);
  if (detailKey !== r.detailKey) {
    r.detailKey = detailKey;
    r.detailBody.replaceChildren(...renderDetail(p));
  }
  const open = state.expanded.has(p.productId);
  r.expand.setAttribute("aria-expanded", String(open));
  r.row.classList.toggle("is-open", open);
  r.detail.hidden = !open;
}

function renderDetail(p) {
  const stock = Array.isArray(p.stock) ? p.stock : [];
  const whTable = stock.length
    ? h("div", { class: "wh-wrap" }, h("table", { class: "wh-table" },
        h("caption", { class: "visually-hidden" }, `Stock of ${p.productName || p.productId} per warehouse`),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Warehouse"), h("th", { scope: "col" }, "On hand"),
          h("th", { scope: "col" }, "Reserved"), h("th", { scope: "col" }, "Available"),
          h("th", { scope: "col" }, "Threshold"))),
        h("tbody", {}, stock.map((s) => h("tr", { class: Number(s.available) < Number(s.threshold) ? "is-low" : "" },
          h("td", {}, String(s.warehouseId ?? "—"),
            Number(s.available) < Number(s.threshold) ? h("span", { class: "badge badge-low" }, "Low") : null),
          h("td", {}, formatNumber(s.onHand)),
          h("td", {}, formatNumber(s.reserved)), h("td", {}, formatNumber(s.available)),
          h("td", {}, formatNumber(s.threshold)))))))
    : h("p", { class: "muted" }, "No stock recorded in any warehouse yet.");
  const updated = parseTime(p.lastUpdated);
  return [
    h("div", {}, h("h3", {}, "Stock by warehouse"), whTable),
    h("div", {}, h("h3", {}, "Details"), h("dl", {},
      h("dt", {}, "Article no."), h("dd", { class: "mono" }, p.productId),
      h("dt", {}, "Price"), h("dd", {}, p.priceCents ? formatMoney(p.priceCents, config.currency) : "Not set"),
      h("dt", {}, "Updated"), h("dd", {}, updated ? formatAbsolute(updated) : "—"),
      h("dt", {}, "Description"), h("dd", {}, p.description || h("span", { class: "muted" }, "None")))),
  ];
}

function toggleExpanded(productId) {
  if (state.expanded.has(productId)) state.expanded.delete(productId);
  else state.expanded.add(productId);
  const r = state.rows.get(productId);
  const p = state.byId.get(productId);
  if (r && p) updateRow(r, p);
}

export function renderTable() {
  const tableState = $("#table-state");
  if (!state.loaded) {
    if (state.loadError) {
      tbody.replaceChildren();
      showTableState("alert", "Can't load your inventory", `${state.loadError.message} Stockroom keeps trying every few seconds.`);
    } else {
      tableState.hidden = true;
      tbody.replaceChildren(...Array.from({ length: 5 }, () => h("tr", { class: "skeleton", "aria-hidden": "true" },
        h("td", {}), h("td", {}, h("span", { style: "width: 70%" })), h("td", {}, h("span", { style: "width: 50%; margin-left: auto" })),
        h("td", {}, h("span", { style: "width: 40%; margin-left: auto" })), h("td", {}, h("span", { style: "width: 70%" })),
        h("td", {}, h("span", { style: "width: 60%" })), h("td", {}))));
    }
    $("#count-label").textContent = "";
    $("#load-more").hidden = true;
    return;
  }
  $$("tr.skeleton", tbody).forEach((tr) => tr.remove());

  // Keyed update: rows are reused so focus, open details and animations survive a refresh.
  for (const [id, r] of state.rows) {
    if (!state.byId.has(id)) {
      r.row.remove();
      r.detail.remove();
      state.rows.delete(id);
    }
  }
  const ordered = sortProducts(state.products);
  const visible = new Set(ordered.filter(matches));
  let cursor = tbody.firstElementChild;
  for (const p of ordered) {
    let r = state.rows.get(p.productId);
    if (!r) {
      r = createRow(p.productId);
      state.rows.set(p.productId, r);
    }
    updateRow(r, p);
    const show = visible.has(p);
    r.row.hidden = !show;
    if (!show) r.detail.hidden = true;
    // Only move nodes that are out of place (moving a node would blur a focused button in it).
    if (cursor !== r.row) tbody.insertBefore(r.row, cursor);
    if (r.row.nextElementSibling !== r.detail) tbody.insertBefore(r.detail, r.row.nextElementSibling);
    cursor = r.detail.nextElementSibling;
  }

  if (state.products.length === 0) {
    showTableState("box", "No products yet", "Add your first product to start tracking stock.", true);
  } else if (visible.size === 0) {
    showTableState("search", state.lowOnly && !state.filter ? "Nothing is running low" : "No matching products",
      state.filter ? `Nothing matches “${state.filter}”${state.lowOnly ? " among low-stock products" : ""}.` : "Every product is above its threshold.");
  } else {
    tableState.hidden = true;
  }

  const total = state.products.length;
  const more = state.nextCursor ? " (more available)" : "";
  $("#count-label").textContent = visible.size === total
    ? `${formatNumber(total)} product${total === 1 ? "" : "s"}${more}`
    : `Showing ${formatNumber(visible.size)} of ${formatNumber(total)} products${more}`;
  $("#load-more").hidden = !state.nextCursor;
}

/** Stock relative to its threshold: below 1 is low; out of stock sorts first. */
function stockRatio(p) {
  const qty = Number(p.quantity) || 0;
  if (qty <= 0) return -1;
  const threshold = Number(p.threshold) || 0;
  return (p.lowStock ? 0 : 1) + (threshold > 0 ? qty / threshold : qty) / 1e6;
}

function sortProducts(products) {
  const list = products.slice();
  const byId = (a, b) => String(a.productId).localeCompare(String(b.productId));
  if (state.sort === "id") return list.sort(byId);
  if (state.sort === "name") return list.sort((a, b) => String(a.productName || "").localeCompare(String(b.productName || ""), undefined, { sensitivity: "base" }) || byId(a, b));
  if (state.sort === "stock") return list.sort((a, b) => stockRatio(a) - stockRatio(b) || byId(a, b));
  if (state.sort === "updated") return list.sort((a, b) => String(b.lastUpdated || "").localeCompare(String(a.lastUpdated || "")) || byId(a, b));
  return list;
}

function showTableState(iconName, title, text, withAction = false) {
  const el = $("#table-state");
  el.hidden = false;
  el.replaceChildren(
    h("span", { class: "state-icon" }, icon(iconName)),
    h("strong", {}, title),
    h("span", {}, text),
    withAction ? h("button", { type: "button", class: "btn btn-primary btn-sm", onclick: () => openProductDialog(null) }, icon("plus"), "Add product") : null,
  );
}

function updateRelativeTimes() {
  for (const r of state.rows.values()) {
    if (r.time._date) r.time.textContent = formatRelative(r.time._date);
  }
}

/** Only low-stock (or out-of-stock) products, or all; the summary's tile toggles it too. */
export function setLowOnly(on) {
  state.lowOnly = on;
  $("#low-only").checked = on;
  const tile = $("#stat-low-tile");
  tile.setAttribute("aria-pressed", String(on));
  $("#stat-low-hint").textContent = on ? "Showing only these" : "Show only these";
  renderTable();
}

export function initTable() {
  $("#low-only").addEventListener("change", (e) => setLowOnly(e.target.checked));
  $("#sort-select").addEventListener("change", (e) => {
    state.sort = e.target.value;
    renderTable();
  });
  let searchTimer = null;
  $("#search-input").addEventListener("input", (e) => {
    state.filter = e.target.value.trim();
    renderTable();
    // The loaded pages are a part of the catalog: ask the API too, once typing pauses.
    clearTimeout(searchTimer);
    const q = state.filter;
    if (q) searchTimer = setTimeout(() => { if (state.filter === q) searchCatalog(q); }, 300);
  });
  on("products", renderTable);
  on("loaderror", renderTable);
  on("tick", updateRelativeTimes);
  on("reset", () => {
    state.rows.forEach(({ row, detail }) => { row.remove(); detail.remove(); });
    state.rows.clear();
  });
}
