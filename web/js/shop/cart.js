// The shopper's cart, kept on the server (`/carts`, docs/CONTRACTS.md) for everyone:
// - a guest's cart is found by its id, which this browser keeps in localStorage (the id is
//   unguessable, so it is the guest's key to the cart);
// - a signed-in customer's cart is `GET /me/cart`, the same on every device;
// - signing in merges the guest cart into the customer's (`POST /me/cart/merge`), then forgets
//   the guest id. A guest id still held while signed in (a merge that failed) is merged on the
//   next load, so no line is lost.
// Changes are serialized: a quick second click computes its quantity from the first one's answer.

import { api, ApiError } from "../lib/api.js";
import { getSession, isExpired } from "../lib/auth.js";

const LOCAL_KEY = "stockroom.cartId";
const events = new EventTarget();
let cart = null; // the API's Cart, or null while there is none
let loaded = false;
let chain = Promise.resolve();

const signedIn = () => {
  const session = getSession();
  return Boolean(session && !isExpired(session));
};

export function guestCartId() {
  try {
    return localStorage.getItem(LOCAL_KEY);
  } catch {
    return null;
  }
}

function setGuestCartId(id) {
  try {
    if (id) localStorage.setItem(LOCAL_KEY, id);
    else localStorage.removeItem(LOCAL_KEY);
  } catch {
    /* storage unavailable: the cart lives as long as the page */
  }
}

function serial(task) {
  const run = chain.then(task, task);
  chain = run.catch(() => {});
  return run;
}

function set(next) {
  cart = next;
  loaded = true;
  events.dispatchEvent(new Event("change"));
  return cart;
}

// The cart itself is gone (expired, or ordered from another tab): the 404 names `cartId`
// (an unknown product's names `productId` instead).
const isGone = (err) => err instanceof ApiError && err.status === 404 && "cartId" in err.body;

export const currentCart = () => cart;
export const cartLoaded = () => loaded;
export const cartCount = () => (cart ? cart.items.reduce((n, line) => n + (Number(line.quantity) || 0), 0) : 0);
export function onCartChange(listener) {
  events.addEventListener("change", listener);
  return () => events.removeEventListener("change", listener);
}

async function load() {
  if (signedIn()) {
    const guest = guestCartId();
    if (guest) {
      try {
        const merged = await api.mergeCart(guest);
        setGuestCartId(null);
        return set(merged);
      } catch (err) {
        if (!isGone(err)) throw err;
        setGuestCartId(null); // the guest cart expired or was already merged
      }
    }
    return set(await api.myCart());
  }
  const id = guestCartId();
  if (!id) return set(null);
  try {
    return set(await api.getCart(id));
  } catch (err) {
    if (!isGone(err)) throw err;
    setGuestCartId(null);
    return set(null);
  }
}

/** Read the cart again (page load, sign-in: a guest cart is merged into the customer's). */
export const loadCart = () => serial(load);

/** Run `change(cartId)` on the current cart; a cart that expired meanwhile is replaced once. */
async function change(apply, lines) {
  if (!cart && signedIn()) await load();
  if (!cart) {
    const created = await api.createCart(lines);
    if (!signedIn()) setGuestCartId(created.cartId);
    return set(created);
  }
  try {
    return set(await apply(cart.cartId));
  } catch (err) {
    if (!isGone(err)) throw err;
    cart = null;
    if (!signedIn()) setGuestCartId(null);
    return change(apply, lines);
  }
}

/** Add `quantity` of a product (the API answers 409 InsufficientStock beyond what is available). */
export const addToCart = (productId, quantity = 1) =>
  serial(() => {
    const line = cart && cart.items.find((l) => l.productId === productId);
    const target = (line ? Number(line.quantity) : 0) + quantity;
    return change((id) => api.setCartItem(id, productId, target), [{ productId, quantity: target }]);
  });

export const setQuantity = (productId, quantity) =>
  serial(() => (!cart && quantity <= 0 ? cart : change((id) => (quantity > 0 ? api.setCartItem(id, productId, quantity) : api.removeCartItem(id, productId)),
    quantity > 0 ? [{ productId, quantity }] : [])));

export const removeFromCart = (productId) => setQuantity(productId, 0);

/** After checkout: the order's transaction deleted the cart. */
export function orderPlaced() {
  return serial(async () => {
    if (!signedIn()) setGuestCartId(null);
    set(null);
  });
}

/** Signed out: the customer's cart stays theirs on the server; this browser starts a new one. */
export function forgetCart() {
  return serial(async () => set(null));
}
