"""Embeds, feeds and oEmbed over the crawled fixture sites: what other sites and feed
readers get, and the headers that let them (and their caches) use it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from html import unescape
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from test_archive import make_record

from indexer.archive import Archive
from indexer.build import update_index
from webapp import create_app
from webapp.outputs import OUTPUTS, OutputKind, of_kind

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


ATOM_SCHEMA = Path(__file__).parent / "fixtures" / "schemas" / "atom.rng"


def atom_schema_problems(xml: bytes) -> list[str]:
    """What RFC 4287's RELAX NG schema (Appendix B, tests/fixtures/schemas) finds wrong."""
    from lxml import etree

    schema = etree.RelaxNG(etree.parse(str(ATOM_SCHEMA)))
    if schema.validate(etree.fromstring(xml)):
        return []
    return [str(error) for error in schema.error_log]


def strict_atom_problems(xml: bytes) -> list[str]:
    """RFC 4287's rules for a feed and its entries, checked one by one (the constraints its
    RELAX NG schema and section 4 state), so a broken feed fails with a reason."""
    from lxml import etree

    problems = atom_schema_problems(xml)  # the grammar; then the rules it cannot say
    feed = etree.fromstring(xml)
    if feed.tag != f"{ATOM}feed":
        return [f"root is {feed.tag}, not atom:feed"]

    def one(element, name: str, where: str):
        found = element.findall(f"{ATOM}{name}")
        if len(found) != 1:
            problems.append(f"{where}: {len(found)} atom:{name}, exactly one required")
        return found[0] if found else None

    for name in ("id", "title", "updated"):
        one(feed, name, "feed")
    stamp = feed.findtext(f"{ATOM}updated") or ""
    if not RFC3339.match(stamp):
        problems.append(f"feed: updated {stamp!r} is not an RFC 3339 date")
    links = feed.findall(f"{ATOM}link")
    if not any(link.get("rel") == "self" for link in links):
        problems.append("feed: no rel=self link")
    feed_author = feed.find(f"{ATOM}author") is not None
    for person in feed.iter(f"{ATOM}author", f"{ATOM}contributor"):
        if len(person.findall(f"{ATOM}name")) != 1:
            problems.append("an atom person construct without exactly one atom:name")
    for link in feed.iter(f"{ATOM}link"):
        rel = link.get("rel", "alternate")
        if not (re.fullmatch(r"[a-z][a-z0-9.-]*", rel) or re.match(r"^[a-z][a-z0-9+.-]*:", rel)):
            problems.append(f"a link's rel {rel!r} is neither a registered name nor an IRI")
    for child in feed:
        if child.tag.startswith(ATOM) and child.tag[len(ATOM):] not in {
                "author", "category", "contributor", "generator", "icon", "id", "link", "logo",
                "rights", "subtitle", "title", "updated", "entry"}:
            problems.append(f"feed: unexpected element {child.tag}")
    for n, entry in enumerate(feed.findall(f"{ATOM}entry")):
        where = f"entry {n}"
        for name in ("id", "title", "updated"):
            one(entry, name, where)
        for child in entry:
            if child.tag.startswith(ATOM) and child.tag[len(ATOM):] not in {
                    "author", "category", "content", "contributor", "id", "link", "published",
                    "rights", "source", "summary", "title", "updated"}:
                problems.append(f"{where}: unexpected element {child.tag}")
        for name in ("published", "summary", "content", "rights", "source"):
            if len(entry.findall(f"{ATOM}{name}")) > 1:
                problems.append(f"{where}: more than one atom:{name}")
        entry_id = entry.findtext(f"{ATOM}id") or ""
        if not re.match(r"^[a-z][a-z0-9+.-]*:", entry_id):
            problems.append(f"{where}: id {entry_id!r} is not an absolute IRI")
        for name in ("updated", "published"):
            value = entry.findtext(f"{ATOM}{name}")
            if value is not None and not RFC3339.match(value):
                problems.append(f"{where}: {name} {value!r} is not an RFC 3339 date")
        if not feed_author and entry.find(f"{ATOM}author/{ATOM}name") is None:
            problems.append(f"{where}: no author (and the feed has none)")
        alternates = [link for link in entry.findall(f"{ATOM}link")
                      if link.get("rel", "alternate") == "alternate"]
        if entry.find(f"{ATOM}content") is None and not alternates:
            problems.append(f"{where}: no content and no rel=alternate link")
        pairs = [(link.get("type"), link.get("hreflang")) for link in alternates]
        if len(pairs) != len(set(pairs)):
            problems.append(f"{where}: two alternate links of one type and language")
        for link in entry.findall(f"{ATOM}link"):
            if not link.get("href"):
                problems.append(f"{where}: a link without href")
        summary = entry.find(f"{ATOM}summary")
        if summary is not None and summary.get("type", "text") not in ("text", "html", "xhtml"):
            problems.append(f"{where}: summary type {summary.get('type')!r}")
        for category in entry.findall(f"{ATOM}category"):
            if not category.get("term"):
                problems.append(f"{where}: a category without term")
    return problems


