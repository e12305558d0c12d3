// Progressive enhancement only: the page works without this file.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;

  // Officials and countries suggested as you type, in any script.
  var box = document.getElementById("q"), list = document.getElementById("suggestions");
  var timer = null;
  if (box && list) {
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var typed = box.value.trim();
        if (typed.length < 2) return;
        fetch("/api/suggest?q=" + encodeURIComponent(typed))
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            list.textContent = "";
            data.suggestions.forEach(function (s) {
              var option = document.createElement("option");
              option.value = s.name;
              option.label = s.type === "official" ? "official" : "country";
              list.appendChild(option);
            });
          });
      }, 150);
    });
  }

  // Ticking a facet applies it at once; a new filter starts from page 1.
  form.querySelectorAll(".facet input[type=checkbox], .facet-op input").forEach(function (box) {
    box.addEventListener("change", function () { form.submit(); });
  });
  form.querySelectorAll("button.apply").forEach(function (b) { b.hidden = true; });

  // Dragging across histogram bars filters to the range they span.
  var svg = document.getElementById("histogram");
  if (!svg) return;
  var bars = Array.prototype.slice.call(svg.querySelectorAll("a.bar"));
  var start = null, current = null, dragged = false;

  function barAt(event) {
    var el = document.elementFromPoint(event.clientX, event.clientY);
    return el && el.closest ? el.closest("a.bar") : null;
  }
  function mark() {
    var a = bars.indexOf(start), b = bars.indexOf(current);
    var lo = Math.min(a, b), hi = Math.max(a, b);
    bars.forEach(function (bar, i) { bar.classList.toggle("selected", i >= lo && i <= hi); });
  }
  function go(first, last) {
    var a = bars.indexOf(first), b = bars.indexOf(last);
    var lo = bars[Math.min(a, b)], hi = bars[Math.max(a, b)];
    var params = new URLSearchParams(window.location.search);
    params.set("from", lo.dataset.from);
    params.set("to", hi.dataset.to);
    params.delete("page");
    params.delete("cursor");
    window.location.search = params.toString();
  }
  svg.addEventListener("pointerdown", function (event) {
    var bar = barAt(event);
    if (!bar) return;
    start = current = bar; dragged = false; mark();
    event.preventDefault();
  });
  svg.addEventListener("pointermove", function (event) {
    if (!start) return;
    var bar = barAt(event);
    if (bar && bar !== current) { current = bar; dragged = true; mark(); }
  });
  window.addEventListener("pointerup", function () {
    if (!start) return;
    var first = start, last = current;
    start = null;
    if (dragged) go(first, last);
  });
  bars.forEach(function (bar) {
    bar.addEventListener("click", function (event) {
      if (dragged) { event.preventDefault(); dragged = false; }
    });
  });
})();
