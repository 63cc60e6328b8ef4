// Orders (`#/orders`, one business day at a time, filtered by status; any order found by its number,
// every order of a customer by their e-mail address)
// and an order's page
// (`#/orders/<orderId>`, the link chalicelib/shop/links.py writes into e-mails): lines with the
// warehouse serving each, totals, delivery, payment, customer, status history; cancel while it can
// be; mark a confirmed order shipped (carrier, tracking) and a shipped one delivered (the workflow's
// `POST /orders/{id}/ship|deliver`, which e-mail the customer).

import { api } from "../lib/api.js";
import { h, icon } from "../lib/dom.js";
import { formatDateTime, formatMoney } from "../lib/format.js";
import { setButtonBusy } from "../lib/forms.js";
import { toast } from "../lib/toast.js";
import { badge, button, confirmDialog, errorText, formDialog, pageHead, tableCard } from "./kit.js";
import { ensureSession } from "./session.js";

const STATUSES = ["PLACED", "PAID", "CONFIRMED", "SHIPPED", "DELIVERED", "PAYMENT_FAILED", "CANCELLED", "FULFILLED"];
const TONE = { PLACED: "low", PAID: "low", CONFIRMED: "ok", SHIPPED: "ok", DELIVERED: "ok", FULFILLED: "ok", PAYMENT_FAILED: "out", CANCELLED: "out" };
const words = (s) => String(s || "").charAt(0) + String(s || "").slice(1).toLowerCase().replace(/_/g, " ");
const statusBadge = (s) => badge(words(s), TONE[s] || "low");

let listView = null;
let detailView = null;
let table = null;
let dayInput = null;
let statusSelect = null;
let more = null;
let cursor = null;
let confirm = null;
let shipDialog = null;
let warehouseNames = new Map();
let emailFilter = null; // the customer's address being looked at instead of a day
let emailNote = null;
let setEmailFilter = () => {};

function row(o) {
  const count = (o.lines || []).reduce((n, l) => n + l.quantity, 0);
  return h("tr", { dataset: { orderId: o.orderId } },
    h("td", {}, h("a", { href: `#/orders/${encodeURIComponent(o.orderId)}`, class: "mono" }, o.orderId.slice(0, 8)),
      h("div", { class: "muted small" }, formatDateTime(o.createdAt))),
    h("td", {}, o.email, h("div", { class: "muted small" }, o.signedIn ? "Customer" : o.kind === "inventory" ? "Staff order" : "Guest")),
    h("td", { class: "num" }, String(count)),
    h("td", { class: "num" }, formatMoney(o.totalCents, o.currency)),
    h("td", {}, statusBadge(o.status)));
}

let listSeq = 0;

async function loadList(append = false) {
  // A filter changed while a page was loading: only the newest request's answer is drawn.
  const mine = ++listSeq;
  if (!append) cursor = null;
  table.state.textContent = "Loading…";
  try {
    const where = emailFilter ? { email: emailFilter } : { day: dayInput.value || undefined };
    const page = await api.listOrders({ ...where, status: statusSelect.value || undefined, limit: 50, cursor: append ? cursor : undefined });
    if (mine !== listSeq) return;
    if (!emailFilter && !dayInput.value && page.day) dayInput.value = page.day;
    const rows = (page.items || []).map(row);
    if (append) table.tbody.append(...rows);
    else table.tbody.replaceChildren(...rows);
    cursor = page.nextCursor || null;
    more.hidden = !cursor;
    table.state.textContent = table.tbody.children.length ? "" : cursor ? "None of that status here; load more to look further."
      : emailFilter ? `No orders placed with ${emailFilter}.` : "No orders on this day.";
  } catch (err) {
    if (mine === listSeq) table.state.textContent = errorText(err);
  }
}

async function names() {
  if (!warehouseNames.size) {
    try {
      warehouseNames = new Map(((await api.listWarehouses()).items || []).map((w) => [w.warehouseId, w.name]));
    } catch {
      /* ids are shown instead */
    }
  }
  return warehouseNames;
}

