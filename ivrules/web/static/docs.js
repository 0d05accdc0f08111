// /docs: Swagger UI over the service's own OpenAPI description, from the package's files (no CDN).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const holder = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: holder.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: false, // a deep link is a link inside the summary button: nested controls (WCAG 4.1.2)
    defaultModelsExpandDepth: -1, // the schemas are long; each answer shows its own
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
