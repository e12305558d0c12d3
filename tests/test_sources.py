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


def record_for(crawled, entry: dict):  # type: ignore[no-untyped-def]
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
