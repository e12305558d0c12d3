"""Every URL parameter, read and checked in one place.

The page, the API, the exports and the CLI take the same search parameters; the
document, suggestion and other routes take a few of their own. Each parameter is
declared once with the form it accepts; a malformed value is a 400 naming the
parameter and that form (never a 500 deeper down), and unknown parameters are
ignored: they are dropped here, so they never reach ``url_for`` or a template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from indexer.errors import ParameterError
from indexer.querylang import parse_query_date
from indexer.request import (
    ALL_OF_FACETS,
    DEFAULT_FACET_SIZE,
    EVENT_FILTER,
    FACET_OPERATORS,
    FILTER_FIELDS,
    MAX_FACET_SIZE,
    MAX_FILTER_VALUES,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    SORTS,
    SearchRequest,
)

MAX_VALUE_CHARS = 300  # a facet value longer than any name or id is not one of ours
MAX_CURSOR_CHARS = 1000  # a cursor we give out is well under 200 characters
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHOLE = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int("²") would pass isdigit()
_DAY = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")
_YEAR = re.compile(r"[0-9]{4}")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_CURSOR = re.compile(r"[A-Za-z0-9_-]+={0,2}")


@dataclass(frozen=True)
class Param:
    """One URL parameter: its name, the form it accepts (said in errors and OpenAPI),
    and whether it may be repeated."""

    name: str
    form: str
    repeated: bool = False


def _param_table() -> dict[str, Param]:
    facet_forms = {
        "year": "a year like 2018",
        "month": "a month like 2018-07",
        # Events (issue 11): an event's id, as /api/events gives it.
        EVENT_FILTER: "an event id like 2015-02-17-ivica-dacic-sergey-lavrov",
    }
    table = [
        Param("q", f"query text of at most {MAX_QUERY_LENGTH} characters"),
        Param("page", f"a whole number from 1 to {MAX_PAGE}"),
        Param("size", f"a whole number from 1 to {MAX_PAGE_SIZE}"),
        Param("facet_size", f"a whole number from 1 to {MAX_FACET_SIZE}"),
        Param("sort", f"{', '.join(SORTS[:-1])} or {SORTS[-1]}"),
        Param("from", "a date like 2018, 2018-07 or 2018-07-31"),
        Param("to", "a date like 2018, 2018-07 or 2018-07-31"),
        Param("exact", "1 or 0"),
        Param("cursor", "the 'next' value of an earlier answer"),
        # Events (issue 11): one result per text (language versions and site copies
        # folded in, the default), or every communiqué.
        Param("collapse", "1 (one result per text, the default) or 0 (every version)"),
    ]
    table += [Param(name, facet_forms.get(name, f"text of at most {MAX_VALUE_CHARS} characters"),
                    repeated=True) for name in FILTER_FIELDS]
    # official_op=and: the communiqués naming all the selected officials, not any of them.
    table += [Param(f"{name}_op", "'or' (any value) or 'and' (every value)")
              for name in ALL_OF_FACETS]
    return {p.name: p for p in table}


SEARCH_PARAMS = _param_table()


def _fail(name: str, raw: str, form: str | None = None) -> ParameterError:
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    form = form or SEARCH_PARAMS[name].form
    return ParameterError(name, f"'{name}' must be {form}, not '{shown}'")


def _single(args: MultiDict, name: str) -> str:
    """A parameter's one value ('' when absent); repeating it is an error."""
    values = args.getlist(name)
    if len(values) > 1 and len(set(values)) > 1:
        raise ParameterError(name, f"'{name}' may be given only once")
    return values[0].strip() if values else ""


def whole_number(args: MultiDict, name: str, default: int, low: int, high: int,
                 form: str | None = None) -> int:
    """An integer parameter within [low, high], or ParameterError naming it."""
    raw = _single(args, name)
    if not raw:
        return default
    if not _WHOLE.fullmatch(raw) or not low <= int(raw) <= high:
        raise _fail(name, raw, form or f"a whole number from {low} to {high}")
    return int(raw)


def flag(args: MultiDict, name: str) -> bool:
    raw = _single(args, name).lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise _fail(name, raw, "1 or 0")


