"""The read side of events: what the web app, the API and the search hits show of them.

Reads the archive's derived tables (read-only, one connection per thread) and the stored
texts and entities, and puts readouts side by side: per readout (one text, whatever its
language versions), who it names and which topics it raises, and what only it names or
raises among the event's readouts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from indexer.archive import Archive, ReadonlyArchives
from indexer.events import lexicon
from indexer.folding import fold

MAX_EVENTS_PAGE = 100


@dataclass(frozen=True)
class EventFilter:
    """Which events a list shows: everyone's, or one official's (with another, or with
    anyone of a country), a country's or a country pair's, within dates."""

    official: str | None = None  # an official id
    other: str | None = None  # the other side: an official id, or "country:XX"
    countries: tuple[str, ...] = ()  # one or two ISO codes
    start: date | None = None
    end: date | None = None


def topics_of(text: str) -> list[str]:
    """The topics (`lexicon.TOPICS`) a text raises, in the lexicon's order."""
    folded = fold(text)
    return [label for label, pattern in lexicon.TOPICS if pattern.search(folded)]


def _event_json(row: tuple) -> dict:
    (event_id, day, last_day, kind, place, conference, participants, countries, documents,
     readouts) = row
    return {"id": event_id, "date": day, "last_date": last_day, "kind": kind,
            "place": place, "conference": conference,
            "participants": json.loads(participants),
            "countries": [c for c in countries.split(" ") if not c.startswith("@")],
            "readout_count": readouts, "document_count": documents}


