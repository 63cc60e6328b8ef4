// Shared bits of the back-office pages (reports, reorder, import, API keys): a page head, a card,
// a table from rows, an inline error. Untrusted text only goes through textContent (dom.js `h`).

import { h } from "../../lib/dom.js";

export function pageHead(title, subtitle, ...actions) {
  return h(
    "div",
    { class: "page-head" },
    h("div", {}, h("h1", {}, title), subtitle ? h("p", { class: "muted" }, subtitle) : null),
    h("div", { class: "page-actions" }, ...actions),
  );
}

export function card(title, id, ...body) {
  return h(
    "section",
    { class: "card bo-card", "aria-labelledby": `${id}-title` },
    h("div", { class: "card-head" }, h("h2", { id: `${id}-title` }, title)),
    h("div", { class: "card-body" }, ...body),
  );
}

/** A table: columns [{label, num?}], rows of cells (text or nodes). `empty` shown when no rows. */
export function table(caption, columns, rows, empty = "Nothing yet.") {
  if (!rows.length) return h("p", { class: "muted bo-empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "bo-table" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
      h(
        "tbody",
        {},
        ...rows.map((cells) => h("tr", {}, ...cells.map((cell, i) => h("td", { class: columns[i]?.num ? "num" : null }, cell)))),
      ),
    ),
  );
}

export function errorNotice(err) {
  return h("div", { class: "notice notice-warn", role: "alert" }, err?.message || String(err));
}

export function tile(label, value, id) {
  return h("div", { class: "tile" }, h("div", {}, h("p", { class: "tile-label" }, label), h("p", { class: "tile-value", id }, value)));
}
