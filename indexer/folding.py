"""One Latin ASCII key for a name in any script: Дачић, Dačić, Dacic -> dacic.

Serbian Cyrillic is transliterated by the official Serbian table (so the key
matches how Serbian Latin pages spell the name); Russian letters Serbian lacks
get the closest Serbian Latin spelling. Diacritics are then dropped and
đ/Đ/Ð become "dj", the way English pages of the Serbian ministry write them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer

_CYRILLIC_TO_LATIN = {
    # Serbian
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž",
    "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
    "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
    # Russian, Ukrainian, Belarusian, Macedonian, Bulgarian letters Serbian lacks
    "й": "j", "ё": "e", "э": "e", "ы": "y", "я": "ja", "ю": "ju", "щ": "šč", "ъ": "",
    "ь": "", "є": "je", "і": "i", "ї": "ji", "ґ": "g", "ў": "u", "ѓ": "gj", "ќ": "kj",
    "ѕ": "dz",
}
_TABLE = str.maketrans(
    {**_CYRILLIC_TO_LATIN, **{k.upper(): v.capitalize() for k, v in _CYRILLIC_TO_LATIN.items()},
     "đ": "dj", "Đ": "Dj", "Ð": "Dj", "ð": "dj", "ß": "ss", "æ": "ae", "Æ": "Ae",
     "ø": "o", "Ø": "O", "ə": "a", "Ə": "A", "ł": "l", "Ł": "L", "œ": "oe", "Œ": "Oe", "ı": "i"}
)


def _fold_letters(text: str) -> str:
    text = text.translate(_TABLE)
    # đ produced by the Cyrillic table needs the second pass.
    text = text.translate(_TABLE)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


# Runs of non-ASCII letters repeat (names, Cyrillic words): each is folded once.
_fold_run = lru_cache(maxsize=262_144)(_fold_letters)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def fold(text: str) -> str:
    """Lower-case Latin ASCII key of `text` (letters outside Latin/Cyrillic pass through)."""
    if text.isascii():  # nothing to transliterate or decompose (most English pages)
        return text.lower()
    # Folding works letter by letter, so only the non-ASCII runs need the slow path.
    return _NON_ASCII.sub(lambda run: _fold_run(run.group()), text).lower()


# Words repeat (a Zipf law): indexing folds each distinct word once.
_fold_word = lru_cache(maxsize=262_144)(fold)


def folded_term_uncached(word: str) -> str:
    """`folded_term` without the caches: for one pass over every word of an index (the
    "did you mean" lexicon), whose words would fill them (tens of MB per web worker) and
    never be looked up again."""
    text = word.lower()
    if not text.isascii():
        text = _NON_ASCII.sub(lambda run: _fold_letters(run.group()), text).lower()
    return strip_case_ending(text)


class FoldFilter(Filter):
    """Whoosh filter that folds each token (offsets stay on the original text)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = _fold_word(token.text)
            yield token

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FoldFilter)

    __hash__ = Filter.__hash__


# Case endings of Serbian and Russian nouns and names (on folded text), longest first.
# Not "ej": it ends Sergej, Andrej, Aleksej in the nominative.
# Dačića, Dačiću, Dačićem -> dacic; Лавровым, Lavrovim -> lavrov; Kosovo, Kosovu -> kosov.
_ENDINGS = ("ovima", "evima", "ama", "ima", "om", "em", "im", "ym", "oj", "u", "a", "e",
            "i", "o", "y")
# Shorter stems are left alone: "data" and "date" must not meet as "dat".
MIN_STEM = 4


_ENDINGS_BY_SIZE = tuple(
    (size, frozenset(e for e in _ENDINGS if len(e) == size))
    for size in sorted({len(e) for e in _ENDINGS}, reverse=True)
)


def strip_case_ending(word: str) -> str:
    """The stem of a folded word, so inflected forms of a name meet its nominative."""
    length = len(word)
    if length <= MIN_STEM or word.isdigit():
        return word
    # Longest ending first; a set lookup per length (this runs for every indexed word).
    for size, endings in _ENDINGS_BY_SIZE:
        if length - size >= MIN_STEM and word[-size:] in endings:
            return word[:-size]
    return word


_stem_word = lru_cache(maxsize=262_144)(strip_case_ending)


class CaseEndingFilter(Filter):
    """Whoosh filter stripping case endings from folded tokens (offsets kept)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = _stem_word(token.text)
            yield token

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CaseEndingFilter)

    __hash__ = Filter.__hash__


# Words: letters and digits, keeping inner apostrophes and hyphens out (split there),
# so "Botsan-Kharchenko" is two terms and a phrase query finds it either way.
WORD_PATTERN = r"\w+"
WORD = re.compile(WORD_PATTERN)


@lru_cache(maxsize=262_144)
def folded_term(word: str) -> str:
    """The index term of one word in the folded fields (what `folded_analyzer` makes of it)."""
    return _stem_word(_fold_word(word.lower()))


def clear_caches() -> None:
    """Forget every word folded so far. The caches are sized for indexing (every distinct
    word of a corpus); a web worker calls this once it has loaded the officials and
    countries, whose names would otherwise stay in them (about 20,000 entries, 6 MB)."""
    for cached in (folded_term, _stem_word, _fold_word, _fold_run):
        cached.cache_clear()


def exact_term(word: str) -> str:
    """The index term of one word in the exact-spelling fields."""
    return word.lower()


def folded_analyzer():
    """Analyzer for the searched fields: any script, spelling and grammatical case, one key."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | FoldFilter() | CaseEndingFilter()


def exact_analyzer():
    """Analyzer keeping script and diacritics: for exact-spelling search."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter()
