"""Curators' decisions on the officials indexing found in the texts (`communiques
officials --confirm/--rename/--merge/--reject/--promote`).

Every decision is appended to the data directory's `officials.local.toml`, so it survives
rebuilds; the file is part of the extraction fingerprint, so the next `communiques index`
rebuilds with it: a confirmed or renamed person is curated (no longer "found"), a merged
name is the other person's, a rejected name is never extracted again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from indexer.entities.countries import gazetteer
from indexer.entities.directory import FoundEntry
from indexer.entities.names import merge_key
from indexer.entities.registry import (
    LOCAL_FILE_NAME,
    Official,
    OfficialsRegistry,
    Role,
    slug,
    write_merge,
    write_official,
    write_rejection,
)
from indexer.errors import CurationError


def _country_code(country: str) -> str:
    """An ISO alpha-2 code the gazetteer knows ("rs" is RS), or a CurationError."""
    code = country.strip().upper()
    if code and code not in gazetteer().names:
        raise CurationError(f"{country!r} is not a country's ISO alpha-2 code (RS, US, XK ...)")
    return code


def find_entry(entries: list[FoundEntry], name: str) -> FoundEntry | None:
    """The found official a name (their id, shown name or any written form) designates."""
    key = merge_key(name)
    for entry in entries:
        if name in (entry.id, entry.name) or name in entry.forms:
            return entry
    for entry in entries:
        if key and (key in entry.keys or key == entry.key
                    or any(merge_key(form) == key for form in entry.forms)):
            return entry
    return None


def undecided(entries: list[FoundEntry], registry: OfficialsRegistry) -> list[FoundEntry]:
    """Found officials no curator has decided on since they were found (confirmed,
    renamed, merged and rejected ones take effect at the next index)."""
    return [e for e in entries
            if not (registry.rejected_keys & {e.key, *e.keys})
            and not any(registry.by_merge_key.get(k) for k in (e.key, *e.keys))]


class Curator:
    """Decisions on officials, written to `data_dir`'s local registry file."""

    def __init__(self, data_dir: Path | str, entries: list[FoundEntry]) -> None:
        self.data_dir = Path(data_dir)
        self.entries = entries
        self.registry = OfficialsRegistry.load(self.data_dir)

    @property
    def path(self) -> Path:
        return self.data_dir / LOCAL_FILE_NAME

    def _found(self, name: str) -> FoundEntry:
        entry = find_entry(self.entries, name)
        if entry is None:
            known = self._curated(name)
            if known is not None:
                raise CurationError(f"{name!r} is {known.name} ({known.id}), already curated")
            raise CurationError(f"no found official named {name!r}"
                                " (`communiques officials --found` lists them)")
        return entry

    def _curated(self, name: str) -> Official | None:
        official = self.registry.by_id.get(name) or self.registry.lookup(name)
        return official if official is not None and not official.found else None

    def confirm(self, name: str, country: str = "", role: str = "",
                new_name: str | None = None) -> Official:
        """A found official becomes a curated one, under their shown name (or
        `new_name`), with every form the texts wrote and what they said of the role."""
        entry = self._found(name)
        shown = new_name or entry.name
        country = _country_code(country)
        if not (country or entry.country):
            # The registry's files give everyone a country (`officials --check`).
            raise CurationError(f"no communiqué says whose official {entry.name} is:"
                                " give their country with --country")
        official = Official(
            id=entry.id if shown == entry.name else slug(shown), name=shown,
            country=country or entry.country,
            aliases=tuple(f for f in dict.fromkeys((entry.name, *entry.forms)) if f != shown),
            roles=(Role(role or entry.role, start=entry.first_seen),)
            if role or entry.role else ())
        write_official(self.data_dir, official)
        return official

    def promote(self, name: str, country: str = "", role: str = "") -> Official:
        """Confirm a found official with the given country and role; a name indexing has
        not found is added as it is."""
        if find_entry(self.entries, name) is not None:
            return self.confirm(name, country, role)
        if self._curated(name) is not None:
            raise CurationError(f"{name!r} is already curated")
        country = _country_code(country)
        if not country:
            raise CurationError("give their country with --country")
        official = Official(id=slug(name), name=name, country=country,
                            roles=(Role(role, start=date.today()),) if role else ())
        write_official(self.data_dir, official)
        return official

    def rename(self, name: str, new_name: str) -> Official:
        """Show a person under another name: a found official is confirmed under it, a
        curated one keeps their id, roles and every spelling, the old name among them."""
        if not new_name.strip():
            raise CurationError("the new name is empty")
        curated = None if find_entry(self.entries, name) else self._curated(name)
        if curated is None:
            return self.confirm(name, new_name=new_name)
        official = replace(curated, name=new_name, aliases=tuple(
            s for s in dict.fromkeys((curated.name, *curated.aliases)) if s != new_name))
        write_official(self.data_dir, official)
        return official

    def merge(self, name: str, into: str, country: str = "") -> tuple[str, Official]:
        """`name` is the person `into`: their spellings become theirs. A found `into` is
        confirmed first (with `country` if no communiqué gives one); a curated `name` is
        folded into `into` and goes. Nothing is written unless the whole merge can be."""
        target = self._curated(into)
        found_target = None if target is not None else find_entry(self.entries, into)
        if target is None and found_target is None:
            raise CurationError(f"no official named {into!r}")
        entry = find_entry(self.entries, name)
        merged = None if entry is not None else self._curated(name)
        if entry is None and merged is None:
            raise CurationError(f"no official named {name!r}")
        source_id = entry.id if entry is not None else merged.id if merged is not None else ""
        target_id = target.id if target is not None else \
            found_target.id if found_target is not None else ""
        if source_id == target_id:
            raise CurationError(f"{name!r} is {target.name if target else into} already")
        if target is None:
            target = self.confirm(into, country)
        if entry is not None:
            write_merge(self.data_dir, entry.name, target.id, entry.forms)
            return entry.name, target
        assert merged is not None
        write_merge(self.data_dir, merged.name, target.id, merged.spellings, merged.id)
        return merged.name, target

    def reject(self, name: str) -> str:
        """`name` (a found official, with every form the texts wrote, or any name) is no
        official: never extracted again."""
        entry = find_entry(self.entries, name)
        if entry is None and self._curated(name) is not None:
            raise CurationError(f"{name!r} is curated: remove them from their registry file")
        shown = entry.name if entry else name
        write_rejection(self.data_dir, shown, entry.forms if entry else ())
        return shown
