// The cart (`#/cart`): lines priced by the API from the catalog, quantities, removal, subtotal,
// and the way to checkout. A line asking for more than is available says so.

import { h, icon } from "../../lib/dom.js";
import { toast } from "../../lib/toast.js";
import { cartLoaded, currentCart, loadCart, onCartChange, removeFromCart, setQuantity } from "../cart.js";
import { currentCustomer } from "../customer.js";
import { href } from "../router.js";
import { cartErrorText, errorNotice, loading, money, pageHead, productArt } from "../ui.js";

function line(item, busy) {
  const short = Number(item.available) < Number(item.quantity);
  const qtyId = `qty-${item.productId}`;
  const qty = h("input", { id: qtyId, type: "number", inputmode: "numeric", min: "0", step: "1", value: String(item.quantity), class: "qty-input" });
  const apply = (n) => busy(() => setQuantity(item.productId, n), item);
  qty.addEventListener("change", () => {
    const n = Math.floor(Number(qty.value));
    if (Number.isFinite(n) && n >= 0) apply(n);
    else qty.value = String(item.quantity);
  });
  return h("li", { class: "cart-line", dataset: { productId: item.productId } },
    h("a", { href: href(`products/${item.productId}`), tabindex: "-1", "aria-hidden": "true" }, productArt(item, "art-sm")),
    h("div", { class: "cart-line-info" },
      h("a", { class: "cart-line-name", href: href(`products/${item.productId}`) }, item.productName),
      h("p", { class: "muted small" }, `${money(item.unitPriceCents)} each · Art. ${item.productId}`),
      short ? h("p", { class: "line-warn" }, icon("alert"),
        Number(item.available) > 0 ? `Only ${item.available} available now: lower the quantity to check out.` : "Sold out: remove it to check out.") : null),
    h("div", { class: "cart-line-qty" },
      h("label", { class: "visually-hidden", for: qtyId }, `Quantity of ${item.productName}`),
      h("div", { class: "qty-stepper" },
        h("button", { type: "button", class: "icon-btn", "aria-label": `One less ${item.productName}`, onclick: () => apply(Number(item.quantity) - 1) }, icon("minus")),
        qty,
        h("button", { type: "button", class: "icon-btn", "aria-label": `One more ${item.productName}`, onclick: () => apply(Number(item.quantity) + 1) }, icon("plus")))),
    h("p", { class: "cart-line-total" }, money(item.lineTotalCents)),
    h("button", { type: "button", class: "icon-btn danger", "aria-label": `Remove ${item.productName}`, title: "Remove",
      onclick: () => busy(() => removeFromCart(item.productId), item) }, icon("x")));
}

export default {
  title: "Your cart",
  render(main) {
    const body = h("div", { class: "cart-page" });
    main.append(pageHead("Your cart"), body);
    let working = false;

    async function busy(task, item) {
      if (working) return;
      working = true;
      body.setAttribute("aria-busy", "true");
      try {
        await task();
      } catch (err) {
        toast(cartErrorText(err, item), "error");
        drawn = null;
        render();
      } finally {
        working = false;
        body.removeAttribute("aria-busy");
      }
    }

    let drawn = null;
    function render() {
      // The same cart read again (page load, another tab) is not redrawn: a click landing while
      // the page is replaced would be lost.
      const key = cartLoaded() ? JSON.stringify(currentCart()) : null;
      if (key !== null && key === drawn) return;
      drawn = key;
      // Redrawn on every change: keep the keyboard where it was (the same control, by its label).
      const focused = body.contains(document.activeElement) ? document.activeElement.getAttribute("aria-label") : null;
      draw();
      if (focused) body.querySelector(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
    }

    function draw() {
      const cart = currentCart();
      if (!cartLoaded()) {
        body.replaceChildren(loading("Loading your cart…"));
        return;
      }
      if (!cart || cart.items.length === 0) {
        body.replaceChildren(h("div", { class: "empty-state" }, h("span", { class: "empty-icon" }, icon("bag")),
          h("p", {}, h("strong", {}, "Your cart is empty.")),
          h("p", { class: "muted" }, currentCustomer() ? "Anything you add is kept with your account, on every device." : "Anything you add is kept on this device; sign in to keep it with your account."),
          h("a", { class: "btn btn-primary", href: "#/" }, "Browse the shop")));
        return;
      }
      const blocked = cart.items.some((i) => Number(i.available) < Number(i.quantity));
      body.replaceChildren(
        h("ul", { class: "cart-lines", "aria-label": "Items in your cart" }, cart.items.map((item) => line(item, busy))),
        h("aside", { class: "cart-summary card-box", "aria-label": "Cart total" },
          h("div", { class: "sum-row sum-total" }, h("span", {}, "Subtotal"), h("strong", { id: "cart-subtotal" }, money(cart.subtotalCents))),
          h("p", { class: "muted small" }, "Delivery and any promo code are worked out at checkout, from your ZIP code."),
          blocked
            ? h("button", { type: "button", class: "btn btn-primary btn-block btn-lg", disabled: true }, "Checkout")
            : h("a", { class: "btn btn-primary btn-block btn-lg", href: "#/checkout" }, icon("lock"), "Checkout"),
          h("a", { class: "btn btn-ghost btn-block", href: "#/" }, "Continue shopping")));
    }

    const off = onCartChange(render);
    render();
    loadCart().catch((err) => body.replaceChildren(errorNotice(err, "Your cart could not be loaded.")));
    return off;
  },
};
