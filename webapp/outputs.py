"""Output formats, registered once: the API's routes, the CLI's `--export`, the page's
links and OpenAPI all read this registry.

Two kinds:
- **exports** (CSV, JSON Lines): every result of a search, streamed, no cap;
- **feeds** (Atom, RSS 2.0): the newest results of a search, an official or a
  country pair, for feed readers and alerts.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from email.utils import format_datetime
from enum import StrEnum
from xml.etree import ElementTree as ET

from indexer.search import SearchHit
from scrapers.record import Communique


class OutputKind(StrEnum):
    EXPORT = "export"
    FEED = "feed"


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed: a search hit and the links around it."""

    hit: SearchHit
    ministry: str  # the ministry's name, the entry's author
    language: str  # the language's name
    page_url: str  # our document page
    original_url: str | None  # the ministry's page, when it is an http(s) URL


@dataclass(frozen=True)
class Feed:
    title: str
    subtitle: str
    self_url: str  # this feed
    html_url: str  # the page showing the same results
    entries: list[FeedEntry] = field(default_factory=list)

    @property
    def updated(self) -> datetime:
        """The newest entry's archive time (a feed of nothing: the epoch, not "now")."""
        times = [e.hit.updated for e in self.entries if e.hit.updated is not None]
        return max(times, default=datetime(1970, 1, 1, tzinfo=UTC))


@dataclass(frozen=True)
class OutputFormat:
    name: str  # the file extension and the URL's word: /api/export.csv, /feed.atom
    label: str  # what a link says
    media_type: str
    kind: OutputKind
    description: str  # for OpenAPI and --help
    render: Callable[..., Iterator[str]]  # exports: records; feeds: a Feed


OUTPUTS: dict[str, OutputFormat] = {}


def register(output: OutputFormat) -> OutputFormat:
    OUTPUTS[output.name] = output
    return output


def of_kind(kind: OutputKind) -> list[OutputFormat]:
    return [output for output in OUTPUTS.values() if output.kind is kind]


# -- exports ------------------------------------------------------------------------------

EXPORT_COLUMNS = ("id", "url", "title", "published", "source", "ministry_country", "language",
                  "doc_type", "officials", "countries", "speaker", "document_number", "body")
# A spreadsheet reads a cell starting with these as a formula (=HYPERLINK(...), +cmd|...).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FLUSH_CHARS = 64 * 1024


def export_row(record: Communique) -> dict:
    return {
        "id": record.id,
        "url": record.url,
        "title": record.title,
        "published": record.published.isoformat() if record.published else None,
        "source": record.source_id,
        "ministry_country": record.ministry_country,
        "language": record.language,
        "doc_type": record.doc_type,
        "officials": list(record.officials),
        "countries": list(record.countries),
        "speaker": record.speaker,
        "document_number": record.document_number,
        "body": record.body,
    }


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a leading formula character gets a
    leading apostrophe, as OWASP recommends against CSV injection."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(records: Iterator[Communique]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for record in records:
        row = export_row(record)
        row["officials"] = "; ".join(row["officials"])
        row["countries"] = "; ".join(row["countries"])
        writer.writerow({name: spreadsheet_safe(value) for name, value in row.items()})
        if buffer.tell() > _FLUSH_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def render_jsonl(records: Iterator[Communique]) -> Iterator[str]:
    for record in records:
        yield json.dumps(export_row(record), ensure_ascii=False) + "\n"


register(OutputFormat("csv", "CSV", "text/csv", OutputKind.EXPORT,
                      "Every result as CSV with a header row (cells safe for spreadsheets)",
                      render_csv))
register(OutputFormat("jsonl", "JSON Lines", "application/x-ndjson", OutputKind.EXPORT,
                      "Every result as JSON Lines, one communiqué per line", render_jsonl))


# -- feeds --------------------------------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"
GENERATOR = "communique-search"


def entry_id(communique_id: str) -> str:
    """A feed entry's id: the communiqué's, the same in every feed and forever."""
    return f"urn:communique-search:{communique_id}"


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _published(entry: FeedEntry) -> datetime | None:
    day = entry.hit.published
    return datetime.combine(day, time(), tzinfo=UTC) if day else None


# Characters XML 1.0 cannot hold at all, even escaped: a stored text containing one would
# make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attributes.items()})
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def render_atom(feed: Feed) -> Iterator[str]:
    """Atom 1.0 (RFC 4287): the text is escaped by the XML writer, never by hand."""
    root = ET.Element("feed", {"xmlns": ATOM})
    _sub(root, "id", feed.self_url)
    _sub(root, "title", feed.title)
    _sub(root, "subtitle", feed.subtitle)
    _sub(root, "updated", _rfc3339(feed.updated))
    _sub(root, "link", rel="self", type="application/atom+xml", href=feed.self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=feed.html_url)
    _sub(root, "generator", GENERATOR)
    for entry in feed.entries:
        hit = entry.hit
        element = _sub(root, "entry")
        _sub(element, "id", entry_id(hit.id))
        _sub(element, "title", hit.title)
        _sub(element, "updated", _rfc3339(hit.updated or feed.updated))
        published = _published(entry)
        if published is not None:
            _sub(element, "published", _rfc3339(published))
        _sub(_sub(element, "author"), "name", entry.ministry)
        _sub(element, "link", rel="alternate", type="text/html",
             href=entry.original_url or entry.page_url)
        _sub(element, "link", rel="related", type="text/html", href=entry.page_url)
        _sub(element, "category", term=hit.source_id, label=entry.ministry)
        _sub(element, "category", term=hit.language, label=entry.language)
        # The snippet is escaped text with <mark> around matched words: HTML, escaped again
        # by the XML writer, so a reader shows it and runs nothing.
        _sub(element, "summary", hit.snippet_html, type="html")
    yield '<?xml version="1.0" encoding="utf-8"?>\n'
    yield ET.tostring(root, encoding="unicode")


def render_rss(feed: Feed) -> Iterator[str]:
    """RSS 2.0, with an atom:link to itself as the RSS Advisory Board recommends."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM})
    channel = _sub(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.html_url)
    _sub(channel, "description", feed.subtitle)
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=feed.self_url)
    _sub(channel, "lastBuildDate", format_datetime(feed.updated))
    _sub(channel, "generator", GENERATOR)
    for entry in feed.entries:
        hit = entry.hit
        item = _sub(channel, "item")
        _sub(item, "title", hit.title)
        _sub(item, "link", entry.original_url or entry.page_url)
        _sub(item, "guid", entry_id(hit.id), isPermaLink="false")
        moment = _published(entry) or hit.updated
        if moment is not None:
            _sub(item, "pubDate", format_datetime(moment.astimezone(UTC)))
        _sub(item, "category", entry.ministry)
        _sub(item, "category", entry.language)
        _sub(item, "description", hit.snippet_html)
    yield '<?xml version="1.0" encoding="utf-8"?>\n'
    yield ET.tostring(root, encoding="unicode")


register(OutputFormat("atom", "Atom", "application/atom+xml", OutputKind.FEED,
                      "The newest results as an Atom 1.0 feed", render_atom))
register(OutputFormat("rss", "RSS", "application/rss+xml", OutputKind.FEED,
                      "The newest results as an RSS 2.0 feed", render_rss))
