// Loading the catalog: the first pages, "load more", and the refresh every few seconds.
// Loads are serialized (a refresh and "load more" never interleave) and refreshes coalesce.

import { api, ApiError } from "../../lib/api.js";
import { $ } from "../../lib/dom.js";
import { config } from "../../lib/config.js";
import { getSession, isExpired } from "../../lib/auth.js";
import { formatAbsolute, formatRelative } from "../../lib/format.js";
import { setButtonBusy } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { expireSession } from "../session.js";
import { PAGE_SIZE, emit, state } from "./state.js";

const REFRESH_MS = Math.max(2, config.refreshSeconds || 5) * 1000;

let chain = Promise.resolve();
let pendingRefresh = null;
let timer = null;

/** Serialize loads so a refresh and "load more" never interleave. */
function enqueue(task) {
  const run = chain.then(task, task);
  chain = run.catch(() => {});
  return run;
}

/** Refresh now (coalesced: many calls while one is waiting collapse into one). */
export function queueRefresh() {
  if (!pendingRefresh) {
    pendingRefresh = enqueue(async () => {
      pendingRefresh = null;
      await reloadPages();
    });
  }
  return pendingRefresh;
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
    if (!state.loaded) emit("loaderror");
    return;
  }
  state.loadError = null;
  state.nextCursor = cursor;
  state.pages = Math.max(1, pages);
  state.lastSync = Date.now();
  applyProducts(items);
  setSync("ok");
}

export function loadMore() {
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

/**
 * Search the whole catalog, not only the loaded pages: matches by name prefix or exact article
 * number (`GET /products?q=`) are pinned, so the table's filter finds them and refreshes keep them.
 */
export function searchCatalog(q) {
  return enqueue(async () => {
    let page;
    try {
      page = await api.listProducts({ q, limit: PAGE_SIZE });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) toast(err.message, "error");
      return;
    }
    const found = ((page && page.items) || []).filter((p) => p && !state.byId.has(p.productId));
    if (!found.length) return;
    for (const p of found) state.pinned.add(p.productId);
    applyProducts(state.products.concat(found));
  });
}

function applyProducts(items) {
  state.products = items.filter((p) => p && typeof p.productId === "string");
  state.byId = new Map(state.products.map((p) => [p.productId, p]));
  for (const id of Array.from(state.expanded)) if (!state.byId.has(id)) state.expanded.delete(id);
  state.loaded = true;
  emit("products");
}

// --- the auto-refresh timer and the "Live" line ------------------------------------------------

export function startTimer() {
  stopTimer();
  let elapsed = 0;
  timer = setInterval(() => {
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
    emit("tick");
  }, 1000);
}

export function stopTimer() {
  if (timer) clearInterval(timer);
  timer = null;
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && timer) queueRefresh();
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