class EventService:
    """Events, readouts and versions as the archive holds them."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self._archives = ReadonlyArchives(self.data_dir)

    def archive(self) -> Archive:
        return self._archives.get()

    # -- lists ----------------------------------------------------------------------------

    def events(self, where: EventFilter, limit: int = 20,
               offset: int = 0) -> tuple[int, list[dict]]:
        """(total, one page of events), newest first."""
        filters = self._filters(where)
        archive = self.archive()
        total = archive.count_events(**filters)
        rows = archive.event_rows(**filters, limit=min(limit, MAX_EVENTS_PAGE), offset=offset)
        return total, [self._summary(row) for row in rows]

    @staticmethod
    def _filters(where: EventFilter) -> dict:
        countries = " ".join(sorted(where.countries)) if len(where.countries) == 2 else None
        return {"participant": where.official, "with_participant": where.other,
                "country": where.countries[0] if len(where.countries) == 1 else None,
                "countries": countries,
                "start": where.start.isoformat() if where.start else None,
                "end": where.end.isoformat() if where.end else None}

    def _summary(self, row: tuple) -> dict:
        data = _event_json(row)
        readouts = self.archive().readout_rows(event_ids=[data["id"]])
        records = self.archive().get_many([r[1] for r in readouts])
        data["ministries"] = sorted({r.source_id for r in records.values()})
        data["languages"] = sorted({r.language for r in records.values()})
        return data

    def met_with(self, official_id: str) -> list[dict]:
        """Everyone an official met (events), most events first: the other side's id (or
        "country:XX"), name, country, the number of events and the last one's day."""
        archive = self.archive()
        names: dict[str, str] = {}
        for row in archive.event_rows(participant=official_id):
            for side in json.loads(row[6]):
                names.setdefault(side["id"] or f"country:{side['country']}", side["name"])
        return [{"participant": p, "name": names.get(p, p), "country": country,
                 "events": n, "last": last, "named": not p.startswith("country:")}
                for p, country, n, last in archive.met_with_rows(official_id)]

    # -- one event --------------------------------------------------------------------------

    def event(self, event_id: str, all_versions: bool = False) -> dict | None:
        """An event with every readout side by side (one per text; `all_versions`: one per
        communiqué), with what each names and raises that the others do not."""
        archive = self.archive()
        rows = archive.event_rows(ids=[event_id])
        if not rows:
            return None
        data = _event_json(rows[0])
        readouts = archive.readout_rows(event_ids=[event_id])
        ids = [r[1] for r in readouts]
        n_of = {r[1]: r[2] for r in readouts}
        records = archive.get_many(ids)
        entities = archive.entities_of(ids)
        groups = self._groups(ids)
        encounters = {(row[0], row[1]): row for row in archive.encounter_rows(ids=ids)}
        texts: dict[str, list[str]] = defaultdict(list)  # text (group) -> communiqués
        for communique_id in ids:
            texts[groups.get(communique_id, {}).get("group", communique_id)].append(
                communique_id)
        columns = []
        for members in texts.values():
            ordered = sorted(members, key=lambda c: groups.get(c, {}).get("position", 0))
            shown = ordered if all_versions else ordered[:1]
            for communique_id in shown:
                record = records.get(communique_id)
                if record is None:
                    continue
                officials, countries = entities.get(communique_id,
                                                    (record.officials, record.countries))
                encounter = encounters.get((communique_id, n_of[communique_id]))
                columns.append({
                    "id": communique_id, "source": record.source_id,
                    "ministry_country": record.ministry_country,
                    "language": record.language,
                    "date": record.published.isoformat() if record.published else None,
                    "title": record.title, "url": record.url, "body": record.body,
                    "paragraphs": record.paragraphs, "officials": list(officials),
                    "countries": list(countries),
                    "topics": topics_of(record.title + "\n" + record.body),
                    "encounter": {"date": encounter[2], "kind": encounter[3],
                                  "place": encounter[4], "conference": encounter[5],
                                  "evidence": encounter[13]} if encounter else None,
                    "versions": [groups[m] | {"id": m} for m in ordered if m != communique_id
                                 and m in groups],
                })
        columns.sort(key=lambda c: (c["date"] or "", c["source"], c["language"], c["id"]))
        self._differences(columns)
        data["readouts"] = columns
        data["differences"] = {
            "officials": _table(columns, "officials"), "topics": _table(columns, "topics")}
        return data

    @staticmethod
    def _differences(columns: list[dict]) -> None:
        """Per readout: the officials and topics no other readout of the event has (none
        when it is the only one)."""
        for column in columns:
            others = [c for c in columns if c is not column]
            named = {n for c in others for n in c["officials"]}
            raised = {t for c in others for t in c["topics"]}
            column["named_only_here"] = [n for n in column["officials"]
                                         if others and n not in named]
            column["topics_only_here"] = [t for t in column["topics"]
                                          if others and t not in raised]

    def _groups(self, ids: list[str]) -> dict[str, dict]:
        """The version group of each of some communiqués: {"group", "position",
        "relation", "language", "url"} by communiqué id."""
        found = {}
        for row in self.archive().version_rows(ids):
            communique_id, group_id, position, relation, language, url, host, title, \
                source_id = row
            found[communique_id] = {"group": group_id, "position": position,
                                    "relation": relation, "language": language, "url": url,
                                    "title": title, "source": source_id}
        return found

    # -- what a communiqué is part of -------------------------------------------------------

    def versions_of(self, ids: list[str]) -> dict[str, list[dict]]:
        """For each communiqué in a version group: its other versions ({"id", "language",
        "url", "relation", "title", "source"}), the group's lead first."""
        rows = self.archive().version_rows(ids)
        members: dict[str, list[tuple]] = defaultdict(list)
        for row in rows:
            members[row[1]].append(row)
        result: dict[str, list[dict]] = {}
        wanted = set(ids)
        for group in members.values():
            group.sort(key=lambda r: r[2])
            for row in group:
                if row[0] in wanted:
                    result[row[0]] = [
                        {"id": other[0], "language": other[4], "url": other[5],
                         "relation": other[3], "title": other[7], "source": other[8]}
                        for other in group if other[0] != row[0]]
        return result

    def readouts_of(self, ids: list[str]) -> dict[str, dict]:
        """For each communiqué that reports an event: that event ({"id", "readouts",
        "position"}: this text's place among the event's readouts, one per text), the
        event its first encounter belongs to."""
        archive = self.archive()
        rows = archive.readout_rows(communique_ids=ids)
        first: dict[str, tuple[int, str]] = {}
        for event_id, communique_id, n in rows:
            if communique_id not in first or n < first[communique_id][0]:
                first[communique_id] = (n, event_id)
        event_ids = sorted({e for _, e in first.values()})
        members: dict[str, list[str]] = defaultdict(list)
        for event_id, communique_id, _ in archive.readout_rows(event_ids=event_ids):
            members[event_id].append(communique_id)
        all_ids = sorted({c for m in members.values() for c in m})
        groups = self._groups(all_ids)
        days = {row[0]: row[4] or "" for row in archive.event_documents(ids=all_ids)}
        sources = {row[0]: row[1] for row in archive.event_documents(ids=all_ids)}
        result = {}
        for communique_id, (_, event_id) in first.items():
            texts: dict[str, tuple] = {}
            for member in members[event_id]:
                text = groups.get(member, {}).get("group", member)
                key = (days.get(member, ""), sources.get(member, ""), text)
                texts[text] = min(texts.get(text, key), key)
            order = sorted(texts, key=lambda t: texts[t])
            mine = groups.get(communique_id, {}).get("group", communique_id)
            result[communique_id] = {"id": event_id, "readouts": len(order),
                                     "position": order.index(mine) + 1}
        return result

    def also_reported(self, communique_id: str) -> list[dict]:
        """The events a communiqué reports, each with its other readouts (one per text,
        other texts than this one's): "also reported by"."""
        archive = self.archive()
        event_ids = [r[0] for r in sorted(archive.readout_rows(communique_ids=[communique_id]),
                                          key=lambda r: r[2])]
        if not event_ids:
            return []
        mine = self._groups([communique_id]).get(communique_id, {}).get("group",
                                                                          communique_id)
        found = []
        for row in archive.event_rows(ids=event_ids):
            data = _event_json(row)
            others = [r[1] for r in archive.readout_rows(event_ids=[data["id"]])]
            groups = self._groups(others)
            keys = {r[0]: r for r in archive.event_documents(ids=others)}
            texts: dict[str, str] = {}
            for other in others:
                text = groups.get(other, {}).get("group", other)
                if text == mine:
                    continue
                position = groups.get(other, {}).get("position", 0)
                if text not in texts or position < groups.get(texts[text], {}).get(
                        "position", 0):
                    texts[text] = other
            data["others"] = [{"id": c, "source": keys[c][1], "language": keys[c][3],
                               "date": keys[c][4], "title": keys[c][10], "url": keys[c][9]}
                              for c in sorted(texts.values(), key=lambda c: (
                                  keys[c][4] or "", keys[c][1], c)) if c in keys]
            found.append(data)
        found.sort(key=lambda e: event_ids.index(e["id"]))
        return found

    def event_members(self, event_ids: list[str]) -> list[str]:
        """The communiqués that are readouts of some events (an absorbed event's id is
        the event that absorbed it)."""
        archive = self.archive()
        ids = [archive.event_alias(i) or i for i in event_ids]
        return sorted({r[1] for r in archive.readout_rows(event_ids=ids)})

    def absorbed_into(self, event_id: str) -> str | None:
        """For the id of an event that regrouping merged into another, that event's id
        ("" when its readouts report no event any more); None for any other id."""
        return self.archive().event_alias(event_id)

    def all_versions(self) -> list[tuple[str, str, int]]:
        """(communiqué id, group id, position) of every communiqué in a version group."""
        return [(r[0], r[1], r[2]) for r in self.archive().version_rows()]


def _table(columns: list[dict], field: str) -> list[dict]:
    """Which readouts name each official (or raise each topic): rows for the page."""
    values: dict[str, list[str]] = {}
    for column in columns:
        for value in column[field]:
            values.setdefault(value, [])
            values[value].append(column["id"])
    return [{"value": value, "readouts": ids, "all": len(set(ids)) == len(columns)}
            for value, ids in values.items()]
