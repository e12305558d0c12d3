""""Did you mean": corrections from the index's own words and the officials registry."""

from __future__ import annotations

import pytest

from indexer.entities.registry import OfficialsRegistry
from indexer.search import FEW_RESULTS, SearchRequest
from indexer.suggestions import Lexicon, correct_word, registry_suggestions, suggestions


@pytest.fixture(scope="module")
def officials() -> list:
    return list(OfficialsRegistry.load().by_id.values())


def lexicon(words: dict[str, int]) -> Lexicon:
    """A lexicon of spellings as written, with the documents using each."""
    from indexer.folding import folded_term

    return Lexicon.from_terms(((folded_term(w), n) for w, n in words.items()),
                              ((w.lower(), n) for w, n in words.items()))


def test_a_misspelt_word_becomes_the_index_word_in_the_typed_script_and_case() -> None:
    words = lexicon({"lavrov": 20, "лавров": 12, "lavrova": 3, "terrorism": 4,
                     "terorizma": 9, "moscow": 30})
    assert correct_word("Lavrof", words, exact=False) == "Lavrov"
    assert correct_word("лавроф", words, exact=False) == "лавров"
    assert correct_word("LAVROF", words, exact=False) == "LAVROV"
    # Nearer as written wins over more used: English typed, English offered.
    assert correct_word("terorism", words, exact=False) == "terrorism"
    # A word the index uses is left alone; so are short words.
    assert correct_word("Moscow", words, exact=False) is None
    assert correct_word("Mos", words, exact=False) is None


def test_exact_spelling_offers_the_usual_spelling_of_the_same_folded_word() -> None:
    words = lexicon({"дачић": 25, "дачич": 1, "dačić": 40})
    # Folded, Дачич already finds Дачић: nothing to correct.
    assert correct_word("Дачич", words, exact=False) is None
    # As written it finds one document; Дачић, in the same script, is far more used.
    assert correct_word("Дачич", words, exact=True) == "Дачић"


def test_only_plain_words_of_the_query_are_corrected() -> None:
    words = lexicon({"lavrov": 20, "moscow": 30, "source": 50})
    assert suggestions("lavrof AND moskow", words, [])[0] == "lavrov AND moscow"
    # Field names, fuzzy and prefix words and operators stay as typed.
    assert suggestions("source:serbia-mfa lavrof~", words, []) == []
    assert suggestions("moskow date:2018", words, []) == ["moscow date:2018"]


def test_registry_names_in_the_script_typed(officials: list) -> None:
    assert "Sergey Lavrov" in registry_suggestions("Lavrof", officials)
    assert "Сергеј Лавров" in registry_suggestions("Лавроф", officials) or \
        "Сергей Лавров" in registry_suggestions("Лавроф", officials)
    # Дачич is an alias; the registry's Cyrillic name is offered.
    assert registry_suggestions("Дачич", officials) == ["Ивица Дачић"]
    # A name already written as the registry writes it, or no name at all: nothing.
    assert registry_suggestions("Sergey Lavrov", officials) == []
    assert registry_suggestions("kosovo", officials, lexicon({"kosovo": 40})) == []
    # Several words: the name is quoted as a phrase among them.
    assert registry_suggestions("Lavrof Moscow", officials)[0] == '"Sergey Lavrov" Moscow'


def test_service_did_you_mean_over_the_crawled_index(crawled_app) -> None:
    service = crawled_app.extensions["search"]
    assert service.search(SearchRequest(q="Lavrof")).total == 0
    offered = service.did_you_mean(SearchRequest(q="Lavrof"))
    assert offered[:2] == ["Lavrov", "Sergey Lavrov"]
    assert service.search(SearchRequest(q=offered[0])).total > FEW_RESULTS  # it finds plenty
    exact = SearchRequest(q="Дачич", exact=True)
    assert service.search(exact).total <= FEW_RESULTS
    assert service.did_you_mean(exact)[0] == "Дачић"
    assert service.search(SearchRequest(q="Дачић", exact=True)).total > \
        service.search(exact).total
    assert service.did_you_mean(SearchRequest(q="")) == []


def test_api_offers_did_you_mean_only_for_few_results(client) -> None:
    data = client.get("/api/search?q=Lavrof").get_json()
    assert data["total"] == 0
    assert data["did_you_mean"][0] == "Lavrov"
    plenty = client.get("/api/search?q=Lavrov").get_json()
    assert plenty["total"] > FEW_RESULTS and plenty["did_you_mean"] == []
    schema = client.get("/api/openapi.json").get_json()
    assert "did_you_mean" in schema["components"]["schemas"]["Search"]["properties"]


def test_exact_spelling_offers_the_spelling_nearest_the_typed_one() -> None:
    # An exact search runs the word offered: Dačič is one letter from Dačić, two from
    # the more used Dacic.
    words = lexicon({"dacic": 40, "dačić": 12, "дачић": 25})
    assert correct_word("Dačič", words, exact=True) == "Dačić"
    assert correct_word("Dačič", words, exact=False) is None  # folded, it finds them all


def test_a_name_replaces_all_its_words_and_stays_a_phrase_inside_a_query(
        officials: list) -> None:
    # The short given name is part of the name, not left before it.
    assert registry_suggestions("Xi Jinpin", officials) == ["Xi Jinping"]
    # After a minus or a field, the name's words stay together.
    assert registry_suggestions("-Lavrof", officials)[0] == '-"Sergey Lavrov"'
    assert registry_suggestions("title:Lavrof", officials)[0] == 'title:"Sergey Lavrov"'
    # The official: field is corrected too (the index's words are not its values).
    assert registry_suggestions("official:lavrof", officials)[0] == 'official:"Sergey Lavrov"'
    assert suggestions("official:lavrof", lexicon({"lavrov": 20}), officials) == \
        ['official:"Sergey Lavrov"']
    # A name alone is offered as the whole query, unquoted.
    assert registry_suggestions("sergei lavrof", officials)[0] == "Sergey Lavrov"


def test_corrected_name_queries_find_what_they_name(crawled_app) -> None:
    service = crawled_app.extensions["search"]
    for typed in ("official:lavrof", "title:Lavrof", "Xi Jinpin"):
        offered = service.did_you_mean(SearchRequest(q=typed))
        assert offered, typed
        assert all(service.search(SearchRequest(q=text)).total > 0 for text in offered), typed


def test_an_exact_clause_is_corrected_as_written() -> None:
    words = lexicon({"дачић": 25, "дачич": 1, "lavrov": 20})
    assert suggestions("exact:Дачич Lavrof", words, []) == ["exact:Дачић Lavrov"]
