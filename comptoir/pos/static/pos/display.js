/* comptoir, customer display. Polls the till's basket state every half second (ETag: an
 * unchanged basket is a 304) and shows it; every text is set as text, never as HTML. */
(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root) return;
  var url = root.getAttribute("data-url");
  var every = parseInt(root.getAttribute("data-poll-ms"), 10) || 500;
  var etag = "";

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.className = cls;
    td.textContent = text;
    row.appendChild(td);
  }

  function show(state) {
    root.setAttribute("data-state", state.state);
    Array.prototype.forEach.call(root.querySelectorAll("[data-field]"), function (el) {
      var value = state[el.getAttribute("data-field")];
      el.textContent = value === undefined ? "" : value;
    });
    var body = document.getElementById("display-lines");
    var rows = document.createDocumentFragment();
    (state.lines || []).forEach(function (line) {
      var tr = document.createElement("tr");
      cell(tr, line.label, "label");
      cell(tr, line.quantity, "qty");
      cell(tr, line.total, "num");
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    // When the lines overflow, the newest one (at the bottom) is the one the customer checks.
    var basket = root.querySelector(".display-basket");
    basket.scrollTop = basket.scrollHeight;
  }

  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-cache", redirect: "error" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (!response.ok) throw new Error(String(response.status));
        etag = response.headers.get("ETag") || "";
        return response.json();
      })
      .then(function (state) { if (state) show(state); })
      .catch(function () { /* the till is restarting or the session ended: try again */ })
      .then(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
})();
