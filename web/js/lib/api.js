// The Stockroom HTTP API (docs/CONTRACTS.md). Errors become ApiError carrying the API's own
// `{"error", "message", "field"?, "available"?}` so forms can show them as they are.

import { config } from "./config.js";
import { getSession } from "./auth.js";

export class ApiError extends Error {
  constructor(status, body, fallback) {
    const data = body && typeof body === "object" ? body : {};
    super(data.message || fallback || defaultMessage(status, data.error));
    this.name = "ApiError";
    this.status = status;
    this.code = data.error || (status === 0 ? "NetworkError" : `HTTP${status}`);
    this.field = data.field || null;
    this.available = typeof data.available === "number" ? data.available : null;
    this.body = data;
  }
}

function defaultMessage(status, code) {
  if (status === 0) return "Can't reach Stockroom. Check your connection and try again.";
  if (status === 401) return "Your session has expired. Sign in again.";
  if (status === 403) return "Your account does not have admin access.";
  if (status === 404) return "Not found. It may have been deleted.";
  if (status === 409) return "That conflicts with the current data.";
  if (status >= 500) return `Stockroom had a problem (HTTP ${status}). Try again in a moment.`;
  return code ? `Request failed: ${code}` : `Request failed (HTTP ${status}).`;
}

/** Listeners told about 401/403 answers to authenticated calls (the dashboard signs out / warns). */
const authListeners = new Set();
export function onAuthProblem(listener) {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

/** A random UUID, also where crypto.randomUUID is missing (plain-HTTP, non-localhost origins). */
export function newIdempotencyKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const b = window.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function request(method, path, { body, raw, auth = false, headers = {}, signal, as = "json" } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  } else if (raw !== undefined) {
    init.body = raw; // a file as it is (CSV import): its Content-Type is in `headers`
  }
  if (auth) {
    const session = getSession();
    if (session) init.headers.Authorization = `Bearer ${session.idToken}`;
  }
  let response;
  try {
    response = await fetch(config.apiBase + path, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, null);
  }
  if (as === "blob" && response.ok) return response.blob();
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (auth && (response.status === 401 || response.status === 403)) {
      authListeners.forEach((listener) => listener(error));
    }
    throw error;
  }
  return data;
}

const enc = encodeURIComponent;

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(key, String(value));
  }
  const qs = q.toString();
  return qs ? `?${qs}` : "";
}

const idempotent = (key) => (key ? { "Idempotency-Key": key } : {});
const orderToken = (token) => (token ? { "X-Order-Token": token } : {});

