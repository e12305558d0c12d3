"""Token keys for names: folded, case endings stripped, so any spelling meets the registry."""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.folding import WORD, folded_term

# Forms of address that are not part of a name ("The Rt Hon David Lammy MP" is David Lammy).
HONORIFICS = frozenset({
    "the", "rt", "hon", "right", "honourable", "honorable", "mp", "mep", "h", "e", "he",
    "his", "her", "excellency", "mr", "mrs", "ms", "dr", "shri", "smt", "prof", "kc", "qc",
    "obe", "cmg", "kcmg", "gcmg", "cbe", "mbe", "lvo", "g", "gospodin", "gospodja", "sir", "dame",
    # More British post-nominals GOV.UK tags carry ("Dame Karen Pierce DCMG").
    "dcmg", "kcb", "gcb", "cb", "dbe", "kbe", "gbe", "cvo", "kcvo", "gcvo", "mvo", "frs", "pc",
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


# Spellings of one sound in the transliterations communiqués use (English, Serbian,
# Russian), folded to one: "Szijjártó"/"Sijjarto", "Christopher"/"Kristofer",
# "Sergey"/"Sergei"/"Sergej", "Aleksandr"/"Alexander". Applied in this order.
_SOUNDS = (("sch", "s"), ("chr", "kr"), ("wh", "v"), ("ch", "c"), ("sh", "s"), ("zh", "z"),
           ("kh", "h"), ("gh", "g"), ("th", "t"), ("ph", "f"), ("ts", "c"), ("tz", "c"),
           ("sz", "s"), ("cz", "c"), ("ck", "k"), ("dj", "dz"), ("w", "v"), ("x", "ks"),
           ("q", "k"), ("y", "i"), ("j", "i"))
_DOUBLE = re.compile(r"(.)\1+")
_HARD_C = re.compile(r"c(?=[aou]|[^aeiouy]|$)")
# Case endings come off short words too ("Hil", "Hila", "Hilom"; "Ana", "Anom"), and a
# vowel that comes and goes before a final r ("Aleksandar", "Aleksandr"; "Petar", "Petr").
_LOOSE_ENDINGS = ("om", "em", "im", "oj", "u", "a", "e", "i", "o")
_FLEETING = re.compile(r"(?<=[^aeiou])[ae](?=r$)")
# Serbian declines a name ending in -i with a j before the ending: "Ji", "Jija", "Jiju",
# "Jijem" ("sa Ванг Јијем" is Wang Yi), "Tajani", "Tajanija". Longer stems lose the
# ending anyway; a short one ("ji") would keep it, so the j and ending come off first.
_J_INSERTED = re.compile(r"^(\w*i)j(?:a|u|em|om|e)$")


@lru_cache(maxsize=65_536)
def merge_token(token: str) -> str:
    """One word of a `merge_key`."""
    if token.isdigit():
        return token
    token = _J_INSERTED.sub(r"\1", token)
    for written, sound in _SOUNDS:
        token = token.replace(written, sound)
    token = _HARD_C.sub("k", token)
    token = _DOUBLE.sub(r"\1", token)
    for _ in range(2):
        for ending in _LOOSE_ENDINGS:
            if token.endswith(ending) and len(token) - len(ending) >= 2:
                token = token[:-len(ending)]
                break
        else:
            break
    return _FLEETING.sub("", token)


_merge_token = merge_token  # the name other modules first imported


def merge_key(name: str | tuple[str, ...]) -> tuple[str, ...]:
    """Who a name designates, more loosely than `name_key`: transliterations of one
    sound folded together and one more case ending stripped, so that "Кристофером
    Хилом", "Christopher Hill" and "Kristofer Hil" meet, and "Sergei Lavrov" meets the
    registry's "Sergey Lavrov". For people, never for searching: "data" and "date" meet."""
    tokens = name if isinstance(name, tuple) else name_key(name)
    return tuple(map(merge_token, tokens))
