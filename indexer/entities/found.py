"""Officials beyond the registry: people a communiqué introduces by their office.

"Minister of Foreign Affairs of Italy Antonio Tajani", "U.S. Ambassador to Serbia
Christopher Hill", "sa ministrom spoljnih poslova Slovačke Jurajem Blanarom", "Посол России
в Сербии А.А.Боцан-Харченко": a title (its noun in any case, the words that may stand before
it), the title's complement (what the office is about, whose it is: "of Foreign Affairs of
Italy", "spoljnih poslova Slovačke", "в Сербии"), then one to four capitalised words, the
person's name. What ends a name: a lower-case word, punctuation, another title.

A bare surname after a title ("Secretary Rubio", "ministar Blanar") names the person whose
full name the same communiqué gives elsewhere; on its own it names nobody.

Words are read in whitespace-separated chunks, each made of the index's word tokens
(`indexer.folding.WORD`), so positions line up with `key_tokens` of the same text.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.entities.countries import Gazetteer
from indexer.entities.names import HONORIFICS, merge_key, merge_token
from indexer.entities.vocabulary import (
    CONNECTORS,
    DAT,
    GEN,
    INS,
    LOC,
    NOM,
    PARTICLES,
    PREPOSITIONS,
    SURNAME_WORDS,
    TitleWord,
    complement_word,
    modifier_keys,
    month_keys,
    not_a_name,
    place_keys,
    title_keys,
    title_words,
)
from indexer.folding import WORD, fold, folded_term

# Separators that end a name or a title's run: sentence and clause punctuation, quotes,
# brackets, dashes between words, line breaks.
_BREAK = re.compile(r"[,;:!?()\[\]{}\"«»“”„—–/|\n]|\.\s|\.$|\s[-‐‑]\s")
# Forms of address written with a dot that do not end a sentence.
_DOTTED = frozenset("mr mrs ms dr st sv g gđa gdja gdin gđica prof amb h e jr sr a.i".split())
# Forms of address before a name, the registry's and peerages ("Baroness Nicholson").
_ADDRESS = HONORIFICS | frozenset(
    "lord lady baroness baron viscount earl countess duke madam madame monsieur".split())
_ARTICLES = frozenset(fold(w) for w in "the a an its his her their".split())
# Prepositions before the place where an office is, not whose it is ("Ambassador to
# Serbia", "ambasador u Beogradu", "Посол в Сербии").
_WHERE = frozenset(fold(w) for w in "to in at for u za в во na на pri при по".split())
MAX_NAME_WORDS = 4
MAX_RUN = 16  # words a title's complement and name may take together
MAX_FREE_WORDS = 5  # lower-case words of a Serbian or Russian complement, vocabulary aside
# Words that end a title's complement: function words and auxiliaries (folded).
_FUNCTION_WORDS = frozenset(fold(w) for w in """je su će ce bi sam smo ste bio bila bilo
bili da što koji koja koje kojeg kojem kojim kome kao ali a ili ne se već još takođe
danas juče sutra on ona oni ono njegov njegova njen njena njihov čiji kad kada ako jer
što тоже что который которая которое которые которого которой был была было были будет
не это как так также а но или уже еще ещё сегодня вчера завтра он она они его ее её их
себя свой своего где когда если чтобы который мы вы я ты""".split())
# Endings of verbs (folded): Serbian participles and presents, Russian pasts, presents
# and reflexives ("razgovarao", "istakla", "встретился", "заявил", "обсуждает").
_VERB_ENDINGS = {
    "sr": ("ao", "la", "li", "lo", "le", "io", "ju", "uje", "ira", "ava"),
    "ru": ("l", "la", "lo", "li", "sja", "s", "et", "it", "jut", "jat", "ut", "at"),
}


def _verb_or_function(word: str, language: str) -> bool:
    return word in _FUNCTION_WORDS or word.endswith(
        _VERB_ENDINGS.get(language.split("-")[0], ()))


# Countries whose names are words too (the gazetteer leaves them out): capitalised,
# they are the country ("Кубы", "Togo").
_AMBIGUOUS_PLACES = {"kub": "CU", "kuba": "CU", "kuby": "CU", "togo": "TG", "komor": "KM"}
ROMAN = frozenset("I II III IV V VI VII VIII IX X XI XII".split())


@dataclass(frozen=True)
class Mention:
    """A person a title introduces in one text."""

    written: str  # the name as the text writes it (maybe inflected, maybe initials)
    nominative: str  # the name in the nominative, as far as the title's case tells
    key: tuple[str, ...]  # merge_key of the name
    role: str  # the title, its first words in the nominative
    country: str  # ISO code of the office's country ("" if the text does not say)
    start: int  # first and last token of the name, in the text's WORD tokens
    end: int
    nominative_known: bool  # the text itself writes the name in the nominative
    surname_only: bool  # one word without initials: someone named in full elsewhere
    initials: bool = False  # initials and a surname ("И.В.Моргулов", "J. Smith")


@dataclass(slots=True)
class _Chunk:
    """A whitespace-separated word of the text: its WORD tokens and what surrounds it."""

    text: str  # the chunk without the punctuation around it
    first: int  # index of its first WORD token
    last: int  # index of its last WORD token
    break_before: bool  # punctuation or a line break before it
    break_after: bool
    keys: tuple[str, ...]  # index keys of its tokens
    after: str = ""  # what separates it from the next chunk
    dated: bool = False  # a number next to it: a month here is a date's
    # What the scanner made of it, computed once (a chunk belongs to one sentence's list).
    cache: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.keys[-1] if self.keys else ""


# Initials joined to a surname: "С.В.Лавров", "К.-Ж.Токаев", "A. B. Smith".
_INITIALS = re.compile(r"^(?:[^\W\d_]{1,2}\.-?\s?)+[^\W\d_]{2}")
_JOINERS = frozenset({"-", "‐", "'", "’", ".", ".-", ".‐"})


# Separators and the words before them repeat: each pair is judged once (`_breaks`,
# `_ends_sentence` are pure; a hit is one C look-up where the tests take a few Python
# calls each), bounded as the word caches are.
SEPARATOR_PAIRS_KEPT = 65_536


@lru_cache(maxsize=SEPARATOR_PAIRS_KEPT)
def _breaks(separator: str, before: str) -> bool:
    """Whether the separator after the word `before` ends a name or a title's run; a dot
    after an initial or an abbreviation ("J.", "U.S.", "Mr.") does not."""
    if separator == " ":
        return False
    if separator.startswith(".") and (_is_initial(before.split(".")[-1]) or all(
            _is_initial(p) for p in before.split(".") if p) or fold(before.lower()) in _DOTTED):
        separator = separator[1:]
    return bool(_BREAK.search(separator + " " if separator.endswith(".") else separator))


@lru_cache(maxsize=SEPARATOR_PAIRS_KEPT)
def _ends_sentence(separator: str, before: str) -> bool:
    """Whether the separator after the word `before` ends a sentence (or a line)."""
    if separator == " ":
        return False
    if "\n" in separator:
        return True
    if separator.startswith(".") and (_is_initial(before) or fold(before.lower()) in _DOTTED):
        separator = separator[1:]
    return bool(_SENTENCE_END.search(separator + " "))


_SENTENCE_END = re.compile(r"[.!?;]\s")
# What a separator ending a sentence holds one of (_ends_sentence).
_END_CHARACTER = re.compile(r"[.!?;\n]")
_SPLIT = re.compile(r"(\w+)")
# Words a sentence around a title is read over, before and after it.
_BEHIND, _AHEAD = 24, 48


class _WordKeys(dict):
    """Word -> folded_term(word), a plain dict in front of its lru_cache: a hit is one C
    lookup (map() over it costs no Python-level step), where the lru_cache's cost about
    three times as much. Bounded: cleared when it outgrows WORD_KEYS_KEPT."""

    def __missing__(self, word: str) -> str:
        if len(self) >= WORD_KEYS_KEPT:
            self.clear()
        key = self[word] = folded_term(word)
        return key


WORD_KEYS_KEPT = 262_144  # as many as folded_term's own cache
WORD_KEYS = _WordKeys()


class Words:
    """A text as the index splits it: its words, the separators between them (seps[i]
    precedes words[i]; one more at the end) and the words' index keys."""

    def __init__(self, text: str, tokens: tuple[str, ...] | None = None) -> None:
        parts = _SPLIT.split(text)
        self.words: list[str] = parts[1::2]
        self.seps: list[str] = parts[0::2]
        self.tokens = tokens if tokens is not None else tuple(
            map(WORD_KEYS.__getitem__, self.words))
        self._sentences: dict[int, tuple[int, int, list[_Chunk]]] = {}
        self._ends: list[int] | None = None

    def __len__(self) -> int:
        return len(self.words)

    def sentence(self, i: int, lo: int, hi: int) -> tuple[list[_Chunk], int]:
        """The chunks of the sentence around word i (within lo..hi, and a few dozen
        words either side), and the index of the chunk holding word i."""
        if self._ends is None:
            # Where sentences end, found once: the word after each end.
            words, seps = self.words, self.seps
            # A separator without a stop, a semicolon or a line break ends none: those
            # are ruled out in C, without a call each.
            self._ends = [n for n in itertools.compress(
                range(1, len(words)), map(_END_CHARACTER.search, seps[1:len(words)]))
                if _ends_sentence(seps[n], words[n - 1])]
        at_end = bisect_right(self._ends, i)
        start = max(lo, i - _BEHIND, self._ends[at_end - 1] if at_end else 0)
        cached = self._sentences.get(start)
        if cached is None or not cached[0] <= i < cached[1]:
            end = min(hi, i + _AHEAD + 1,
                      self._ends[at_end] if at_end < len(self._ends) else len(self.words))
            cached = (start, end, self._chunks(start, end))
            self._sentences[start] = cached
        chunks = cached[2]
        # Word i is in a chunk, or is the "s" of a possessive after one.
        at = next((n for n, c in enumerate(chunks) if c.first <= i <= c.last), None)
        if at is None:
            at = next(n for n, c in enumerate(chunks) if c.last == i - 1)
        return chunks, at

    def leads_nowhere(self, i: int, hi: int) -> bool:
        """An English title word that can introduce nobody, told without reading its
        sentence: a lower-case word after it that no title goes on with ("the minister
        said"), and no comma just before it (", Minister of ..." may follow a name)."""
        nxt = i + 1
        if nxt >= hi or self.seps[nxt] != " ":
            return False
        word = self.words[nxt]
        if not word.islower() or complement_word(self.tokens[nxt]) or word in PARTICLES:
            return False
        return "," not in self.seps[i] and not (i and "," in self.seps[i - 1])

    def _chunks(self, lo: int, hi: int) -> list[_Chunk]:
        """Words lo..hi-1 in chunks. A possessive ("Wenbin's") ends its chunk, and a
        name: its "s" belongs to no chunk."""
        words, seps, tokens = self.words, self.seps, self.tokens
        chunks: list[_Chunk] = []
        start = lo
        previous_break = True
        j = lo
        while j < hi:
            after = seps[j + 1]
            possessive = after in ("'", "’") and j + 1 < hi and words[j + 1] in ("s", "S")
            if j + 1 < hi and after in _JOINERS and not possessive:
                j += 1
                continue  # one chunk: "Botsan-Kharchenko", "С.В.Лавров", "O'Brien", "U.S"
            if start == j:
                body = words[j]
            else:
                body = "".join(w + seps[k + 1] for k, w in enumerate(words[start:j], start)) \
                    + words[j]
            # A space breaks nothing: most chunks are told so without a call.
            ends = possessive or j + 1 == hi or (after != " " and _breaks(after, body))
            dated = (start > 0 and words[start - 1].isdigit()) or (
                j + 1 < len(words) and words[j + 1].isdigit())
            # An acronym in brackets after an institution's name goes with it: "šefom
            # Misije UN na Kosovu (UNMIK) Karolinom Zijade".
            bracketed = chunks and seps[start] == " (" and after[:1] == ")" and (
                after[1:] == " ") and body.isupper() and len(body) > 1
            if bracketed:
                chunks[-1].break_after = previous_break = ends = False
            chunks.append(_Chunk(body, start, j, previous_break, ends, tokens[start:j + 1],
                                 after, dated))
            previous_break = ends
            start = j + 2 if possessive else j + 1
            j = start
        return chunks


