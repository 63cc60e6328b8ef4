// The import / export page (`#/import`): the catalog as CSV (issue 11 §3). Export, edit in a
// spreadsheet, upload: the file is previewed first (a dry run: what each row would change, every
// invalid row with its field), then imported on confirmation, all or nothing unless "valid rows
// only" is chosen. A re-upload of an imported file changes nothing.

import { api } from "../../lib/api.js";
import { h } from "../../lib/dom.js";
import { setButtonBusy } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { card, errorNotice, pageHead, table } from "./ui.js";

const MAX_BYTES = 1024 * 1024; // the API's documented limit (docs/CONTRACTS.md)

let form = null;
let previewBox = null;
let confirmButton = null;
let previewed = null; // {file, mode} the preview on screen was made for

function fmtChange(change) {
  return Object.entries(change.changes || {})
    .map(([field, v]) => `${field}: ${v.before ?? "—"} → ${v.after}`)
    .join("; ");
}

function renderReport(report, { dryRun }) {
  const verb = dryRun ? "would" : "did";
  const summary = h(
    "p",
    { id: "import-summary" },
    `${report.rows} row(s): ${report.validRows} valid, ${report.invalidRows} invalid. `,
    `The import ${verb} create or change ${report.products.length} product(s) and ${report.stock.length} stock line(s).`,
  );
  const errors = table(
    "Invalid rows",
    [{ label: "Row", num: true }, { label: "Column" }, { label: "Problem" }],
    report.errors.map((e) => [String(e.row), e.field, e.message]),
    "Every row is valid.",
  );
  const products = table(
    "Product changes",
    [{ label: "Row", num: true }, { label: "Product" }, { label: "Action" }, { label: "Changes" }],
    report.products.map((p) => [String(p.row), p.productId, p.action, p.action === "create" ? "new product" : fmtChange(p)]),
    "No product changes.",
  );
  const stock = table(
    "Stock changes",
    [{ label: "Row", num: true }, { label: "Product" }, { label: "Warehouse" }, { label: "On hand", num: true }],
    report.stock.map((s) => [String(s.row), s.productId, s.warehouseId, `${s.onHand.before} → ${s.onHand.after} (${s.onHand.delta >= 0 ? "+" : ""}${s.onHand.delta})`]),
    "No stock changes.",
  );
  previewBox.replaceChildren(summary, h("h3", {}, "Invalid rows"), errors, h("h3", {}, "Products"), products, h("h3", {}, "Stock"), stock);
}

function chosen() {
  const file = form.elements.file.files[0];
  const mode = form.elements.partial.checked ? "partial" : "all";
  return { file, mode };
}

async function preview(event) {
  event.preventDefault();
  const { file, mode } = chosen();
  confirmButton.disabled = true;
  previewed = null;
  if (!file) return toast("Choose a CSV file first.", "error");
  if (file.size > MAX_BYTES) return previewBox.replaceChildren(errorNotice(new Error("The file is larger than 1 MiB: split it.")));
  const button = form.querySelector("[type=submit]");
  setButtonBusy(button, true, "Checking…");
  try {
    const report = await api.importCatalog(file, { dryRun: true, mode });
    renderReport(report, { dryRun: true });
    const blocked = report.invalidRows > 0 && mode === "all";
    const nothing = report.products.length === 0 && report.stock.length === 0;
    confirmButton.disabled = blocked || nothing;
    confirmButton.textContent = nothing ? "Nothing to import" : blocked ? "Fix the invalid rows first" : "Import";
    previewed = { file, mode };
  } catch (err) {
    const details = err.body && Array.isArray(err.body.errors) ? err.body : null;
    if (details) renderReport({ products: [], stock: [], ...details }, { dryRun: true });
    else previewBox.replaceChildren();
    previewBox.prepend(errorNotice(err));
  } finally {
    setButtonBusy(button, false);
  }
}

async function confirmImport() {
  if (!previewed) return;
  setButtonBusy(confirmButton, true, "Importing…");
  try {
    const report = await api.importCatalog(previewed.file, { mode: previewed.mode });
    renderReport(report, { dryRun: false });
    toast(`Imported: ${report.products.length} product(s), ${report.stock.length} stock line(s) changed.`);
    previewed = null;
  } catch (err) {
    const details = err.body && Array.isArray(err.body.errors) ? err.body : null;
    if (details) renderReport({ products: [], stock: [], ...details }, { dryRun: true });
    previewBox.prepend(errorNotice(err));
  } finally {
    setButtonBusy(confirmButton, false);
    confirmButton.disabled = true;
  }
}

async function download(event) {
  const button = event.currentTarget;
  setButtonBusy(button, true, "Exporting…");
  try {
    const blob = await api.exportCatalog();
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: `catalog-${new Date().toISOString().slice(0, 10)}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    toast(err.message, "error");
  } finally {
    setButtonBusy(button, false);
  }
}

export default {
  id: "import",
  title: "Import / export",
  mount(section) {
    const exportButton = h("button", { type: "button", class: "btn btn-secondary", id: "export-btn", onclick: download }, "Export catalog (CSV)");
    confirmButton = h("button", { type: "button", class: "btn btn-primary", id: "import-confirm", disabled: true, onclick: confirmImport }, "Import");
    form = h(
      "form",
      { class: "form", id: "import-form", onsubmit: preview },
      h(
        "div",
        { class: "field" },
        h("label", { for: "import-file" }, "CSV file"),
        h("input", { id: "import-file", name: "file", type: "file", accept: ".csv,text/csv", required: true }),
        h("p", { class: "hint" }, "Columns: productId, productName, description, priceCents, threshold, warehouseId, onHand, stockThreshold (as exported; reserved and available are ignored). Up to 1 MiB."),
      ),
      h("label", { class: "switch" }, h("input", { type: "checkbox", name: "partial", id: "import-partial" }), h("span", { class: "switch-track", "aria-hidden": "true" }), h("span", {}, "Import the valid rows even if some are invalid")),
      h("div", { class: "bo-inline-form" }, h("button", { type: "submit", class: "btn btn-secondary" }, "Preview"), confirmButton),
    );
    form.elements.file.addEventListener("change", () => {
      confirmButton.disabled = true;
      previewed = null;
    });
    previewBox = h("div", { id: "import-preview" }, h("p", { class: "muted" }, "Choose a file and preview it: nothing changes until you import."));
    section.append(
      pageHead("Import and export", "Export the catalog, edit it in a spreadsheet, import it back.", exportButton),
      h("div", { class: "bo-grid" }, card("Upload", "import-upload", form), card("Preview", "import-result", previewBox)),
    );
  },
  reset() {
    previewed = null;
    if (form) form.reset();
  },
};
