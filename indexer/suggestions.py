""""Did you mean": corrections for the words of a search that found nothing or little.

Two sources, both the index's own: the folded terms of the searched text (title and
body), so a misspelling is corrected to a word the communiqués really use ("Lavrof" ->
Lavrov), shown in the script and spelling the user typed in ("Дачич" -> Дачић: the
most common spelling, in that script, of the folded term); and the officials registry,
whose names are offered in the user's script when the registry has such an alias.

Words are compared folded (scripts, diacritics and case endings removed), by edit
distance (rapidfuzz), and ranked by distance, then by how many documents use the word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from indexer.folding import WORD, folded_term

# A search with this many results or fewer is offered corrections (zero always is).
FEW_RESULTS = 3
MAX_SUGGESTIONS = 3
# Shorter words are left alone: one edit turns most of them into another real word.
MIN_WORD_LENGTH = 4
# A correction must be used by this many times more documents than the word as typed.
MORE_COMMON = 3
# Query-language words, never corrected.
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# A word of the query: a field prefix, a quoted phrase's word, a plain word, with what
# follows it (":" marks a field name, "*" or "~" a prefix or fuzzy word).
_TOKEN = re.compile(r"(?P<field>\w+:)?(?P<word>\w+)(?P<after>[*~]?)")


def max_distance(word: str) -> int:
    """Edits allowed for a folded word of this length: 1 up to 5 letters, then 2."""
    return 1 if len(word) <= 5 else 2


def is_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text))


def in_case_of(typed: str, word: str) -> str:
    """`word` written with the capitals of `typed` (Lavrof -> Lavrov, LAVROF -> LAVROV)."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@dataclass
class Lexicon:
    """The searched fields' terms: folded terms with their document frequencies, and
    for each folded term the spellings (lower-cased, as written) that make it."""

    folded: dict[str, int]  # folded term -> documents
    exact: dict[str, int]  # lower-cased spelling -> documents
    spellings: dict[str, dict[str, int]] = field(default_factory=dict)
    _terms: list[str] = field(default_factory=list)

    @classmethod
    def from_terms(cls, folded: Iterable[tuple[str, int]],
                   exact: Iterable[tuple[str, int]]) -> Lexicon:
        folded_df: dict[str, int] = {}
        for term, df in folded:
            folded_df[term] = max(df, folded_df.get(term, 0))
        exact_df: dict[str, int] = {}
        for term, df in exact:
            exact_df[term] = max(df, exact_df.get(term, 0))
        spellings: dict[str, dict[str, int]] = {}
        for spelling, df in exact_df.items():
            spellings.setdefault(folded_term(spelling), {})[spelling] = df
        return cls(folded_df, exact_df, spellings, sorted(folded_df))

    @classmethod
    def from_reader(cls, reader) -> Lexicon:
        """The lexicon of an open Whoosh reader's title and body fields."""

        def terms(fields: tuple[str, ...]) -> Iterable[tuple[str, int]]:
            for name in fields:
                for term in reader.lexicon(name):
                    text = term.decode("utf-8") if isinstance(term, bytes) else term
                    if not text.isdigit():
                        yield text, reader.doc_frequency(name, term)

        return cls.from_terms(terms(("title", "body")), terms(("title_exact", "body_exact")))

    def near(self, term: str, distance: int) -> list[tuple[str, int, int]]:
        """Folded terms within `distance` edits of `term`: (term, edits, documents),
        closest first, then the most used."""
        found = process.extract(term, self._terms, scorer=Levenshtein.distance,
                                score_cutoff=distance, limit=None)
        ranked = [(t, int(d), self.folded[t]) for t, d, _ in found]
        ranked.sort(key=lambda c: (c[1], -c[2], c[0]))
        return ranked

    def spelling(self, term: str, cyrillic: bool, avoid: str = "") -> tuple[str, int] | None:
        """The most used spelling of a folded term in one script (not `avoid`)."""
        choices = [(s, df) for s, df in self.spellings.get(term, {}).items()
                   if s != avoid and is_cyrillic(s) == cyrillic]
        if not choices:
            return None
        return max(choices, key=lambda c: (c[1], -len(c[0]), c[0]))


def correct_word(typed: str, lexicon: Lexicon, exact: bool) -> str | None:
    """A more common word of the index close to `typed`, in its script, or None."""
    lower = typed.lower()
    term = folded_term(typed)
    if len(term) < MIN_WORD_LENGTH or term.isdigit():
        return None
    cyrillic = is_cyrillic(typed)
    # How common the word is where the search looks for it.
    used = lexicon.exact.get(lower, 0) if exact else lexicon.folded.get(term, 0)
    best: tuple[tuple[int, int, int], str] | None = None
    for candidate, edits, documents in lexicon.near(term, max_distance(term)):
        if not exact and edits == 0:
            continue  # the same folded word: the search already finds its spellings
        spelled = lexicon.spelling(candidate, cyrillic, avoid=lower)
        if spelled is None:
            continue
        spelling, spelling_documents = spelled
        found = spelling_documents if exact else documents
        if found > used and (used == 0 or found >= MORE_COMMON * used):
            # Folded edits first, then edits as written ("terorism" is nearer
            # "terrorism" than "terorizma"), then the most used.
            rank = (edits, Levenshtein.distance(lower, spelling), -found)
            if best is None or rank < best[0]:
                best = (rank, spelling)
    return in_case_of(typed, best[1]) if best else None