def test_the_strict_atom_check_catches_broken_feeds(client) -> None:
    from lxml import etree

    good = client.get("/feed.atom?q=kosovo").data
    assert strict_atom_problems(good) == []

    def broken(change) -> list[str]:
        feed = etree.fromstring(good)
        change(feed)
        return strict_atom_problems(etree.tostring(feed))

    entry = f"{ATOM}entry"
    # The RELAX NG schema alone rejects what it can express.
    for change in (lambda f: f.find(entry).remove(f.find(entry).find(f"{ATOM}id")),
                   lambda f: f.find(entry).append(etree.Element(f"{ATOM}pubDate")),
                   lambda f: f.find(entry).find(f"{ATOM}link").attrib.pop("href"),
                   lambda f: f.find(entry).find(f"{ATOM}summary").set("type", "markdown")):
        feed = etree.fromstring(good)
        change(feed)
        assert atom_schema_problems(etree.tostring(feed))
    assert broken(lambda f: f.find(entry).remove(f.find(entry).find(f"{ATOM}id")))
    assert broken(lambda f: f.find(entry).find(f"{ATOM}updated").__setattr__("text", "2018"))
    assert broken(lambda f: f.find(entry).append(etree.Element(f"{ATOM}pubDate")))
    assert broken(lambda f: f.find(entry).append(etree.Element(f"{ATOM}title")))
    assert broken(lambda f: f.find(entry).find(f"{ATOM}author").remove(
        f.find(entry).find(f"{ATOM}author/{ATOM}name")))
    assert broken(lambda f: f.remove(f.find(f"{ATOM}link[@rel='self']")))


def first_page(client, **params) -> dict:
    return client.get("/api/search", query_string={"sort": "newest", **params}).get_json()


# -- feeds --------------------------------------------------------------------------------

def test_a_search_feed_is_valid_atom_with_the_first_page_newest_first(client) -> None:
    response = client.get("/feed.atom?q=kosovo")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    assert strict_atom_problems(response.data) == []
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    page = first_page(client, q="kosovo")
    assert len(parsed.entries) == len(page["results"]) > 0
    for entry, hit in zip(parsed.entries, page["results"], strict=True):
        assert entry.id == f"urn:communique-search:{hit['id']}"
        assert entry.title == hit["title"]
        assert entry.link == hit["url"]  # the ministry's own page
        assert entry.author == hit["ministry"]
        assert {t.term for t in entry.tags} == {hit["source"], hit["language"]}
        assert entry.published.startswith(hit["published"])
        assert unescape(entry.summary) == unescape(re.sub(r"<[^>]+>", "", hit["snippet_html"]))
    assert b"&lt;mark" in response.data  # the snippet's marks, escaped as HTML in XML
    assert parsed.feed.title == "Communiqués: “kosovo”"
    # Stable: the same id for the same communiqué in every feed.
    other = feedparser.parse(client.get("/feed.atom?q=kosovo&source=russia-mid").data)
    assert {e.id for e in other.entries} <= {f"urn:communique-search:{h['id']}"
                                             for h in _all(client, q="kosovo")}


