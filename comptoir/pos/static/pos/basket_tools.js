/* comptoir, till screen: the basket discount (F6) and parked baskets (F7).
 *
 * The forms are data-pos forms: pos.js posts them and applies the answer. This file only
 * adds the keys, and moves the focus to the manager's field when the server asks for a
 * manager's approval (the answer carries a field marked data-autofocus).
 */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var tools = $("basket-tools");
  if (!tools) return;

  document.addEventListener("keydown", function (e) {
    if (e.key === "F6") {
      var field = $("discount-input");
      if (field) { field.focus(); field.select(); }
    } else if (e.key === "F7") {
      var form = $("park-form");
      if (form && !form.querySelector("button[disabled]")) form.requestSubmit();
    } else {
      return;
    }
    e.preventDefault();
  });

  // pos.js replaces the section's content, then focuses the scan field: focus after it.
  new MutationObserver(function () {
    var wanted = tools.querySelector("[data-autofocus]");
    if (wanted) window.setTimeout(function () { wanted.focus(); }, 0);
  }).observe(tools, { childList: true });
})();
