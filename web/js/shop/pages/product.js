// A product (`#/products/<id>`): drawing, name, article number, price, description, availability,
// and a quantity to add to the cart.

import { api, ApiError } from "../../lib/api.js";
import { h, icon } from "../../lib/dom.js";
import { addButton } from "./catalog.js";
import { availability, availabilityBadge, errorNotice, loading, money, productArt } from "../ui.js";

export default {
  title: "Product",
  render(main, { params }) {
    let alive = true;
    const back = h("a", { class: "back-link", href: "#/" }, icon("back"), "All products");
    const body = h("div", {}, loading("Loading the product…"));
    main.append(back, body);

    api.browseProduct(params.id).then((product) => {
      if (!alive) return;
      document.title = `${product.productName} · ${document.title.split(" · ").pop()}`;
      const a = availability(product);
      const max = a.key === "out" ? 1 : Math.max(1, Math.min(Number(product.available) || 1, 50));
      const qty = h("input", { id: "product-qty", type: "number", inputmode: "numeric", min: "1", max: String(max), step: "1", value: "1", disabled: a.key === "out" });
      const stepper = (delta, label) => h("button", {
        type: "button", class: "icon-btn", "aria-label": label, disabled: a.key === "out",
        onclick: () => {
          qty.value = String(Math.min(max, Math.max(1, (Number(qty.value) || 1) + delta)));
        },
      }, icon(delta > 0 ? "plus" : "minus"));
      const quantity = () => Math.max(1, Math.floor(Number(qty.value) || 1));
      body.replaceChildren(h("article", { class: "product-page" },
        productArt(product, "art-lg"),
        h("div", { class: "product-info" },
          h("p", { class: "article-no" }, `Article no. ${product.productId}`),
          h("h1", {}, product.productName),
          h("p", { class: "price price-lg" }, money(product.priceCents)),
          availabilityBadge(product),
          h("p", { class: "product-desc" }, product.description || "No description yet."),
          h("div", { class: "buy-row" },
            h("div", { class: "field qty-field" }, h("label", { for: "product-qty" }, "Quantity"),
              h("div", { class: "qty-stepper" }, stepper(-1, "One less"), qty, stepper(1, "One more"))),
            addButton(product, { quantity, className: "btn btn-primary btn-lg" })),
          h("ul", { class: "product-facts" },
            h("li", {}, icon("truck"), "Ships from the warehouse nearest to your ZIP code, in about 3 days."),
            h("li", {}, icon("check"), "Free self-service pick-up, or curbside and in-door delivery.")))));
    }).catch((err) => {
      if (!alive) return;
      body.replaceChildren(err instanceof ApiError && err.status === 404
        ? h("div", { class: "empty-state" }, h("h1", {}, "Product not found"),
            h("p", { class: "muted" }, "It may have been removed from the shop."), h("a", { class: "btn btn-primary", href: "#/" }, "Browse the shop"))
        : errorNotice(err, "The product could not be loaded."));
    });
    return () => {
      alive = false;
    };
  },
};
