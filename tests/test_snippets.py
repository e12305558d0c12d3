"""Snippets: passages around the matches, escaped and marked."""

from __future__ import annotations

import re

from indexer.folding import exact_term, folded_term
from indexer.snippets import find_matches, snippet_html


def _marked(snippet: str) -> list[str]:
    return re.findall(r'<mark class="match term\d+">(.*?)</mark>', snippet)


def test_every_spelling_of_a_word_is_marked_with_the_same_class() -> None:
    text = "Minister Dačić met Дачићем. Later Dacic said <b>nothing</b>."
    matches = find_matches(text, {"dacic"}, folded_term)
    snippet, shown = snippet_html(text, matches, 280)
    assert _marked(snippet) == ["Dačić", "Дачићем", "Dacic"]
    assert set(re.findall(r"term\d+", snippet)) == {"term0"}
    assert shown == 3
    assert "&lt;b&gt;nothing&lt;/b&gt;" in snippet and "<b>" not in snippet


def test_exact_terms_match_only_the_spelling_given() -> None:
    text = "Дачић and Dačić and Dacic"
    assert [text[s:e] for s, e, _ in find_matches(text, {"дачић"}, exact_term)] == ["Дачић"]


def test_a_long_text_gives_two_passages_in_order_and_counts_the_rest() -> None:
    filler = " ".join(["lorem"] * 120)
    text = (f"Kosovo first. {filler} Serbia and Kosovo together. {filler} "
            f"Kosovo again. {filler} Kosovo last.")
    matches = find_matches(text, {"kosov", "serbi"}, folded_term)
    assert len(matches) == 5
    snippet, shown = snippet_html(text, matches, 280)
    passages = snippet.split(" … ")
    # The passage with two different words wins; the second is the earliest of the rest.
    assert snippet.startswith('<mark class="match term0">Kosovo</mark> first')
    assert "Serbia</mark> and <mark" in snippet
    assert snippet.index("first") < snippet.index("Serbia")
    assert shown == len(_marked(snippet)) == 3
    assert all(len(re.sub(r"<[^>]+>", "", p)) <= 280 for p in passages)
    assert snippet.endswith(" …")  # the text goes on
