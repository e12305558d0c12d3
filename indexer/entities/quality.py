"""How well officials and countries are found: precision and recall against golden
annotations, per language.

Two evaluation sets read the same way: the golden annotations of every fixture article
(a directory of `<source>.json` files; the registry was seeded from these very articles)
and the unseen set (one file of communiqués written after the registry was frozen for
it, naming officials the registry lacks). Officials are compared by `person_key`, so the
same person counts once whatever the script, transliteration of the given name, initials
or case ending ("Juraj Blanár", "Јурај Бланар", "Јурајем Бланаром", "Ю.Бланар").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from indexer.entities.extract import EntityExtractor
from indexer.entities.names import HONORIFICS
from indexer.folding import WORD, fold
from scrapers.record import Communique, communique_id

# Serbian and Russian case endings of nouns and adjectives, as folded, longest first.
# Wider than the index's list (indexer/folding.py): adjectival surnames ("Lipavskog",
# "Лебедева") and soft stems decline too, and a final j (й, ј) comes and goes with the
# ending ("Ханьхуэй", "Ханьхуэя"; "Паррилья", "Паррильей"; "Valovaja", "Valovajom").
NAME_ENDINGS = tuple(sorted(
    ("ovima", "evima", "ijem", "ijom", "ogo", "ego", "omu", "emu", "oga", "ega", "ija", "iju",
     "ama", "ima", "om", "em", "im", "ym", "oj", "ej", "og", "eg", "u", "a", "e", "i", "o",
     "y", "j"),
    key=len, reverse=True))
# A stem keeps at least this many letters ("Hil" from "Hilom", "Tah" from "Tahom").
NAME_MIN_STEM = 3


def surname_stem(word: str) -> str:
    """A surname folded and stripped of case endings until none is left.

    Stripping repeatedly makes a nominative and its inflected forms meet: "Hil",
    "Hila", "Hilom" -> hil; "Ејде", "Ејдеом" -> ejd; "Nurtleu", "Nurtleuom" -> nurtl.
    The index's own terms stop at four letters (so that "data" and "date" stay apart
    in searches); within one communiqué two people's surnames do not collide that way.
    """
    stem = fold(word)
    stripped = True
    while stripped:
        stripped = False
        for ending in NAME_ENDINGS:
            if stem.endswith(ending) and len(stem) - len(ending) >= NAME_MIN_STEM:
                stem = stem[:-len(ending)]
                stripped = True
                break
    return stem


def person_key(name: str) -> tuple[str, str]:
    """Who a name designates within one communiqué: the initial of the first name and the
    surname's stem. Honorifics around the name are dropped ("Dr Tedros ...", "... MP")."""
    words = WORD.findall(name)
    while words:
        if [fold(w) for w in words[:2]] == ["h", "e"]:  # "H.E.", not an initial "Е."
            del words[:2]
        elif len(words[0]) > 1 and fold(words[0]) in HONORIFICS:
            del words[0]
        else:
            break
    while len(words) > 1 and len(words[-1]) > 1 and fold(words[-1]) in HONORIFICS:
        words.pop()
    if not words:
        return ("", fold(name))
    return (fold(words[0])[:1], surname_stem(words[-1]))


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

    def add(self, expected: Mapping[Any, str], found: Mapping[Any, str],
            where: str) -> None:
        """Score one communiqué: keys are compared, the names are what is reported."""
        self.true_positives += len(expected.keys() & found.keys())
        self.false_positives += len(found.keys() - expected.keys())
        self.false_negatives += len(expected.keys() - found.keys())
        self.misses += sorted(f"{expected[k]} ({where})" for k in expected.keys() - found.keys())
        self.extras += sorted(f"{found[k]} ({where})" for k in found.keys() - expected.keys())

    def __iadd__(self, other: Tally) -> Tally:
        self.true_positives += other.true_positives
        self.false_positives += other.false_positives
        self.false_negatives += other.false_negatives
        return self


@dataclass
class EntityScores:
    officials: dict[str, Tally] = field(default_factory=dict)  # language -> tally
    countries: dict[str, Tally] = field(default_factory=dict)
    # Officials again, counting the candidates (unknown names after a title) as found:
    # what extraction would score if every candidate were promoted.
    with_candidates: dict[str, Tally] = field(default_factory=dict)
    communiques: int = 0

    def total(self, kind: str) -> Tally:
        overall = Tally()
        for tally in getattr(self, kind).values():
            overall += tally
        return overall


def golden_record(entry: dict, source_id: str) -> Communique:
    """A record as the crawler makes it from a golden entry (site tags included)."""
    tagged = entry.get("tagged") or {}
    return Communique(
        id=communique_id(entry["url"]), url=entry["url"], source_id=source_id,
        ministry_country="", language=entry["language"], title=entry["title"],
        # The crawler dates every record, and who holds an office depends on the day.
        published=date.fromisoformat(entry["published"]) if entry.get("published") else None,
        body=entry["body"], doc_type=entry["doc_type"], fetched_at=datetime.now(UTC),
        officials=tuple(tagged.get("officials", ())), countries=tuple(tagged.get("countries", ())),
    )


def golden_entries(source: Path) -> Iterator[tuple[str, dict]]:
    """(set name, entry) for every annotated communiqué of an evaluation set: a directory
    of golden files (named after their source) or a single file."""
    paths = sorted(source.glob("*.json")) if source.is_dir() else [source]
    for path in paths:
        for entry in json.loads(path.read_text(encoding="utf-8")):
            yield (path.stem if source.is_dir() else path.parent.name), entry


def evaluate(source: Path, extractor: EntityExtractor) -> EntityScores:
    """Score extraction against an evaluation set (see `golden_entries`)."""
    registry = extractor.registry

    def people(names: Iterable[str]) -> dict[tuple[str, str], str]:
        # A registry person is named as the registry names them, whatever the spelling.
        keyed: dict[tuple[str, str], str] = {}
        for name in names:
            known = registry.lookup(name)
            canonical = known.name if known else name
            keyed.setdefault(person_key(canonical), canonical)
        return keyed

    scores = EntityScores()
    for set_name, entry in golden_entries(source):
        entities = extractor.extract(golden_record(entry, set_name))
        expected = people(entry.get("officials", []))
        found = people(entities.officials)
        where = f"{set_name}: {entry['title'][:50]}"
        language = entry["language"]
        scores.communiques += 1
        scores.officials.setdefault(language, Tally()).add(expected, found, where)
        scores.with_candidates.setdefault(language, Tally()).add(
            expected, {**people(entities.candidates), **found}, where)
        countries = {name: name for name in entry.get("countries", [])}
        scores.countries.setdefault(language, Tally()).add(
            countries, {name: name for name in entities.countries}, where)
    return scores