def _all(client, **params) -> list[dict]:
    return first_page(client, size=100, **params)["results"]


def test_rss_official_and_pair_feeds(client) -> None:
    rss = feedparser.parse(client.get("/feed.rss?q=kosovo&language=en").data)
    assert not rss.bozo and rss.version == "rss20"
    assert [e.title for e in rss.entries] == [
        h["title"] for h in first_page(client, q="kosovo", language="en")["results"]]
    assert rss.entries[0].guid.startswith("urn:communique-search:")
    official = client.get("/officials/ivica-dacic/feed.atom")
    assert strict_atom_problems(official.data) == []
    entries = feedparser.parse(official.data).entries
    assert entries and all("Ivica Dačić" in h["officials"] for h in first_page(
        client, official="Ivica Dačić")["results"])
    assert {e.title for e in entries} == {h["title"] for h in first_page(
        client, official="Ivica Dačić")["results"]}
    assert strict_atom_problems(client.get("/countries/RS/RU/feed.atom").data) == []
    pair = feedparser.parse(client.get("/countries/RS/RU/feed.rss").data)
    both = first_page(client, country=["Serbia", "Russia"], country_op="and")
    assert [e.title for e in pair.entries] == [h["title"] for h in both["results"]]
    assert client.get("/officials/nobody/feed.atom").status_code == 404
    assert client.get("/feed.pdf").status_code == 404
    assert client.get("/feed.atom?month=x").status_code == 400


def test_every_registered_format_is_served_offered_and_described(client) -> None:
    spec = client.get("/api/openapi.json").get_json()["paths"]
    page = client.get("/?q=kosovo").get_data(as_text=True)
    for output in OUTPUTS.values():
        if output.kind is OutputKind.EXPORT:
            url = f"/api/export.{output.name}?q=kosovo"
            assert f"/api/export.{output.name}" in spec
            assert f'/api/export.{output.name}?q=kosovo"' in page
        else:
            url = f"/feed.{output.name}?q=kosovo"
            assert f"/feed.{output.name}" in spec
            assert f'/feed.{output.name}?q=kosovo"' in page
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == output.media_type
        # Read the streamed body to its end, so its request context closes in order.
        assert response.get_data()
        response.close()

    assert {o.name for o in of_kind(OutputKind.EXPORT)} == {"csv", "jsonl"}


# -- embeds -------------------------------------------------------------------------------

def test_the_embed_page_is_framable_and_shows_the_search(client) -> None:
    response = client.get("/embed?q=kosovo&source=russia-mid")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    html = response.get_data(as_text=True)
    expected = first_page(client, q="kosovo", source="russia-mid", size=5)["results"]
    titles = re.findall(r'class="title" href="[^"]*" target="_blank" rel="noopener noreferrer">'
                        r"([^<]*)</a>", html)
    assert titles and len(titles) == len(expected)
    assert all("Russian MFA" in block for block in html.split('class="hit"')[1:])
    # Every other page refuses framing.
    for path in ("/", "/?q=kosovo", "/officials", "/help", "/countries/RS/RU"):
        page = client.get(path)
        assert page.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"], path


def test_embed_options_are_checked_and_applied(client) -> None:
    compact = client.get("/embed?q=kosovo&limit=2&theme=dark&compact=1&show=title,date")
    html = compact.get_data(as_text=True)
    assert html.count('class="hit"') == 2 and 'class="theme-dark compact"' in html
    assert 'class="snippet"' not in html and 'class="ministry"' not in html
    for bad, name in (("limit=0", "limit"), ("limit=51", "limit"), ("theme=pink", "theme"),
                      ("show=title,colour", "show"), ("compact=maybe", "compact")):
        response = client.get(f"/embed?q=kosovo&{bad}")
        assert response.status_code == 400, bad
        assert name in response.get_data(as_text=True)


