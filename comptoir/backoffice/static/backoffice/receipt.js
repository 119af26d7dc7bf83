/* comptoir, supplier receipt: « Ajouter une ligne » asks the server for the next line,
 * numbered after the lines already there. Here rather than in an hx-vals "js:" expression,
 * which needs eval, and the Content-Security-Policy allows none. */
document.addEventListener("htmx:configRequest", function (event) {
  "use strict";
  var rows = event.detail.elt.getAttribute("data-count-rows");
  if (rows) event.detail.parameters.n = document.querySelectorAll(rows).length + 1;
});
