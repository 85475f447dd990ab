// The live offers page (issue 11). The page works without this file (reload); the poll itself
// is plain htmx (templates/provider/_offer_poller.html). This file only:
//  - runs each countdown in the browser from the deadline the server rendered (the server stays
//    the judge: a late accept is refused there, and a poll swaps in the new status);
//  - keeps the tab title counting the open offers: "(2) Offers · FogForge";
//  - on a new offer, plays a short sound (the provider's setting) and, while the tab is hidden,
//    shows a browser notification (once the provider allowed them).
(function () {
  "use strict";
  var seen = {};

  function list() { return document.getElementById("offer-list"); }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-seconds]").forEach(function (el) {
      // Skew-free: the seconds left at render time, counted from when this element arrived.
      // (data-deadline holds the same deadline as an ISO time, for people and tests.)
      if (!el.dataset.start) { el.dataset.start = String(now); }
      var left = Math.max(0, Math.round(parseInt(el.dataset.seconds, 10) - (now - parseInt(el.dataset.start, 10)) / 1000));
      var text = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (el.textContent !== text) { el.textContent = text; }
    });
  }

  function openCount(root) {
    return root.querySelectorAll('.offer-status[data-state="open"], .offer-status[data-state="restricted"]').length;
  }

  function updateTitle() {
    var root = list();
    if (!root) { return; }
    var n = openCount(root);
    var title = (n ? "(" + n + ") " : "") + "Offers · FogForge";
    if (document.title !== title) { document.title = title; }
  }

  function chime(root) {
    if (root.dataset.sound !== "on" || !root.dataset.soundUrl) { return; }
    try {
      var audio = new Audio(root.dataset.soundUrl);
      var played = audio.play();
      if (played && played.catch) { played.catch(function () {}); } // autoplay refused: stay quiet
    } catch (e) { /* no audio on this device */ }
  }

  function desktopNotice(card) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") { return; }
    var heading = card.querySelector(".card-title");
    try {
      var note = new Notification("New offer: " + (heading ? heading.textContent : "a customer near you"), {
        body: "First to accept gets it.", tag: card.id
      });
      note.onclick = function () { window.focus(); card.scrollIntoView(); note.close(); };
    } catch (e) { /* some browsers only notify from a service worker */ }
  }

  function scan(announce) {
    var root = list();
    if (!root) { return; }
    var fresh = [];
    root.querySelectorAll("article.offer-card").forEach(function (card) {
      if (seen[card.id]) { return; }
      seen[card.id] = true;
      if (announce && openCount(card)) { fresh.push(card); }
    });
    if (fresh.length) {
      chime(root);
      fresh.forEach(desktopNotice);
    }
    updateTitle();
    tick();
  }

  function setUpAlertsButton() {
    var button = document.getElementById("desktop-notifications");
    if (!button || !("Notification" in window) || Notification.permission !== "default") { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }

  var pending = false;
  function afterSwap() {
    if (pending) { return; }
    pending = true;
    setTimeout(function () { pending = false; scan(true); }, 0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!list()) { return; }
    scan(false);
    setUpAlertsButton();
    document.body.addEventListener("htmx:afterSettle", afterSwap);
    document.body.addEventListener("htmx:oobAfterSwap", afterSwap);
    setInterval(tick, 1000);
  });
})();
