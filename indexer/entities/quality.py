"""How well officials and countries are found: precision and recall against the golden
annotations of every fixture article, per language."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from indexer.entities.extract import EntityExtractor
from scrapers.record import Communique, communique_id


@dataclass
class Tally:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    def add(self, expected: set[str], found: set[str], where: str) -> None:
        self.true_positives += len(expected & found)
        self.false_positives += len(found - expected)
        self.false_negatives += len(expected - found)
        self.misses += [f"{name} ({where})" for name in sorted(expected - found)]
        self.extras += [f"{name} ({where})" for name in sorted(found - expected)]


@dataclass
class EntityScores:
    officials: dict[str, Tally] = field(default_factory=dict)  # language -> tally
    countries: dict[str, Tally] = field(default_factory=dict)

    def total(self, kind: str) -> Tally:
        overall = Tally()
        for tally in getattr(self, kind).values():
            overall.true_positives += tally.true_positives
            overall.false_positives += tally.false_positives
            overall.false_negatives += tally.false_negatives
        return overall


def golden_record(entry: dict, source_id: str) -> Communique:
    """A record as the crawler makes it from a golden entry (site tags included)."""
    tagged = entry.get("tagged") or {}
    return Communique(
        id=communique_id(entry["url"]), url=entry["url"], source_id=source_id,
        ministry_country="", language=entry["language"], title=entry["title"], published=None,
        body=entry["body"], doc_type=entry["doc_type"], fetched_at=datetime.now(UTC),
        officials=tuple(tagged.get("officials", ())), countries=tuple(tagged.get("countries", ())),
    )


def evaluate(golden_dir: Path, extractor: EntityExtractor) -> EntityScores:
    scores = EntityScores()
    for path in sorted(golden_dir.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            record = golden_record(entry, path.stem)
            entities = extractor.extract(record)
            expected_officials = set()
            for name in entry.get("officials", []):
                known = extractor.registry.lookup(name)
                expected_officials.add(known.name if known else name)
            where = f"{path.stem}: {entry['title'][:50]}"
            language = entry["language"]
            scores.officials.setdefault(language, Tally()).add(
                expected_officials, set(entities.officials), where)
            scores.countries.setdefault(language, Tally()).add(
                set(entry.get("countries", [])), set(entities.countries), where)
    return scores