export const api = {
  // Signed in: admins get the inventory view (stock per warehouse) on the same route.
  listProducts: ({ limit, cursor, q, signal } = {}) => request("GET", `/products${query({ limit, cursor, q })}`, { signal, auth: true }),
  getProduct: (id) => request("GET", `/products/${enc(id)}`, { auth: true }),
  createProduct: (product) => request("POST", "/products", { body: product, auth: true }),
  updateProduct: (id, changes) => request("PATCH", `/products/${enc(id)}`, { body: changes, auth: true }),
  deleteProduct: (id) => request("DELETE", `/products/${enc(id)}`, { auth: true }),
  placeInventoryOrder: (order, idempotencyKey) =>
    request("POST", "/inventory-order", { body: order, auth: true, headers: idempotent(idempotencyKey) }),
  setStockLine: (productId, warehouseId, line) =>
    request("PUT", `/products/${enc(productId)}/stock/${enc(warehouseId)}`, { body: line, auth: true }),
  adjustStockLine: (productId, warehouseId, change, idempotencyKey) =>
    request("POST", `/products/${enc(productId)}/stock/${enc(warehouseId)}/adjustments`, { body: change, auth: true, headers: idempotent(idempotencyKey) }),

  // The storefront's catalog: the public view, never with a token (cacheable by CloudFront).
  browseProducts: ({ q, limit, cursor, signal } = {}) => request("GET", `/products${query({ q, limit, cursor })}`, { signal }),
  browseProduct: (id) => request("GET", `/products/${enc(id)}`),

  listWarehouses: () => request("GET", "/warehouses"),
  createWarehouse: (warehouse) => request("POST", "/warehouses", { body: warehouse, auth: true }),
  updateWarehouse: (id, changes) => request("PATCH", `/warehouses/${enc(id)}`, { body: changes, auth: true }),
  deleteWarehouse: (id) => request("DELETE", `/warehouses/${enc(id)}`, { auth: true }),

  listDeliveryMethods: () => request("GET", "/delivery-methods"),
  setDeliveryMethod: (method, body) => request("PUT", `/delivery-methods/${enc(method)}`, { body, auth: true }),

  listPromoCodes: ({ limit, cursor } = {}) => request("GET", `/promo-codes${query({ limit, cursor })}`, { auth: true }),
  createPromoCode: (promo) => request("POST", "/promo-codes", { body: promo, auth: true }),
  updatePromoCode: (code, changes) => request("PATCH", `/promo-codes/${enc(code)}`, { body: changes, auth: true }),
  deletePromoCode: (code) => request("DELETE", `/promo-codes/${enc(code)}`, { auth: true }),

  // Carts: a guest's by its id, a customer's bound to them (the token goes along when signed in).
  me: () => request("GET", "/me", { auth: true }),
  createCart: (items) => request("POST", "/carts", { body: items ? { items } : undefined, auth: true }),
  getCart: (cartId) => request("GET", `/carts/${enc(cartId)}`, { auth: true }),
  setCartItem: (cartId, productId, quantity) =>
    request("PUT", `/carts/${enc(cartId)}/items/${enc(productId)}`, { body: { quantity }, auth: true }),
  removeCartItem: (cartId, productId) => request("DELETE", `/carts/${enc(cartId)}/items/${enc(productId)}`, { auth: true }),
  myCart: () => request("GET", "/me/cart", { auth: true }),
  mergeCart: (cartId) => request("POST", "/me/cart/merge", { body: { cartId }, auth: true }),

  quote: (body, { signal } = {}) => request("POST", "/checkout/quote", { body, auth: true, signal }),
  placeOrder: (body, idempotencyKey) => request("POST", "/orders", { body, auth: true, headers: idempotent(idempotencyKey) }),
  getOrder: (orderId, token) => request("GET", `/orders/${enc(orderId)}`, { auth: true, headers: orderToken(token) }),
  cancelOrder: (orderId, token) => request("POST", `/orders/${enc(orderId)}/cancel`, { auth: true, headers: orderToken(token) }),
  myOrders: ({ limit, cursor } = {}) => request("GET", `/me/orders${query({ limit, cursor })}`, { auth: true }),
  shipOrder: (orderId, shipment) => request("POST", `/orders/${enc(orderId)}/ship`, { body: shipment, auth: true }),
  deliverOrder: (orderId) => request("POST", `/orders/${enc(orderId)}/deliver`, { auth: true }),
  listOrders: ({ day, email, status, limit, cursor } = {}) => request("GET", `/orders${query({ day, email, status, limit, cursor })}`, { auth: true }),
  testCards: () => request("GET", "/payments/test-cards"),

  // --- back office (issue 11) ---
  listReports: ({ cursor } = {}) => request("GET", `/reports/daily${cursor ? `?cursor=${enc(cursor)}` : ""}`, { auth: true }),
  getReport: (date) => request("GET", `/reports/daily/${enc(date)}`, { auth: true }),
  reportFiles: (date) => request("GET", `/reports/daily/${enc(date)}/files`, { auth: true }),
  buildReport: (date) => request("POST", `/reports/daily/${enc(date)}`, { auth: true }),
  reorder: () => request("GET", "/reports/reorder", { auth: true }),
  // text/csv is one of the API's binary media types: the download asks for it by name.
  exportCatalog: () => request("GET", "/products/export.csv", { auth: true, as: "blob", headers: { Accept: "text/csv" } }),
  importCatalog: (file, { dryRun = false, mode = "all" } = {}) => {
    const q = new URLSearchParams({ mode, dryRun: String(dryRun) });
    return request("POST", `/products/import?${q}`, { raw: file, auth: true, headers: { "Content-Type": "text/csv" } });
  },
  listApiKeys: () => request("GET", "/api-keys?limit=100", { auth: true }),
  createApiKey: (name, scopes) => request("POST", "/api-keys", { body: { name, scopes }, auth: true }),
  revokeApiKey: (keyId) => request("DELETE", `/api-keys/${enc(keyId)}`, { auth: true }),
};

/** Where the API answers a path (links the browser opens itself, e.g. a receipt). */
export const apiUrl = (path) => config.apiBase + path;
