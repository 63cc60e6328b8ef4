// Delivery costs (`#/delivery`): the three delivery methods' names, prices and days to deliver, as
// the storefront's checkout offers them (`PUT /delivery-methods/{method}`).

import { api } from "../lib/api.js";
import { config } from "../lib/config.js";
import { h } from "../lib/dom.js";
import { formatMoney } from "../lib/format.js";
import { toast } from "../lib/toast.js";
import { button, centsOf, errorText, formDialog, intOf, pageHead, tableCard } from "./kit.js";

let table = null;
let dialog = null;

async function load() {
  try {
    const items = (await api.listDeliveryMethods()).items || [];
    table.state.textContent = "";
    table.tbody.replaceChildren(...items.map((m) => {
      const edit = button("Edit", { small: true, "aria-label": `Edit ${m.name}` });
      edit.addEventListener("click", () => dialog.open({ name: m.name, cost: (m.costCents / 100).toFixed(2), etaDays: m.etaDays }, { heading: `Edit ${m.name}`, ctx: m }));
      return h("tr", { dataset: { method: m.method } },
        h("td", {}, h("strong", {}, m.name), h("div", { class: "mono muted" }, m.method)),
        h("td", { class: "num cost" }, m.costCents ? formatMoney(m.costCents, config.currency) : "Free"),
        h("td", { class: "num" }, `${m.etaDays} day${m.etaDays === 1 ? "" : "s"}`),
        h("td", { class: "row-actions" }, edit));
    }));
  } catch (err) {
    table.state.textContent = errorText(err);
  }
}

export default {
  id: "delivery",
  title: "Delivery",
  mount(section) {
    table = tableCard("Delivery methods", ["Method", { label: "Cost", num: true }, { label: "Delivered in", num: true }, ""], { id: "delivery-table" });
    section.append(pageHead("Delivery", "What customers pay for each way of getting their order, and how long it takes."), table.card);
    dialog = formDialog({
      id: "delivery-dialog", title: "Edit delivery method", submitLabel: "Save",
      fields: [
        { name: "name", label: "Name shown at checkout" },
        { name: "cost", label: `Cost (${config.currency})`, inputmode: "decimal", hint: "0 for free." },
        { name: "etaDays", label: "Days to deliver", type: "number", min: "0", step: "1" },
      ],
      async submit(v, m) {
        const costCents = centsOf(v.cost, "cost");
        await api.setDeliveryMethod(m.method, { name: v.name, costCents: costCents === undefined ? v.cost : costCents, etaDays: intOf(v.etaDays) });
        toast(`${v.name} is saved.`);
        load();
      },
    });
  },
  show() {
    load();
  },
};
