"""How well encounters are read and readouts grouped: scored against the golden events of
the fixture communiqués (`evaluation/golden/events/events.json`), per language.

- Encounter pairs: the pairs of sides each communiqué reports, against the annotated ones
  (precision and recall). People are compared as the entities evaluation compares them
  (`person_key`: the first name's initial and the surname's stem, whatever the script or
  case); a side named only by office is its country.
- Readout pairs: two communiqués are joined when they are readouts of one event. A pair
  joined that the golden events do not join is joined wrongly (a share of the pairs
  joined); a golden pair left apart is missed (a share of the golden pairs). A pair counts
  under each of its two communiqués' languages.
- Version pairs: two communiqués linked as versions of one text, the same way.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import combinations
from pathlib import Path

from indexer.entities.extract import EntityExtractor
from indexer.entities.quality import golden_entries, golden_record, person_key
from indexer.events.encounters import EncounterReader, Participant
from indexer.events.grouping import Sighting, group
from indexer.events.versions import document_key, link_versions

GOLDEN_EVENTS = Path("events") / "events.json"  # under the golden directory
# The unseen entity set's encounter pairs, annotated before the reading was run on them.
UNSEEN_ENCOUNTERS = Path("events") / "unseen.json"


@dataclass
class PairTally:
    """Pairs found against pairs expected (of sides, or of communiqués)."""

    right: int = 0
    wrong: int = 0  # found, not expected
    missed: int = 0  # expected, not found
    wrong_examples: list[str] = field(default_factory=list)
    missed_examples: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / (self.right + self.wrong) if self.right + self.wrong else 1.0

    @property
    def recall(self) -> float:
        return self.right / (self.right + self.missed) if self.right + self.missed else 1.0

    @property
    def wrong_share(self) -> float:
        return 1.0 - self.precision

    @property
    def missed_share(self) -> float:
        return 1.0 - self.recall

    def add(self, expected: set, found: set, where: str = "") -> None:
        self.right += len(expected & found)
        self.wrong += len(found - expected)
        self.missed += len(expected - found)
        self.wrong_examples += [f"{sorted(p)} ({where})" for p in found - expected]
        self.missed_examples += [f"{sorted(p)} ({where})" for p in expected - found]


@dataclass
class EventScores:
    encounters: dict[str, PairTally] = field(default_factory=dict)  # language -> tally
    readouts: dict[str, PairTally] = field(default_factory=dict)
    versions: dict[str, PairTally] = field(default_factory=dict)
    readouts_all: PairTally = field(default_factory=PairTally)  # each pair counted once
    versions_all: PairTally = field(default_factory=PairTally)
    communiques: int = 0
    events: int = 0  # events found with two readouts or more

    def total(self, kind: str) -> PairTally:
        if kind != "encounters":
            return getattr(self, f"{kind}_all")
        overall = PairTally()
        for tally in self.encounters.values():
            overall.right += tally.right
            overall.wrong += tally.wrong
            overall.missed += tally.missed
        return overall


def _side_key(participant: Participant) -> str:
    return participant.key if not participant.named else "/".join(person_key(participant.name))


def evaluate(golden_dir: Path, extractor: EntityExtractor) -> EventScores:
    """Score encounters, event grouping and version linking on the fixture communiqués."""
    from scrapers.sources import load_sources

    sources = load_sources()
    annotations = json.loads((golden_dir / GOLDEN_EVENTS).read_text(encoding="utf-8"))
    expected_pairs = {r["url"]: r["pairs"] for r in annotations["readouts"]}
    registry = extractor.people
    reader = EncounterReader(extractor)

    def golden_side(name: str) -> str:
        if name.startswith("country:"):
            return name
        known = registry.lookup(name)
        return "/".join(person_key(known.name if known else name))

    scores = EventScores()
    sightings: list[Sighting] = []
    keys = []
    bodies: dict[str, str] = {}
    language_of: dict[str, str] = {}
    url_of: dict[str, str] = {}
    for set_name, entry in golden_entries(golden_dir):
        source = sources.get(set_name)
        record = replace(golden_record(entry, set_name),
                         published=date.fromisoformat(entry["published"])
                         if entry.get("published") else None,
                         ministry_country=source.country if source else "")
        entities = extractor.extract(record)
        found = reader.read(record, entities)
        scores.communiques += 1
        language = record.language
        language_of[record.id] = language
        url_of[record.id] = record.url
        expected = {frozenset(map(golden_side, pair)) for pair in expected_pairs.get(
            record.url, [])}
        got = {frozenset((_side_key(e.first), _side_key(e.second))) for e in found}
        scores.encounters.setdefault(language, PairTally()).add(
            expected, got, f"{set_name}: {record.title[:50]}")
        sightings += [Sighting(record.id, n, e) for n, e in enumerate(found)]
        keys.append(document_key(record, entities.officials, entities.countries))
        bodies[record.id] = record.body
    # Readouts of one event, and versions of one text, as pairs of communiqués.
    by_url = {url: cid for cid, url in url_of.items()}
    events = group(sightings)
    scores.events = sum(len(e.communiques) > 1 for e in events)
    found_readouts = {frozenset(p) for e in events
                      for p in combinations(sorted(e.communiques), 2)}
    golden_readouts = {frozenset(p) for e in annotations["events"]
                       for p in combinations(sorted(by_url[u] for u in e["readouts"]), 2)}
    versions = link_versions(keys, lambda ids: {i: bodies[i] for i in ids})
    found_versions = {frozenset(p) for g in versions for p in combinations(g.members, 2)}
    golden_versions = {frozenset(p) for g in annotations["versions"]
                       for p in combinations(sorted(by_url[u] for u in g), 2)}
    for kind, wanted, given in (("readouts", golden_readouts, found_readouts),
                                ("versions", golden_versions, found_versions)):
        per_language: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))
        for pair in wanted | given:
            for language in {language_of[c] for c in pair}:
                bucket = per_language[language]
                if pair in wanted:
                    bucket[0].add(pair)
                if pair in given:
                    bucket[1].add(pair)
        tallies = getattr(scores, kind)
        for language in language_of.values():
            tallies.setdefault(language, PairTally())
        for language, (want, got) in per_language.items():
            tallies[language].add({_urls(p, url_of) for p in want},
                                  {_urls(p, url_of) for p in got}, kind)
        getattr(scores, f"{kind}_all").add({_urls(p, url_of) for p in wanted},
                                            {_urls(p, url_of) for p in given}, kind)
    return scores


def evaluate_encounters(communiques: Path, annotations: Path,
                        extractor: EntityExtractor) -> dict[str, PairTally]:
    """Encounter pairs alone, per language, on another set: a file of communiqués (the
    unseen entity set) and one of their annotated pairs (every communiqué not listed
    reports none). The ministry is the source whose site the URL is on."""
    from urllib.parse import urlsplit

    from scrapers.sources import load_sources

    country_of = {host: source.country for source in load_sources().values()
                  for site in source.sites for host in site.all_hosts}
    expected_pairs = {r["url"]: r["pairs"] for r in json.loads(
        annotations.read_text(encoding="utf-8"))["readouts"]}
    registry = extractor.people
    reader = EncounterReader(extractor)

    def golden_side(name: str) -> str:
        if name.startswith("country:"):
            return name
        known = registry.lookup(name)
        return "/".join(person_key(known.name if known else name))

    tallies: dict[str, PairTally] = {}
    for set_name, entry in golden_entries(communiques):
        record = replace(golden_record(entry, set_name),
                         published=date.fromisoformat(entry["published"])
                         if entry.get("published") else None,
                         ministry_country=country_of.get(urlsplit(entry["url"]).hostname, ""))
        found = reader.read(record, extractor.extract(record))
        expected = {frozenset(map(golden_side, pair))
                    for pair in expected_pairs.get(record.url, [])}
        got = {frozenset((_side_key(e.first), _side_key(e.second))) for e in found}
        tallies.setdefault(record.language, PairTally()).add(expected, got,
                                                             record.title[:50])
    return tallies


def _urls(pair: frozenset[str], url_of: dict[str, str]) -> frozenset[str]:
    return frozenset(url_of[c] for c in pair)


def report(scores: EventScores, verbose: bool = False) -> list[str]:
    """The events table of `communiques entities-quality`: per language, encounter pairs
    precision and recall, readout pairs joined wrongly and missed, version pairs likewise."""
    lines = [f"{'language':10} {'encounters P':>13} {'R':>6} {'joined wrongly':>15}"
             f" {'missed':>7} {'versions wrongly':>17} {'missed':>7}"]
    rows = [(language, scores.encounters[language], scores.readouts[language],
             scores.versions[language]) for language in sorted(scores.encounters)]
    rows.append(("all", scores.total("encounters"), scores.total("readouts"),
                 scores.total("versions")))
    for language, encounters, readouts, versions in rows:
        lines.append(f"{language:10} {encounters.precision:13.3f} {encounters.recall:6.3f}"
                     f" {readouts.wrong_share:15.3f} {readouts.missed_share:7.3f}"
                     f" {versions.wrong_share:17.3f} {versions.missed_share:7.3f}")
    if verbose:
        for language, tally in sorted(scores.encounters.items()):
            lines += [f"encounter extra  [{language}] {x}" for x in tally.wrong_examples]
            lines += [f"encounter missed [{language}] {x}" for x in tally.missed_examples]
        for kind in ("readouts", "versions"):
            lines += [f"{kind} joined wrongly {x}" for x in scores.total(kind).wrong_examples]
            lines += [f"{kind} missed {x}" for x in scores.total(kind).missed_examples]
    return lines


def encounters_report(tallies: dict[str, PairTally], verbose: bool = False) -> list[str]:
    """Encounter pairs precision and recall per language (and all), as table lines; with
    `verbose`, every pair found wrongly and every pair missed."""
    overall = PairTally()
    lines = [f"{'language':10} {'encounters P':>13} {'R':>6}"]
    for language, tally in sorted(tallies.items()):
        overall.right += tally.right
        overall.wrong += tally.wrong
        overall.missed += tally.missed
        lines.append(f"{language:10} {tally.precision:13.3f} {tally.recall:6.3f}")
    lines.append(f"{'all':10} {overall.precision:13.3f} {overall.recall:6.3f}")
    if verbose:
        for language, tally in sorted(tallies.items()):
            lines += [f"encounter extra  [{language}] {x}" for x in tally.wrong_examples]
            lines += [f"encounter missed [{language}] {x}" for x in tally.missed_examples]
    return lines
