// Service worker: keeps the app shell (pages, scripts, styles, the page layouts Dash fetches) so a
// form page reloads while offline. Network first, cache as the fallback; submissions are not handled
// here (the page queues them in IndexedDB and replays them itself).
/* global TM_CALLBACK_CACHE, TM_SHELL_CACHE, tmCallbackKey */
importScripts("/assets/tm-00-cachekey.js");

const SHELL_PATHS = ["/assets/", "/_dash-component-suites/", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
  "/api/v1/me"];

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = [TM_CALLBACK_CACHE, TM_SHELL_CACHE];
    for (const name of await caches.keys()) {
      if (keep.indexOf(name) < 0) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

function isShell(url) {
  return SHELL_PATHS.some((p) => url.pathname.startsWith(p));
}

async function networkFirst(request, cacheKey) {
  const cache = await caches.open(TM_SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic") {
      await cache.put(cacheKey || request, response.clone());
    }
    return response;
  } catch (err) {
    const hit = await cache.match(cacheKey || request, {ignoreVary: true});
    if (hit) {
      return hit;
    }
    if (request.mode === "navigate") {
      // Dash serves the same page shell for every path: any cached page will route itself.
      const any = await cache.match("/__tm-page", {ignoreVary: true});
      if (any) {
        return any;
      }
    }
    throw err;
  }
}

async function callback(request) {
  const body = await request.clone().text();
  try {
    return await fetch(request);
  } catch (err) {
    const key = await tmCallbackKey(body);
    const hit = key && await (await caches.open(TM_CALLBACK_CACHE)).match(key);
    if (hit) {
      return hit;
    }
    return new Response(JSON.stringify({error: "You are offline and this part of the page was not saved for offline use."}),
      {status: 503, headers: {"Content-Type": "application/json"}});
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && url.pathname === "/_dash-update-component") {
    event.respondWith(callback(request));
    return;
  }
  if (request.method !== "GET" || url.pathname.startsWith("/login") || url.pathname.startsWith("/logout")) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith((async () => {
      const response = await networkFirst(request, url.pathname + url.search);
      if (response.ok && !response.redirected && response.type === "basic") {
        const cache = await caches.open(TM_SHELL_CACHE);
        await cache.put("/__tm-page", response.clone());
      }
      return response;
    })());
    return;
  }
  if (isShell(url)) {
    event.respondWith(networkFirst(request));
  }
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "tm-claim") {
    event.waitUntil(self.clients.claim());
  }
  if (event.data && event.data.type === "tm-clear") {
    event.waitUntil(Promise.all([caches.delete(TM_CALLBACK_CACHE), caches.delete(TM_SHELL_CACHE)]));
  }
});
