"""Documents and hits from the archive (indexer/documents.py, indexer/hits.py): the
entities stored for each version, extraction for a version never indexed, records in the
order asked, and a page of results as hits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_archive import make_record

from indexer.archive import Archive
from indexer.build import update_index
from indexer.documents import DocumentStore
from indexer.errors import NotFound
from indexer.events.service import EventService
from indexer.generations import Generations
from indexer.hits import page_hits, split_stored
from indexer.matching import Matches

DACIC = "Minister of Foreign Affairs Ivica Dačić met the Ambassador of Russia in Belgrade."
LAVROV = "Minister Ivica Dačić spoke with Russian Foreign Minister Sergey Lavrov in Moscow."


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with Archive(tmp_path) as archive:
        for n in range(5):
            archive.store(make_record(n, body=DACIC if n == 0 else f"Statement {n}."))
        update_index(archive, tmp_path)
    return tmp_path


def test_a_document_shows_the_entities_of_its_version(data_dir: Path) -> None:
    store = DocumentStore(data_dir)
    record_id = make_record(0).id
    first = store.document(record_id)
    assert "Ivica Dačić" in first.record.officials and "Sergey Lavrov" not in first.record.officials
    assert [v.version for v in first.versions] == [1]
    with Archive(data_dir) as archive:  # a second version, crawled but not yet indexed
        archive.store(make_record(0, body=LAVROV))
    current = store.document(record_id)
    assert current.record.body == LAVROV and len(current.versions) == 2
    # Never indexed: the extraction indexing would store, run now.
    assert {"Ivica Dačić", "Sergey Lavrov"} <= set(current.record.officials)
    old = store.document(record_id, version=1)
    assert old.record.body == DACIC and "Sergey Lavrov" not in old.record.officials
    with pytest.raises(NotFound):
        store.document("no-such-communique")


def test_records_come_in_the_order_asked_batch_by_batch(data_dir: Path) -> None:
    store = DocumentStore(data_dir)
    ids = [make_record(n).id for n in (3, 0, 4, 1, 2)]
    asked = [ids[0], "missing", *ids[1:]]
    records = list(store.iter_records(asked, batch_size=2))
    assert [r.id for r in records] == ids  # the missing one left out, the order kept
    assert "Ivica Dačić" in records[1].officials  # with their entities
    assert set(store.records(ids[:2])) == set(ids[:2])


def test_a_page_becomes_hits_in_its_order(data_dir: Path) -> None:
    current = Generations(data_dir).current()
    assert current is not None
    generation, searcher = current
    tables = generation.tables
    docnum = {record_id: n for n, record_id in enumerate(tables.ids)}
    wanted = [make_record(2).id, make_record(0).id]
    page: list[tuple[int, float | None]] = [(docnum[wanted[0]], 2.5), (docnum[wanted[1]], 1.0)]
    matches = Matches(None, None, np.ones(tables.size, dtype=bool), {})
    hits = page_hits(page, matches, searcher, DocumentStore(data_dir), EventService(data_dir))
    assert [h.id for h in hits] == wanted and [h.score for h in hits] == [2.5, 1.0]
    assert hits[0].title == "Statement 2" and hits[0].url == make_record(2).url
    assert "Ivica Dačić" in hits[1].officials and "Ivica Da" in hits[1].snippet_html
    assert hits[1].published is not None and hits[1].updated is not None


def test_stored_facet_values_are_split_on_commas() -> None:
    assert split_stored("Ivica Dačić, Sergey Lavrov,") == ("Ivica Dačić", "Sergey Lavrov")
    assert split_stored(None) == split_stored("") == ()
