"""The officials registry: one id per person, every spelling, roles over time.

Seeded in `officials.toml` beside this file and the files of `officials.d/` (by
region, read in name order after it); officials promoted from candidates go to
`officials.local.toml` in the data directory, read on top of them all.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from indexer.entities.names import name_key

SEED_FILE = Path(__file__).with_name("officials.toml")
SEED_DIR = Path(__file__).with_name("officials.d")
LOCAL_FILE_NAME = "officials.local.toml"


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

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.honorific_forms)


def slug(name: str) -> str:
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


class OfficialsRegistry:
    """Officials by id, and a lookup from any spelling's key to the person."""

    def __init__(self, officials: list[Official]) -> None:
        self.by_id: dict[str, Official] = {}
        self.by_key: dict[tuple[str, ...], str] = {}
        for official in officials:
            self.by_id[official.id] = official
            for spelling in official.spellings:
                key = name_key(spelling)
                if key:
                    self.by_key.setdefault(key, official.id)
        self.max_words = max((len(k) for k in self.by_key), default=1)

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> OfficialsRegistry:
        # A later file's entry replaces an earlier one with the same id (local edits win).
        officials: dict[str, Official] = {}
        for path in registry_files(data_dir):
            for official in _parse(tomllib.loads(path.read_text(encoding="utf-8"))):
                officials[official.id] = official
        return cls(list(officials.values()))

    def lookup(self, name: str) -> Official | None:
        """The person a spelling names, if the registry knows it."""
        official_id = self.by_key.get(name_key(name))
        return self.by_id.get(official_id) if official_id else None

    def roles_on(self, official: Official, day: date) -> list[Role]:
        return [r for r in official.roles
                if (r.start is None or r.start <= day) and (r.end is None or day <= r.end)]


def promote(data_dir: Path | str, name: str, country: str = "", role: str = "") -> Official:
    """Add an official (a promoted candidate) to the data directory's local registry."""
    path = Path(data_dir) / LOCAL_FILE_NAME
    official = Official(id=slug(name), name=name, country=country,
                        roles=(Role(role, start=date.today()),) if role else ())
    lines = ["", "[[official]]", f"id = {_toml(official.id)}", f"name = {_toml(name)}"]
    if country:
        lines.append(f"country = {_toml(country)}")
    if role:
        lines += ["[[official.roles]]", f"title = {_toml(role)}",
                  f"from = {_toml(date.today().isoformat())}"]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return official


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
