"""The index and the search service, on a small synthetic archive."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from test_archive import make_record

from indexer.archive import Archive
from indexer.build import IndexHome, rebuild_index, update_index
from indexer.errors import IndexingError, QueryError, WriterBusy
from indexer.folding import fold
from indexer.lock import WriterLock
from indexer.search import SearchRequest, SearchService

TEXTS = [
    ("Consultations in Moscow", "Ambassador Branimir Filipovic discussed terrorism in Moscow.",
     "en", date(2018, 7, 6)),
    ("Састанак у Москви", "Амбасадор Бранимир Филиповић разговарао је о тероризму.",
     "sr-Cyrl", date(2018, 7, 9)),
    ("Sastanak u Beogradu", "Ministar Ivica Dačić i Marko Đurić razgovarali su u Beogradu.",
     "sr-Latn", date(2019, 1, 15)),
    ("Minister Dacic at the UN", "Minister Dacic spoke about Kosovo and <b>Metohija</b>.",
     "en", date(2020, 2, 1)),
    ("Economic forum", "A passing mention: Filipovic attended the forum dinner.",
     "en", date(2018, 8, 1)),
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with Archive(tmp_path) as archive:
        for n, (title, body, lang, published) in enumerate(TEXTS):
            archive.store(replace(make_record(n), title=title, body=body, language=lang,
                                  published=published, content_hash=""))
        update_index(archive, tmp_path)
    return tmp_path


def titles(service: SearchService, **kwargs) -> list[str]:
    return [hit.title for hit in service.search(SearchRequest(**kwargs)).hits]


def test_fold_serbian_scripts_and_diacritics() -> None:
    assert fold("Филиповић") == fold("Filipović") == fold("Filipovic") == "filipovic"
    assert fold("Ђурић") == fold("Đurić") == fold("Ðurić") == fold("Djuric") == "djuric"
    assert fold("Љубљана") == "ljubljana"


def test_name_in_any_script_finds_all(data_dir: Path) -> None:
    service = SearchService(data_dir)
    for query in ("Filipovic", "Филиповић", "Filipović"):
        found = set(titles(service, q=query))
        assert {"Consultations in Moscow", "Састанак у Москви", "Economic forum"} == found
    assert set(titles(service, q="Dacic")) == {"Sastanak u Beogradu", "Minister Dacic at the UN"}
    assert titles(service, q="Djuric") == ["Sastanak u Beogradu"]


def test_title_match_outranks_passing_mention(data_dir: Path) -> None:
    service = SearchService(data_dir)
    assert titles(service, q="Moscow")[0] == "Consultations in Moscow"
    assert titles(service, q="Dacic")[0] == "Minister Dacic at the UN"


def test_fields_dates_sorting(data_dir: Path) -> None:
    service = SearchService(data_dir)
    assert titles(service, q="title:moscow") == ["Consultations in Moscow"]
    assert set(titles(service, q="lang:sr")) == {"Састанак у Москви", "Sastanak u Beogradu"}
    assert titles(service, q="lang:sr-Cyrl") == ["Састанак у Москви"]
    assert titles(service, q="Filipovic", date_from=date(2018, 7, 1),
                  date_to=date(2018, 7, 31), sort="oldest") == [
        "Consultations in Moscow", "Састанак у Москви"]
    assert titles(service, sort="newest")[0] == "Minister Dacic at the UN"
    assert titles(service, q='"branimir filipovic"', sort="oldest") == [
        "Consultations in Moscow", "Састанак у Москви"]
    assert titles(service, q="Filipovic -forum", sort="oldest") == [
        "Consultations in Moscow", "Састанак у Москви"]


def test_counts_and_pages_agree_with_an_independent_count(data_dir: Path) -> None:
    service = SearchService(data_dir)
    expected = sum(1 for _, body, _, _ in TEXTS if "filipovi" in fold(body))
    seen = []
    for page in (1, 2):
        results = service.search(SearchRequest(q="Filipovic", page=page, page_size=2))
        assert results.total == expected
        seen += [hit.id for hit in results.hits]
    assert len(seen) == len(set(seen)) == expected


def test_snippets_escape_text_and_mark_matches(data_dir: Path) -> None:
    hit = SearchService(data_dir).search(SearchRequest(q="Metohija")).hits[0]
    assert "&lt;b&gt;<mark" in hit.snippet_html and "<b>" not in hit.snippet_html
    cyrillic = SearchService(data_dir).search(SearchRequest(q="тероризму"))
    assert '<mark class="match term0">тероризму</mark>' in cyrillic.hits[0].snippet_html


@pytest.mark.parametrize("query, message", [
    ('"unclosed phrase', "unclosed quote"),
    ("(kosovo OR serbia", "unclosed '('"),
    ("kosovo)", "unmatched ')'"),
    ("ab*", "at least 3 letters"),
    ("author:dacic", "unknown field 'author'"),
    ("x" * 501, "longer than 500"),
])
def test_malformed_queries_say_what_is_wrong(data_dir: Path, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        SearchService(data_dir).search(SearchRequest(q=query))


def test_incremental_update_writes_only_new_and_changed(data_dir: Path) -> None:
    with Archive(data_dir) as archive:
        assert update_index(archive, data_dir).indexed == 0
        archive.store(replace(make_record(1), body="Completely new words: zeppelin.",
                              content_hash=""))
        archive.store(make_record(99, body="A brand new communiqué about zeppelin."))
        update = update_index(archive, data_dir)
    assert (update.mode, update.indexed, update.total_documents) == ("incremental", 2, 6)
    service = SearchService(data_dir)
    assert len(titles(service, q="zeppelin")) == 2
    assert titles(service, q="тероризму") == []  # the old text of record 1 is gone


def test_rebuild_switches_atomically_and_readers_follow(data_dir: Path) -> None:
    service = SearchService(data_dir)
    home = IndexHome(data_dir)
    before = home.current_dir()
    assert len(titles(service, q="Filipovic")) == 3
    with Archive(data_dir) as archive:
        archive.store(make_record(50, body="Filipovic again, after the rebuild."))
        update = rebuild_index(archive, data_dir)
    assert home.current_dir() == update.generation_dir != before
    assert os.path.islink(home.current_link)
    # The same service object sees the new generation without a restart.
    assert len(titles(service, q="Filipovic")) == 4


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    with WriterLock(tmp_path):
        with pytest.raises(WriterBusy):
            WriterLock(tmp_path).acquire()
    with WriterLock(tmp_path):  # released: the next run goes ahead
        pass


def test_a_crash_mid_rebuild_leaves_the_current_index_serving(data_dir: Path,
                                                              monkeypatch) -> None:
    import indexer.build as build

    home = IndexHome(data_dir)
    before = home.current_dir()
    calls = {"n": 0}
    real = build.document_for

    def failing(record, entities=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real(record, entities)

    monkeypatch.setattr(build, "document_for", failing)
    with Archive(data_dir) as archive, pytest.raises(RuntimeError):
        rebuild_index(archive, data_dir)
    assert home.current_dir() == before
    assert sorted(p.name for p in home.root.glob("gen-*")) == [before.name]  # no half index
    assert len(titles(SearchService(data_dir), q="Filipovic")) == 3


def test_a_crash_mid_update_is_caught_up_by_the_next_run(data_dir: Path, monkeypatch) -> None:
    import indexer.build as build

    with Archive(data_dir) as archive:
        for n in range(60, 65):
            archive.store(make_record(n, body=f"Zeppelin number {n}."))
        real = build.document_for
        monkeypatch.setattr(build, "document_for", lambda *a: (_ for _ in ()).throw(
            RuntimeError("killed")))
        with pytest.raises(RuntimeError):
            update_index(archive, data_dir)
        assert titles(SearchService(data_dir), q="zeppelin") == []
        monkeypatch.setattr(build, "document_for", real)
        assert update_index(archive, data_dir).indexed == 5
    assert len(titles(SearchService(data_dir), q="zeppelin")) == 5


def _ranking(service: SearchService, q: str) -> tuple[int, list[float]]:
    """How many match, and the best scores (documents with equal scores may swap places)."""
    results = service.search(SearchRequest(q=q, page_size=50))
    return results.total, [round(hit.score, 6) for hit in results.hits]


def test_a_rebuild_in_two_processes_indexes_what_one_process_does(tmp_path: Path) -> None:
    from benchmarks.corpus import generate

    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(600)))
        one = rebuild_index(archive, tmp_path, procs=1)
        queries = ["minister", "foreign minister", '"foreign minister"',
                   "kosovo OR serbia", "talks -minister"]
        service = SearchService(tmp_path)
        expected = {q: _ranking(service, q) for q in queries}
        facets = service.search(SearchRequest(q="minister")).facets
        two = rebuild_index(archive, tmp_path, procs=2)
    assert (one.procs, two.procs) == (1, 2)
    assert one.total_documents == two.total_documents == 600
    assert two.indexed == 600
    # Two writer processes: each shard is its own segment.
    assert len(IndexHome.open(two.generation_dir).reader().leaf_readers()) == 2
    service = SearchService(tmp_path)
    for q in queries:
        assert expected[q][0] > 0, q
        assert _ranking(service, q) == expected[q], q
    assert service.search(SearchRequest(q="minister")).facets == facets


def test_a_writer_process_that_fails_stops_the_rebuild(data_dir: Path, monkeypatch) -> None:
    import indexer.build as build

    home = IndexHome(data_dir)
    before = home.current_dir()

    def failing(record, entities=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "document_for", failing)
    with Archive(data_dir) as archive, pytest.raises(IndexingError, match="disk full"):
        rebuild_index(archive, data_dir, procs=2)
    assert home.current_dir() == before
    assert sorted(p.name for p in home.root.glob("gen-*")) == [before.name]
    assert len(titles(SearchService(data_dir), q="Filipovic")) == 3


def test_the_writer_memory_setting_sizes_segments(data_dir: Path, monkeypatch) -> None:
    """COMMUNIQUES_WRITER_MEMORY_MB (default 1 GB) bounds each writer process: its
    segments hold what fits beside the process's base, at the measured cost per word."""
    import indexer.build as build

    monkeypatch.delenv(build.WRITER_MEMORY_ENV, raising=False)
    assert build.writer_memory_mb() == 1024
    default = build.segment_postings_limit(1024)
    assert build.WRITER_BASE_MB * 2**20 + default * build.WRITER_BYTES_PER_WORD <= 2**30
    assert default > 15_000_000  # still thousands of communiqués a segment
    assert build.segment_postings_limit(2048) > default
    # Beside a larger base (what a writer holds after its first pass, measured then),
    # smaller segments: the base and a segment's peak still fit the setting.
    assert build.segment_postings_limit(1024, 100) == default  # at least WRITER_BASE_MB
    bigger = build.segment_postings_limit(1024, 600)
    assert bigger < default and 600 * 2**20 + bigger * build.WRITER_BYTES_PER_WORD <= 2**30
    assert build.segment_postings_limit(1024, 5000) == 1_000_000  # never below a floor
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert 20 < build.resident_mb() <= peak + 1
    monkeypatch.setenv(build.WRITER_MEMORY_ENV, "2048")
    assert build.writer_memory_mb() == 2048
    home = IndexHome(data_dir)
    before = home.current_dir()
    for bad in ("lots", "100", "-5", "1.5"):
        monkeypatch.setenv(build.WRITER_MEMORY_ENV, bad)
        with pytest.raises(IndexingError, match=build.WRITER_MEMORY_ENV):
            build.writer_memory_mb()
        with Archive(data_dir) as archive, pytest.raises(IndexingError,
                                                         match=build.WRITER_MEMORY_ENV):
            rebuild_index(archive, data_dir)
    assert home.current_dir() == before
    assert sorted(p.name for p in home.root.glob("gen-*")) == [before.name]


