// Short-lived notices in the page's `#toasts` live region (at most three at a time).

import { $, h, icon } from "./dom.js";

export function toast(message, tone = "ok") {
  const close = h("button", { type: "button", class: "icon-btn toast-close", "aria-label": "Dismiss" }, icon("x"));
  const el = h("div", { class: `toast ${tone === "error" ? "is-error" : ""}` }, icon(tone === "error" ? "alert" : "check"), h("span", {}, message), close);
  const remove = () => {
    el.classList.add("is-leaving");
    setTimeout(() => el.remove(), 220);
  };
  close.addEventListener("click", remove);
  const stack = $("#toasts");
  while (stack.children.length >= 3) stack.firstElementChild.remove();
  stack.append(el);
  setTimeout(remove, tone === "error" ? 8000 : 4500);
}
