// Progressive enhancement only: every page works without this file.
// 1. Selectors submit their form on change (the button stays for keyboard and no-JS users).
// 2. Hovering or focusing an area on a map highlights the matching row of its table.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit(); });
  });
  document.querySelectorAll("figure.map").forEach(function (figure) {
    var link = figure.querySelector("a.skip-map");
    var table = link ? document.querySelector(link.getAttribute("href")) : null;
    if (!table) { return; }
    var rows = {};
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var a = row.querySelector("a");
      if (a) { rows[a.getAttribute("href")] = row; }
    });
    function mark(event, on) {
      var a = event.target.closest("a");
      var row = a && rows[a.getAttribute("href")];
      if (row) { row.classList.toggle("highlight", on); }
    }
    figure.addEventListener("mouseover", function (e) { mark(e, true); });
    figure.addEventListener("mouseout", function (e) { mark(e, false); });
    figure.addEventListener("focusin", function (e) { mark(e, true); });
    figure.addEventListener("focusout", function (e) { mark(e, false); });
  });
})();