def _word_of(chunk: _Chunk, words: frozenset[str]) -> bool:
    """Whether a chunk is one of these lower-case words ("с", not "С.Франса")."""
    return len(chunk.keys) == 1 and chunk.key in words and chunk.text.islower()


def _is_initial(word: str) -> bool:
    return len(word) <= 2 and word[:1].isupper() and (len(word) == 1 or word[1].islower())


@lru_cache(maxsize=65_536)
def _acronym(text: str) -> bool:
    """Whether a chunk's text is an acronym ("UN", "U.S.", "NATO-a"), not a Roman
    numeral (each distinct text worked out once)."""
    first = text.split("-")[0].replace(".", "")
    return len(first) > 1 and first.isupper() and first not in ROMAN


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not (len(word) > 1 and word.isupper())


class FoundScanner:
    """Finds the people titles introduce in a text (see the module docstring)."""

    def __init__(self, places: Gazetteer) -> None:
        self.places = places
        # A word's country (a dictionary look-up, then its prefixes): each word once.
        self._match_single = lru_cache(maxsize=262_144)(places.match_single)
        self._place_keys = place_keys()
        # Places of several words, in any case: "Баня-Луке", "New Yorku".
        self._place_merge_keys = frozenset(merge_key(k) for k in self._place_keys if len(k) > 1)
        # First words of places of several words: only these start a longer look.
        self._multi_starts = frozenset(
            [k[0] for k in places.by_key if len(k) > 1]
            + [k[0] for k in self._place_keys if len(k) > 1])
        self._multi_merge_starts = frozenset(k[0] for k in self._place_merge_keys)

    # -- what a chunk is --------------------------------------------------------------

    def _place(self, chunks: list[_Chunk], i: int) -> int:
        """How many chunks from i name a place (country or city), 0 if none."""
        cache = chunks[i].cache
        size = cache.get("place")
        if size is None:
            size = cache["place"] = self._place_size(chunks, i)
        return size

    def _place_size(self, chunks: list[_Chunk], i: int) -> int:
        chunk = chunks[i]
        # Longest first: "Bosnia and Herzegovina", "New York", "Republic of Korea".
        if chunk.keys and (chunk.keys[0] in self._multi_starts
                           or merge_token(chunk.keys[0]) in self._multi_merge_starts):
            for size in range(min(4, len(chunks) - i), 0, -1):
                span = tuple(k for c in chunks[i:i + size] for k in c.keys)
                if len(span) > 1 and (self.places.by_key.get(span) or span in self._place_keys
                                      or merge_key(span) in self._place_merge_keys):
                    return size
        word = chunk.text
        if self.places.abbreviations.get(word.replace(".", "")) and not _is_initial(word):
            return 1
        if len(chunk.keys) == 1 and (self._match_single(chunk.key)
                                     or (chunk.key,) in self._place_keys
                                     or (chunk.key in _AMBIGUOUS_PLACES
                                         and _capitalised(word))):
            return 1
        return 0

    def _place_ending(self, chunks: list[_Chunk], i: int) -> bool:
        """Whether a place of several words ends at chunk i ("New York")."""
        return any(i - size + 1 >= 0 and self._place(chunks, i - size + 1) == size
                   for size in range(2, 5))

    def _acronym(self, chunk: _Chunk) -> bool:
        return _acronym(chunk.text)

    def _name_word(self, chunk: _Chunk) -> bool:
        """Could this chunk be a word of a person's name?"""
        name_like = chunk.cache.get("name")
        if name_like is None:
            name_like = chunk.cache["name"] = self._name_like(chunk)
        return name_like

    def _name_like(self, chunk: _Chunk) -> bool:
        text = chunk.text
        if len(text) == 1 and text.isupper() and chunk.after.startswith("."):
            return True  # a middle initial: "Marc E. Knapper"
        if not _capitalised(text) or _acronym(text):
            return text in ROMAN
        main = [k for k in chunk.keys if len(k) > 2] or list(chunk.keys)
        if "-" in text and not _INITIALS.match(text) and any(
                self._match_single(k) or (k,) in self._place_keys for k in chunk.keys):
            return False  # "Belgrade-Pristina", "российско-сербский"
        if chunk.dated and any(k in month_keys() for k in main):
            return False  # "5. maja", "May 5"
        return not any(not_a_name(k) or k in _ADDRESS for k in main)

    def _title_at(self, chunk: _Chunk, language: str) -> TitleWord | None:
        key = ("title", language)
        if key not in chunk.cache:
            chunk.cache[key] = self._title_word(chunk, language)
        return chunk.cache[key]

    def _title_word(self, chunk: _Chunk, language: str) -> TitleWord | None:
        nouns = title_keys(language)
        if nouns.isdisjoint(chunk.keys):  # most words: no dictionary look-up
            return None
        words = title_words(language)
        text = chunk.text
        parts = text.replace("‐", "-").split("-") if "-" in text or "‐" in text else [text]
        for part in reversed(parts):
            word = words.get(fold(part.lower()))
            if word and word.noun and folded_term(part) in nouns:
                return word
        return None

    def _modifier(self, chunk: _Chunk, language: str) -> TitleWord | bool:
        key = ("modifier", language)
        if key not in chunk.cache:
            chunk.cache[key] = self._modifier_word(chunk, language)
        return chunk.cache[key]

    def _modifier_word(self, chunk: _Chunk, language: str) -> TitleWord | bool:
        if not chunk.keys or not modifier_keys(language).issuperset(chunk.keys):
            return False
        word = title_words(language).get(fold(chunk.text.lower()))
        return word if word is not None and not word.noun else True

    # -- scanning ---------------------------------------------------------------------

    def mentions(self, text: str | Words, language: str, lo: int = 0,
                 hi: int | None = None) -> list[Mention]:
        """Every person a title introduces in a text (words lo..hi of it), in order;
        positions are word indices."""
        words = text if isinstance(text, Words) else Words(text)
        hi = len(words) if hi is None else hi
        nouns = title_keys(language)
        tokens = words.tokens
        found: list[Mention] = []
        done = lo - 1
        slavic = language.split("-")[0] in ("sr", "ru")
        for i in itertools.compress(range(lo, hi), map(nouns.__contains__, tokens[lo:hi])):
            if i <= done or (not slavic and words.leads_nowhere(i, hi)):
                continue
            chunks, at = words.sentence(i, lo, hi)
            if self._title_at(chunks[at], language) is None:
                continue
            start, end = self._title_span(chunks, at, language)
            done = chunks[end].last
            mention = self._after_title(chunks, start, end, language)
            if mention is not None:
                found.append(mention)
                done = max(done, mention.end)
        return found

    def full_name(self, text: str | Words, surname: str, lo: int = 0,
                  hi: int | None = None) -> str | None:
        """The first full name (two to four capitalised words) whose last word is
        `surname` (a merge_key token) in a text: "Juraj Blanár" for "blanr"."""
        words = text if isinstance(text, Words) else Words(text)
        hi = len(words) if hi is None else hi
        tokens = words.tokens
        for i in range(lo, hi):
            token = tokens[i]
            if merge_key((token,))[0] != surname:
                continue
            chunks, at = words.sentence(i, lo, hi)
            chunk = chunks[at]
            if at == 0 or not self._name_word(chunk) or chunk.break_before:
                continue
            start = at
            while start > 0 and at - start < MAX_NAME_WORDS - 1 and \
                    self._name_word(chunks[start - 1]) and not self._place(chunks, start - 1):
                start -= 1
                if chunks[start].break_before:
                    break
            if start < at:
                return " ".join(c.text for c in chunks[start:at + 1])
        return None

    def _title_span(self, chunks: list[_Chunk], i: int, language: str) -> tuple[int, int]:
        """The chunks of the title around its noun at i: the modifiers before it, the
        title words after it ("Secretary General", "Заместитель Министра")."""
        start = i
        while start > 0 and not chunks[start].break_before and (
                self._modifier(chunks[start - 1], language)
                or self._title_at(chunks[start - 1], language)):
            start -= 1
        end = i
        while end + 1 < len(chunks) and not chunks[end].break_after and (
                self._modifier(chunks[end + 1], language)
                or self._title_at(chunks[end + 1], language)):
            end += 1
        return start, end

    def _after_title(self, chunks: list[_Chunk], start: int, end: int,
                     language: str) -> Mention | None:
        """The person the title at chunks start..end introduces, if any."""
        run = self._run(chunks, end + 1, language)
        span = self._name_span(chunks, run, language) if run else None
        if span is None:
            # "the Director-General of the World Health Organization, Dr Tedros Adhanom
            # Ghebreyesus": the name after a comma, when the title has none of its own.
            last = chunks[run[-1] if run else end]
            span = self._appositive(chunks, (run[-1] if run else end) + 1) \
                if last.after.strip() == "," else None
            if span is None:
                # "Murat Nurtleu, Deputy Prime Minister and Minister of Foreign Affairs
                # of Kazakhstan": the name before a comma, the title after it.
                span = self._named_before(chunks, start)
                if span is None:
                    return None
            else:
                run = [*(run or [end]), *range((run[-1] if run else end) + 1, span[1] + 1)]
        name_start, name_end = span
        name_chunks = chunks[name_start:name_end + 1]
        # Written as the text writes it, an initial with its dot: "Marc E. Knapper".
        written = " ".join(c.text + "." if _is_initial(c.text) and c.after.startswith(".")
                           else c.text for c in name_chunks)
        # The name's words as the index keys them, less forms of address at either end.
        tokens = [k for c in name_chunks for k in c.keys]
        letters = [w for c in name_chunks for w in WORD.findall(c.text)]
        while tokens and tokens[0] in HONORIFICS and len(tokens) > 1:
            # A capital initial before a surname is the first name's ("Х.Фиданом",
            # "Г.Браун"), not a form of address ("H.E.", "g."): it stays in the key.
            if len(letters) == len(tokens) and len(letters[0]) == 1 and letters[0].isupper() \
                    and not (len(letters[1]) == 1 and tokens[1] in HONORIFICS):
                break
            tokens.pop(0)
            letters.pop(0)
        while tokens and tokens[-1] in HONORIFICS and len(tokens) > 1:
            tokens.pop()
        key = merge_key(tuple(tokens))
        # A one-letter surname is an initial, not a name; one that folding shortened
        # ("Yi", "Јијем": "i") is a name.
        if not key or (len(key[-1]) < 2 and len(name_chunks[-1].text) < 2
                       and name_chunks[-1].text not in ROMAN):
            return None
        initials = bool(_INITIALS.match(name_chunks[0].text)) or (
            len(name_chunks) > 1 and all(_is_initial(c.text) for c in name_chunks[:-1]))
        surname_only = len(name_chunks) == 1 and not initials
        title = chunks[start:end + 1]
        head = next((w for c in title for w in [self._title_at(c, language)] if w), None)
        case = head.case if head else NOM
        # The title's complement: up to the name, or all of what follows the title when
        # the name came before it.
        complement = chunks[end + 1:name_start] if name_start > end else [
            chunks[i] for i in run]
        country = (self._country(complement) or self._country_before(chunks, start)
                   or "")
        role = _role(title, complement, language, self, chunks)
        english = language.split("-")[0] not in ("sr", "ru")
        nominative = written if english or case == NOM else _nominative(
            name_chunks, case, language, bool(head and head.feminine))
        return Mention(written, nominative, key, role, country, name_chunks[0].first,
                       name_chunks[-1].last, english or case == NOM, surname_only, initials)

    def _run(self, chunks: list[_Chunk], i: int, language: str) -> list[int]:
        """The chunks after a title up to where its name must end: punctuation, a
        lower-case word that is not part of the title's complement, another title."""
        run: list[int] = []
        named = False  # a name-like word was seen: a lower-case word now ends the run
        nouns = title_keys(language)
        slavic = language.split("-")[0] in ("sr", "ru")
        free = 0
        named_at = -1
        while i < len(chunks) and len(run) < MAX_RUN:
            chunk = chunks[i]
            if run and chunk.break_before:
                break
            text = chunk.text
            if any(k in nouns for k in chunk.keys) and self._title_at(chunk, language):
                break
            if self._opens_title(chunks, i, language):
                break  # "... and Iranian Foreign Minister X": the next title begins
            if text[:1].islower():
                lower = chunk.keys[0] if chunk.keys else ""
                particle = text in PARTICLES or text.split("-")[0] in PARTICLES
                if named and not particle:
                    # "Организации Договора о коллективной безопасности": one word
                    # after an institution's is the institution's, if a preposition
                    # goes on with it; "Второго Европейского департамента": capitalised
                    # words before an institution's noun are its name.
                    institution = slavic and lower.startswith(_INSTITUTION_NOUNS)
                    if not institution and not (
                            slavic and lower in PREPOSITIONS and len(run) >= 2
                            and named_at == run[-1] and not self._name_word(chunks[run[-2]])
                            and chunks[run[-2]].text[:1].isupper()):
                        break
                    named = False
                # What the office is about: its words, a preposition and the word it
                # governs ("по делам", "за рубежом"), a people ("египтян"); in Serbian
                # and Russian, whose complements are in lower case, any word that is
                # not a verb or a function word ("по делам временной администрации").
                after_preposition = bool(run) and _word_of(chunks[i - 1], PREPOSITIONS)
                if particle or complement_word(lower) or after_preposition \
                        or self._place(chunks, i):
                    pass
                elif slavic and free < MAX_FREE_WORDS and not _verb_or_function(
                        fold(text.lower()), language):
                    free += 1
                else:
                    break
            elif not text[:1].isalpha():
                break
            elif not named and self._name_word(chunk) and not self._place(chunks, i):
                named, named_at = True, i
            run.append(i)
            if chunk.break_after:
                break
            i += 1
        # A name ends in a capitalised word: "X and" / "X i" are cut back to X.
        while run and not chunks[run[-1]].text[:1].isupper():
            run.pop()
        return run

    def _appositive(self, chunks: list[_Chunk], i: int) -> tuple[int, int] | None:
        """A name of two to four words (after a form of address) from chunk i, ending
        where the clause does: "..., Dr Tedros Adhanom Ghebreyesus, ..."."""
        while i < len(chunks) and (chunks[i].key in _ADDRESS
                                   or fold(chunks[i].text.lower()) in _DOTTED):
            i += 1
        end = i
        while end < len(chunks) and end - i < MAX_NAME_WORDS and self._name_word(
                chunks[end]) and not self._place(chunks, end):
            if chunks[end].break_after:
                break
            end += 1
        if end >= len(chunks) or end - i < 1 or not self._name_word(chunks[end]):
            return None
        ends_clause = chunks[end].break_after or (
            end + 1 < len(chunks) and chunks[end + 1].text[:1].islower())
        return (i, end) if ends_clause else None

    def _named_before(self, chunks: list[_Chunk], start: int) -> tuple[int, int] | None:
        """A name of two to four words just before ", [the] [country] <title>"."""
        i = start - 1
        # ", the", ", Serbian", ", EU": an article, a country or an acronym before the title.
        while i >= 0 and (chunks[i].key in _ARTICLES or (
                (self._place(chunks, i) or _acronym(chunks[i].text))
                and not chunks[i].break_after)):
            i -= 1
        if i < 1 or chunks[i].after.strip() != "," or not self._name_word(chunks[i]) \
                or self._place(chunks, i):
            return None
        first = i
        while first > 0 and i - first < MAX_NAME_WORDS - 1 and not chunks[first].break_before \
                and self._name_word(chunks[first - 1]) and not self._place(chunks, first - 1):
            first -= 1
        if first == i and not _INITIALS.match(chunks[i].text):
            return None
        # "... Minister X, ..." is that title's name, not this one's; a form of address
        # before the name is no title ("received Mr. Denis Keefe, Ambassador of ...").
        before = first - 1
        while before >= 0 and not chunks[before + 1].break_before \
                and chunks[before].key in _ADDRESS and chunks[before].key not in _ARTICLES \
                and (chunks[before].text[:1].isupper() or chunks[before].key in _DOTTED):
            before -= 1
        if before >= 0 and not chunks[before + 1].break_before and (
                self._title_at(chunks[before], "") or chunks[before].key in _ADDRESS):
            return None
        return first, i

    def _opens_title(self, chunks: list[_Chunk], i: int, language: str) -> bool:
        """Whether chunk i begins the next title: modifiers, a country or an acronym
        right before a title noun ("Foreign Minister", "Iranian Ambassador", "UN
        Secretary-General")."""
        for j in range(i, min(i + 4, len(chunks))):
            chunk = chunks[j]
            if j > i and chunk.break_before:
                return False
            if self._title_at(chunk, language):
                return j > i
            if not (self._modifier(chunk, language) or _acronym(chunk.text) or (
                    _capitalised(chunk.text) and self._place(chunks, j) == 1)):
                return False
        return False

    def _name_span(self, chunks: list[_Chunk], run: list[int],
                   language: str) -> tuple[int, int] | None:
        """The first and last chunk of the name at the end of the run (None: the run
        names nobody).
        A place ending the run follows the name ("posete ... Badra Abdelatija
        Beogradu"): the run is cut before it."""
        english = language.split("-")[0] not in ("sr", "ru")
        last = chunks[run[-1]]
        # An English surname that only looks like a place: "Nusrat Ghani" (Ghana).
        surname_not_place = english and len(run) > 1 and len(last.keys) == 1 \
            and fold(last.text.lower()) not in self.places.written \
            and (last.key,) not in self._place_keys and self._name_word(chunks[run[-2]])
        # "posete ... Badra Abdelatija Beogradu": a place after a name, in another case,
        # is where something goes, not part of the name ("Mohamada Ismaila Gaza" is).
        while not english and len(run) > 1 and self._place(chunks, run[-1]) \
                and self._name_word(chunks[run[-2]]) and not self._place(chunks, run[-2]) \
                and fold(chunks[run[-1]].text[-1:]) != fold(chunks[run[-2]].text[-1:]):
            run = run[:-1]
        words = 0
        start: int | None = None
        position = len(run) - 1
        while position >= 0:
            i = run[position]
            chunk = chunks[i]
            before = chunks[run[position - 1]] if position > 0 else None
            if chunk.text in PARTICLES and start is not None:
                # "von der" inside "Ursula von der Leyen": particles between two names.
                back = position
                while back > 0 and chunks[run[back - 1]].text in PARTICLES:
                    back -= 1
                if back > 0 and self._name_word(chunks[run[back - 1]]):
                    position = back - 1
                    continue
                break
            name_word = self._name_word(chunk)
            at_end = position == len(run) - 1
            if not name_word and at_end and before is not None and self._name_word(before) \
                    and _capitalised(chunk.text) and chunk.key in SURNAME_WORDS:
                name_word = True  # a surname that is also a word: "Richard Hall"
            place = not (at_end and surname_not_place) and (
                self._place(chunks, i) or self._place_ending(chunks, i))
            if not name_word or place:
                break
            if start is not None and before is not None and _word_of(before, CONNECTORS) \
                    and position > 1 and (not self._name_word(chunks[run[position - 2]])
                                          or self._place(chunks, run[position - 2])):
                break  # "za Aziju i Pacifik Stefan Tomašević": Pacifik is Aziju's fellow
            if before is not None and _word_of(before, PREPOSITIONS):
                if words == 1 and name_word and start is not None \
                        and not _INITIALS.match(chunks[start].text):
                    return None  # "for New Challenges": a name does not follow "for"
                break  # "of Italy", "u Beogradu", "в Москве": the complement, not a name
            if not _is_initial(chunk.text.rstrip(".")):
                words += 1
            if words > MAX_NAME_WORDS:
                break
            start = i
            position -= 1
        if start is None:
            return None
        # A name does not start with a place or an abbreviation ("Serbia Ivica Dacic").
        while start <= run[-1] and (self._place(chunks, start)
                                    or _acronym(chunks[start].text)):
            start += 1
        return (start, run[-1]) if start <= run[-1] else None

    def _country(self, complement: list[_Chunk]) -> str | None:
        """The office's country from its complement: "of Italy", "Slovačke", "России",
        "SAD"; a place after "to", "in", "u", "в" is where the office is, not whose."""
        for position, chunk in enumerate(complement):
            if position and _word_of(complement[position - 1], _WHERE):
                continue
            size = self._place(complement, position)
            if size:
                span = tuple(k for c in complement[position:position + size] for k in c.keys)
                code = (self.places.by_key.get(span)
                        or self.places.abbreviations.get(chunk.text.replace(".", ""))
                        or (self._match_single(chunk.key) if size == 1 else None)
                        or _AMBIGUOUS_PLACES.get(chunk.key))
                if code:
                    return code
        return None

    def _country_before(self, chunks: list[_Chunk], start: int) -> str | None:
        """A country named just before the title: "U.S. Ambassador", "Russian Foreign
        Minister", "Italian Prime Minister"."""
        if start == 0 or chunks[start].break_before:
            return None
        chunk = chunks[start - 1]
        code = self.places.abbreviations.get(chunk.text.replace(".", ""))
        if code:
            return code
        if len(chunk.keys) == 1 and _capitalised(chunk.text):
            return self._match_single(chunk.key)
        return None