def test_embed_origins_setting_limits_who_may_frame(crawled_app) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": crawled_app.config["DATA_DIR"],
                      "EMBED_ORIGINS": "https://news.example https://*.paper.example"})
    policy = app.test_client().get("/embed?q=kosovo").headers["Content-Security-Policy"]
    assert "frame-ancestors https://news.example https://*.paper.example" in policy


def test_embed_js_is_small_and_talks_only_to_this_service(client) -> None:
    response = client.get("/embed.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert len(response.data) < 10_000
    source = response.get_data(as_text=True)
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)  # the usage comment names a host
    assert not re.search(r"https?://", code.replace("/^https?:\\/\\//i", ""))
    assert 'credentials: "omit"' in source and "attachShadow" in source
    assert "innerHTML" not in code


# -- oEmbed -------------------------------------------------------------------------------

@pytest.mark.parametrize(("page", "embed_part"), [
    ("/?q=kosovo&source=russia-mid", "/embed?q=kosovo&amp;source=russia-mid"),
    ("/officials/ivica-dacic", "/embed?official=Ivica"),
    ("/countries/RS/RU", "/embed?country=Serbia&amp;country=Russia&amp;country_op=and"),
])
def test_oembed_answers_rich_html_for_our_pages(client, page: str, embed_part: str) -> None:
    data = client.get(f"/oembed?url={quote('http://localhost' + page)}&maxwidth=400"
                      "&format=json").get_json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["width"] == 400 and data["height"] > 0
    assert data["html"].startswith("<iframe ") and embed_part in data["html"]
    # Discovery: the page itself points at its oEmbed answer.
    html = client.get(page).get_data(as_text=True)
    assert 'type="application/json+oembed"' in html


def test_oembed_for_a_document_and_its_errors(client) -> None:
    hit = first_page(client, q="kosovo")["results"][0]
    data = client.get("/oembed", query_string={
        "url": f"http://localhost/communiques/{hit['id']}"}).get_json()
    assert f"/embed/communiques/{hit['id']}" in data["html"] and data["title"] == hit["title"]
    card = client.get(f"/embed/communiques/{hit['id']}")
    assert card.status_code == 200 and "frame-ancestors *" in card.headers[
        "Content-Security-Policy"]
    assert client.get("/oembed").get_json()["error"]["parameter"] == "url"
    assert client.get("/oembed?url=https://elsewhere.example/?q=x").status_code == 404
    assert client.get("/oembed?url=http://localhost/help").status_code == 404
    assert client.get("/oembed?url=http://localhost/?q=x&format=xml").status_code == 501


