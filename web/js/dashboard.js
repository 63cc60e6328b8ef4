// Admin inventory dashboard: sign-in gate, live product table, add/edit/delete, place order.
// Every string from the API is rendered with textContent (see dom.js `h`), never as HTML.

import { config } from "./settings.js";
import { api, ApiError, newIdempotencyKey, onAuthProblem } from "./api.js";
import { getSession, isAdmin, isExpired, signIn, signOut } from "./auth.js";
import {
  $, $$, h, icon, formatAbsolute, formatMoney, formatNumber, formatRelative, parseTime,
} from "./dom.js";

const PAGE_SIZE = 50;
// The warehouse the API uses when none is named (orders) and whose count `quantity` edits set.
const DEFAULT_WAREHOUSE = config.defaultWarehouseId;
const REFRESH_MS = Math.max(2, config.refreshSeconds || 5) * 1000;

const state = {
  products: [], // in API order
  byId: new Map(),
  nextCursor: null,
  pages: 1, // pages the admin has loaded; a refresh reloads as many
  loaded: false,
  loadError: null,
  lastSync: 0,
  filter: "",
  lowOnly: false,
  sort: "id",
  expanded: new Set(),
  rows: new Map(), // productId -> {row, detail, cells...}
  orderKey: null, // Idempotency-Key of the order being submitted (kept for retries of the same order)
  editing: null, // product being edited (null = adding)
  deleting: null,
  timer: null,
  chain: Promise.resolve(),
  pendingRefresh: null,
  pinned: new Set(), // products added here that may sit beyond the loaded pages
  editQuantity: undefined,
};

// --- views ---------------------------------------------------------------------------------

const views = { signin: $("#signin-view"), dashboard: $("#dashboard-view") };

function showSignIn(message, tone = "warn") {
  stopTimer();
  $$("dialog[open]").forEach((d) => d.close());
  views.dashboard.hidden = true;
  views.signin.hidden = false;
  document.title = "Sign in · Stockroom";
  const notice = $("#signin-notice");
  if (!config.loaded) {
    message = "This site is missing its configuration (config.js), so sign-in cannot work yet.";
    tone = "error";
  }
  notice.hidden = !message;
  notice.className = `notice ${tone === "error" ? "is-error" : tone === "info" ? "" : "is-warn"}`;
  notice.textContent = message || "";
  const email = $("#signin-email");
  if (!email.value) email.focus();
  else $("#signin-password").focus();
}

function showDashboard(session) {
  views.signin.hidden = true;
  views.dashboard.hidden = false;
  document.title = "Inventory · Stockroom";
  $("#user-email").textContent = session.email || "Admin";
  $("#user-avatar").textContent = (session.email || "A").trim().charAt(0);
  $("#page-notice").hidden = true;
  $("#pf-currency").textContent = `(${config.currency})`;
  if (!state.loaded) renderTable();
  startTimer();
  queueRefresh();
  $("#main").focus({ preventScroll: true });
}

function expireSession(message) {
  signOut();
  resetData();
  showSignIn(message || "Your session has expired. Please sign in again.");
}

function resetData() {
  state.products = [];
  state.byId.clear();
  state.nextCursor = null;
  state.pages = 1;
  state.loaded = false;
  state.loadError = null;
  state.expanded.clear();
  state.pinned.clear();
  state.rows.forEach(({ row, detail }) => { row.remove(); detail.remove(); });
  state.rows.clear();
}

// --- sign in ---------------------------------------------------------------------------------

$("#signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const email = form.email.value.trim();
  const password = form.password.value;
  const notice = $("#signin-notice");
  if (!email || !password) {
    notice.hidden = false;
    notice.className = "notice is-error";
    notice.textContent = "Enter your email and password.";
    (email ? form.password : form.email).focus();
    return;
  }
  setBusy(form, true);
  try {
    const session = await signIn(email, password);
    if (!isAdmin(session)) {
      signOut();
      throw new Error("This account is not a shop administrator. Sign in with an admin account.");
    }
    form.password.value = "";
    notice.hidden = true;
    showDashboard(session);
  } catch (err) {
    notice.hidden = false;
    notice.className = "notice is-error";
    notice.textContent = err.message || "Sign-in failed.";
    form.password.select();
  } finally {
    setBusy(form, false);
  }
});

$("#signout-btn").addEventListener("click", () => {
  signOut();
  resetData();
  showSignIn("You have signed out.", "info");
});

onAuthProblem((err) => {
  if (err.status === 401) {
    expireSession("Your session has expired. Please sign in again.");
  } else if (err.status === 403) {
    const notice = $("#page-notice");
    notice.hidden = false;
    notice.textContent = "Your account does not have admin rights, so Stockroom refused this change. Sign in with an admin account to manage inventory.";
  }
});

