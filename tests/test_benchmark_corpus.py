"""The benchmark corpus: deterministic, shaped as specified, and the same counts on tantivy
as counted here by hand."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from benchmarks import corpus
from benchmarks.corpus import (
    QUERY_KINDS,
    QUERY_MIX,
    forms,
    generate,
    record,
    search_request_kwargs,
    to_cyrillic,
    with_diacritics,
)
from scrapers.record import Communique, communique_id

SAMPLE = 10_000  # records for the frequency checks (about 1.5 s to generate)
_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z]")


@pytest.fixture(scope="module")
def records() -> list[Communique]:
    return list(generate(SAMPLE))


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _spellings(text: str) -> list[list[str]]:
    """A vocabulary word or phrase as token lists, in each script the corpus writes."""
    words = text.split()
    return [words, [with_diacritics(w) for w in words], [to_cyrillic(w) for w in words]]


def _contains(tokens: list[str], vocabulary: set[str], text: str) -> bool:
    for spelling in _spellings(text):
        if not vocabulary.issuperset(spelling):
            continue
        n = len(spelling)
        if n == 1 or any(tokens[i:i + n] == spelling for i in range(len(tokens) - n + 1)):
            return True
    return False


_TOKENS: dict[str, tuple[list[str], set[str], list[str], set[str]]] = {}


def _matches(rec: Communique, text: str) -> bool:
    """Whether a word or phrase occurs in the title or the body, in any spelling."""
    if rec.id not in _TOKENS:
        title, body = _tokens(rec.title), _tokens(rec.body)
        _TOKENS[rec.id] = (title, set(title), body, set(body))
    title, title_set, body, body_set = _TOKENS[rec.id]
    return _contains(title, title_set, text) or _contains(body, body_set, text)


# -- determinism -----------------------------------------------------------------------------

def test_same_seed_and_number_give_the_same_record_whatever_the_count_or_start() -> None:
    whole = [r.to_dict() for r in generate(60)]
    batch = [r.to_dict() for r in generate(10, start=40)]
    assert batch == whole[40:50]
    assert record(57).to_dict() == whole[57]
    assert [r.to_dict() for r in generate(60)] == whole
    other_seed = [r.to_dict() for r in generate(5, seed=7)]
    assert other_seed != whole[:5]
    assert [r.to_dict() for r in generate(5, seed=7)] == other_seed


def test_records_are_well_formed(records: list[Communique]) -> None:
    sample = records[:500]
    assert len({r.id for r in sample}) == len(sample)
    for number, rec in enumerate(sample):
        assert rec.url == f"https://bench.example/{rec.source_id}/{number}"
        assert rec.id == communique_id(rec.url)
        assert rec.source_id == f"bench-{rec.ministry_country.lower()}"
        assert rec.content_hash == rec.compute_hash()
        assert Communique.from_dict(rec.to_dict()) == rec


# -- distributions ---------------------------------------------------------------------------

def test_languages_types_and_sources_are_distributed_as_specified(
        records: list[Communique]) -> None:
    sample = records[:4000]
    languages = Counter(r.language for r in sample)
    for language, share in corpus.LANGUAGES:
        assert abs(languages[language] / len(sample) - share) < 0.03, (language, languages)
    types = Counter(r.doc_type for r in sample)
    assert set(types) == {t for t, _ in corpus.DOC_TYPES}
    assert types.most_common(1)[0][0] in ("statement", "press release")
    assert types["joint statement"] < types["news"] / 3
    assert len({r.source_id for r in sample}) == 20
    assert {r.ministry_country for r in sample} == set(corpus.MINISTRIES)


def test_officials_countries_dates_and_lengths(records: list[Communique]) -> None:
    sample = records[:4000]
    assert Counter(len(r.officials) for r in sample).keys() == {1, 2, 3, 4}
    assert Counter(len(r.countries) for r in sample).keys() == {1, 2, 3}
    years = Counter(r.published.year for r in sample if r.published)
    assert min(years) == 2000 and max(years) == 2026 and len(years) == 27
    for rec in sample:
        assert date(2000, 1, 1) <= rec.published <= date(2026, 10, 31)
        assert 300 <= len(rec.body.split()) <= 500
        assert 3 <= len(rec.paragraphs) <= 6
        assert 8 <= len(rec.title.split()) <= 12
        assert len(set(rec.officials)) == len(rec.officials)
        assert set(rec.officials) <= set(corpus.PEOPLE)
    # Officials are skewed: the most named person is in several percent of records.
    top = Counter(o for r in sample for o in r.officials).most_common(1)[0]
    assert top[0] == corpus.PEOPLE[0] and 0.03 < top[1] / len(sample) < 0.15


def test_tables() -> None:
    assert len(corpus.PEOPLE) == len(set(corpus.PEOPLE)) == 2000
    assert any(ch in "čćšžđ" for ch in "".join(corpus.PEOPLE))
    assert to_cyrillic("Dragan Petrović") == "Драган Петровић"
    assert to_cyrillic("Ljiljana Đurđević Džonić") == "Љиљана Ђурђевић Џонић"
    assert 200 <= len(corpus.COUNTRIES) <= 260
    assert all(len(code) == 2 and code.isupper() for code, _ in corpus.COUNTRIES)
    assert corpus.COUNTRIES[0] == ("RS", "Serbia")
    assert len(corpus.TAIL_WORDS) == len(set(corpus.TAIL_WORDS)) == 30_000
    assert not set(corpus.TAIL_WORDS) & set(corpus.DIPLOMATIC_WORDS)
    assert len(corpus.DIPLOMATIC_WORDS) >= 300


def test_scripts_names_and_countries_in_the_body(records: list[Communique]) -> None:
    diacritics = 0
    sr_latn = 0
    for rec in records[:2000]:
        cyrillic = rec.language in ("sr-Cyrl", "ru")
        if cyrillic:
            assert _CYRILLIC.search(rec.body) and _CYRILLIC.search(rec.title)
            assert not _LATIN.search(rec.body) and not _LATIN.search(rec.title)
        else:
            assert not _CYRILLIC.search(rec.body)
        if rec.language == "sr-Latn":
            sr_latn += 1
            diacritics += bool(re.search("[čćšžđ]", rec.body))
        for name in rec.officials:
            # Named with a title before the name, in the record's script.
            named = [f"{title} {name}" for title in corpus.OFFICIAL_TITLES]
            if cyrillic:
                named = [to_cyrillic(text) for text in named]
            assert any(text in rec.body for text in named), (name, rec.body[:200])
        for country in rec.countries:
            assert (to_cyrillic(country) if cyrillic else country) in rec.body
    assert diacritics / sr_latn > 0.95


def test_rare_words_occur_in_about_a_tenth_of_a_percent(records: list[Communique]) -> None:
    rare = [spec["q"] for spec in QUERY_MIX if spec["kind"] == "rare"]
    assert len(rare) == 3 and all(w in corpus.TAIL_WORDS for w in rare)
    texts = [f"{r.title}\n{r.body}".lower() for r in records]

    def records_with(word: str, texts: list[str]) -> int:
        spellings = forms(word)
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, spellings)) + r")\b")
        return sum(1 for text in texts
                   if any(s in text for s in spellings) and pattern.search(text))

    counts = {w: records_with(w, texts) for w in rare}
    for word, count in counts.items():
        assert 0.0009 < corpus.expected_document_fraction(word) < 0.0011
        assert 2 <= count <= 25, counts  # expected 10 in 10,000
    assert 15 <= sum(counts.values()) <= 50, counts
    common = records_with("cooperation", texts[:2000])
    assert 0.5 < common / 2000 < 0.85


# -- the query mix ---------------------------------------------------------------------------

def test_query_mix_is_complete_and_valid_for_the_search_service() -> None:
    from indexer.search import SearchRequest

    assert [spec["kind"] for spec in QUERY_MIX[:len(QUERY_KINDS)]] == list(QUERY_KINDS)
    assert Counter(spec["kind"] for spec in QUERY_MIX) == {kind: 3 for kind in QUERY_KINDS}
    assert QUERY_MIX == corpus.query_mix()
    for spec in QUERY_MIX:
        request = SearchRequest(**search_request_kwargs(spec)).validated()
        assert request.q == spec["q"]
    by_kind = {spec["kind"]: spec for spec in reversed(QUERY_MIX)}  # the first of each kind
    assert by_kind["date_range"]["date_from"] == date(2018, 7, 1)
    assert by_kind["date_range"]["date_to"] == date(2018, 7, 31)
    assert by_kind["facets"]["filters"] == {"language": ("en", "ru"),
                                            "type": ("statement", "news")}
    assert by_kind["sort_newest"]["sort"] == "newest"
    assert by_kind["official"]["q"] == f'official:"{corpus.PEOPLE[0]}"'


def test_query_words_fold_alike_in_every_script() -> None:
    """What the Whoosh index does with the Cyrillic and sr-Latn spellings of each query word:
    the project's folding analyzer turns them into the Latin word's terms."""
    from indexer.folding import folded_analyzer

    analyzer = folded_analyzer()

    def terms(text: str) -> list[str]:
        return [token.text for token in analyzer(text)]

    for spec in QUERY_MIX:
        text = spec["q"].strip('"')
        if ":" in text:
            continue
        for spelling in _spellings(text)[1:]:
            assert terms(" ".join(spelling)) == terms(text), (text, spelling)


# -- tantivy ---------------------------------------------------------------------------------

def test_tantivy_build_and_one_query_of_each_kind(records: list[Communique],
                                                  tmp_path: Path) -> None:
    pytest.importorskip("tantivy")
    from benchmarks import tantivy_engine

    sample = records[:2000]
    stats = tantivy_engine.build(iter(sample), tmp_path / "index")
    assert stats["documents"] == stats["total_documents"] == len(sample)
    assert stats["bytes_on_disk"] > 0 and stats["docs_per_second"] > 0
    index = tantivy_engine.open_index(tmp_path / "index")

    def expected(spec: dict) -> list[Communique]:
        q: str = spec["q"]
        found = list(sample)
        if q.startswith("official:"):
            found = [r for r in found if q.split('"')[1] in r.officials]
        elif q.startswith("country:"):
            found = [r for r in found if q.split('"')[1] in r.countries]
        elif q.startswith('"'):
            found = [r for r in found if _matches(r, q.strip('"'))]
        else:
            for word in q.split():
                found = [r for r in found if _matches(r, word)]
        if spec["date_from"]:
            found = [r for r in found if spec["date_from"] <= r.published <= spec["date_to"]]
        filters = spec["filters"]
        if filters:
            found = [r for r in found if r.language.lower() in filters["language"]
                     and r.doc_type in filters["type"]]
        return found

    seen = set()
    for spec in QUERY_MIX:
        if spec["kind"] in seen:
            continue
        seen.add(spec["kind"])
        result = tantivy_engine.run_query(index, spec)
        matching = expected(spec)
        assert result["total"] == len(matching), spec
        assert len(result["hits"]) == min(10, len(matching))
        assert sum(count for _, count in result["histogram"]) == len(matching)
        if matching:
            assert result["hits"][0]["snippet_html"]
            languages = Counter(r.language.lower() for r in matching)
            if not spec["filters"]:
                assert dict(result["facets"]["language"]) == dict(languages.most_common(10))
        if matching and spec["kind"] in ("common", "phrase", "rare"):
            assert any("<b>" in hit["snippet_html"] for hit in result["hits"])
        if spec["kind"] == "sort_newest":
            dates = [hit["published"] for hit in result["hits"]]
            assert dates == sorted(dates, reverse=True)
            assert dates[0] == max(r.published for r in matching).isoformat()
        if spec["kind"] == "facets":
            # A selected facet is counted as if its own selection were not applied.
            without_language = expected({**spec, "filters": {}})
            by_language = Counter(r.language.lower() for r in without_language
                                  if r.doc_type in spec["filters"]["type"])
            assert dict(result["facets"]["language"]) == dict(by_language)
            officials = Counter(o for r in matching for o in r.officials)
            top = result["facets"]["official"]
            assert len(top) == 10 and top[0][1] == officials.most_common(1)[0][1]

    summary = tantivy_engine.measure(index, QUERY_MIX[:len(QUERY_KINDS)], repeat=1,
                                     warmup=False)
    assert set(summary["kinds"]) == set(QUERY_KINDS)
    assert summary["overall"]["n"] == len(QUERY_KINDS)


# -- the cold mix (the web stage's searches, each sent once) ---------------------------------

def test_cold_mix_is_distinct_deterministic_and_apart_from_the_warm_mix() -> None:
    from indexer.search import SearchRequest

    mix = corpus.cold_query_mix()
    assert len(mix) == corpus.COLD_MIX_SIZE == 500
    assert corpus.cold_query_mix() == mix
    assert corpus.cold_query_mix(516)[:500] == mix  # the web stage's spares come after
    assert corpus.cold_query_mix(seed=7) != mix

    # Distinct as the result cache sees them: no two share a fingerprint, and none is a
    # search of the warm mix.
    def fingerprint(spec: dict) -> str:
        return SearchRequest(**search_request_kwargs(spec)).validated().fingerprint()

    fingerprints = {fingerprint(spec) for spec in mix}
    assert len(fingerprints) == len(mix)
    assert not fingerprints & {fingerprint(spec) for spec in QUERY_MIX}
    # The kinds take turns, as in the search stage's mix.
    counts = Counter(spec["kind"] for spec in mix)
    assert set(counts) == set(QUERY_KINDS)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_cold_mix_draws_from_the_corpus_tables() -> None:
    mix = corpus.cold_query_mix()
    by_kind: dict[str, list[dict]] = {}
    for spec in mix:
        by_kind.setdefault(spec["kind"], []).append(spec)
    common = set(corpus.common_words())
    assert {s["q"] for s in by_kind["common"]} <= common
    assert {s["q"] for s in by_kind["rare"]} <= set(corpus.TAIL_WORDS)
    assert all(set(s["q"].split()) <= common for s in by_kind["two_words"])
    for spec in by_kind["phrase"]:
        phrase = spec["q"].split('"')[1]
        assert phrase in corpus.COLLOCATIONS
    officials = {s["q"].split('"')[1] for s in by_kind["official"]}
    assert officials <= set(corpus.PEOPLE) and len(officials) == len(by_kind["official"])
    # Skewed as the corpus names them: mostly the often named (a uniform draw from the
    # pool of 2,000 would have a median rank near 1,000).
    ranks = sorted(corpus.PEOPLE.index(name) for name in officials)
    assert ranks[len(ranks) // 2] < 500
    countries = {s["q"].split('"')[1] for s in by_kind["country"]}
    assert countries <= {name for _, name in corpus.COUNTRIES}
    for spec in by_kind["date_range"]:
        assert corpus.FIRST_DAY <= spec["date_from"] <= spec["date_to"] <= date(2026, 12, 31)
    assert len({(s["date_from"], s["date_to"]) for s in by_kind["date_range"]}) > 40
    types = {t.replace(" ", "-") for t, _ in corpus.DOC_TYPES}
    for spec in by_kind["facets"]:
        assert spec["filters"]["language"] and spec["filters"]["type"]
        assert set(spec["filters"]["type"]) <= types
    assert {s["sort"] for s in by_kind["sort_newest"]} == {"newest"}


def test_cold_mix_urls_ask_the_web_app_for_the_same_searches() -> None:
    """What the web stage sends: the URL the API reads back as the mix's own search."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    from benchmarks.run import search_path
    from indexer.search import SearchRequest
    from webapp.params import search_request_from_args

    for spec in corpus.cold_query_mix()[:60] + QUERY_MIX:
        path = search_path(spec)
        assert path.startswith("/api/search?")
        args = MultiDict(parse_qsl(path.split("?", 1)[1], keep_blank_values=True))
        sent = search_request_from_args(args, 10).validated()
        expected = SearchRequest(**search_request_kwargs(spec)).validated()
        assert sent.fingerprint() == expected.fingerprint(), path
