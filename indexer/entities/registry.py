"""The officials registry: one id per person, every spelling, roles over time.

Seeded in `officials.toml` beside this file and the files of `officials.d/` (by
region, read in name order after it). The data directory's `officials.local.toml` is read
on top of them all: curators' decisions on the officials indexing found in the texts
(`communiques officials --confirm/--rename/--merge/--reject`), as `[[official]]` entries
(an id already defined is replaced), `[[merged]]` spellings moved to another person and
`[[rejected]]` names that are no one's.

Found officials (people a title introduces whom no file names) join the registry read from
the archive (`with_found`), marked `status = "found"`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

from indexer.entities.kept import load_kept
from indexer.entities.names import merge_key, name_key

SEED_FILE = Path(__file__).with_name("officials.toml")
SEED_DIR = Path(__file__).with_name("officials.d")
LOCAL_FILE_NAME = "officials.local.toml"
CURATED, FOUND = "curated", "found"


def seed_files() -> list[Path]:
    """The registry files shipped with the code, in the order they are read."""
    return [SEED_FILE, *sorted(SEED_DIR.glob("*.toml"))]


def registry_files(data_dir: Path | str | None = None) -> list[Path]:
    """Every registry file in reading order: the seeds, then the data directory's own."""
    files = seed_files()
    if data_dir is not None and (Path(data_dir) / LOCAL_FILE_NAME).exists():
        files.append(Path(data_dir) / LOCAL_FILE_NAME)
    return files


@dataclass(frozen=True)
class Role:
    title: str
    organisation: str = ""
    start: date | None = None
    end: date | None = None  # None: current

    def span(self) -> str:
        start = self.start.isoformat() if self.start else "?"
        return f"{start} – {self.end.isoformat() if self.end else 'present'}"


@dataclass(frozen=True)
class Official:
    id: str
    name: str
    country: str = ""
    aliases: tuple[str, ...] = ()
    honorific_forms: tuple[str, ...] = ()
    roles: tuple[Role, ...] = field(default=())
    status: str = CURATED  # or FOUND: introduced by a title in the texts, in no file
    # Found officials: the publication dates of the first and last communiqué naming
    # them, and how many do.
    first_seen: date | None = None
    last_seen: date | None = None
    documents: int = 0

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.honorific_forms)

    @property
    def found(self) -> bool:
        return self.status == FOUND


@lru_cache(maxsize=65_536)
def slug(name: str) -> str:
    """A name's id: folded, runs of other characters a hyphen (each name once: the
    same few come back in every communiqué that names them)."""
    from indexer.folding import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value)
    return None


def _parse(data: dict) -> list[Official]:
    officials = []
    for entry in data.get("official", []):
        roles = tuple(
            Role(str(r.get("title", "")), str(r.get("organisation", "")),
                 _date(r.get("from")), _date(r.get("to")))
            for r in entry.get("roles", [])
        )
        officials.append(Official(
            id=str(entry.get("id") or slug(entry["name"])),
            name=unicodedata.normalize("NFC", str(entry["name"])),
            country=str(entry.get("country", "")),
            aliases=tuple(unicodedata.normalize("NFC", a) for a in entry.get("aliases", [])),
            honorific_forms=tuple(entry.get("honorific_forms", [])),
            roles=roles,
        ))
    return officials


@dataclass(frozen=True)
class Rejected:
    """A name curators said is no official: never extracted again."""

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> set[tuple[str, ...]]:
        return {k for k in map(merge_key, (self.name, *self.aliases)) if k}


class OfficialsRegistry:
    """Officials by id, and a lookup from any spelling's key to the person."""

    def __init__(self, officials: list[Official], rejected: tuple[Rejected, ...] = ()) -> None:
        self.by_id: dict[str, Official] = {}
        self.by_key: dict[tuple[str, ...], str] = {}
        # Looser keys (`merge_key`) of every spelling: how a name a title introduces, in
        # any transliteration or case, is matched to a person already known.
        self.by_merge_key: dict[tuple[str, ...], str] = {}
        self.rejected = rejected
        self.rejected_keys: frozenset[tuple[str, ...]] = frozenset(
            k for r in rejected for k in r.keys)
        # Curated people first: a spelling they share with a found person is theirs.
        for official in sorted(officials, key=lambda o: o.found):
            self.by_id.setdefault(official.id, official)
            for spelling in official.spellings:
                key = name_key(spelling)
                if key:
                    self.by_key.setdefault(key, official.id)
                    self.by_merge_key.setdefault(merge_key(key), official.id)
        self.max_words = max((len(k) for k in self.by_key), default=1)

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> OfficialsRegistry:
        """The registry of the seed files and the data directory's own. In a data
        directory with a `cache/` directory (index runs make it; read-only commands
        create nothing), kept there parsed for the next load, which takes about a tenth
        of the time (0.015 against 0.12 s): used only while the files and the code
        making the registry are the same (their digest names it)."""
        contents = [path.read_bytes() for path in registry_files(data_dir)]
        return load_kept(Path(data_dir) if data_dir is not None else None, _CACHE_PREFIX,
                         _CACHE_CODE, contents, cls, lambda: cls._parse_files(contents))

    @classmethod
    def _parse_files(cls, contents: list[bytes]) -> OfficialsRegistry:
        # A later file's entry replaces an earlier one with the same id (local edits win).
        officials: dict[str, Official] = {}
        rejected: list[Rejected] = []
        for content in contents:
            data = tomllib.loads(content.decode("utf-8"))
            for official in _parse(data):
                officials[official.id] = official
            for entry in data.get("merged", []):
                _apply_merge(officials, entry)
            rejected += [Rejected(str(r["name"]), tuple(map(str, r.get("aliases", []))))
                         for r in data.get("rejected", []) if r.get("name")]
        return cls(list(officials.values()), tuple(rejected))

    def with_found(self, found: list[Official]) -> OfficialsRegistry:
        """This registry and the officials found in the texts (curated people win any
        spelling they share)."""
        return OfficialsRegistry([*self.by_id.values(), *found], self.rejected)

    @property
    def curated(self) -> list[Official]:
        return [o for o in self.by_id.values() if not o.found]

    def lookup(self, name: str) -> Official | None:
        """The person a spelling names, if the registry knows it."""
        key = name_key(name)
        official_id = self.by_key.get(key) or self.by_merge_key.get(merge_key(key))
        return self.by_id.get(official_id) if official_id else None

    def is_rejected(self, name: str) -> bool:
        return merge_key(name) in self.rejected_keys

    def roles_on(self, official: Official, day: date) -> list[Role]:
        return [r for r in official.roles
                if (r.start is None or r.start <= day) and (r.end is None or day <= r.end)]


