/* SafeGrid field app service worker (scope /field/): keeps the app shell so the app opens
   without a network. Shell files are answered from the cache at once and refreshed in the
   background (a new version shows on the next start). The API (/api/…) is never touched:
   the app keeps its own data in IndexedDB and queues its writes. */
"use strict";
var VERSION = "sg-field-2026-12-06.6";
var SHELL = ["/field/", "/field/app.css", "/field/util.js", "/field/store.js", "/field/sync.js", "/field/forms.js", "/field/reports.js", "/field/app.js",
  "/field/manifest.webmanifest", "/field/icon.svg", "/field/icon-192.png"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) {
    // "no-cache", not "reload": the files the page just loaded are revalidated (304 by their
    // ETag) instead of downloaded a second time on a slow link.
    return cache.addAll(SHELL.map(function (u) { return new Request(u, { cache: "no-cache", credentials: "same-origin" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("sg-field-") === 0 && k !== VERSION; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function shellKey(url) {
  // The shell answers every page of the app (/field/, /field/index.html, /field/?x).
  if (url.pathname === "/field/" || url.pathname === "/field" || url.pathname === "/field/index.html") return "/field/";
  return url.pathname;
}

function refresh(cache, key) {
  return fetch(new Request(key, { cache: "no-cache", credentials: "same-origin" })).then(function (r) {
    // Only a real copy of the file: not a redirect to the sign-in page, not an error.
    if (r.ok && !r.redirected && r.type === "basic") return cache.put(key, r.clone()).then(function () { return r; });
    return r;
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/field") !== 0 || url.pathname === "/field/sw.js") return;
  var key = shellKey(url);
  if (req.mode !== "navigate" && SHELL.indexOf(key) < 0) return;
  event.respondWith(caches.open(VERSION).then(function (cache) {
    return cache.match(key).then(function (hit) {
      var update = refresh(cache, key);
      if (hit) {
        event.waitUntil(update.catch(function () { /* offline: the cached copy stands */ }));
        return hit;
      }
      return update.catch(function () {
        return new Response("<!doctype html><meta charset=utf-8><title>离线</title><p>离线且本机没有缓存，请联网后打开 · offline and not cached yet", {
          status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    });
  }));
});