/** Before a write: an expired token goes straight back to sign-in instead of failing at the API. */
function ensureSession() {
  const session = getSession();
  if (!session || isExpired(session)) {
    expireSession();
    return false;
  }
  return true;
}

// --- loading and refreshing ----------------------------------------------------------------

/** Serialize loads so a refresh and "load more" never interleave. */
function enqueue(task) {
  const run = state.chain.then(task, task);
  state.chain = run.catch(() => {});
  return run;
}

/** Refresh now (coalesced: many calls while one is waiting collapse into one). */
function queueRefresh() {
  if (!state.pendingRefresh) {
    state.pendingRefresh = enqueue(async () => {
      state.pendingRefresh = null;
      await reloadPages();
    });
  }
  return state.pendingRefresh;
}

async function reloadPages() {
  setSync("loading");
  const items = [];
  let cursor = null;
  let pages = 0;
  try {
    do {
      const page = await api.listProducts({ limit: PAGE_SIZE, cursor });
      items.push(...((page && page.items) || []));
      cursor = (page && page.nextCursor) || null;
      pages += 1;
    } while (cursor && pages < state.pages);
    for (const id of Array.from(state.pinned)) {
      if (items.some((p) => p.productId === id)) continue;
      try {
        items.push(await api.getProduct(id));
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) state.pinned.delete(id);
        else throw err;
      }
    }
  } catch (err) {
    state.loadError = err;
    setSync("error");
    if (!state.loaded) renderTable();
    return;
  }
  state.loadError = null;
  state.nextCursor = cursor;
  state.pages = Math.max(1, pages);
  state.lastSync = Date.now();
  applyProducts(items);
  setSync("ok");
}

function loadMore() {
  const button = $("#load-more");
  if (!state.nextCursor) return;
  setButtonBusy(button, true, "Loading…");
  enqueue(async () => {
    try {
      const page = await api.listProducts({ limit: PAGE_SIZE, cursor: state.nextCursor });
      const seen = new Set(state.products.map((p) => p.productId));
      const more = ((page && page.items) || []).filter((p) => !seen.has(p.productId));
      state.nextCursor = (page && page.nextCursor) || null;
      state.pages += 1;
      applyProducts(state.products.concat(more));
    } catch (err) {
      toast(err.message, "error");
    } finally {
      setButtonBusy(button, false);
    }
  });
}
$("#load-more").addEventListener("click", loadMore);

function applyProducts(items) {
  const previous = state.byId;
  state.products = items.filter((p) => p && typeof p.productId === "string");
  state.byId = new Map(state.products.map((p) => [p.productId, p]));
  for (const id of Array.from(state.expanded)) if (!state.byId.has(id)) state.expanded.delete(id);
  state.loaded = true;
  renderTable(previous);
  renderSummary();
  renderOrderOptions();
  renderRestock();
}

// --- the auto-refresh timer ----------------------------------------------------------------

function startTimer() {
  stopTimer();
  let elapsed = 0;
  state.timer = setInterval(() => {
    const session = getSession();
    if (!session || isExpired(session)) {
      expireSession();
      return;
    }
    if (document.hidden) {
      setSync("paused");
      return;
    }
    elapsed += 1000;
    if (elapsed >= REFRESH_MS) {
      elapsed = 0;
      queueRefresh();
    }
    updateSyncText();
    updateRelativeTimes();
  }, 1000);
}

function stopTimer() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.timer) queueRefresh();
});

let syncMode = "loading";
function setSync(mode) {
  syncMode = mode;
  const el = $("#sync-status");
  el.classList.toggle("is-loading", mode === "loading" && !state.loaded);
  el.classList.toggle("is-error", mode === "error");
  el.classList.toggle("is-paused", mode === "paused");
  updateSyncText();
}

function updateSyncText() {
  const text = $("#sync-text");
  if (syncMode === "error") {
    text.textContent = state.loaded
      ? `Can't reach Stockroom, retrying… (last update ${formatRelative(new Date(state.lastSync))})`
      : "Can't reach Stockroom, retrying…";
  } else if (syncMode === "paused") {
    text.textContent = "Live updates paused while this tab is in the background";
  } else if (!state.loaded) {
    text.textContent = "Loading inventory…";
  } else {
    const seconds = Math.max(0, Math.round((Date.now() - state.lastSync) / 1000));
    text.textContent = `Live · updated ${seconds < 2 ? "just now" : `${seconds} s ago`}`;
  }
  $("#sync-status").title = state.lastSync ? `Last updated ${formatAbsolute(new Date(state.lastSync))}` : "";
}

