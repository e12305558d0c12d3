"""Versions of one text: a communiqué's language versions on one site, and the same story on
two generations of a ministry's site (the old Serbian archive and the current site).

Language versions are told apart from other communiqués of the same site and day by what
translation keeps: the same officials, countries and numbers, about as many paragraphs. A
story on two generations of a site is the same language, day and text (similar words).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

from indexer.entities.names import key_tokens

# What a translation keeps. Officials and countries are compared by their canonical names,
# so scripts and case endings do not matter.
MIN_OFFICIALS_OVERLAP = 0.6
MIN_COUNTRIES_OVERLAP = 0.5
MIN_NUMBERS_OVERLAP = 0.5
MIN_PARAGRAPHS_RATIO = 0.6
# Two generations' copies of one story share most of their word triples.
MIN_SHINGLES_OVERLAP = 0.5
MAX_NUMBERS = 40
# Numbers: runs of digits, those of up to 4 kept (`_numbers`).
_DIGITS = re.compile(r"\d+")
NUMBER_DIGITS = 4
# Languages shown first when a group's lead is chosen and the source does not say.
LANGUAGE_ORDER = ("en", "sr-Latn", "sr-Cyrl", "ru")


@dataclass(frozen=True)
class DocumentKey:
    """What linking versions needs of one communiqué (stored beside its encounters)."""

    id: str
    source_id: str
    host: str  # host[:port]
    language: str
    day: date | None
    officials: tuple[str, ...]
    countries: tuple[str, ...]
    numbers: tuple[str, ...]
    paragraphs: int
    url: str = ""
    title: str = ""


def _numbers(text: str) -> list[str]:
    r"""The numbers of up to NUMBER_DIGITS digits in a text, in order: what
    `(?<!\d)\d{1,4}(?!\d)` finds (tested), found as whole runs of digits, which the
    regular expression engine skips to in C (the lookbehind made it try every position)."""
    return [run for run in _DIGITS.findall(text) if len(run) <= NUMBER_DIGITS]


def document_key(record, officials: Iterable[str], countries: Iterable[str]) -> DocumentKey:
    """A communiqué's key, from the record and its stored entities."""
    numbers = tuple(dict.fromkeys(_numbers(record.title + " " + record.body)))
    return DocumentKey(
        # The host with its port: two site generations served from one machine (the
        # bundled copies on loopback) are still two sites.
        record.id, record.source_id, urlsplit(record.url).netloc.lower(),
        record.language, record.published, tuple(officials), tuple(countries),
        numbers[:MAX_NUMBERS], len(record.paragraphs), record.url, record.title)


@dataclass(frozen=True)
class VersionGroup:
    """Communiqués that are versions of one text, the lead (the one shown for all of them
    when versions are collapsed) first."""

    id: str
    members: tuple[str, ...]  # communiqué ids, lead first
    relations: tuple[str, ...]  # per member: "lead", "language" or "generation"


def _overlap(a: Iterable[str], b: Iterable[str]) -> float:
    first, second = set(a), set(b)
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)


def _language_score(a: DocumentKey, b: DocumentKey) -> float | None:
    """How surely two communiqués of one site and day, in two languages, are one text
    (None: they are not)."""
    paragraphs = min(a.paragraphs, b.paragraphs) / max(a.paragraphs, b.paragraphs, 1)
    if paragraphs < MIN_PARAGRAPHS_RATIO:
        return None
    officials = _overlap(a.officials, b.officials)
    countries = _overlap(a.countries, b.countries)
    numbers = _overlap(a.numbers, b.numbers)
    if a.officials or b.officials:
        if officials < MIN_OFFICIALS_OVERLAP or countries < MIN_COUNTRIES_OVERLAP:
            return None
    elif countries < MIN_COUNTRIES_OVERLAP or numbers < MIN_NUMBERS_OVERLAP:
        return None  # no one named: the countries and the numbers must agree
    return officials + countries + numbers + paragraphs


@lru_cache(maxsize=1)
def _site_order() -> dict[tuple[str, str], int]:
    """(source, host) -> generation rank (a later site of a definition is newer; within a
    site its own host is newer than the archive hosts it lists)."""
    from scrapers.sources import load_sources

    order: dict[tuple[str, str], int] = {}
    for source in load_sources().values():
        for number, site in enumerate(source.sites):
            for position, host in enumerate(site.all_hosts):
                # A host an older site also reads (its pages once served there) belongs to
                # the newest site whose own host it is.
                rank = number * 100 - position
                order[(source.id, host)] = max(order.get((source.id, host), rank), rank)
    return order


