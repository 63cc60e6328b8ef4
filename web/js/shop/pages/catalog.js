// The catalog (`#/`, `#/?q=<search>`): the shop's products in name order, a page at a time
// (`GET /products`, the public view: price, description, availability), searchable by name or
// article number. The first page the shopper sees, so it is the one module loaded up front.

import { api } from "../../lib/api.js";
import { $, h, icon } from "../../lib/dom.js";
import { setButtonBusy } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { addToCart } from "../cart.js";
import { href } from "../router.js";
import { availability, availabilityBadge, cartErrorText, errorNotice, loading, money, productArt, shopName } from "../ui.js";

const PAGE = 24;
// The last listing shown, so coming back from a product page shows it again at once.
let kept = { q: null, items: [], cursor: null };

export function addButton(product, { label = "Add to cart", quantity = () => 1, className = "btn btn-primary" } = {}) {
  const out = availability(product).key === "out";
  const button = h("button", { type: "button", class: className, disabled: out, "aria-label": out ? null : `${label}: ${product.productName}` },
    icon("bag"), h("span", {}, out ? "Sold out" : label));
  button.addEventListener("click", async () => {
    if (button.disabled) return;
    setButtonBusy(button, true, "Adding…");
    try {
      const n = quantity();
      await addToCart(product.productId, n);
      toast(`Added ${n > 1 ? `${n} × ` : ""}${product.productName} to your cart.`);
    } catch (err) {
      toast(cartErrorText(err, product), "error");
    } finally {
      setButtonBusy(button, false);
    }
  });
  return button;
}

function card(product) {
  const link = href(`products/${product.productId}`);
  return h("li", { class: "product-card", dataset: { productId: product.productId } },
    // The picture repeats the name's link for the mouse only: one link per product for keyboards and screen readers.
    h("a", { class: "product-card-link", href: link, tabindex: "-1", "aria-hidden": "true" },
      productArt(product)),
    h("div", { class: "product-card-body" },
      h("h2", { class: "product-card-name" }, h("a", { href: link }, product.productName)),
      h("p", { class: "product-card-desc" }, product.description || ""),
      h("div", { class: "product-card-foot" },
        h("div", {}, h("p", { class: "price" }, money(product.priceCents)), availabilityBadge(product)),
        addButton(product, { label: "Add", className: "btn btn-secondary btn-sm" }))));
}

export default {
  title: () => shopName,
  render(main, { query }) {
    const q = (query.get("q") || "").trim();
    let alive = true;
    $("#search-q").value = q;
    const grid = h("ul", { class: "product-grid", "aria-label": "Products" });
    const status = h("div", { class: "catalog-status", "aria-live": "polite" });
    const more = h("button", { type: "button", class: "btn btn-secondary", hidden: true }, "Show more products");
    main.append(
      q ? h("div", { class: "page-title" }, h("div", {},
            h("h1", {}, `Results for “${q}”`),
            h("p", { class: "muted" }, h("a", { href: "#/" }, "Show all products"))))
        : h("section", { class: "hero" },
            h("div", {},
              h("h1", {}, "Good things for every room"),
              h("p", {}, "Solid furniture and everyday home goods, shipped from the warehouse nearest to you.")),
            h("ul", { class: "hero-points" },
              h("li", {}, icon("truck"), "Delivery in 3 days"),
              h("li", {}, icon("check"), "Free pick-up at our warehouses"),
              h("li", {}, icon("lock"), "Secure checkout"))),
      status, grid, h("div", { class: "catalog-more" }, more));

    let drawn = null;
    function show(items, cursor) {
      // The kept listing read again unchanged is not redrawn (a click on "Add" would be lost).
      const key = JSON.stringify([items, cursor]);
      if (key === drawn) return;
      drawn = key;
      grid.replaceChildren(...items.map(card));
      more.hidden = !cursor;
      if (items.length === 0) {
        status.replaceChildren(h("div", { class: "empty-state" },
          h("p", {}, h("strong", {}, q ? `Nothing matches “${q}”.` : "The shop has no products yet.")),
          h("p", { class: "muted" }, q ? "Try the first letters of a product's name, or its article number (e.g. 493.857.51)." : "Come back soon.")));
      } else {
        status.replaceChildren();
      }
    }

    async function load(cursor) {
      const page = await api.browseProducts({ q: q || undefined, limit: PAGE, cursor: cursor || undefined });
      return { items: (page && page.items) || [], cursor: (page && page.nextCursor) || null };
    }

    if (kept.q === q) show(kept.items, kept.cursor);
    else status.replaceChildren(loading("Loading products…"));
    load(null).then(({ items, cursor }) => {
      if (!alive) return;
      // Keep what "show more" had added when the first page is unchanged.
      const firstIds = items.map((p) => p.productId).join();
      const keptFirst = kept.q === q ? kept.items.slice(0, items.length).map((p) => p.productId).join() : null;
      if (firstIds !== keptFirst) kept = { q, items, cursor };
      else kept = { q, items: items.concat(kept.items.slice(items.length)), cursor: kept.items.length > items.length ? kept.cursor : cursor };
      show(kept.items, kept.cursor);
    }).catch((err) => {
      if (alive) status.replaceChildren(errorNotice(err, "The catalog could not be loaded."));
    });

    more.addEventListener("click", async () => {
      setButtonBusy(more, true, "Loading…");
      try {
        const { items, cursor } = await load(kept.cursor);
        if (!alive) return;
        const seen = new Set(kept.items.map((p) => p.productId));
        kept = { q, items: kept.items.concat(items.filter((p) => !seen.has(p.productId))), cursor };
        show(kept.items, kept.cursor);
      } catch (err) {
        toast(err.message, "error");
      } finally {
        setButtonBusy(more, false);
      }
    });
    return () => {
      alive = false;
    };
  },
};
