// Reads the generated `config.js` (window.STOCKROOM_CONFIG, see docs/CONTRACTS.md) once.
// (The generated file is web/config.js; this module only reads what it set.) Every page imports
// its settings from here, never from window.STOCKROOM_CONFIG directly.

const raw = window.STOCKROOM_CONFIG || null;

export const config = Object.freeze({
  loaded: raw !== null,
  apiBase: String((raw && raw.apiBase) || "/api").replace(/\/+$/, ""),
  region: (raw && raw.region) || "us-east-1",
  userPoolId: (raw && raw.userPoolId) || "",
  clientId: (raw && raw.clientId) || "",
  cognitoEndpoint: (raw && raw.cognitoEndpoint) || "",
  // The shop's SHOP_NAME and SHOP_CURRENCY (ISO 4217), rendered into config.js by the deployment.
  shopName: (raw && raw.shopName) || "",
  currency: (raw && raw.currency) || "USD",
  // The API's default warehouse (chalicelib.config.DEFAULT_WAREHOUSE_ID).
  defaultWarehouseId: (raw && raw.defaultWarehouseId) || "main",
  refreshSeconds: Number((raw && raw.refreshSeconds) || 5),
});
