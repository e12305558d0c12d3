"""Stage 5: an XSS corpus through every surface, in headless Chromium.

An archive whose communiqués carry classic payloads in every field a page shows (title,
body, GOV.UK-style tagged officials, countries, URL including `javascript:` URLs, document
number, speaker, place, type), a few payload-named officials promoted into the registry,
indexed and served for real. Chromium loads the search page (payloads also as the query
and as selected facet values), document pages and old versions, official and pair pages,
help, 404 and 400 pages, the JSON API viewed as a page, the exports, and types payloads
into the search box. Every payload tries to set `window.__xss` or call `alert`.

The page's Content-Security-Policy would block inline script even if escaping failed, so
the browser context bypasses CSP: what is measured is the escaping itself (that the CSP
header is sent is recorded apart). A page fails on a dialog, `window.__xss` set, a
`javascript:`/`vbscript:`/`data:text/html` URL in a link or source attribute, an
event-handler attribute or inline script (the app has none of its own), an `<iframe>`,
`<object>` or `<embed>` loading anything but this origin, a `<base>` or refresh `<meta>`,
or a template expression evaluated.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from benchmarks.reliability.common import (
    LIMITS_OFF_CONFIG,
    communiques,
    run_command,
    say,
    waitress_server,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
SETTLE_MS = 80  # after "load": onerror/onload/ontoggle handlers get their chance

# {m} is the payload's marker; each payload tries to set window.__xss to it or alert it.
PAYLOADS: tuple[str, ...] = (
    "<script>window.__xss='{m}'</script>",
    "<img src=x onerror=\"window.__xss='{m}'\">",
    "\"><svg onload=\"window.__xss='{m}'\">",
    "'><svg/onload=alert('{m}')>",
    "javascript:window.__xss='{m}'",
    "</textarea><script>alert('{m}')</script>",
    "</title><script>window.__xss='{m}'</script>",
    "{{{{constructor.constructor('window.__xss=\"{m}\"')()}}}}",
    "{{{{'{m}' ~ 7*7}}}}",
    "${{alert('{m}')}}",
    "<iframe src=\"javascript:top.__xss='{m}'\"></iframe>",
    "<body onload=alert('{m}')>",
    "<details open ontoggle=\"window.__xss='{m}'\">",
    "<a href=\"javascript:window.__xss='{m}'\">click</a>",
    "\" onmouseover=\"window.__xss='{m}'\" x=\"",
    "' onfocus='window.__xss=\"{m}\"' autofocus '",
    "<input autofocus onfocus=\"window.__xss='{m}'\">",
    "<svg><script>window.__xss='{m}'</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss='{m}'\">",
    "<scr<script>ipt>window.__xss='{m}'</scr</script>ipt>",
    "%3Cscript%3Ewindow.__xss='{m}'%3C/script%3E",
    "&lt;script&gt;window.__xss='{m}'&lt;/script&gt;",
    "\\u003cscript\\u003ewindow.__xss='{m}'\\u003c/script\\u003e",
    "</script><script>window.__xss='{m}'</script>",
    "<object data=\"javascript:window.__xss='{m}'\"></object>",
    "<embed src=\"javascript:window.__xss='{m}'\">",
    "<video><source onerror=\"window.__xss='{m}'\"></video>",
    "<form action=\"javascript:window.__xss='{m}'\"><button>go</button></form>",
    "<base href=\"javascript:window.__xss='{m}'//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss='{m}'\">",
    "＜script＞window.__xss='{m}'＜/script＞",
    "\u202e<img src=x onerror=window.__xss='{m}'>",
    "<img src=x onerror=&#119;indow.__xss='{m}'>",
    "<svg><a xlink:href=\"javascript:window.__xss='{m}'\"><text y=20>x</text></a></svg>",
    "javascript&colon;window.__xss='{m}'",
    " JaVaScRiPt:window.__xss='{m}'",
    "data:text/html,<script>window.__xss='{m}'</script>",
    "vbscript:msgbox(\"{m}\")",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss='{m}'>\">",
    "<!--<img src=\"--><img src=x onerror=window.__xss='{m}'//\">",
    "]]><script>window.__xss='{m}'</script>",
    "<div style=\"background:url(javascript:window.__xss='{m}')\">x</div>",
    "<marquee onstart=window.__xss='{m}'>x</marquee>",
    "<select autofocus onfocus=window.__xss='{m}'></select>",
    "<svg><animate onbegin=window.__xss='{m}' attributeName=x dur=1s>",
    "\\\"];window.__xss='{m}';//",
)
URL_SCHEMES = ("javascript", "vbscript", "data:text/html", " javascript", "javascript&colon;")
# Payload-named officials promoted into the registry (TOML-safe: no newlines).
PROMOTED = ("Jovana <img src=x onerror=window.__xss='{m}'> Marković",
            "Petar \"><svg onload=alert('{m}')> Petrović",
            "Ana <script>window.__xss='{m}'</script> Anić")

CHECK_PAGE = """() => {
  const found = [];
  const urlAttributes = ["href", "src", "action", "formaction", "data", "xlink:href",
                         "poster", "background", "srcdoc"];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\u0000-\\u0020]+/g, "").toLowerCase();
      if (name.startsWith("on")) found.push(["event handler", el.tagName + " " + name]);
      if (urlAttributes.includes(name) &&
          (value.startsWith("javascript:") || value.startsWith("vbscript:") ||
           value.startsWith("data:text/html")))
        found.push(["script URL", el.tagName + " " + name + "=" + attr.value.slice(0, 60)]);
    }
  }
  for (const s of document.querySelectorAll("script:not([src])"))
    found.push(["inline script", s.textContent.slice(0, 60)]);
  // The app's own frames (an embed preview) load this origin; a payload's would not.
  for (const el of document.querySelectorAll("iframe, frame, object, embed")) {
    const target = el.getAttribute("src") || el.getAttribute("data") || "";
    const resolved = target ? new URL(target, location.href).href : "";
    if (!resolved.startsWith(location.origin + "/"))
      found.push(["injected element", el.outerHTML.slice(0, 80)]);
  }
  for (const el of document.querySelectorAll("base, meta[http-equiv]"))
    if (el.tagName === "BASE" || /refresh/i.test(el.getAttribute("http-equiv")))
      found.push(["injected element", el.outerHTML.slice(0, 80)]);
  const text = document.body ? document.body.innerText : "";
  for (const m of text.match(/X\\d+49/g) || []) found.push(["template evaluated", m]);
  return {xss: window.__xss === undefined ? null : String(window.__xss), found: found};
}"""


def marker(n: int) -> str:
    return f"X{n}"


def payloads() -> list[str]:
    return [p.format(m=marker(n)) for n, p in enumerate(PAYLOADS)]


def build_archive(data: Path) -> tuple[list[str], list[str]]:
    """Store the payload communiqués (two versions each); promote payload officials.
    Returns the communiqué ids and the promoted officials' registry ids."""
    from indexer.archive import Archive
    from indexer.entities.registry import slug
    from scrapers.record import Communique, communique_id

    promoted = [p.format(m=marker(100 + i)) for i, p in enumerate(PROMOTED)]
    for name in promoted:
        run_command([*communiques(), "--data-dir", str(data), "officials", "--promote", name,
                     "--country", "RS", "--role", f"Minister {name}"],
                    data.parent / "logs" / "xss-build.log")
    ids = []
    with Archive(data) as archive:
        for n, payload in enumerate(payloads()):
            if payload.lstrip().lower().startswith(URL_SCHEMES):
                url = payload
            else:
                url = f"https://www.mfa.gov.rs/en/xss/{n}?p={payload}"
            record = Communique(
                id=communique_id(url), url=url,
                source_id="serbia-mfa" if n % 6 else payload,
                ministry_country="RS" if n % 8 else payload,
                language="en" if n % 7 else payload,
                title=f"Kosovo talks {payload} statement {n}",
                published=date(2018, 1 + n % 12, 1 + n % 28),
                body=(f"Talks on Kosovo and Serbia were held. {payload}\n\n"
                      f"Minister Ivica Dačić met Sergey Lavrov. {payload} Kosovo."),
                doc_type="statement" if n % 5 else payload,
                fetched_at=datetime(2026, 11, 28, tzinfo=UTC),
                officials=("Ivica Dačić", f"The Rt Hon {payload} MP",
                           promoted[n % len(promoted)]),
                countries=("Serbia", "Russia", payload),
                document_number=payload, speaker=payload, place=payload,
            )
            archive.store(record)
            archive.store(replace(record, body=record.body + f"\n\nCorrected. {payload}",
                                  content_hash="",
                                  fetched_at=datetime(2026, 11, 29, tzinfo=UTC)))
            ids.append(record.id)
    return ids, [slug(name) for name in promoted]


