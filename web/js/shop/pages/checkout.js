// Checkout (`#/checkout`): contact, delivery (method with cost and ETA, ZIP code, address), promo
// code, payment (test mode), and a live quote (`POST /checkout/quote`) that names the warehouse
// serving each line. Placing the order is `POST /orders` with an Idempotency-Key kept for retries
// of the same order, so a double click or a retry after a lost answer places one order.

import { api, ApiError, newIdempotencyKey } from "../../lib/api.js";
import { h, icon } from "../../lib/dom.js";
import { formatDay } from "../../lib/format.js";
import { clearErrors, clearFieldError, clearFieldErrorOnInput, setBusy, showClientError, showError } from "../../lib/forms.js";
import { cartLoaded, currentCart, loadCart, onCartChange, orderPlaced } from "../cart.js";
import { currentCustomer } from "../customer.js";
import { href, navigate } from "../router.js";
import { errorNotice, loading, money, pageHead, rememberOrderToken } from "../ui.js";
import { paymentSection } from "./payment.js";

const ZIP = /^\d{5}$/;
const QUOTE_DELAY_MS = 350;
const QUOTE_RETRY_DELAYS_MS = [500, 1500, 3000];

function field(id, label, input, hint) {
  input.id = input.id || id;
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input, hint ? h("p", { class: "hint" }, hint) : null);
}

const text = (name, attrs = {}) => h("input", { name, type: "text", ...attrs });

/** Is this failure worth repeating as it is: no answer, busy (429) or a server error? */
const transient = (err) => err instanceof ApiError && (err.status === 0 || err.status === 429 || err.status >= 500);

/** `POST /checkout/quote`, repeated after a transient failure (a quote changes nothing, so it is
 * safe) while `wanted()` holds: a customer should not have to retype a ZIP code because one request
 * met a restarting server or a dropped connection. */
async function quoteWithRetries(body, wanted) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api.quote(body);
    } catch (err) {
      if (!transient(err) || attempt >= QUOTE_RETRY_DELAYS_MS.length || !wanted()) throw err;
      await new Promise((resolve) => setTimeout(resolve, QUOTE_RETRY_DELAYS_MS[attempt]));
      if (!wanted()) throw err;
    }
  }
}

function costText(cents, currency) {
  return cents === 0 ? "Free" : money(cents, currency);
}

