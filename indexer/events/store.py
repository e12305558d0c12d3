"""Events as derived data in the archive, computed at indexing time.

Writer processes read each communiqué's encounters and version key with its entities
(`read_document`, stored a batch at a time with them). Grouping needs every communiqué, so
the parent does it once the writers are done: `rebuild` over everything, `update` over the
country partitions and (source, day) buckets the updated communiqués touch (read through
indexes on (countries, day) and (source, day)), so an update costs what it changed.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from indexer.archive import Archive
from indexer.entities.extract import Entities, EntityExtractor
from indexer.events.encounters import Encounter, EncounterReader, Participant
from indexer.events.grouping import Event, Sighting, group
from indexer.events.versions import DocumentKey, VersionGroup, document_key, link_versions
from scrapers.record import Communique

# Bumped whenever a change here or in the reading changes what is stored: the next
# `communiques index` then rebuilds (the index state records it).
EVENTS_VERSION = 2


def document_rows(record: Communique, entities: Entities,
                  reader: EncounterReader) -> tuple[tuple, list[tuple]]:
    """A communiqué's event_documents row and encounters rows."""
    key = document_key(record, entities.officials, entities.countries)
    encounters = reader.read(record, entities)
    return _key_row(key), [_encounter_row(record.id, n, e) for n, e in enumerate(encounters)]


class DocumentReader:
    """What a writer process computes of each communiqué it indexes, batched."""

    def __init__(self, extractor: EntityExtractor) -> None:
        self.reader = EncounterReader(extractor)
        self.documents: list[tuple] = []
        self.encounters: list[tuple] = []

    def add(self, record: Communique, entities: Entities) -> None:
        document, encounters = document_rows(record, entities, self.reader)
        self.documents.append(document)
        self.encounters += encounters

    def flush(self, archive: Archive) -> None:
        if self.documents:
            archive.set_event_documents(self.documents, self.encounters)
        self.documents, self.encounters = [], []


def _key_row(key: DocumentKey) -> tuple:
    return (key.id, key.source_id, key.host, key.language,
            key.day.isoformat() if key.day else None,
            json.dumps(list(key.officials), ensure_ascii=False),
            json.dumps(list(key.countries), ensure_ascii=False),
            json.dumps(list(key.numbers)), key.paragraphs, key.url, key.title)


def key_of(row: tuple) -> DocumentKey:
    (communique_id, source_id, host, language, day, officials, countries, numbers,
     paragraphs, url, title) = row
    return DocumentKey(communique_id, source_id, host, language,
                       date.fromisoformat(day) if day else None,
                       tuple(json.loads(officials)), tuple(json.loads(countries)),
                       tuple(json.loads(numbers)), paragraphs, url, title)


def _encounter_row(communique_id: str, n: int, e: Encounter) -> tuple:
    return (communique_id, n, e.day.isoformat() if e.day else None, e.kind, e.place,
            e.conference, e.first.id, e.first.name, e.first.country, e.second.id,
            e.second.name, e.second.country, e.countries, e.evidence)


def sighting_of(row: tuple) -> Sighting:
    (communique_id, n, day, kind, place, conference, first_id, first_name, first_country,
     second_id, second_name, second_country, _countries, evidence) = row
    return Sighting(communique_id, n, Encounter(
        Participant(first_id, first_name, first_country),
        Participant(second_id, second_name, second_country),
        date.fromisoformat(day) if day else None, kind, place, conference, evidence))


def _version_rows(groups: Iterable[VersionGroup]) -> list[tuple]:
    return [(member, g.id, position, relation) for g in groups
            for position, (member, relation) in enumerate(zip(g.members, g.relations,
                                                               strict=True))]


def _bodies(archive: Archive):
    return lambda ids: {i: r.body for i, r in archive.get_many(ids).items()}


def stable_ids(events: list[Event], before: dict[str, set[str]],
               given: set[str]) -> tuple[list[Event], list[tuple[str, str]]]:
    """Events with ids that last, and the aliases of the ids that stop being events.

    `before` holds the events these replace, by id, with their communiqués; `given`
    every id given before (kept or not, never given to another event). An event keeps
    the id of the old event it shares most communiqués with (each old id going to one
    event: the one sharing most with it, then the earlier); one sharing none gets a new
    id (its day and sides, as `grouping` names it, numbered past any id given). An old
    id no event kept is an alias of the event holding most of its communiqués, so a
    link to an event that a new readout or a rebuild merged into another still leads
    to it ("" when none holds any: it is no longer reported). Ids are assigned in a
    fixed order, so the same archive gives the same ids."""
    # Overlaps counted through the communiqués (each old event's readouts looked up in
    # the new events holding them), not by comparing every old event with every new one:
    # a rebuild of an archive with many events stays linear.
    holders: dict[str, list[int]] = {}
    for i, event in enumerate(events):
        for communique in set(event.communiques):
            holders.setdefault(communique, []).append(i)
    shared_with: dict[str, Counter[int]] = {
        old_id: Counter(i for c in old for i in holders.get(c, ()))
        for old_id, old in before.items()}
    overlaps = sorted(((shared, old_id, i)
                       for old_id, counts in shared_with.items()
                       for i, shared in counts.items()),
                      key=lambda t: (-t[0], t[1], t[2]))
    id_of: dict[int, str] = {}
    kept: set[str] = set()
    for _shared, old_id, i in overlaps:
        if old_id not in kept and i not in id_of:
            id_of[i] = old_id
            kept.add(old_id)
    taken = given | set(before) | kept
    for i, event in enumerate(events):
        if i in id_of:
            continue
        event_id, number = event.id, 2
        while event_id in taken:
            event_id = f"{event.id}-{number}"
            number += 1
        id_of[i] = event_id
        taken.add(event_id)
    aliases = []
    for old_id in sorted(set(before) - kept):
        counts = shared_with[old_id]
        if counts:  # the event holding most of its communiqués (the earlier on a tie)
            best = max(counts, key=lambda i: (counts[i], -i))
            aliases.append((old_id, id_of[best]))
        else:
            aliases.append((old_id, ""))  # no longer reported: kept, never given again
    return [replace(e, id=id_of[i]) for i, e in enumerate(events)], aliases


