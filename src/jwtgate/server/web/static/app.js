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

// Passkeys: forms marked data-passkey get a working button once the browser can do WebAuthn.
// The ceremony runs here (navigator.credentials), the credential goes into the form's hidden
// "credential" field, and the server verifies it; without WebAuthn the button stays hidden.
(function () {
  var forms = document.querySelectorAll("form[data-passkey]");
  if (!forms.length || !window.PublicKeyCredential ||
      !PublicKeyCredential.parseRequestOptionsFromJSON) return;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function options(form) {
    if (form.dataset.options) return Promise.resolve(JSON.parse(form.dataset.options));
    return fetch(form.dataset.optionsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error("passkey options: " + response.status);
      return response.json();
    });
  }

  function ceremony(kind, publicKey) {
    if (kind === "create") {
      return navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(publicKey) });
    }
    return navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(publicKey) });
  }

  Array.prototype.forEach.call(forms, function (form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      var field = form.querySelector('input[name="credential"]');
      if (field.value) return;
      event.preventDefault();
      options(form).then(function (publicKey) {
        return ceremony(form.dataset.passkey, publicKey);
      }).then(function (credential) {
        field.value = JSON.stringify(credential.toJSON());
        form.submit();
      }).catch(function () {
        var note = form.querySelector(".passkey-error");
        if (note) note.hidden = false;
      });
    });
  });
})();
