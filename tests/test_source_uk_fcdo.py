"""GOV.UK (FCDO) end to end: Search API + Content API copies over HTTP -> crawl -> archive -> API.

What is specific to this source: JSON APIs instead of pages (an HTML error page
in their place is a block), strict parameter validation (422), two
organisations over time, press-office boilerplate at the end of bodies, dates
that the search API gives in UTC, and countries and ministers that come tagged.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SITES, load_golden, local_url, run_cli

from demo.localsites import query_key
from indexer.archive import Archive
from scrapers.record import canonical_url, communique_id
from scrapers.sources import DEFINITIONS_DIR, load_sources

SOURCE = "uk-fcdo"
GOLDEN = load_golden(SOURCE)
HOST = "www.gov.uk"
ARTICLES = json.loads(
    (Path(__file__).parent / "fixtures" / "articles" / "uk-fcdo.json").read_text(encoding="utf-8")
)["articles"]
FCDO, FCO = (section.path for site in load_sources()[SOURCE].sites for section in site.sections)
# GOV.UK's own error page, as a cache may serve it (with 200) in place of the JSON.
ERROR_PAGE = """<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head><meta charset="utf-8">
<title>Sorry, we’re experiencing technical difficulties - GOV.UK</title>
<link rel="stylesheet" href="/assets/static/application.css"></head>
<body class="govuk-template__body">
<header class="govuk-header" role="banner">
<a href="https://www.gov.uk" class="govuk-header__link">GOV.UK</a></header>
<main class="govuk-main-wrapper" id="main-content" role="main">
<h1 class="govuk-heading-l">Sorry, we’re experiencing technical difficulties</h1>
<p class="govuk-body">Please try again in a few moments.</p>
</main></body></html>
"""


def golden_entry(fragment: str) -> dict:
    return next(g for g in GOLDEN if fragment in g["url"])


def article_data(fragment: str) -> dict:
    return next(a for a in ARTICLES if fragment in a["path"])


def record_of(app, base_urls: dict[str, str], entry: dict):
    record_id = communique_id(canonical_url(local_url(entry["url"], base_urls)))
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        return archive.get(record_id)


def archived_titles(app) -> set[str]:
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        return {r.title for r in archive.all_current() if r.source_id == SOURCE}


def search_file(site_copy: Path, section_path: str, start: int) -> tuple[Path, str]:
    """The copy's file for one search page, and its _headers.json key."""
    parts = urlsplit(section_path)
    query = query_key(f"{parts.query}&start={start}")
    return (site_copy / HOST / parts.path.strip("/") / f"index@{query}.html",
            f"{parts.path}?{query}")


def set_headers(site_copy: Path, key: str, override: dict) -> None:
    sidecar = site_copy / HOST / "_headers.json"
    headers = json.loads(sidecar.read_text(encoding="utf-8"))
    headers[key] = override
    sidecar.write_text(json.dumps(headers, indent=1), encoding="utf-8")


def titles_of(organisation: str) -> set[str]:
    return {a["title"] for a in ARTICLES if organisation in a["organisations"]}


# --------------------------------------------------------------------------- the fixture


def test_the_fixture_covers_what_the_source_publishes() -> None:
    assert len(GOLDEN) >= 18
    years = {int(g["published"][:4]) for g in GOLDEN}
    assert min(years) == 2019 and max(years) == 2026
    assert {g["doc_type"] for g in GOLDEN} == {
        "press release", "news", "speech", "statement", "other"}
    assert {g["language"] for g in GOLDEN} == {"en"}
    assert all(urlsplit(g["url"]).hostname == HOST for g in GOLDEN)
    # Documents from before the FCDO existed are tagged to the Foreign & Commonwealth Office.
    assert all(a["organisations"] == ["fco"] for a in ARTICLES
               if a["first_published_at"] < "2020-09-02")
    assert all(80 <= len(g["body"].split()) <= 500 for g in GOLDEN)


def test_the_search_api_copy_pages_by_count_and_lists_the_changeover_twice(
        site_copy: Path) -> None:
    pages = [json.loads(search_file(site_copy, FCDO, start)[0].read_text(encoding="utf-8"))
             for start in (0, 10)]
    assert [len(p["results"]) for p in pages] == [10, len(titles_of("fcdo")) - 10]
    assert {p["total"] for p in pages} == {len(titles_of("fcdo"))}
    fco = json.loads(search_file(site_copy, FCO, 0)[0].read_text(encoding="utf-8"))
    both = {r["link"] for p in pages for r in p["results"]} & {r["link"] for r in fco["results"]}
    assert both == {"/government/news/uk-welcomes-serbia-and-kosovo-commitments-on-economic-"
                    "normalisation"}


