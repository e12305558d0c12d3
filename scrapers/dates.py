"""Dates as ministries write them, in any language CLDR knows.

A source definition gives formats such as ``"%A, %d %B %Y."``; month and
weekday names come from CLDR (via babel) for the page's language, so the same
format reads "Wednesday, 24 July 2019." and "среда, 04. октобар 2017.".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import get_month_names

# The directives a format may use (day, month number, year, month name, weekday name);
# loading a definition refuses any other (scrapers/sources/schema.py).
DIRECTIVES = "dmYBbAa"
_TOKEN = re.compile(rf"%[{DIRECTIVES}]|\s+|[^%\s]+|%")


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
    # the forms CLDR lacks (Serbian genitives: "7. фебруара 2023."), as in running text
    for key in {language, language.split("-")[0]} & set(_EXTRA_MONTHS):
        for number, name in enumerate(_EXTRA_MONTHS[key], start=1):
            if name:
                table.setdefault(name.lower(), number)
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


# --- Dates written in running text, in any of our languages ------------------------------
#
# `parse_date` above reads a date in a format a source definition names. The functions
# below find dates nobody described: in a page's date line, a dateline, a URL or
# structured data. They never guess: a date is returned only when day, month and year are
# all written, and a numeric date whose order the page's language does not settle
# (3/5/2024 on an English page) is no date at all.

# The languages whose month names are recognised on any page, whatever it declares.
TEXT_DATE_LANGUAGES = (
    "en", "fr", "de", "es", "pt", "it", "nl", "ru", "uk", "be", "sr", "sr-Latn", "hr", "bs",
    "sl", "mk", "bg", "pl", "cs", "sk", "hu", "tr", "ro", "el", "ar", "kk", "az", "ka", "hy",
    "sq", "lt", "lv", "et", "fi", "sv", "da", "nb",
)

# Genitive month names CLDR does not give (it lists Serbian months in the nominative),
# and spellings sites use that CLDR lacks.
_EXTRA_MONTHS: dict[str, tuple[str, ...]] = {
    "sr": ("јануара", "фебруара", "марта", "априла", "маја", "јуна", "јула", "августа",
           "септембра", "октобра", "новембра", "децембра"),
    "sr-Latn": ("januara", "februara", "marta", "aprila", "maja", "juna", "jula", "avgusta",
                "septembra", "oktobra", "novembra", "decembra"),
    "bs": ("januara", "februara", "marta", "aprila", "maja", "juna", "jula", "augusta",
           "septembra", "oktobra", "novembra", "decembra"),
    "en": ("", "", "", "", "", "", "", "", "sept", "", "", ""),
    "de": ("jänner", "", "", "", "", "", "", "", "", "", "", ""),
    # the Levant's and Iraq's month names, beside CLDR's (يناير ...)
    "ar": ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
           "تشرين الأول", "تشرين الثاني", "كانون الأول"),
}

# Words that put a date after them out of the running: "updated", "modified"...
UPDATE_WORDS = re.compile(
    r"\b(updated?|modified|last\s+edit\w*|revised|aktualisiert|geändert|mis\s+à\s+jour|"
    r"modifié|actualizado|actualización|atualizado|aggiornato|обновлено|обновлён|изменено|"
    r"оновлено|ažurirano|ажурирано|ажурирање|ažuriranje|izmenjeno|измењено|frissítve|"
    r"güncelleme|güncellendi)\b|更新|修改",
    re.IGNORECASE,
)


def _fold(word: str) -> str:
    """A month word's lookup key: case, accents and Turkish dotless i folded, dot dropped."""
    word = word.rstrip(".").replace("ı", "i").replace("İ", "i")
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=64)
def _folded_months(language: str) -> dict[str, int]:
    table = {_fold(name): month for name, month in _month_table(language).items() if name}
    base = language.split("-")[0]
    for key in {language, base} & set(_EXTRA_MONTHS):
        for month, name in enumerate(_EXTRA_MONTHS[key], start=1):
            if name:
                table[_fold(name)] = month
    return table


@lru_cache(maxsize=1)
def _common_months() -> dict[str, int]:
    """Month names of every language in TEXT_DATE_LANGUAGES that mean one month in all of
    them (Czech "listopad" is November, Croatian "listopada" October: neither is kept
    here, each is read on a page in its own language)."""
    seen: dict[str, set[int]] = {}
    for language in TEXT_DATE_LANGUAGES:
        for name, month in _folded_months(language).items():
            if len(name) >= 3:
                seen.setdefault(name, set()).add(month)
    return {name: next(iter(months)) for name, months in seen.items() if len(months) == 1}


def month_number(word: str, language: str | None = None) -> int | None:
    """The month a written month name stands for, in the page's language first."""
    key = _fold(word)
    if language:
        month = _folded_months(language).get(key)
        if month:
            return month
    return _common_months().get(key)