def page_plan(app, ids: list[str], official_ids: list[str]) -> list[tuple[str, str]]:
    """(surface, path) of every page load: every GET route of the app's url_map with good
    values (each communiqué and official for routes that take one), payloads as queries on
    every route that reads a search, as selected facet values and dates, and as the path
    arguments of 404 pages."""
    from benchmarks.reliability import fuzz

    corpus = payloads()
    q = lambda text: quote(text, safe="")  # noqa: E731 - a local shorthand
    values = fuzz.collect_values(app)
    good = fuzz.known_path_values(values)
    good["official_id"] = ["ivica-dacic", *official_ids]
    plan: list[tuple[str, str]] = []
    for rule, _, _ in fuzz.routes(app):
        if rule.startswith("/static/"):
            continue
        arguments = fuzz.ARGUMENT.findall(rule)
        formats = values.path_values.get(rule, {})
        chosen = {a: (formats.get(a) or good.get(a) or [""])[0] for a in arguments}
        varying = next((a for a in ("communique_id", "official_id") if a in arguments), None)
        every = (ids if varying == "communique_id" else official_ids) if varying else [None]
        for value in every:
            for fmt in formats.get("format", [chosen.get("format")]) if "format" in arguments \
                    else [None]:
                filled = {**chosen, **({varying: value} if varying else {}),
                          **({"format": fmt} if fmt else {})}
                path = fuzz.fill_rule(rule, filled)
                plan.append((rule, path))
                if rule in values.search_routes:
                    plan.append((rule, path + "?q=kosovo"))
                if varying == "communique_id" and "/api/" not in rule:
                    plan.append((rule + " (old version)", path + "?version=1"))
        if rule in values.search_routes and "<" not in rule:
            shown = corpus if rule == "/" else corpus[:10]
            plan += [(f"{rule} (payload query)", f"{rule}?q={q(p)}") for p in shown]
    for p in corpus[:12]:
        plan += [("/ (payload facet)", f"/?q=kosovo&{name}={q(value)}")
                 for name, value in (("official", f"The Rt Hon {p} MP"), ("country", p),
                                     ("type", p), ("source", p), ("language", p))]
        plan.append(("/ (payload date)", f"/?q=kosovo&from={q(p)}"))
    for p in corpus[:8]:
        plan += [("404 pages", f"/officials/{q(p)}"), ("404 pages", f"/countries/RS/{q(p)}"),
                 ("404 pages", f"/countries/{q(p)}/RU"), ("404 pages", f"/communiques/{q(p)}"),
                 ("404 pages", f"/{q(p)}"), ("/api/search (400)", f"/api/search?q={q(p)}"),
                 ("/api/suggest", f"/api/suggest?q={q(p)}")]
    return list(dict.fromkeys(plan))


