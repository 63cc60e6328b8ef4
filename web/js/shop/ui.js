// The storefront's shared pieces: prices in the shop's currency, availability, product drawings,
// order statuses in words, and small building blocks every page uses.

import { api } from "../lib/api.js";
import { config } from "../lib/config.js";
import { h, icon } from "../lib/dom.js";
import { formatMoney } from "../lib/format.js";

export const shopName = config.shopName || "Shop";

/** Amounts are integer minor units; the currency is the API's (`currency` of a quote or an order)
 * or the shop's own (config.js, the deployment's SHOP_CURRENCY). */
export const money = (cents, currency) => formatMoney(cents, currency || config.currency);

/** What a shopper reads about stock (the public view's `availability` and capped `available`). */
export function availability(product) {
  const n = Number(product.available) || 0;
  if (product.availability === "OUT_OF_STOCK" || n <= 0) return { key: "out", text: "Out of stock" };
  if (product.availability === "LOW") return { key: "low", text: `Only ${n} left` };
  return { key: "ok", text: "In stock" };
}

export function availabilityBadge(product) {
  const a = availability(product);
  return h("span", { class: `stock stock-${a.key}` }, h("span", { class: "stock-dot", "aria-hidden": "true" }), a.text);
}

// A drawing per kind of product, picked from its name; tints vary by product so a grid of
// similar things still looks like a shop shelf.
const ART = [
  [/book|shelf|shelv|cabinet|wardrobe/i, "shelf"],
  [/lamp|light|lantern/i, "lamp"],
  [/armchair|sofa|couch/i, "armchair"],
  [/chair|stool|bench/i, "chair"],
  [/box|basket|storage|crate|bin/i, "box"],
  [/mirror|frame/i, "mirror"],
  [/rug|carpet|mat\b|blanket|throw|napkin|towel|linen/i, "rug"],
  [/pot|plant|vase|planter/i, "plant"],
  [/mug|cup|glass|bowl|plate/i, "mug"],
  [/candle/i, "candle"],
  [/table|desk|tray|board/i, "table"],
  [/pan|skillet|kettle|knife|kitchen/i, "kitchen"],
];
const TINTS = 6;

function hash(text) {
  let n = 0;
  for (const ch of String(text)) n = (n * 31 + ch.codePointAt(0)) >>> 0;
  return n;
}

export function productArt(product, size = "") {
  const kind = (ART.find(([re]) => re.test(product.productName || "")) || [null, "item"])[1];
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 64 64");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(ns, "use");
  use.setAttribute("href", `#a-${kind}`);
  svg.append(use);
  return h("div", { class: `art art-${hash(product.productId) % TINTS} ${size}` }, svg);
}

/** Order statuses in the customer's words (the workflow's statuses included). */
export const STATUS = {
  PLACED: { label: "Placed", tone: "info", text: "We have your order and reserved its items. Payment is being processed." },
  PAID: { label: "Paid", tone: "info", text: "Your payment went through. We are confirming your order." },
  CONFIRMED: { label: "Confirmed", tone: "ok", text: "Your order is confirmed and being prepared." },
  SHIPPED: { label: "Shipped", tone: "ok", text: "Your order is on its way." },
  DELIVERED: { label: "Delivered", tone: "ok", text: "Your order was delivered. Enjoy!" },
  PAYMENT_FAILED: { label: "Payment failed", tone: "bad", text: "We could not take the payment, so the order was not completed and nothing was charged." },
  CANCELLED: { label: "Cancelled", tone: "muted", text: "This order was cancelled. Anything charged is refunded." },
  FULFILLED: { label: "Fulfilled", tone: "ok", text: "This order was fulfilled in the shop." },
};
export const statusInfo = (status) => STATUS[status] || { label: String(status || "Unknown"), tone: "info", text: "" };

export function statusBadge(status) {
  const info = statusInfo(status);
  return h("span", { class: `status status-${info.tone}` }, info.label);
}

let warehouseNames = null;
/** Warehouse id -> name (public `GET /warehouses`), read once per page load. */
export function warehouseName(id) {
  if (!warehouseNames) {
    warehouseNames = api.listWarehouses()
      .then((r) => new Map((r.items || []).map((w) => [w.warehouseId, w.name])))
      .catch(() => {
        warehouseNames = null;
        return new Map();
      });
  }
  return warehouseNames.then((names) => names.get(id) || id);
}

export function pageHead(title, sub, ...actions) {
  return h("div", { class: "page-title" },
    h("div", {}, h("h1", {}, title), sub ? h("p", { class: "muted" }, sub) : null),
    actions.length ? h("div", { class: "page-title-actions" }, ...actions) : null);
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/** An API or network error as a sentence the shopper can act on. */
export function errorNotice(err, prefix) {
  const message = (err && err.message) || "Something went wrong.";
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return h("div", { class: "notice is-error", role: "alert" }, icon("alert"), " ",
    prefix ? h("strong", {}, `${prefix} `) : null, /[.!?]$/.test(text) ? text : `${text}.`);
}

/** Ask before something that cannot be undone; resolves true when confirmed. */
export function confirmAction(title, text, yes = "Confirm") {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-yes").textContent = yes;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

/** The order tokens this browser was given at checkout (a guest's key to their orders). */
const TOKENS_KEY = "stockroom.orderTokens";
export function rememberOrderToken(orderId, token) {
  try {
    const kept = JSON.parse(localStorage.getItem(TOKENS_KEY) || "{}");
    kept[orderId] = token;
    const ids = Object.keys(kept);
    for (const old of ids.slice(0, Math.max(0, ids.length - 20))) delete kept[old];
    localStorage.setItem(TOKENS_KEY, JSON.stringify(kept));
  } catch {
    /* storage unavailable: the link carries the token anyway */
  }
}
export function orderTokenFor(orderId) {
  try {
    return JSON.parse(localStorage.getItem(TOKENS_KEY) || "{}")[orderId] || null;
  } catch {
    return null;
  }
}

/** The API's refusal in the shopper's words: a shortage names the product, not its id. */
export function cartErrorText(err, item) {
  if (err && err.code === "InsufficientStock" && item && err.available !== null) {
    return err.available > 0
      ? `Only ${err.available} ${item.productName} available right now.`
      : `${item.productName} is sold out right now.`;
  }
  return (err && err.message) || "Your cart could not be changed.";
}
