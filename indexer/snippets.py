"""Snippets: the passages of a communiqué around the words a search matched, escaped, with
the matches marked.

Whoosh's highlighter analyses the whole body into Token objects twice a hit (once to
highlight, once to count the matches), which cost about 1.5 ms a hit: most of a rare
word's search page. Here one regular-expression pass finds the words, each distinct word
is turned into its index term once (the same cached function the index uses), and the
passages are chosen from the matches alone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection
from functools import lru_cache

from indexer.folding import WORD, exact_term, folded_term_uncached

SURROUND = 40  # characters of context kept before the first and after the last match
FRAGMENTS = 2  # passages in a snippet, in document order
SEPARATOR = " … "
SNIPPET_CHARS = 280  # about two lines of a result

Match = tuple[int, int, str]  # start, end, index term
# Body words' terms kept per process. Not the index's own caches (folded_term): every
# word of every body shown would fill them, hundreds of thousands of entries (tens of MB
# per web worker at 100,000 communiqués); common words stay in this smaller one.
SNIPPET_TERMS_KEPT = 16_384
_snippet_term = lru_cache(maxsize=SNIPPET_TERMS_KEPT)(folded_term_uncached)


def _is_word_char(char: str) -> bool:
    return WORD.match(char) is not None


def find_matches(text: str, terms: Collection[str], term_of: Callable[[str], str]) -> list[Match]:
    """Every word of `text` whose index term is one of `terms`, in order.

    Each distinct word is turned into its term once, unless it cannot be one of
    `terms` (see `_could_match`); the few that match are then found with str.find (an
    occurrence counts when no word character touches it, which is what making it one of
    WORD's words). Matching every word in a Python loop was most of a cold search page's
    hits, and then folding each distinct word was."""
    if not terms or not text:
        return []
    matching = {word: term for word in _candidates(text, terms, term_of)
                if (term := term_of(word)) in terms}
    found: list[Match] = []
    for word, term in matching.items():
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            if (at == 0 or not _is_word_char(text[at - 1])) and (
                    end == len(text) or not _is_word_char(text[end])):
                found.append((at, end, term))
            at = text.find(word, at + 1)
    found.sort()
    return found


def _candidates(text: str, terms: Collection[str], term_of: Callable[[str], str]) -> set[str]:
    """The distinct words of `text` that could have one of `terms` as their term: all
    that do, and some others (which term_of then tells apart), found by one regular
    expression in C rather than a test per word in Python.

    Both term functions lower-case (and fold) letter by letter, then at most cut an
    ending, so a word's term begins as the term of its first letter does: an ASCII
    word's term is its lower-cased form or a prefix of it (a case-insensitive match of a
    term at its start); a word holding other letters has a term beginning with its
    first letter's term (unless that is empty)."""
    if "" in terms:  # a word whose term is empty (a lone soft sign) may match
        return set(WORD.findall(text))
    firsts = frozenset(t[0] for t in terms)
    found = set(_start_pattern(frozenset(terms), firsts).findall(text))
    # The words beginning outside ASCII came whatever their first letter: keep those
    # whose first letter's term begins as a term does.
    for word in [w for w in found if not w[0].isascii()]:
        first = _first_term(term_of, word[0])
        if first and first[0] not in firsts:
            found.discard(word)
    return found


# More ASCII terms than this (a prefix or fuzzy word's expansions) are told apart by their
# first letters only: matching a word against each of hundreds of terms cost more than
# folding it (1,024 terms: 20 ms a body where folding every word took 4).
MAX_ALTERNATIVES = 32
# A word beginning with a character outside ASCII.
_NON_ASCII_START = r"[^\W\x00-\x7f]\w*"


@lru_cache(maxsize=4096)
def _first_term(term_of: Callable[[str], str], char: str) -> str:
    return term_of(char)


