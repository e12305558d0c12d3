"""Token keys for names: folded, case endings stripped, so any spelling meets the registry."""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.folding import fold, strip_case_ending

_WORD = re.compile(r"\w+")

# Forms of address that are not part of a name ("The Rt Hon David Lammy MP" is David Lammy).
HONORIFICS = frozenset({
    "the", "rt", "hon", "right", "honourable", "honorable", "mp", "mep", "h", "e", "he",
    "his", "her", "excellency", "mr", "mrs", "ms", "dr", "shri", "smt", "prof", "kc", "qc",
    "obe", "cmg", "kcmg", "gcmg", "cbe", "mbe", "lvo", "g", "gospodin", "gospodja",
})


_stem = lru_cache(maxsize=262_144)(strip_case_ending)


def key_tokens(text: str) -> tuple[str, ...]:
    """The matching key of a text: folded words with case endings stripped."""
    return tuple(map(_stem, _WORD.findall(fold(text))))


def name_key(name: str) -> tuple[str, ...]:
    """The key of a person's name, without honorifics around it."""
    tokens = list(key_tokens(name))
    while tokens and tokens[0] in HONORIFICS:
        tokens.pop(0)
    while tokens and tokens[-1] in HONORIFICS:
        tokens.pop()
    return tuple(tokens)
