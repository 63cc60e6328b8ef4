// A tiny hash router for the admin console: `#/<page id>[/<rest>]` shows one page at a time.
//
// A page is a module whose default export is
//   { id, title, mount(section, params)?, show(params)?, hide()?, reset()? }
// - `id` is its route (`#/warehouses`), `title` its nav label and document title;
// - `mount` runs once, the first time the page is shown, with its `<section data-page="<id>">`
//   (taken from the HTML when the page's markup lives there, created empty otherwise);
// - `show` runs each time it becomes the current page (load data, start timers), with the route's
//   rest split on "/" (`#/orders/abc` -> ["abc"]); `hide` when another page replaces it or the
//   admin signs out (stop timers); `reset` on sign-out (forget what was loaded as that user).
// Adding a page is writing its module and listing it in pages.js.

import { h } from "../lib/dom.js";

export function createRouter({ pages, nav, container, siteName = "Stockroom" }) {
  let current = null;
  let active = false;
  const mounted = new Set();

  function parse(hash) {
    const [id, ...params] = String(hash || "").replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    const page = pages.find((p) => p.id === id) || pages[0];
    return { page, params: page.id === id ? params.filter(Boolean) : [] };
  }

  function sectionFor(page) {
    let section = container.querySelector(`[data-page="${page.id}"]`);
    if (!section) {
      section = h("section", { class: "admin-page", dataset: { page: page.id }, hidden: true });
      container.append(section);
    }
    return section;
  }

  function renderNav() {
    nav.replaceChildren(...pages.map((p) => h("a", { href: `#/${p.id}`, "aria-current": p === current ? "page" : null }, p.title)));
  }

  function route() {
    if (!active) return;
    const { page, params } = parse(window.location.hash);
    if (page !== current) {
      if (current) {
        current.hide?.();
        sectionFor(current).hidden = true;
      }
      current = page;
      const section = sectionFor(page);
      if (!mounted.has(page)) {
        mounted.add(page);
        page.mount?.(section, params);
      }
      section.hidden = false;
    }
    document.title = `${page.title} · ${siteName}`;
    renderNav();
    page.show?.(params);
  }

  window.addEventListener("hashchange", route);

  return {
    /** Show the page the URL names (the first page when it names none). */
    start() {
      active = true;
      current = null;
      route();
    },
    /** Hide the current page (signing out). */
    stop() {
      active = false;
      if (current) {
        current.hide?.();
        sectionFor(current).hidden = true;
      }
      current = null;
    },
    /** Every page forgets its data (signing out). */
    reset() {
      pages.forEach((p) => p.reset?.());
    },
    get current() {
      return current;
    },
  };
}
