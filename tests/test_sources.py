"""Every source end to end: its fixture site crawled over HTTP must give its golden records."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import GOLDEN, load_golden, local_url

from indexer.archive import Archive
from scrapers.record import canonical_url, communique_id
from scrapers.sources import load_sources

SOURCE_IDS = sorted(path.stem for path in GOLDEN.glob("*.json"))
CASES = [(source_id, entry) for source_id in SOURCE_IDS for entry in load_golden(source_id)]


def record_for(crawled, entry: dict):
    app, base_urls = crawled
    source = load_sources()[entry["_source"]] if "_source" in entry else None
    aliases = source.host_aliases if source else {}
    record_id = communique_id(canonical_url(local_url(entry["url"], base_urls), aliases))
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        return archive.get(record_id)


def test_every_golden_file_has_a_definition() -> None:
    assert set(SOURCE_IDS) <= set(load_sources())
    assert "serbia-mfa" in SOURCE_IDS


@pytest.mark.parametrize(
    "source_id, entry", CASES,
    ids=[f"{s}:{urlsplit(e['url']).path[-48:]}" for s, e in CASES],
)
def test_article_matches_golden_record(crawled, source_id: str, entry: dict) -> None:
    record = record_for(crawled, {**entry, "_source": source_id})
    assert record is not None, f"not crawled: {entry['url']}"
    assert record.source_id == source_id
    assert record.title == entry["title"]
    assert (record.published.isoformat() if record.published else None) == entry["published"]
    assert record.language == entry["language"]
    assert record.doc_type == entry["doc_type"]
    assert record.paragraphs == entry["body"].split("\n\n")
    assert record.extraction == "definition"  # read by its source's selectors, no drift
    if "speaker" in entry:
        assert record.speaker == entry["speaker"]
    if "document_number" in entry:
        assert record.document_number == entry["document_number"]
    if "tagged" in entry:
        assert list(record.officials) == entry["tagged"]["officials"]
        assert list(record.countries) == entry["tagged"]["countries"]


def test_each_crawl_archived_exactly_its_golden_articles(crawled) -> None:
    app, _ = crawled
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        by_source = archive.documents_by_source()
        runs = {run.source_id: run for run in archive.last_runs()}
        errors = {s: [e.message for e in archive.run_errors(r.run_id)] for s, r in runs.items()}
    for source_id in SOURCE_IDS:
        assert by_source.get(source_id) == len(load_golden(source_id)), source_id
        assert runs[source_id].status == "ok", errors[source_id]
        assert runs[source_id].drift == 0, source_id


@pytest.mark.parametrize("query", ["Lavrov", "Лавров"])
def test_lavrov_finds_russian_and_serbian_communiques_side_by_side(client, query: str) -> None:
    response = client.get("/api/search", query_string={"q": query, "size": 100}).get_json()
    sources = {hit["source"] for hit in response["results"]}
    languages = {hit["language"] for hit in response["results"]}
    assert {"russia-mid", "serbia-mfa"} <= sources
    assert {"ru", "en", "sr-Cyrl"} <= languages


def test_sources_command_lists_every_source_with_its_state(crawled_app) -> None:
    from conftest import run_cli

    result = run_cli(crawled_app, "sources")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:5] == ["SOURCE", "STRATEGY", "LANGUAGES", "LAST", "CRAWL"]
    for source_id in load_sources():
        row = next(line for line in lines if line.startswith(source_id + " "))
        assert " ok " in row
        expected = len(load_golden(source_id)) if source_id in SOURCE_IDS else 0
        assert f" {expected} " in row


def test_selectors_are_lists_tried_in_order_and_checked_when_loaded() -> None:
    from datetime import UTC, datetime

    from scrapers.sources import SourceDefinitionError, parse_source
    from scrapers.strategies.article import read_page_as

    definition = {
        "id": "x", "name": "Ministry of Foreign Affairs of X", "country": "XX",
        "strategy": "html", "languages": ["en"], "site_names": ["MFA X"],
        "sites": [{"base_url": "https://mfa.example", "listing": {"items": "li", "link": "a"},
                   "article": {"title": ["h1.headline", "title"], "date": [".when", "time"],
                               "body": [".story", ".text, .lead"], "exclude": [".related"]},
                   "date_formats": {"en": ["%d %B %Y"]},
                   "sections": [{"path": "/news", "language": "en", "doc_type": "news"}]}],
    }
    source = parse_source(definition, "x.toml")
    page = ("<html><head><title>Talks in Paris | MFA X</title></head><body>"
            "<div class='related'><time>1 May 2020</time></div>"
            "<p class='lead'>The minister held talks in Paris today with his counterpart.</p>"
            "<time>3 June 2024</time><div class='text'><p>Talks in Paris</p>"
            "<p>They discussed trade, energy and the situation in the region at length.</p>"
            "</div></body></html>")
    record = read_page_as(source, page, "https://mfa.example/news/1", datetime.now(UTC))
    assert record.title == "Talks in Paris"  # from <title>, the site's name stripped
    assert record.published.isoformat() == "2024-06-03"  # not the related item's date
    # ".text, .lead" is one selector: both, in page order; the repeated headline dropped.
    assert record.paragraphs == [
        "The minister held talks in Paris today with his counterpart.",
        "They discussed trade, energy and the situation in the region at length."]
    assert record.extraction == "definition"
    # A single string still works; a selector that does not parse is refused at load time.
    definition["sites"][0]["article"]["title"] = "h1"
    assert parse_source(definition, "x.toml").sites[0].article.title == ("h1",)
    definition["sites"][0]["article"]["date"] = ["time", "div[unclosed"]
    with pytest.raises(SourceDefinitionError, match="bad selector"):
        parse_source(definition, "x.toml")


@pytest.mark.parametrize("title, expected", [
    ("Minister Dacic in Moscow - Ministry of Foreign Affairs", "Minister Dacic in Moscow"),
    ("Министарство спољних послова | Дачић у Москви", "Дачић у Москви"),
    ("Talks_Ministry of Foreign Affairs of the Republic of Serbia", "Talks"),
    ("Dacic: Serbia - Hungary relations at their best", "Dacic: Serbia - Hungary relations"
     " at their best"),
    ("Ministry of Foreign Affairs", ""),  # the site's name alone is no headline
])
def test_site_names_are_stripped_from_titles(title: str, expected: str) -> None:
    from scrapers.strategies.article import strip_site_name

    assert strip_site_name(title, load_sources()["serbia-mfa"]) == expected
