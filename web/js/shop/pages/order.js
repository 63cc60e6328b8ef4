// An order as its customer sees it: the confirmation right after checkout
// (`#/confirmation/<id>?token=`) and the status page (`#/orders/<id>?token=`, the link the
// confirmation e-mail carries, chalicelib/shop/links.py). A guest's key is the order token (in the
// link, or kept by this browser at checkout); a signed-in owner needs none. The page shows the
// status history as the workflow writes it (PLACED, PAID, CONFIRMED, SHIPPED, ...), re-reads it
// while the order is still moving, and offers the receipt once the workflow stored it
// (`receiptAvailable`; `GET /orders/{id}/receipt` redirects to a short-lived link).

import { api, ApiError, apiUrl } from "../../lib/api.js";
import { h, icon } from "../../lib/dom.js";
import { formatDateTime, formatDay } from "../../lib/format.js";
import { toast } from "../../lib/toast.js";
import { href } from "../router.js";
import { confirmAction, errorNotice, loading, money, orderTokenFor, statusBadge, statusInfo, warehouseName } from "../ui.js";

const POLL_MS = 3000;
// Statuses the workflow moves on from by itself: the page reads the order again meanwhile.
const MOVING = new Set(["PLACED", "PAID"]);
const METHOD_NAMES = { SELF_SERVICE: "Self-service pick-up", CURBSIDE: "Curbside delivery", IN_DOOR: "In-door delivery" };

function receiptLink(order, token) {
  const q = token ? `?token=${encodeURIComponent(token)}` : "";
  return h("a", { class: "btn btn-secondary btn-block", id: "receipt-link", href: apiUrl(`/orders/${encodeURIComponent(order.orderId)}/receipt${q}`), target: "_blank", rel: "noopener" },
    "Download receipt (PDF)");
}

