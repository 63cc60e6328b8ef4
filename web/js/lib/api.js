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

export const api = {
  listProducts: ({ limit, cursor, signal } = {}) => {
    const q = new URLSearchParams();
    if (limit) q.set("limit", String(limit));
    if (cursor) q.set("cursor", cursor);
    const qs = q.toString();
    // Signed in: admins get the inventory view (stock per warehouse) on the same route.
    return request("GET", `/products${qs ? `?${qs}` : ""}`, { signal, auth: true });
  },
  getProduct: (id) => request("GET", `/products/${enc(id)}`, { auth: true }),
  createProduct: (product) => request("POST", "/products", { body: product, auth: true }),
  updateProduct: (id, changes) => request("PATCH", `/products/${enc(id)}`, { body: changes, auth: true }),
  deleteProduct: (id) => request("DELETE", `/products/${enc(id)}`, { auth: true }),
  placeInventoryOrder: (order, idempotencyKey) =>
    request("POST", "/inventory-order", {
      body: order,
      auth: true,
      headers: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {},
    }),

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