# --------------------------------------------------------------------------- the crawl


def test_crawl_reads_both_organisations_and_archives_each_document_once(app) -> None:
    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 0, result.output
    # 3 search pages (2 FCDO, 1 FCO) and one Content API item per document.
    assert (f"{SOURCE}: ok - {len(GOLDEN)} articles found, {len(GOLDEN)} new, 0 changed,"
            f" 0 unchanged, {3 + len(GOLDEN)} pages fetched, 0 errors") in result.output
    assert archived_titles(app) == {g["title"] for g in GOLDEN}


def test_press_office_boilerplate_is_dropped(crawled) -> None:
    app, base_urls = crawled
    junk = ("Notes to editors", "Further information", "Media enquiries", "newsdesk@",
            "Follow the Foreign Office", "FCDO Newsdesk", "020 7008 3100")
    for entry in GOLDEN:
        record = record_of(app, base_urls, entry)
        assert record is not None, entry["url"]
        assert not [p for p in record.paragraphs if any(j in p for j in junk)], entry["url"]
    # A heading inside the article is content, and stays.
    record = record_of(app, base_urls, golden_entry("urges-belgrade-and-pristina"))
    assert "UK support in the region" in record.paragraphs


def test_published_is_the_london_date_of_first_publication(crawled, site_copy: Path) -> None:
    app, base_urls = crawled
    listed = {r["link"]: r["public_timestamp"] for start in (0, 10) for r in json.loads(
        search_file(site_copy, FCDO, start)[0].read_text(encoding="utf-8"))["results"]}
    # Published at 00:30 London time (BST): the search API's UTC timestamp is the day before.
    europe = golden_entry("visits-germany-poland-and-sweden")
    assert listed[urlsplit(europe["url"]).path].startswith("2024-07-05T23:30")
    assert record_of(app, base_urls, europe).published == date(2024, 7, 6)
    # Embargoed to 00:01: the same trap.
    china = golden_entry("/government/news/foreign-secretary-visits-china")
    assert listed[urlsplit(china["url"]).path].startswith("2024-10-17T23:01")
    assert record_of(app, base_urls, china).published == date(2024, 10, 18)
    # Corrected in February 2026, delivered in October 2025: dated by its first publication.
    speech = golden_entry("berlin-process-summit")
    assert listed[urlsplit(speech["url"]).path].startswith("2026-02-02")
    assert record_of(app, base_urls, speech).published == date(2025, 10, 22)


def test_countries_and_ministers_come_from_the_tags(crawled) -> None:
    app, base_urls = crawled
    # Two role appointments of one minister make one official.
    statement = record_of(app, base_urls, golden_entry("russia-sanctions-update-to-parliament"))
    assert article_data("russia-sanctions-update")["appointments"] == [
        ["stephen-doughty", "minister-europe"], ["stephen-doughty", "minister-sanctions"]]
    assert list(statement.officials) == ["Stephen Doughty MP"]
    assert statement.doc_type == "statement"
    # A worldwide organisation (the UK Mission to the UN) is not a country.
    speech = record_of(app, base_urls, golden_entry("statement-at-the-un-security-council"))
    assert list(speech.countries) == ["Ukraine", "Russia"]
    # GOV.UK names people formally: the text says "Liz Truss", the tag does not.
    invasion = record_of(app, base_urls, golden_entry("statement-on-russias-invasion"))
    assert "Foreign Secretary Liz Truss said:" in invasion.paragraphs
    assert list(invasion.officials) == ["The Rt Hon Elizabeth Truss MP"]


def test_api_search_finds_what_only_this_source_published(client) -> None:
    response = client.get("/api/search", query_string={"q": "Doughty", "size": 100})
    assert response.status_code == 200
    hits = response.get_json()["results"]
    assert {hit["source"] for hit in hits} == {SOURCE}
    expected = {g["title"] for g in GOLDEN if "Doughty" in g["body"] or "Doughty" in g["title"]}
    assert expected and expected <= {hit["title"] for hit in hits}

    speeches = client.get("/api/search", query_string={
        "q": f"source:{SOURCE} type:speech", "size": 100}).get_json()
    assert sorted(hit["title"] for hit in speeches["results"]) == sorted(
        g["title"] for g in GOLDEN if g["doc_type"] == "speech")


# --------------------------------------------------------------------------- failures


def test_error_page_instead_of_the_search_json_is_a_block(app, site_copy: Path) -> None:
    page, key = search_file(site_copy, FCDO, 0)
    page.write_text(ERROR_PAGE, encoding="utf-8")
    set_headers(site_copy, key, {"headers": {"Content-Type": "text/html; charset=utf-8"}})
    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 1
    assert "error [blocked]" in result.output
    assert "filter_organisations=foreign-commonwealth-development-office" in result.output
    titles = archived_titles(app)
    assert "technical difficulties" not in " ".join(titles).lower()
    # Only what the Foreign & Commonwealth Office query listed got through.
    assert titles == titles_of("fco")