def _role(title: list[_Chunk], complement: list[_Chunk], language: str,
          scanner: FoundScanner, chunks: list[_Chunk]) -> str:
    """The office as the text gives it, its first words in the nominative, with what it
    is about ("Minister of Foreign Affairs", "ministar spoljnih poslova") but not whose it
    is (the country is kept apart)."""
    words: list[str] = []
    seen_noun = False
    for chunk in title:
        word = title_words(language).get(fold(chunk.text.lower()))
        if word is not None and not seen_noun and word.case != NOM:
            nominative = word.nominative
            if _script(chunk.text) == "cyrl" and _script(nominative) == "latn":
                nominative = to_serbian_cyrillic(nominative)
            if chunk.text[:1].isupper():
                nominative = nominative[:1].upper() + nominative[1:]
            words.append(nominative)
        elif chunk.text.lower() not in PARTICLES and not scanner._place(chunks, chunks.index(
                chunk)) and not scanner.places.abbreviations.get(chunk.text.replace(".", "")):
            words.append(chunk.text)
        if word is not None and word.noun:
            seen_noun = True
    # What the office is about, up to whose it is: lower-case words, and the words
    # and acronyms of an institution ("of Foreign Affairs", "of the World Health
    # Organization", "ОБСЕ"), not a country.
    extra: list[str] = []
    for position, chunk in enumerate(complement):
        if scanner._place(complement, position):
            # "of the Socialist Republic of Vietnam": the country's long name goes too.
            while extra and (fold(extra[-1].lower()).startswith(_STATE_WORDS)
                             or fold(extra[-1].lower()) in PREPOSITIONS
                             or fold(extra[-1].lower()) in CONNECTORS):
                extra.pop()
            break
        key = chunk.key
        if key not in CONNECTORS and (key in HONORIFICS or fold(chunk.text.lower()) in _DOTTED):
            break
        if key in PREPOSITIONS or key in CONNECTORS or complement_word(key) or (
                chunk.text[:1].isupper() and (scanner._acronym(chunk) or not_a_name(key))):
            extra.append(chunk.text)
            continue
        break
    while extra and (fold(extra[-1].lower()) in PREPOSITIONS
                     or fold(extra[-1].lower()) in CONNECTORS):
        extra.pop()
    return " ".join(words + extra)


