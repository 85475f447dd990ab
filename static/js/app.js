// FogForge progressive enhancement. Pages work without this file; htmx is configured by
// <meta name="htmx-config">. No inline scripts anywhere (CSP default-src 'self').
(function () {
  "use strict";
  // Move focus to the error summary after a failed submit so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
  // Offer countdowns (issue 5): the server renders the seconds left and the card re-renders
  // itself every few seconds (server time is the truth); this only ticks between refreshes.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-seconds]").forEach(function (el) {
      if (!el.dataset.start) { el.dataset.start = String(now); }
      var left = Math.max(0, Math.round(parseInt(el.dataset.seconds, 10) - (now - parseInt(el.dataset.start, 10)) / 1000));
      var text = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (el.textContent !== text) { el.textContent = text; }
    });
  }
  setInterval(tick, 1000);
})();
