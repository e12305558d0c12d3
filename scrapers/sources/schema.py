"""The strict shape of a source definition: every table's keys, their types, their lines.

`check_definition` walks a parsed definition against `TABLES` and raises
`SourceDefinitionError` on the first problem, naming the file, the key and its line:
an unknown or misplaced key, a missing required one, a value of the wrong type, a CSS
selector that does not parse, a regular expression that does not compile, a date format
with a directive `scrapers/dates.py` does not read, or an unknown strategy. tomllib
keeps no positions, so `KeyLines` finds a key's line by scanning the file's text within
its table (like `indexer/entities/check.py` does for the officials registry).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

import soupsieve

from scrapers.dates import DIRECTIVES


class SourceDefinitionError(ValueError):
    """A source definition file is missing something or malformed."""


class Kind(Enum):
    """What a key's value must be."""

    TEXT = "a string"
    TEXTS = "a string or a list of strings"
    SELECTORS = "a CSS selector or a list of them"
    PATTERNS = "a regular expression or a list of them"
    INTEGER = "an integer"
    BOOLEAN = "true or false"
    DURATION = "a duration (like 3600, \"30m\", \"6h\", \"1d\" or \"hourly\")"
    STRATEGY = "a strategy name"
    TABLE = "a table"
    TABLES = "an array of tables ([[...]])"
    TEXT_MAP = "a table of strings"
    FORMAT_MAP = "a table of date formats per language"


@dataclass(frozen=True)
class Key:
    kind: Kind
    required: bool = False
    table: str | None = None  # TABLE / TABLES: the name of the nested table's schema


def _keys(required: tuple[str, ...] = (), **kinds: Kind | Key) -> dict[str, Key]:
    keys = {name: kind if isinstance(kind, Key) else Key(kind) for name, kind in kinds.items()}
    for name in required:
        keys[name] = Key(keys[name].kind, True, keys[name].table)
    return keys


# Each table a definition may hold, by the name its header carries in the file.
TABLES: dict[str, dict[str, Key]] = {
    "": _keys(
        ("id", "name", "country", "strategy", "languages", "sites"),
        id=Kind.TEXT, name=Kind.TEXT, short_name=Kind.TEXT, country=Kind.TEXT,
        country_name=Kind.TEXT, strategy=Kind.STRATEGY, languages=Kind.TEXTS,
        sites=Key(Kind.TABLES, table="sites"), host_aliases=Kind.TEXT_MAP,
        block_markers=Kind.TEXTS, gone_markers=Kind.TEXTS, doc_types=Kind.TEXT_MAP,
        site_names=Kind.TEXTS,
        interval=Kind.DURATION, recheck=Kind.DURATION, max_requests=Kind.INTEGER,
        max_seconds=Kind.DURATION,
    ),
    "sites": _keys(
        ("base_url", "sections"),
        name=Kind.TEXT, base_url=Kind.TEXT,
        listing=Key(Kind.TABLE, table="sites.listing"),
        article=Key(Kind.TABLE, table="sites.article"),
        sections=Key(Kind.TABLES, table="sites.sections"),
        date_formats=Kind.FORMAT_MAP, max_pages=Kind.INTEGER, hosts=Kind.TEXTS,
        interval=Kind.DURATION,
    ),
    "sites.listing": _keys(
        ("items", "link"),
        items=Kind.SELECTORS, link=Kind.SELECTORS, date=Kind.SELECTORS,
        next=Kind.SELECTORS, doc_type=Kind.SELECTORS, page_pattern=Kind.TEXT,
    ),
    "sites.article": _keys(
        ("title", "body"),
        title=Kind.SELECTORS, body=Kind.SELECTORS, date=Kind.SELECTORS,
        exclude=Kind.SELECTORS, remove=Kind.SELECTORS, boilerplate=Kind.TEXTS,
        boilerplate_patterns=Kind.PATTERNS, stop_at=Kind.TEXTS, doc_type=Kind.SELECTORS,
        speaker=Kind.SELECTORS, document_number=Kind.SELECTORS,
    ),
    "sites.sections": _keys(
        ("path", "language", "doc_type"),
        path=Kind.TEXT, language=Kind.TEXT, doc_type=Kind.TEXT, strategy=Kind.STRATEGY,
        full_text=Kind.BOOLEAN,
    ),
}