# Nouns of institutions, written in lower case in Serbian and Russian after the
# capitalised words of their name ("Второго Европейского департамента").
_INSTITUTION_NOUNS = tuple(fold(w) for w in """департамент управлен отдел служб комитет
министерств совет агентств фонд банк центр институт университет департман одељењ управ
сектор канцелариј агенциј""".split())
# Words of a state's long name ("Socialist Republic of", "Соединённого Королевства").
_STATE_WORDS = tuple(fold(w) for w in """republi respubl socijalist socialist социалист
federa федерац kingdom kraljev королев democrat demokrat демократ people narodn народн
islam ислам arab араб united ujedinjen sjedinjen соединен plurinac bolivar hashem hašem
хашем великобрит""".split())


# -- nominative forms --------------------------------------------------------------------

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _script(text: str) -> str:
    return "cyrl" if _CYRILLIC.search(text) else "latn"


_LATIN_TO_SERBIAN = {
    "lj": "љ", "nj": "њ", "dž": "џ", "Lj": "Љ", "Nj": "Њ", "Dž": "Џ", "LJ": "Љ", "NJ": "Њ",
    "DŽ": "Џ",
}
_LATIN_LETTERS = dict(zip("abvgdđežzijklmnoprstćufhcčšABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ",
                          "абвгдђежзијклмнопрстћуфхцчшАБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ", strict=True))