def text(args: MultiDict, name: str, max_chars: int) -> str:
    """A free-text parameter: control characters become spaces; too long is an error."""
    raw = _single(args, name)
    if len(raw) > max_chars:
        raise ParameterError(name, f"'{name}' is longer than {max_chars} characters")
    return _CONTROL.sub(" ", raw)


def _day(args: MultiDict, name: str, *, end: bool = False) -> date | None:
    """A date given as YYYY-MM-DD, YYYY-MM or YYYY (a month or year means its span)."""
    raw = _single(args, name)
    if not raw:
        return None
    if _DAY.fullmatch(raw):
        try:
            return parse_query_date(raw, end=end)
        except ValueError:  # QueryError is a ValueError: an impossible day or month
            pass
    raise _fail(name, raw)


_EVENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,199}")
_FACET_VALUE_CHECKS: dict[str, Callable[[str], bool]] = {
    "year": lambda v: bool(_YEAR.fullmatch(v)) and int(v) >= 1,
    "month": lambda v: bool(_MONTH.fullmatch(v)) and int(v[:4]) >= 1,
    EVENT_FILTER: lambda v: bool(_EVENT_ID.fullmatch(v)),
}


def _filters(args: MultiDict) -> dict[str, tuple[str, ...]]:
    filters = {}
    for name in FILTER_FIELDS:
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > MAX_FILTER_VALUES:
            raise ParameterError(name, f"at most {MAX_FILTER_VALUES} values of '{name}' at once")
        check = _FACET_VALUE_CHECKS.get(name)
        for value in values:
            if len(value) > MAX_VALUE_CHARS or _CONTROL.search(value) \
                    or (check is not None and not check(value)):
                raise _fail(name, value)
        if values:
            filters[name] = values
    return filters


def _cursor(args: MultiDict) -> str | None:
    raw = _single(args, "cursor")
    if not raw:
        return None
    if len(raw) > MAX_CURSOR_CHARS or not _CURSOR.fullmatch(raw):
        raise _fail("cursor", raw)
    return raw


def search_request_from_args(
    args: MultiDict, default_page_size: int, *, with_facets: bool = True
) -> SearchRequest:
    """Build a SearchRequest from query-string arguments, or raise ParameterError."""
    sort = _single(args, "sort") or "relevance"
    if sort not in SORTS:
        raise _fail("sort", sort)
    return SearchRequest(
        q=text(args, "q", MAX_QUERY_LENGTH),
        page=whole_number(args, "page", 1, 1, MAX_PAGE, SEARCH_PARAMS["page"].form
                          + "; use the cursor to go deeper"),
        page_size=whole_number(args, "size", default_page_size, 1, MAX_PAGE_SIZE),
        sort=sort,
        date_from=_day(args, "from"),
        date_to=_day(args, "to", end=True),
        filters=_filters(args),
        cursor=_cursor(args),
        facet_size=whole_number(args, "facet_size", DEFAULT_FACET_SIZE, 1, MAX_FACET_SIZE),
        with_facets=with_facets,
        exact=flag(args, "exact"),
        all_of=_all_of(args),
        collapse=flag(args, "collapse") if _single(args, "collapse") else True,
    ).validated()


def _all_of(args: MultiDict) -> frozenset[str]:
    combined = set()
    for name in ALL_OF_FACETS:
        operator = _single(args, f"{name}_op").lower() or "or"
        if operator not in FACET_OPERATORS:
            raise _fail(f"{name}_op", operator)
        if operator == "and":
            combined.add(name)
    return frozenset(combined)


# URL arguments as url_for takes them: a list is a repeated parameter. Values are Any so
# the dict can be unpacked into url_for, whose own keyword parameters (_external, ...)
# are typed.
UrlArgs = dict[str, Any]


def search_args(args: MultiDict) -> UrlArgs:
    """The known search parameters of a request, to build links from: an unknown
    parameter (``format=``, ``endpoint=``, ``_anchor=``) never reaches url_for."""
    return {name: values for name, values in args.to_dict(flat=False).items()
            if name in SEARCH_PARAMS}


