"""Source definitions: each ministry is a TOML file in this folder, not code."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

DEFINITIONS_DIR = Path(__file__).parent


class SourceDefinitionError(ValueError):
    """A source definition file is missing something or malformed."""


STRATEGY_NAMES = ("html", "feed", "govuk", "wordpress")


@dataclass(frozen=True)
class Section:
    """One listing, feed or API query of a site: where it is, its language, what it publishes."""

    path: str
    language: str  # a BCP 47 tag, or "auto" to detect it from the text
    doc_type: str  # the default when the page says nothing
    strategy: str | None = None  # overrides the source's strategy
    full_text: bool = False  # feeds: the item content is the whole article


@dataclass(frozen=True)
class ListingRules:
    items: str
    link: str
    date: str | None = None
    next: str | None = None
    doc_type: str | None = None
    # Paging without a next link: page N's path relative to the listing ("index_{n}.html").
    page_pattern: str | None = None


@dataclass(frozen=True)
class ArticleRules:
    """Selectors for an article page. "selector@attr" reads an attribute instead of text."""

    title: str
    body: tuple[str, ...]
    date: str | None = None
    remove: tuple[str, ...] = ()
    boilerplate: tuple[str, ...] = ()
    boilerplate_patterns: tuple[str, ...] = ()
    stop_at: tuple[str, ...] = ()
    doc_type: str | None = None
    speaker: str | None = None
    document_number: str | None = None


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

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()


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
    doc_types: dict[str, str] = field(default_factory=dict)  # raw label -> normalised

    def strategy_of(self, section: Section) -> str:
        return section.strategy or self.strategy


def _require(data: dict, key: str, where: str) -> object:
    if key not in data:
        raise SourceDefinitionError(f"{where}: missing '{key}'")
    return data[key]


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)  # type: ignore[arg-type]


def _listing(data: dict | None, where: str) -> ListingRules | None:
    if data is None:
        return None
    return ListingRules(
        items=str(_require(data, "items", where)),
        link=str(_require(data, "link", where)),
        date=data.get("date"),
        next=data.get("next"),
        doc_type=data.get("doc_type"),
        page_pattern=data.get("page_pattern"),
    )


def _article(data: dict | None, where: str) -> ArticleRules | None:
    if data is None:
        return None
    for pattern in _as_tuple(data.get("boilerplate_patterns")):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise SourceDefinitionError(
                f"{where}: bad boilerplate pattern {pattern!r}: {exc}"
            ) from exc
    return ArticleRules(
        title=str(_require(data, "title", where)),
        body=_as_tuple(_require(data, "body", where)),
        date=data.get("date"),
        remove=_as_tuple(data.get("remove")),
        boilerplate=_as_tuple(data.get("boilerplate")),
        boilerplate_patterns=_as_tuple(data.get("boilerplate_patterns")),
        stop_at=_as_tuple(data.get("stop_at")),
        doc_type=data.get("doc_type"),
        speaker=data.get("speaker"),
        document_number=data.get("document_number"),
    )


def _section(data: dict, where: str) -> Section:
    strategy = data.get("strategy")
    if strategy is not None and strategy not in STRATEGY_NAMES:
        raise SourceDefinitionError(f"{where}: unknown strategy {strategy!r}")
    return Section(
        path=str(_require(data, "path", where)),
        language=str(_require(data, "language", where)),
        doc_type=str(_require(data, "doc_type", where)),
        strategy=strategy,
        full_text=bool(data.get("full_text", False)),
    )


def parse_source(data: dict, where: str) -> Source:
    """Build a `Source` from a parsed TOML mapping, checking what it needs."""
    strategy = str(_require(data, "strategy", where))
    if strategy not in STRATEGY_NAMES:
        raise SourceDefinitionError(f"{where}: unknown strategy {strategy!r}")
    sites = []
    for index, site in enumerate(_require(data, "sites", where)):  # type: ignore[arg-type]
        site_where = f"{where} sites[{index}]"
        sections = tuple(
            _section(s, site_where)
            for s in _require(site, "sections", site_where)  # type: ignore[union-attr]
        )
        listing = _listing(site.get("listing"), f"{site_where}.listing")
        uses_html = any((s.strategy or strategy) == "html" for s in sections)
        if uses_html and listing is None:
            raise SourceDefinitionError(f"{site_where}: html sections need a [sites.listing]")
        sites.append(
            Site(
                name=str(site.get("name", f"site{index}")),
                base_url=str(_require(site, "base_url", site_where)).rstrip("/"),
                listing=listing,
                article=_article(site.get("article"), f"{site_where}.article"),
                sections=sections,
                date_formats={k: _as_tuple(v) for k, v in site.get("date_formats", {}).items()},
                max_pages=int(site.get("max_pages", 50)),
            )
        )
    return Source(
        id=str(_require(data, "id", where)),
        name=str(_require(data, "name", where)),
        short_name=str(data.get("short_name", data["name"])),
        country=str(_require(data, "country", where)),
        country_name=str(data.get("country_name", data["country"])),
        strategy=strategy,
        languages=_as_tuple(_require(data, "languages", where)),
        sites=tuple(sites),
        host_aliases=dict(data.get("host_aliases", {})),
        block_markers=_as_tuple(data.get("block_markers")),
        doc_types={str(k): str(v) for k, v in data.get("doc_types", {}).items()},
    )


def load_source_file(path: Path) -> Source:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SourceDefinitionError(f"{path.name}: {exc}") from exc
    return parse_source(data, path.name)


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