@lru_cache(maxsize=1024)
def _start_pattern(terms: frozenset[str], firsts: frozenset[str]) -> re.Pattern[str]:
    """Every word beginning outside ASCII, and the words beginning with an ASCII
    character that could have one of `terms` as their term: an ASCII term at their
    start (any case), or a first letter that lower-cases to a term's first character and
    another letter outside ASCII later. One pattern, so that the text is scanned once:
    a scan for each kind was most of a snippet's time."""
    ascii_terms = sorted((t for t in terms if t.isascii()), key=len, reverse=True)
    letters = sorted({c for c in (chr(n) for n in range(128)) if c.lower() in firsts})
    choices = []
    if len(ascii_terms) > MAX_ALTERNATIVES:
        # Every word beginning with a letter a term begins with: the regular expression
        # engine tries an alternation's terms one by one at each word.
        if letters:
            choices.append("[" + "".join(map(re.escape, letters)) + r"]\w*")
    else:
        if ascii_terms:
            choices.append("(?i:" + "|".join(map(re.escape, ascii_terms)) + r")\w*")
        if letters:
            choices.append("[" + "".join(map(re.escape, letters)) + r"]\w*?[^\W\x00-\x7f]\w*")
    choices.append(_NON_ASCII_START)
    return re.compile(r"(?<!\w)(?:" + "|".join(choices) + ")")


def _fragments(text: str, matches: list[Match], max_chars: int) -> list[tuple[int, int, list]]:
    """Passages of at most `max_chars`, each starting near a match and taking the
    following matches that fit; they do not overlap."""
    fragments = []
    i = 0
    while i < len(matches):
        start = max(0, matches[i][0] - SURROUND)
        if start:  # begin at a word, not inside one
            space = text.find(" ", start, matches[i][0])
            start = space + 1 if space >= 0 else matches[i][0]
        members = [matches[i]]
        i += 1
        while i < len(matches) and matches[i][1] + SURROUND - start <= max_chars:
            members.append(matches[i])
            i += 1
        end = min(len(text), max(members[-1][1] + SURROUND, start + max_chars // 2),
                  start + max_chars)
        if end < len(text):  # end after a word, not inside one
            space = text.rfind(" ", members[-1][1], end)
            end = space if space >= 0 else members[-1][1]
        fragments.append((start, end, members))
    return fragments


def _score(fragment: tuple[int, int, list]) -> tuple[int, int, int]:
    members = fragment[2]
    # Different words matched beat one word repeated; then more matches; then earlier.
    return len({term for _, _, term in members}), len(members), -fragment[0]


def snippet_html(text: str, matches: list[Match], max_chars: int) -> tuple[str, int]:
    """The best passages around `matches`, escaped, with <mark> around each match (the
    class names the term, so one word's forms share a colour); and how many it marks."""
    best = sorted(_fragments(text, matches, max_chars), key=_score, reverse=True)[:FRAGMENTS]
    best.sort(key=lambda fragment: fragment[0])
    classes: dict[str, int] = {}
    passages = []
    for start, end, members in best:
        parts = []
        at = start
        for match_start, match_end, term in members:
            number = classes.setdefault(term, len(classes))
            parts += [html.escape(text[at:match_start]),
                      f'<mark class="match term{number}">',
                      html.escape(text[match_start:match_end]), "</mark>"]
            at = match_end
        parts.append(html.escape(text[at:end]))
        passages.append("".join(parts).strip())
    snippet = ("… " if best[0][0] else "") + SEPARATOR.join(passages) + \
        (" …" if best[-1][1] < len(text) else "")
    return snippet, sum(len(members) for _, _, members in best)


def snippet_for(body: str, terms: set[tuple[str, str]],
                max_chars: int = SNIPPET_CHARS) -> tuple[str, int]:
    """Escaped snippet of `body` around the best passages of the matched `terms`
    (("folded" | "exact", index term)), and how many matches it leaves out; the body's
    lead when nothing matched (a search with no words, or matches in the title only)."""
    if not body:
        return "", 0
    for kind, term_of in (("folded", _snippet_term), ("exact", exact_term)):
        words = {text for k, text in terms if k == kind}
        matches = find_matches(body, words, term_of) if words else []
        if matches:
            snippet, shown = snippet_html(body, matches, max_chars)
            return snippet, len(matches) - shown
    lead = body if len(body) <= max_chars else body[:max_chars].rsplit(" ", 1)[0] + " …"
    return html.escape(lead), 0
