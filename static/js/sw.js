/* ReliefDepot service worker for the scanning page. Served by the app at /sw.js (scan/views.py), which
   puts VERSION, PAGE and PRECACHE in front of this file; registered with the scope of the page.

   - The page: network first (a short wait), the last good copy when offline, slow or failing. A redirect
     to the login page is passed on: a person logs in again (queued actions wait in the outbox).
   - Scripts, styles and the decoder (.js, .wasm): from the cache of this version; a changed file makes a
     new VERSION, hence a new worker and a fresh cache.
   - Everything else (the API) is not touched: the page's outbox deals with being offline. */
/* global VERSION, PAGE, PRECACHE */
const CACHE = "reliefdepot-scan-" + VERSION;
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("reliefdepot-scan-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(page(request));
  } else if (PRECACHE.includes(url.pathname) && url.pathname !== PAGE) {
    event.respondWith(asset(request, url.pathname));
  }
});

async function page(request) {
  const cache = await caches.open(CACHE);
  let response;
  try {
    response = await withTimeout(fetch(request), NETWORK_WAIT_MS);
  } catch (e) {  // offline or too slow: the last good copy
    const kept = await cache.match(PAGE);
    if (kept) return kept;
    throw e;
  }
  if (response.ok && response.type === "basic" && !response.redirected) {
    await cache.put(PAGE, response.clone());
  } else if (response.status >= 500) {
    const kept = await cache.match(PAGE);
    if (kept) return kept;
  }
  return response;  // a redirect to the login page passes through: a person logs in again
}

async function asset(request, path) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(path);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(path, response.clone());
  return response;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("network timeout")), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}
