"""How values read to people: ministries, countries, languages, months."""

from __future__ import annotations

import importlib.util
import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError


@lru_cache(maxsize=256)
def language_name(tag: str) -> str:
    """'sr-Latn' (or 'sr-latn') -> 'Serbian (Latin)'."""
    parts = tag.split("-")
    if len(parts) > 1 and len(parts[1]) == 4:
        parts[1] = parts[1].title()
    try:
        return Locale.parse("-".join(parts), sep="-").get_display_name("en") or tag
    except (UnknownLocaleError, ValueError):
        return tag


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """'RS' (or 'rs') -> 'Serbia'."""
    return Locale.parse("en").territories.get(code.upper(), code)


def source_name(source_id: str) -> str:
    return source_names().get(source_id, source_id)


@lru_cache(maxsize=1)
def source_names() -> dict[str, str]:
    """Source id -> short name, read from the definition files once per process.

    Only the two keys a label needs are read, without `scrapers.sources`: loading the
    definitions checks them with the scrapers' parsers (bs4, lxml, soupsieve,
    feedparser, requests), about 10 MB of modules a web worker serving searches would
    otherwise hold only to name a facet's sources. The definitions ship with the code,
    so a deploy (which restarts the workers) is what changes them."""
    spec = importlib.util.find_spec("scrapers.sources")  # its directory, not run
    names: dict[str, str] = {}
    for directory in (spec.submodule_search_locations or []) if spec else []:
        for path in sorted(Path(directory).glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                names[str(data["id"])] = str(data.get("short_name", data["name"]))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError):
                continue  # a broken definition: its id stays the label (status says why)
    return names


def month_name(key: str) -> str:
    """'2018-07' -> 'July 2018'."""
    year, month = key.split("-")
    return date(int(year), int(month), 1).strftime("%B %Y")


def facet_value_label(facet: str, value: str) -> str:
    if facet == "source":
        return source_name(value)
    if facet == "ministry_country":
        return country_name(value)
    if facet == "language":
        return language_name(value)
    if facet == "type":
        return value.replace("-", " ")
    if facet == "month":
        return month_name(value)
    return value