export default {
  title: "Checkout",
  render(main) {
    let alive = true;
    const body = h("div", {}, loading("Loading your cart…"));
    main.append(h("a", { class: "back-link", href: "#/cart" }, icon("back"), "Back to cart"), pageHead("Checkout"), body);

    // The form is drawn once: the cart arrives both as a change event (a load already under way,
    // e.g. the cart page's) and as this page's own load, and a second draw would wipe out what
    // the customer has typed meanwhile. Once drawn, a changed cart only refreshes the quote.
    let drawn = false;
    let cartChanged = null; // set by draw(): re-quote the cart as it is now
    const off = onCartChange(() => (drawn ? cartChanged?.() : start()));
    function start() {
      if (!alive || drawn) return;
      const cart = currentCart();
      if (!cartLoaded()) return;
      if (!cart || cart.items.length === 0) {
        body.replaceChildren(h("div", { class: "empty-state" }, h("p", {}, h("strong", {}, "Your cart is empty.")),
          h("p", { class: "muted" }, "Add something to your cart first."), h("a", { class: "btn btn-primary", href: "#/" }, "Browse the shop")));
        return;
      }
      drawn = true;
      api.listDeliveryMethods().then((methods) => {
        if (alive) draw(methods.items || []);
      }).catch((err) => {
        if (alive) body.replaceChildren(errorNotice(err, "Checkout could not be loaded."));
      });
    }
    loadCart().then(start, (err) => {
      if (alive) body.replaceChildren(errorNotice(err, "Your cart could not be loaded."));
    });

    // --- the form --------------------------------------------------------------------------------
    function draw(methods) {
      const customer = currentCustomer();
      const form = h("form", { class: "checkout", id: "checkout-form", novalidate: true, "aria-label": "Checkout" });
      const email = text("email", { type: "email", autocomplete: "email", inputmode: "email", spellcheck: "false", required: true });
      const contact = h("fieldset", { class: "checkout-section" }, h("legend", {}, h("span", { class: "step" }, "1"), "Contact"),
        customer
          ? h("p", { class: "signed-in-as" }, icon("check"), "Signed in as ", h("strong", {}, customer.email), ". We send the confirmation there.")
          : h("div", {}, field("checkout-email", "Email", email, "For the order confirmation and its status link."),
              h("p", { class: "muted small" }, "Have an account? ", h("a", { href: href("signin", { next: "checkout" }) }, "Sign in"),
                " to keep your orders together.")));

      const methodInputs = methods.map((m, i) => h("input", { type: "radio", name: "deliveryMethod", value: m.method, id: `method-${m.method}`, checked: i === 0 || null }));
      const delivery = h("fieldset", { class: "checkout-section" }, h("legend", {}, h("span", { class: "step" }, "2"), "Delivery"),
        h("div", { class: "methods", role: "radiogroup", "aria-label": "Delivery method" }, methods.map((m, i) =>
          h("label", { class: "method", for: `method-${m.method}` }, methodInputs[i],
            h("span", { class: "method-text" }, h("strong", {}, m.name), h("span", { class: "muted small" }, `Ready in ${m.etaDays} days`)),
            h("span", { class: "method-cost" }, costText(m.costCents))))),
        field("checkout-zip", "ZIP code", text("zip", { inputmode: "numeric", autocomplete: "postal-code", maxlength: "10", required: true, placeholder: "e.g. 94105" }),
          "We ship from the warehouse nearest to it."),
        h("div", { class: "address", id: "address-fields" },
          field("ship-name", "Full name", text("shippingAddress.name", { autocomplete: "name", required: true })),
          field("ship-line1", "Address", text("shippingAddress.line1", { autocomplete: "address-line1", required: true })),
          field("ship-line2", "Apartment, suite (optional)", text("shippingAddress.line2", { autocomplete: "address-line2" })),
          h("div", { class: "field-row" },
            field("ship-city", "City", text("shippingAddress.city", { autocomplete: "address-level2", required: true })),
            field("ship-country", "Country", text("shippingAddress.country", { value: "United States", readonly: true })))));

      const promoInput = text("promoCode", { autocomplete: "off", spellcheck: "false", placeholder: "e.g. WELCOME10" });
      const applyPromo = h("button", { type: "button", class: "btn btn-secondary" }, "Apply");
      const promoApplied = h("p", { class: "promo-applied", hidden: true });
      const promo = h("fieldset", { class: "checkout-section" }, h("legend", {}, h("span", { class: "step" }, "3"), "Promo code"),
        h("div", { class: "field" }, h("label", { for: "checkout-promo" }, "Promo code (optional)"),
          h("div", { class: "inline-input" }, Object.assign(promoInput, { id: "checkout-promo" }), applyPromo)), promoApplied);

      const payment = paymentSection(form);
      const formError = h("div", { class: "form-error", role: "alert", hidden: true });
      const placeButton = h("button", { type: "submit", class: "btn btn-primary btn-block btn-lg", id: "place-order", "data-busy-label": "Placing your order…" },
        icon("lock"), h("span", {}, "Place order"));
      const summary = h("div", { class: "summary-body", "aria-live": "polite" });
      const aside = h("aside", { class: "checkout-summary card-box", "aria-labelledby": "summary-title" },
        h("h2", { id: "summary-title" }, "Order summary"), summary, formError, placeButton,
        h("p", { class: "muted small center" }, "You can cancel until your order ships."));
      form.append(h("div", { class: "checkout-steps" }, contact, delivery, promo, payment.element), aside);
      body.replaceChildren(form);
      clearFieldErrorOnInput(form);

      // --- the live quote ------------------------------------------------------------------------
      let appliedPromo = "";
      let quote = null;
      let quoteSeq = 0;
      let quoteTimer = null;
      let quoteError = null;
      let orderKey = null; // Idempotency-Key of the order being placed (kept for a retry of the same order)

      const method = () => (methodInputs.find((i) => i.checked) || {}).value;
      const zip = () => form.elements.zip.value.trim();
      const methodInfo = () => methods.find((m) => m.method === method());

      function syncAddress() {
        // Self-service pick-up needs no address; the ZIP code still finds the nearest warehouse.
        form.querySelector("#address-fields").hidden = method() === "SELF_SERVICE";
      }

      function drawSummary() {
        const cart = currentCart();
        if (!cart) return;
        const q = quote;
        const currency = q ? q.currency : undefined;
        const lines = q ? q.lines : cart.items;
        const rows = lines.map((l) => h("li", { class: "sum-line" },
          h("div", {}, h("span", { class: "sum-name" }, `${l.quantity} × ${l.productName}`),
            l.warehouseId ? h("span", { class: "ships-from" }, icon("truck"), `Ships from ${l.warehouseName || l.warehouseId}`) : null),
          h("span", {}, money(l.lineTotalCents, currency))));
        const parts = [h("ul", { class: "sum-lines", id: "summary-lines" }, rows)];
        if (q && q.splitShipment) {
          const n = new Set(q.lines.map((l) => l.warehouseId)).size;
          parts.push(h("p", { class: "split-note" }, `No single warehouse has everything, so your order ships in ${n} parcels.`));
        }
        parts.push(h("div", { class: "sum-row" }, h("span", {}, "Subtotal"), h("span", {}, money(q ? q.subtotalCents : cart.subtotalCents, currency))));
        if (q && q.discountCents) {
          parts.push(h("div", { class: "sum-row discount" }, h("span", {}, `Discount (${q.promoCode})`), h("span", { id: "summary-discount" }, `−${money(q.discountCents, currency)}`)));
        }
        const info = methodInfo();
        parts.push(h("div", { class: "sum-row" }, h("span", {}, q ? q.deliveryMethodName : (info ? info.name : "Delivery")),
          h("span", {}, q ? costText(q.deliveryCents, currency) : info ? costText(info.costCents) : "—")));
        parts.push(h("div", { class: "sum-row sum-total" }, h("span", {}, "Total"),
          h("strong", { id: "summary-total" }, q ? money(q.totalCents, currency) : "—")));
        if (q) parts.push(h("p", { class: "eta" }, icon("truck"), "Estimated delivery ", h("strong", {}, formatDay(q.estimatedDelivery))));
        else if (quoteError) parts.push(quoteError);
        else parts.push(h("p", { class: "muted small" }, ZIP.test(zip()) ? "Working out delivery…" : "Enter your ZIP code to see delivery, the total and which warehouse ships each item."));
        summary.replaceChildren(...parts);
        placeButton.querySelector("span").textContent = q ? `Place order · ${money(q.totalCents, currency)}` : "Place order";
      }

      function requestBody() {
        const cart = currentCart();
        const b = { cartId: cart.cartId, zip: zip(), deliveryMethod: method() };
        if (appliedPromo) b.promoCode = appliedPromo;
        return b;
      }

      async function refreshQuote() {
        clearTimeout(quoteTimer);
        const mine = ++quoteSeq;
        if (!ZIP.test(zip()) || !currentCart()) {
          quote = null;
          quoteError = null;
          drawSummary();
          return;
        }
        try {
          const q = await quoteWithRetries(requestBody(), () => alive && mine === quoteSeq);
          if (!alive || mine !== quoteSeq) return;
          quote = q;
          quoteError = null;
          clearFieldError(form, "zip");
          if (appliedPromo) {
            clearFieldError(form, "promoCode");
            promoApplied.hidden = false;
            promoApplied.replaceChildren(icon("check"), `${q.promoCode} applied: you save ${money(q.discountCents, q.currency)}. `,
              h("button", { type: "button", class: "link-btn", onclick: () => setPromo("") }, "Remove"));
          }
        } catch (err) {
          if (!alive || mine !== quoteSeq) return;
          quote = null;
          quoteError = null;
          if (err instanceof ApiError && err.code === "PromoCodeInvalid") {
            setPromo("", false);
            showClientError(form, "promoCode", sentenceOf(err.message), { focus: false });
            return refreshQuote();
          }
          if (err instanceof ApiError && err.field === "zip") {
            showClientError(form, "zip", sentenceOf(err.message), { focus: false });
          } else if (err instanceof ApiError && err.code === "InsufficientStock") {
            quoteError = shortStock(err);
          } else if (err instanceof ApiError && err.status === 404 && "cartId" in err.body) {
            loadCart();
            quoteError = errorNotice(err, "Your cart changed.");
          } else {
            quoteError = h("div", {}, errorNotice(err, "The total could not be worked out."),
              h("button", { type: "button", class: "btn btn-secondary btn-sm", id: "quote-retry", onclick: () => refreshQuote() }, "Try again"));
          }
        }
        drawSummary();
      }

      function scheduleQuote() {
        clearTimeout(quoteTimer);
        quoteTimer = setTimeout(refreshQuote, QUOTE_DELAY_MS);
      }

      /** Apply a code (""): remove it and clear the field; `requote` false: refused, keep what was typed. */
      function setPromo(code, requote = true) {
        appliedPromo = code;
        promoApplied.hidden = true;
        if (!code && requote) promoInput.value = "";
        if (requote) refreshQuote();
      }

      applyPromo.addEventListener("click", () => {
        const code = promoInput.value.trim();
        clearFieldError(form, "promoCode");
        if (!code) {
          showClientError(form, "promoCode", "Enter a promo code.");
          return;
        }
        if (!ZIP.test(zip())) {
          showClientError(form, "zip", "Enter your 5-digit ZIP code first: the discount depends on the order's total.");
          return;
        }
        setPromo(code);
      });
      promoInput.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          applyPromo.click();
        }
      });
      form.elements.zip.addEventListener("input", () => {
        quote = null;
        drawSummary();
        scheduleQuote();
      });
      methodInputs.forEach((i) => i.addEventListener("change", () => {
        syncAddress();
        refreshQuote();
      }));
      // Anything changed makes a new order: the next "Place order" gets a new Idempotency-Key.
      form.addEventListener("input", () => {
        orderKey = null;
        formError.hidden = true;
      });

      // --- placing the order ---------------------------------------------------------------------
      function orderBody(token) {
        const b = { ...requestBody(), paymentToken: token };
        if (!customer) b.email = form.elements.email.value.trim();
        if (method() !== "SELF_SERVICE") {
          const value = (name) => form.elements[`shippingAddress.${name}`].value.trim();
          b.shippingAddress = { name: value("name"), line1: value("line1"), city: value("city"), zip: zip(), country: "US" };
          if (value("line2")) b.shippingAddress.line2 = value("line2");
        }
        return b;
      }

      function checkRequired() {
        const missing = [];
        if (!customer && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.elements.email.value.trim())) missing.push(["email", "Enter your email address, e.g. name@example.com."]);
        if (!ZIP.test(zip())) missing.push(["zip", "Enter your 5-digit ZIP code."]);
        if (method() !== "SELF_SERVICE") {
          for (const [name, label] of [["name", "your full name"], ["line1", "the street address"], ["city", "the city"]]) {
            if (!form.elements[`shippingAddress.${name}`].value.trim()) missing.push([`shippingAddress.${name}`, `Enter ${label}.`]);
          }
        }
        missing.reverse().forEach(([name, message]) => showClientError(form, name, message));
        return missing.length === 0;
      }

      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (form.dataset.busy) return; // one order per click, however many clicks
        clearErrors(form);
        if (!checkRequired()) return;
        setBusy(form, true);
        try {
          const paying = await payment.read();
          if (!paying) return;
          const bodyToSend = orderBody(paying.token);
          if (!orderKey) orderKey = newIdempotencyKey();
          const order = await api.placeOrder(bodyToSend, orderKey);
          orderKey = null;
          rememberOrderToken(order.orderId, order.orderToken);
          await orderPlaced();
          navigate(`confirmation/${order.orderId}`, { token: order.orderToken });
        } catch (err) {
          // The API answered (other than "busy"): that order was refused, the next attempt is new.
          if (err instanceof ApiError && err.status !== 0 && err.status !== 429 && err.status < 500) orderKey = null;
          if (err instanceof ApiError && err.code === "PromoCodeInvalid") {
            setPromo("", false);
            showClientError(form, "promoCode", sentenceOf(err.message), { focus: false });
            refreshQuote();
          }
          if (err instanceof ApiError && err.code === "InsufficientStock") {
            loadCart();
            refreshQuote();
          }
          showError(form, err, { title: "Your order was not placed." });
        } finally {
          if (alive) setBusy(form, false);
        }
      });

      syncAddress();
      drawSummary();
      cartChanged = () => {
        if (alive) refreshQuote();
      };
    }

    function shortStock(err) {
      const lines = Array.isArray(err.body.lines) ? err.body.lines : [];
      const names = new Map((currentCart() ? currentCart().items : []).map((i) => [i.productId, i.productName]));
      return h("div", { class: "notice is-error", role: "alert" }, h("strong", {}, "Not enough stock. "),
        lines.map((l) => `${names.get(l.productId) || l.productId}: ${l.available} available, ${l.requested} in your cart. `),
        h("a", { href: "#/cart" }, "Change your cart"));
    }

    return () => {
      alive = false;
      off();
    };
  },
};

function sentenceOf(message) {
  const t = String(message || "").replace(/^[\w.[\]]+: /, "").trim();
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
