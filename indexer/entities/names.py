"""Token keys for names: folded, case endings stripped, so any spelling meets the registry."""

from __future__ import annotations

from indexer.folding import WORD, folded_term

# Forms of address that are not part of a name ("The Rt Hon David Lammy MP" is David Lammy).
HONORIFICS = frozenset({
    "the", "rt", "hon", "right", "honourable", "honorable", "mp", "mep", "h", "e", "he",
    "his", "her", "excellency", "mr", "mrs", "ms", "dr", "shri", "smt", "prof", "kc", "qc",
    "obe", "cmg", "kcmg", "gcmg", "cbe", "mbe", "lvo", "g", "gospodin", "gospodja", "sir", "dame",
})


def key_tokens(text: str) -> tuple[str, ...]:
    """The matching key of a text: its words as the index holds them (folded, case
    endings stripped), so a name is found in a communiqué exactly when a search finds it."""
    return tuple(map(folded_term, WORD.findall(text)))


def name_key(name: str) -> tuple[str, ...]:
    """The key of a person's name, without honorifics around it."""
    tokens = list(key_tokens(name))
    while tokens and tokens[0] in HONORIFICS:
        tokens.pop(0)
    while tokens and tokens[-1] in HONORIFICS:
        tokens.pop()
    return tuple(tokens)


def without_honorifics(name: str) -> str:
    """A tagged name as written, less the honorifics around it: "The Rt Hon Yvette
    Cooper MP" is Yvette Cooper, "H.E. Mr Li Ming" is Li Ming."""
    words = name.split()

    def honorific(word: str) -> bool:
        key = key_tokens(word)
        return bool(key) and all(part in HONORIFICS for part in key)

    while words and honorific(words[0]):
        words.pop(0)
    while words and honorific(words[-1]):
        words.pop()
    return " ".join(words) or name
