// FogForge service worker (served at /sw.js, scope "/"): shows Web Push notifications and
// opens (or focuses) the page a notification points at. No caching: pages are live.
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function parse(event) {
  var fallback = { title: "FogForge", body: "Something new for you.", url: "/provider/" };
  if (!event.data) { return fallback; }
  try { return Object.assign(fallback, event.data.json()); } catch (e) { return Object.assign(fallback, { body: event.data.text() }); }
}

self.addEventListener("push", function (event) {
  var msg = parse(event);
  var url = new URL(msg.url || "/provider/", self.location.origin);
  if (url.origin !== self.location.origin) { url = new URL("/provider/", self.location.origin); }
  var shown = self.registration.showNotification(msg.title, {
    body: msg.body,
    tag: msg.tag || undefined,
    renotify: Boolean(msg.tag),
    requireInteraction: msg.kind === "new_offer",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/maskable-192.png",
    data: { url: url.href, kind: msg.kind || "" }
  }).then(function () {
    // Open pages (and the browser test) hear about it too.
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      windows.forEach(function (w) { w.postMessage({ type: "fogforge-push", title: msg.title, body: msg.body, url: url.href }); });
    });
  });
  event.waitUntil(shown);
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || new URL("/provider/", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      var w = windows[i];
      if (new URL(w.url).origin === self.location.origin && "focus" in w) {
        return ("navigate" in w ? w.navigate(target) : Promise.resolve(w)).then(function (c) { return (c || w).focus(); });
      }
    }
    return self.clients.openWindow(target);
  }));
});
