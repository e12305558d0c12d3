"""Documents and their entities, read from the archive for the read side.

The index finds communiqués; their text, history and entities come from the archive, the
source of truth. The officials and countries shown are the ones stored for each version
at indexing time, so every surface (hit, document, export, feed, embed) shows the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from indexer.archive import Archive, ReadonlyArchives
from indexer.backend import Document
from indexer.entities import extractor_for
from indexer.errors import NotFound
from scrapers.record import Communique


class DocumentStore:
    """Read-only access to the archive's records (one connection per thread)."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self._archives = ReadonlyArchives(self.data_dir)

    def archive(self) -> Archive:
        """A read-only archive connection for this thread."""
        return self._archives.get()

    def document(self, communique_id: str, version: int | None = None) -> Document:
        """A communiqué (its current or a given archived version) and its history."""
        archive = self.archive()
        record = archive.get(communique_id, version)
        if record is None:
            raise NotFound(communique_id)
        record = self.with_entities({communique_id: record}, version)[communique_id]
        return Document(record, archive.versions(communique_id))

    def records(self, ids: list[str]) -> dict[str, Communique]:
        """The current records of some communiqués, with their entities (missing ones
        left out)."""
        return self.with_entities(self.archive().get_many(ids))

    def iter_records(self, ids: list[str], batch_size: int = 500) -> Iterator[Communique]:
        """The records of `ids`, in that order, read `batch_size` at a time."""
        for offset in range(0, len(ids), batch_size):
            batch = ids[offset:offset + batch_size]
            found = self.records(batch)
            for record_id in batch:
                if record_id in found:
                    yield found[record_id]

    def with_entities(self, records: dict[str, Communique],
                      version: int | None = None) -> dict[str, Communique]:
        """Records whose officials and countries are the ones stored for their version
        at indexing time (the registry's spellings), so every surface shows the same.

        A version never indexed (crawled since, or an old version) gets the same
        extraction run now, which is what indexing it would store.
        """
        stored = self.archive().entities_of(list(records), version)
        extractor = None
        result = {}
        for record_id, record in records.items():
            if record_id in stored:
                officials, countries = stored[record_id]
            else:
                extractor = extractor or extractor_for(str(self.data_dir))
                entities = extractor.extract(record)
                officials, countries = entities.officials, entities.countries
            result[record_id] = replace(record, officials=officials, countries=countries)
        return result
