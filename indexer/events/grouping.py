"""Events: the encounters of the same two sides within one day of each other, whoever
reported them.

Encounters are grouped within their partition (the two sides' countries), so an update
regroups only the partitions its communiqués touch. Within one:

1. encounters naming both sides: the same two people, within one day (an event spans at
   most two calendar days: time zones and next-day readouts);
2. an encounter naming one side only ("Dačić with his Russian counterpart") joins the
   event of that person with someone of that country on those days (the one most
   readouts report, if there are several); with none, it joins the encounters of the same
   two countries' ministers that name one side ("Lavrov with the Serbian minister").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from indexer.entities.registry import slug
from indexer.events import lexicon
from indexer.events.encounters import Encounter, Participant

# An event's readouts lie within this many days of its first.
EVENT_SPAN_DAYS = 1


@dataclass(frozen=True)
class Sighting:
    """One encounter as one communiqué reports it."""

    communique_id: str
    n: int  # its order in the communiqué
    encounter: Encounter


@dataclass
class Event:
    id: str
    day: date
    last_day: date
    participants: tuple[Participant, ...]
    kind: str
    place: str
    conference: str
    countries: str
    sightings: list[Sighting] = field(default_factory=list)

    @property
    def communiques(self) -> list[str]:
        return list(dict.fromkeys(s.communique_id for s in self.sightings))


@dataclass
class _Cluster:
    sides: tuple[Participant, Participant]
    start: date
    end: date
    sightings: list[Sighting]

    def covers(self, day: date) -> bool:
        span = timedelta(days=EVENT_SPAN_DAYS)
        return self.end - span <= day <= self.start + span


def _clusters(sightings: list[Sighting]) -> list[_Cluster]:
    """Encounters of the same sides, in day order, cut where the span would pass a day."""
    clusters: list[_Cluster] = []
    for sighting in sorted(sightings, key=lambda s: (s.encounter.day, s.communique_id, s.n)):
        day = sighting.encounter.day
        assert day is not None
        current = clusters[-1] if clusters else None
        if current is not None and day - current.start <= timedelta(days=EVENT_SPAN_DAYS):
            current.sightings.append(sighting)
            current.end = max(current.end, day)
        else:
            e = sighting.encounter
            clusters.append(_Cluster((e.first, e.second), day, day, [sighting]))
    return clusters


def _partial(encounter: Encounter) -> tuple[Participant, str]:
    """The named side of a one-side encounter, and the other side's country."""
    named = encounter.first if encounter.first.named else encounter.second
    other = encounter.second if named is encounter.first else encounter.first
    return named, other.country


def group(sightings: Iterable[Sighting]) -> list[Event]:
    """Events of the dated encounters of one or more partitions."""
    by_partition: dict[str, list[Sighting]] = defaultdict(list)
    for sighting in sightings:
        if sighting.encounter.day is not None:
            by_partition[sighting.encounter.countries].append(sighting)
    clusters: list[_Cluster] = []
    for partition in by_partition.values():
        clusters += _partition_clusters(partition)
    return _events(clusters)


def _partition_clusters(sightings: list[Sighting]) -> list[_Cluster]:
    full: dict[frozenset[str], list[Sighting]] = defaultdict(list)
    partial: list[Sighting] = []
    for sighting in sightings:
        e = sighting.encounter
        if e.first.named and e.second.named:
            full[e.pair].append(sighting)
        else:
            partial.append(sighting)
    clusters = [c for pair in sorted(full, key=sorted) for c in _clusters(full[pair])]
    unmatched: dict[tuple[str, str], list[Sighting]] = defaultdict(list)
    for sighting in sorted(partial, key=lambda s: (s.encounter.day, s.communique_id, s.n)):
        named, country = _partial(sighting.encounter)
        day = sighting.encounter.day
        assert day is not None
        candidates = [c for c in clusters if named.key in {p.key for p in c.sides}
                      and any(p.key != named.key and p.country == country for p in c.sides)
                      and c.covers(day)]
        if candidates:
            best = max(candidates, key=lambda c: (len({s.communique_id for s in c.sightings}),
                                                  -abs((c.start - day).days)))
            best.sightings.append(sighting)
        else:
            unmatched[(named.key, country)].append(sighting)
    # One-side encounters with no full one: the same person and country, or the same two
    # countries' ministers told from each side ("Lavrov with the Serbian minister" and
    # "Dačić with the Russian minister").
    partial_clusters = [c for key in sorted(unmatched) for c in _clusters(unmatched[key])]
    merged: list[_Cluster] = []
    for cluster in partial_clusters:
        named, country = _partial(cluster.sightings[0].encounter)
        other = next((m for m in merged if _opposite(m, named, country)
                      and (m.covers(cluster.start) or cluster.covers(m.start))), None)
        if other is None:
            merged.append(cluster)
        else:
            other.sightings += cluster.sightings
            other.start, other.end = min(other.start, cluster.start), max(other.end,
                                                                         cluster.end)
            other_named, _ = _partial(other.sightings[0].encounter)
            other.sides = (other_named, named)
    return clusters + merged


def _opposite(cluster: _Cluster, named: Participant, country: str) -> bool:
    other_named, other_country = _partial(cluster.sightings[0].encounter)
    return (other_named.key != named.key and other_named.country == country
            and named.country == other_country and bool(country))


def _events(clusters: list[_Cluster]) -> list[Event]:
    events: list[Event] = []
    taken: set[str] = set()
    for cluster in sorted(clusters, key=lambda c: (c.start, sorted(p.key for p in c.sides))):
        encounters = [s.encounter for s in cluster.sightings]
        sides = tuple(sorted(cluster.sides, key=lambda p: (not p.named, p.key)))
        base = f"{cluster.start.isoformat()}-" + "-".join(
            slug(p.id) if p.named else p.country.lower() for p in sides)
        event_id = base
        number = 2
        while event_id in taken:
            event_id = f"{base}-{number}"
            number += 1
        taken.add(event_id)
        kinds = Counter(e.kind for e in encounters)
        kind = max(kinds, key=lambda k: (kinds[k], -lexicon.KINDS.index(k)))
        places = Counter(e.place for e in encounters if e.place)
        events.append(Event(
            event_id, cluster.start, max(e.day for e in encounters if e.day), sides, kind,
            places.most_common(1)[0][0] if places else "",
            next((e.conference for e in encounters if e.conference), ""),
            encounters[0].countries, sorted(cluster.sightings,
                                            key=lambda s: (s.communique_id, s.n))))
    return events