# -- headers ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/search?q=kosovo", "/api/suggest?q=dac", "/api/officials/ivica-dacic",
    "/feed.atom?q=kosovo", "/feed.rss", "/embed?q=kosovo", "/embed.js",
    "/oembed?url=http%3A%2F%2Flocalhost%2F%3Fq%3Dkosovo", "/officials/ivica-dacic/feed.atom",
])
def test_public_reads_carry_cors_etag_and_cache_control(client, path: str) -> None:
    response = client.get(path, headers={"Origin": "https://news.example"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    # The tag belongs to the request: another search is another tag.
    other = client.get(path + ("&" if "?" in path else "?") + "page=1")
    assert other.headers.get("ETag") != etag


def test_pages_are_not_cors_readable(client) -> None:
    assert "Access-Control-Allow-Origin" not in client.get("/?q=kosovo").headers


def test_the_search_page_offers_subscribe_embed_and_json_for_this_exact_search(client) -> None:
    html = client.get("/?q=kosovo&source=russia-mid&language=en").get_data(as_text=True)
    exact = "q=kosovo&amp;source=russia-mid&amp;language=en"
    assert f'href="http://localhost/feed.atom?{exact}"' in html
    assert f'href="http://localhost/api/search?{exact}"' in html  # the JSON link keeps it
    assert f"http://localhost/embed?{exact}" in html
    assert 'data-communiques-q="kosovo" data-communiques-source="russia-mid"' in unescape(html)
    assert html.count(f'href="http://localhost/api/search?{exact}"') >= 2  # and the footer's
    official = client.get("/officials/ivica-dacic").get_data(as_text=True)
    assert "/officials/ivica-dacic/feed.atom" in official


# -- hostile documents --------------------------------------------------------------------

XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture
def hostile(tmp_path: Path):
    with Archive(tmp_path) as archive:
        archive.store(replace(
            make_record(1, body=f"Kosovo {XSS} and <script>window.__xss=2</script> talks."),
            title=f"Kosovo \x0b</title><script>window.__xss=3</script>{XSS}\ufffe",
            officials=('Ivica Dačić"><svg onload="window.__xss=4">',),
            url="javascript:window.__xss=5", fetched_at=datetime(2026, 1, 2)))
        update_index(archive, tmp_path)
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path)}).test_client()


def test_payloads_stay_text_in_embeds_and_feeds(hostile) -> None:
    embed = hostile.get("/embed?q=kosovo").get_data(as_text=True)
    assert "<script>window" not in embed and "<img src=x" not in embed
    assert 'href="javascript:' not in embed
    for name in ("atom", "rss"):
        raw = hostile.get(f"/feed.{name}?q=kosovo").get_data(as_text=True)
        if name == "atom":
            assert strict_atom_problems(raw.encode()) == []
        assert "<script" not in raw and "<img" not in raw and "<svg" not in raw
        entry = feedparser.parse(raw).entries[0]
        assert not entry.link.startswith("javascript:")
        assert "window.__xss=3" in entry.title  # shown as text, as written
    card = hostile.get("/embed/communiques/" + hostile.get(
        "/api/search?q=kosovo").get_json()["results"][0]["id"]).get_data(as_text=True)
    assert "<script>window" not in card and 'href="javascript:' not in card


# -- found in the issue 13 audit ----------------------------------------------------------

@pytest.mark.parametrize("url", ["http://[::1", "http://localhost:99999/?q=x", "http://[/x",
                                 "javascript:alert(1)", "//localhost/?q=x"])
def test_oembed_of_an_unparsable_or_foreign_address_is_a_404_not_a_500(client, url: str) -> None:
    response = client.get("/oembed", query_string={"url": url})
    assert response.status_code == 404
    assert response.get_json()["error"]["type"] == "not_found"


def test_oembed_knows_our_host_in_any_case_and_with_its_default_port(client) -> None:
    for url in ("http://LOCALHOST/?q=kosovo", "http://localhost:80/?q=kosovo"):
        data = client.get("/oembed", query_string={"url": url}).get_json()
        assert data["type"] == "rich" and "/embed?q=kosovo" in data["html"], url
    # Another port of the same host is another site.
    assert client.get("/oembed", query_string={
        "url": "http://localhost:8080/?q=kosovo"}).status_code == 404


def test_oembed_refuses_a_search_its_iframe_would_refuse(client) -> None:
    response = client.get("/oembed", query_string={"url": "http://localhost/?q=kosovo+AND+("})
    assert response.status_code == 400
    assert response.get_json()["error"]["type"] == "invalid_query"


