"""Issue 18, rebuild work (third round): each faster path of entity extraction and the
encounters reading is held to the way it was first written, on the benchmark corpus's
communiqués, the fixture ministries' pages (several scripts) and odd text."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.entities import extractor_for
from indexer.entities.names import merge_key, merge_token
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
    by_id = reader.people.by_id
    found: list = []
    for start, end, official_id in reader.extractor.name_spans(text.keys):
        official = by_id.get(official_id)
        if official is not None:
            found.append((start, end, reader._participant(official)))
    taken = {i for start, end, _ in found for i in range(start, end)}
    longest = max((len(k) for k in names), default=1)
    i = 0
    while i < len(text.keys):
        if i in taken or merge_token(text.keys[i]) not in starts:
            i += 1
            continue
        for size in range(min(longest, len(text.keys) - i), 0, -1):
            window = range(i, i + size)
            if any(j in taken for j in window):
                continue
            key = merge_key(text.keys[i:i + size])
            who = names.get(key)
            if who is None and size == 1 and text.written[i][:1].isupper():
                who = surnames.get(key[0]) if key else None
            if who is not None:
                found.append((i, i + size, who))
                taken.update(window)
                i += size - 1
                break
        i += 1
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

