// The admin console's pages, in nav order; the first is the default. Add a page here.

import apiKeys from "./backoffice/api-keys.js";
import catalogCsv from "./backoffice/catalog-csv.js";
import reorder from "./backoffice/reorder.js";
import reports from "./backoffice/reports.js";
import delivery from "./delivery.js";
import inventory from "./inventory/page.js";
import orders from "./orders.js";
import promos from "./promos.js";
import stock from "./stock.js";
import warehouses from "./warehouses.js";

export const PAGES = [inventory, orders, warehouses, stock, delivery, promos, reports, reorder, catalogCsv, apiKeys];
