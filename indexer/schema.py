"""The Whoosh schema: what is searched, filtered and sorted; text itself lives in the archive."""

from __future__ import annotations

from datetime import datetime, time

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from indexer.folding import exact_analyzer, folded_analyzer
from scrapers.record import Communique

# Title matches outrank body matches: a communiqué titled "Filipovic" is about him.
TITLE_BOOST = 3.0


def build_schema() -> Schema:
    folded = folded_analyzer()
    exact = exact_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        # Searched by default: every script and spelling folded to one key.
        # A word that splits in two ("Botsan-Kharchenko") is searched as a phrase.
        title=TEXT(analyzer=folded, stored=True, field_boost=TITLE_BOOST,
                   multitoken_query="phrase"),
        body=TEXT(analyzer=folded, multitoken_query="phrase"),
        # The same text with script and diacritics kept, for exact-spelling search.
        title_exact=TEXT(analyzer=exact, multitoken_query="phrase"),
        body_exact=TEXT(analyzer=exact, multitoken_query="phrase"),
        date=DATETIME(stored=True, sortable=True),
        source=KEYWORD(stored=True, commas=True, lowercase=True),
        ministry_country=KEYWORD(stored=True, commas=True, lowercase=True),
        # "sr-latn,sr": lang:sr finds both scripts, lang:sr-Cyrl one of them.
        lang=KEYWORD(commas=True, lowercase=True),
        language=STORED(),
        type=KEYWORD(stored=True, commas=True, lowercase=True),
        official=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        country=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
    )


def language_terms(language: str) -> str:
    """Index terms for a language tag: itself and its base language."""
    base = language.split("-")[0]
    return ",".join(dict.fromkeys([language, base]))


def document_for(record: Communique) -> dict:
    """The index document of a record (field values only; no analysis here)."""
    published = (
        datetime.combine(record.published, time(12, 0)) if record.published else None
    )
    doc = {
        "id": record.id,
        "url": record.url,
        "title": record.title,
        "title_exact": record.title,
        "body": record.body,
        "body_exact": record.body,
        "source": record.source_id,
        "ministry_country": record.ministry_country,
        "lang": language_terms(record.language),
        "language": record.language,
        "type": record.doc_type,
        "official": ",".join(o.replace(",", " ") for o in record.officials),
        "country": ",".join(c.replace(",", " ") for c in record.countries),
    }
    if published is not None:
        doc["date"] = published
    return doc