const sentence = (text) => {
  const t = String(text || "").trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

function history(order) {
  const steps = (order.statusHistory || []).slice();
  return h("ol", { class: "timeline", id: "status-history", "aria-label": "Status history" },
    steps.map((s) => h("li", {}, h("strong", {}, statusInfo(s.status).label), h("time", { datetime: s.at }, formatDateTime(s.at)))));
}

function lines(order) {
  const list = h("ul", { class: "order-lines", id: "order-lines" });
  for (const l of order.lines || []) {
    const from = h("span", { class: "ships-from" }, icon("truck"), "Ships from …");
    if (l.warehouseId) warehouseName(l.warehouseId).then((name) => { from.lastChild.textContent = `Ships from ${name}`; });
    else from.remove();
    list.append(h("li", {}, h("div", {}, h("span", {}, `${l.quantity} × ${l.productName}`), from), h("span", {}, money(l.lineTotalCents, order.currency))));
  }
  return list;
}

function totals(order) {
  const c = order.currency;
  return h("div", { class: "order-totals" },
    h("div", { class: "sum-row" }, h("span", {}, "Subtotal"), h("span", {}, money(order.subtotalCents, c))),
    order.discountCents ? h("div", { class: "sum-row discount" }, h("span", {}, `Discount (${order.promoCode})`), h("span", {}, `−${money(order.discountCents, c)}`)) : null,
    h("div", { class: "sum-row" }, h("span", {}, METHOD_NAMES[order.deliveryMethod] || order.deliveryMethod || "Delivery"),
      h("span", {}, order.deliveryCents ? money(order.deliveryCents, c) : "Free")),
    h("div", { class: "sum-row sum-total" }, h("span", {}, "Total"), h("strong", { id: "order-total" }, money(order.totalCents, c))));
}

function address(order) {
  const a = order.shippingAddress;
  if (!a) return h("p", {}, "Pick up at the warehouse named above.");
  return h("p", {}, a.name, h("br"), a.line1, a.line2 ? [h("br"), a.line2] : null, h("br"), `${a.city} ${a.zip || ""}`);
}

function render(main, { params, query }, confirmation) {
  const orderId = params.id;
  const token = query.get("token") || orderTokenFor(orderId);
  let alive = true;
  let timer = null;
  const body = h("div", {}, loading("Loading your order…"));
  main.append(body);

  function draw(order) {
    const info = statusInfo(order.status);
    const statusLink = href(`orders/${order.orderId}`, { token });
    const cancel = order.cancellable
      ? h("button", { type: "button", class: "btn btn-secondary btn-block", id: "cancel-order" }, "Cancel order")
      : null;
    const head = confirmation
      ? h("div", { class: "order-banner" }, h("span", { class: "empty-icon" }, icon("check")),
          h("div", {}, h("h1", {}, "Thank you! Your order is placed."),
            h("p", {}, `Order ${order.orderId}. We sent the confirmation to ${order.email}.`),
            h("p", { class: "small" }, "Follow it any time at ", h("a", { href: statusLink, id: "status-link" }, "its status page"),
              token ? " (keep the link: it is your key to this order)." : ".")))
      : h("div", { class: "page-title" }, h("div", {}, h("h1", {}, `Order ${order.orderId}`),
          h("p", { class: "muted" }, `Placed ${formatDateTime(order.createdAt)}`)));
    body.replaceChildren(head, h("div", { class: "order-page" },
      h("div", { class: "order-main" },
        h("section", { class: "card-box", "aria-labelledby": "status-title" },
          h("h2", { id: "status-title" }, "Status ", h("span", { id: "order-status" }, statusBadge(order.status))),
          info.text ? h("p", { class: "muted", style: "margin-bottom:14px" }, info.text) : null,
          order.status === "PAYMENT_FAILED" && order.paymentFailure
            ? h("p", { class: "notice is-error", role: "alert", style: "margin-bottom:14px" }, icon("alert"), " ", sentence(order.paymentFailure)) : null,
          history(order)),
        h("section", { class: "card-box", "aria-labelledby": "items-title" }, h("h2", { id: "items-title" }, "Items"), lines(order), totals(order))),
      h("aside", { class: "order-side" },
        h("section", { class: "card-box" }, h("h2", {}, "Delivery"),
          h("dl", { class: "kv" },
            h("dt", {}, "Method"), h("dd", {}, METHOD_NAMES[order.deliveryMethod] || order.deliveryMethod),
            h("dt", {}, "Estimated"), h("dd", { id: "order-eta" }, formatDay(order.estimatedDelivery)),
            h("dt", {}, "Email"), h("dd", {}, order.email),
            order.paymentCard ? [h("dt", {}, "Paid with"), h("dd", { id: "order-card" }, order.paymentCard)] : null,
            order.shipment ? [h("dt", {}, "Tracking"), h("dd", { id: "order-tracking" },
              order.shipment.trackingUrl ? h("a", { href: order.shipment.trackingUrl, rel: "noopener noreferrer", target: "_blank" },
                `${order.shipment.carrier || ""} ${order.shipment.trackingNumber || ""}`.trim())
                : `${order.shipment.carrier || ""} ${order.shipment.trackingNumber || ""}`.trim())] : null,
            order.refundedCents ? [h("dt", {}, "Refunded"), h("dd", {}, money(order.refundedCents, order.currency))] : null),
          h("div", { style: "margin-top:12px" }, address(order))),
        h("div", { class: "receipt-slot", id: "receipt-slot" }, order.receiptAvailable ? receiptLink(order, token) : null),
        cancel ? h("div", {}, cancel, h("p", { class: "muted small center", style: "margin-top:6px" },
          order.status === "PLACED" ? "Nothing has been charged yet." : "Possible until it ships; the payment is refunded.")) : null,
        h("a", { class: "btn btn-ghost btn-block", href: "#/" }, "Continue shopping"))));
    cancel?.addEventListener("click", async () => {
      if (!(await confirmAction("Cancel this order?", "Its items go back on the shelf and nothing is charged.", "Cancel order"))) return;
      cancel.disabled = true;
      try {
        draw(await api.cancelOrder(order.orderId, token));
        toast("Your order is cancelled.");
      } catch (err) {
        cancel.disabled = false;
        toast(err.message, "error");
      }
    });
    clearTimeout(timer);
    // Still moving, or confirmed with the receipt about to be stored: read it again shortly.
    if (MOVING.has(order.status) || (order.status === "CONFIRMED" && !order.receiptAvailable)) timer = setTimeout(load, POLL_MS);
  }

  function load() {
    api.getOrder(orderId, token).then((order) => {
      if (alive) draw(order);
    }).catch((err) => {
      if (!alive) return;
      if (err instanceof ApiError && err.status === 404) {
        body.replaceChildren(h("div", { class: "empty-state" }, h("h1", {}, "Order not found"),
          h("p", { class: "muted" }, token ? "This link does not match an order. Check that you opened the whole link from your email."
            : "Open the link from your confirmation email, or sign in with the account that placed the order."),
          h("a", { class: "btn btn-primary", href: href("signin", { next: `orders/${orderId}` }) }, "Sign in")));
      } else {
        body.replaceChildren(errorNotice(err, "Your order could not be loaded."));
      }
    });
  }
  load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

export const confirmation = { title: "Order placed", render: (main, ctx) => render(main, ctx, true) };
export const status = { title: "Your order", render: (main, ctx) => render(main, ctx, false) };
