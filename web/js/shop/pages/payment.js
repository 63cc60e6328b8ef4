// Checkout's payment step in test mode: a card form that turns one of Stripe's published test
// card numbers into its payment token here, in the browser, or a picker of the test tokens
// themselves (`tok_timeout` has no card number). Only the token leaves the page (`paymentToken`
// of POST /orders): no card number is ever sent or stored.
//
// The number -> token table is the API's (`GET /payments/test-cards`, served from
// chalicelib/shop/payment_cards.py), never written here; the checks below mirror
// `tokenize_test_card` there (Luhn, expiry not past, security code length per brand). The card
// inputs have no `name`, so no form submission could ever carry them.

import { api } from "../../lib/api.js";
import { h, icon } from "../../lib/dom.js";
import { clearFieldError, showClientError } from "../../lib/forms.js";

const digitsOf = (value) => String(value || "").replace(/[\s-]/g, "");
const groups = (digits) => digits.replace(/(\d{4})(?=\d)/g, "$1 ");

export function luhnValid(digits) {
  if (!/^\d+$/.test(digits)) return false;
  let total = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    total += d;
  }
  return total % 10 === 0;
}

/** `{token, brand, last4}` for a test card, or `{field, message}` saying what is wrong. */
export function tokenizeCard(table, { number, expiry, cvc }, today = new Date()) {
  const digits = digitsOf(number);
  if (!/^\d{12,19}$/.test(digits)) return { field: "cardNumber", message: "Enter the card number (12 to 19 digits)." };
  if (!luhnValid(digits)) return { field: "cardNumber", message: "This card number is not valid. Check the digits." };
  const card = table.cards.find((c) => c.number === digits);
  if (!card) {
    return { field: "cardNumber", message: "This is not a test card. In test mode, use one of the test numbers below, e.g. 4242 4242 4242 4242." };
  }
  const m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(String(expiry || ""));
  if (!m) return { field: "cardExpiry", message: "Enter the expiry date as MM / YY." };
  const month = Number(m[1]);
  const year = m[2].length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  if (month < 1 || month > 12) return { field: "cardExpiry", message: "The month must be from 01 to 12." };
  if (year * 12 + month < today.getFullYear() * 12 + today.getMonth() + 1) return { field: "cardExpiry", message: "This card has expired." };
  if (year > today.getFullYear() + 50) return { field: "cardExpiry", message: "The expiry year is too far in the future." };
  if (!new RegExp(`^\\d{${card.cvcLength}}$`).test(String(cvc || "").trim())) {
    return { field: "cardCvc", message: `Enter the ${card.cvcLength}-digit security code.` };
  }
  return { token: card.token, brand: card.brand, last4: card.last4 };
}

function outcomeOf(table, token) {
  const t = table.tokens.find((x) => x.token === token);
  return t ? t.outcome : "";
}

/**
 * The payment section of the checkout form (`form`): returns `{element, read()}`; `read()` resolves
 * `{token, label}`, or null after marking what is wrong on its field.
 */