async function showDetail(orderId) {
  detailView.replaceChildren(h("p", { class: "table-note muted" }, "Loading…"));
  try {
    const [o, wh] = await Promise.all([api.getOrder(orderId), names()]);
    const c = o.currency;
    const cancel = o.cancellable ? button("Cancel order", { kind: "danger", id: "admin-cancel-order" }) : null;
    const ship = o.status === "CONFIRMED" ? button("Mark shipped", { kind: "primary", id: "admin-ship-order" }) : null;
    const deliver = o.status === "SHIPPED" ? button("Mark delivered", { kind: "primary", id: "admin-deliver-order" }) : null;
    const a = o.shippingAddress;
    detailView.replaceChildren(
      h("a", { class: "back", href: "#/orders" }, "← All orders"),
      pageHead(`Order ${o.orderId}`, `${formatDateTime(o.createdAt)} · ${o.email}`, statusBadge(o.status), ship, deliver, cancel),
      h("div", { class: "detail-cols" },
        h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", {}, "Lines")),
          h("div", { class: "table-wrap" }, h("table", { class: "grid", id: "order-lines" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Product"), h("th", { scope: "col" }, "Warehouse"),
              h("th", { scope: "col", class: "num" }, "Qty"), h("th", { scope: "col", class: "num" }, "Price"), h("th", { scope: "col", class: "num" }, "Total"))),
            h("tbody", {}, (o.lines || []).map((l) => h("tr", {},
              h("td", {}, l.productName, h("div", { class: "mono muted" }, l.productId)),
              h("td", { class: "warehouse" }, wh.get(l.warehouseId) || l.warehouseId || "—"),
              h("td", { class: "num" }, String(l.quantity)),
              h("td", { class: "num" }, formatMoney(l.unitPriceCents, c)),
              h("td", { class: "num" }, formatMoney(l.lineTotalCents, c))))))),
          h("div", { class: "card-body totals" },
            h("div", {}, h("span", {}, "Subtotal"), h("span", {}, formatMoney(o.subtotalCents, c))),
            o.discountCents ? h("div", {}, h("span", {}, `Discount ${o.promoCode || ""}`), h("span", {}, `−${formatMoney(o.discountCents, c)}`)) : null,
            h("div", {}, h("span", {}, `Delivery (${words(o.deliveryMethod)})`), h("span", {}, formatMoney(o.deliveryCents, c))),
            h("div", { class: "grand" }, h("span", {}, "Total"), h("strong", {}, formatMoney(o.totalCents, c))))),
        h("div", { class: "detail-side" },
          h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", {}, "Status history")),
            h("ol", { class: "card-body history", id: "admin-history" }, (o.statusHistory || []).map((s) =>
              h("li", {}, statusBadge(s.status), " ", h("span", { class: "muted small" }, `${formatDateTime(s.at)} · ${s.by || ""}`))))),
          h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", {}, "Delivery")),
            h("div", { class: "card-body" },
              h("p", {}, words(o.deliveryMethod), o.estimatedDelivery ? ` · expected ${o.estimatedDelivery}` : ""),
              a ? h("p", { class: "muted" }, [a.name, a.line1, a.line2, `${a.city} ${a.zip}`].filter(Boolean).join(", ")) : null,
              o.shipment ? h("p", { id: "admin-shipment" }, `Shipped with ${[o.shipment.carrier, o.shipment.trackingNumber].filter(Boolean).join(" ")}`) : null)),
          h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", {}, "Payment")),
            h("div", { class: "card-body" },
              h("p", {}, o.paymentCard || "Not charged yet"),
              o.paymentReference ? h("p", { class: "muted small mono" }, o.paymentReference) : null,
              o.paymentFailure ? h("p", { class: "notice is-error" }, o.paymentFailure) : null,
              o.refundedCents ? h("p", {}, `Refunded ${formatMoney(o.refundedCents, c)}`) : null,
              o.cancelReason ? h("p", { class: "muted small" }, o.cancelReason) : null)))));
    ship?.addEventListener("click", () => shipDialog.open({}, { ctx: o }));
    deliver?.addEventListener("click", async () => {
      if (!ensureSession()) return;
      setButtonBusy(deliver, true, "Saving…");
      try {
        await api.deliverOrder(o.orderId);
        toast("The order is marked delivered.");
      } catch (err) {
        toast(errorText(err), "error");
      }
      showDetail(orderId);
    });
    cancel?.addEventListener("click", async () => {
      if (!ensureSession()) return;
      if (!(await confirm(`Cancel order ${o.orderId.slice(0, 8)}?`, "Its reserved units go back to stock and the customer is not charged.", "Cancel order"))) return;
      setButtonBusy(cancel, true, "Cancelling…");
      try {
        await api.cancelOrder(o.orderId);
        toast("The order is cancelled.");
      } catch (err) {
        toast(errorText(err), "error");
      }
      showDetail(orderId);
    });
  } catch (err) {
    detailView.replaceChildren(h("a", { class: "back", href: "#/orders" }, "← All orders"), h("p", { class: "notice is-error", role: "alert" }, icon("alert"), " ", errorText(err)));
  }
}

