/* Communiqué search widget: <script src="https://HOST/embed.js" async></script> and
   <div data-communiques-q="kosovo" data-communiques-source="serbia-mfa"></div>.
   Renders the newest (or most relevant) results in a shadow root, so neither page's CSS
   reaches the other; reads only this service's JSON API, sends no cookies, runs no
   document text as HTML. Every search parameter of the search page is an attribute
   (q, source, language, type, official, country, ministry-country, year, month, status,
   event, from, to, sort, exact, collapse, official-op, country-op; several values of one
   filter separated by ";"), plus the widget's own: limit (1-50, default 5), refresh
   (seconds, at least 60, default 300; 0 for none), theme (light|dark|auto), compact (1),
   show (title,date,ministry,snippet). Elements added later: CommuniquesEmbed.mount(). */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src, location.href).origin : "";
  // The widget's own attributes; every other data-communiques-* is a search parameter.
  var OWN = ["limit", "refresh", "theme", "compact", "show", "loaded", "mounted"];
  var PREFIX = "data-communiques-";
  // Everything sits in one wrapper whose properties start from their initial values:
  // no rule or inherited value of the host page reaches inside.
  var DARK = "color:#e6e8eb;background:#14171a;border-color:#2c3238}";
  var CSS = ":host{display:block}.w{all:initial;display:block;font:14px/1.45 system-ui," +
    "-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;color:#1b1f24;background:#fff;" +
    "border:1px solid #e3e6ea;border-radius:6px;padding:.5em .75em}.w.dark{" + DARK +
    "@media (prefers-color-scheme:dark){.w.auto{" + DARK + "}" +
    "ol{list-style:none;margin:0;padding:0}li{padding:.4em 0;border-bottom:1px solid " +
    "rgba(127,127,127,.25)}li:last-child{border-bottom:0}a{color:#0b57d0}" +
    ".dark a{color:#8ab4f8}.t{font-weight:600;text-decoration:none}" +
    ".m{color:#6b7280;font-size:.85em;margin:.1em 0 0}.m.gone{color:#b3261e}.s{margin:.2em 0 0;font-size:.92em}" +
    "mark{background:#fff2a8;color:inherit}.f{font-size:.8em;margin:.4em 0 0}";

  function attr(el, name) {
    var v = el.getAttribute("data-communiques-" + name);
    return v === null ? "" : v.trim();
  }

  function query(el) {
    var p = new URLSearchParams();
    Array.prototype.forEach.call(el.attributes, function (a) {
      var n = a.name.slice(PREFIX.length);
      if (a.name.indexOf(PREFIX) !== 0 || !n || OWN.indexOf(n) >= 0) return;
      // The query text is one value; a filter's values are separated by ";".
      (n === "q" ? [a.value] : a.value.split(";")).forEach(function (v) {
        if (v.trim()) p.append(n.replace(/-/g, "_"), v.trim());
      });
    });
    var limit = parseInt(attr(el, "limit"), 10);
    p.set("size", String(limit >= 1 && limit <= 50 ? limit : 5));
    if (!p.get("sort")) p.set("sort", "newest");
    return p;
  }

  function node(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function link(href, text, rel) {
    var a = node("a", "", text);
    a.href = href;
    a.target = "_blank";
    a.rel = rel;
    return a;
  }

  function safeLink(url) {
    return /^https?:\/\//i.test(url || "") ? url : null;
  }

  // The API's snippet is escaped text with <mark> around matches. It is parsed in an
  // inert document and copied as text and <mark> elements only: nothing else survives.
  function snippet(html) {
    var p = node("p", "s");
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    doc.body.firstChild.childNodes.forEach(function (c) {
      if (c.nodeName === "MARK") p.appendChild(node("mark", "", c.textContent));
      else p.appendChild(document.createTextNode(c.textContent));
    });
    return p;
  }

  function render(root, el, data) {
    var show = (attr(el, "show") || "title,date,ministry,snippet").split(",");
    var compact = attr(el, "compact") === "1";
    var list = node("ol");
    list.setAttribute("aria-label", "Communiqués");
    data.results.forEach(function (hit) {
      var li = node("li");
      li.lang = hit.language;
      if (show.indexOf("title") >= 0) {
        var a = node("a", "t", hit.title);
        a.href = safeLink(hit.url) || hit.html_url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        li.appendChild(a);
      }
      // Both links stay whatever `show` leaves out: the ministry's page and ours.
      var meta = [];
      if (show.indexOf("date") >= 0) meta.push(hit.published || "undated");
      if (show.indexOf("ministry") >= 0) meta.push(hit.ministry);
      var m = node("p", "m", meta.length ? meta.join(" · ") + " · " : "");
      if (show.indexOf("title") < 0 && safeLink(hit.url)) {
        m.appendChild(link(hit.url, "ministry's page", "noopener noreferrer"));
        m.appendChild(document.createTextNode(" · "));
      }
      m.appendChild(link(hit.html_url, "full text", "noopener"));
      li.appendChild(m);
      // Gone from the ministry's site (issue 15): said so, with the day.
      if (hit.withdrawn) li.appendChild(node("p", "m gone", "Withdrawn from the ministry's site on " + hit.withdrawn));
      if (show.indexOf("snippet") >= 0 && !compact && hit.snippet_html) {
        li.appendChild(snippet(hit.snippet_html));
      }
      list.appendChild(li);
    });
    if (!data.results.length) list.appendChild(node("li", "m", "No communiqués match yet."));
    var more = node("p", "f");
    var page = new URLSearchParams(query(el));
    page.delete("size");
    more.appendChild(link(base + "/?" + page.toString(), data.total + " on Communiqué search ›",
                          "noopener"));
    root.wrap.replaceChildren(list, more);
  }

  function load(el, root) {
    fetch(base + "/api/search?" + query(el).toString(),
          { credentials: "omit", referrerPolicy: "strict-origin-when-cross-origin" })
      .then(function (r) {
        return r.json().catch(function () { throw new Error("the service answered " + r.status); });
      })
      .then(function (data) {
        if (data.error) throw new Error(data.error.message);
        render(root, el, data);
        el.setAttribute("data-communiques-loaded", String(data.results.length));
      })
      .catch(function (e) {
        root.wrap.replaceChildren(node("p", "m", "Communiqués unavailable: " +
                                       (e && e.message ? e.message : "error")));
      });
  }

  function mount(el) {
    if (el.shadowRoot || el.getAttribute("data-communiques-mounted")) return;
    el.setAttribute("data-communiques-mounted", "1");
    var root = el.attachShadow({ mode: "open" });
    var style = node("style");
    style.textContent = CSS;
    var theme = attr(el, "theme");
    root.wrap = node("div", "w " + (theme === "light" || theme === "dark" ? theme : "auto"));
    root.append(style, root.wrap);
    load(el, root);
    var every = attr(el, "refresh") === "" ? 300 : parseInt(attr(el, "refresh"), 10);
    // A hidden tab costs the service nothing; it catches up when shown again.
    if (every > 0) setInterval(function () { if (!document.hidden) load(el, root); },
                               Math.max(every, 60) * 1000);
  }

  // Any element with a data-communiques-* attribute (even a search of everything).
  function mountAll() {
    var all = document.querySelectorAll("*");
    for (var i = 0; i < all.length; i++) {
      for (var j = 0; j < all[i].attributes.length; j++) {
        if (all[i].attributes[j].name.indexOf(PREFIX) === 0 ||
            all[i].attributes[j].name === "data-communiques") { mount(all[i]); break; }
      }
    }
  }
  window.CommuniquesEmbed = { mount: mountAll };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