def _previous(archive: Archive, partitions: list[str] | None) -> dict[str, set[str]]:
    """The stored events a regrouping replaces (those of the partitions regrouped, every
    one for None), each with its communiqués."""
    replaced = archive.event_ids_in(partitions)
    before: dict[str, set[str]] = {event_id: set() for event_id in replaced}
    for event_id, communique_id, _n in archive.readout_rows(event_ids=replaced):
        before[event_id].add(communique_id)
    return before


def _event_rows(events: list[Event], group_of: dict[str, str]) -> tuple[list, list, list]:
    rows, readouts, participants = [], [], []
    for event in events:
        documents = event.communiques
        texts = {group_of.get(c, c) for c in documents}
        sides = [{"id": p.id, "name": p.name, "country": p.country} for p in event.participants]
        rows.append((event.id, event.day.isoformat(), event.last_day.isoformat(), event.kind,
                     event.place, event.conference, json.dumps(sides, ensure_ascii=False),
                     event.countries, len(documents), len(texts)))
        first_n: dict[str, int] = {}
        for sighting in event.sightings:
            first_n.setdefault(sighting.communique_id, sighting.n)
        readouts += [(event.id, c, first_n[c]) for c in documents]
        participants += [(event.id, p.key, p.country) for p in event.participants]
    return rows, readouts, participants


def rebuild(archive: Archive) -> tuple[int, int]:
    """Link versions and group events over the whole archive (after a rebuild's writers
    stored every communiqué's rows). Returns (events, version groups)."""
    keys = [key_of(row) for row in archive.event_documents()]
    # Communiqués the archive no longer holds a current row for are dropped with the rest.
    groups = link_versions(keys, _bodies(archive))
    archive.replace_versions(_version_rows(groups))
    group_of = {m: g.id for g in groups for m in g.members}
    events = group(sighting_of(row) for row in archive.encounter_rows())
    events, aliases = stable_ids(events, _previous(archive, None),
                                 archive.event_ids_given())
    archive.replace_events(*_event_rows(events, group_of), aliases=aliases)
    return len(events), len(groups)


def update(archive: Archive, ids: list[str], before: dict[str, tuple[set, set]]) -> None:
    """Regroup what an incremental update touched: `ids` are the communiqués re-read (their
    rows already stored), `before` what they touched before (see `touched`)."""
    if not ids:
        return
    partitions, buckets = set(), set()
    for old_partitions, old_buckets in before.values():
        partitions |= old_partitions
        buckets |= old_buckets
    now = touched(archive, ids)
    for new_partitions, new_buckets in now.values():
        partitions |= new_partitions
        buckets |= new_buckets
    # Versions: a group never leaves one source's day, so those buckets are relinked whole.
    keys = [key_of(row) for row in archive.event_documents(buckets=sorted(buckets))]
    groups = link_versions(keys, _bodies(archive))
    archive.replace_versions(_version_rows(groups), [k.id for k in keys])
    # A changed version group changes the readouts count of its members' events.
    members = [m for g in groups for m in g.members]
    partitions |= {row[12] for row in archive.encounter_rows(ids=members)}
    encounters = archive.encounter_rows(partitions=sorted(partitions))  # read once
    group_of = {row[0]: row[1] for row in archive.version_rows([row[0] for row in encounters])}
    sightings = [sighting_of(row) for row in encounters]
    events = group(sightings)
    events, aliases = stable_ids(events, _previous(archive, sorted(partitions)),
                                 archive.event_ids_given())
    archive.replace_events(*_event_rows(events, group_of), partitions=sorted(partitions),
                           aliases=aliases)


def touched(archive: Archive, ids: list[str]) -> dict[str, tuple[set, set]]:
    """The country partitions and (source, day) buckets some communiqués' stored rows
    are in: what regrouping must cover when they change."""
    found: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for row in archive.encounter_rows(ids=ids):
        found[row[0]][0].add(row[12])
    for row in archive.event_documents(ids=ids):
        found[row[0]][1].add((row[1], row[4]))
    return dict(found)
