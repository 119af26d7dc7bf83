/* The till's payment methods (comptoir/pos/templates/pos/_payment.html): a method whose
 * rule requires a transaction reference (data-reference-for) makes its reference field
 * required as soon as an amount is typed for it, so that the browser asks for it before
 * the sale is sent (the server checks it again: comptoir/sales/calculations.py
 * payment_rule). */
(function () {
  "use strict";
  function sync(field) {
    var ref = document.querySelector('[data-reference-for="' + field.getAttribute("data-pay") + '"]');
    if (ref) ref.required = field.value.trim() !== "";
  }
  function syncAll() {
    document.querySelectorAll("[data-pay]").forEach(sync);
  }
  document.addEventListener("input", function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute("data-pay")) sync(e.target);
  });
  // A card or mobile field filled with what is left to pay (pos.js, on focus: its
  // listener runs first, the scripts load in that order) counts too.
  ["focusin", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      if (e.target.hasAttribute && e.target.hasAttribute("data-pay")) sync(e.target);
    });
  });
  syncAll();

  // The customer display (pos/display.js, a second window of this session) shows the
  // amount received and the change as they are typed: the fields go to the server a
  // quarter of a second after the last key.
  var pending = null;
  function tell() {
    var form = document.getElementById("payment-form");
    if (!form || !form.getAttribute("data-display-url")) return;
    fetch(form.getAttribute("data-display-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).catch(function () { /* the display is a convenience: never in the cashier's way */ });
  }
  document.addEventListener("input", function (e) {
    if (!(e.target.hasAttribute && e.target.hasAttribute("data-pay"))) return;
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(tell, 250);
  });
})();
