"""Dates as ministries write them, in any language CLDR knows.

A source definition gives formats such as ``"%A, %d %B %Y."``; month and
weekday names come from CLDR (via babel) for the page's language, so the same
format reads "Wednesday, 24 July 2019." and "среда, 04. октобар 2017.".
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import get_month_names

_TOKEN = re.compile(r"%[dmYBbAa]|\s+|[^%\s]+|%")


@lru_cache(maxsize=64)
def _month_table(language: str) -> dict[str, int]:
    """Lower-cased month names and abbreviations (with and without a dot) -> month."""
    try:
        locale = Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    table: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for number, name in get_month_names(width, context, locale=locale).items():
                key = name.lower()
                table[key] = number
                table[key.rstrip(".")] = number
    return table


@lru_cache(maxsize=256)
def _compile(fmt: str, language: str) -> re.Pattern[str]:
    months = sorted(_month_table(language), key=len, reverse=True)
    month_alternatives = "|".join(re.escape(m) for m in months if m)
    parts: list[str] = []
    for token in _TOKEN.findall(fmt):
        if token == "%d":
            parts.append(r"(?P<day>\d{1,2})")
        elif token == "%m":
            parts.append(r"(?P<month>\d{1,2})")
        elif token == "%Y":
            parts.append(r"(?P<year>\d{4})")
        elif token in ("%B", "%b"):
            parts.append(rf"(?P<month_name>{month_alternatives})\.?")
        elif token in ("%A", "%a"):
            parts.append(r"[^\W\d_]+")
        elif token.isspace():
            parts.append(r"\s*")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts), re.IGNORECASE)


def parse_date(text: str, formats: tuple[str, ...] | list[str], language: str) -> date | None:
    """The first date in `text` matching one of `formats`, or None.

    Invalid calendar dates (31 June) count as no match rather than an error.
    """
    cleaned = " ".join(text.split())
    for fmt in formats:
        match = _compile(fmt, language).search(cleaned)
        if not match:
            continue
        groups = match.groupdict()
        if groups.get("month_name"):
            month = _month_table(language).get(groups["month_name"].lower().rstrip("."))
        else:
            month = int(groups["month"]) if groups.get("month") else None
        if month is None:
            continue
        try:
            return date(int(groups["year"]), month, int(groups["day"]))
        except (TypeError, ValueError):
            continue
    return None
