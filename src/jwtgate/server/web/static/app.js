// jwtgate pages: progressive enhancement only; every page works without this file.
// Silent refresh: shortly before the access cookie expires, renew it through the refresh
// cookie, so a page left open keeps working and a half-filled form is not lost. The tokens
// stay in HttpOnly cookies: this script never sees them, it only sends the CSRF token.
// Several tabs share one refresh cookie: a Web Lock lets one tab renew at a time, and the
// server does not rotate again when the access cookie was just renewed by another tab; when
// tabs do present one refresh token together (restored at once), the server answers them all
// with the one successor (its reuse interval) instead of ending the session.
"use strict";
(function () {
  var body = document.body;
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!body || !meta) return;
  var csrf = meta.getAttribute("content");
  var EARLY_MS = 30000;
  var failures = 0;

  function signedOut(next) {
    window.location.replace("/web/login?ended=1&next=" + encodeURIComponent(next));
  }

  function post(token) {
    return fetch("/web/session/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token, "Accept": "application/json" },
    });
  }

  // The renewal page (a page opened after its access cookie lapsed lands there): renew at
  // once and go back. Tabs restored together may each have been given a new CSRF cookie, so
  // ask for the one the browser holds now rather than trust the one rendered into the page.
  function renewPage(form, attempt) {
    var next = form.getAttribute("data-next") || "/web/account";
    fetch("/web/csrf", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("csrf: " + response.status);
        return response.json();
      })
      .then(function (data) { return post(data.csrf_token); })
      .then(function (response) {
        if (response.ok) window.location.replace(next);
        else if (response.status === 401) signedOut(next);
        else if (response.status === 403 && attempt < 2) renewPage(form, attempt + 1);
        else form.submit();
      })
      .catch(function () { form.submit(); });
  }

  var renewal = document.getElementById("silent-refresh");
  if (renewal) {
    renewPage(renewal, 0);
    return;
  }
  if (!body.dataset.accessExpires) return;

  function schedule(expiresAt) {
    var wait = expiresAt * 1000 - Date.now() - EARLY_MS;
    window.setTimeout(refresh, Math.max(wait, 1000));
  }

  function renew() {
    return post(csrf).then(function (response) {
      if (response.status === 401) {
        signedOut(window.location.pathname);
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
