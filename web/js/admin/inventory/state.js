// The inventory page's shared state, and the one event its views re-render on.
//
// Loading (data.js) is the only writer of `products`/`byId`/`nextCursor`. Events: "products"
// after each change (the table, summary, restock list and order form re-render from state),
// "loaderror" when the first load failed, "tick" every second while live, "reset" on sign-out.

import { config } from "../../lib/config.js";

export const PAGE_SIZE = 50;
// The warehouse the API uses when none is named (orders) and whose count `quantity` edits set.
export const DEFAULT_WAREHOUSE = config.defaultWarehouseId;

export const state = {
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
  rows: new Map(), // productId -> {row, detail, cells...} (table.js)
  pinned: new Set(), // products added here that may sit beyond the loaded pages
};

const events = new EventTarget();

export function on(name, listener) {
  events.addEventListener(name, (event) => listener(event.detail));
}

export function emit(name, detail) {
  events.dispatchEvent(new CustomEvent(name, { detail }));
}

/** Signing out: forget every product (the views empty themselves on "reset"). */
export function resetState() {
  state.products = [];
  state.byId.clear();
  state.nextCursor = null;
  state.pages = 1;
  state.loaded = false;
  state.loadError = null;
  state.expanded.clear();
  state.pinned.clear();
  emit("reset");
}

/** Products below their threshold, or out of stock. */
export function lowProducts() {
  return state.products.filter((p) => p.lowStock || (Number(p.quantity) || 0) <= 0);
}

export function warehouseStock(p, warehouseId) {
  const stock = p && Array.isArray(p.stock) ? p.stock : [];
  return stock.find((w) => w.warehouseId === warehouseId) || null;
}
