// The storefront's hash router: `#/<path>[?query]` shows one page in <main>.
//
// Routes are patterns (`orders/:id`) mapped to page loaders. A page module's default export is
//   { title, render(main, {params, query}) -> cleanup? }
// `render` builds the page into the (emptied) <main> synchronously (loading states included); what
// it returns, if a function, runs when the next page replaces it (stop timers, abort requests). Pages other than the catalog load on
// first use (dynamic import), so the first visit downloads only what the catalog needs.
//
// The links chalicelib/shop/links.py writes (`#/orders/<id>?token=<token>`) are routes here:
// keep the two in step. A fragment that is not a route (`#main`, the skip link) is left to the
// browser.

import { h } from "../lib/dom.js";

export function parseHash(hash) {
  const raw = String(hash || "").replace(/^#\/?/, "");
  const [path, qs = ""] = raw.split("?");
  return {
    parts: path.split("/").filter(Boolean).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    }),
    query: new URLSearchParams(qs),
  };
}

function match(pattern, parts) {
  const want = pattern.split("/").filter(Boolean);
  if (want.length !== parts.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = parts[i];
    else if (want[i] !== parts[i]) return null;
  }
  return params;
}

/** `#/orders/abc?token=t` from ("orders/abc", {token: "t"}); empty values are left out. */
export function href(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const qs = q.toString();
  return `#/${path}${qs ? `?${qs}` : ""}`;
}

export function navigate(path, query) {
  const target = href(path, query);
  if (window.location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else window.location.hash = target;
}

export function createRouter({ routes, main, siteName, onRoute }) {
  let cleanup = null;
  let seq = 0;

  async function route() {
    const hash = window.location.hash;
    if (hash && !hash.startsWith("#/")) return; // an in-page anchor, not a route
    const { parts, query } = parseHash(hash);
    let found = null;
    for (const [pattern, load] of routes) {
      const params = match(pattern, parts);
      if (params) {
        found = { load, params };
        break;
      }
    }
    const mine = ++seq;
    if (typeof cleanup === "function") cleanup();
    cleanup = null;
    if (!found) {
      main.replaceChildren(h("section", { class: "empty-state" },
        h("h1", { tabindex: "-1" }, "Page not found"),
        h("p", { class: "muted" }, "This link does not lead anywhere in the shop."),
        h("a", { class: "btn btn-primary", href: "#/" }, "Back to the shop")));
      document.title = `Not found · ${siteName}`;
      onRoute?.(null);
      return;
    }
    let page;
    try {
      page = (await found.load()).default;
    } catch {
      if (mine !== seq) return;
      main.replaceChildren(h("p", { class: "notice is-error", role: "alert" }, "This page could not be loaded. Check your connection and reload."));
      return;
    }
    if (mine !== seq) return; // another navigation started meanwhile
    main.replaceChildren();
    document.title = page.title ? `${typeof page.title === "function" ? page.title(found.params) : page.title} · ${siteName}` : siteName;
    onRoute?.(page);
    window.scrollTo(0, 0);
    // render is synchronous: it draws the page (loading states included) and returns its cleanup;
    // what it loads afterwards checks that the page is still shown before drawing.
    cleanup = page.render(main, { params: found.params, query }) || null;
    const heading = main.querySelector("h1");
    if (heading && (document.activeElement === document.body || !document.activeElement)) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  }

  window.addEventListener("hashchange", route);
  return { start: route, refresh: route };
}
