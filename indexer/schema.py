"""The Whoosh schema: what is searched, filtered and sorted; text itself lives in the archive."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime, time

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from indexer.entities.extract import Entities
from indexer.folding import WORD, exact_analyzer, folded_analyzer, folded_term
from indexer.position_values import encode_positions
from scrapers.record import Communique

# Title matches outrank body matches: a communiqué titled "Filipovic" is about him.
TITLE_BOOST = 3.0


# exact_term is str.lower; the method itself saves a Python call per word.
_TERM_OF_WORD: dict[str, Callable[[str], str]] = {"folded": folded_term, "exact": str.lower}


class FastText(TEXT):
    """A TEXT field that indexes without Whoosh's token pipeline.

    Whoosh's analyzer makes a Token object per word and passes it through a chain of
    generators; at ~1,000 words a communiqué that was a third of the indexing time.
    This makes the same terms, positions, weights and encoded posting values (a test
    holds it to the analyzer's output) in one loop over the words. Queries still go
    through the analyzer; snippets use the same term functions (`term_function`).
    """

    def __init__(self, terms: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.terms = terms  # a key of _TERM_OF_WORD: a name, so the schema pickles

    def term_function(self) -> Callable[[str], str]:
        """The function from a word to its index term."""
        return _TERM_OF_WORD[self.terms]

    def positions(self, text: str) -> dict[str, list[int]]:
        """Each term of `text` and the positions of the words that make it."""
        term_of = _TERM_OF_WORD[self.terms]
        positions: dict[str, list[int]] = {}
        for position, word in enumerate(WORD.findall(text)):
            term = term_of(word)
            found = positions.get(term)
            if found is None:
                positions[term] = [position]
            else:
                found.append(position)
        return positions

    def index(self, value: object, **kwargs: object
              ) -> Generator[tuple[bytes, int, float, bytes], None, None]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        assert self.format is not None  # a text field always has one
        boost = self.format.field_boost
        for term, found in self.positions(value).items():
            yield term.encode("utf-8"), len(found), len(found) * boost, encode_positions(found)


def build_schema() -> Schema:
    folded = folded_analyzer()
    exact = exact_analyzer()
    return Schema(
        # Sortable: a column lets the search service read every id at once.
        id=ID(stored=True, unique=True, sortable=True),
        url=STORED(),
        # Searched by default: every script and spelling folded to one key.
        # A word that splits in two ("Botsan-Kharchenko") is searched as a phrase.
        title=FastText("folded", analyzer=folded, stored=True, field_boost=TITLE_BOOST,
                       multitoken_query="phrase"),
        body=FastText("folded", analyzer=folded, multitoken_query="phrase"),
        # The same text with script and diacritics kept, for exact-spelling search.
        title_exact=FastText("exact", analyzer=exact, multitoken_query="phrase"),
        body_exact=FastText("exact", analyzer=exact, multitoken_query="phrase"),
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
        official=FastText("folded", analyzer=folded, phrase=True, multitoken_query="phrase"),
        country=FastText("folded", analyzer=folded, phrase=True, multitoken_query="phrase"),
        official_facet=KEYWORD(stored=True, commas=True),
        country_facet=KEYWORD(stored=True, commas=True),
        # "withdrawn" for a communiqué gone from its ministry's site (kept, searchable,
        # marked), "current" for the others.
        status=KEYWORD(stored=True, commas=True, lowercase=True),
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


def document_for(record: Communique, entities: Entities | None = None, *,
                 withdrawn: bool = False) -> dict:
    """The index document of a record, with the officials and countries it mentions."""
    officials = entities.officials if entities else record.officials
    countries = entities.countries if entities else record.countries
    published = (
        datetime.combine(record.published, time(12, 0)) if record.published else None
    )
    doc: dict[str, object] = {
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
    # Every document has a status, so `status=current` leaves the withdrawn out.
    doc["status"] = "withdrawn" if withdrawn else "current"
    return doc
