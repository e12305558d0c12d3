"""Stage 1: seeded hostile requests over every route of the app, served for real.

The routes come from the app's own `url_map`, so a new route is fuzzed without a change
here. Each request draws a route, fills its path arguments and query parameters with a mix
of good values (taken from the index being served) and hostile ones, and is sent over
loopback with a client timeout. Statuses are counted per route; every 5xx, timeout, broken
connection or truncated body is a failure, and each distinct failing URL is replayed alone
so its traceback can be cut from the server log.
"""

from __future__ import annotations

import base64
import http.client
import queue
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import Flask

from benchmarks.reliability.common import (
    LIMITS_OFF_CONFIG,
    fixture_index,
    latency_ms,
    say,
    search_time_limit,
    waitress_server,
)

DEFAULT_REQUESTS = 10_000
DEFAULT_THREADS = 4
CLIENT_TIMEOUT = 30.0
MAX_BODY_BYTES = 64 * 1024 * 1024
REPLAY_LIMIT = 300  # distinct failing URLs replayed alone for their traceback
NO_ROUTE = "(no route)"
# What a client-side failure means, for the report.
CLIENT_ERRORS = {
    "LineTooLong": "a response header line over http.client's 64 KiB limit; a proxy in front"
                   " would fail the same way",
    "TimeoutError": "no answer within the client timeout",
    "IncompleteRead": "the body ended before its announced length",
    "RemoteDisconnected": "the server closed the connection without an answer",
}
# 5xx the app sends on purpose: listed in the figures, not counted as failures.
DESIGNED_5XX = {501: "oEmbed's answer to a format it does not serve",
                503: "a search stopped at the search time limit"}

# Routes that read a search from their query string are found by probing the app (see
# probe_routes) and fuzzed hardest; these are assumed when probing finds none.
SEARCH_ENDPOINTS = ("pages.search", "api.search", "api.export")
SEARCH_WEIGHT = 3.0
MIN_SHARE = 0.015  # every route gets at least this share of the requests
SINGLE_FAULT_SHARE = 0.5  # of the random requests, those good but for one parameter
SWEEP_SHARE = 0.25  # at most this share of the requests goes to the catalogue sweep

FILTER_PARAMS = ("source", "language", "type", "year", "month", "official", "country",
                 "ministry_country")
NUMBER_PARAMS = ("page", "size", "facet_size", "limit", "version")
DATE_PARAMS = ("from", "to")
KNOWN_PARAMS = ("q", "sort", "cursor", "exact", *NUMBER_PARAMS, *DATE_PARAMS, *FILTER_PARAMS,
                "official_op", "country_op", "format")
# The parameter a route is about, given to most of its requests.
ROUTE_PARAMS = {"entities.suggest": "q", "pages.communique": "version",
                "api.communique": "version", "embed.oembed": "url"}
# Parameters of embeds and oEmbed, in case webapp.params does not declare them.
EXTRA_PARAMS = ("url", "maxwidth", "maxheight", "theme", "show", "compact")
# Path-argument values tried on routes whose arguments the harness knows nothing about.
PATH_CANDIDATES = ("csv", "jsonl", "json", "atom", "rss", "xml", "html", "ics", "txt", "1")
# Names with a meaning elsewhere: url_for's own keywords, Flask/werkzeug internals.
UNKNOWN_PARAMS = ("endpoint", "_anchor", "_external", "_scheme", "_method", "values",
                  "format", "callback", "__proto__", "q[]", "", "x")

