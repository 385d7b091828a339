// Progressive enhancement for the workspace: poll a background import's JSON status and move the
// progress bar without reloading; reload once when the job ends. Without JavaScript a <noscript>
// meta refresh does the same, a little less smoothly.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("progress");
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) { setTimeout(poll, 5000); return; }
        if (!state.busy) { window.location.reload(); return; }
        if (bar && state.progress !== null) { bar.value = state.progress; }
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
