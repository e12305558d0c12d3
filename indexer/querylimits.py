"""What one query may cost, checked before the work starts and bounded while it runs.

A query's cost is known only once it is parsed: fuzzy, prefix and wildcard words
expand to every indexed word they match, and Whoosh would build a Levenshtein
automaton and expand them with no limit and no clock (``abcdefghijklmnop~9`` grew
one process to 17 GB). Here every expanding word is expanded once, by us, against
the index's own word list: within the edit distance, after a required prefix,
with a cap on the words it may become and the search's deadline checked as it
goes. The query then carries its expansion, so Whoosh scores exactly those words
and never expands anything itself. The caps work like Elasticsearch's
``max_expansions`` and ``indices.query.bool.max_clause_count``: beyond them the
user gets a 400 saying what to change, not a slower answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from rapidfuzz.distance import Levenshtein
from whoosh import query as wq
from whoosh.searching import TimeLimit

from indexer import whoosh_adapter
from indexer.errors import QueryError

# Named limits, each with its reason.
MAX_FUZZY_DISTANCE = 2  # beyond 2 edits nearly every short word matches (Lucene's limit too)
MIN_FUZZY_PREFIX = 1  # letters a fuzzy word keeps as typed: bounds the words compared
MIN_PREFIX_CHARS = 3  # "te*" would expand to thousands of words
MAX_EXPANSIONS = 256  # words one fuzzy, prefix or wildcard clause may become
MAX_TOTAL_EXPANSIONS = 1024  # words all of a query's expanding clauses may become together
MAX_CLAUSES = 128  # leaf clauses after parsing (each word is searched in title and body)
MAX_NESTING = 8  # depth of parentheses
MAX_PHRASE_SLOP = 100  # "a b"~N: wider is no proximity, and huge N overflows the matcher
_CLOCK_EVERY = 512  # candidate words between two looks at the clock


def check_nesting(q: str) -> None:
    """Reject parentheses nested deeper than MAX_NESTING, saying where."""
    depth = 0
    in_phrase = False
    for position, char in enumerate(q):
        if char == '"':
            in_phrase = not in_phrase
        elif not in_phrase and char == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise QueryError(
                    f"parentheses nested more than {MAX_NESTING} deep at position {position + 1}",
                    position=position)
        elif not in_phrase and char == ")":
            depth -= 1


def check_fuzzy_syntax(node: wq.FuzzyTerm) -> None:
    """Edit distance and prefix within bounds, before anything is expanded."""
    word = str(node.text)
    if node.maxdist > MAX_FUZZY_DISTANCE:
        raise QueryError(
            f"'{word}~{node.maxdist}': a fuzzy word allows at most {MAX_FUZZY_DISTANCE} edits"
            f" (write {word}~ or {word}~2)")
    if node.prefixlength > len(word):
        raise QueryError(
            f"'{word}~{node.maxdist}/{node.prefixlength}': the fixed prefix of"
            f" {node.prefixlength} letters is longer than the word")


class _Expanded:
    """Mixin for an expanding query whose words were found once, within the limits.

    Whoosh asks each segment's reader for the words (``_btexts``); a segment gets the
    ones it holds, so scoring sees exactly what Whoosh's own expansion would give.
    """

    fieldname: str
    expansions: tuple[bytes, ...] = ()

    def _btexts(self, ixreader) -> Iterator[bytes]:
        fieldname = self.fieldname
        for btext in self.expansions:
            if (fieldname, btext) in ixreader:
                yield btext


class ExpandedPrefix(_Expanded, wq.Prefix):
    """A prefix query carrying its bounded expansion."""


class ExpandedWildcard(_Expanded, wq.Wildcard):
    """A wildcard query carrying its bounded expansion."""


class ExpandedFuzzyTerm(_Expanded, wq.FuzzyTerm):
    """A fuzzy query carrying its bounded expansion."""


_EXPANDED = {wq.Prefix: ExpandedPrefix, wq.Wildcard: ExpandedWildcard,
             wq.FuzzyTerm: ExpandedFuzzyTerm}


def fuzzy_candidates(node: wq.FuzzyTerm, ixreader) -> Iterator[bytes]:
    """The words within the node's edit distance that keep its prefix, as Whoosh's
    ``terms_within`` finds them (tested against it), without building an automaton."""
    word = str(node.text)
    prefix = word[:node.prefixlength]
    rest = word[node.prefixlength:]
    cutoff = int(node.maxdist)
    for btext in ixreader.expand_prefix(node.fieldname, prefix):
        candidate = btext.decode("utf-8")[len(prefix):]
        # Words whose length alone differs by more than the distance cannot match.
        if abs(len(candidate) - len(rest)) > cutoff:
            yield b""  # still a candidate looked at: the clock and the budget count it
            continue
        if Levenshtein.distance(rest, candidate, score_cutoff=cutoff) <= cutoff:
            yield btext
        else:
            yield b""


def _candidates(node: wq.Query, ixreader) -> Iterable[bytes]:
    if isinstance(node, wq.FuzzyTerm):
        return fuzzy_candidates(node, ixreader)
    if isinstance(node, wq.Prefix):
        return ixreader.expand_prefix(node.fieldname, node.text)
    # Wildcard: Whoosh's own matching, over the words after its literal prefix only.
    assert isinstance(node, wq.Wildcard)
    return _pattern_candidates(node, ixreader)


def _pattern_candidates(node: wq.Wildcard, ixreader) -> Iterator[bytes]:
    match, prefix = whoosh_adapter.wildcard_pattern(node)
    for btext in ixreader.expand_prefix(node.fieldname, prefix):
        yield btext if match(btext.decode("utf-8")) else b""


def bound_query(parsed: wq.Query, ixreader, deadline: float) -> wq.Query:
    """The query with every expanding clause expanded within the limits.

    Raises QueryError past a limit and whoosh's TimeLimit past ``deadline``
    (time.monotonic()), so the caller reports both as it reports a slow search.
    """
    leaves = list(parsed.leaves()) if not parsed.is_leaf() else [parsed]
    if len(leaves) > MAX_CLAUSES:
        raise QueryError(f"the query has more than {MAX_CLAUSES} parts once read;"
                         " shorten it or split it into several searches")
    total = 0

    def expand(node: wq.Query) -> wq.Query:
        nonlocal total
        kind = type(node)
        if isinstance(node, wq.Phrase) and node.slop > MAX_PHRASE_SLOP:
            raise QueryError(f"'\"...\"~{node.slop}': words may be at most {MAX_PHRASE_SLOP}"
                             " apart in a proximity search")
        if kind not in _EXPANDED:
            if node.is_leaf():
                return node
            return node.apply(expand)
        expanded: Any = _EXPANDED[kind]  # a Whoosh query class
        bounded = expanded.__new__(expanded)
        bounded.__dict__.update(node.__dict__)
        if isinstance(bounded, wq.FuzzyTerm):
            check_fuzzy_syntax(bounded)
            # "dacic~" keeps its first letter: the words compared are those starting with it.
            bounded.prefixlength = max(bounded.prefixlength,
                                       min(MIN_FUZZY_PREFIX, len(str(bounded.text))))
        found: list[bytes] = []
        for looked, btext in enumerate(_candidates(bounded, ixreader)):
            if looked % _CLOCK_EVERY == 0 and time.monotonic() > deadline:
                raise TimeLimit()
            if not btext:
                continue
            found.append(btext)
            if len(found) > MAX_EXPANSIONS:
                raise QueryError(
                    f"'{_written(node)}' matches more than {MAX_EXPANSIONS} different words;"
                    " add letters to narrow it")
        total += len(found)
        if total > MAX_TOTAL_EXPANSIONS:
            raise QueryError(
                f"the query's fuzzy and wildcard words match more than {MAX_TOTAL_EXPANSIONS}"
                " different words together; use fewer of them")
        bounded.expansions = tuple(found)
        return bounded

    return expand(parsed)


def _written(node: wq.Query) -> str:
    if isinstance(node, wq.FuzzyTerm):
        return f"{node.text}~{node.maxdist}"
    if isinstance(node, wq.Prefix):
        return f"{node.text}*"
    return str(getattr(node, "text", node))
