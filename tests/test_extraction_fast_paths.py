"""Issue 18, rebuild work (third round): each faster path of entity extraction and the
encounters reading is held to the way it was first written, on the benchmark corpus's
communiqués, the fixture ministries' pages (several scripts) and odd text."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.entities import extractor_for
from indexer.entities.names import merge_token
from indexer.entities.quality import golden_entries, golden_record
from indexer.events.encounters import (
    EncounterReader,
    _fold_text,
    _sentence_spans,
    _Text,
)
from indexer.folding import fold
from scrapers.record import Communique

ROOT = Path(__file__).resolve().parent.parent
# Letters folding treats apart: Cyrillic (one letter to two), Greek sigmas (the final
# form depends on the letters around it), combining accents, a no-break space, ß.
_ODD_ALPHABET = "aZ .\n\xa0ΣσςΑΟΔđĐљЉЖжß\u0301é’»«-1"


@lru_cache(maxsize=1)
def _records() -> list[Communique]:
    """Some of the benchmark corpus's communiqués and every fixture page."""
    from benchmarks.corpus import generate

    records = list(generate(300))
    for source in ("evaluation/golden", "evaluation/entities-unseen/communiques.json",
                   "evaluation/readouts/communiques.json"):
        records += [golden_record(entry, name)
                    for name, entry in golden_entries(ROOT / source)]
    return records


def test_a_whole_text_folds_as_fold_folds_it() -> None:
    for record in _records():
        text = record.title + "\n" + record.body
        assert _fold_text(text) == fold(text)
    assert any(not r.body.isascii() for r in _records())  # Cyrillic pages among them

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet=_ODD_ALPHABET, max_size=40))
    def check(text: str) -> None:
        assert _fold_text(text) == fold(text)

    check()


def _mentions_word_by_word(reader: EncounterReader, text: _Text, names: dict,
                           surnames: dict, starts: frozenset[str]) -> list:
    """EncounterReader._mentions as first written: a Python step per word."""
    found = reader._registry_mentions(text)
    taken = {i for start, end, _ in found for i in range(start, end)}
    longest = max((len(k) for k in names), default=1)
    i = 0
    while i < len(text.keys):
        if i in taken or merge_token(text.keys[i]) not in starts:
            i += 1
            continue
        mention = reader._named_at(text, i, names, surnames, taken, longest)
        i = mention[1] if mention is not None else i + 1
        if mention is not None:
            found.append(mention)
    found.sort(key=lambda m: m[0])
    return found


def test_a_sentence_names_whom_the_word_by_word_scan_finds() -> None:
    extractor = extractor_for(None, found=False)
    reader = EncounterReader(extractor)
    named = 0
    for record in _records():
        entities = extractor.extract(record)
        names = reader._names(entities)
        full = record.title + "\n" + record.body
        for start, end in _sentence_spans(full):
            text = _Text(full[start:end])
            found = reader._mentions(text, *names)
            assert found == _mentions_word_by_word(reader, text, *names)
            named += len(found)
    assert named > 500  # the corpus names people in most sentences that matter

    # Odd sentences against one communiqué's names: runs of a name's words, a surname
    # alone, a name inside another, words no name starts with.
    record = next(r for r in _records() if len(extractor.extract(r).officials) >= 2)
    names = reader._names(extractor.extract(record))
    words = sorted({w for key in names[0] for w in key} | set(names[1]))[:12]
    vocabulary = [w.capitalize() for w in words] + words + ["the", "and", "met", ",", "."]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(vocabulary), max_size=20))
    def check(parts: list[str]) -> None:
        text = _Text(" ".join(parts))
        assert reader._mentions(text, *names) == \
            _mentions_word_by_word(reader, text, *names)

    check()



def _spans_at_every_start(extractor, tokens: tuple[str, ...]) -> list:
    """EntityExtractor._spans as first written: every word a name can start with."""
    from indexer.entities.extract import _positions

    return extractor._spans_at(tokens, _positions(tokens, extractor._official_starts))


def _countries_at_every_place_word(extractor, text: str, words: list[str],
                                   language: str) -> list[str]:
    """EntityExtractor.countries_in as first written: every word that is a place or
    begins one looked at, without the sets it keeps between communiqués."""
    from indexer.entities.extract import _AMERICAS, _longest, abbreviations
    from indexer.entities.names import key_tokens

    places = extractor.places
    tokens = key_tokens(text)
    english = language.split("-")[0] == "en"
    found: list[str] = []
    for word in abbreviations(words):
        code = places.abbreviations.get(word)
        name = places.names.get(code, code) if code else None
        if name and name not in found:
            found.append(name)
    starts = extractor._place_starts
    prefixes = extractor._place_prefixes
    after = 0
    for i, token in enumerate(tokens):
        if i < after or not (token in starts or places.match_single(token)):
            continue
        code = None
        size = 1
        if token in starts and tokens[i:i + 2] in prefixes:
            size, code = _longest(places.by_key, prefixes, tokens, i,
                                  min(places.max_words, len(tokens) - i), 2)
        if not code:
            size = 1
            code = places.match_single(token)
            if code and english and places.by_key.get((token,)) == code \
                    and fold(words[i]).lower() not in places.written:
                code = None
            if code == "US" and i and tokens[i - 1] in _AMERICAS:
                code = None
        if code:
            name = places.names.get(code, code)
            if name not in found:
                found.append(name)
        after = i + size
    return found