def to_serbian_cyrillic(text: str) -> str:
    """Serbian Latin to Serbian Cyrillic (for titles listed in Latin)."""
    for digraph, letter in _LATIN_TO_SERBIAN.items():
        text = text.replace(digraph, letter)
    return "".join(_LATIN_LETTERS.get(c, c) for c in text)


# Endings of an inflected name and what replaces them in the nominative, by case, for a
# man and for a woman; the first that fits a word applies. Serbian (Latin and Cyrillic
# alike: Cyrillic words are matched on their folded form) and Russian apart.
_SERBIAN_ENDINGS = {
    (GEN, False): (("ija", "i"), ("a", "")),
    (DAT, False): (("iju", "i"), ("u", "")),
    (INS, False): (("ijem", "i"), ("jem", "j"), ("em", ""), ("om", "")),
    (GEN, True): (("ije", "ija"), ("e", "a")),
    (DAT, True): (("iji", "ija"), ("i", "a")),
    (INS, True): (("ijom", "ija"), ("om", "a")),
}
_RUSSIAN_ENDINGS = {
    (GEN, False): (("ova", "ov"), ("eva", "ev"), ("ina", "in"), ("skogo", "skij"),
                   ("eja", "ej"), ("aja", "aj"), ("oja", "oj"), ("uja", "uj"), ("ija", "ij"),
                   ("ja", "'"), ("a", "")),
    (DAT, False): (("ovu", "ov"), ("evu", "ev"), ("inu", "in"), ("skomu", "skij"),
                   ("eju", "ej"), ("aju", "aj"), ("oju", "oj"), ("uju", "uj"), ("iju", "ij"),
                   ("ju", "'"), ("u", "")),
    (INS, False): (("ovym", "ov"), ("evym", "ev"), ("inym", "in"), ("skim", "skij"),
                   ("eem", "ej"), ("aem", "aj"), ("oem", "oj"), ("uem", "uj"), ("iem", "ij"),
                   ("em", "'"), ("om", "")),
    (LOC, False): (("ove", "ov"), ("eve", "ev"), ("ine", "in"), ("skom", "skij"),
                   ("ee", "ej"), ("e", "")),
    (GEN, True): (("ovoj", "ova"), ("evoj", "eva"), ("inoj", "ina"), ("skoj", "skaja"),
                  ("ii", "ija"), ("y", "a"), ("i", "a")),
    (DAT, True): (("ovoj", "ova"), ("evoj", "eva"), ("inoj", "ina"), ("skoj", "skaja"),
                  ("ii", "ija"), ("e", "a")),
    (INS, True): (("ovoj", "ova"), ("evoj", "eva"), ("inoj", "ina"), ("skoj", "skaja"),
                  ("iej", "ija"), ("oj", "a")),
    (LOC, True): (("ovoj", "ova"), ("evoj", "eva"), ("inoj", "ina"), ("ii", "ija"),
                  ("e", "a")),
}
# Russian letters after which the instrumental "-ем" ends a hard stem ("Гутерриш").
_RUSSIAN_SIBILANTS = frozenset("жшчщц")
# The folded endings above, written back in each script.
_CYRILLIC_OF = {"ija": "ија", "ij": "иј", "i": "и", "a": "а", "iju": "ију", "u": "у",
                "ijem": "ијем", "jem": "јем", "j": "ј", "em": "ем", "om": "ом", "ije": "ије",
                "e": "е", "iji": "ији", "ijom": "ијом", "": ""}
