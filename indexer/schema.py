"""The Whoosh schema: what is searched, filtered and sorted; text itself lives in the archive."""

from __future__ import annotations

from datetime import datetime, time

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from indexer.entities.extract import Entities
from indexer.folding import exact_analyzer, folded_analyzer
from scrapers.record import Communique

# Title matches outrank body matches: a communiqué titled "Filipovic" is about him.
TITLE_BOOST = 3.0


def build_schema() -> Schema:
    folded = folded_analyzer()
    exact = exact_analyzer()
    return Schema(
        # Sortable: a column lets the search service read every id at once.
        id=ID(stored=True, unique=True, sortable=True),
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
        # Facet fields: one term per value. Values are lower-cased where the query
        # language names them (source:serbia-mfa, type:press-release, ministry:rs).
        source=KEYWORD(stored=True, commas=True, lowercase=True),
        ministry_country=KEYWORD(stored=True, commas=True, lowercase=True),
        language=KEYWORD(stored=True, commas=True, lowercase=True),
        type=KEYWORD(stored=True, commas=True, lowercase=True),
        # "sr-latn,sr": lang:sr finds both scripts, lang:sr-Cyrl one of them.
        lang=KEYWORD(commas=True, lowercase=True),
        # Officials and countries: folded words for the query language
        # (official:dacic), exact names for the facets.
        official=TEXT(analyzer=folded, phrase=True, multitoken_query="phrase"),
        country=TEXT(analyzer=folded, phrase=True, multitoken_query="phrase"),
        official_facet=KEYWORD(stored=True, commas=True),
        country_facet=KEYWORD(stored=True, commas=True),
    )


def doc_type_term(doc_type: str) -> str:
    """Index term of a doc type: "press release" -> "press-release" (one query word)."""
    return doc_type.replace(" ", "-")


def doc_type_label(term: str) -> str:
    return term.replace("-", " ")


def language_terms(language: str) -> str:
    """Index terms for a language tag: itself and its base language."""
    base = language.split("-")[0]
    return ",".join(dict.fromkeys([language, base]))


def document_for(record: Communique, entities: Entities | None = None) -> dict:
    """The index document of a record, with the officials and countries it mentions."""
    officials = entities.officials if entities else record.officials
    countries = entities.countries if entities else record.countries
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
        "language": record.language,
        "type": doc_type_term(record.doc_type),
        "lang": language_terms(record.language),
        # One value per line keeps names apart for phrase queries (official:"ivica dacic").
        "official": "\n".join(officials),
        "country": "\n".join(countries),
        "official_facet": ",".join(o.replace(",", " ") for o in officials),
        "country_facet": ",".join(c.replace(",", " ") for c in countries),
    }
    if published is not None:
        doc["date"] = published
    return doc
