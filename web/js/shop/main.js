// The storefront's shell: header (search, account, cart count), the router that shows one page of
// the shop at a time, and the session/cart wiring. Pages live in ./pages/, one module each; only
// the catalog is loaded up front.

import { $ } from "../lib/dom.js";
import { toast } from "../lib/toast.js";
import { cartCount, loadCart, onCartChange } from "./cart.js";
import { currentCustomer, customerIsAdmin, onCustomerChange } from "./customer.js";
import catalog from "./pages/catalog.js";
import { createRouter, navigate, parseHash } from "./router.js";
import { shopName } from "./ui.js";

const lazy = (load, name) => () => load().then((m) => ({ default: m[name] || m.default }));
const auth = () => import("./pages/auth.js");
const order = () => import("./pages/order.js");

const ROUTES = [
  ["", () => Promise.resolve({ default: catalog })],
  ["products/:id", () => import("./pages/product.js")],
  ["cart", () => import("./pages/cart.js")],
  ["checkout", () => import("./pages/checkout.js")],
  ["confirmation/:id", lazy(order, "confirmation")],
  ["orders/:id", lazy(order, "status")],
  ["account", () => import("./pages/account.js")],
  ["signin", lazy(auth, "signin")],
  ["signup", lazy(auth, "signup")],
  ["verify", lazy(auth, "verify")],
  ["forgot", lazy(auth, "forgot")],
];

document.title = shopName;
$("#shop-name").textContent = shopName;
$("#foot-name").textContent = shopName;

function renderCartLink() {
  const n = cartCount();
  const badge = $("#cart-count");
  badge.textContent = String(n);
  badge.hidden = n === 0;
  $("#cart-link").setAttribute("aria-label", n ? `Cart, ${n} item${n === 1 ? "" : "s"}` : "Cart, empty");
}

function renderAccountLink() {
  const customer = currentCustomer();
  const link = $("#account-link");
  link.href = customer ? "#/account" : "#/signin";
  $("#account-label").textContent = customer ? "Account" : "Sign in";
  link.title = customer ? `Signed in as ${customer.email}` : "";
  $("#admin-link").hidden = !customerIsAdmin();
}

function markCurrent() {
  const { parts } = parseHash(window.location.hash);
  const where = parts[0] || "";
  $("#cart-link").toggleAttribute("aria-current", where === "cart");
  $("#account-link").toggleAttribute("aria-current", ["account", "signin", "signup", "verify", "forgot"].includes(where));
  if (where !== "") $("#search-q").value = "";
}

$("#search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = $("#search-q").value.trim();
  navigate("", q ? { q } : {});
});

const router = createRouter({ routes: ROUTES, main: $("#main"), siteName: shopName, onRoute: markCurrent });

onCartChange(renderCartLink);
onCustomerChange((event) => {
  renderAccountLink();
  if (event.detail.reason === "expired") {
    toast("Your session has expired, so you are shopping as a guest now. Sign in again to see your account.", "error");
  }
});

renderAccountLink();
renderCartLink();
router.start();
loadCart().catch((err) => toast(`Your cart could not be loaded: ${err.message}`, "error"));
