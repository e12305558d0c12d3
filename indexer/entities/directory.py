"""The found officials of a corpus: one entry per person, whatever the script, case or
initials the communiqués name them with, and one name to show them by.

Indexing reads every communiqué first (`EntityExtractor.extract` finds each one's found
officials, named by that text alone), builds the directory from all of them, and only
then writes the index, renaming every communiqué's found officials to the directory's
names: so a person is one facet value, one `official:` term and one page everywhere.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from indexer.entities.registry import FOUND, Official, Role, slug

_CYRILLIC = frozenset("абвгдђежзијклљмнњопрстћуфхцчџшщъыьэюяё")


def _latin(name: str) -> bool:
    return not _CYRILLIC.intersection(name.lower())


def key_text(key: tuple[str, ...]) -> str:
    """A key as stored (words joined by spaces)."""
    return " ".join(key)


@dataclass(frozen=True)
class Sighting:
    """A found official as one communiqué names them (what the directory is built of)."""

    communique_id: str
    published: date | None
    key: tuple[str, ...]
    nominative: str
    nominative_known: bool
    forms: tuple[str, ...]
    role: str
    country: str


@dataclass
class FoundEntry:
    """One found official of the corpus."""

    key: tuple[str, ...]  # the canonical merge key
    id: str
    name: str
    forms: tuple[str, ...]
    role: str
    country: str
    keys: tuple[tuple[str, ...], ...]  # every key that names them (initials, middle names)
    documents: int = 0
    first_seen: date | None = None
    last_seen: date | None = None

    def official(self) -> Official:
        return Official(
            id=self.id, name=self.name, country=self.country,
            aliases=tuple(f for f in self.forms if f != self.name),
            roles=(Role(self.role, start=self.first_seen),) if self.role else (),
            status=FOUND, first_seen=self.first_seen, last_seen=self.last_seen,
            documents=self.documents)


def _initials(key: tuple[str, ...]) -> bool:
    return len(key) > 1 and all(len(part) <= 2 for part in key[:-1])


@dataclass
class FoundDirectory:
    """Found officials by key; `name_for` gives the name every surface shows."""

    entries: dict[tuple[str, ...], FoundEntry] = field(default_factory=dict)
    by_key: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries.values():
            for key in entry.keys:
                self.by_key.setdefault(key, entry.key)
        # Initial and surname -> the one entry they can be ("Ю.Бланар" -> Juraj Blanár).
        initials: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
        for entry in self.entries.values():
            if not _initials(entry.key):
                initials[(entry.key[0][:1], entry.key[-1])].add(entry.key)
        self._by_initials = {k: v.pop() for k, v in initials.items() if len(v) == 1}

    def __len__(self) -> int:
        return len(self.entries)

    def entry_for(self, key: tuple[str, ...]) -> FoundEntry | None:
        canonical = self.by_key.get(key)
        if canonical is None and _initials(key):
            canonical = self._by_initials.get((key[0][:1], key[-1]))
        if canonical is None and len(key) > 2:  # a middle name the entry lacks
            canonical = self.by_key.get((key[0], key[-1]))
        return self.entries.get(canonical) if canonical else None

    def name_for(self, key: tuple[str, ...]) -> str | None:
        entry = self.entry_for(key)
        return entry.name if entry else None

    def officials(self) -> list[Official]:
        return [entry.official() for entry in self.entries.values()]

    def extended(self, sightings: Iterable[Sighting], taken: set[str]) -> FoundDirectory:
        """This directory and the people of `sightings` it lacks (an incremental update:
        the names already given stay as they are)."""
        new = tally(s for s in sightings if self.entry_for(s.key) is None)
        added = build_directory(new, taken | {e.id for e in self.entries.values()})
        return FoundDirectory({**self.entries, **added.entries})


@dataclass
class KeyTally:
    """What the communiqués say of one key: small enough to send between processes."""

    names: Counter = field(default_factory=Counter)  # (full, Latin nominative, nominative, name)
    forms: dict = field(default_factory=dict)  # every written form, in order (a set)
    roles: Counter = field(default_factory=Counter)
    countries: Counter = field(default_factory=Counter)
    count: int = 0  # communiqués
    first: date | None = None
    last: date | None = None

    def add(self, sighting: Sighting) -> None:
        name = sighting.nominative
        self.names[(not _initials(sighting.key), sighting.nominative_known and _latin(name),
                    sighting.nominative_known, name)] += 1
        self.forms.update(dict.fromkeys((name, *sighting.forms)))
        if sighting.role:
            self.roles[sighting.role] += 1
        if sighting.country:
            self.countries[sighting.country] += 1
        self.count += 1
        self._dates(sighting.published, sighting.published)

    def merge(self, other: KeyTally) -> None:
        self.names.update(other.names)
        self.forms.update(other.forms)
        self.roles.update(other.roles)
        self.countries.update(other.countries)
        self.count += other.count
        self._dates(other.first, other.last)

    def _dates(self, first: date | None, last: date | None) -> None:
        if first and (self.first is None or first < self.first):
            self.first = first
        if last and (self.last is None or last > self.last):
            self.last = last


Tallies = dict[tuple[str, ...], KeyTally]


def tally(sightings: Iterable[Sighting], into: Tallies | None = None) -> Tallies:
    """Sightings summed up by key."""
    tallies: Tallies = {} if into is None else into
    for sighting in sightings:
        tallies.setdefault(sighting.key, KeyTally()).add(sighting)
    return tallies


def merged(parts: Iterable[Tallies]) -> Tallies:
    """Several processes' tallies as one."""
    total: Tallies = {}
    for part in parts:
        for key, part_tally in part.items():
            total.setdefault(key, KeyTally()).merge(part_tally)
    return total