def test_a_preflight_for_a_conditional_get_is_allowed(client) -> None:
    response = client.options("/api/search?q=kosovo", headers={
        "Origin": "https://news.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "if-none-match" in response.headers["Access-Control-Allow-Headers"].lower()
    # Pages stay closed to other origins, preflight or not.
    page = client.options("/?q=kosovo", headers={"Origin": "https://news.example"})
    assert "Access-Control-Allow-Origin" not in page.headers


@pytest.mark.parametrize("origins", ["https://news.example; script-src *",
                                     "'unsafe-inline'", 'https://news.example "x"'])
def test_an_embed_origins_setting_that_is_no_origin_list_stops_the_app(
        crawled_app, origins: str) -> None:
    from webapp.config import SettingError

    with pytest.raises(SettingError, match="EMBED_ORIGINS"):
        create_app({"TESTING": True, "DATA_DIR": crawled_app.config["DATA_DIR"],
                    "EMBED_ORIGINS": origins, "WARM_UP": False})


def test_the_cli_says_what_is_wrong_with_a_bad_setting(monkeypatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from webapp.cli import cli

    monkeypatch.setenv("COMMUNIQUES_EMBED_ORIGINS", "https://a.example; script-src *")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "status"])
    assert result.exit_code == 1
    assert "COMMUNIQUES_EMBED_ORIGINS" in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback


def test_the_etag_changes_with_the_host_and_the_code(crawled_app) -> None:
    client = crawled_app.test_client()
    here = client.get("/embed?q=kosovo").headers["ETag"]
    # Links in the answer are built from the host: another host, another copy.
    assert client.get("/embed?q=kosovo", base_url="http://mirror.example").headers[
        "ETag"] != here
    # A new release of the app's pages and scripts changes every tag.
    app = create_app({"TESTING": True, "DATA_DIR": crawled_app.config["DATA_DIR"],
                      "WARM_UP": False})
    app.extensions["code_tag"] = "another-release"
    again = app.test_client().get("/embed?q=kosovo", headers={"If-None-Match": here})
    assert again.status_code == 200 and again.headers["ETag"] != here


@pytest.mark.parametrize("show", ["snippet", "title", "date,ministry,snippet"])
def test_every_embedded_result_links_the_ministry_and_our_page_whatever_it_shows(
        client, show: str) -> None:
    html = client.get(f"/embed?q=kosovo&source=russia-mid&show={show}").get_data(as_text=True)
    expected = first_page(client, q="kosovo", source="russia-mid", size=5)["results"]
    blocks = html.split('class="hit"')[1:]
    assert len(blocks) == len(expected)
    for block, hit in zip(blocks, expected, strict=True):
        assert f'href="{hit["url"]}" target="_blank" rel="noopener noreferrer"' in block
        assert f'href="{hit["html_url"]}" target="_blank" rel="noopener"' in block


def test_a_search_with_no_results_yet_is_still_a_subscription(client) -> None:
    html = client.get("/?q=zyxwvutsrq").get_data(as_text=True)
    assert "No communiqués found" in html
    assert 'class="share"' in html
    assert 'href="http://localhost/feed.atom?q=zyxwvutsrq"' in html
    assert 'href="http://localhost/api/search?q=zyxwvutsrq"' in html
    empty = client.get("/feed.atom?q=zyxwvutsrq").data
    feed = feedparser.parse(empty)
    assert not feed.bozo and feed.entries == [] and strict_atom_problems(empty) == []


def test_the_widget_snippet_carries_every_search_parameter(client) -> None:
    html = client.get("/?q=kosovo&year=2026&exact=1&collapse=0&language=en"
                      "&source=russia-mid&source=serbia-mfa").get_data(as_text=True)
    for attribute in ('data-communiques-q="kosovo"', 'data-communiques-year="2026"',
                      'data-communiques-exact="1"', 'data-communiques-collapse="0"',
                      'data-communiques-source="russia-mid;serbia-mfa"'):
        assert attribute in unescape(html), attribute  # as pasted: the textarea's text
    # embed.js sends every data-communiques-* attribute but its own as a search parameter.
    script = client.get("/embed.js").get_data(as_text=True)
    assert 'var OWN = ["limit", "refresh", "theme", "compact", "show", "loaded", "mounted"]' \
        in script


def test_the_pair_page_offers_its_feed_embed_and_json(client) -> None:
    html = client.get("/countries/RS/RU").get_data(as_text=True)
    assert 'href="http://localhost/countries/RS/RU/feed.atom"' in html
    assert "http://localhost/embed?country=Serbia&amp;country=Russia&amp;country_op=and" in html
    assert 'href="http://localhost/api/search?country=Serbia&amp;country=Russia' in html
    assert 'type="application/json+oembed"' in html


def test_crawl_health_is_readable_anywhere_but_never_answered_from_a_cache(client) -> None:
    # /api/status reads the crawl log, which changes without a new index generation: an
    # ETag tied to the generation would tell a monitor "not modified" about a new failure.
    response = client.get("/api/status", headers={"Origin": "https://monitor.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" not in response.headers and response.headers["Cache-Control"] == "no-cache"
    assert client.get("/api/status", headers={"If-None-Match": "*"}).status_code != 304


@pytest.mark.parametrize("q", ['kosovo " onmouseover="window.__xss=1',
                               'kosovo "serbia" ><script>x()</script>', "kosovo &amp; 'serbia'"])
def test_the_embed_snippets_paste_as_exactly_this_search_whatever_it_holds(client, q: str) -> None:
    # A crafted search link must not become markup in the newsroom page its snippet is
    # pasted into: the copied text is HTML whose attributes hold the search as written.
    from lxml import html as lxml_html

    page = lxml_html.fromstring(client.get("/", query_string={
        "q": q, "source": "russia-mid"}).data)
    iframe_code, script_code = (t.text for t in page.xpath("//textarea[@class='snippet']"))
    pasted = lxml_html.fromstring(f"<body>{iframe_code}{script_code}</body>")
    iframe = pasted.xpath("//iframe")[0]
    assert iframe.get("src") == page.xpath("//iframe[@class='preview']")[0].get("src")
    assert "q=" in iframe.get("src") and set(iframe.attrib) == {
        "src", "width", "height", "title", "loading", "style"}
    [div] = [element for element in pasted.iter("div") if element.attrib]  # lxml wraps in one
    assert dict(div.attrib) == {"data-communiques-q": q, "data-communiques-source": "russia-mid"}
    assert [script.get("src") for script in pasted.xpath("//script")] == [
        "http://localhost/embed.js"]


def test_a_document_page_is_discoverable_by_oembed(client) -> None:
    hit = first_page(client, q="kosovo")["results"][0]
    html = client.get(f"/communiques/{hit['id']}").get_data(as_text=True)
    link = re.search(r'<link rel="alternate" type="application/json\+oembed"[^>]*href="([^"]+)"',
                     html)
    assert link is not None
    data = client.get(unescape(link.group(1)).removeprefix("http://localhost")).get_json()
    assert data["type"] == "rich" and f"/embed/communiques/{hit['id']}" in data["html"]


def test_openapi_describes_every_embed_and_feed_route(client) -> None:
    from webapp.params import EMBED_PARAMS

    paths = client.get("/api/openapi.json").get_json()["paths"]
    for output in of_kind(OutputKind.FEED):
        for path in (f"/feed.{output.name}", f"/officials/{{id}}/feed.{output.name}",
                     f"/countries/{{first}}/{{second}}/feed.{output.name}"):
            assert output.media_type in paths[path]["get"]["responses"]["200"]["content"], path
    embed = {p["name"] for p in paths["/embed"]["get"]["parameters"]}
    assert set(EMBED_PARAMS) <= embed and {"q", "source", "official_op", "event"} <= embed
    assert {"/embed/communiques/{id}", "/embed.js", "/oembed"} <= set(paths)
    assert "501" in paths["/oembed"]["get"]["responses"]
