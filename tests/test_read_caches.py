"""What the read side keeps between requests, and when it lets go: /api/search responses
(per index generation, re-checked for withdrawals and suggestions), "did you mean"
answers per generation, the generation check by stat, the hits' URLs, and a lexicon
build that leaves the folding caches alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_archive import make_record

from indexer import search as search_module
from indexer.archive import Archive
from indexer.build import update_index
from indexer.folding import WORD, exact_term, folded_term, folded_term_uncached
from indexer.generations import Generations
from indexer.search import SearchRequest, SearchService
from indexer.snippets import find_matches
from indexer.suggestions import Lexicon
from webapp import create_app
from webapp.api import IdUrls, RenderedSearch, RenderedSearches


def _store(data_dir: Path, numbers: range) -> list[str]:
    with Archive(data_dir) as archive:
        records = [make_record(n, body=f"Statement number {n} on Kosovo.") for n in numbers]
        for record in records:
            archive.store(record)
        update_index(archive, data_dir)
    return [r.id for r in records]


@pytest.fixture
def small_app(tmp_path: Path):
    _store(tmp_path, range(5))  # more than FEW_RESULTS: "kosovo" asks for no suggestions
    app = create_app({"DATA_DIR": str(tmp_path), "RATE_LIMIT": "", "WARM_UP": False,
                      "TESTING": True})
    return app


def _count_searches(app, monkeypatch) -> list[int]:
    service = app.extensions["search"]
    calls = [0]
    search = service.search

    def counted(request):
        calls[0] += 1
        return search(request)

    monkeypatch.setattr(service, "search", counted)
    return calls


def test_a_repeated_search_is_sent_again_until_the_index_changes(small_app, tmp_path,
                                                                 monkeypatch) -> None:
    calls = _count_searches(small_app, monkeypatch)
    client = small_app.test_client()
    first = client.get("/api/search?q=kosovo")
    assert first.status_code == 200 and first.get_json()["total"] == 5
    again = client.get("/api/search?q=kosovo")
    assert again.data == first.data and calls[0] == 1  # not searched, not rendered again
    assert again.mimetype == "application/json" and again.headers["ETag"] == first.headers["ETag"]
    assert client.get("/api/search?q=kosovo&size=2").get_json()["total"] == 5
    assert calls[0] == 2  # other parameters: another response

    _store(tmp_path, range(5, 7))  # a new generation: nothing of the old one is sent
    later = client.get("/api/search?q=kosovo")
    assert later.get_json()["total"] == 7 and calls[0] == 3
    assert later.headers["ETag"] != first.headers["ETag"]
    assert len(small_app.extensions["rendered_searches"]) == 1  # the old ones dropped


def test_a_withdrawal_marked_before_the_index_is_updated_shows_at_once(small_app,
                                                                       tmp_path) -> None:
    client = small_app.test_client()
    hits = client.get("/api/search?q=kosovo").get_json()["results"]
    assert all(hit["withdrawn"] is None for hit in hits)
    gone = hits[1]["id"]
    with Archive(tmp_path) as archive:  # the crawl's mark; the index stays as it was
        assert archive.mark_withdrawn(gone, "HTTP 404")
    again = client.get("/api/search?q=kosovo").get_json()["results"]
    assert [h["id"] for h in again] == [h["id"] for h in hits]
    assert {h["id"]: h["withdrawn"] is not None for h in again} == {
        h["id"]: h["id"] == gone for h in hits}


def test_kept_suggestions_are_asked_again(small_app, monkeypatch) -> None:
    # A search with few results was answered before the lexicon was built: once it is,
    # the same URL gets the new suggestions, not the kept response.
    service = small_app.extensions["search"]
    client = small_app.test_client()
    monkeypatch.setattr(service, "did_you_mean", lambda request: [])
    assert client.get("/api/search?q=kosvoo").get_json()["did_you_mean"] == []
    monkeypatch.setattr(service, "did_you_mean", lambda request: ["kosovo"])
    assert client.get("/api/search?q=kosvoo").get_json()["did_you_mean"] == ["kosovo"]
    # A search that found enough is never offered any, and does not ask.
    monkeypatch.setattr(service, "did_you_mean", lambda request: pytest.fail("asked"))
    assert client.get("/api/search?q=kosovo").get_json()["did_you_mean"] == []
    assert client.get("/api/search?q=kosovo").get_json()["did_you_mean"] == []


def test_links_are_those_of_the_host_asked(small_app) -> None:
    client = small_app.test_client()
    here = client.get("/api/search?q=kosovo").get_json()
    there = client.get("/api/search?q=kosovo", base_url="https://mirror.example").get_json()
    assert here["results"][0]["api_url"].startswith("http://localhost/api/communiques/")
    assert there["results"][0]["api_url"].startswith("https://mirror.example/api/communiques/")
    assert there["export"]["csv"].startswith("https://mirror.example/")


def test_rendered_searches_are_bounded_and_of_one_generation() -> None:
    cache = RenderedSearches(size=2)

    def entry(n: int) -> RenderedSearch:
        return RenderedSearch(str(n).encode(), SearchRequest(), [], {}, None)

    for n in range(3):
        cache.put("gen.1", ("k", n), entry(n))
    assert cache.get("gen.1", ("k", 0)) is None and len(cache) == 2  # least recent out
    assert cache.get("gen.1", ("k", 2)).body == b"2"  # type: ignore[union-attr]
    assert cache.get("gen.2", ("k", 2)) is None  # asked for under another generation
    cache.put("gen.2", ("k", 9), entry(9))
    assert len(cache) == 1 and cache.get("gen.1", ("k", 2)) is None


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(min_size=1, max_size=30),
                 st.from_regex(r"[A-Za-z0-9._~-]{1,30}", fullmatch=True)))
def test_hit_urls_are_url_for_s(value: str) -> None:
    app = _URL_APP
    with app.test_request_context("/api/search", base_url="https://example.org/root"):
        from flask import url_for

        urls = IdUrls()
        for endpoint, name in (("api.communique", "communique_id"),
                               ("pages.communique", "communique_id"),
                               ("events.event_page", "event_id")):
            for _ in range(2):  # built around the marker once, then reused
                assert urls(endpoint, name, value) == url_for(endpoint, _external=True,
                                                              **{name: value})


_URL_APP = create_app({"DATA_DIR": "/nonexistent-read-caches", "WARM_UP": False})


def test_did_you_mean_is_kept_per_generation_and_lexicon(tmp_path, monkeypatch) -> None:
    _store(tmp_path, range(3))
    service = SearchService(tmp_path)
    calls = []
    real = search_module.suggestions

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(search_module, "suggestions", counted)
    # Answers found within half the time limit are kept: no machine is that slow here.
    monkeypatch.setattr(search_module, "SUGGESTION_TIME_LIMIT", 120.0)
    request = SearchRequest(q="kosovvo").validated()
    first = service.did_you_mean(request)
    assert service.lexicons.wait_idle(60)
    built = service.did_you_mean(request)  # the lexicon is built now: asked again
    assert built[:1] == ["kosovo"] and len(calls) == 2
    assert service.did_you_mean(request) == built and len(calls) == 2  # kept
    assert service.did_you_mean(SearchRequest(q="kosovvo", exact=True).validated()) is not None
    assert len(calls) == 3  # an exact search is another question
    _store(tmp_path, range(3, 4))
    service.did_you_mean(request)
    assert len(calls) == 4  # a new generation asks again
    assert first == [] or first[:1] == ["kosovo"]


def test_an_unchanged_generation_is_known_without_listing_the_index(tmp_path,
                                                                    monkeypatch) -> None:
    _store(tmp_path, range(2))
    generations = Generations(tmp_path)
    current = generations.current()
    assert current is not None
    segments = Path(current[0].key[0]) / "segments"
    past = time.time() - 3600
    os.utime(segments, (past, past))  # old enough for its mtime to be trusted
    generation = generations.current()[0]  # type: ignore[index]
    monkeypatch.setattr(generation.index, "latest_generation",
                        lambda: pytest.fail("the index was listed"))
    assert generations.current()[0] is generation  # type: ignore[index]
    monkeypatch.undo()
    _store(tmp_path, range(2, 4))  # a commit changes the directory: seen at once
    later = generations.current()
    assert later is not None and later[0].key[1] > generation.key[1]
    assert later[0].document_count == 4


def test_a_directory_changed_within_the_last_second_is_listed(tmp_path, monkeypatch) -> None:
    _store(tmp_path, range(2))
    generations = Generations(tmp_path)
    generation = generations.current()[0]  # type: ignore[index]
    listed = []
    real = generation.index.latest_generation
    monkeypatch.setattr(generation.index, "latest_generation",
                        lambda: listed.append(1) or real())
    os.utime(Path(generation.key[0]) / "segments")  # just now
    generations.current()
    generations.current()
    assert len(listed) == 2  # its mtime may not change with the next commit yet


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "M", "N")),
               min_size=1, max_size=20))
def test_uncached_folding_folds_as_the_index_does(word: str) -> None:
    assert folded_term_uncached(word) == folded_term(word)


def test_a_lexicon_build_leaves_the_folding_caches_alone() -> None:
    before = folded_term.cache_info().currsize
    words = [(f"ДачићReadCaches{n}", 1) for n in range(500)]
    lexicon = Lexicon.from_terms([(folded_term_uncached(w), 1) for w, _ in words],
                                 [(w.lower(), df) for w, df in words])
    assert folded_term.cache_info().currsize == before
    assert len(lexicon.spellings) == 500
    term = folded_term_uncached(words[7][0])
    assert lexicon.spellings[term] == {words[7][0].lower(): 1}
    # The spellings' keys are the folded terms' own strings, not equal copies.
    assert all(next(k for k in lexicon.folded if k == key) is key for key in
               list(lexicon.spellings)[:20])


def _matches_word_by_word(text, terms, term_of):
    return [(found.start(), found.end(), term) for found in WORD.finditer(text)
            if (term := term_of(found.group())) in terms]


_SNIPPET_WORDS = ["Dačić", "Dacic", "Дачић", "Дачићем", "dačića", "kosovo", "Kosovu", "a",
                  "aa", "Lavrov", "Лавровым", "x_y", "2018", "İstanbul", "ǅemal", "e\u0301",
                  # A first letter that folds to nothing, to two letters, or from a ligature;
                  # a Greek sigma; ASCII words one of whose prefixes is another's term.
                  "ъdacic", "\u0301Kosovo", "Ђорђе", "Djordje", "ﬁnance", "Finance", "ΣΟΦΙΑΣ",
                  "σοφιας", "Kosovoa", "KOSOVIMA", "\u212aosovo"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_SNIPPET_WORDS), st.text(max_size=6)), max_size=40),
       st.sets(st.sampled_from(_SNIPPET_WORDS), max_size=4), st.booleans())
def test_snippet_matches_are_those_found_word_by_word(parts: list[str], query: set[str],
                                                      exact: bool) -> None:
    text = "".join(parts) if exact else " ".join(parts)
    term_of = exact_term if exact else folded_term
    terms = {term_of(word) for word in query}
    assert find_matches(text, terms, term_of) == _matches_word_by_word(text, terms, term_of)


def test_snippets_keep_a_bounded_cache_of_their_own() -> None:
    from indexer import snippets

    term = folded_term("ReadCachesWord7")
    before = folded_term.cache_info().currsize
    body = " ".join(f"ReadCachesWord{n}" for n in range(snippets.SNIPPET_TERMS_KEPT + 100))
    snippet, more = snippets.snippet_for(body, {("folded", term)})
    assert '<mark class="match term0">ReadCachesWord7</mark>' in snippet and more == 0
    assert folded_term.cache_info().currsize == before  # the index's caches untouched
    assert snippets._snippet_term.cache_info().currsize <= snippets.SNIPPET_TERMS_KEPT


def _registry_suggestions_one_by_one(q, officials, lexicon=None, limit=3, fuzzy=True):
    """registry_suggestions as it was: every official asked, each word's distance to
    each of its name words computed one at a time."""
    from indexer import suggestions as s

    words = s._words(q, s.NAME_FIELDS)[:s.MAX_CORRECTED_WORDS]
    if not words:
        return []
    scored = []
    for official in officials:
        matched = s._name_match(words, official, lexicon, fuzzy)
        if not matched:
            continue
        typed = " ".join(t.group("word") for t, _ in matched)
        name = s._name_in_script(official.spellings, s.is_cyrillic(typed)) or official.name
        if all(t.group("word").lower() in WORD.findall(name.lower()) for t, _ in matched):
            continue
        start, end = matched[0][0].start("word"), matched[-1][0].end("word")
        if start > 0 and q[start - 1] == '"':
            text = name
        else:
            alone = not q[:start].strip() and not q[end:].strip()
            text = f'"{name}"' if len(WORD.findall(name)) > 1 and not alone else name
        scored.append((sum(d for _, d in matched), official.name,
                       s._replace(q, [(start, end, text)])))
    scored.sort()
    return list(dict.fromkeys(x for _, _, x in scored))[:limit]


_REGISTRY_OFFICIALS: list = []


def _officials() -> list:
    from indexer.entities.registry import OfficialsRegistry

    if not _REGISTRY_OFFICIALS:
        _REGISTRY_OFFICIALS.extend(OfficialsRegistry.load().by_id.values())
    return _REGISTRY_OFFICIALS


@st.composite
def _name_queries(draw) -> str:
    officials = _officials()
    official = officials[draw(st.integers(0, len(officials) - 1))]
    words = WORD.findall(draw(st.sampled_from(official.spellings)))
    typed = []
    for word in words:
        edit = draw(st.integers(0, 3))  # as written, a letter dropped, changed, doubled
        at = draw(st.integers(0, max(0, len(word) - 1)))
        typed.append([word, word[:at] + word[at + 1:], word[:at] + "x" + word[at + 1:],
                      word[:at] + word[at:at + 1] * 2 + word[at + 1:]][edit] or word)
    extra = draw(st.sampled_from(["", "meeting ", "-", "title:", "official:"]))
    return extra + " ".join(typed)


@settings(max_examples=150, deadline=None)
@given(_name_queries(), st.booleans(), st.booleans())
def test_registry_suggestions_are_those_of_every_official_asked(q: str, with_lexicon: bool,
                                                                fuzzy: bool) -> None:
    from indexer.suggestions import registry_suggestions

    words = {w: 5 for w in ["meeting", "kosovo", "minister", *WORD.findall(q)[:1]]}
    lexicon = Lexicon.from_terms(((folded_term(w), n) for w, n in words.items()),
                                 ((w.lower(), n) for w, n in words.items())) \
        if with_lexicon else None
    officials = _officials()
    assert registry_suggestions(q, officials, lexicon, fuzzy=fuzzy) == \
        _registry_suggestions_one_by_one(q, officials, lexicon, fuzzy=fuzzy)


def test_a_search_page_is_sent_again_until_the_index_or_a_withdrawal_changes(
        small_app, tmp_path, monkeypatch) -> None:
    calls = _count_searches(small_app, monkeypatch)
    client = small_app.test_client()
    first = client.get("/?q=kosovo")
    assert first.status_code == 200 and first.mimetype == "text/html"
    searches = calls[0]
    again = client.get("/?q=kosovo")
    assert again.data == first.data and calls[0] == searches  # not rendered again
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert b"badge withdrawn" not in again.data
    hit = client.get("/api/search?q=kosovo").get_json()["results"][0]["id"]
    with Archive(tmp_path) as archive:
        assert archive.mark_withdrawn(hit, "HTTP 404")
    marked = client.get("/?q=kosovo")
    assert b"badge withdrawn" in marked.data and calls[0] > searches
    assert client.get("/?q=kosovo").data == marked.data
    assert b"5 communiqu" in marked.data
    _store(tmp_path, range(5, 7))  # a new generation
    assert b"7 communiqu" in client.get("/?q=kosovo").data
    # A page with a query error is not kept.
    kept = len(small_app.extensions["rendered_pages"])
    assert client.get("/?q=date:2019-99").status_code == 400
    assert len(small_app.extensions["rendered_pages"]) == kept


def test_the_page_cache_is_smaller_than_the_api_s(small_app) -> None:
    from webapp.api import RENDERED_SEARCHES
    from webapp.pages import RENDERED_PAGES

    client = small_app.test_client()
    client.get("/?q=kosovo")
    client.get("/api/search?q=kosovo")
    assert small_app.extensions["rendered_pages"].size == RENDERED_PAGES < RENDERED_SEARCHES
    assert small_app.extensions["rendered_searches"].size == RENDERED_SEARCHES


def test_snippet_matches_of_many_terms_are_those_found_word_by_word() -> None:
    # A prefix or fuzzy word's expansions: more terms than one regular expression tries.
    from indexer.snippets import MAX_ALTERNATIVES

    words = [f"Word{n}ovima" for n in range(3 * MAX_ALTERNATIVES)] + _SNIPPET_WORDS
    terms = {folded_term(word) for word in words[::2]}
    assert len(terms) > MAX_ALTERNATIVES
    text = " ".join(words + [w.upper() for w in words] + ["Wordless", "Ворд1"])
    found = find_matches(text, terms, folded_term)
    assert found == _matches_word_by_word(text, terms, folded_term)
    assert len(found) >= 3 * MAX_ALTERNATIVES