def test_a_rebuild_cuts_segments_to_bound_memory(tmp_path: Path, monkeypatch) -> None:
    import indexer.build as build
    from benchmarks.corpus import generate

    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(300)))
        rebuild_index(archive, tmp_path, procs=1)
        expected = {q: _ranking(SearchService(tmp_path), q) for q in ("minister", "talks")}
        # About 1,000 words a communiqué: a new segment every 50 or so.
        monkeypatch.setattr(build, "SEGMENT_POSTINGS_LIMIT", 50_000)
        update = rebuild_index(archive, tmp_path, procs=1)
    segments = IndexHome.open(update.generation_dir).reader().leaf_readers()
    assert len(segments) >= 4
    assert update.total_documents == 300
    service = SearchService(tmp_path)
    for q, ranking in expected.items():
        assert _ranking(service, q) == ranking


def test_a_writers_first_pass_entities_wait_on_disk(tmp_path: Path) -> None:
    """EntitySpill keeps a writer's first-pass entities in a temporary file (not in
    memory) and gives each back once, in seq order; a seq it never had (a communiqué new
    since the first pass) gets None, and those passed over are dropped."""
    from benchmarks.corpus import generate
    from indexer.build import EntitySpill
    from indexer.entities import extractor_for

    extractor = extractor_for(None, found=False)
    records = list(generate(40))
    spill = EntitySpill(str(tmp_path))
    kept = {}
    for seq, record in enumerate(records, start=1):
        if seq % 5:  # every fifth is "new since the first pass"
            kept[seq] = extractor.extract(record)
            spill.add(seq, kept[seq])
    assert not list(tmp_path.iterdir())  # unlinked at once: nothing left on a crash
    spill.rewind()
    for seq in range(1, len(records) + 1):
        if seq in (7, 8):
            continue  # changed since: passed over
        assert spill.pop(seq) == kept.get(seq)
    assert spill.pop(len(records) + 1) is None
    spill.close()