LONG = 10_000
HOSTILE: tuple[str, ...] = (
    "", " ", "x", "0", "-1", "-0", "+1", "1e3", "0x10", "1.5", "NaN", "inf", "None", "null",
    "true", "[]", "{}", "99999999999999999999999", str(2**63), str(-(2**63) - 1),
    "²²²²", "٣", "１２", "⑤", "2018-13", "2018-00", "2018-02-30", "2018-7", "18-07-31",
    "0001", "0000", "9999", "9999-12-31", "0001-01-01", "2018-07-31T00:00", "2018/07/31",
    "\x00", "a\x00b", "\x01\x02\x1f\x7f", "\r\nX-Injected: 1", "\t", "%", "%00", "%ff",
    "../../etc/passwd", "'", '"', "<script>", "😀", "\u202e", "\ufeff", "\ud7ff", "Дачић",
    "x" * LONG, "é" * (LONG // 2), "9" * LONG, "-" * LONG,
)
QUERY_JUNK: tuple[str, ...] = (
    '"', '"kosovo', "(", ")", "((kosovo)", "kosovo)", "title:", "field:", "nofield:x", ":",
    'title:"', "~", "~9", "kosovo~", "kosovo~9", "abcdefghijklmnop~9", "dacic~2/9",
    "dacic~0.5", "*", "a*", "ab*", "abc*", "*abc", "?", "k?sovo", "a*b*c*d*", "????????",
    "date:", "date:2018-13", "date:[2018 TO]", "date:[* TO *]", "date:[2020 TO 2010]",
    "date:²²²²", "date:0001", "date:9999", "date:[0001 TO 9999]", '"a b"~', '"a b"~999999999',
    "kosovo^", "kosovo^99999999", "kosovo^-1", "AND", "OR", "NOT", "AND OR NOT", "-", "--kosovo",
    "+kosovo", "exact:", 'exact:"', 'official:""', "lang:xx", "source:*", "{", "}", "[", "]",
    "[a TO b]", "{a TO b}", "\\", "title:(a OR b)", "title:title:x", "\x00", "kosovo\x00",
    "(" * 240 + "a" + ")" * 240, "(" * 499, "NOT " * 120, "-a " * 160,
    " OR ".join(["a"] * 1000), " OR ".join(["kosovo"] * 70), " AND ".join(["serbia"] * 70),
    "abcdefghijklmnop~9 " * 25, "ab~2 " * 100, "abc* " * 100, "a?c* " * 100,
    '"' + "a " * 240 + '"', '"kosovo serbia"~' + "9" * 30, "kosovo " * 80, "x" * 501,
    "%", "%25", "date:[2018-01-01 TO 2018-12-31] " * 15,
)
QUERY_NUMBERS: tuple[str, ...] = ("0", "1", "2", "3", "-1", "1.5", "-0.5", "1e9", "10" * 16,
                                  "9" * 40, str(2**31), str(2**63), str(2**64), "9" * 400,
                                  "²", "٣", "１", "0x10", "NaN", "inf", "", "*", "2018", "0000",
                                  "9999-99", "2018-02-29", "2020-02-29")
# Clauses of the query language that carry a number; {w} words, {n} and {m} numbers.
NUMBER_CLAUSES: tuple[str, ...] = ('"{w}"~{n}', "{w}~{n}", "{w}^{n}", "date:{n}", "date:{n}-{m}",
                                   "date:[{n} TO {m}]", "title:{w}~{n}", "({w})^{n}")
CURSOR_JUNK: tuple[str, ...] = (
    "MTIz", "bnVsbA", "e30", "W10", "InN0ciI", "eyJmIjoxfQ", "eyJmIjpudWxsfQ", "!!!", "====",
    "A", "AAAA" * 2500, "%", "eyJmIjoiIiwibyI6MH0",
)
# Wrong field types in a cursor bound to the right search (see encode_cursor).
CURSOR_POSITIONS: tuple[dict, ...] = (
    {"o": "x"}, {"o": -5}, {"o": 10**30}, {"o": None}, {"o": [1]}, {"o": 1.5}, {"o": True},
    {"k": "x", "i": 3}, {"k": None, "i": None}, {"k": 10**30, "i": "z"}, {"k": -1, "i": ""},
    {"k": 737000, "i": ["a"]}, {"k": [], "i": {}}, {"o": 0, "k": 1, "i": "a"}, {},
)
SORT_VALUES = ("relevance", "newest", "oldest")
EXACT_VALUES = ("1", "true", "yes", "on", "0", "false", "")
OP_VALUES = ("and", "or", "AND", "OR", "all", "any", "not")
FORMAT_VALUES = ("csv", "jsonl", "json", "html", "xml")
THEME_VALUES = ("auto", "light", "dark")
SHOW_VALUES = ("title", "title,date", "date,ministry,snippet", "snippet,title", ",")
# Segments sent exactly as written (already percent-encoded, or deliberately broken).
RAW_SEGMENTS: tuple[str, ...] = ("%00", "%ff", "%", "%2", "%zz", "..", ".", "%2e%2e", "%2F",
                                 "%0d%0aX-Injected:%201", "%C0%AE", "~", "*", "'", "%22",
                                 '"')
NO_ROUTE_PATHS: tuple[str, ...] = ("/api/", "/api/search/", "/%00", "//", "/communiques/",
                                   "/static/", "/api/export.xml", "/api/export.", "/index.php",
                                   "/.env", "/static/..%2f..%2fpyproject.toml", "/countries/RS",
                                   "/officials/", "/api/officials/", "/help/", "/%ff")


class Raw(str):
    """A path segment sent as written (not percent-encoded again)."""


@dataclass(frozen=True)
class FuzzRequest:
    method: str
    path: str  # path and query string, percent-encoded, as sent
    route: str  # the url_map rule it aims at


@dataclass
class Outcome:
    request: FuzzRequest
    status: int | None  # None when there was no complete response
    error: str | None  # "timeout", "connection", "incomplete body" ...
    seconds: float

    @property
    def label(self) -> str:
        return str(self.status) if self.status is not None else (self.error or "?")

    @property
    def failed(self) -> bool:
        """No complete response, or a 5xx the app does not answer on purpose."""
        return self.status is None or (self.status >= 500 and self.status not in DESIGNED_5XX)


ARGUMENT = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def routes(app: Flask) -> list[tuple[str, str, dict]]:
    """(rule, endpoint, converters) of every GET route in the app."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()):
            found.append((rule.rule, rule.endpoint, dict(rule._converters)))
    return sorted(found)


@dataclass
class Values:
    """What the app itself says is good: ids, names, facet values and words from the index,
    working cursors, the parameters it declares, the path values its routes accept, and
    which routes read a search from their query string."""

    communique_ids: list[str] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    official_ids: list[str] = field(default_factory=list)
    official_names: list[str] = field(default_factory=list)
    country_codes: list[str] = field(default_factory=list)
    facet_values: dict[str, list[str]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    cursor_searches: list[list[tuple[str, str]]] = field(default_factory=list)
    static_files: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    path_values: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # rule -> arg
    search_routes: set[str] = field(default_factory=set)
    page_paths: list[str] = field(default_factory=list)  # pages of this site, for url=


def declared_params() -> list[str]:
    """Every query parameter the app declares (webapp.params' *_PARAMS tables), with the
    ones this harness knows; a parameter added to a table is fuzzed without a change here."""
    import webapp.params as declared

    names = list(KNOWN_PARAMS) + list(EXTRA_PARAMS)
    for attribute in dir(declared):
        table = getattr(declared, attribute)
        if attribute.endswith("_PARAMS") and isinstance(table, dict):
            names += [str(getattr(p, "name", key)) for key, p in table.items()]
    return list(dict.fromkeys(names))


def collect_values(app: Flask) -> Values:
    """Good values from the app's own index, then its routes probed in-process."""
    from werkzeug.datastructures import MultiDict

    from indexer.archive import Archive
    from indexer.entities import extractor_for
    from indexer.entities.countries import gazetteer
    from indexer.search import SearchRequest
    from webapp.params import search_request_from_args

    service = app.extensions["search"]
    data_dir = app.config["DATA_DIR"]
    values = Values()
    with Archive(data_dir, readonly=True) as archive:
        records = list(archive.all_current())
        for record in records:
            values.communique_ids.append(record.id)
            values.versions[record.id] = len(archive.versions(record.id))
    words = Counter(w.lower() for r in records for w in re.findall(r"\w{4,}", r.title))
    values.words = [w for w, _ in words.most_common(200)]
    registry = extractor_for(str(data_dir)).registry
    values.official_ids = sorted(registry.by_id)
    values.official_names = sorted(o.name for o in registry.by_id.values())
    values.country_codes = sorted(gazetteer().names)
    results = service.search(SearchRequest(facet_size=500, page_size=1))
    values.facet_values = {f.name: [v.value for v in f.values] for f in results.facets}
    for params in (
        [("q", ""), ("size", "2")],
        [("q", values.words[0] if values.words else "kosovo"), ("size", "1")],
        [("q", ""), ("sort", "oldest"), ("size", "3")],
        [("q", ""), ("sort", "newest"), ("size", "1"), ("language", "en")],
    ):
        first = service.search(search_request_from_args(MultiDict(params), 10))
        if first.next_cursor:
            values.cursor_searches.append([*params, ("cursor", first.next_cursor)])
    static = Path(app.static_folder or "")
    values.static_files = sorted(p.name for p in static.iterdir()) if static.is_dir() else []
    values.params = declared_params()
    probe_routes(app, values)
    return values


def known_path_values(values: Values) -> dict[str, list[str]]:
    first_official = "ivica-dacic" if "ivica-dacic" in values.official_ids else \
        (values.official_ids or ["x"])[0]
    return {
        "communique_id": values.communique_ids,
        "id": values.communique_ids,
        "official_id": [first_official, *values.official_ids],
        "first": ["RS", *values.country_codes],
        "second": ["RU", *values.country_codes],
        "filename": values.static_files,
    }


def probe_routes(app: Flask, values: Values) -> None:
    """Which values each unknown path argument accepts (e.g. a feed's format), and which
    routes read a search (an unclosed quote in q is a 400 there), asked of the app
    in-process, before the server is fuzzed."""
    known = known_path_values(values)
    client = app.test_client()
    for rule, _, converters in routes(app):
        arguments = ARGUMENT.findall(rule)
        chosen = {a: (known.get(a) or [""])[0] for a in arguments}
        for argument in arguments:
            if known.get(argument):
                continue
            items = getattr(converters.get(argument), "items", None)
            good = []
            # Format-like words first; values from the index only if none of them is taken.
            for candidates in ([sorted(items)] if items else [PATH_CANDIDATES, _pool(values)]):
                for candidate in candidates:
                    path = fill_rule(rule, {**chosen, argument: candidate})
                    if client.get(path).status_code < 400:
                        good.append(candidate)
                if good:
                    break
            if good:
                chosen[argument] = good[0]
                values.path_values.setdefault(rule, {})[argument] = good
        path = fill_rule(rule, chosen)
        if client.get(path).status_code < 400:
            values.page_paths.append(path)
            if client.get(path + "?q=%22").status_code == 400:
                values.search_routes.add(rule)


def _pool(values: Values) -> list[str]:
    """Values of every kind the index has, tried on an argument the harness does not know
    (a country code, an official's id and name, a country's name, a communiqué id...)."""
    from indexer.entities.countries import gazetteer

    names = [gazetteer().names.get(code, code) for code in ("RS", "RU")]
    return list(dict.fromkeys([
        "RS", "RU", "rs", *values.official_ids[:2], *values.official_names[:2], *names,
        *values.communique_ids[:1], *values.words[:2]]))


def fill_rule(rule: str, chosen: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda m: quote(chosen[m.group(1)], safe=""), rule)


# -- planning ---------------------------------------------------------------------------

class Planner:
    """Draws the requests; one seeded generator, so a seed is one exact list of requests."""

    def __init__(self, app: Flask, values: Values, seed: int,
                 base_url: str = "http://127.0.0.1") -> None:
        self.rng = random.Random(seed)
        self.values = values
        self.routes = routes(app)
        self.base_url = base_url
        self.params = values.params or list(KNOWN_PARAMS)
        self.search_routes = values.search_routes or {
            rule for rule, endpoint, _ in self.routes if endpoint in SEARCH_ENDPOINTS}
        self.known_segments = known_path_values(values)
        # While set, values are drawn from the good ones only: a request with one fault
        # among good parameters reaches deeper than one that fails on its first check.
        self.strict = False

    def bad(self, share: float) -> bool:
        """Whether to draw a hostile value (never while strict)."""
        return not self.strict and self.rng.random() < share

    # values -------------------------------------------------------------------------
    def pick(self, items: Sequence[str]) -> str:
        return self.rng.choice(items) if items else self.rng.choice(HOSTILE)

    def hostile(self) -> str:
        if self.rng.random() < 0.1:
            return base64.urlsafe_b64encode(self.rng.randbytes(self.rng.randint(1, 60))) \
                .decode().rstrip("=")
        return self.rng.choice(HOSTILE)

    def query(self) -> str:
        roll = self.rng.random()
        words = self.values.words or ["kosovo"]
        w1, w2 = self.rng.choice(words), self.rng.choice(words)
        if self.strict:
            roll = 1.0
        if roll < 0.25:
            return self.rng.choice(QUERY_JUNK)
        if roll < 0.33:
            return self.hostile()
        if roll < 0.48:  # the query language's numbers: slop, edits, boosts, dates
            n, m = self.rng.choice(QUERY_NUMBERS), self.rng.choice(QUERY_NUMBERS)
            return self.rng.choice(NUMBER_CLAUSES).format(w=f"{w1} {w2}", n=n, m=m)
        name = self.pick(self.values.official_names)
        good = [w1, f"{w1} {w2}", f'"{w1} {w2}"', f"title:{w1}", f'official:"{name}"',
                f"{w1[:4]}*", f"{w1}~", f"{w1}~2", f"{w1} OR {w2}", f"{w1} -{w2}",
                f"({w1} OR {w2}) {name.split()[-1]}", f"date:{self.rng.randint(1990, 2030)}",
                f'"{w1} {w2}"~5', f"exact:{w1}", "", f"{w1} date:[2018-01-01 TO *]"]
        query = self.rng.choice(good)
        if self.bad(0.15):  # good words, junk glued on
            query += " " + self.rng.choice(QUERY_JUNK)
        return query

    def version(self) -> str:
        if not self.bad(0.5):
            return self.rng.choice(("1", "2", "3"))
        return self.number()

    def number(self) -> str:
        if self.strict:
            return str(self.rng.choice((1, 2, 3, 10)))
        if self.rng.random() < 0.5:
            return str(self.rng.choice((1, 2, 3, 10, 50, 100, 101, 500, 501, 1000, 1001)))
        return self.hostile()

    def date(self) -> str:
        if not self.bad(0.5):
            year = self.rng.randint(1990, 2030)
            return self.rng.choice((str(year), f"{year}-{self.rng.randint(1, 12):02d}",
                                    f"{year}-{self.rng.randint(1, 12):02d}-"
                                    f"{self.rng.randint(1, 28):02d}"))
        return self.hostile()

    def filter_value(self, name: str) -> str:
        known = self.values.facet_values.get(name, [])
        if name == "official" and (self.rng.random() < 0.3 or not known):
            return self.pick(self.values.official_names)
        if name in ("country", "ministry_country") and (self.rng.random() < 0.2 or not known):
            return self.pick(self.values.country_codes)
        return self.pick(known) if known and not self.bad(0.4) else self.hostile()

    def cursor(self, params: list[tuple[str, str]]) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return self._crafted_cursor(params)
        if roll < 0.7:
            return self.rng.choice(CURSOR_JUNK)
        if roll < 0.85 and self.values.cursor_searches:
            return dict(self.rng.choice(self.values.cursor_searches))["cursor"]
        return self.hostile()

    def _crafted_cursor(self, params: list[tuple[str, str]]) -> str:
        """A cursor bound to this very search (right fingerprint) with wrong field types."""
        from werkzeug.datastructures import MultiDict

        from indexer.errors import QueryError
        from indexer.search import SearchRequest, encode_cursor
        from webapp.params import search_request_from_args

        try:
            request = search_request_from_args(MultiDict(params), 10)
        except (QueryError, ValueError, TypeError, OverflowError):
            request = SearchRequest(q=dict(params).get("q", ""))
        return encode_cursor(request, dict(self.rng.choice(CURSOR_POSITIONS)))

    def value_for(self, name: str, params: list[tuple[str, str]]) -> str:
        if name == "q":
            return self.query()
        if name == "version":
            return self.version()
        if name in NUMBER_PARAMS:
            return self.number()
        if name in DATE_PARAMS:
            return self.date()
        if name in FILTER_PARAMS:
            return self.filter_value(name)
        choices = {"sort": SORT_VALUES, "exact": EXACT_VALUES, "compact": EXACT_VALUES,
                   "format": FORMAT_VALUES, "theme": THEME_VALUES, "show": SHOW_VALUES}
        if name.endswith("_op"):
            name, choices["_op"] = "_op", OP_VALUES
        if name in choices:
            return self.rng.choice(choices[name]) if not self.bad(0.4) else self.hostile()
        if name == "cursor":
            return self.cursor(params)
        if name == "url":
            return self.page_url() if not self.bad(0.4) else self.hostile()
        if name.startswith("max"):
            return self.number()
        return self.hostile()

    def page_url(self) -> str:
        """An address for oEmbed's url=: a page of this site, or one that only looks so."""
        path = self.pick(self.values.page_paths or ["/"])
        if self.strict or self.rng.random() < 0.5:
            return self.base_url + path
        if self.rng.random() < 0.5:
            return f"{self.base_url}/?q={quote(self.query(), safe='')}"
        return self.rng.choice((
            "http://localhost" + path, "https://example.org" + path, "//127.0.0.1" + path,
            path, "javascript:alert(1)//" + path, self.base_url + "/%00", self.base_url,
            self.base_url.replace("http:", "ftp:") + path, self.base_url + "/static/x"))

    def segment(self, rule: str, name: str, converter: object) -> str:
        items = getattr(converter, "items", None)
        known = self.values.path_values.get(rule, {}).get(name) or self.known_segments.get(name)
        roll = self.rng.random()
        if items and roll < 0.8:
            return self.rng.choice(sorted(items))
        if known and roll < 0.6:
            value = self.rng.choice(known)
            return value.lower() if name in ("first", "second") and roll < 0.1 else value
        if roll < 0.8:
            return Raw(self.rng.choice(RAW_SEGMENTS))
        return self.hostile()

    # requests -------------------------------------------------------------------------
    def params_for(self, rule: str, endpoint: str) -> list[tuple[str, str]]:
        """Query parameters: half the time all drawn hostile or good at random, half the
        time good ones with a single fault among them."""
        searchy = rule in self.search_routes
        single_fault = self.rng.random() < SINGLE_FAULT_SHARE
        self.strict = single_fault
        count = min(12, int(self.rng.expovariate(1 / (3.5 if searchy else 1.2))))
        params: list[tuple[str, str]] = []
        if searchy and self.rng.random() < 0.1 and self.values.cursor_searches:
            params = list(self.rng.choice(self.values.cursor_searches))  # a working cursor
        own = ROUTE_PARAMS.get(endpoint)
        if own and self.rng.random() < 0.7:
            params.append((own, self.value_for(own, params)))
        for _ in range(count):
            if not single_fault and self.rng.random() < 0.08:
                name = self.rng.choice(UNKNOWN_PARAMS)
            else:
                name = self.rng.choice(self.params)
            if params and self.rng.random() < 0.08:  # a repeated parameter
                name = self.rng.choice(params)[0]
            if name == "cursor" or (single_fault and name not in KNOWN_PARAMS
                                    and name not in EXTRA_PARAMS):
                continue  # a cursor is drawn last, bound to the other parameters
            params.append((name, self.value_for(name, params)))
        self.strict = False
        if single_fault:  # the one fault: any parameter, any value, or a bound cursor
            name = self.rng.choice([*self.params, "q", "q", "cursor", *UNKNOWN_PARAMS[:5]])
            params = [p for p in params if p[0] != name or name in FILTER_PARAMS]
            params.append((name, self.value_for(name, params)))
        elif self.rng.random() < 0.02:  # one facet with more values than allowed
            name = self.rng.choice(FILTER_PARAMS)
            params += [(name, self.filter_value(name) + str(i)) for i in range(60)]
        elif searchy and self.rng.random() < 0.12:
            params.append(("cursor", self.cursor(params)))
        self.rng.shuffle(params)
        return params

    def one(self, rule: str, endpoint: str, converters: dict) -> FuzzRequest:
        def fill(match: re.Match) -> str:
            value = self.segment(rule, match.group(1), converters.get(match.group(1)))
            return value if isinstance(value, Raw) else quote(value, safe="")

        path = ARGUMENT.sub(fill, rule)
        params = self.params_for(rule, endpoint)
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
        if self.rng.random() < 0.03:
            query += self.rng.choice(("&", "&&", "&=", "&q", "&%ff=%fe", "&%zz=1", "&q=%",
                                      "&page=%00"))
        target = path + (f"?{query}" if query else "")
        method = "HEAD" if self.rng.random() < 0.1 else "GET"
        return FuzzRequest(method, target, rule)

    def sweep(self) -> list[FuzzRequest]:
        """Every declared parameter with every hostile value, alone (the query also with
        every piece of query-syntax junk and every number in every numeric clause), each
        on a route that reads it: nothing in the catalogue is left to chance."""
        endpoints = {endpoint: (rule, converters) for rule, endpoint, converters in self.routes}
        # A parameter only one kind of route reads is swept there; the rest on searches.
        own_routes = {name: endpoints[e] for e, name in ROUTE_PARAMS.items()
                      if e in endpoints and name != "q"}
        searches = [(rule, converters) for rule, _, converters in self.routes
                    if rule in self.search_routes]
        if not searches:
            return []
        cases = [(name, value) for name in self.params for value in HOSTILE]
        cases += [("q", junk) for junk in QUERY_JUNK]
        cases += [("q", template.format(w="kosovo serbia", n=n, m=m)) for template in NUMBER_CLAUSES
                  for n in QUERY_NUMBERS for m in ("2018", "9" * 40)]
        cases += [("cursor", c) for c in CURSOR_JUNK]
        requests = []
        for i, (name, value) in enumerate(dict.fromkeys(cases)):
            rule, converters = own_routes.get(name) or searches[i % len(searches)]
            chosen = {a: (self.values.path_values.get(rule, {}).get(a)
                          or self.known_segments.get(a) or ["x"])[0]
                      for a in ARGUMENT.findall(rule)}
            path = fill_rule(rule, chosen)
            requests.append(FuzzRequest("GET", f"{path}?{quote(name, safe='')}="
                                               f"{quote(value, safe='')}", rule))
        return requests

    def plan(self, count: int) -> list[FuzzRequest]:
        """`count` requests: the catalogue sweep (all of it, or a seeded sample of up to a
        quarter of `count`), then random ones where every route gets its floor, search
        routes the most of the rest, and about 1% go to paths no route matches."""
        sweep = self.sweep()
        take = min(len(sweep), int(count * SWEEP_SHARE))
        requests = sweep if take == len(sweep) else self.rng.sample(sweep, take)
        weights = [SEARCH_WEIGHT if rule in self.search_routes else 1.0
                   for rule, _, _ in self.routes]
        left = count - len(requests)
        floor = min(max(1, int(left * MIN_SHARE)), left // (len(self.routes) + 1))
        picks = [i for i in range(len(self.routes)) for _ in range(floor)]
        no_route = max(1, left // 100)
        while len(picks) < left - no_route:
            picks.append(self.rng.choices(range(len(self.routes)), weights=weights)[0])
        requests += [self.one(*self.routes[i]) for i in picks]
        for _ in range(count - len(requests)):
            requests.append(FuzzRequest("GET", self.rng.choice(NO_ROUTE_PATHS), NO_ROUTE))
        self.rng.shuffle(requests)
        return requests


# -- sending ----------------------------------------------------------------------------

def _send(connection: http.client.HTTPConnection, request: FuzzRequest) -> int:
    connection.request(request.method, request.path,
                       headers={"User-Agent": "communique-search reliability fuzz"})
    response = connection.getresponse()
    read = 0
    while chunk := response.read(256 * 1024):
        read += len(chunk)
        if read > MAX_BODY_BYTES:
            raise OverflowError("body over the harness's cap")
    if response.will_close:
        connection.close()
    return response.status


def send_all(base_url: str, requests: list[FuzzRequest], threads: int = DEFAULT_THREADS,
             timeout: float = CLIENT_TIMEOUT,
             progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """Send every request from `threads` keep-alive connections; one Outcome each, in order."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    outcomes: list[Outcome | None] = [None] * len(requests)
    work: queue.Queue[int] = queue.Queue()
    for i in range(len(requests)):
        work.put(i)
    done = [0]
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        while True:
            try:
                i = work.get_nowait()
            except queue.Empty:
                break
            request = requests[i]
            start = time.perf_counter()
            status, error = None, None
            for attempt in (1, 2):
                fresh = connection.sock is None
                try:
                    status = _send(connection, request)
                    error = None
                    break
                except TimeoutError:
                    error = "timeout"
                except http.client.IncompleteRead:
                    error = "incomplete body"
                except OverflowError:
                    error = "body too large"
                except (http.client.RemoteDisconnected, ConnectionError,
                        http.client.BadStatusLine) as exc:
                    error = f"connection ({type(exc).__name__})"
                    if not fresh and attempt == 1:
                        # The server closed an idle keep-alive connection: not a failure.
                        connection.close()
                        start = time.perf_counter()
                        continue
                except Exception as exc:  # noqa: BLE001 - whatever broke, it is a failure
                    error = type(exc).__name__
                connection.close()
                break
            outcomes[i] = Outcome(request, status, error, time.perf_counter() - start)
            if error:
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=timeout)
            with lock:
                done[0] += 1
                if progress and done[0] % 1000 == 0:
                    progress(done[0])
        connection.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, threads))]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return [o for o in outcomes if o is not None]


# -- figures ----------------------------------------------------------------------------

def summarize(outcomes: list[Outcome], slow_after: float) -> dict:
    """Status counts per route, the slowest requests, every failure and slow request."""
    per_route: dict[str, Counter] = {}
    for outcome in outcomes:
        per_route.setdefault(outcome.request.route, Counter())[outcome.label] += 1
    statuses = Counter(o.label for o in outcomes)
    slowest = sorted(outcomes, key=lambda o: o.seconds, reverse=True)[:10]
    failures = [o for o in outcomes if o.failed]
    return {
        "requests": len(outcomes),
        "statuses": dict(sorted(statuses.items())),
        "per_route": {route: dict(sorted(c.items())) for route, c in sorted(per_route.items())},
        "latency_ms": latency_ms([o.seconds for o in outcomes]),
        "slowest": [_row(o) for o in slowest],
        "failures": [_row(o) for o in failures],
        "over_time_limit": [_row(o) for o in outcomes if o.seconds > slow_after],
        "slow_after_seconds": slow_after,
        "rate_limited": statuses.get("429", 0),
        "server_errors": sum(1 for o in outcomes if o.failed and o.status is not None),
        "designed_5xx": [_row(o) for o in outcomes if o.status in DESIGNED_5XX],
        "client_failures": sum(1 for o in outcomes if o.status is None),
    }


def _row(outcome: Outcome) -> dict:
    return {"method": outcome.request.method, "url": outcome.request.path,
            "route": outcome.request.route, "status": outcome.label,
            "seconds": round(outcome.seconds, 3)}


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)|"
                             r"[A-Za-z_][\w.]*\.[A-Z]\w*)(:.*)?$")
_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (\S+)')


def cause_from_log(text: str) -> str | None:
    """The last exception in a slice of the server log, with the deepest frame in our code."""
    lines = text.splitlines()
    exception_at = None
    for i in range(len(lines) - 1, -1, -1):
        if _EXCEPTION_LINE.match(lines[i].strip()) and not lines[i].startswith(" "):
            exception_at = i
            break
    if exception_at is None:
        return None
    where = ""
    for line in lines[:exception_at]:
        frame = _FRAME.match(line)
        if frame and "/site-packages/" not in frame.group(1):
            path = frame.group(1)
            for root in ("/indexer/", "/webapp/", "/scrapers/"):
                if root in path:
                    path = root.strip("/") + "/" + path.split(root, 1)[1]
            where = f"{path}:{frame.group(2)} in {frame.group(3)}"
    return lines[exception_at].strip()[:300] + (f" ({where})" if where else "")


def replay(server, failures: list[dict], timeout: float) -> list[dict]:
    """Send each distinct failing URL alone and cut its traceback from the server log;
    group them by cause. `server` has `base_url`, `log_size()` and `log_since(offset)`."""
    parts = urlsplit(server.base_url)
    seen: dict[tuple[str, str], dict] = {}
    for row in failures:
        seen.setdefault((row["method"], row["url"]), row)
    groups: dict[str, dict] = {}
    for (method, url), row in list(seen.items())[:REPLAY_LIMIT]:
        offset = server.log_size()
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        start = time.perf_counter()
        try:
            status: str = str(_send(connection, FuzzRequest(method, url, row["route"])))
        except Exception as exc:  # noqa: BLE001 - any failure is what we are looking for
            status = type(exc).__name__
        finally:
            connection.close()
        seconds = time.perf_counter() - start
        time.sleep(0.05)  # let the server flush its log
        cause = cause_from_log(server.log_since(offset))
        if cause is None:
            why = CLIENT_ERRORS.get(status, "")
            cause = (f"no traceback in the server log; replayed: {status} after {seconds:.1f} s"
                     + (f" ({why})" if why else ""))
        group = groups.setdefault(cause, {"cause": cause, "count": 0, "routes": set(),
                                          "examples": [], "replayed": []})
        group["count"] += 1
        group["routes"].add(row["route"])
        if len(group["examples"]) < 5:
            group["examples"].append({"method": method, "url": url,
                                      "first_status": row["status"]})
        group["replayed"].append(status)
    result = []
    for group in sorted(groups.values(), key=lambda g: -g["count"]):
        group["routes"] = sorted(group["routes"])
        group["replayed"] = dict(Counter(group["replayed"]))
        result.append(group)
    return result


def run(work: Path, requests: int = DEFAULT_REQUESTS, seed: int = 16,
        threads: int = DEFAULT_THREADS, timeout: float = CLIENT_TIMEOUT) -> dict:
    """The fuzz stage over the fixture index, served by `communiques serve` (waitress)."""
    from webapp import create_app

    data = fixture_index(work)
    app = create_app({"DATA_DIR": str(data), **LIMITS_OFF_CONFIG})
    values = collect_values(app)
    server = waitress_server(data, work / "logs" / "fuzz-server.log")
    plan = Planner(app, values, seed, server.base_url).plan(requests)
    limit = search_time_limit()
    started = time.perf_counter()
    with server:
        say(f"fuzz: {len(plan)} requests over {len(routes(app))} routes on {server.base_url}")
        outcomes = send_all(server.base_url, plan, threads, timeout,
                            progress=lambda n: say(f"  {n} sent"))
        seconds = time.perf_counter() - started
        figures = summarize(outcomes, limit + 1)
        failing = figures["failures"] + [r for r in figures["over_time_limit"]
                                         if r not in figures["failures"]]
        figures["causes"] = replay(server, failing, timeout) if failing else []
    figures.update({
        "seed": seed, "threads": threads, "client_timeout_seconds": timeout,
        "seconds": round(seconds, 1), "server": "communiques serve (waitress, 8 threads)",
        "documents": len(values.communique_ids),
        "routes": [rule for rule, _, _ in routes(app)],
        "distinct_urls": len({r.path for r in plan}),
        "search_routes": sorted(values.search_routes),
        "probed_path_values": values.path_values,
        "declared_params": values.params,
        "passed": not figures["failures"] and not figures["over_time_limit"],
    })
    return figures

