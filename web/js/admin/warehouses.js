// Warehouses (`#/warehouses`): where stock is kept and orders ship from. Create one with its zip
// code (the API finds its coordinates), rename it or move it, deactivate it (it keeps its stock but
// serves no order), delete it (refused in words while it holds stock).

import { api } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";
import { toast } from "../lib/toast.js";
import { badge, button, confirmDialog, errorText, formDialog, pageHead, tableCard } from "./kit.js";
import { ensureSession } from "./session.js";

let section = null;
let table = null;
let dialog = null;
let confirm = null;
let items = [];

const FIELDS = [
  { name: "warehouseId", label: "Warehouse id", hint: "Letters, digits, dots, dashes; it cannot change later." },
  { name: "name", label: "Name" },
  { name: "zip", label: "ZIP code", inputmode: "numeric", hint: "Orders ship from the active warehouse nearest to the customer." },
  { name: "active", label: "Active (serves orders)", type: "checkbox" },
];

function render() {
  table.state.textContent = items.length ? "" : "No warehouses yet. Add the first one.";
  table.tbody.replaceChildren(...items.map((w) => {
    const toggle = button(w.active ? "Deactivate" : "Activate", { small: true, "aria-label": `${w.active ? "Deactivate" : "Activate"} ${w.name}` });
    const edit = button("Edit", { small: true, "aria-label": `Edit ${w.name}` });
    const del = button("Delete", { small: true, kind: "ghost", "aria-label": `Delete ${w.name}` });
    toggle.addEventListener("click", () => run(() => api.updateWarehouse(w.warehouseId, { active: !w.active }), `${w.name} is ${w.active ? "inactive" : "active"} now.`));
    edit.addEventListener("click", () => dialog.open(w, { heading: `Edit ${w.name}`, ctx: w, readonly: ["warehouseId"] }));
    del.addEventListener("click", async () => {
      if (!(await confirm(`Delete ${w.name}?`, "Its empty stock lines go with it. A warehouse that still holds stock cannot be deleted: deactivate it instead.", "Delete"))) return;
      run(() => api.deleteWarehouse(w.warehouseId), `${w.name} is deleted.`);
    });
    return h("tr", { dataset: { warehouseId: w.warehouseId } },
      h("td", {}, h("strong", {}, w.name), h("div", { class: "mono muted" }, w.warehouseId)),
      h("td", {}, w.zip),
      h("td", { class: "muted small" }, typeof w.latitude === "number" ? `${w.latitude.toFixed(3)}, ${w.longitude.toFixed(3)}` : "—"),
      h("td", {}, w.active ? badge("Active", "ok") : badge("Inactive", "low")),
      h("td", { class: "row-actions" }, edit, toggle, del));
  }));
}

async function run(call, message) {
  if (!ensureSession()) return;
  try {
    await call();
    toast(message);
  } catch (err) {
    toast(errorText(err), "error");
  }
  load();
}

async function load() {
  try {
    items = (await api.listWarehouses()).items || [];
    render();
  } catch (err) {
    table.state.textContent = errorText(err);
  }
}

export default {
  id: "warehouses",
  title: "Warehouses",
  mount(el) {
    section = el;
    const add = button("Add warehouse", { kind: "primary", iconName: "plus", id: "add-warehouse" });
    table = tableCard("Warehouses", ["Warehouse", "ZIP code", "Location", "Status", { label: "" }], { id: "warehouses-table" });
    section.append(pageHead("Warehouses", "Orders ship from the active warehouse nearest to the customer that has the stock."), table.card);
    confirm = confirmDialog("warehouse-confirm");
    dialog = formDialog({
      id: "warehouse-dialog",
      title: "Add warehouse",
      submitLabel: "Save",
      fields: FIELDS,
      async submit(v, existing) {
        if (existing) {
          await api.updateWarehouse(existing.warehouseId, { name: v.name, zip: v.zip, active: v.active });
          toast(`${v.name} is saved.`);
        } else {
          await api.createWarehouse({ warehouseId: v.warehouseId, name: v.name, zip: v.zip, active: v.active });
          toast(`${v.name} is added.`);
        }
        load();
      },
    });
    add.addEventListener("click", () => dialog.open({ active: true }, { heading: "Add warehouse" }));
    section.querySelector(".page-actions").append(add);
  },
  show() {
    load();
  },
  reset() {
    items = [];
    if (table) table.tbody.replaceChildren();
  },
};
