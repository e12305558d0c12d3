"""End to end on the Serbian MFA: fixture sites over HTTP -> crawl -> archive -> index -> API."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import GOLDEN as GOLDEN_DIR
from conftest import load_golden, run_cli

from indexer.archive import Archive
from indexer.lock import WriterLock

GOLDEN = load_golden("serbia-mfa")
SEED_TITLE = "Serbian-Russian consultations on security challenges and threats held in Moscow"


def archive_path_of(app) -> Path:
    return Path(app.config["DATA_DIR"])


def test_the_fixture_is_big_enough() -> None:
    assert len(GOLDEN) >= 40
    assert {g["language"] for g in GOLDEN} == {"en", "sr-Latn", "sr-Cyrl"}
    assert {urlsplit(g["url"]).hostname for g in GOLDEN} == {
        "arhiviranisajt.msp.gov.rs", "www.mfa.gov.rs"}


def api_titles(client, **params) -> list[str]:
    # collapse=0: every text as the golden records list them, language versions included.
    response = client.get("/api/search", query_string={"size": 100, "collapse": 0, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [hit["title"] for hit in response.get_json()["results"]]


@pytest.mark.parametrize("params", [
    {"q": "Filipovic"},
    {"q": "Филиповић"},
    {"q": "Filipović"},
    {"q": "terrorism Moscow"},
    {"q": "Filipovic", "from": "2018-07-01", "to": "2018-07-31"},
    {"from": "2018-07", "to": "2018-07"},
    {"q": '"Branimir Filipovic" Syromolotov'},
])
def test_seed_communique_is_found(client, params: dict) -> None:
    assert SEED_TITLE in api_titles(client, **params)


def test_date_range_over_july_2018_holds_only_july_2018(client) -> None:
    response = client.get(
        "/api/search?from=2018-07-01&to=2018-07-31&size=100&source=serbia-mfa").get_json()
    expected = [g for g in GOLDEN if g["published"].startswith("2018-07")]
    assert response["total"] == len(expected)
    assert all(hit["published"].startswith("2018-07") for hit in response["results"])


def test_latin_query_finds_cyrillic_articles(client) -> None:
    cyrillic_with_dacic = {
        g["title"] for g in GOLDEN if g["language"] == "sr-Cyrl" and "Дачић" in g["body"]
    }
    assert cyrillic_with_dacic, "the fixture needs a Cyrillic article about Dačić"
    found = set(api_titles(client, q="Dacic"))
    assert cyrillic_with_dacic <= found
    latin_with_dacic = {g["title"] for g in GOLDEN if "Dačić" in g["body"]}
    assert latin_with_dacic <= found


def test_language_filters_and_fields(client) -> None:
    cyrillic = [g for g in GOLDEN if g["language"] == "sr-Cyrl"]
    assert sorted(api_titles(client, q="lang:sr-Cyrl")) == sorted(g["title"] for g in cyrillic)
    serbian = [g for g in GOLDEN if g["language"].startswith("sr")]
    assert len(api_titles(client, language="sr", source="serbia-mfa")) == len(serbian)
    news = [g for g in GOLDEN if g["doc_type"] == "news"]
    assert len(api_titles(client, q="type:news source:serbia-mfa")) == len(news)


def test_cli_search_prints_the_seed(crawled_app) -> None:
    result = run_cli(crawled_app, "search", "Филиповић", "--from", "2018-07-01",
                     "--to", "2018-07-31")
    assert result.exit_code == 0
    assert SEED_TITLE in result.output
    bad = run_cli(crawled_app, "search", '"unclosed')
    assert bad.exit_code != 0 and "unclosed quote" in bad.output


def _seed_file(site_copy: Path) -> Path:
    seed = next(g for g in GOLDEN if g["title"] == SEED_TITLE)
    path = urlsplit(seed["url"]).path
    return site_copy / "arhiviranisajt.msp.gov.rs" / path.lstrip("/") / "index.html"


def crawl_serbia(app, *options: str):
    return run_cli(app, "crawl", "--source", "serbia-mfa", *options)


def test_recrawl_adds_versions_only_for_changed_pages(app, site_copy: Path) -> None:
    assert crawl_serbia(app).exit_code == 0
    data_dir = archive_path_of(app)
    with Archive(data_dir, readonly=True) as archive:
        first = archive.count_versions()
    assert first == len(GOLDEN)

    again = crawl_serbia(app)
    assert again.exit_code == 0 and " 0 new, 0 changed" in again.output
    with Archive(data_dir, readonly=True) as archive:
        assert archive.count_versions() == first

    seed = _seed_file(site_copy)
    seed.write_text(seed.read_text(encoding="utf-8").replace(
        "Ilya Rogachev", "Ilya I. Rogachev"), encoding="utf-8")
    # Crawls are incremental (an archived article is re-checked when its time comes):
    # --refetch reads every page now.
    changed = crawl_serbia(app, "--refetch")
    assert changed.exit_code == 0 and " 0 new, 1 changed" in changed.output
    with Archive(data_dir, readonly=True) as archive:
        assert archive.count_versions() == first + 1
        seed_id = next(r.id for r in archive.all_current() if r.title == SEED_TITLE)
        assert [v.version for v in archive.versions(seed_id)] == [1, 2]
        assert "Ilya I. Rogachev" in archive.get(seed_id).body
        assert "Ilya I. Rogachev" not in archive.get(seed_id, version=1).body

    assert run_cli(app, "index").exit_code == 0
    client = app.test_client()
    assert SEED_TITLE in api_titles(client, q='"Ilya I. Rogachev"')


def test_redesigned_page_is_read_generically_and_flagged_as_drift(app, site_copy: Path) -> None:
    data_dir = archive_path_of(app)
    seed = _seed_file(site_copy)
    html = seed.read_text(encoding="utf-8")
    # A redesign: the headline and text cells lose the classes the definition reads.
    broken = html.replace('class="contentheading"', 'class="heading"').replace(
        'class="contentpaneopen"', 'class="layout"')
    assert broken != html
    seed.write_text(broken, encoding="utf-8")
    result = crawl_serbia(app)
    assert result.exit_code == 4  # drift, and no source error
    assert "error [" not in result.output
    assert "warning [drift]" in result.output and "19230-serbian-russian" in result.output
    assert "1 read by the generic extractor" in result.output
    golden = next(g for g in GOLDEN if g["title"] == SEED_TITLE)
    with Archive(data_dir, readonly=True) as archive:
        assert archive.count() == len(GOLDEN)  # no article lost
        seed_record = next(r for r in archive.all_current() if "19230-" in r.url)
        assert seed_record.extraction == "generic"
        assert seed_record.title == SEED_TITLE
        assert seed_record.published.isoformat() == golden["published"]
        assert seed_record.paragraphs[0] == golden["body"].split("\n\n")[0]
        assert all(r.extraction == "definition" for r in archive.all_current()
                   if r.id != seed_record.id)
        run = archive.last_runs()[0]
        assert run.status == "ok" and run.errors == 0 and run.drift == 1
        assert [d.url for d in archive.run_drift(run.run_id)] == [seed_record.url]
    status = run_cli(app, "status")
    assert "definition drift: 1 article read by the generic extractor" in status.output
    assert "19230-serbian-russian" in status.output


def test_page_nothing_can_read_is_an_error_and_leaves_the_archive_untouched(
        app, site_copy: Path) -> None:
    assert crawl_serbia(app).exit_code == 0
    data_dir = archive_path_of(app)
    with Archive(data_dir, readonly=True) as archive:
        before = {r.id: r.content_hash for r in archive.all_current()}

    seed = _seed_file(site_copy)
    # Neither the definition nor the generic extractor finds an article in what is left.
    seed.write_text("<html><head><title>Ministry of Foreign Affairs</title></head><body>"
                    "<div id='wrapper'><ul><li><a href='/en/'>Home</a></li></ul></div>"
                    "</body></html>", encoding="utf-8")
    result = crawl_serbia(app, "--refetch")
    assert result.exit_code == 1
    assert "error [scrape]" in result.output and "19230-serbian-russian" in result.output
    with Archive(data_dir, readonly=True) as archive:
        assert {r.id: r.content_hash for r in archive.all_current()} == before
        assert archive.count_versions() == len(before)
        run = archive.last_runs()[0]
        assert run.status == "partial" and run.errors == 1 and run.drift == 0
        assert "generic extractor found no article" in archive.run_errors(run.run_id)[0].message
    status = run_cli(app, "status")
    assert "partial" in status.output and "1 errors" in status.output


def test_block_page_and_empty_listing_are_source_errors(app, site_copy: Path) -> None:
    listing = site_copy / "www.mfa.gov.rs" / "en" / "press-service" / "news" / "index.html"
    listing.write_text(
        "<html><head><title>Technical Difficulties</title></head><body>"
        "<p>We are experiencing technical difficulties.</p></body></html>", encoding="utf-8")
    statements = site_copy / "www.mfa.gov.rs" / "lat" / "mediji" / "saopstenja" / "index.html"
    statements.write_text("<html><body><div class='view-content'></div></body></html>",
                          encoding="utf-8")
    result = crawl_serbia(app)
    assert result.exit_code == 1
    assert "error [blocked]" in result.output
    assert "listing has no items" in result.output
    with Archive(archive_path_of(app), readonly=True) as archive:
        titles = {r.title for r in archive.all_current()}
    assert "Technical Difficulties" not in titles
    assert all(g["title"] not in titles for g in GOLDEN if "/en/press-service/news/" in g["url"]
               or "/lat/mediji/saopstenja/" in g["url"])


def test_two_runs_at_once_the_second_exits_cleanly(app) -> None:
    with WriterLock(archive_path_of(app)):
        result = crawl_serbia(app)
    assert result.exit_code == 75
    assert "busy" in result.output and "Traceback" not in result.output


def test_demo_builds_from_the_bundled_sites(tmp_path: Path) -> None:
    from webapp import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    result = run_cli(app, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    every_source = sum(len(load_golden(p.stem)) for p in GOLDEN_DIR.glob("*.json"))
    assert f"{every_source} in the index" in result.output
    assert "error [" not in result.output


def test_a_page_and_listing_without_a_date_give_an_undated_record(app, site_copy: Path) -> None:
    notice = next(g for g in GOLDEN if "consular-notice" in g["url"])
    listing = site_copy / "www.mfa.gov.rs" / "en" / "press-service" / "news" / "index.html"
    html = listing.read_text(encoding="utf-8")
    slug = urlsplit(notice["url"]).path.rsplit("/", 1)[1]
    row_start = html.index(f'href="/en/press-service/news/{slug}"')
    date_start = html.index('<div class="field field--date">', row_start)
    date_end = html.index("</div>", date_start) + len("</div>")
    listing.write_text(html[:date_start] + html[date_end:], encoding="utf-8")
    assert crawl_serbia(app).exit_code == 0
    with Archive(archive_path_of(app), readonly=True) as archive:
        record = next(r for r in archive.all_current() if slug in r.url)
    # Neither the page nor its listing shows a date: none, never the fetch date.
    assert record.published is None
    assert record.title == notice["title"] and record.extraction == "definition"


def test_a_listing_link_that_does_not_parse_loses_only_itself(app, site_copy: Path) -> None:
    # Hostile or broken hrefs (an unclosed IPv6 bracket, a port past 65535) on the first
    # rows once ended the whole listing as an error: now they are skipped, one by one.
    listing = site_copy / "www.mfa.gov.rs" / "en" / "press-service" / "news" / "index.html"
    html = listing.read_text(encoding="utf-8")
    broken = "".join(f'<div class="views-row"><h3><a href="{href}">Broken</a></h3></div>'
                     for href in ("http://[::1/x", "https://www.mfa.gov.rs:99999/en/x"))
    listing.write_text(html.replace('<div class="view-content">',
                                    '<div class="view-content">' + broken, 1), encoding="utf-8")
    result = crawl_serbia(app)
    assert result.exit_code == 0, result.output
    with Archive(archive_path_of(app), readonly=True) as archive:
        titles = {r.title for r in archive.all_current()}
    assert {g["title"] for g in GOLDEN} == titles


def test_a_page_nested_thousands_deep_is_read(app, site_copy: Path) -> None:
    # The text walk was recursive: 5,000 nested divs ended the crawl of the whole source
    # in a RecursionError (the block-page check reads every page's text).
    entry = next(g for g in GOLDEN if "/mediji/saopstenja/dacic-uputio" in g["url"])
    page = site_copy / "www.mfa.gov.rs" / urlsplit(entry["url"]).path.strip("/") / "index.html"
    html = page.read_text(encoding="utf-8")
    start = html.index("<p>")
    end = html.index("</p>", start) + len("</p>")
    page.write_text(html[:start] + "<div>" * 5000 + html[start:end] + "</div>" * 5000
                    + html[end:], encoding="utf-8")
    result = crawl_serbia(app)
    assert result.exit_code == 0, result.output
    with Archive(archive_path_of(app), readonly=True) as archive:
        records = {r.title: r for r in archive.all_current()}
    assert len(records) == len(GOLDEN)
    assert records[entry["title"]].body == entry["body"]
    assert records[entry["title"]].extraction == "definition"


def test_a_page_that_breaks_the_reading_loses_only_itself(app, monkeypatch) -> None:
    # Whatever unforeseen error one page raises while being read, it is that page's error,
    # reported with its URL; the source's other articles are still crawled.
    from scrapers.strategies import html_pages

    real = html_pages.parse_html_article
    victim = next(g for g in GOLDEN if "/mediji/saopstenja/dacic-uputio" in g["url"])
    path = urlsplit(victim["url"]).path

    def flaky(source, link, html, url, *args, **kwargs):
        if urlsplit(url).path == path:
            raise RuntimeError("an unforeseen bug")
        return real(source, link, html, url, *args, **kwargs)

    monkeypatch.setattr(html_pages, "parse_html_article", flaky)
    result = crawl_serbia(app)
    assert result.exit_code == 1, result.output
    assert "unreadable page (RuntimeError: an unforeseen bug)" in result.output
    with Archive(archive_path_of(app), readonly=True) as archive:
        titles = {r.title for r in archive.all_current()}
    assert titles == {g["title"] for g in GOLDEN} - {victim["title"]}