def _headers(url: str) -> dict[str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return {k.lower(): v for k, v in error.headers.items()}


def run(work: Path) -> dict:
    if not os.path.exists(CHROMIUM):
        return {"skipped": f"{CHROMIUM} is missing (apt-get install chromium)", "passed": False}
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from webapp import create_app

    data = work / "xss"
    log = work / "logs" / "xss-build.log"
    if not (data / "whoosh" / "CURRENT").exists():
        data.mkdir(parents=True, exist_ok=True)
        ids, official_ids = build_archive(data)
        run_command([*communiques(), "--data-dir", str(data), "index", "--rebuild"], log)
        (work / "xss-ids.txt").write_text("\n".join(ids) + "\n--\n" + "\n".join(official_ids))
    else:
        ids_text, officials_text = (work / "xss-ids.txt").read_text().split("\n--\n")
        ids, official_ids = ids_text.split(), officials_text.split()
    plan = page_plan(create_app({"DATA_DIR": str(data), **LIMITS_OFF_CONFIG}), ids,
                     official_ids)
    dialogs: list[dict] = []
    pages: list[dict] = []
    server = waitress_server(data, work / "logs" / "xss-server.log")
    with server, sync_playwright() as playwright:
        say(f"xss: {len(PAYLOADS)} payloads, {len(plan)} page loads in Chromium")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(bypass_csp=True, accept_downloads=True)
        current = {"url": ""}

        def on_dialog(dialog) -> None:
            dialogs.append({"url": current["url"], "type": dialog.type,
                            "message": dialog.message[:100]})
            dialog.dismiss()

        page = _fresh_page(context, None, on_dialog)
        for surface, path in plan:
            url = server.base_url + path
            current["url"] = path
            row: dict = {"surface": surface, "url": path}
            try:
                response = page.goto(url, wait_until="load", timeout=30_000)
                page.wait_for_timeout(SETTLE_MS)
                checked = page.evaluate(CHECK_PAGE)
            except PlaywrightError as error:
                if "Download is starting" in str(error):
                    # Served as an attachment: the browser saves it and renders nothing.
                    headers = _headers(url)
                    row.update(status=200, outcome="downloaded, not rendered",
                               content_type=headers.get("content-type", ""),
                               disposition=headers.get("content-disposition", ""))
                else:
                    row.update(status=None, error=str(error).splitlines()[0][:200])
                pages.append(row)
                page = _fresh_page(context, page, on_dialog)
                continue
            row["status"] = response.status if response else None
            headers = response.headers if response else {}
            row["content_type"] = headers.get("content-type", "")
            row["csp"] = "content-security-policy" in headers
            row["html"] = "text/html" in row["content_type"]
            row["xss"] = checked["xss"]
            row["found"] = checked["found"]
            pages.append(row)
        typed = _type_payloads(page, server.base_url, payloads()[:10], current)
        checked_control = control(context)
        browser.close()
    figures = _summary(pages, dialogs, typed, len(ids), len(official_ids))
    figures["control"] = checked_control
    if checked_control["caught"] < CONTROL_FLOOR * checked_control["payloads"]:
        figures["passed"] = False  # the checks would not have seen an injection
    return figures


CONTROL_PAGE = ("<!doctype html><html><head><title>{p}</title></head><body><p>{p}</p>"
                "<a href=\"{p}\">link</a><input value=\"{p}\"><textarea>{p}</textarea>"
                "</body></html>")
CONTROL_FLOOR = 0.5  # of the payloads the checks must catch on the control page


def control(context) -> dict:
    """The same checks on a page that inserts each payload unescaped (text, attribute and
    textarea contexts): proof that they see a payload that runs, in this browser."""
    import http.server
    import threading

    corpus = payloads()

    class Vulnerable(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            number = self.path.strip("/")
            if not number.isdigit() or int(number) >= len(corpus):
                self.send_error(404)
                return
            body = CONTROL_PAGE.format(p=corpus[int(number)]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Vulnerable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    caught, dialogs = [], []
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(1), dialog.dismiss()))
    try:
        for number in range(len(corpus)):
            before = len(dialogs)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{number}",
                      wait_until="load", timeout=30_000)
            page.wait_for_timeout(SETTLE_MS)
            checked = page.evaluate(CHECK_PAGE)
            if checked["xss"] or checked["found"] or len(dialogs) > before:
                caught.append(number)
    finally:
        page.close()
        server.shutdown()
    return {"payloads": len(corpus), "caught": len(caught),
            "missed": [corpus[n] for n in range(len(corpus)) if n not in caught]}


