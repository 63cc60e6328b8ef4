// The reorder page (`#/reorder`): every stock line's days of cover and suggested order (issue 11
// §2), most urgent first, from GET /reports/reorder. A product's lead time is set on the product
// (`leadTimeDays`, PATCH /products/{id}); lines without one use the shop's default.

import { api } from "../../lib/api.js";
import { h } from "../../lib/dom.js";
import { formatNumber } from "../../lib/format.js";
import { card, errorNotice, pageHead, table } from "./ui.js";

const STATUS = {
  urgent: ["Urgent", "badge badge-out"],
  reorder: ["Reorder", "badge badge-low"],
  ok: ["OK", "badge badge-ok"],
  no_sales: ["No sales", "badge"],
};

let box = null;
let note = null;

async function load() {
  box.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    const page = await api.reorder();
    note.textContent =
      `Sales of the ${page.windowDays} days to ${page.asOf}; target cover ${page.targetCoverDays} days; ` +
      `lead time ${page.defaultLeadTimeDays} days unless the product sets its own.`;
    const rows = page.items.map((s) => {
      const [label, cls] = STATUS[s.status] || [s.status, "badge"];
      return [
        `${s.productName} (${s.productId})`,
        s.warehouseId,
        formatNumber(s.available),
        formatNumber(s.averageDailyUnits),
        s.daysOfCover === null ? "—" : formatNumber(s.daysOfCover),
        formatNumber(s.leadTimeDays),
        h("strong", {}, formatNumber(s.suggestedQuantity)),
        h("span", { class: cls }, label),
      ];
    });
    box.replaceChildren(
      table(
        "Reorder suggestions",
        [
          { label: "Product" },
          { label: "Warehouse" },
          { label: "Available", num: true },
          { label: "Sold a day", num: true },
          { label: "Days of cover", num: true },
          { label: "Lead time (days)", num: true },
          { label: "Order", num: true },
          { label: "Status" },
        ],
        rows,
        "No stock lines yet.",
      ),
    );
  } catch (err) {
    box.replaceChildren(errorNotice(err));
  }
}

export default {
  id: "reorder",
  title: "Reorder",
  mount(section) {
    box = h("div", { id: "reorder-table" });
    note = h("p", { class: "muted small", id: "reorder-note" });
    const refresh = h("button", { type: "button", class: "btn btn-secondary", onclick: load }, "Refresh");
    section.append(pageHead("Reorder suggestions", "What to order so each line lasts through its lead time.", refresh), card("Stock lines", "reorder", note, box));
  },
  show() {
    load();
  },
  reset() {
    if (box) box.replaceChildren();
  },
};