# -- the embed routes' own parameters -----------------------------------------------------

MAX_EMBED_LIMIT = 50  # an embed is a short live list; the search page has the rest
EMBED_THEMES = ("auto", "light", "dark")
EMBED_FIELDS = ("title", "date", "ministry", "snippet")
EMBED_PARAMS = {p.name: p for p in (
    Param("limit", f"a whole number from 1 to {MAX_EMBED_LIMIT}"),
    Param("theme", "auto, light or dark"),
    Param("compact", "1 or 0"),
    Param("show", "a comma-separated list of " + ", ".join(EMBED_FIELDS)),
)}


@dataclass(frozen=True)
class EmbedOptions:
    limit: int = 5
    theme: str = "auto"  # auto follows the reader's system setting
    compact: bool = False
    show: tuple[str, ...] = EMBED_FIELDS


def embed_options(args: MultiDict) -> EmbedOptions:
    """How an embed looks, from its URL, or ParameterError naming what is wrong."""
    theme = _single(args, "theme").lower() or "auto"
    if theme not in EMBED_THEMES:
        raise _fail("theme", theme, EMBED_PARAMS["theme"].form)
    raw_show = _single(args, "show")
    show = tuple(dict.fromkeys(f.strip().lower() for f in raw_show.split(",") if f.strip()))
    if raw_show and (not show or any(f not in EMBED_FIELDS for f in show)):
        raise _fail("show", raw_show, EMBED_PARAMS["show"].form)
    return EmbedOptions(
        limit=whole_number(args, "limit", EmbedOptions.limit, 1, MAX_EMBED_LIMIT),
        theme=theme,
        compact=flag(args, "compact"),
        show=show or EMBED_FIELDS,
    )


# -- the events routes' own parameters (issue 11) -------------------------------------------

MAX_EVENTS_PAGE_SIZE = 100
EVENT_PARAMS = {p.name: p for p in (
    Param("official", f"an official's name in any spelling, or id, of at most "
                      f"{MAX_VALUE_CHARS} characters"),
    Param("with", "the other side: an official's name or id, or a country"),
    Param("country", "a country (ISO code like RS, or name); twice for a pair",
          repeated=True),
    Param("from", "a date like 2018, 2018-07 or 2018-07-31"),
    Param("to", "a date like 2018, 2018-07 or 2018-07-31"),
    Param("page", f"a whole number from 1 to {MAX_PAGE}"),
    Param("size", f"a whole number from 1 to {MAX_EVENTS_PAGE_SIZE}"),
    Param("versions", "'text' (one column per text, the default) or 'all' (one per version)"),
)}


@dataclass(frozen=True)
class EventListArgs:
    official: str = ""
    other: str = ""
    countries: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    page: int = 1
    size: int = 20


def event_list_args(args: MultiDict) -> EventListArgs:
    """Which events a list shows, from its URL, or ParameterError naming what is wrong."""
    countries = tuple(dict.fromkeys(v.strip() for v in args.getlist("country") if v.strip()))
    if len(countries) > 2:
        raise ParameterError("country", "'country' may be given at most twice (a pair)")
    for value in countries:
        if len(value) > MAX_VALUE_CHARS or _CONTROL.search(value):
            raise _fail("country", value, EVENT_PARAMS["country"].form)
    start, end = _day(args, "from"), _day(args, "to", end=True)
    if start and end and start > end:
        raise ParameterError("from", "the 'from' date is after the 'to' date")
    return EventListArgs(
        official=text(args, "official", MAX_VALUE_CHARS), other=text(args, "with",
                                                                    MAX_VALUE_CHARS),
        countries=countries, start=start, end=end,
        page=whole_number(args, "page", 1, 1, MAX_PAGE),
        size=whole_number(args, "size", 20, 1, MAX_EVENTS_PAGE_SIZE))


def all_versions(args: MultiDict) -> bool:
    """Whether an event page shows every version (versions=all) or one per text."""
    raw = _single(args, "versions").lower() or "text"
    if raw not in ("text", "all"):
        raise _fail("versions", raw, EVENT_PARAMS["versions"].form)
    return raw == "all"
