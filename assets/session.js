// When the server says the session has expired (401 on a Dash callback), go to the sign-in page
// instead of leaving a page that silently stops updating.
(function () {
  const originalFetch = window.fetch;
  window.fetch = async function (...args) {
    const response = await originalFetch.apply(this, args);
    const url = String(args[0] && args[0].url ? args[0].url : args[0]);
    if (response.status === 401 && url.includes("_dash-update-component")) {
      const next = encodeURIComponent(window.location.pathname + window.location.search);
      window.location.assign("/login?expired=1&next=" + next);
    }
    return response;
  };
})();
