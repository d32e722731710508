// Swagger UI for the merged OpenAPI, served by the gateway itself (no CDN): works offline.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    persistAuthorization: true,
    oauth2RedirectUrl: window.location.origin + "/docs/static/oauth2-redirect.html",
  });
});