# A concrete place in a definition: keys and array indexes, ("sites", 0, "listing").
Place = tuple[str | int, ...]


def _header(place: Place) -> str:
    """How a table is written in the file: [sites.listing], or "the top level"."""
    name = ".".join(p for p in place if isinstance(p, str))
    return f"[{name}]" if name else "the top level"


def _dotted(place: Place) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p)
                   for i, p in enumerate(place))


# -- where keys are in the file ---------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_NAME = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^\s*({_NAME}(?:\s*\.\s*{_NAME})*)\s*=")


def _key_parts(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in re.findall(_NAME, text)]


def _brackets(line: str) -> int:
    """Open minus closed [ { outside strings and comments: the nesting a line leaves."""
    depth = 0
    quote = ""
    escaped = False
    for char in line:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth


class KeyLines:
    """The line of each key and table header of a TOML file, by concrete place."""

    def __init__(self, text: str | None) -> None:
        self.tables: dict[Place, int] = {}
        self.keys: dict[Place, int] = {}
        if text is None:
            return
        counts: dict[Place, int] = {}  # array of tables (concrete parent + name) -> entries
        table: Place = ()
        depth = 0
        in_multiline = ""
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:  # inside a """ or ''' string: no keys here
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = ""
                continue
            if depth == 0:
                header = _HEADER.match(line)
                if header:
                    table = self._table(header.group(1) == "[[", _key_parts(header.group(2)),
                                        counts)
                    self.tables.setdefault(table, number)
                    continue
                key = _KEY.match(line)
                if key:
                    place = table + tuple(_key_parts(key.group(1)))
                    self.keys.setdefault(place, number)
                    rest = line[key.end():]
                    for delimiter in ('"""', "'''"):
                        if rest.count(delimiter) % 2 == 1:
                            in_multiline = delimiter
                    depth = max(0, _brackets(rest))
                    continue
            depth = max(0, depth + _brackets(line))

    def _table(self, array: bool, names: list[str], counts: dict[Place, int]) -> Place:
        """The concrete place of a header: each array of tables on its way at its last entry."""
        place: Place = ()
        for i, name in enumerate(names):
            place += (name,)
            last = i == len(names) - 1
            if last and array:
                counts[place] = counts.get(place, 0) + 1
                # A new entry of an array of tables starts afresh below it.
                for other in [p for p in counts if len(p) > len(place) and p[:len(place)]
                              == place]:
                    del counts[other]
                place += (counts[place] - 1,)
            elif place in counts:
                place += (counts[place] - 1,)
        return place

    def line(self, place: Place) -> int:
        """The line of a key (or the nearest table around it that the file names)."""
        if place in self.keys:
            return self.keys[place]
        while place:
            if place in self.tables:
                return self.tables[place]
            if place in self.keys:
                return self.keys[place]
            place = place[:-1]
        return 1


# -- checking ---------------------------------------------------------------------------


