"""Source definitions: each ministry is a TOML file in this folder, not code."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

DEFINITIONS_DIR = Path(__file__).parent


class SourceDefinitionError(ValueError):
    """A source definition file is missing something or malformed."""


@dataclass(frozen=True)
class Section:
    """One listing of a site: where it is, its language and what it publishes."""

    path: str
    language: str
    doc_type: str


@dataclass(frozen=True)
class ListingRules:
    items: str
    link: str
    date: str | None = None
    next: str | None = None


@dataclass(frozen=True)
class ArticleRules:
    title: str
    body: tuple[str, ...]
    date: str | None = None
    remove: tuple[str, ...] = ()
    boilerplate: tuple[str, ...] = ()


@dataclass(frozen=True)
class Site:
    """One generation or host of a ministry's web presence."""

    name: str
    base_url: str
    listing: ListingRules
    article: ArticleRules
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


def parse_source(data: dict, where: str) -> Source:
    """Build a `Source` from a parsed TOML mapping, checking what it needs."""
    sites = []
    for index, site in enumerate(_require(data, "sites", where)):  # type: ignore[arg-type]
        site_where = f"{where} sites[{index}]"
        listing = dict(_require(site, "listing", site_where))  # type: ignore[arg-type]
        article = dict(_require(site, "article", site_where))  # type: ignore[arg-type]
        sections = tuple(
            Section(
                path=str(_require(s, "path", site_where)),
                language=str(_require(s, "language", site_where)),
                doc_type=str(_require(s, "doc_type", site_where)),
            )
            for s in _require(site, "sections", site_where)  # type: ignore[union-attr]
        )
        sites.append(
            Site(
                name=str(site.get("name", f"site{index}")),
                base_url=str(_require(site, "base_url", site_where)).rstrip("/"),
                listing=ListingRules(
                    items=str(_require(listing, "items", f"{site_where}.listing")),
                    link=str(_require(listing, "link", f"{site_where}.listing")),
                    date=listing.get("date"),
                    next=listing.get("next"),
                ),
                article=ArticleRules(
                    title=str(_require(article, "title", f"{site_where}.article")),
                    body=_as_tuple(_require(article, "body", f"{site_where}.article")),
                    date=article.get("date"),
                    remove=_as_tuple(article.get("remove")),
                    boilerplate=_as_tuple(article.get("boilerplate")),
                ),
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
        strategy=str(_require(data, "strategy", where)),
        languages=_as_tuple(_require(data, "languages", where)),
        sites=tuple(sites),
        host_aliases=dict(data.get("host_aliases", {})),
        block_markers=_as_tuple(data.get("block_markers")),
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
