"""The query language: what users type, read into a Whoosh query, with syntax errors
that say where (Whoosh silently repairs a broken query into a different one).

Dates (`date:2018`, `date:[2018-07-01 TO 2018-07-31]`) are taken out of the text and
applied as a filter; fields have user-facing names (`title:`, `official:`, `exact:`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import date

from whoosh import query as wq
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FuzzyTermPlugin,
    MultifieldParser,
    PlusMinusPlugin,
    QueryParser,
)
from whoosh.qparser.plugins import BoostPlugin, SingleQuotePlugin

from indexer.errors import QueryError
from indexer.querylimits import MIN_PREFIX_CHARS, check_nesting
from indexer.schema import TITLE_BOOST

# Fields a user may name in a query ("title:kosovo") -> index field.
QUERY_FIELDS = {
    "title": "title",
    "body": "body",
    "text": "body",
    "source": "source",
    "lang": "lang",
    "language": "lang",
    "type": "type",
    "official": "official",
    "country": "country",
    "ministry": "ministry_country",
    # The original spelling only: exact:Дачић finds Дачић, not Dačić or Dacic.
    "exact": "body_exact",
}

# "name:" directly followed by a value; "Kosovo: statement" (with a space) is text.
_FIELD_PREFIX = re.compile(r"(?<![\w])([^\W\d_][\w-]*):(?=\S)")
_DATE_VALUE = r"[0-9]{4}(?:-[0-9]{1,2}(?:-[0-9]{1,2})?)?"
_DATE_CLAUSE = re.compile(
    rf"(?<![\w-])date:(?:\[\s*(?P<start>{_DATE_VALUE}|\*)\s+TO\s+(?P<end>{_DATE_VALUE}|\*)\s*\]"
    rf"|(?P<single>{_DATE_VALUE}))(?=$|[\s)])",
    re.IGNORECASE,
)


def phrase_clause(fieldname: str, value: str) -> str:
    """A `field:"value"` clause for a query built by code, whatever the value holds.

    A quote would end the phrase early and a control character is no word, so both
    become spaces: the analyzer drops them anyway, so the phrase matches the same words.
    """
    words = re.sub(r'["\x00-\x1f\x7f]', " ", value).split()
    return f'{fieldname}:"{" ".join(words)}"'


def _without_phrases(q: str) -> str:
    """The query with quoted text blanked out (same length, so positions hold)."""
    return re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), q)


def check_syntax(q: str) -> None:
    """Reject unbalanced quotes and parentheses and unknown fields, saying where.

    Whoosh silently repairs these, which turns a typo into a different
    search; a journalist should know the query was not read as written.
    """
    depth = 0
    quote_at: int | None = None
    for position, char in enumerate(q):
        if char == '"':
            quote_at = None if quote_at is not None else position
        elif quote_at is None and char == "(":
            depth += 1
        elif quote_at is None and char == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(f"unmatched ')' at position {position + 1}", position=position)
    if quote_at is not None:
        raise QueryError(f"unclosed quote opened at position {quote_at + 1}", position=quote_at)
    if depth > 0:
        position = q.rfind("(")
        raise QueryError(f"unclosed '(' at position {position + 1}", position=position)
    check_nesting(q)
    masked = _without_phrases(q)
    for match in _FIELD_PREFIX.finditer(masked):
        name = match.group(1).lower()
        if name == "date" and _DATE_CLAUSE.match(masked, match.start(1)):
            continue  # a well-formed date clause, taken out as a filter
        if name not in QUERY_FIELDS:
            position = match.start(1)
            if name == "date":
                raise QueryError(
                    f"could not read the date at position {position + 1}: write date:2018,"
                    " date:2018-07 or date:[2018-07-01 TO 2018-07-31]", position=position)
            raise QueryError(
                f"unknown field '{match.group(1)}' at position {position + 1};"
                f" fields are {', '.join(sorted(QUERY_FIELDS))}, date",
                position=position,
            )


def parse_query_date(text: str, *, end: bool) -> date | None:
    """2018, 2018-07 or 2018-07-31 as the first (or last) day it covers."""
    if text == "*":
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}(?:-[0-9]{1,2}){0,2}", text):
            raise ValueError
        parts = [int(p) for p in text.split("-")]
        if len(parts) == 1:
            return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
        if len(parts) == 2:
            if not end:
                return date(parts[0], parts[1], 1)
            return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
        return date(*parts)
    except ValueError:
        raise QueryError(f"'{text}' is not a date") from None


def extract_date_clauses(q: str) -> tuple[str, date | None, date | None]:
    """Take `date:` clauses out of the query text; they become a date filter.

    Whoosh miscounts results when a date range is part of the query (WHOOSH.md,
    trap 1), so dates are always applied as a filter, ANDed with the rest.
    """
    start: date | None = None
    end: date | None = None
    masked = _without_phrases(q)
    pieces = []
    last = 0
    for match in _DATE_CLAUSE.finditer(masked):
        if match.group("single"):
            first = parse_query_date(match.group("single"), end=False)
            final = parse_query_date(match.group("single"), end=True)
        else:
            first = parse_query_date(match.group("start"), end=False)
            final = parse_query_date(match.group("end"), end=True)
        start = max(filter(None, [start, first]), default=None)
        end = min(filter(None, [end, final]), default=None)
        pieces.append(q[last:match.start()])
        last = match.end()
    pieces.append(q[last:])
    return " ".join("".join(pieces).split()), start, end


def positive_leaves(q: wq.Query) -> Iterator[wq.Query]:
    """Leaves that must match: words after NOT or '-' are never highlighted."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from positive_leaves(q.a)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from positive_leaves(child)