def test_names_and_places_are_those_every_start_finds() -> None:
    from indexer.entities.found import Words

    extractor = extractor_for(None, found=False)
    spans = countries = 0
    for record in _records():
        text = record.title + "\n" + record.body
        words = Words(text)
        found = extractor._spans(words.tokens)
        assert found == _spans_at_every_start(extractor, words.tokens)
        named = extractor.countries_in(text, words.tokens, set(words.tokens), words.words,
                                       record.language)
        assert named == _countries_at_every_place_word(extractor, text, words.words,
                                                       record.language)
        spans += len(found)
        countries += len(named)
    assert spans > 300 and countries > 300

    # Odd texts: beginnings of names and places with and without what goes on with them.
    starters = sorted({k[0] for k in extractor.registry.by_key if len(k) > 1})[:15] + sorted(
        {k[0] for k in extractor.places.by_key if len(k) > 1})[:15]
    seconds = sorted({k[1] for k in extractor.registry.by_key if len(k) > 1})[:15] + sorted(
        {k[1] for k in extractor.places.by_key if len(k) > 1})[:15]
    vocabulary = starters + seconds + ["The", "the", "Serbia", "Latin", "America",
                                       "Republic", "of", "Korea", "New", "York", "met", "."]

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from(vocabulary), max_size=20),
           st.sampled_from(["en", "sr-Latn", "ru"]))
    def check(parts: list[str], language: str) -> None:
        text = " ".join(parts)
        words = Words(text)
        assert extractor._spans(words.tokens) == _spans_at_every_start(extractor, words.tokens)
        assert extractor.countries_in(text, words.tokens, set(words.tokens), words.words,
                                      language) == \
            _countries_at_every_place_word(extractor, text, words.words, language)

    check()


def test_padded_trigger_patterns_find_what_the_patterns_find() -> None:
    """Trigger patterns run on ASCII text as padded patterns (a non-word character
    consumed instead of a lookbehind, ASCII classes): the same matches, on the corpus's
    folded texts and sentences and on odd text (non-ASCII text takes the pattern)."""
    from indexer.events import lexicon
    from indexer.events.encounters import (
        _ANY_TRIGGER,
        _PADDED_ANY_TRIGGER,
        _PADDED_TRIGGERS,
        _has_match,
        _matches,
        _trigger_matches,
        language_group,
    )

    pairs = [(_ANY_TRIGGER[g], _PADDED_ANY_TRIGGER[g]) for g in _ANY_TRIGGER] + [
        (pattern, padded) for g, triggers in lexicon.TRIGGERS.items()
        for (pattern, *_), padded in zip(triggers, _PADDED_TRIGGERS[g], strict=True)]

    def check_text(text: str) -> int:
        found = 0
        for pattern, padded in pairs:
            spans = [m.span() for m in pattern.finditer(text)]
            assert _matches(pattern, padded, text) == spans, (pattern.pattern[:60], text)
            assert _has_match(pattern, padded, text) == bool(spans)
            found += len(spans)
        for group, triggers in lexicon.TRIGGERS.items():
            assert _trigger_matches(group, text) == [
                (m.span(), kind, needs_with, reach)
                for pattern, kind, needs_with, reach in triggers
                for m in pattern.finditer(text)]
        return found

    found = 0
    for record in _records():
        folded = _fold_text(record.title + "\n" + record.body)
        found += check_text(folded)
        for start, end in _sentence_spans(record.title + "\n" + record.body)[:8]:
            text = _Text((record.title + "\n" + record.body)[start:end])
            found += check_text(" ".join(text.words))
        assert language_group(record.language) in _ANY_TRIGGER
    assert found > 1000

    words = st.sampled_from(
        ["met", "meets", "talks", "held", "had", "have", "the", "with", "telephone", "phone",
         "conversation", "call", "calls", "video", "conference", "videocall", "razgovarao",
         "sastao", "primio", "vstretilsja", "prinjal", "ucasti", "peregovory", "konsul",
         "tac", "delegation", "delegacija", "co", "chaired", "-", "_", "1", "\x00", ".", ",",
         "\n", "’", "é", "sa", "s", "po", "telefonu"])

    @settings(max_examples=500, deadline=None)
    @given(st.lists(words, max_size=14), st.sampled_from(["", " ", "-", "_"]))
    def check(parts: list[str], joiner: str) -> None:
        check_text(joiner.join(parts))
        check_text(" ".join(parts))

    check()


def test_a_match_ending_on_a_non_word_character_is_searched_by_the_pattern() -> None:
    import re

    import pytest

    from indexer.events.encounters import _matches, _padded

    # "a-" ends on a hyphen: the padded pattern takes it as the next match's boundary and
    # misses that match; the text is then searched by the pattern itself.
    pattern = re.compile(r"(?<![\w])(?:a-|bc)")
    padded = _padded(pattern)
    assert [m.span() for m in padded.finditer(" a-a- bc")] == [(0, 3), (5, 8)]
    assert _matches(pattern, padded, "a-a- bc") == [(0, 2), (2, 4), (5, 7)]
    assert _matches(pattern, padded, "x bc bc") == [(2, 4), (5, 7)]
    with pytest.raises(ValueError):
        _padded(re.compile(r"(?<![\w])(?:a\sb)"))