@lru_cache(maxsize=1)
def _languages() -> dict[str, tuple[str, ...]]:
    from scrapers.sources import load_sources

    return {source.id: tuple(source.languages) for source in load_sources().values()}


def _preference(key: DocumentKey) -> tuple:
    """Lead first: the newest generation of the site, then the source's first language."""
    languages = _languages().get(key.source_id, ()) + LANGUAGE_ORDER
    language = languages.index(key.language) if key.language in languages else len(languages)
    host = key.host.rsplit(":", 1)[0] if key.host.count(":") == 1 else key.host
    return (-_site_order().get((key.source_id, host), -1), language, key.id)


def shingles(text: str) -> set[tuple[str, ...]]:
    words = key_tokens(text)
    return {words[i:i + 3] for i in range(max(0, len(words) - 2))}


def same_story(a: str, b: str) -> bool:
    """Whether two bodies tell one story (a copy moved to another site, lightly edited)."""
    first, second = shingles(a), shingles(b)
    if not first or not second:
        return False
    return len(first & second) / len(first | second) >= MIN_SHINGLES_OVERLAP


class _Groups:
    """Union-find of communiqué ids, a group holding at most one text per (host, language)."""

    def __init__(self, keys: dict[str, DocumentKey]) -> None:
        self.keys = keys
        self.parent = {k: k for k in keys}
        self.slots = {k: {(keys[k].host, keys[k].language)} for k in keys}

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb or self.slots[ra] & self.slots[rb]:
            return False
        self.parent[rb] = ra
        self.slots[ra] |= self.slots.pop(rb)
        return True


def link_versions(keys: Iterable[DocumentKey],
                  bodies: Callable[[list[str]], dict[str, str]]) -> list[VersionGroup]:
    """Groups of two or more communiqués that are versions of one text.

    `bodies` reads the texts of some communiqués (by id): only the few that may be one
    story on two generations of a site are read.
    """
    by_id = {k.id: k for k in keys if k.day is not None}
    groups = _Groups(by_id)
    relation: dict[str, str] = {}
    # Language versions: one site, one day.
    buckets: dict[tuple, list[DocumentKey]] = defaultdict(list)
    for key in by_id.values():
        buckets[(key.source_id, key.host, key.day)].append(key)
    candidates = []
    for bucket in buckets.values():
        if len({k.language for k in bucket}) < 2:
            continue
        for i, a in enumerate(bucket):
            for b in bucket[i + 1:]:
                if a.language != b.language:
                    score = _language_score(a, b)
                    if score is not None:
                        candidates.append((-score, a.id, b.id))
    for _, first, second in sorted(candidates):
        if groups.union(first, second):
            relation[first] = relation[second] = "language"
    # One story on two generations of a site: one source, language and day.
    buckets = defaultdict(list)
    for key in by_id.values():
        buckets[(key.source_id, key.language, key.day)].append(key)
    pairs = [(a, b) for bucket in buckets.values() if len({k.host for k in bucket}) > 1
             for i, a in enumerate(bucket) for b in bucket[i + 1:] if a.host != b.host]
    if pairs:
        texts = bodies(sorted({k.id for pair in pairs for k in pair}))
        for a, b in pairs:
            if same_story(texts.get(a.id, ""), texts.get(b.id, "")):
                if groups.union(a.id, b.id):
                    relation[b.id] = relation.get(b.id) or "generation"
                    relation[a.id] = relation.get(a.id) or "generation"
    members: dict[str, list[DocumentKey]] = defaultdict(list)
    for key in by_id.values():
        members[groups.find(key.id)].append(key)
    result = []
    for group in members.values():
        if len(group) < 2:
            continue
        group.sort(key=_preference)
        lead = group[0]
        result.append(VersionGroup(
            min(k.id for k in group), tuple(k.id for k in group),
            tuple("lead" if k is lead else _relation(lead, k) for k in group)))
    result.sort(key=lambda g: g.id)
    return result


def _relation(lead: DocumentKey, other: DocumentKey) -> str:
    return "generation" if other.host != lead.host and other.language == lead.language \
        else "language"
