"""The record that passes between pipeline stages: one communiqué, one version."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that never change what a page says.
_TRACKING_PARAMS = frozenset(
    {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid"}
)


def canonical_url(url: str, host_aliases: dict[str, str] | None = None) -> str:
    """Normalise a URL so that one page has one spelling.

    Lower-cases scheme and host, maps host aliases (mfa.rs -> www.mfa.gov.rs),
    drops default ports, fragments and tracking parameters, and sorts the query.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host_aliases:
        host = host_aliases.get(host, host)
    port = parts.port
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS
    )
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def communique_id(url: str) -> str:
    """Stable id of a communiqué: a short hash of its canonical URL."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Communique:
    """One version of one communiqué, as scraped from its ministry's site."""

    id: str
    url: str
    source_id: str
    ministry_country: str
    language: str  # BCP 47 with script where it matters: en, sr-Latn, sr-Cyrl, ru
    title: str
    published: date | None
    body: str  # clean plain text, paragraphs separated by a blank line
    doc_type: str
    fetched_at: datetime
    officials: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    document_number: str | None = None
    speaker: str | None = None
    place: str | None = None
    content_hash: str = field(default="")
    # How the page was read: "definition" (the source's selectors, feed or API) or
    # "generic" (the generic extractor: no selectors for the site, or they no longer
    # matched). Left out of the content hash: it says how, not what, the ministry said.
    extraction: str = "definition"

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", self.compute_hash())

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]

    def compute_hash(self) -> str:
        """Hash of everything the ministry said; fetch metadata is left out."""
        content = {
            "url": self.url,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "body": self.body,
            "language": self.language,
            "doc_type": self.doc_type,
            "document_number": self.document_number,
            "speaker": self.speaker,
            "place": self.place,
        }
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        """JSON-friendly dict (dates as ISO strings, tuples as lists)."""
        data = dataclasses.asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        data["fetched_at"] = self.fetched_at.isoformat()
        data["officials"] = list(self.officials)
        data["countries"] = list(self.countries)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Communique:
        values = dict(data)
        if values.get("published"):
            values["published"] = date.fromisoformat(values["published"])
        values["fetched_at"] = datetime.fromisoformat(values["fetched_at"])
        values["officials"] = tuple(values.get("officials") or ())
        values["countries"] = tuple(values.get("countries") or ())
        values.setdefault("extraction", "definition")  # records stored before it existed
        return cls(**values)
