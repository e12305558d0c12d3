"""The indexing fast paths give the index Whoosh's own pipeline would give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh.fields import TEXT

from benchmarks.corpus import generate
from indexer.folding import fold
from indexer.schema import FastText, build_schema

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def _texts() -> list[str]:
    texts = []
    for path in sorted(GOLDEN.glob("*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            texts += [record["title"], record["body"]]
    texts += [r.body for r in generate(30)]
    # Letters that fold to nothing or to two letters, ligatures, digits, underscores.
    texts += ["ъ Ъ ǅ ﬁ İstanbul Đorđe 12 3,5 a_b Ivica Dačića-Ђорђевић\n\nЛавровым", ""]
    return texts


@pytest.mark.parametrize("fieldname", ["title", "body", "title_exact", "body_exact",
                                       "official", "country"])
def test_fast_text_indexes_what_the_analyzer_would(fieldname: str) -> None:
    field = build_schema()[fieldname]
    assert isinstance(field, FastText)
    reference = TEXT(analyzer=field.analyzer, field_boost=field.format.field_boost)
    texts = _texts()
    assert len(texts) > 200
    for text in texts:
        # Terms, frequencies, weights (with the field boost) and encoded positions.
        assert list(field.index(text)) == list(reference.index(text)), text[:80]


def test_fold_fast_path_for_ascii_matches_the_full_fold() -> None:
    import unicodedata

    def slow(text: str) -> str:
        from indexer.folding import _TABLE

        text = unicodedata.normalize("NFKD", text.translate(_TABLE).translate(_TABLE))
        return "".join(c for c in text if not unicodedata.combining(c)).lower()

    for text in _texts():
        assert fold(text) == slow(text)
