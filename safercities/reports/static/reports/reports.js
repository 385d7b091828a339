/* Resident report form, progressive enhancement: tap the city map or use the device's location to
   fill the hidden lat/lon fields. Without this script the area list and the address do the job. */
(function () {
  "use strict";
  var form = document.querySelector("form.report-form");
  var svg = document.querySelector("svg[data-pick]");
  if (!form || !svg) { return; }
  var lat = form.querySelector("input[name=lat]");
  var lon = form.querySelector("input[name=lon]");
  var statusEl = document.getElementById("pick-status");
  var pin = svg.querySelector("circle.pin");
  var f = {
    minLon: parseFloat(svg.dataset.minLon), maxLat: parseFloat(svg.dataset.maxLat),
    kx: parseFloat(svg.dataset.kx), scale: parseFloat(svg.dataset.scale), pad: parseFloat(svg.dataset.pad)
  };
  var wrap = document.querySelector(".js-only");
  if (wrap) { wrap.hidden = false; }

  function say(text) { if (statusEl) { statusEl.textContent = text; } }
  function place(la, lo, x, y) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    if (x === undefined) {
      x = (lo - f.minLon) * f.kx * f.scale + f.pad;
      y = (f.maxLat - la) * f.scale + f.pad;
    }
    pin.setAttribute("cx", x.toFixed(1));
    pin.setAttribute("cy", y.toFixed(1));
    pin.hidden = false;
    pin.removeAttribute("hidden");
    say(svg.dataset.marked || "✓ " + la.toFixed(5) + ", " + lo.toFixed(5));
  }
  svg.addEventListener("click", function (event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var p = point.matrixTransform(svg.getScreenCTM().inverse());
    var lo = (p.x - f.pad) / (f.kx * f.scale) + f.minLon;
    var la = f.maxLat - (p.y - f.pad) / f.scale;
    place(la, lo, p.x, p.y);
  });
  var button = document.getElementById("use-location");
  if (button) {
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      say("…");
      navigator.geolocation.getCurrentPosition(
        function (pos) { place(pos.coords.latitude, pos.coords.longitude); },
        function () { say("✗"); },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }
}());
