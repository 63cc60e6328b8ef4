// The admin console's shell: the sign-in gate, the signed-in frame (nav, user, sign-out) and the
// router that shows one page of pages.js at a time. Pages never switch views themselves: they
// call session.js, and the shell answers.

import { $, $$ } from "../lib/dom.js";
import { onAuthProblem } from "../lib/api.js";
import { getSession, isAdmin, isExpired, signOut } from "../lib/auth.js";
import { PAGES } from "./pages.js";
import { createRouter } from "./router.js";
import { onSessionExpired } from "./session.js";
import { hideSignIn, initSignIn, showSignIn } from "./signin.js";

const frame = $("#dashboard-view");
const router = createRouter({ pages: PAGES, nav: $("#admin-nav"), container: $("#main") });

function showApp(session) {
  hideSignIn();
  frame.hidden = false;
  $("#user-email").textContent = session.email || "Admin";
  $("#user-avatar").textContent = (session.email || "A").trim().charAt(0);
  $("#page-notice").hidden = true;
  router.start();
  $("#main").focus({ preventScroll: true });
}

function leave(message, tone) {
  router.stop();
  $$("dialog[open]").forEach((d) => d.close());
  signOut();
  router.reset();
  frame.hidden = true;
  showSignIn(message, tone);
}

initSignIn(showApp);

$("#signout-btn").addEventListener("click", () => leave("You have signed out.", "info"));

onSessionExpired((message) => leave(message || "Your session has expired. Please sign in again."));

onAuthProblem((err) => {
  if (err.status === 401) {
    leave("Your session has expired. Please sign in again.");
  } else if (err.status === 403) {
    const notice = $("#page-notice");
    notice.hidden = false;
    notice.textContent = "Your account does not have admin rights, so Stockroom refused this change. Sign in with an admin account to manage inventory.";
  }
});

function boot() {
  const session = getSession();
  if (session && !isExpired(session) && isAdmin(session)) {
    showApp(session);
  } else {
    if (session) signOut();
    frame.hidden = true;
    showSignIn(session ? "Your session has expired. Please sign in again." : "");
  }
}

boot();
