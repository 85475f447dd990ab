// FogForge Web Push (progressive enhancement; the settings page explains what happens without it).
// Loaded for signed-in users only. Registers the service worker (/sw.js, scope "/") so
// FogForge is installable and can show pushes, and wires the
// "Turn on notifications on this device" control on /provider/settings/notifications.
(function () {
  "use strict";
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  function csrfToken() {
    var holder = document.body && document.body.getAttribute("hx-headers");
    try { return JSON.parse(holder || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) { return r.json().catch(function () { return {}; }).then(function (j) { throw new Error(j.error || ("HTTP " + r.status)); }); }
      return r.json();
    });
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  var registration = supported ? navigator.serviceWorker.register("/sw.js", { scope: "/" }) : null;

  function setup(control) {
    var status = document.getElementById("push-status");
    var on = control.querySelector("[data-push-on]");
    var off = control.querySelector("[data-push-off]");
    var key = control.getAttribute("data-vapid-key");
    function say(text) { status.textContent = text; }
    function show(subscribed) { on.hidden = subscribed; off.hidden = !subscribed; }

    if (!supported) {
      say("This browser can't receive push notifications. On iPhone and iPad, add FogForge to your Home Screen first (Share › Add to Home Screen), then open it from there.");
      return;
    }
    control.hidden = false;
    registration.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      show(Boolean(sub));
      say(sub ? "Notifications are on for this device." : (Notification.permission === "denied"
        ? "Notifications are blocked for FogForge in this browser's site settings."
        : "Notifications are off for this device."));
    });

    on.addEventListener("click", function () {
      on.disabled = true;
      say("Asking your browser…");
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") { throw new Error("Notifications were not allowed. You can allow them in this browser's site settings."); }
        return navigator.serviceWorker.ready;
      }).then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
      }).then(function (sub) {
        return post(control.getAttribute("data-subscribe-url"), sub.toJSON());
      }).then(function (saved) {
        show(true);
        say("Notifications are on for this device (" + saved.label + "). Reload to see it in the list.");
      }).catch(function (err) {
        say("This browser could not turn on notifications (" + (err.message || String(err)) + "). You still get every offer by email and on your offers page.");
      }).then(function () { on.disabled = false; });
    });

    off.addEventListener("click", function () {
      off.disabled = true;
      registration.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
        if (!sub) { return null; }
        var endpoint = sub.endpoint;
        return sub.unsubscribe().then(function () { return post(control.getAttribute("data-unsubscribe-url"), { endpoint: endpoint }); });
      }).then(function () {
        show(false);
        say("Notifications are off for this device.");
      }).catch(function (err) { say(err.message || String(err)); }).then(function () { off.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var control = document.getElementById("push-control");
    if (control) { setup(control); }
  });
})();