def test_error_page_instead_of_a_content_item_is_a_block(app, site_copy: Path) -> None:
    entry = golden_entry("/government/news/foreign-secretary-visits-china")
    path = urlsplit(entry["url"]).path
    item = site_copy / HOST / "api" / "content" / path.strip("/") / "index.html"
    item.write_text(ERROR_PAGE, encoding="utf-8")
    set_headers(site_copy, f"/api/content{path}",
                {"headers": {"Content-Type": "text/html; charset=utf-8"}})
    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 1
    assert "error [blocked]" in result.output and "foreign-secretary-visits-china" in result.output
    titles = archived_titles(app)
    assert entry["title"] not in titles
    assert len(titles) == len(GOLDEN) - 1
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        run = archive.last_runs()[0]
    assert (run.source_id, run.status, run.errors) == (SOURCE, "partial", 1)


def test_unknown_search_parameter_is_a_source_error(
        app, site_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A typo in the definition ("filter_organisation"): GOV.UK answers 422.
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    toml = (DEFINITIONS_DIR / f"{SOURCE}.toml").read_text(encoding="utf-8")
    bad_path = FCDO.replace("filter_organisations=", "filter_organisation=")
    (definitions / f"{SOURCE}.toml").write_text(toml.replace(FCDO, bad_path), encoding="utf-8")
    sources = load_sources(definitions)
    assert sources[SOURCE].sites[0].sections[0].path == bad_path
    monkeypatch.setattr("webapp.cli.load_sources", lambda: sources)

    _, key = search_file(site_copy, bad_path, 0)
    body = site_copy / HOST / "_errors" / "search-422.json"
    body.parent.mkdir()
    body.write_text('{"error":"Unexpected parameters: filter_organisation"}\n', encoding="utf-8")
    set_headers(site_copy, key, {"status": 422, "body_file": "_errors/search-422.json",
                                 "headers": {"Content-Type": "application/json"}})

    result = run_cli(app, "crawl", "--source", SOURCE)
    assert result.exit_code == 1
    assert "error [fetch] HTTP 422" in result.output
    assert archived_titles(app) == titles_of("fco")


def test_recrawl_is_conditional_and_picks_up_a_corrected_document(
        app, site_copy: Path) -> None:
    assert run_cli(app, "crawl", "--source", SOURCE).exit_code == 0
    again = run_cli(app, "crawl", "--source", SOURCE)
    assert again.exit_code == 0 and " 0 new, 0 changed" in again.output

    entry = golden_entry("uk-and-serbia-step-up-cooperation")
    item_file = (site_copy / HOST / "api" / "content" / urlsplit(entry["url"]).path.strip("/")
                 / "index.html")
    item = json.loads(item_file.read_text(encoding="utf-8"))
    item["details"]["body"] = item["details"]["body"].replace(
        "later this year", "in the autumn")
    item["public_updated_at"] = "2025-05-15T09:00:00.000+01:00"
    item_file.write_text(json.dumps(item), encoding="utf-8")
    # Crawls are incremental: an archived document is re-checked (conditionally) when its
    # time comes, or now with --recheck.
    changed = run_cli(app, "update", "--source", SOURCE, "--recheck")
    assert changed.exit_code == 0 and " 0 new, 1 changed" in changed.output
    record = record_of(app, app.config["SITE_OVERRIDES"], entry)
    assert record.paragraphs[-1] == (
        "Minister Djuric invited the Foreign Secretary to visit Belgrade in the autumn.")
    assert record.published == date(2025, 5, 14)


def test_builder_reproduces_the_committed_fixture(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "fixtures"))  # its helpers
    spec = importlib.util.spec_from_file_location(
        "build_uk_fcdo", Path(__file__).parent / "fixtures" / "build_uk_fcdo.py")
    assert spec is not None and spec.loader is not None
    build_uk_fcdo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_uk_fcdo)
    data = json.loads((Path(__file__).parent / "fixtures" / "articles" / "uk-fcdo.json")
                      .read_text(encoding="utf-8"))
    golden = build_uk_fcdo.build(data, tmp_path)
    assert golden == GOLDEN
    committed = SITES / HOST
    for path in (tmp_path / HOST).rglob("*"):
        if path.is_file():
            twin = committed / path.relative_to(tmp_path / HOST)
            assert twin.read_bytes() == path.read_bytes(), twin
    shutil.rmtree(tmp_path / HOST)
