// The signed-in customer's account (`#/account`): who is signed in, the purchase history
// (`GET /me/orders`, newest first, a page at a time), each order's status with a cancel button while
// it can be cancelled, and sign-out.

import { api } from "../../lib/api.js";
import { h } from "../../lib/dom.js";
import { formatDateTime } from "../../lib/format.js";
import { setButtonBusy } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { currentCustomer, signOutCustomer } from "../customer.js";
import { href, navigate } from "../router.js";
import { confirmAction, errorNotice, loading, money, statusBadge } from "../ui.js";

function orderRow(order, onCancel) {
  const count = (order.lines || []).reduce((n, l) => n + l.quantity, 0);
  const cancel = order.cancellable
    ? h("button", { type: "button", class: "btn btn-secondary btn-sm", "aria-label": `Cancel order ${order.orderId}` }, h("span", {}, "Cancel"))
    : null;
  cancel?.addEventListener("click", () => onCancel(order, cancel));
  return h("li", { dataset: { orderId: order.orderId } },
    h("div", {}, h("a", { class: "order-id", href: href(`orders/${order.orderId}`) }, `Order ${order.orderId}`),
      h("p", { class: "muted small" }, `${formatDateTime(order.createdAt)} · ${count} item${count === 1 ? "" : "s"} · ${money(order.totalCents, order.currency)}`)),
    h("div", { class: "order-actions" }, statusBadge(order.status), cancel));
}

export default {
  title: "Your account",
  render(main) {
    const customer = currentCustomer();
    if (!customer) {
      navigate("signin", { next: "account" });
      return null;
    }
    let alive = true;
    let cursor = null;
    const signOutBtn = h("button", { type: "button", class: "btn btn-secondary", id: "signout" }, "Sign out");
    const list = h("ul", { class: "orders-list", id: "my-orders", "aria-label": "Your orders" });
    const status = h("div", { "aria-live": "polite" }, loading("Loading your orders…"));
    const more = h("button", { type: "button", class: "btn btn-secondary", hidden: true }, h("span", {}, "Show older orders"));
    main.append(
      h("div", { class: "account-head" }, h("div", {}, h("h1", {}, "Your account"), h("p", { class: "muted" }, `Signed in as ${customer.email}`)), signOutBtn),
      h("h2", { style: "font-size:18px;margin-bottom:12px" }, "Your orders"), status, list, h("div", { class: "catalog-more" }, more));
    signOutBtn.addEventListener("click", () => {
      signOutCustomer();
      toast("You are signed out.");
      navigate("");
    });

    async function onCancel(order, button) {
      if (!(await confirmAction(`Cancel order ${order.orderId}?`, "Its items go back on the shelf and nothing is charged.", "Cancel order"))) return;
      setButtonBusy(button, true, "Cancelling…");
      try {
        const updated = await api.cancelOrder(order.orderId);
        list.querySelector(`[data-order-id="${CSS.escape(order.orderId)}"]`)?.replaceWith(orderRow(updated, onCancel));
        toast(`Order ${order.orderId} is cancelled.`);
      } catch (err) {
        setButtonBusy(button, false);
        toast(err.message, "error");
      }
    }

    async function load() {
      try {
        const page = await api.myOrders({ limit: 20, cursor });
        if (!alive) return;
        list.append(...(page.items || []).map((o) => orderRow(o, onCancel)));
        cursor = page.nextCursor || null;
        more.hidden = !cursor;
        status.replaceChildren(list.children.length ? "" : h("div", { class: "empty-state" },
          h("p", {}, h("strong", {}, "No orders yet.")), h("a", { class: "btn btn-primary", href: "#/" }, "Start shopping")));
      } catch (err) {
        if (alive) status.replaceChildren(errorNotice(err, "Your orders could not be loaded."));
      }
    }
    more.addEventListener("click", async () => {
      setButtonBusy(more, true, "Loading…");
      await load();
      setButtonBusy(more, false);
    });
    load();
    return () => {
      alive = false;
    };
  },
};
