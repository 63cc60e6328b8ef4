// The admin console's pages, in nav order; the first is the default. Add a page here.

import inventory from "./inventory/page.js";

export const PAGES = [inventory];