def _words(q: str) -> list[re.Match[str]]:
    """The plain words of a query: not operators, fields' values other than text,
    prefix or fuzzy words, nor numbers."""
    words = []
    for token in _TOKEN.finditer(q):
        field_name = (token.group("field") or "")[:-1].lower()
        word = token.group("word")
        if field_name not in ("", "title", "body") or token.group("after"):
            continue
        if word in _OPERATORS or word.isdigit() or q[token.end():token.end() + 1] == ":":
            continue
        words.append(token)
    return words


def _replace(q: str, spans: list[tuple[int, int, str]]) -> str:
    for start, end, text in sorted(spans, reverse=True):
        q = q[:start] + text + q[end:]
    return q


def index_suggestion(q: str, lexicon: Lexicon, exact: bool) -> str | None:
    """The query with each word the index would rather spell otherwise corrected."""
    spans = []
    for token in _words(q):
        corrected = correct_word(token.group("word"), lexicon, exact)
        if corrected is not None:
            spans.append((token.start("word"), token.end("word"), corrected))
    return _replace(q, spans) if spans else None


def _name_in_script(spellings: tuple[str, ...], cyrillic: bool) -> str | None:
    """The first full name (two words or more) of a person in a script."""
    for spelling in spellings:
        if is_cyrillic(spelling) == cyrillic and len(WORD.findall(spelling)) >= 2 \
                and "." not in spelling:
            return spelling
    return None


def _name_match(words: list[re.Match[str]], official: object,
                lexicon: Lexicon | None) -> list[tuple[re.Match[str], int]]:
    """The query words naming a person, with their edits, if one of them is a surname.

    A word matches a name's word as written (folded), or within a few edits when the
    index hardly uses it (a misspelling, not another real word such as "Kosovo")."""
    spellings = [[folded_term(w) for w in WORD.findall(s)] for s in official.spellings]  # type: ignore[attr-defined]
    tokens = {t for words_ in spellings for t in words_}
    surnames = {words_[-1] for words_ in spellings if words_}
    matched, named = [], False
    for token in words:
        term = folded_term(token.group("word"))
        if len(term) < MIN_WORD_LENGTH:
            continue
        if term in tokens:
            edits, near = 0, term
        elif lexicon is None or lexicon.folded.get(term, 0) == 0:
            edits, near = min(((Levenshtein.distance(term, t), t) for t in tokens),
                              default=(99, ""))
            # Names are short and many: one edit, two only in long names.
            if edits > (1 if len(term) < 8 else 2):
                continue
        else:
            continue
        matched.append((token, edits))
        named = named or near in surnames
    return matched if named else []


def registry_suggestions(q: str, officials: Iterable, lexicon: Lexicon | None = None,
                         limit: int = MAX_SUGGESTIONS) -> list[str]:
    """The query with a misspelt or other-spelt name replaced by the person's name in
    the script typed, for each registry person it names (closest first)."""
    words = _words(q)
    if not words:
        return []
    scored: list[tuple[int, str, str]] = []
    for official in officials:
        matched = _name_match(words, official, lexicon)
        if not matched:
            continue
        typed = " ".join(t.group("word") for t, _ in matched)
        name = _name_in_script(official.spellings, is_cyrillic(typed)) or official.name
        if all(t.group("word").lower() in WORD.findall(name.lower()) for t, _ in matched):
            continue  # written as the name writes it: nothing to correct
        start, end = matched[0][0].start("word"), matched[-1][0].end("word")
        if start > 0 and q[start - 1] == '"':
            text = name  # already inside a phrase
        else:
            text = f'"{name}"' if len(WORD.findall(name)) > 1 and len(words) > len(matched) \
                else name
        scored.append((sum(d for _, d in matched), official.name,
                       _replace(q, [(start, end, text)])))
    scored.sort()
    return list(dict.fromkeys(s for _, _, s in scored))[:limit]


def suggestions(q: str, lexicon: Lexicon, officials: Iterable, exact: bool = False,
                limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Alternative queries for `q`, best first: the index's spelling, then names."""
    found = []
    corrected = index_suggestion(q, lexicon, exact)
    if corrected is not None:
        found.append(corrected)
    found += registry_suggestions(q, officials, lexicon, limit)
    found = [s for s in dict.fromkeys(found) if s.strip() != q.strip()]
    return found[:limit]
