// FogForge progressive enhancement. Pages work without this file; htmx is configured by
// <meta name="htmx-config">. No inline scripts anywhere (CSP default-src 'self').
(function () {
  "use strict";
  // Move focus to the error summary after a failed submit so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
  // Offer countdowns, title and alerts: static/js/offers.js (loaded by the offers page).
})();