@dataclass
class _Checker:
    where: str
    lines: KeyLines
    strategies: Mapping[str, object]

    def fail(self, place: Place, message: str) -> SourceDefinitionError:
        return SourceDefinitionError(f"{self.where}:{self.lines.line(place)}: {message}")

    def table(self, data: object, schema_name: str, place: Place) -> None:
        schema = TABLES[schema_name]
        if not isinstance(data, dict):
            raise self.fail(place, f"{_header(place)} must be a table")
        for key, value in data.items():
            if key not in schema:
                raise self.fail(place + (key,), self.unknown(key, schema_name))
            self.value(value, schema[key], place + (key,))
        for key, spec in schema.items():
            if spec.required and key not in data:
                raise self.fail(place, f"{_header(place)}: missing required key '{key}'")

    @staticmethod
    def unknown(key: str, schema_name: str) -> str:
        header = f"[{schema_name}]" if schema_name else "the top level"
        elsewhere = [f"[{name}]" if name else "the top level"
                     for name, keys in TABLES.items() if key in keys and name != schema_name]
        if elsewhere:
            return f"key '{key}' does not belong in {header} (it goes in {' or '.join(elsewhere)})"
        close = difflib.get_close_matches(key, TABLES[schema_name], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key '{key}' in {header}{hint}"

    def value(self, value: object, spec: Key, place: Place) -> None:
        name = _dotted(place)
        kind = spec.kind

        def wrong() -> SourceDefinitionError:
            return self.fail(place, f"'{name}' must be {kind.value}, not {_type_name(value)}")

        if kind is Kind.TABLE:
            assert spec.table is not None
            self.table(value, spec.table, place)
        elif kind is Kind.TABLES:
            assert spec.table is not None
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise wrong()
            for index, entry in enumerate(value):
                self.table(entry, spec.table, place + (index,))
        elif kind is Kind.TEXT or kind is Kind.STRATEGY:
            if not isinstance(value, str):
                raise wrong()
            if kind is Kind.STRATEGY and value not in self.strategies:
                raise self.fail(place, f"'{name}': unknown strategy {value!r} (known:"
                                       f" {', '.join(self.strategies)})")
        elif kind in (Kind.TEXTS, Kind.SELECTORS, Kind.PATTERNS):
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                raise wrong()
            check = {Kind.SELECTORS: _selector_problem, Kind.PATTERNS: _pattern_problem}.get(kind)
            for item in items if check else ():
                problem = check(item) if check else None
                if problem:
                    raise self.fail(place, f"'{name}': {problem}")
        elif kind is Kind.INTEGER:
            if not isinstance(value, int) or isinstance(value, bool):
                raise wrong()
        elif kind is Kind.BOOLEAN:
            if not isinstance(value, bool):
                raise wrong()
        elif kind is Kind.DURATION:
            from scrapers.sources import parse_duration

            if isinstance(value, bool) or not isinstance(value, int | str):
                raise wrong()
            try:
                parse_duration(value, name)
            except SourceDefinitionError as exc:
                raise self.fail(place, str(exc)) from None
        elif kind is Kind.TEXT_MAP:
            if not isinstance(value, dict):
                raise wrong()
            for key, item in value.items():
                if not isinstance(item, str):
                    raise self.fail(place + (key,), f"'{name}.{key}' must be a string, not"
                                                    f" {_type_name(item)}")
        elif kind is Kind.FORMAT_MAP:
            if not isinstance(value, dict):
                raise wrong()
            for language, formats in value.items():
                items = [formats] if isinstance(formats, str) else formats
                if not isinstance(items, list) or not all(isinstance(f, str) for f in items):
                    raise self.fail(place + (language,), f"'{name}.{language}' must be a date"
                                    f" format or a list of them, not {_type_name(formats)}")
                for fmt in items:
                    problem = _format_problem(fmt)
                    if problem:
                        raise self.fail(place + (language,), f"'{name}.{language}': {problem}")


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _selector_problem(selector: str) -> str | None:
    """Why a "selector" or "selector@attribute" does not parse, or None."""
    css = selector.rsplit("@", 1)[0] if "@" in selector else selector
    if "@" in selector and not re.fullmatch(r"[\w:.-]+", selector.rsplit("@", 1)[1]):
        return f"bad attribute name in selector {selector!r}"
    if not css.strip():
        return f"empty selector {selector!r}"
    try:
        soupsieve.compile(css)
    except soupsieve.SelectorSyntaxError as exc:
        return f"bad selector {selector!r}: {str(exc).splitlines()[0]}"
    return None


def _pattern_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"bad pattern {pattern!r}: {exc}"
    return None


def _format_problem(fmt: str) -> str | None:
    """Why a date format cannot be read by scrapers/dates.py (an unknown directive)."""
    for match in re.finditer(r"%(.?)", fmt):
        if match.group(1) not in DIRECTIVES:
            directive = "%" + match.group(1)
            known = ", ".join("%" + d for d in DIRECTIVES)
            return f"unknown directive {directive!r} in date format {fmt!r} (known: {known})"
    return None


def check_definition(data: Mapping[str, object], where: str, text: str | None = None,
                     strategies: Mapping[str, object] | None = None) -> None:
    """Raise SourceDefinitionError naming `where`, the key and its line (from `text`, the
    file's source; line 1 without it) on the first problem of a parsed definition."""
    if strategies is None:
        # Imported here: the strategies import this package's dataclasses.
        from scrapers.strategies import STRATEGIES

        strategies = STRATEGIES
    _Checker(where, KeyLines(text), strategies).table(dict(data), "", ())

