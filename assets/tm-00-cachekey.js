// The cache key of a Dash callback request: the same in the page (which stores responses) and in the
// service worker (which answers from them while offline). Loaded by Dash in the page and by
// importScripts in /sw.js.
(function (scope) {
  "use strict";
  // Callbacks whose last response is kept for offline use: Dash's page router (the page layout).
  scope.TM_CACHED_OUTPUTS = [".._pages_content.children..._pages_store.data.."];
  scope.TM_CALLBACK_CACHE = "tm-callbacks-v1";
  scope.TM_SHELL_CACHE = "tm-shell-v1";

  scope.tmCallbackKey = async function (bodyText) {
    let body;
    try {
      body = JSON.parse(bodyText);
    } catch (e) {
      return null;
    }
    if (!body || scope.TM_CACHED_OUTPUTS.indexOf(body.output) < 0) {
      return null;
    }
    const inputs = (body.inputs || []).map((i) => [JSON.stringify(i.id), i.property, i.value]);
    const text = JSON.stringify([body.output, inputs]);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    const hex = Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, "0")).join("");
    return "/__tm-callback/" + hex;
  };
})(typeof self !== "undefined" ? self : window);