# The code a parsed registry comes from: a change to any of them is another cache.
_CACHE_PREFIX = "registry-"
_CACHE_CODE = (Path(__file__), Path(__file__).with_name("names.py"),
               Path(__file__).parent.parent / "folding.py")


def _apply_merge(officials: dict[str, Official], entry: dict) -> None:
    """A `[[merged]]` entry: its spellings become the person `into`'s; a curated entry
    it names by `id` is folded into that person and goes."""
    target = officials.get(str(entry.get("into", "")))
    if target is None:
        return
    spellings = [str(entry.get("name", "")), *map(str, entry.get("aliases", []))]
    merged = officials.pop(str(entry["id"]), None) if entry.get("id") and \
        entry["id"] != target.id else None
    if merged is not None:
        spellings += merged.spellings
    known = set(target.spellings)
    aliases = [s for s in dict.fromkeys(spellings) if s and s not in known]
    officials[target.id] = replace(target, aliases=(*target.aliases, *aliases))


def write_official(data_dir: Path | str, official: Official) -> None:
    """Add an official to the data directory's local registry; one whose id is already
    in use replaces that entry (a rename keeps the id)."""
    lines = ["[[official]]", f"id = {_toml(official.id)}", f"name = {_toml(official.name)}"]
    if official.aliases:
        lines.append(f"aliases = [{', '.join(map(_toml, official.aliases))}]")
    if official.honorific_forms:
        lines.append(f"honorific_forms = [{', '.join(map(_toml, official.honorific_forms))}]")
    if official.country:
        lines.append(f"country = {_toml(official.country)}")
    for role in official.roles:
        lines += ["[[official.roles]]", f"title = {_toml(role.title)}"]
        if role.organisation:
            lines.append(f"organisation = {_toml(role.organisation)}")
        if role.start:
            lines.append(f"from = {_toml(role.start.isoformat())}")
        if role.end:
            lines.append(f"to = {_toml(role.end.isoformat())}")
    _append(data_dir, lines)


def promote(data_dir: Path | str, name: str, country: str = "", role: str = "") -> Official:
    """Add an official to the data directory's local registry, from today in `role`."""
    official = Official(id=slug(name), name=name, country=country,
                        roles=(Role(role, start=date.today()),) if role else ())
    write_official(data_dir, official)
    return official


def write_merge(data_dir: Path | str, name: str, into: str, aliases: tuple[str, ...] = (),
                merged_id: str | None = None) -> None:
    """Record in the local registry that `name` (and its other spellings) is the person
    `into`; `merged_id`: a curated entry of that name, folded in and dropped."""
    lines = ["[[merged]]", f"name = {_toml(name)}", f"into = {_toml(into)}"]
    if merged_id:
        lines.append(f"id = {_toml(merged_id)}")
    others = [a for a in dict.fromkeys(aliases) if a != name]
    if others:
        lines.append(f"aliases = [{', '.join(map(_toml, others))}]")
    _append(data_dir, lines)


def write_rejection(data_dir: Path | str, name: str, aliases: tuple[str, ...] = ()) -> None:
    """Record in the local registry that `name` names no official."""
    lines = ["[[rejected]]", f"name = {_toml(name)}"]
    others = [a for a in dict.fromkeys(aliases) if a != name]
    if others:
        lines.append(f"aliases = [{', '.join(map(_toml, others))}]")
    _append(data_dir, lines)


def _append(data_dir: Path | str, lines: list[str]) -> None:
    # Appended, never rewritten: what a curator typed in the file stays as it was.
    # TOML reads arrays of tables wherever they are, so every block is self-contained.
    path = Path(data_dir) / LOCAL_FILE_NAME
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n" + "\n".join(lines) + "\n")


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