def matched_terms(parsed: wq.Query | None, reader) -> set[tuple[str, str]]:
    """("folded" | "exact", word) of every word the query's positive leaves match in the
    text fields, with prefix, wildcard and fuzzy words expanded: what snippets mark."""
    terms: set[tuple[str, str]] = set()
    if parsed is None:
        return terms
    for leaf in positive_leaves(parsed):
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in ("body", "title", "body_exact", "title_exact"):
                text = text.decode("utf-8") if isinstance(text, bytes) else text
                terms.add(("exact" if fieldname.endswith("_exact") else "folded", text))
    return terms


class QueryReader:
    """Reads query text into a Whoosh query, with the syntax errors a user must fix.

    One parser per (schema, exact): a new index generation may bring a new schema.
    """

    def __init__(self) -> None:
        # MultifieldParser is a function that makes a QueryParser.
        self._parsers: dict[tuple[int, bool], QueryParser] = {}

    def _parser(self, schema, exact: bool = False) -> QueryParser:
        parser = self._parsers.get((id(schema), exact))
        if parser is None:
            fields = ["title_exact", "body_exact"] if exact else ["title", "body"]
            parser = MultifieldParser(fields, schema, group=AndGroup,
                                      fieldboosts={"title_exact": TITLE_BOOST})
            # Boosts ("word^3") and single-quoted phrases surprise more than they help;
            # apostrophes occur in names.
            parser.remove_plugin_class(BoostPlugin)
            parser.remove_plugin_class(SingleQuotePlugin)
            # "-word" excludes, but the hyphen inside "sr-Cyrl" or "Botsan-Kharchenko" does not.
            parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+",
                                              minusexpr=r"(?<![^\s(])-"))
            parser.add_plugin(FuzzyTermPlugin())
            aliases: dict[str, list[str]] = {}
            for alias, name in QUERY_FIELDS.items():
                if alias != name:
                    aliases.setdefault(name, []).append(alias)
            parser.add_plugin(FieldAliasPlugin(aliases))
            self._parsers = {**{k: v for k, v in self._parsers.items() if k[0] == id(schema)},
                             (id(schema), exact): parser}
        return parser

    def parse(self, q: str, schema, exact: bool = False):
        """The text query (None when only dates were given) and the query's date range."""
        check_syntax(q)
        text, start, end = extract_date_clauses(q)
        if not text:
            return None, start, end
        parsed = self._parser(schema, exact).parse(text)
        self._check_parsed(parsed)
        return parsed, start, end

    @staticmethod
    def _check_parsed(parsed: wq.Query) -> None:
        allowed = set(QUERY_FIELDS.values()) | {"title_exact"}
        for node in parsed.leaves():
            error = getattr(node, "error", None)
            if error:
                raise QueryError(f"could not read the query: {error}")
            if isinstance(node, wq.Every):
                raise QueryError("'*' alone matches everything; leave the query empty instead")
            fieldname = getattr(node, "fieldname", None)
            if fieldname and fieldname not in allowed:
                raise QueryError(f"unknown field '{fieldname}'")
            if isinstance(node, wq.Prefix | wq.Wildcard):
                stem = re.split(r"[*?]", node.text)[0]
                if len(stem) < MIN_PREFIX_CHARS:
                    raise QueryError(
                        f"'{node.text}*': a wildcard needs at least {MIN_PREFIX_CHARS} letters"
                        " before it"
                    )