// --- product table -------------------------------------------------------------------------

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

function renderTable() {
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

// --- summary, restock list --------------------------------------------------------------

function lowProducts() {
  return state.products.filter((p) => p.lowStock || (Number(p.quantity) || 0) <= 0);
}

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

const lowTile = $("#stat-low-tile");
lowTile.setAttribute("aria-pressed", "false");
lowTile.addEventListener("click", () => setLowOnly(!state.lowOnly));
$("#low-only").addEventListener("change", (e) => setLowOnly(e.target.checked));
function setLowOnly(on) {
  state.lowOnly = on;
  $("#low-only").checked = on;
  lowTile.setAttribute("aria-pressed", String(on));
  $("#stat-low-hint").textContent = on ? "Showing only these" : "Show only these";
  renderTable();
}
$("#sort-select").addEventListener("change", (e) => {
  state.sort = e.target.value;
  renderTable();
});
$("#search-input").addEventListener("input", (e) => {
  state.filter = e.target.value.trim();
  renderTable();
});

// --- forms: busy state and API errors ------------------------------------------------------

function setButtonBusy(button, busy, label) {
  if (!button) return;
  const text = button.querySelector("span:not(.visually-hidden)") || button;
  if (busy) {
    if (button.dataset.idleLabel === undefined) button.dataset.idleLabel = text.textContent;
    text.textContent = label || button.dataset.busyLabel || button.dataset.idleLabel;
    button.disabled = true;
    button.classList.add("is-busy");
    button.setAttribute("aria-busy", "true");
  } else {
    if (button.dataset.idleLabel !== undefined) text.textContent = button.dataset.idleLabel;
    delete button.dataset.idleLabel;
    button.disabled = false;
    button.classList.remove("is-busy");
    button.removeAttribute("aria-busy");
  }
}

function setBusy(form, busy) {
  form.toggleAttribute("aria-busy", busy);
  form.dataset.busy = busy ? "1" : "";
  setButtonBusy(form.querySelector('button[type="submit"]'), busy);
}

function clearErrors(form) {
  const box = form.querySelector(".form-error");
  if (box) {
    box.hidden = true;
    box.replaceChildren();
  }
  $$("[aria-invalid]", form).forEach((el) => el.removeAttribute("aria-invalid"));
  $$(".field-error", form).forEach((el) => {
    el.hidden = true;
    el.textContent = "";
  });
}

const ERROR_TITLES = {
  InsufficientStock: "Not enough stock.",
  ValidationError: "Check the highlighted field.",
  NotFound: "Not found.",
  NetworkError: "Connection problem.",
  Forbidden: "Not allowed.",
  Unauthorized: "Signed out.",
};

function fieldError(form, name) {
  const input = form.elements.namedItem(name);
  if (!input || !(input instanceof HTMLElement) || !input.closest) return null;
  const field = input.closest(".field");
  if (!field) return null;
  let el = field.querySelector(".field-error");
  if (!el) {
    el = h("p", { class: "field-error", id: `${input.id}-error`, hidden: true });
    field.append(el);
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    input.setAttribute("aria-describedby", [...described, el.id].join(" "));
  }
  return { input, el };
}

/** The API's message as a sentence: "quantity: must be ..." next to the quantity field reads "Must be ...". */
function sentence(message, field) {
  let text = String(message || "").trim();
  if (field && text.toLowerCase().startsWith(`${field.toLowerCase()}: `)) text = text.slice(field.length + 2);
  if (!text) return "Something went wrong.";
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Which field an error is about: `field`, or the product id a conflict names on a form that has it. */
function errorField(form, err) {
  if (!(err instanceof ApiError)) return null;
  if (err.field) return err.field;
  if (err.status === 409 && err.body.productId && form.elements.namedItem("productId") && !form.elements.productId.readOnly
      && form.elements.productId.type !== "select-one") return "productId";
  return null;
}

/** Show an API error the way the API said it: message in the form, and next to the field it names. */
function showError(form, err) {
  const box = form.querySelector(".form-error");
  const field = errorField(form, err);
  const message = sentence(err && err.message, field);
  let focusTarget = null;
  let onField = false;
  if (field) {
    const target = fieldError(form, field);
    if (target) {
      target.input.setAttribute("aria-invalid", "true");
      target.el.textContent = message;
      target.el.hidden = false;
      focusTarget = target.input;
      onField = true;
    }
  }
  if (box) {
    const title = (err && ERROR_TITLES[err.code]) || (err instanceof ApiError && err.status === 409 ? "Already exists." : "Couldn't save.");
    const label = onField ? `${labelFor(focusTarget)}: ${message.charAt(0).toLowerCase()}${message.slice(1)}` : message;
    const parts = [icon("alert"), h("div", {}, h("strong", {}, title), " ", label,
      err instanceof ApiError && err.available !== null && !message.includes(String(err.available))
        ? h("span", {}, ` Available now: ${formatNumber(err.available)}.`) : null)];
    box.replaceChildren(...parts);
    box.hidden = false;
  }
  if (focusTarget) focusTarget.focus();
}

function labelFor(input) {
  const label = input && input.labels && input.labels[0];
  return label ? label.firstChild.textContent.trim() : (input && input.name) || "Field";
}

function showClientError(form, name, message) {
  const target = fieldError(form, name);
  if (target) {
    target.input.setAttribute("aria-invalid", "true");
    target.el.textContent = message;
    target.el.hidden = false;
    target.input.focus();
  }
}

/** Whole numbers go to the API as numbers; anything else is sent as typed so the API explains. */
function numberValue(input) {
  const raw = String(input.value).trim();
  if (raw === "") return input.validity && input.validity.badInput ? "invalid" : undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

function parsePrice(raw) {
  let s = String(raw).trim().replace(/[\s\u00a0]/g, "").replace(/^[^\d.,-]+|[^\d.,]+$/g, "");
  if (s === "") return { ok: true, cents: undefined };
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, "");
  else if (/^\d+,\d{1,2}$/.test(s)) s = s.replace(",", ".");
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return { ok: false };
  return { ok: true, cents: Math.round(Number(s) * 100) };
}

// --- toasts ---------------------------------------------------------------------------------

function toast(message, tone = "ok") {
  const close = h("button", { type: "button", class: "icon-btn toast-close", "aria-label": "Dismiss" }, icon("x"));
  const el = h("div", { class: `toast ${tone === "error" ? "is-error" : ""}` }, icon(tone === "error" ? "alert" : "check"), h("span", {}, message), close);
  const remove = () => {
    el.classList.add("is-leaving");
    setTimeout(() => el.remove(), 220);
  };
  close.addEventListener("click", remove);
  const stack = $("#toasts");
  while (stack.children.length >= 3) stack.firstElementChild.remove();
  stack.append(el);
  setTimeout(remove, tone === "error" ? 8000 : 4500);
}

// --- place order ------------------------------------------------------------------------------

const orderForm = $("#order-form");
const orderProduct = $("#order-product");
const orderWarehouse = $("#order-warehouse");
let orderOptionsKey = "";

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

function warehouseStock(p, warehouseId) {
  const stock = p && Array.isArray(p.stock) ? p.stock : [];
  return stock.find((w) => w.warehouseId === warehouseId) || null;
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

orderProduct.addEventListener("change", () => renderOrderDetails());
orderWarehouse.addEventListener("change", () => renderOrderDetails());
// A changed order is a new order: the next submission gets a new Idempotency-Key.
orderForm.addEventListener("input", () => {
  state.orderKey = null;
  clearErrors(orderForm);
});

function startOrder(productId) {
  orderProduct.value = productId;
  state.orderKey = null;
  clearErrors(orderForm);
  renderOrderDetails();
  orderForm.scrollIntoView({ behavior: "smooth", block: "nearest" });
  const qty = orderForm.elements.quantity;
  qty.focus();
  qty.select();
}

orderForm.addEventListener("submit", async (event) => {
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
  if (!state.orderKey) state.orderKey = newIdempotencyKey();
  setBusy(orderForm, true);
  try {
    const result = await api.placeInventoryOrder(order, state.orderKey);
    state.orderKey = null;
    const p = state.byId.get(productId);
    const name = (p && p.productName) || productId;
    const where = result && result.warehouseId ? ` from ${result.warehouseId}` : "";
    toast(`Order placed: ${formatNumber((result && result.quantity) || order.quantity)} × ${name}${where}.`);
    orderForm.elements.quantity.value = "1";
    await queueRefresh();
  } catch (err) {
    if (err instanceof ApiError && err.status !== 0) state.orderKey = null; // the API answered: not a retry
    if (!(err instanceof ApiError && err.status === 401)) showError(orderForm, err);
    if (err instanceof ApiError && err.code === "InsufficientStock") queueRefresh();
  } finally {
    setBusy(orderForm, false);
  }
});

// --- add / edit product ---------------------------------------------------------------------

const productDialog = $("#product-dialog");
const productForm = $("#product-form");

function openProductDialog(product, focusField) {
  state.editing = product || null;
  productForm.reset();
  clearErrors(productForm);
  const f = productForm.elements;
  const editing = Boolean(product);
  $("#product-dialog-title").textContent = editing ? "Edit product" : "Add product";
  $("#product-dialog-sub").textContent = editing
    ? `Article ${product.productId}. Changes apply immediately.`
    : "New products start in the main warehouse.";
  $("#product-submit").textContent = editing ? "Save changes" : "Add product";
  f.productId.readOnly = editing;
  const several = editing && Array.isArray(product.stock) && product.stock.some((w) => w.warehouseId !== DEFAULT_WAREHOUSE);
  $("#pf-quantity-label").textContent = several ? `Available in ${DEFAULT_WAREHOUSE}` : editing ? "Available" : "Quantity in stock";
  if (editing) {
    f.productId.value = product.productId;
    f.productName.value = product.productName || "";
    const main = warehouseStock(product, DEFAULT_WAREHOUSE);
    state.editQuantity = main ? Number(main.available) : undefined;
    f.quantity.value = main ? String(main.available) : "";
    f.threshold.value = String(product.threshold ?? "");
    f.priceCents.value = product.priceCents ? (product.priceCents / 100).toFixed(2) : "";
    f.description.value = product.description || "";
  }
  productDialog.showModal();
  const target = focusField ? f[focusField] : editing ? f.productName : f.productId;
  target.focus();
  if (target.select) target.select();
}

$("#add-product-btn").addEventListener("click", () => openProductDialog(null));
$$("[data-close]").forEach((b) => b.addEventListener("click", () => b.closest("dialog").close()));
$$("dialog").forEach((d) => d.addEventListener("click", (e) => {
  if (e.target === d && !d.querySelector("form").dataset.busy) d.close(); // click on the backdrop
}));
productForm.addEventListener("input", (e) => {
  if (e.target.getAttribute("aria-invalid")) {
    e.target.removeAttribute("aria-invalid");
    const err = e.target.closest(".field").querySelector(".field-error");
    if (err) err.hidden = true;
  }
});

productForm.addEventListener("submit", async (event) => {
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
  const editing = state.editing;
  let body;
  if (editing) {
    body = {};
    if (values.productName !== (editing.productName || "")) body.productName = values.productName;
    if (values.productName === "") {
      showClientError(productForm, "productName", "A product needs a name.");
      return;
    }
    if (values.quantity !== state.editQuantity && values.quantity !== undefined) body.quantity = values.quantity;
    if (values.threshold !== editing.threshold) body.threshold = values.threshold === undefined ? "" : values.threshold;
    if ((values.priceCents || 0) !== (editing.priceCents || 0)) body.priceCents = values.priceCents || 0;
    if (values.description !== (editing.description || "")) body.description = values.description;
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
    const saved = editing ? await api.updateProduct(editing.productId, body) : await api.createProduct(body);
    productDialog.close();
    const name = (saved && saved.productName) || values.productName || values.productId;
    if (!editing && saved && saved.productId) state.pinned.add(saved.productId);
    toast(editing ? `Saved changes to ${name}.` : `Added ${name} to your inventory.`);
    if (!editing && state.filter) {
      $("#search-input").value = "";
      state.filter = "";
    }
    await queueRefresh();
    const r = saved && state.rows.get(saved.productId);
    if (r && !editing) {
      r.row.classList.remove("is-new");
      void r.row.offsetWidth;
      r.row.classList.add("is-new");
      r.row.scrollIntoView({ behavior: "smooth", block: "center" });
    }
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) showError(productForm, err);
    if (editing && err instanceof ApiError && err.status === 404) queueRefresh();
  } finally {
    setBusy(productForm, false);
  }
});

// --- delete -----------------------------------------------------------------------------------

const deleteDialog = $("#delete-dialog");
const deleteForm = $("#delete-form");

function openDeleteDialog(product) {
  if (!product) return;
  state.deleting = product;
  clearErrors(deleteForm);
  $("#delete-text").replaceChildren(
    h("strong", {}, product.productName || product.productId), ` (${product.productId}) and its stock in every warehouse will be removed. `,
    "This can't be undone.");
  deleteDialog.showModal();
  deleteForm.querySelector('button[data-close]').focus();
}

deleteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (deleteForm.dataset.busy || !state.deleting) return;
  if (!ensureSession()) return;
  const product = state.deleting;
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
});

// --- boot -------------------------------------------------------------------------------------

function boot() {
  const session = getSession();
  if (session && !isExpired(session) && isAdmin(session)) {
    showDashboard(session);
  } else {
    if (session) signOut();
    showSignIn(session ? "Your session has expired. Please sign in again." : "");
  }
}

boot();