def _fresh_page(context, page, on_dialog):
    """A new tab (after a download or a navigation error, a tab may be left mid-way)."""
    if page is not None:
        try:
            page.close()
        except Exception:  # noqa: BLE001 - it is being replaced either way
            pass
    page = context.new_page()
    page.on("dialog", on_dialog)
    page.on("download", lambda download: download.cancel())
    return page


def _type_payloads(page, base_url: str, texts: list[str], current: dict) -> list[dict]:
    """Type payloads into the search box so the suggestion script handles them."""
    rows = []
    page.goto(base_url + "/")
    for text in texts:
        current["url"] = "/ (typed into the search box)"
        page.fill("input[name=q]", "")
        page.type("input[name=q]", text[:60], delay=0)
        page.wait_for_timeout(400)  # the script waits 150 ms, then fetches suggestions
        checked = page.evaluate(CHECK_PAGE)
        rows.append({"surface": "search box (typed)", "url": text[:60], "status": 200,
                     "xss": checked["xss"], "found": checked["found"]})
    return rows


def _summary(pages: list[dict], dialogs: list[dict], typed: list[dict], documents: int,
             officials: int) -> dict:
    loaded = pages + typed
    surfaces: dict[str, int] = {}
    for row in loaded:
        surfaces[row["surface"]] = surfaces.get(row["surface"], 0) + 1
    xss_set = [{"url": r["url"], "value": r["xss"]} for r in loaded if r.get("xss")]
    findings = [{"url": r["url"], "kind": kind, "detail": detail}
                for r in loaded for kind, detail in r.get("found", [])]
    script_urls = [f for f in findings if f["kind"] == "script URL"]
    html = [r for r in pages if r.get("html")]
    errors = [r for r in pages if r.get("status") is None]
    statuses: dict[str, int] = {}
    for row in pages:
        key = row.get("outcome") or str(row.get("status"))
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "payloads": len(PAYLOADS) + len(PROMOTED), "documents": documents,
        "promoted_officials": officials, "page_loads": len(loaded), "surfaces": surfaces,
        "statuses": dict(sorted(statuses.items())),
        "dialogs": dialogs, "xss_set": xss_set, "script_urls": script_urls,
        "other_findings": [f for f in findings if f["kind"] != "script URL"][:100],
        "findings_count": len(findings), "load_errors": errors,
        "html_pages": len(html), "html_pages_with_csp": sum(1 for r in html if r["csp"]),
        "downloads": [r for r in pages if r.get("outcome")],
        "content_types": dict(Counter(r.get("content_type", "").split(";")[0]
                                      for r in pages if not r.get("outcome"))),
        "passed": not dialogs and not xss_set and not findings and not errors,
    }
