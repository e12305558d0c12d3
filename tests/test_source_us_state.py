"""The U.S. Department of State end to end: listing + article pages, RSS feed and
WordPress REST API of one site, deduplicated by URL, over loopback HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import FIXTURES, SITES, load_golden, local_url, run_cli

from indexer.archive import Archive
from scrapers.record import canonical_url, communique_id
from scrapers.sources import load_sources

SOURCE = "us-state"
HOST = "www.state.gov"
GOLDEN = load_golden(SOURCE)
ARTICLES = json.loads((FIXTURES / "articles" / f"{SOURCE}.json").read_text(encoding="utf-8"))
REST = "/wp-json/wp/v2/state_press_release"
REST_QUERIES = ("per_page=100", "page=1&per_page=100")
LAVROV = "Secretary Rubio’s Call with Russian Foreign Minister Lavrov"
HEWITT = "Secretary of State Marco Rubio With Hugh Hewitt of The Hugh Hewitt Show"


def reach(kind: str) -> list[dict]:
    """Golden records of the articles reachable through one door only ("feed", "rest")."""
    slugs = {a["slug"] for a in ARTICLES if a["reach"] == kind}
    return [g for g in GOLDEN if urlsplit(g["url"]).path.rstrip("/").rsplit("/", 1)[-1] in slugs]


def record_id(entry: dict, base_urls: dict[str, str]) -> str:
    aliases = load_sources()[SOURCE].host_aliases
    return communique_id(canonical_url(local_url(entry["url"], base_urls), aliases))


def archived(app, base_urls: dict[str, str]) -> dict[str, object]:
    """Golden title -> archived record (or None)."""
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        return {g["title"]: archive.get(record_id(g, base_urls)) for g in GOLDEN}


def all_titles(app) -> set[str]:
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        return {r.title for r in archive.all_current()}


def article_file(site_copy: Path, title: str) -> Path:
    entry = next(g for g in GOLDEN if g["title"] == title)
    return site_copy / HOST / urlsplit(entry["url"]).path.strip("/") / "index.html"


def block_page(site_copy: Path) -> str:
    return (site_copy / HOST / "_technical-difficulties.html").read_text(encoding="utf-8")


def test_the_fixture_covers_what_sources_md_asks() -> None:
    assert len(GOLDEN) >= 18
    assert {g["language"] for g in GOLDEN} == {"en"}
    assert {g["published"][:4] for g in GOLDEN} == {"2025", "2026"}
    assert {g["doc_type"] for g in GOLDEN} >= {
        "statement", "readout", "press release", "joint statement", "speech", "interview"}
    assert {g.get("speaker") for g in GOLDEN} >= {
        "Marco Rubio, Secretary of State", "Tammy Bruce, Department Spokesperson",
        "Office of the Spokesperson"}
    assert any(g["title"] == LAVROV and "Sergey Lavrov" in g["body"] for g in GOLDEN)
    assert any("Aleksandar Vucic" in g["body"] and "Kosovo" in g["body"] for g in GOLDEN)
    assert len(reach("feed")) >= 3 and len(reach("rest")) >= 1
    assert all(urlsplit(g["url"]).path.startswith("/releases/office-of-the-spokesperson/20")
               for g in GOLDEN)


def test_feed_and_rest_only_articles_are_on_no_listing_page() -> None:
    site = SITES / HOST
    listings = "".join(p.read_text(encoding="utf-8")
                       for p in (site / "press-releases").rglob("index.html"))
    feed = (site / "rss-feed" / "press-releases" / "feed" / "index.html").read_text(
        encoding="utf-8")
    rest = (site / "wp-json" / "wp" / "v2" / "state_press_release"
            / "index@per_page=100.html").read_text(encoding="utf-8")
    for entry in reach("feed"):
        path = urlsplit(entry["url"]).path
        assert path not in listings and path.replace("/", "\\/") not in rest
        assert entry["url"] in feed
    for entry in reach("rest"):
        path = urlsplit(entry["url"]).path
        assert path not in listings and path not in feed
        assert entry["url"].replace("/", "\\/") in rest
    assert not (site / urlsplit(reach("feed")[0]["url"]).path.strip("/")).exists()


def test_crawl_reads_three_doors_once_each(app, local_sites) -> None:
    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 0, result.output
    records = archived(app, local_sites.base_urls)
    assert [t for t, r in records.items() if r is None] == []
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        # Listed articles are also in the feed and the API: one record, one version each.
        assert archive.count() == len(GOLDEN)
        assert archive.count_versions() == len(GOLDEN)
        run = archive.last_runs()[0]
    assert (run.source_id, run.status, run.new, run.errors) == (SOURCE, "ok", len(GOLDEN), 0)
    # Only through the feed (the page does not exist) and only through the API.
    for entry in reach("feed") + reach("rest"):
        assert records[entry["title"]].paragraphs == entry["body"].split("\n\n")
    # WordPress entities in the REST title are decoded: &#038; and &#8217;.
    assert "U.S. & Serbia Launch Civil Nuclear Cooperation Working Group" in records


def test_end_markers_index_captions_and_chrome_are_stripped(
    app, local_sites
) -> None:
    assert run_cli(app, "crawl", "--source", SOURCE).exit_code == 0
    records = [r for r in archived(app, local_sites.base_urls).values() if r is not None]
    assert len(records) == len(GOLDEN)
    for record in records:
        paragraphs = record.paragraphs
        assert not {"###", "# # #", "Index", "Show", "Share", "Tags", "Related Articles"} & set(
            paragraphs), record.title
        assert not any(p.startswith(("Follow the Bureau", "[State Department photo"))
                       or "State Department photo" in p for p in paragraphs), record.title
        assert record.title not in paragraphs
    remarks = next(r for r in records
                   if r.title == "Secretary of State Marco Rubio Remarks to the Press")
    # The summary index ("Russia and Ukraine", "Iran", ...) is not the first paragraph.
    assert remarks.paragraphs[0].startswith("SECRETARY RUBIO: Good morning")
    assert remarks.speaker == "Marco Rubio, Secretary of State" and remarks.doc_type == "speech"


def test_block_page_on_an_article_is_a_source_error(
    app, local_sites, site_copy: Path
) -> None:
    article_file(site_copy, HEWITT).write_text(block_page(site_copy), encoding="utf-8")
    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 1
    assert "error [blocked]" in result.output
    records = archived(app, local_sites.base_urls)
    assert records[HEWITT] is None
    assert "Technical Difficulties" not in all_titles(app)
    assert sum(r is not None for r in records.values()) == len(GOLDEN) - 1


def test_block_page_instead_of_rest_json_is_a_source_error(
    app, local_sites, site_copy: Path
) -> None:
    root = site_copy / HOST
    headers_file = root / "_headers.json"
    headers = json.loads(headers_file.read_text(encoding="utf-8"))
    for query in REST_QUERIES:
        target = root / REST.strip("/") / f"index@{query}.html"
        target.write_text(block_page(site_copy), encoding="utf-8")
        headers.pop(f"{REST}?{query}")  # served as text/html, as the real block page is
    headers_file.write_text(json.dumps(headers), encoding="utf-8")

    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 1
    assert "error [blocked]" in result.output
    records = archived(app, local_sites.base_urls)
    assert all(records[g["title"]] is None for g in reach("rest"))
    others = [g for g in GOLDEN if g not in reach("rest")]
    assert all(records[g["title"]] is not None for g in others)
    assert "Technical Difficulties" not in all_titles(app)
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        run = archive.last_runs()[0]
    assert run.status == "partial" and run.errors >= 1


def api_hits(client, **params) -> list[dict]:
    response = client.get("/api/search", query_string={"size": 100, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


@pytest.mark.parametrize("params, title, only_us", [
    ({"q": '"Hugh Hewitt"'}, HEWITT, True),
    ({"q": "Naadam Mongolia"}, "Mongolia’s National Day and Naadam Festival", True),
    ({"q": f"Lavrov source:{SOURCE}", "from": "2026-07-01", "to": "2026-07-31"}, LAVROV, True),
    ({"q": "Lammy Rubio"}, "Secretary Rubio’s Call with United Kingdom Foreign Secretary Lammy",
     False),
    ({"q": f"Kharkiv demining source:{SOURCE}"},
     "The United States’ Contribution to Demining in Ukraine’s Kharkiv Oblast", True),
])
def test_search_finds_state_department_releases(client, params: dict, title: str,
                                                only_us: bool) -> None:
    hits = api_hits(client, **params)
    assert title in [h["title"] for h in hits]
    if only_us:
        assert {h["source"] for h in hits} == {SOURCE}


def test_search_by_source_and_type(client) -> None:
    hits = api_hits(client, q=f"source:{SOURCE} type:readout")
    expected = {g["title"] for g in GOLDEN if g["doc_type"] == "readout"}
    assert {h["title"] for h in hits} == expected


# --------------------------------------------------------------------------- archive hosts

ARCHIVED = next(a for a in ARTICLES if a["reach"] == "archive")
ARCHIVED_URL = f"https://{ARCHIVED['host']}{ARCHIVED['path']}"


def archived_expectation(record: dict) -> None:
    assert record["source_id"] == SOURCE and record["extraction"] == "definition"
    assert record["title"] == ARCHIVED["title"]
    assert record["published"] == ARCHIVED["date"]
    assert record["doc_type"] == "readout" and record["speaker"] == ARCHIVED["speaker"]
    assert record["paragraphs"] == ARCHIVED["paragraphs"]  # no "###", no archive banner


def test_earlier_administrations_hosts_belong_to_the_source() -> None:
    from scrapers.crawl import allowed_hosts
    from scrapers.sources import match_url

    sources = load_sources()
    for host in ("2021-2025.state.gov", "2017-2021.state.gov", "www.state.gov", "state.gov"):
        match = match_url(f"https://{host}/some-release/", sources)
        assert match is not None and match.source.id == SOURCE, host
        assert match.site.name == "main"
    assert match_url("https://state.gov.example.com/some-release/", sources) is None
    live = allowed_hosts(sources[SOURCE], {})
    assert {"2021-2025.state.gov", "2017-2021.state.gov", "www.state.gov"} <= live
    # An archive host is not an alias: its pages keep their own URL (and id).
    assert "2021-2025.state.gov" not in sources[SOURCE].host_aliases
    assert canonical_url(ARCHIVED_URL, sources[SOURCE].host_aliases) == ARCHIVED_URL


def test_an_archived_page_is_read_with_the_definition(tmp_path: Path) -> None:
    from conftest import SITES

    from webapp import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data")})
    saved = SITES / ARCHIVED["host"] / ARCHIVED["path"].strip("/") / "index.html"
    result = run_cli(app, "extract", "--json", "--url", ARCHIVED_URL, str(saved))
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    archived_expectation(record)
    assert record["url"] == ARCHIVED_URL
    assert {"Antony Blinken", "Marko Đurić"} <= set(record["officials"])


def test_a_listing_linking_to_an_archive_host_is_crawled(
    app, local_sites, site_copy: Path
) -> None:
    # After a transition the listing links some releases to where they now live.
    listing = site_copy / HOST / "press-releases" / "index.html"
    card = ('<li class="collection-result"><p class="collection-result__date">Readout</p>'
            f'<a href="{ARCHIVED_URL}" class="collection-result__link">{ARCHIVED["title"]}</a>'
            '<div class="collection-result-meta"><span>Office of the Spokesperson</span>'
            '<span dir="ltr">July 18, 2024</span></div></li>')
    html = listing.read_text(encoding="utf-8")
    listing.write_text(html.replace('<ul class="collection-results">',
                                    '<ul class="collection-results">' + card, 1),
                       encoding="utf-8")
    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 0, result.output
    archive_url = local_url(ARCHIVED_URL, local_sites.base_urls)
    assert archive_url != ARCHIVED_URL  # the archive host's own copy was crawled
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        assert archive.count() == len(GOLDEN) + 1
        stored = archive.get(communique_id(canonical_url(archive_url)))
    assert stored is not None
    archived_expectation({**stored.to_dict(), "paragraphs": stored.paragraphs})