_RUSSIAN_OF = {
    "ova": "ова", "ov": "ов", "eva": "ева", "ev": "ев", "ina": "ина", "in": "ин", "a": "а",
    "skogo": "ского", "skij": "ский", "ja": "я", "j": "й", "ovu": "ову", "evu": "еву",
    "inu": "ину", "skomu": "скому", "ju": "ю", "u": "у", "ovym": "овым", "evym": "евым",
    "inym": "иным", "skim": "ским", "eem": "еем", "ej": "ей", "em": "ем", "om": "ом",
    "ove": "ове", "eve": "еве", "ine": "ине", "skom": "ском", "ee": "ее", "e": "е", "": "",
    "ovoj": "овой", "evoj": "евой", "inoj": "иной", "skoj": "ской", "skaja": "ская",
    "ii": "ии", "ija": "ия", "y": "ы", "i": "и", "iej": "ией", "oj": "ой", "'": "ь",
    "eja": "ея", "aja": "ая", "eju": "ею", "aju": "аю", "aem": "аем", "aj": "ай", "oja": "оя",
    "uja": "уя", "oju": "ою", "uju": "ую", "iju": "ию", "oem": "оем", "uem": "уем",
    "iem": "ием", "uj": "уй", "ij": "ий",
}


def _nominative(name: list[_Chunk], case: str, language: str, feminine: bool) -> str:
    """The name a title in `case` introduces, back in the nominative: "Jurajem
    Blanarom" -> "Juraj Blanar", "Джейхуном Байрамовым" -> "Джейхун Байрамов"."""
    russian = language.split("-")[0] == "ru"
    table = _RUSSIAN_ENDINGS if russian else _SERBIAN_ENDINGS
    if case == LOC and not russian:
        case = DAT
    surname = name[-1].text
    # A woman under a masculine title: her surname keeps its form ("Anom Brnabić").
    if not feminine and not russian and len(name) > 1 and case != NOM:
        endings = [e for e, _ in table.get((case, False), ())]
        first = fold(name[0].text)
        if not any(fold(surname).endswith(e) for e in endings if e) and \
                any(first.endswith(e) for e, _ in table.get((case, True), ()) if e):
            feminine = True
    rules = table.get((case, feminine), ())
    out = []
    for chunk in name:
        parts = re.split(r"([-.‐’'])", chunk.text)
        # Initials stay as they are; the surname part of "А.А.Боцан-Харченко" declines.
        parts = [_denominate(p, rules, russian) if len(p) > 2 and p[:1].isupper() else p
                 for p in parts]
        out.append("".join(parts))
    return " ".join(out)


def _denominate(word: str, rules: tuple[tuple[str, str], ...], russian: bool) -> str:
    folded = fold(word)
    for ending, replacement in rules:
        if ending and folded.endswith(ending) and len(folded) - len(ending) >= 2:
            cyrillic = bool(_CYRILLIC.search(word))
            if cyrillic:
                table = _RUSSIAN_OF if russian else _CYRILLIC_OF
                written_ending, written_replacement = table[ending], table[replacement]
            else:  # a soft sign (') is written in Cyrillic only
                written_ending, written_replacement = ending, replacement.strip("'")
            if not word.lower().endswith(written_ending):
                continue  # the folded ending came from letters written otherwise
            stem = word[:len(word) - len(written_ending)]
            if russian and ending == "em" and stem[-1:].lower() in _RUSSIAN_SIBILANTS:
                return stem  # "Гутерришем", "Мацем": a hard stem, no soft sign
            return stem + written_replacement
    return word
