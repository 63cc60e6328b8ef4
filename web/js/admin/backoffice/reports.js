// The reports page (`#/reports`, `#/reports/<date>`): the daily sales reports the schedule builds
// (issue 11 §1). The list of past days; one day's figures, its charts (PNG files of the report,
// behind short-lived links) and downloads; building a day on demand.

import { api } from "../../lib/api.js";
import { h } from "../../lib/dom.js";
import { formatMoney, formatNumber } from "../../lib/format.js";
import { setButtonBusy } from "../../lib/forms.js";
import { toast } from "../../lib/toast.js";
import { card, errorNotice, pageHead, table, tile } from "./ui.js";

let section = null;
let listBox = null;
let dayBox = null;
let shown = null; // the date on screen
let loadToken = 0;

function yesterday() {
  const d = new Date(Date.now() - 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function renderList(items) {
  const rows = items.map((r) => [
    h("a", { href: `#/reports/${r.date}`, "aria-current": r.date === shown ? "page" : null }, r.date),
    formatNumber(r.orders),
    formatNumber(r.units),
    formatMoney(r.netCents, r.currency),
    r.emailedAt ? "sent" : "—",
  ]);
  listBox.replaceChildren(
    table(
      "Past days",
      [{ label: "Day" }, { label: "Orders", num: true }, { label: "Units", num: true }, { label: "Net", num: true }, { label: "E-mail" }],
      rows,
      "No reports yet. The schedule builds one after midnight in the shop's time zone, or build a day above.",
    ),
  );
}

async function loadList() {
  try {
    renderList((await api.listReports()).items);
  } catch (err) {
    listBox.replaceChildren(errorNotice(err));
  }
}

function breakdowns(report) {
  const money = (c) => formatMoney(c, report.currency);
  return [
    card(
      "Top products",
      "rep-top",
      table(
        "Top products",
        [{ label: "Product" }, { label: "Units", num: true }, { label: "Orders", num: true }, { label: "Gross", num: true }],
        report.topProducts.map((p) => [`${p.productName} (${p.productId})`, formatNumber(p.units), formatNumber(p.orders), money(p.grossCents)]),
        "No sales that day.",
      ),
    ),
    card(
      "By warehouse",
      "rep-wh",
      table(
        "Sales by warehouse",
        [{ label: "Warehouse" }, { label: "Orders", num: true }, { label: "Units", num: true }, { label: "Gross", num: true }],
        report.byWarehouse.map((w) => [w.warehouseId, formatNumber(w.orders), formatNumber(w.units), money(w.grossCents)]),
      ),
    ),
    card(
      "By delivery method",
      "rep-dm",
      table(
        "Sales by delivery method",
        [{ label: "Method" }, { label: "Orders", num: true }, { label: "Gross", num: true }, { label: "Delivery", num: true }],
        report.byDeliveryMethod.map((d) => [d.deliveryMethod, formatNumber(d.orders), money(d.grossCents), money(d.deliveryCents)]),
      ),
    ),
    card(
      "Promo codes, cancellations, payment failures",
      "rep-other",
      table(
        "Promo codes",
        [{ label: "Promo code" }, { label: "Orders", num: true }, { label: "Discount", num: true }],
        report.promoCodes.map((p) => [p.promoCode, formatNumber(p.orders), money(p.discountCents)]),
        "No promo codes used.",
      ),
      h(
        "p",
        { class: "small" },
        `Cancelled: ${report.cancellations.orders} order(s), ${money(report.cancellations.valueCents)}. `,
        `Refunded: ${report.refunds.orders} order(s), ${money(report.refunds.amountCents)}. `,
        `Payment failures: ${report.paymentFailures.orders} (${money(report.paymentFailures.amountCents)}).`,
      ),
    ),
    card(
      "Below threshold",
      "rep-low",
      table(
        "Stock lines below their threshold",
        [{ label: "Product" }, { label: "Warehouse" }, { label: "Available", num: true }, { label: "Threshold", num: true }],
        report.lowStock.map((l) => [`${l.productName} (${l.productId})`, l.warehouseId, formatNumber(l.available), formatNumber(l.threshold)]),
        "Nothing below its threshold.",
      ),
    ),
  ];
}

async function showDay(date) {
  shown = date;
  const token = ++loadToken;
  dayBox.replaceChildren(h("p", { class: "muted" }, `Loading ${date}…`));
  try {
    const [report, files] = await Promise.all([api.getReport(date), api.reportFiles(date)]);
    if (token !== loadToken) return;
    const r = report.revenue;
    const money = (c) => formatMoney(c, report.currency);
    dayBox.replaceChildren(
      h(
        "div",
        { class: "bo-day-head" },
        h("h2", { id: "report-day" }, `Sales of ${report.date}`),
        h("span", { class: "muted small" }, `${report.timezone} · ${report.ledgerEntries} ledger records`),
        h("a", { class: "btn btn-secondary btn-sm", href: files.pdf, id: "report-pdf" }, "Download PDF"),
        h("a", { class: "btn btn-secondary btn-sm", href: files.csv, id: "report-csv" }, "Download CSV"),
      ),
      h(
        "section",
        { class: "tiles bo-tiles", "aria-label": "The day's figures" },
        tile("Net revenue", money(r.netCents), "rep-net"),
        tile("Gross sales", money(r.grossCents), "rep-gross"),
        tile("Discounts", money(r.discountCents), "rep-discounts"),
        tile("Delivery", money(r.deliveryCents), "rep-delivery"),
        tile("Refunds", money(r.refundCents), "rep-refunds"),
        tile("Orders", formatNumber(report.orders), "rep-orders"),
        tile("Units", formatNumber(report.units), "rep-units"),
        tile("Average order", money(report.averageOrderValueCents), "rep-aov"),
      ),
      h(
        "div",
        { class: "bo-charts" },
        h("figure", {}, h("img", { src: files.charts.salesByHour, alt: `Sales by hour on ${report.date}`, id: "chart-hours" }), h("figcaption", { class: "muted small" }, "Sales by hour")),
        h("figure", {}, h("img", { src: files.charts.last14Days, alt: `Net sales of the 14 days to ${report.date}`, id: "chart-days" }), h("figcaption", { class: "muted small" }, "Last 14 days")),
      ),
      h("div", { class: "bo-grid" }, ...breakdowns(report)),
    );
  } catch (err) {
    if (token !== loadToken) return;
    dayBox.replaceChildren(errorNotice(err));
  }
}

async function build(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const date = form.elements.date.value;
  const button = form.querySelector("button");
  setButtonBusy(button, true, "Building…");
  try {
    await api.buildReport(date);
    toast(`Report of ${date} built.`);
    if (window.location.hash === `#/reports/${date}`) await showDay(date);
    else window.location.hash = `#/reports/${date}`;
    await loadList();
  } catch (err) {
    toast(err.message, "error");
  } finally {
    setButtonBusy(button, false);
  }
}

export default {
  id: "reports",
  title: "Reports",
  mount(el) {
    section = el;
    const form = h(
      "form",
      { class: "bo-inline-form", id: "build-report-form", onsubmit: build },
      h("label", { for: "build-date" }, "Day"),
      h("input", { id: "build-date", name: "date", type: "date", required: true, value: yesterday() }),
      h("button", { type: "submit", class: "btn btn-primary" }, "Build report"),
    );
    listBox = h("div", { id: "report-list" });
    dayBox = h("div", { id: "report-day-box", class: "bo-day" }, h("p", { class: "muted" }, "Choose a day to see its figures."));
    section.append(
      pageHead("Daily reports", "Built after midnight in the shop's time zone and e-mailed to the admins.", form),
      h("div", { class: "bo-reports" }, card("Past days", "rep-list", listBox), h("div", {}, dayBox)),
    );
  },
  async show(params) {
    await loadList();
    if (params[0]) await showDay(params[0]);
  },
  reset() {
    shown = null;
    if (listBox) listBox.replaceChildren();
    if (dayBox) dayBox.replaceChildren(h("p", { class: "muted" }, "Choose a day to see its figures."));
  },
};

