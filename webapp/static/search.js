// Progressive enhancement only: every page works without this file (facets are
// checkboxes in the form, the Filters button is a link to #filters, chart bars and pages
// are links).
(function () {
  "use strict";
  var phone = window.matchMedia("(max-width: 55.99rem)");

  // "/" focuses the search box, as on most search sites (not while typing elsewhere).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var active = document.activeElement;
    if (active && (/^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) || active.isContentEditable)) return;
    var box = document.querySelector("[data-slash-focus]");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  // Each chart bar's count, shown under the chart on hover and focus.
  document.querySelectorAll("figure.histogram").forEach(function (figure) {
    var readout = figure.querySelector(".readout");
    if (!readout) return;
    var idle = readout.innerHTML;
    figure.querySelectorAll("a.bar").forEach(function (bar) {
      function show() { readout.textContent = bar.getAttribute("data-label"); }
      bar.addEventListener("pointerenter", show);
      bar.addEventListener("focus", show);
      bar.addEventListener("pointerleave", function () { readout.innerHTML = idle; });
      bar.addEventListener("blur", function () { readout.innerHTML = idle; });
    });
  });

  // The officials list, filtered as you type, in any script: the same folding as the
  // server's (Serbian transliteration, diacritics dropped), matched on every spelling.
  var filter = document.getElementById("officials-filter");
  if (filter) {
    var CYR = "а:a б:b в:v г:g д:d ђ:dj е:e ж:z з:z и:i ј:j к:k л:l љ:lj м:m н:n њ:nj о:o п:p р:r " +
      "с:s т:t ћ:c у:u ф:f х:h ц:c ч:c џ:dz ш:s й:j ё:e э:e ы:y я:ja ю:ju щ:sc ъ: ь: є:je і:i ї:ji ґ:g";
    var table = {};
    CYR.split(" ").forEach(function (pair) { var kv = pair.split(":"); table[kv[0]] = kv[1]; });
    var foldText = function (text) {
      return text.toLowerCase().replace(/[\u0400-\u04ff]/g, function (c) {
        return c in table ? table[c] : c;
      }).replace(/[đð]/g, "dj").normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    };
    var people = Array.prototype.slice.call(document.querySelectorAll("#officials-groups li[data-key]"));
    var shown = document.getElementById("officials-shown");
    filter.parentNode.hidden = false;
    filter.addEventListener("input", function () {
      var words = foldText(filter.value).split(/\s+/).filter(Boolean);
      var count = 0;
      people.forEach(function (li) {
        var key = li.getAttribute("data-key");
        var match = words.every(function (w) { return key.indexOf(w) >= 0; });
        li.hidden = !match;
        if (match) count++;
      });
      document.querySelectorAll("#officials-groups section").forEach(function (section) {
        section.hidden = !section.querySelector("li[data-key]:not([hidden])");
      });
      shown.textContent = words.length ? count + " of " + people.length + " shown" : "";
    });
  }

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

  // Fields left at their defaults stay out of the URL (?q=x&language=en, not
  // ?q=x&from=&to=&sort=relevance&language=en): shorter links to share.
  form.addEventListener("formdata", function (event) {
    var data = event.formData;
    ["from", "to"].forEach(function (name) { if (!data.get(name)) data.delete(name); });
    if (data.get("sort") === "relevance") data.delete("sort");
  });

  // The search bar casts a shadow once it sticks to the top.
  var bar = form.querySelector(".searchbar");
  if (bar) {
    var onScroll = function () { bar.classList.toggle("stuck", window.scrollY > bar.offsetTop + 4); };
    window.addEventListener("scroll", onScroll, { passive: true });
    onScroll();
  }

  // Ticking a facet applies it at once on a wide screen; in the phone's sheet, boxes
  // are ticked first and applied together with the sheet's button.
  form.querySelectorAll(".facet input[type=checkbox], .facet-op input").forEach(function (input) {
    input.addEventListener("change", function () { if (!phone.matches) form.submit(); });
  });
  var apply = form.querySelector("button.apply");
  function syncApply() { if (apply) apply.hidden = !phone.matches; }
  syncApply();
  if (phone.addEventListener) phone.addEventListener("change", syncApply);

  // The Filters sheet: opens over the results and keeps the keyboard's focus inside it
  // (a modal dialog: Tab past its last control comes back to its top, never to results
  // hidden under it); closes on Escape, on its Close link and on leaving phone width;
  // focus goes back to the button.
  var sheet = document.getElementById("filters"), toggle = document.getElementById("filters-toggle");
  if (sheet && toggle) {
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-expanded", "false");
    var open = function () {
      sheet.classList.add("open");
      document.body.classList.add("sheet-open");
      toggle.setAttribute("aria-expanded", "true");
      sheet.setAttribute("role", "dialog");
      sheet.setAttribute("aria-modal", "true");
      sheet.focus();
    };
    var close = function (refocus) {
      if (!sheet.classList.contains("open")) return;
      sheet.classList.remove("open");
      document.body.classList.remove("sheet-open");
      toggle.setAttribute("aria-expanded", "false");
      sheet.removeAttribute("role");
      sheet.removeAttribute("aria-modal");
      if (refocus) toggle.focus();
    };
    toggle.addEventListener("click", function (event) { event.preventDefault(); open(); });
    toggle.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); open(); }
    });
    sheet.querySelectorAll(".sheet-close").forEach(function (link) {
      link.addEventListener("click", function (event) { event.preventDefault(); close(true); });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") close(true);
    });
    document.addEventListener("focusin", function (event) {
      if (sheet.classList.contains("open") && !sheet.contains(event.target)) sheet.focus();
    });
    if (phone.addEventListener) phone.addEventListener("change", function () { if (!phone.matches) close(false); });
    if (window.location.hash === "#filters" && phone.matches) open();
  }

  // "Load more": the next results after the cursor, as cards the server draws with the
  // page's own template (/results), so they show all a first-page card shows.
  var more = document.getElementById("load-more");
  if (more) {
    more.parentNode.hidden = false;
    var status = document.getElementById("load-more-status");
    var results = form.querySelector("ol.results");
    var search = new URLSearchParams(window.location.search);
    ["page", "cursor", "rank"].forEach(function (k) { search.delete(k); });

    more.addEventListener("click", function () {
      var args = new URLSearchParams(search);
      var rank = parseInt(more.getAttribute("data-next-rank"), 10);
      args.set("cursor", more.getAttribute("data-cursor"));
      args.set("rank", String(rank));
      more.disabled = true;
      more.textContent = "Loading…";
      fetch("/results?" + args.toString())
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var list = new DOMParser().parseFromString(html, "text/html").querySelector("ol.results");
          if (!list) throw new Error("no results");
          var cards = Array.prototype.slice.call(list.children);
          cards.forEach(function (li) { results.appendChild(document.importNode(li, true)); });
          rank += cards.length;
          more.setAttribute("data-next-rank", String(rank));
          status.textContent = "Loaded " + cards.length + " more: " + (rank - 1) + " of " +
            list.getAttribute("data-total") + " shown.";
          var next = list.getAttribute("data-next");
          if (next) {
            more.setAttribute("data-cursor", next);
            more.disabled = false;
            more.textContent = "Load more results";
          } else {
            more.parentNode.removeChild(more);
          }
          var first = cards.length ? document.getElementById(cards[0].id) : null;
          if (first) first.querySelector("h2 a").focus();
        })
        .catch(function () {
          more.disabled = false;
          more.textContent = "Load more results (failed; try again)";
        });
    });
  }

  // Dragging across chart bars filters to the range they span.
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