def build_directory(tallies: Tallies, taken: set[str]) -> FoundDirectory:
    """The directory of what indexing found: keys grouped by person (initials and
    middle names joined to the full name when only one person fits), each person named
    by a Latin nominative if any communiqué gives one, else a nominative as written.
    `taken`: ids in use (the registry's), never given to a found official."""
    canonical = _canonical_keys(tallies)
    groups: Tallies = {}
    for key, key_tally in tallies.items():
        groups.setdefault(canonical[key], KeyTally()).merge(key_tally)
    # Each person's keys, gathered in one pass (not every key looked at for each person,
    # which grew with the square of the people found: seconds at 100,000 documents while
    # a rebuild's writer processes wait for the directory).
    members: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
    for key, person in canonical.items():
        members[person].add(key)
    entries: dict[tuple[str, ...], FoundEntry] = {}
    taken = set(taken)
    # Most mentioned first, so ids (name slugs, numbered when taken) stay put.
    for key in sorted(groups, key=lambda k: (-groups[k].count, k)):
        group = groups[key]
        name = _display_name(group.names)
        entry_id = base = slug(name) or "official"
        number = 2
        while entry_id in taken:
            entry_id, number = f"{base}-{number}", number + 1
        taken.add(entry_id)
        roles, countries = group.roles, group.countries
        entries[key] = FoundEntry(
            key, entry_id, name, tuple(dict.fromkeys([name, *group.forms])),
            min(roles, key=lambda r: (-roles[r], r)) if roles else "",
            min(countries, key=lambda c: (-countries[c], c)) if countries else "",
            tuple(sorted(members[key])),
            group.count, group.first, group.last)
    return FoundDirectory(entries)


def _canonical_keys(by_key: Tallies) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each key's person: initials ("И.Н.Тасмагамбетов") and a name with a middle name
    ("Helga Maria Schmid") join the one full name that fits them, if only one does."""
    def without_middle(key: tuple[str, ...]) -> tuple[str, ...]:
        return (key[0], key[-1]) if len(key) > 2 and (key[0], key[-1]) in by_key else key

    full = [k for k in by_key if not _initials(k)]
    by_initial: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for key in full:
        # "Rafael Mariano Grossi" and "Rafael Grossi" are one person for "Р.Гросси".
        by_initial[(key[0][:1], key[-1])].add(without_middle(key))
    canonical: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key in by_key:
        target = key
        if _initials(key):
            fits = by_initial.get((key[0][:1], key[-1]), set())
            if len(fits) == 1:
                target = next(iter(fits))
        else:
            target = without_middle(key)
        canonical[key] = target
    return canonical


def _display_name(names: Counter) -> str:
    """A Latin nominative if a communiqué gives one, else a nominative as written; the
    full name over initials; the most frequent; the alphabetically first on a tie."""
    return max(names, key=lambda n: (n[0], n[1], n[2], names[n], _reverse(n[3])))[3]


def _reverse(name: str) -> tuple[int, ...]:
    # max() picks the alphabetically first name on a tie.
    return tuple(-ord(c) for c in name)


def renamed(officials: tuple[str, ...], found: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """A communiqué's officials with its found officials renamed ((as named by the text
    alone, as the directory names them) pairs), once each, in their order."""
    names = dict(found)
    return tuple(dict.fromkeys(names.get(name, name) for name in officials))