export function paymentSection(form) {
  let table = null;
  const status = h("p", { class: "muted small" }, "Loading test cards…");
  const number = h("input", { id: "cardNumber", type: "text", inputmode: "numeric", autocomplete: "off", spellcheck: "false", placeholder: "4242 4242 4242 4242", maxlength: "23" });
  const expiry = h("input", { id: "cardExpiry", type: "text", inputmode: "numeric", autocomplete: "off", placeholder: "MM / YY", maxlength: "7" });
  const cvc = h("input", { id: "cardCvc", type: "text", inputmode: "numeric", autocomplete: "off", placeholder: "123", maxlength: "4" });
  const brand = h("span", { class: "card-brand", "aria-live": "polite" });
  const tokenSelect = h("select", { id: "payment-token", name: "paymentTokenChoice" });
  const tokenOutcome = h("p", { class: "hint", id: "payment-token-hint" });
  tokenSelect.setAttribute("aria-describedby", "payment-token-hint");
  const cardList = h("tbody");

  const modeCard = h("input", { type: "radio", name: "payMode", value: "card", id: "pay-card", checked: true });
  const modeToken = h("input", { type: "radio", name: "payMode", value: "token", id: "pay-token" });
  const cardPane = h("div", { class: "pay-pane" },
    h("div", { class: "field" }, h("label", { for: "cardNumber" }, "Card number"), h("div", { class: "card-input" }, number, brand)),
    h("div", { class: "field-row" },
      h("div", { class: "field" }, h("label", { for: "cardExpiry" }, "Expiry date"), expiry),
      h("div", { class: "field" }, h("label", { for: "cardCvc" }, "Security code"), cvc)),
    h("details", { class: "test-cards" }, h("summary", {}, "Test card numbers"),
      h("p", { class: "muted small" }, "Any future expiry date and any security code work. What happens at payment:"),
      h("div", { class: "table-scroll" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Number"), h("th", { scope: "col" }, "Result"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Use"))) ), cardList))));
  const tokenPane = h("div", { class: "pay-pane", hidden: true },
    h("div", { class: "field" }, h("label", { for: "payment-token" }, "Test payment token"), tokenSelect, tokenOutcome));

  const element = h("fieldset", { class: "checkout-section", id: "payment-section" },
    h("legend", {}, h("span", { class: "step" }, "4"), "Payment"),
    h("p", { class: "test-mode" }, icon("lock"), h("span", {}, h("strong", {}, "Test mode. "), "No real card is charged: pay with a test card, or pick a test token.")),
    h("div", { class: "segmented", role: "radiogroup", "aria-label": "Pay with" },
      h("label", { for: "pay-card" }, modeCard, h("span", {}, "Test card")),
      h("label", { for: "pay-token" }, modeToken, h("span", {}, "Test token"))),
    status, cardPane, tokenPane);

  function syncMode() {
    cardPane.hidden = !modeCard.checked;
    tokenPane.hidden = modeCard.checked;
  }
  modeCard.addEventListener("change", syncMode);
  modeToken.addEventListener("change", syncMode);

  number.addEventListener("input", () => {
    const digits = digitsOf(number.value).replace(/\D/g, "").slice(0, 19);
    const pos = number.selectionStart === number.value.length;
    number.value = groups(digits);
    if (pos) number.setSelectionRange(number.value.length, number.value.length);
    const card = table && table.cards.find((c) => c.number === digits);
    brand.textContent = card ? card.brand : "";
  });
  expiry.addEventListener("input", () => {
    const d = expiry.value.replace(/\D/g, "").slice(0, 4);
    expiry.value = d.length > 2 ? `${d.slice(0, 2)} / ${d.slice(2)}` : d;
  });
  tokenSelect.addEventListener("change", () => {
    tokenOutcome.textContent = table ? outcomeOf(table, tokenSelect.value) : "";
  });

  const loaded = api.testCards().then((t) => {
    table = t;
    status.remove();
    cardList.replaceChildren(...t.cards.map((c) => h("tr", {},
      h("td", { class: "mono" }, groups(c.number), h("span", { class: "muted small" }, ` ${c.brand}`)),
      h("td", {}, outcomeOf(t, c.token)),
      h("td", {}, h("button", { type: "button", class: "btn btn-ghost btn-sm", "aria-label": `Use test card ${groups(c.number)}`,
        onclick: () => {
          number.value = groups(c.number);
          brand.textContent = c.brand;
          const next = new Date().getFullYear() % 100 + 3;
          expiry.value = `12 / ${String(next).padStart(2, "0")}`;
          cvc.value = "1234".slice(0, c.cvcLength);
          ["cardNumber", "cardExpiry", "cardCvc"].forEach((n) => clearFieldError(form, n));
          number.focus();
        } }, "Use")))));
    tokenSelect.replaceChildren(...t.tokens.map((x) => h("option", { value: x.token, selected: x.token === t.defaultToken || null },
      `${x.token} (${x.brand} •••• ${x.last4})`)));
    tokenOutcome.textContent = outcomeOf(t, tokenSelect.value);
  }).catch((err) => {
    status.className = "notice is-error";
    status.textContent = `Test cards could not be loaded: ${err.message}`;
  });

  /** Resolves `{token, label}`, or null after marking what is wrong; waits for the table if needed. */
  async function readWhenLoaded() {
    if (!table) await loaded;
    return read();
  }

  function read() {
    if (!table) {
      status.scrollIntoView({ block: "center" });
      return null;
    }
    if (!modeCard.checked) {
      return { token: tokenSelect.value, label: `test token ${tokenSelect.value}` };
    }
    const result = tokenizeCard(table, { number: number.value, expiry: expiry.value, cvc: cvc.value });
    if (result.field) {
      showClientError(form, result.field, result.message);
      return null;
    }
    return { token: result.token, label: `${result.brand} •••• ${result.last4}` };
  }

  return { element, read: readWhenLoaded };
}
