/*
 * Sign-in steps answered by a POST (progressive enhancement; CSP-safe: no inline code).
 *
 * The username POST answers with the next step's page itself (one request less per sign-in),
 * so the address bar would show /accounts/login/ on a POST. This puts the step's own URL there
 * (data-step-url on this script tag) without loading anything: reload and Back then fetch the
 * step with a GET instead of offering to post the username again. Without JavaScript the page
 * works as it is; a reload re-posts the name and shows the same page.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var url = script && script.getAttribute("data-step-url");
  if (url && window.history && typeof window.history.replaceState === "function") {
    window.history.replaceState(null, "", url);
  }
})();
