// Swagger UI for /docs, from the package's own copy (no CDN): the settings FastAPI would
// put in an inline script, read from the page's data attributes instead, so the page keeps
// the Content-Security-Policy of the other pages (script-src 'self').
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") return;
  var ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    persistAuthorization: false,
    validatorUrl: null, // never ask a third-party validator about this API
    oauth2RedirectUrl: window.location.origin + root.dataset.oauth2RedirectUrl,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
  if (root.dataset.initOauth) ui.initOAuth(JSON.parse(root.dataset.initOauth));
  window.ui = ui;
})();
