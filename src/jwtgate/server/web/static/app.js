// jwtgate pages: progressive enhancement only; every page works without this file.
// Silent refresh: shortly before the access cookie expires, renew it through the refresh
// cookie, so a page left open keeps working and a half-filled form is not lost. The tokens
// stay in HttpOnly cookies: this script never sees them, it only sends the CSRF token.
// Several tabs share one refresh cookie: a Web Lock lets one tab renew at a time, and the
// server does not rotate again when the access cookie was just renewed by another tab (a
// refresh token presented twice would end the session as a suspected theft).
"use strict";
(function () {
  var body = document.body;
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!body || !meta || !body.dataset.accessExpires) return;
  var csrf = meta.getAttribute("content");
  var EARLY_MS = 30000;
  var failures = 0;

  function schedule(expiresAt) {
    var wait = expiresAt * 1000 - Date.now() - EARLY_MS;
    window.setTimeout(refresh, Math.max(wait, 1000));
  }

  function renew() {
    return fetch("/web/session/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/web/login?ended=1&next=" + encodeURIComponent(window.location.pathname));
        return null;
      }
      if (!response.ok) throw new Error("refresh failed: " + response.status);
      return response.json();
    });
  }

  function refresh() {
    var run = navigator.locks ? navigator.locks.request("jwtgate-refresh", renew) : renew();
    run.then(function (data) {
      if (!data) return;
      failures = 0;
      schedule(Date.now() / 1000 + data.expires_in);
    }).catch(function () {
      failures += 1;
      if (failures < 5) window.setTimeout(refresh, 5000 * failures);
    });
  }

  schedule(Number(body.dataset.accessExpires));
})();
