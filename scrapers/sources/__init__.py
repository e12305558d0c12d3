"""Source definitions: each ministry is a TOML file in this folder, not code.

Every selector of a definition may be one CSS selector or a list of them tried in
order (the first that finds something wins), so a site's template variants and a
redesign's new markup sit side by side in one definition. Definitions are checked
strictly when loaded (`schema.py`): an unknown or misplaced key, a wrong type, a
selector that does not parse or a date format the parser cannot read is an error naming
the file, the key and its line (`communiques sources --check FILE...`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from scrapers.sources.schema import SourceDefinitionError, check_definition

DEFINITIONS_DIR = Path(__file__).parent

# Scheduling defaults (see Source): hourly crawls, known articles re-checked daily,
# and at most 1,000 requests or 15 minutes per source and run.
DEFAULT_INTERVAL = 3600
DEFAULT_RECHECK = 86_400
DEFAULT_MAX_REQUESTS = 1000
DEFAULT_MAX_SECONDS = 900

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d|w)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 604_800}
_NAMED_DURATIONS = {"hourly": 3600, "daily": 86_400, "weekly": 604_800}


def parse_duration(value: object, where: str) -> int:
    """Seconds of a duration written as 3600, "90s", "30m", "6h", "1d", "2w" or "hourly"."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = str(value).strip().lower()
    if text in _NAMED_DURATIONS:
        return _NAMED_DURATIONS[text]
    match = _DURATION.match(text)
    if not match:
        raise SourceDefinitionError(
            f"{where}: {value!r} is not a duration (like 3600, 30m, 6h, 1d or hourly)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]


@dataclass(frozen=True)
class Section:
    """One listing, feed or API query of a site: where it is, its language, what it publishes."""

    path: str
    language: str  # a BCP 47 tag, or "auto" to detect it from the text
    doc_type: str  # the default when the page says nothing
    strategy: str | None = None  # overrides the source's strategy
    full_text: bool = False  # feeds: the item content is the whole article


# A field's selectors, tried in order: the first that finds something wins.
Selectors = tuple[str, ...]


@dataclass(frozen=True)
class ListingRules:
    """Selectors for a listing page; each field is a list of selectors tried in order."""

    items: Selectors
    link: Selectors
    date: Selectors = ()
    next: Selectors = ()
    doc_type: Selectors = ()
    # Paging without a next link: page N's path relative to the listing ("index_{n}.html").
    page_pattern: str | None = None


@dataclass(frozen=True)
class ArticleRules:
    """Selectors for an article page. "selector@attr" reads an attribute instead of text.

    title, date, doc_type, speaker and document_number: the first selector that gives a
    value (for dates: a date in the site's formats) wins. body: the first selector that
    gives text; one selector may be a group ("a, b") whose matches are read in page order.
    exclude: regions that are not the article (related lists, sidebars, "most read"),
    dropped from the page before anything is read; remove: elements dropped from the body.
    """

    title: Selectors
    body: Selectors
    date: Selectors = ()
    exclude: Selectors = ()
    remove: Selectors = ()
    boilerplate: tuple[str, ...] = ()
    boilerplate_patterns: tuple[str, ...] = ()
    stop_at: tuple[str, ...] = ()  # a paragraph that ends the body ("###"); dropped
    doc_type: Selectors = ()
    speaker: Selectors = ()
    document_number: Selectors = ()


@dataclass(frozen=True)
class Site:
    """One generation or host of a ministry's web presence."""

    name: str
    base_url: str
    listing: ListingRules | None  # None: the site has no HTML listings (feeds, APIs)
    article: ArticleRules | None  # None: articles are read by the generic extractor
    sections: tuple[Section, ...]
    date_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_pages: int = 50
    # Other hosts serving this site's pages under their own URLs, such as the archives of
    # earlier administrations (2021-2025.state.gov): not aliases, their pages keep their URL.
    hosts: tuple[str, ...] = ()
    # Seconds between scheduled crawls of this site (`interval`), None: the source's.
    interval: int | None = None

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def all_hosts(self) -> tuple[str, ...]:
        return (self.host, *self.hosts)


@dataclass(frozen=True)
class Source:
    """A ministry: who it is, how it is fetched, and where."""

    id: str
    name: str
    short_name: str
    country: str
    country_name: str
    strategy: str
    languages: tuple[str, ...]
    sites: tuple[Site, ...]
    host_aliases: dict[str, str] = field(default_factory=dict)
    block_markers: tuple[str, ...] = ()
    # What the site's own "page does not exist" page says, where it answers HTTP 200 (often
    # after a redirect): an archived article answering with it is withdrawn as on a 404.
    gone_markers: tuple[str, ...] = ()
    doc_types: dict[str, str] = field(default_factory=dict)  # raw label -> normalised
    # Names the site puts beside the headline in <title> ("... - Ministry of Foreign
    # Affairs"); stripped from a title read there. The source's names count too.
    site_names: tuple[str, ...] = ()
    # Scheduling (`communiques update`): seconds between crawls, how long a known article
    # goes before it is re-checked with a conditional request, and what one crawl may
    # spend (requests, seconds) so one slow ministry cannot hold the whole run.
    interval: int = DEFAULT_INTERVAL
    recheck: int = DEFAULT_RECHECK
    max_requests: int = DEFAULT_MAX_REQUESTS
    max_seconds: int = DEFAULT_MAX_SECONDS

    def strategy_of(self, section: Section) -> str:
        return section.strategy or self.strategy

    def site_interval(self, site: Site) -> int:
        return site.interval if site.interval is not None else self.interval


# The builders below read a definition that `check_definition` has passed: keys, types,
# selectors, patterns and date formats are already known to be right.


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    assert isinstance(value, list)
    return tuple(str(v) for v in value)


def _selectors(data: dict, key: str, where: str, *, required: bool = False) -> Selectors:
    """A field's selectors: one string or a list of them (checked to parse on load)."""
    selectors = tuple(s.strip() for s in _as_tuple(data.get(key)) if s.strip())
    if required and not selectors:
        raise SourceDefinitionError(f"{where}: '{key}' has no selector")
    return selectors


def _listing(data: dict | None, where: str) -> ListingRules | None:
    if data is None:
        return None
    return ListingRules(
        items=_selectors(data, "items", where, required=True),
        link=_selectors(data, "link", where, required=True),
        date=_selectors(data, "date", where),
        next=_selectors(data, "next", where),
        doc_type=_selectors(data, "doc_type", where),
        page_pattern=data.get("page_pattern"),
    )


def _article(data: dict | None, where: str) -> ArticleRules | None:
    if data is None:
        return None
    return ArticleRules(
        title=_selectors(data, "title", where, required=True),
        body=_selectors(data, "body", where, required=True),
        date=_selectors(data, "date", where),
        exclude=_selectors(data, "exclude", where),
        remove=_selectors(data, "remove", where),
        boilerplate=_as_tuple(data.get("boilerplate")),
        boilerplate_patterns=_as_tuple(data.get("boilerplate_patterns")),
        stop_at=_as_tuple(data.get("stop_at")),
        doc_type=_selectors(data, "doc_type", where),
        speaker=_selectors(data, "speaker", where),
        document_number=_selectors(data, "document_number", where),
    )


def _section(data: dict) -> Section:
    return Section(
        path=str(data["path"]),
        language=str(data["language"]),
        doc_type=str(data["doc_type"]),
        strategy=data.get("strategy"),
        full_text=bool(data.get("full_text", False)),
    )


def parse_source(data: dict, where: str, text: str | None = None) -> Source:
    """Build a `Source` from a parsed TOML mapping after checking it strictly (see
    `schema.py`); `text`, the file's source, gives the errors their line numbers."""
    from scrapers.strategies import STRATEGIES  # the strategies import this module

    check_definition(data, where, text, STRATEGIES)
    strategy = str(data["strategy"])
    sites = []
    for index, site in enumerate(data["sites"]):
        site_where = f"{where} sites[{index}]"
        sections = tuple(_section(s) for s in site["sections"])
        listing = _listing(site.get("listing"), f"{site_where}.listing")
        unlisted = [name for name in sorted({s.strategy or strategy for s in sections})
                    if STRATEGIES[name].needs_listing and listing is None]
        if unlisted:
            raise SourceDefinitionError(
                f"{site_where}: {unlisted[0]} sections need a [sites.listing]")
        sites.append(
            Site(
                name=str(site.get("name", f"site{index}")),
                base_url=str(site["base_url"]).rstrip("/"),
                listing=listing,
                article=_article(site.get("article"), f"{site_where}.article"),
                sections=sections,
                date_formats={k: _as_tuple(v) for k, v in site.get("date_formats", {}).items()},
                max_pages=int(site.get("max_pages", 50)),
                hosts=tuple(h.lower() for h in _as_tuple(site.get("hosts"))),
                interval=(parse_duration(site["interval"], f"{site_where}.interval")
                          if "interval" in site else None),
            )
        )
    return Source(
        id=str(data["id"]),
        name=str(data["name"]),
        short_name=str(data.get("short_name", data["name"])),
        country=str(data["country"]),
        country_name=str(data.get("country_name", data["country"])),
        strategy=strategy,
        languages=_as_tuple(data["languages"]),
        sites=tuple(sites),
        host_aliases=dict(data.get("host_aliases", {})),
        block_markers=_as_tuple(data.get("block_markers")),
        gone_markers=_as_tuple(data.get("gone_markers")),
        doc_types={str(k): str(v) for k, v in data.get("doc_types", {}).items()},
        site_names=_as_tuple(data.get("site_names")),
        **_schedule(data, where),
    )


def _schedule(data: dict, where: str) -> dict[str, int]:
    """The scheduling keys of a definition (all optional)."""
    keys = {"interval": DEFAULT_INTERVAL, "recheck": DEFAULT_RECHECK,
            "max_seconds": DEFAULT_MAX_SECONDS}
    found = {key: parse_duration(data.get(key, default), f"{where}: {key}")
             for key, default in keys.items()}
    try:
        found["max_requests"] = int(data.get("max_requests", DEFAULT_MAX_REQUESTS))
    except (TypeError, ValueError):
        raise SourceDefinitionError(f"{where}: max_requests must be a number") from None
    if found["max_requests"] < 1 or found["max_seconds"] < 1:
        raise SourceDefinitionError(f"{where}: max_requests and max_seconds must be positive")
    return found


def load_source_file(path: Path, where: str | None = None) -> Source:
    """Read and check one definition; errors name `where` (default: the file's name)."""
    where = where or path.name
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceDefinitionError(f"{where}: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:  # unreadable: permissions, not UTF-8
        raise SourceDefinitionError(f"{path}: cannot be read ({exc})") from exc
    return parse_source(data, where, text)


def check_source_file(path: Path) -> Source:
    """Check a definition without crawling (`communiques sources --check`): the source, or
    SourceDefinitionError naming the path as given, the key and its line."""
    return load_source_file(path, str(path))


@lru_cache(maxsize=8)
def load_sources(directory: Path = DEFINITIONS_DIR) -> dict[str, Source]:
    """Every source defined in `directory`, by id."""
    sources: dict[str, Source] = {}
    for path in sorted(directory.glob("*.toml")):
        source = load_source_file(path)
        if source.id in sources:
            raise SourceDefinitionError(f"{path.name}: duplicate source id '{source.id}'")
        sources[source.id] = source
    return sources


@dataclass(frozen=True)
class DefinitionMatch:
    """The definition that reads a URL's page: its source, site and section.

    `fits` says whether the URL lies under the section's path; when none does, the
    section sharing most of the path is taken, with its language detected from the
    text when the source has several.
    """

    source: Source
    site: Site
    section: Section
    fits: bool


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _section_score(section: Section, path: list[str], query: set[tuple[str, str]]
                   ) -> tuple[int, int]:
    parts = urlsplit(section.path)
    wanted = _segments(parts.path)
    wanted_query = set(parse_qsl(parts.query))
    if path[:len(wanted)] == wanted and wanted_query <= query:
        return 1, len(wanted) + len(wanted_query)
    common = 0
    for mine, theirs in zip(wanted, path, strict=False):
        if mine != theirs:
            break
        common += 1
    return 0, common


def sites_for_url(source: Source, url: str) -> list[Site]:
    """The sites of `source` serving `url`'s host: the site whose own host it is (or an
    alias of it) first, then those that list it among their `hosts`."""
    host = (urlsplit(url).hostname or "").lower()
    host = source.host_aliases.get(host, host)
    return ([site for site in source.sites if site.host == host]
            + [site for site in source.sites if host in site.hosts])


def site_for_url(source: Source, url: str) -> Site | None:
    """The site of `source` whose host (or alias, or archive host) serves `url`."""
    return next(iter(sites_for_url(source, url)), None)


def match_site_section(source: Source, site: Site, url: str) -> DefinitionMatch:
    """The section of `site` whose path fits `url` best (see `DefinitionMatch`)."""
    parts = urlsplit(url)
    path = _segments(parts.path)
    query = set(parse_qsl(parts.query))
    best = max(site.sections, key=lambda s: _section_score(s, path, query))  # first of ties
    fits = _section_score(best, path, query)[0] == 1
    section = best
    if not fits and len(source.languages) > 1 and best.language != "auto":
        section = Section(best.path, "auto", best.doc_type, best.strategy, best.full_text)
    return DefinitionMatch(source, site, section, fits)


def match_url(url: str, sources: Mapping[str, Source], source_id: str | None = None
              ) -> DefinitionMatch | None:
    """The source definition that reads `url` as the crawler would, or None.

    The source is the one whose site serves the URL's host (only `source_id`'s sites
    when it is given); then the section whose path fits.
    """
    candidates = [sources[source_id]] if source_id else list(sources.values())
    for source in candidates:
        site = site_for_url(source, url)
        if site is not None:
            return match_site_section(source, site, url)
    return None
