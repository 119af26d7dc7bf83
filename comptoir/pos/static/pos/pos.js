/* comptoir, till screen. No framework, nothing from a CDN.
 *
 * - Forms marked data-pos are posted in order, one at a time: a scanner can send the next
 *   code before the answer to the previous one comes back, and nothing must be lost or
 *   reordered. The field's text is taken (and the field emptied) the moment Enter is hit.
 * - The answer is a handful of elements; each replaces the content of the element with the
 *   same id (live regions stay in place, so screen readers announce errors).
 * - After each action the focus goes back to the scan field (or to the field in error).
 * - Printable pages: [data-print] prints; body[data-autoprint] prints once loaded.
 */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };

  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });
  if (document.body.hasAttribute("data-autoprint")) {
    window.addEventListener("load", function () { window.print(); });
  }

  var scan = $("scan");
  if (!scan) return;
  var root = $("pos");
  var customer = $("customer-input");
  var queue = Promise.resolve();
  var pending = 0;
  var lastKey = "";
  var lastAt = 0;

  /* ---- answers ---------------------------------------------------------------------- */
  function apply(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var focus = "scan";
    Array.prototype.forEach.call(doc.body.children, function (src) {
      if (src.id === "pos-focus") { focus = src.getAttribute("data-focus") || "scan"; return; }
      var target = src.id && $(src.id);
      if (!target) return;
      Array.prototype.forEach.call(src.attributes, function (attr) {
        if (attr.name !== "id") target.setAttribute(attr.name, attr.value);
      });
      target.innerHTML = src.innerHTML;
    });
    return focus;
  }

  function refocus(where) {
    updatePay();
    if (where === "pay") {
      var active = document.activeElement;
      if (!active || !active.hasAttribute("data-pay")) document.querySelector("[data-pay]").focus();
    } else if (where === "customer") {
      customer.focus();
    } else {
      scan.focus();
    }
    // What the action produced (a validated sale, an error with the card it is about) is
    // brought into view, and the field where the focus went back stays in view with it.
    document.querySelectorAll("#receipt h2, #receipt .change-due, .feedback .error").forEach(function (el) {
      (el.closest(".pos-card") || el).scrollIntoView({ block: "nearest" });
    });
    if (document.activeElement) document.activeElement.scrollIntoView({ block: "nearest" });
  }

  function fail(message) {
    $("scan-feedback").innerHTML = '<p class="error"></p>';
    $("scan-feedback").firstChild.textContent = message;
    scan.focus();
  }

  function post(url, data) {
    pending += 1;
    document.body.classList.add("pos-busy");
    queue = queue.then(function () {
      return fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "HX-Request": "true" },
      }).then(function (response) {
        if (response.redirected) { window.location.href = response.url; return null; }
        var type = response.headers.get("content-type") || "";
        if ((!response.ok && response.status !== 422) || type.indexOf("text/html") < 0) {
          throw new Error(String(response.status));
        }
        return response.text().then(function (html) { refocus(apply(html)); });
      }).catch(function (error) {
        fail(root.getAttribute("data-msg-failed") + " (" + error.message + ")");
      }).finally(function () {
        pending -= 1;
        if (!pending) document.body.classList.remove("pos-busy");
      });
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-pos")) return;
    e.preventDefault();
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) return;
    var submitter = e.submitter;
    var url = submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
    var data = new FormData(form);
    // A change then Enter in a line field would post the same thing twice.
    var key = url + "?" + new URLSearchParams(data).toString();
    var now = Date.now();
    if (form.id !== "scan-form" && key === lastKey && now - lastAt < 1500) return;
    lastKey = key;
    lastAt = now;
    if (form.id === "scan-form") { scan.value = ""; close(scan); }
    if (form.id === "customer-form") { customer.value = ""; close(customer); }
    post(url, data);
  });

  document.addEventListener("change", function (e) {
    if (e.target.hasAttribute("data-line-field")) e.target.form.requestSubmit();
  });

  /* ---- suggestions (combobox + listbox) --------------------------------------------- */
  function listOf(input) { return $(input.getAttribute("aria-controls")); }
  function options(input) { return Array.prototype.slice.call(listOf(input).querySelectorAll("[role=option]")); }
  function close(input) {
    input.comboSeq = (input.comboSeq || 0) + 1;
    listOf(input).innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function select(input, index) {
    var opts = options(input);
    opts.forEach(function (opt, i) { opt.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (opts[index]) {
      input.setAttribute("aria-activedescendant", opts[index].id);
      opts[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function current(input) {
    return options(input).findIndex(function (opt) { return opt.getAttribute("aria-selected") === "true"; });
  }
  function pick(input, option) {
    var prefix = input === scan ? (/^\s*[\d.,]+\s*\*/.exec(input.value) || [""])[0] : "";
    input.value = prefix.replace(/\s/g, "") + option.getAttribute("data-value");
  }

  [scan, customer].forEach(function (input) {
    var timer = null;
    var url = input.getAttribute("data-suggest");
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2) { close(input); return; }
      timer = window.setTimeout(function () {
        var seq = (input.comboSeq = (input.comboSeq || 0) + 1);
        fetch(url + "?q=" + encodeURIComponent(text), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : ""; })
          .then(function (html) {
            if (seq !== input.comboSeq || input.value.trim() !== text) return;
            listOf(input).innerHTML = html;
            input.setAttribute("aria-expanded", options(input).length ? "true" : "false");
            select(input, -1);
          })
          .catch(function () { /* suggestions are a help: Enter still works */ });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      var opts = options(input);
      var index = current(input);
      if (e.key === "ArrowDown" && opts.length) {
        select(input, (index + 1) % opts.length);
      } else if (e.key === "ArrowUp" && opts.length) {
        select(input, index <= 0 ? opts.length - 1 : index - 1);
      } else if (e.key === "Enter") {
        window.clearTimeout(timer);
        if (index >= 0 && opts[index]) pick(input, opts[index]);
        return; // the form submits
      } else if (e.key === "Escape" && opts.length) {
        close(input);
        e.stopPropagation();
      } else {
        return;
      }
      e.preventDefault();
    });
    listOf(input).addEventListener("mousedown", function (e) {
      var option = e.target.closest("[role=option]");
      if (!option) return;
      e.preventDefault();
      pick(input, option);
      input.form.requestSubmit();
    });
  });

  /* ---- payment: remaining amount and change due ------------------------------------- */
  /* A typed amount in minor units (NaN if malformed), by the rules of the server's
   * comptoir/lib/numbers.py: spaces and apostrophes are dropped; with both "," and "."
   * the last one is the decimal separator and the other groups thousands; one of them
   * several times groups thousands; one of them once is the decimal separator ("1,234"
   * is 1.234). Thousands go by three digits after a first group of one to three. */
  function minor(text, exp) {
    var clean = text.replace(/[\s\u00a0\u202f'\u2019]/g, "");
    if (!clean) return 0;
    if (!/^[\d.,]+$/.test(clean)) return NaN;
    var commas = clean.split(",").length - 1, dots = clean.split(".").length - 1;
    var point = "", group = "";
    if (commas && dots) {
      point = clean.lastIndexOf(",") > clean.lastIndexOf(".") ? "," : ".";
      group = point === "," ? "." : ",";
    } else if (commas + dots === 1) {
      point = commas ? "," : ".";
    } else if (commas + dots > 1) {
      group = commas ? "," : ".";
    }
    var parts = point ? clean.split(point) : [clean];
    if (parts.length > 2) return NaN;
    var whole = parts[0], fraction = parts.length > 1 ? parts[1] : "";
    if (group) {
      if (!/^\d{1,3}(?:[.,]\d{3})+$/.test(whole)) return NaN;
      whole = whole.split(group).join("");
    }
    if (!/^\d*$/.test(whole + fraction) || !(whole + fraction) || fraction.length > exp) return NaN;
    var cents = Number((fraction + "000").slice(0, exp) || "0");
    return Number(whole || "0") * Math.pow(10, exp) + cents;
  }
  /* An amount in minor units as the page's language writes it, followed by the currency
   * as the server writes it (what follows the digits in data-zero, "0,00 €"), so that it
   * looks like the amounts rendered around it. French by hand (narrow no-break spaces
   * between thousands, a decimal comma); another language through Intl.NumberFormat, or
   * the French way in a browser without it. grouped === false: no thousands separator,
   * for a field the cashier may type in. */
  var lang = document.documentElement.lang || "fr";
  function money(value, exp, zero, grouped) {
    var digits = String(Math.abs(value));
    while (digits.length <= exp) digits = "0" + digits;
    var whole = exp ? digits.slice(0, -exp) : digits;
    var suffix = zero.replace(/^[\d.,]+/, "");
    if (!/^fr\b/i.test(lang) && window.Intl && Intl.NumberFormat) {
      try {
        // A decimal string, not a float: formatted exactly where the browser allows it.
        var decimal = (value < 0 ? "-" : "") + whole + (exp ? "." + digits.slice(-exp) : "");
        return new Intl.NumberFormat(lang, {
          minimumFractionDigits: exp, maximumFractionDigits: exp, useGrouping: grouped !== false,
        }).format(decimal) + suffix;
      } catch (e) { /* an unknown language tag: the French way below */ }
    }
    if (grouped !== false) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    return (value < 0 ? "−" : "") + whole + (exp ? "," + digits.slice(-exp) : "") + suffix;
  }
  function totals() {
    var box = $("basket-totals");
    return {
      total: Number(box.getAttribute("data-total")),
      exp: Number(box.getAttribute("data-exp")),
      zero: box.getAttribute("data-zero"),
    };
  }
  function paidBy(exp, except, selector) {
    var sum = 0;
    document.querySelectorAll(selector || "[data-pay]").forEach(function (field) {
      if (field !== except) sum += minor(field.value, exp);
    });
    return sum;
  }
  /* The rule of the server's settle() (comptoir/sales/calculations.py): the excess over
   * the total is change, and change comes only from the methods the server marks
   * data-change (cash); a card paying more than is due is refused, so never promised. */
  function updatePay() {
    var t = totals();
    var status = $("pay-status-amount");
    var label = $("pay-status-label");
    if (!status) return;
    var paid = paidBy(t.exp, null);
    var givesChange = paidBy(t.exp, null, "[data-pay][data-change]");
    var box = status.parentNode;
    var hint = $("pay-no-change");
    if (hint) hint.hidden = true;
    if (isNaN(paid)) {
      label.textContent = box.getAttribute("data-label-invalid");
      status.textContent = "";
      box.className = "pay-status invalid";
    } else if (paid > t.total && paid - t.total > givesChange) {
      label.textContent = box.getAttribute("data-label-excess");
      status.textContent = money(paid - t.total, t.exp, t.zero);
      box.className = "pay-status invalid";
      if (hint) hint.hidden = false;
    } else if (paid >= t.total && paid > 0) {
      label.textContent = box.getAttribute("data-label-change");
      status.textContent = money(paid - t.total, t.exp, t.zero);
      box.className = "pay-status paid";
    } else {
      label.textContent = box.getAttribute("data-label-due");
      status.textContent = money(t.total - paid, t.exp, t.zero);
      box.className = "pay-status due";
    }
  }
  document.addEventListener("input", function (e) {
    if (e.target.hasAttribute("data-pay")) updatePay();
  });
  // A card, mobile or cheque field offers what is left to pay (selected: typing replaces it).
  document.addEventListener("focusin", function (e) {
    var field = e.target;
    if (!field.hasAttribute || !field.hasAttribute("data-pay") || field.hasAttribute("data-change") || field.value) return;
    var t = totals();
    var rest = t.total - paidBy(t.exp, field);
    if (rest > 0) {
      field.value = money(rest, t.exp, "", false);
      field.select();
      updatePay();
    }
  });

  /* ---- keyboard shortcuts ----------------------------------------------------------- */
  document.addEventListener("keydown", function (e) {
    switch (e.key) {
      case "F2": scan.focus(); break;
      case "F3": {
        var last = $("basket-lines").getAttribute("data-last");
        var field = last && $("qty-" + last);
        if (field) { field.focus(); field.select(); }
        break;
      }
      case "F4": customer.focus(); break;
      case "F8": document.querySelector("[data-pay]").focus(); break;
      case "F9": $("payment-form").requestSubmit(); break;
      case "Escape": scan.focus(); break;
      default: return;
    }
    e.preventDefault();
  });

  updatePay();
  scan.focus();
})();