export default {
  id: "orders",
  title: "Orders",
  mount(section) {
    dayInput = h("input", { type: "date", id: "orders-day" });
    statusSelect = h("select", { id: "orders-status" }, h("option", { value: "" }, "All statuses"), STATUSES.map((s) => h("option", { value: s }, words(s))));
    // An order named by a customer (the number in their e-mail, receipt or status link) is found
    // whatever its day: its page answers it, or says it does not exist.
    const findInput = h("input", { type: "search", id: "orders-find", placeholder: "Order number or e-mail", autocomplete: "off", spellcheck: "false" });
    const find = h("form", { class: "find-form", id: "orders-find-form", role: "search", "aria-label": "Find an order" },
      h("label", { for: "orders-find", class: "visually-hidden" }, "Order number or customer e-mail"), findInput,
      button("Find", { type: "submit", small: true }));
    find.addEventListener("submit", (event) => {
      event.preventDefault();
      const wanted = findInput.value.trim().replace(/^#/, "");
      if (!wanted) return findInput.focus();
      if (wanted.includes("@")) {
        setEmailFilter(wanted); // a customer's address: all their orders, whatever the day
        return;
      }
      findInput.value = "";
      window.location.hash = `#/orders/${encodeURIComponent(wanted)}`;
    });
    const filters = [find, h("label", { for: "orders-day", class: "visually-hidden" }, "Day"), dayInput,
      h("label", { for: "orders-status", class: "visually-hidden" }, "Status"), statusSelect];
    table = tableCard("Orders", ["Order", "Customer", { label: "Items", num: true }, { label: "Total", num: true }, "Status"], { id: "orders-table", actions: filters });
    more = button("Load more", { hidden: true });
    more.addEventListener("click", () => loadList(true));
    const showDay = h("button", { type: "button", class: "link-btn", id: "orders-show-day" }, "Show a day's orders instead");
    showDay.addEventListener("click", () => {
      findInput.value = "";
      setEmailFilter(null);
    });
    emailNote = h("p", { class: "table-note", id: "orders-email-note", hidden: true });
    setEmailFilter = (address) => {
      emailFilter = address;
      dayInput.disabled = Boolean(address);
      emailNote.hidden = !address;
      emailNote.replaceChildren(...(address ? [`Every order placed with ${address}, newest first. `, showDay] : []));
      loadList();
    };
    listView = h("div", {}, pageHead("Orders", "One business day at a time, newest first; or find one by its number or the customer's e-mail."),
      emailNote, table.card, h("div", { class: "card-foot" }, more));
    detailView = h("div", { hidden: true });
    section.append(listView, detailView);
    dayInput.addEventListener("change", () => loadList());
    statusSelect.addEventListener("change", () => loadList());
    confirm = confirmDialog("order-confirm");
    shipDialog = formDialog({
      id: "ship-dialog", title: "Mark shipped", submitLabel: "Mark shipped",
      fields: [
        { name: "carrier", label: "Carrier (optional)" },
        { name: "trackingNumber", label: "Tracking number (optional)" },
        { name: "trackingUrl", label: "Tracking link (optional)", type: "url", hint: "https://…" },
      ],
      async submit(v, o) {
        const body = {};
        for (const k of ["carrier", "trackingNumber", "trackingUrl"]) if (v[k]) body[k] = v[k];
        await api.shipOrder(o.orderId, body);
        toast("The order is marked shipped; the customer gets an e-mail.");
        showDetail(o.orderId);
      },
    });
  },
  show(params) {
    const id = params[0];
    listView.hidden = Boolean(id);
    detailView.hidden = !id;
    if (id) showDetail(id);
    else loadList();
  },
  reset() {
    warehouseNames = new Map();
    if (table) table.tbody.replaceChildren();
  },
};
