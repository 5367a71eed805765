// Offline support for the technician forms: drafts and a submission queue in IndexedDB, replayed in
// order (each exactly once: every submission and photo carries an idempotency key the server checks),
// an offline banner with the queue length, and the service worker that keeps the app shell.
/* global TM_CALLBACK_CACHE, TM_SHELL_CACHE, tmCallbackKey */
(function () {
  "use strict";
  const DB_NAME = "toolmaint";
  const DB_VERSION = 1;
  const HEADERS = {"X-Requested-With": "toolmaint"};
  const RETRY_MS = 20000;
  let dbPromise = null;
  let processing = null;
  let me = null;
  const listeners = [];

  // --- IndexedDB -------------------------------------------------------------------------------------
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, DB_VERSION);
        req.onupgradeneeded = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains("drafts")) db.createObjectStore("drafts");
          if (!db.objectStoreNames.contains("blobs")) db.createObjectStore("blobs");
          if (!db.objectStoreNames.contains("queue")) db.createObjectStore("queue", {keyPath: "seq", autoIncrement: true});
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }

  async function tx(store, mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const result = fn(t.objectStore(store));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  const idb = {
    get: (store, key) => tx(store, "readonly", (s) => s.get(key)),
    put: (store, value, key) => tx(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key))),
    del: (store, key) => tx(store, "readwrite", (s) => s.delete(key)),
    all: (store) => tx(store, "readonly", (s) => s.getAll()),
  };

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // --- who is signed in ------------------------------------------------------------------------------
  async function whoAmI() {
    try {
      const resp = await fetch("/api/v1/me", {credentials: "same-origin", cache: "no-store"});
      if (resp.ok) {
        me = await resp.json();
        localStorage.setItem("tm-user", me.username);
      } else if (resp.status === 401) {
        me = null;
        return {signedOut: true};
      }
    } catch (e) {
      me = me || (localStorage.getItem("tm-user") ? {username: localStorage.getItem("tm-user")} : null);
    }
    return me;
  }

  function currentUser() {
    return (me && me.username) || localStorage.getItem("tm-user") || "";
  }

  // --- the queue ---------------------------------------------------------------------------------------
  async function enqueue(entry) {
    entry.user = currentUser();
    entry.created = new Date().toISOString();
    entry.uploaded = entry.uploaded || {};
    entry.seq = await idb.put("queue", entry);
    notify();
    return entry;
  }

  async function queued() {
    const items = await idb.all("queue");
    return items.filter((e) => !e.user || e.user === currentUser()).sort((a, b) => a.seq - b.seq);
  }

  class Refused extends Error {
    constructor(errors, message) {
      super(message || "Refused");
      this.errors = errors || {};
    }
  }
  class Offline extends Error {}

  async function send(url, options) {
    let resp;
    try {
      resp = await fetch(url, Object.assign({credentials: "same-origin", cache: "no-store"}, options));
    } catch (e) {
      throw new Offline("network");
    }
    let body = {};
    try {
      body = await resp.json();
    } catch (e) {
      body = {};
    }
    if (resp.status === 422) throw new Refused(body.errors, body.error);
    if (resp.status === 403 || resp.status === 404 || resp.status === 400) {
      throw new Refused({_form: body.error || "The server refused this submission."}, body.error);
    }
    if (!resp.ok) {
      const err = new Offline(body.error || ("HTTP " + resp.status));
      err.status = resp.status;
      throw err;
    }
    return body;
  }

  // Upload the entry's photos that have not reached the server, then the submission itself.
  async function deliver(entry) {
    const headers = Object.assign({"X-Submitted-By": entry.user || currentUser()}, HEADERS);
    for (const photo of entry.photos || []) {
      if (entry.uploaded[photo.key]) continue;
      const blob = await idb.get("blobs", photo.key);
      if (!blob) {
        throw new Refused({photos: "A photo was lost on this device; remove it and take it again."});
      }
      const form = new FormData();
      form.append("photo", blob, photo.name || "photo.jpg");
      form.append("client_key", photo.key);
      form.append("mould_id", entry.payload.mould_id == null ? "" : entry.payload.mould_id);
      form.append("purpose", entry.purpose || "maintenance");
      let result;
      try {
        result = await send("/api/v1/photos", {method: "POST", body: form, headers});
      } catch (e) {
        if (e instanceof Refused && e.errors && e.errors.photo) {
          throw new Refused({photos: (photo.name ? photo.name + ": " : "") + e.errors.photo});
        }
        throw e;
      }
      entry.uploaded[photo.key] = {id: result.id, job_id: result.job_id || null};
      await idb.put("queue", entry);
    }
    const payload = Object.assign({}, entry.payload, {client_key: entry.key,
      photo_keys: (entry.photos || []).map((p) => p.key)});
    const result = await send(entry.url, {method: entry.method || "POST", body: JSON.stringify(payload),
      headers: Object.assign({"Content-Type": "application/json"}, headers)});
    result.photos = Object.values(entry.uploaded);
    return result;
  }

  async function finish(entry) {
    await idb.del("queue", entry.seq);
    for (const photo of entry.photos || []) {
      await idb.del("blobs", photo.key);
    }
  }

  // Replay the queue in order; stop at the first entry that cannot be sent now (order is kept).
  async function processQueue() {
    if (processing) return processing;
    processing = (async () => {
      const run = async () => {
        const who = await whoAmI();
        if (who && who.signedOut) {
          state.signedOut = true;
          return;
        }
        state.signedOut = false;
        for (const entry of await queued()) {
          state.sending = true;
          notify();
          try {
            const result = await deliver(entry);
            await finish(entry);
            emit({type: "sent", entry, result});
          } catch (e) {
            if (e instanceof Refused) {
              await finish(entry);
              await idb.put("drafts", {values: entry.draft || entry.payload, key: entry.key, errors: e.errors,
                refused: true, saved: new Date().toISOString()}, draftKey(entry.form));
              state.refused.push(entry.label || "A submission");
              emit({type: "refused", entry, errors: e.errors});
            } else {
              state.lastError = e.message;
              break;
            }
          }
        }
      };
      try {
        if (navigator.locks) {
          await navigator.locks.request("tm-queue", run);
        } else {
          await run();
        }
      } finally {
        state.sending = false;
        processing = null;
        notify();
      }
    })();
    return processing;
  }

  // --- events for the forms, and the banner ------------------------------------------------------------
  const state = {sending: false, signedOut: false, refused: [], lastError: null, count: 0};

  function on(fn) {
    listeners.push(fn);
  }
  function emit(event) {
    listeners.forEach((fn) => {
      try {
        fn(event);
      } catch (e) {
        console.warn(e);
      }
    });
    notify();
  }

  async function notify() {
    try {
      state.count = (await queued()).length;
    } catch (e) {
      state.count = 0;
    }
    renderBanner();
  }

  function renderBanner() {
    let el = document.getElementById("tm-offline-banner");
    if (!el) {
      el = document.createElement("div");
      el.id = "tm-offline-banner";
      el.setAttribute("role", "status");
      el.setAttribute("aria-live", "polite");
      document.body.prepend(el);
    }
    const offline = !navigator.onLine;
    const n = state.count;
    const waiting = n ? `${n} submission${n === 1 ? "" : "s"} waiting to be sent` : "";
    let text = "";
    let tone = "";
    if (offline) {
      text = "You are offline. Forms keep what you type" + (waiting ? `; ${waiting}.` : "; submissions wait here until the connection returns.");
      tone = "warning";
    } else if (state.signedOut && n) {
      text = `${waiting}: sign in again to send them.`;
      tone = "warning";
    } else if (n) {
      text = state.sending ? `Sending: ${waiting}…` : `${waiting}; retrying shortly.`;
      tone = "info";
    } else if (state.refused.length) {
      text = `${state.refused.join(", ")} was refused by the server and is back in its form as a draft: open the form to fix it.`;
      tone = "danger";
    }
    el.className = text ? `tm-banner alert alert-${tone} mb-0 rounded-0 text-center` : "tm-banner d-none";
    el.dataset.queue = String(n);
    el.textContent = text;
    if (state.refused.length && !n) {
      const close = document.createElement("button");
      close.type = "button";
      close.className = "btn btn-sm btn-outline-danger ms-2";
      close.textContent = "Dismiss";
      close.onclick = () => {
        state.refused = [];
        renderBanner();
      };
      el.appendChild(close);
    }
  }

  // --- drafts ------------------------------------------------------------------------------------------
  function draftKey(form) {
    return `${currentUser()}:${form}`;
  }

  // --- shell caching (for the service worker's offline answers) ---------------------------------------
  async function remember(request, response) {
    if (!("caches" in window)) return;
    try {
      const key = await tmCallbackKey(request);
      if (key) {
        const cache = await caches.open(TM_CALLBACK_CACHE);
        await cache.put(key, response);
      }
    } catch (e) {
      // A full cache or private mode: offline reload will not work, everything else does.
    }
  }

  function wrapFetch() {
    const original = window.fetch;
    window.fetch = async function (input, init) {
      const url = String(input && input.url ? input.url : input);
      const response = await original.apply(this, arguments);
      if (url.indexOf("_dash-update-component") >= 0 && init && typeof init.body === "string" && response.ok) {
        remember(init.body, response.clone());
      }
      return response;
    };
  }

  // Put the page and every script, style and layout it loaded into the shell cache, so the service worker
  // can serve this page while offline. Retried a few times if the connection drops while it runs.
  async function cacheShell(attempt = 0) {
    if (!("caches" in window)) return;
    try {
      const cache = await caches.open(TM_SHELL_CACHE);
      const urls = performance.getEntriesByType("resource").map((e) => new URL(e.name))
        .filter((u) => u.origin === location.origin && /^\/(assets|_dash-component-suites|_dash-layout|_dash-dependencies)/.test(u.pathname))
        .map((u) => u.pathname + u.search);
      await Promise.all(Array.from(new Set(urls)).map(async (u) => {
        if (!(await cache.match(u))) {
          const resp = await fetch(u, {credentials: "same-origin"});
          if (resp.ok) await cache.put(u, resp);
        }
      }));
      const page = await fetch(location.pathname + location.search, {credentials: "same-origin"});
      if (page.ok && !page.redirected) {
        await cache.put(location.pathname + location.search, page.clone());
        await cache.put("/__tm-page", page);
      }
      state.shellCached = true;
    } catch (e) {
      console.warn("app shell not cached yet", e);
      if (attempt < 5) setTimeout(() => cacheShell(attempt + 1), 3000);
    }
  }

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker.register("/sw.js", {scope: "/"})
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        // A page that was still loading when the worker activated is missed by its clients.claim(): ask again,
        // so this page's requests go through the worker too.
        if (!navigator.serviceWorker.controller && registration.active) {
          registration.active.postMessage({type: "tm-claim"});
        }
        if (navigator.onLine) setTimeout(cacheShell, 1500);
      })
      .catch((e) => console.warn("service worker not registered", e));
  }

  function forgetOnSignOut() {
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (form && form.getAttribute && (form.getAttribute("action") || "").endsWith("/logout")) {
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage({type: "tm-clear"});
        }
        localStorage.removeItem("tm-user");
      }
    }, true);
  }

  window.tmOffline = {idb, uuid, enqueue, processQueue, queued, on, deliver, draftKey, currentUser, whoAmI,
    Refused, Offline, state, notify, headers: HEADERS};

  wrapFetch();
  forgetOnSignOut();
  window.addEventListener("online", () => {
    notify();
    processQueue();
  });
  window.addEventListener("offline", notify);
  const start = () => {
    if (location.pathname.startsWith("/login")) return;
    registerServiceWorker();
    notify();
    if (navigator.onLine) processQueue();
    setInterval(() => {
      if (navigator.onLine && state.count) processQueue();
    }, RETRY_MS);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
