"""China's MFA (www.fmprc.gov.cn, English) end to end: what is specific to this source.

Every golden record is compared by tests/test_sources.py; here: the listing pager
that only a script writes, titles and dates from meta tags, "[Print] [Close]",
a story repeated across listing pages, robots.txt answered by an HTML page, and
removed articles that redirect to the site's "system" page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import requests
from conftest import SITES, load_golden, local_url, run_cli

from indexer.archive import Archive
from scrapers.record import canonical_url, communique_id

SOURCE = "china-mfa"
HOST = "www.fmprc.gov.cn"
GOLDEN = load_golden(SOURCE)
SYSTEM_PAGE = "/web/system/index_17321.shtml"
LAVROV_TITLE = "Wang Yi Holds Talks with Russian Foreign Minister Sergey Lavrov"
DJURIC_TITLE = "Wang Yi Holds Phone Call with Serbian Foreign Minister Marko Djuric"


def data_dir(app) -> Path:
    return Path(app.config["DATA_DIR"])


def golden_id(entry: dict, base_urls: dict[str, str]) -> str:
    return communique_id(canonical_url(local_url(entry["url"], base_urls)))


def by_title(title: str) -> dict:
    return next(g for g in GOLDEN if g["title"] == title)


def listing_hrefs(path: str) -> list[str]:
    html = (SITES / HOST / path.lstrip("/")).read_text(encoding="utf-8")
    block = html.split('<ul class="list1">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)"', block)


def add_redirect(site_copy: Path, path: str, target: str = SYSTEM_PAGE) -> None:
    """Make `path` answer 302 to `target`, as fmprc does for a removed page."""
    sidecar = site_copy / HOST / "_headers.json"
    headers = json.loads(sidecar.read_text(encoding="utf-8"))
    headers[path] = {"status": 302, "headers": {"Location": target}}
    sidecar.write_text(json.dumps(headers), encoding="utf-8")


def test_the_fixture_covers_the_brief() -> None:
    assert len(GOLDEN) >= 16
    assert {g["language"] for g in GOLDEN} == {"en"}
    assert {g["doc_type"] for g in GOLDEN} == {"news", "briefing", "statement"}
    assert all(g["published"][:4] in {"2024", "2025", "2026"} for g in GOLDEN)
    for g in GOLDEN:
        parts = urlsplit(g["url"])
        assert parts.hostname == HOST
        day = g["published"].replace("-", "")
        assert re.search(rf"/{day[:6]}/t{day}_\d+\.html$", parts.path), g["url"]
        assert 80 <= len(g["body"].split()) <= 500, g["title"]
    assert "Sergey Lavrov" in by_title(LAVROV_TITLE)["officials"]
    assert any({"Aleksandar Vucic", "Marko Djuric"} & set(g["officials"]) for g in GOLDEN)
    briefings = [g for g in GOLDEN if g["doc_type"] == "briefing"]
    assert len(briefings) >= 5
    assert all(re.search(r"^(Lin Jian|Guo Jiakun|Mao Ning): ", g["body"], re.M)
               for g in briefings)


def test_listing_pages_have_no_next_link_only_a_pager_script() -> None:
    for page in ("/eng/xw/zyxw/index.html", "/eng/xw/zyxw/index_1.html"):
        html = (SITES / HOST / page.lstrip("/")).read_text(encoding="utf-8")
        assert "createPageHTML(" in html
        assert "index_1.html" not in html and "index_2.html" not in html
    # Stories reachable only through index_1.html / index_2.html, found by the page pattern.
    later = {h for p in ("index_1.html", "index_2.html")
             for h in listing_hrefs(f"/eng/xw/zyxw/{p}")} - set(listing_hrefs(
                 "/eng/xw/zyxw/index.html"))
    assert len(later) >= 4
    golden_paths = {urlsplit(g["url"]).path for g in GOLDEN}
    assert {"/eng/xw/zyxw/" + h[2:] for h in later} <= golden_paths
    # The list shifted between two fetches: one story is on two pages.
    assert set(listing_hrefs("/eng/xw/zyxw/index.html")) & set(
        listing_hrefs("/eng/xw/zyxw/index_1.html"))


def test_crawl_of_the_source_gives_its_golden_records(app, local_sites) -> None:
    # robots.txt is no text file on fmprc: it redirects to an HTML page (no rules).
    robots = requests.get(local_sites.base_urls[HOST] + "/robots.txt", allow_redirects=False,
                          timeout=5)
    assert robots.status_code == 302 and robots.headers["Location"] == SYSTEM_PAGE

    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 0, result.output
    assert f"{SOURCE}: ok - {len(GOLDEN)} articles found, {len(GOLDEN)} new" in result.output
    with Archive(data_dir(app), readonly=True) as archive:
        assert archive.count() == archive.count_versions() == len(GOLDEN)
        records = {r.id: r for r in archive.all_current()}
    for entry in GOLDEN:
        record = records[golden_id(entry, local_sites.base_urls)]
        assert record.title == entry["title"]  # the meta title: no "_Ministry ...", no <br>
        assert record.published.isoformat() == entry["published"]  # "YYYY-MM-DD HH:MM" meta
        assert record.doc_type == entry["doc_type"]
        assert record.paragraphs == entry["body"].split("\n\n")
        assert record.ministry_country == "CN"
    bodies = "\n".join(r.body for r in records.values())
    for junk in ("[Print]", "[Close]", "Related News", "Share:", "Font size",
                 "Current Location", "Copyright", "createPageHTML", "\xa0"):
        assert junk not in bodies, junk
    assert not any(r.title.endswith("People's Republic of China") for r in records.values())


def test_removed_article_redirects_to_the_system_page_and_is_a_source_error(
    app, site_copy: Path, local_sites
) -> None:
    removed = by_title(DJURIC_TITLE)
    path = urlsplit(removed["url"]).path
    add_redirect(site_copy, path)
    answer = requests.get(local_sites.base_urls[HOST] + path, allow_redirects=False, timeout=5)
    assert answer.status_code == 302

    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 1
    assert "error [blocked]" in result.output or "error [fetch]" in result.output
    with Archive(data_dir(app), readonly=True) as archive:
        assert archive.get(golden_id(removed, local_sites.base_urls)) is None
        titles = {r.title for r in archive.all_current()}
        run = archive.last_runs()[0]
        errors = archive.run_errors(run.run_id)
    # The error is filed against the article the listing gave, not the system page.
    assert [urlsplit(e.url).path for e in errors] == [path]
    assert titles == {g["title"] for g in GOLDEN} - {DJURIC_TITLE}
    assert not any("系统提示" in t or "does not exist" in t for t in titles)
    assert (run.source_id, run.status, run.errors) == (SOURCE, "partial", 1)


def test_removed_listing_page_is_an_error_not_the_end_of_the_listing(
    app, site_copy: Path, local_sites
) -> None:
    add_redirect(site_copy, "/eng/xw/zyxw/index_1.html")
    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 1
    assert "error [blocked]" in result.output
    first_page = {"/eng/xw/zyxw/" + h[2:] for h in listing_hrefs("/eng/xw/zyxw/index.html")}
    with Archive(data_dir(app), readonly=True) as archive:
        paths = {urlsplit(r.url).path for r in archive.all_current()}
    news = {urlsplit(g["url"]).path for g in GOLDEN if g["doc_type"] == "news"}
    assert paths & news == first_page
    assert {urlsplit(g["url"]).path for g in GOLDEN if g["doc_type"] != "news"} <= paths


def api_hits(client, **params) -> list[dict]:
    response = client.get("/api/search", query_string={"size": 100, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def test_search_finds_what_only_the_chinese_ministry_said(client) -> None:
    hits = api_hits(client, q="Diaoyutai")
    assert [(h["source"], h["title"]) for h in hits] == [(SOURCE, LAVROV_TITLE)]

    tanjug = api_hits(client, q="Tanjug", sort="newest")
    assert {h["source"] for h in tanjug} == {SOURCE}
    assert [h["title"] for h in tanjug] == [
        g["title"] for g in sorted(GOLDEN, key=lambda g: g["published"], reverse=True)
        if "Tanjug" in g["body"]]

    briefings = api_hits(client, q='"Lin Jian" type:briefing')
    expected = {g["title"] for g in GOLDEN
                if g["doc_type"] == "briefing" and "Lin Jian" in g["body"]}
    assert {h["title"] for h in briefings} == expected
    assert {h["source"] for h in briefings} == {SOURCE}


def test_serbian_officials_are_found_in_the_chinese_readouts(client) -> None:
    titles = {h["title"] for h in api_hits(client, q="Djuric", source=SOURCE)}
    assert DJURIC_TITLE in titles
    assert titles == {g["title"] for g in GOLDEN if "Djuric" in g["body"]}


def test_without_meta_tags_the_headline_then_the_title_without_the_site_name(tmp_path: Path
                                                                            ) -> None:
    from datetime import UTC, datetime

    from scrapers.sources import load_sources, match_url
    from scrapers.strategies.article import read_page_as

    entry = by_title(DJURIC_TITLE)
    html = (SITES / HOST / urlsplit(entry["url"]).path.lstrip("/")).read_text(encoding="utf-8")
    source = load_sources()[SOURCE]
    match = match_url(entry["url"], {SOURCE: source})
    assert match is not None

    def read(page: str):
        return read_page_as(source, page, entry["url"], datetime.now(UTC), match=match)

    older = re.sub(r'<meta name="(ArticleTitle|PubDate)"[^>]*>', "", html)
    record = read(older)
    assert record.title == entry["title"] and record.extraction == "definition"
    assert record.published.isoformat() == entry["published"]  # the visible time
    bare = re.sub(r'<div class="news-title">.*?</div>', "", older, flags=re.S)
    record = read(bare)
    assert "<title>" in bare and "_Ministry of Foreign Affairs" in bare
    assert record.title == entry["title"]  # <title> with "_Ministry of ..." stripped
    assert record.paragraphs == entry["body"].split("\n\n")
