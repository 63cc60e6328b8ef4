// The admin console's pages, in nav order; the first is the default. Add a page here.

import apiKeys from "./backoffice/api-keys.js";
import catalogCsv from "./backoffice/catalog-csv.js";
import reorder from "./backoffice/reorder.js";
import reports from "./backoffice/reports.js";
import inventory from "./inventory/page.js";

export const PAGES = [inventory, reports, reorder, catalogCsv, apiKeys];