def day_first(language: str | None) -> bool | None:
    """Whether 3/5/2024 is the 3rd of May on a page in `language`; None when it cannot say.

    Only the United States (and its English without a region on a page that says nothing
    more) write the month first; English without a region is therefore undecided.
    """
    if not language:
        return None
    tag = language.replace("_", "-").lower()
    if tag in {"en-us", "en-ph"}:
        return False
    if tag == "en":
        return None
    return True


@dataclass(frozen=True)
class TextDate:
    """A date found in text, where it was, and whether an "updated" label precedes it."""
    value: date
    start: int
    end: int
    updated: bool = False


_DAY = r"(?P<day>\d{1,2})"
_YEAR = r"(?P<year>\d{4})"
_WORD = r"(?P<month>[^\W\d_]{2,}(?:\s[^\W\d_]{2,})?\.?)"
_ORDINAL = r"(?:\.|st|nd|rd|th|er|ᵉʳ|e|º|°|-?го|-?е)?"
_NAMED_PATTERNS = (
    # 5 July 2024, 5. jula 2024., 1er juillet 2024, 15 de octubre de 2024, 5-го июля 2024
    re.compile(rf"(?<![\d.]){_DAY}{_ORDINAL}\s*(?:of\s+|de\s+)?{_WORD}\s*,?\s*(?:de\s+|del\s+)?"
               rf"{_YEAR}(?!\d)", re.IGNORECASE),
    # July 5, 2024; March 31st 2025; Sept. 5, 2024
    re.compile(rf"{_WORD}\s+{_DAY}(?:st|nd|rd|th)?\s*,?\s*{_YEAR}(?!\d)", re.IGNORECASE),
    # 2018. szeptember 29. (Hungarian), 2024 July 5
    re.compile(rf"(?<!\d){_YEAR}\.?\s+{_WORD}\s+{_DAY}(?!\d)", re.IGNORECASE),
)
_CJK_PATTERN = re.compile(r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日")
_ERA_PATTERN = re.compile(
    r"(?P<era>令和|平成|昭和)\s*(?P<year>\d{1,2}|元)\s*年\s*(?P<month>\d{1,2})\s*月\s*"
    r"(?P<day>\d{1,2})\s*日")
_ERA_START = {"令和": 2018, "平成": 1988, "昭和": 1925}
_KOREAN_PATTERN = re.compile(
    r"(?P<year>\d{4})\s*년\s*(?P<month>\d{1,2})\s*월\s*(?P<day>\d{1,2})\s*일")
_ISO_LIKE = re.compile(
    r"(?<![\d.])(?P<year>(?:19|20)\d{2})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    r"(?![\d])|(?<![\d.])(?P<year2>(?:19|20)\d{2})\.\s(?P<month2>\d{1,2})\.\s(?P<day2>\d{1,2})\.")
_DAY_MONTH_YEAR = re.compile(
    r"(?<![\d.:/])(?P<a>\d{1,2})(?P<sep>[./-])\s?(?P<b>\d{1,2})(?P=sep)\s?(?P<year>(?:19|20)\d{2})"
    r"(?![\d])")
MIN_YEAR, MAX_YEAR = 1900, 2100


def _valid(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, language: str | None = None, *,
               order: bool | None = None) -> list[TextDate]:
    """Every complete date written in `text`, in the order they appear.

    Month names in the page's language and in every language of TEXT_DATE_LANGUAGES (the
    unambiguous ones), CJK "2019年12月4日" and Japanese eras, ISO and numeric forms. A
    numeric date with day and month both 12 or less is kept only when its order is known:
    `order` (True: day first), which a caller learns from the page's unambiguous dates,
    else the language (see `day_first`); dotted dates (05.03.2024) are always day first.
    """
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[date, int, int]] = []

    def add(value: date | None, match: re.Match[str], start: int | None = None) -> None:
        end = match.end()
        start = match.start() if start is None else start
        if value is not None and not any(s < end and start < e for _, s, e in found):
            found.append((value, start, end))

    for match in _ERA_PATTERN.finditer(text):
        year = 1 if match["year"] == "元" else int(match["year"])
        add(_valid(_ERA_START[match["era"]] + year, int(match["month"]), int(match["day"])),
            match)
    for pattern in (_CJK_PATTERN, _KOREAN_PATTERN):
        for match in pattern.finditer(text):
            add(_valid(int(match["year"]), int(match["month"]), int(match["day"])), match)
    for pattern in _NAMED_PATTERNS:
        for match in pattern.finditer(text):
            # a month may be two words (تشرين الثاني); "octubre de" is one and a particle
            words = match["month"].split()
            month = month_number(match["month"], language)
            start = None
            if not month and len(words) > 1:
                # the word next to the day: "on July 5", "octubre de 2024"
                if pattern is _NAMED_PATTERNS[1]:
                    month = month_number(words[-1], language)
                    start = match.start("month") + match["month"].rindex(words[-1])
                else:
                    month = month_number(words[0], language)
            if month:
                add(_valid(int(match["year"]), month, int(match["day"])), match, start)
    for match in _ISO_LIKE.finditer(text):
        if match["year"]:
            add(_valid(int(match["year"]), int(match["month"]), int(match["day"])), match)
        else:
            add(_valid(int(match["year2"]), int(match["month2"]), int(match["day2"])), match)
    for match in _DAY_MONTH_YEAR.finditer(text):
        a, b, year = int(match["a"]), int(match["b"]), int(match["year"])
        # the page's own unambiguous dates first: a CMS's default "en-US" says little
        first = True if match["sep"] == "." else (order if order is not None
                                                  else day_first(language))
        if a > 12 >= b:
            first = True
        elif b > 12 >= a:
            first = False
        elif a != b and first is None:
            continue
        day, month = (a, b) if first in (True, None) else (b, a)
        add(_valid(year, month, day), match)
    dates: list[TextDate] = []
    previous_end = 0
    for value, start, end in sorted(found, key=lambda item: item[1]):
        # "updated" counts when it stands between the previous date and this one
        before = text[max(previous_end, start - 40):start]
        dates.append(TextDate(value, start, end, bool(UPDATE_WORDS.search(before))))
        previous_end = end
    return dates


def numeric_order(text: str) -> bool | None:
    """Whether the slash and dash dates of a text put the day first, as far as those that
    can only be read one way show it: True, False, or None when they do not say (or
    disagree)."""
    days_first = months_first = False
    for match in _DAY_MONTH_YEAR.finditer(unicodedata.normalize("NFKC", text)):
        if match["sep"] == ".":
            continue
        a, b = int(match["a"]), int(match["b"])
        days_first |= a > 12 >= b
        months_first |= b > 12 >= a
    return None if days_first == months_first else days_first


def first_date(text: str, language: str | None = None, *, updates: bool = False) -> date | None:
    """The first date written in `text` (one labelled "updated" only when `updates`)."""
    for found in find_dates(text, language):
        if updates or not found.updated:
            return found.value
    return None


_ISO_VALUE = re.compile(r"^\s*(?P<year>\d{4})-?(?P<month>\d{2})-?(?P<day>\d{2})(?:$|[T\s_])")


def parse_structured_date(value: str) -> date | None:
    """A machine-readable date (ISO 8601, RFC 2822, "2024-05-10 21:35:12", "20240510").

    The date is taken as written, in the site's own time zone: "2024-03-05T23:30:00+01:00"
    is the 5th, whatever it is in UTC.
    """
    value = (value or "").strip()
    if not value:
        return None
    match = _ISO_VALUE.match(value)
    if match:
        return _valid(int(match["year"]), int(match["month"]), int(match["day"]))
    from email.utils import parsedate_tz

    parsed = parsedate_tz(value)
    if parsed is not None and parsed[0]:
        return _valid(parsed[0], parsed[1], parsed[2])
    return first_date(value)


_URL_DATES = (
    # /2019/12/04/ and /2019/12/04-slug
    re.compile(r"/(?P<year>(?:19|20)\d{2})/(?P<month>\d{1,2})/(?P<day>\d{1,2})(?=[/_.-]|$)"),
    # doc_2019-12-04, /2019-12-04/, slug-2019_12_04
    re.compile(r"(?<![\d])(?P<year>(?:19|20)\d{2})([-_])(?P<month>[01]\d)\2(?P<day>[0-3]\d)"
               r"(?![\d])"),
    # t20191204_123.html, news20191204.html, 20191204_123: eight digits glued to a letter or
    # followed by more of the name. A bare /20110305/ path segment is an id, not a date.
    re.compile(r"(?:(?<=[A-Za-z])|(?<![\w]))(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)"
               r"(?P<day>[0-3]\d)(?=[_.-]\w)|(?<=[A-Za-z])(?P<year2>(?:19|20)\d{2})"
               r"(?P<month2>[01]\d)(?P<day2>[0-3]\d)(?!\d)"),
)


def date_from_url(url: str | None) -> date | None:
    """The publication date a URL spells out (/2019/12/04/, t20191204_, 20191204), or None.

    A year and month alone (/2024/07/) are no date.
    """
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    for pattern in _URL_DATES:
        for match in pattern.finditer(path):
            groups = match.groupdict()
            year, month, day = ((groups["year"], groups["month"], groups["day"])
                                if groups["year"] else
                                (groups["year2"], groups["month2"], groups["day2"]))
            value = _valid(int(year), int(month), int(day))
            if value is not None:
                return value
    return None
