"""How values read to people: ministries, countries, languages, months."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from scrapers.sources import load_sources


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
    source = load_sources().get(source_id)
    return source.short_name if source else source_id


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
