"""Encounters a communiqué reports: who met, received, held talks or a telephone
conversation with whom, on which day, where, and of what kind.

Read sentence by sentence around the words that report an encounter (`lexicon.TRIGGERS`),
from the officials entity extraction already found in the text (registry spellings in any
script and case, found officials by the forms the text writes them in): the side before
the verb ("Dačić razgovarao je ...", "Lavrov's talks with ...") or right after a noun
("переговоры С.В.Лаврова с ..."), and the side after "with", "sa", "с" (or right after
"received", "примио", "принял"). A side the text does not name but describes by office
and country ("with his Russian counterpart", "сербским коллегой") is kept as that
country's minister (or the one person of that country and office the communiqué names),
so a readout naming one side still meets the other ministry's. The ministry's own side
told by office alone ("the Foreign Secretary", "The Secretary", "the Minister") is the
registry's holder of that office on the day, else the official the site tags or the text
names as its own, else the ministry's country; "he", "she" are that official. Passives
("was received by"), sentences opening on the encounter ("During his meeting with X,
Secretary Y ..."), "X and Y held talks" and "the two heads of state held talks" are read
too. Plans ("will meet"), questions, meetings recalled from before ("since the meeting in
San Francisco", "Напомню ... в прошлом году") and people attending are not encounters.
"""

from __future__ import annotations

import functools
import itertools
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache

from indexer.entities.countries import gazetteer
from indexer.entities.extract import Entities, EntityExtractor
from indexer.entities.found import WORD_KEYS
from indexer.entities.names import _merge_token as merge_token
from indexer.entities.names import key_tokens, merge_key
from indexer.entities.registry import Official, slug
from indexer.events import lexicon
from indexer.folding import WORD, _fold_run, _fold_word, fold
from scrapers.record import Communique

# Words looked at beyond a trigger for a side.
SIDE_REACH = 30
SUBJECT_REACH = 30
UNNAMED_REACH = 12
DIRECT_WITH_REACH = 8
# Words of a title between two people joined by "and" ("Rubio and Serbian President Vucic").
JOINED_TITLE_WORDS = 6
# A date in the sentence further back from the publication date than this is not read.
DATE_REACH_DAYS = 366
# A date this far after the publication date (with no year given) is a plan.
FUTURE_REACH_DAYS = 60

_MONTHS = (("jan", 1), ("feb", 2), ("fev", 2), ("mar", 3), ("apr", 4), ("may", 5),
           ("maj", 5), ("jun", 6), ("ijun", 6), ("jul", 7), ("ijul", 7), ("aug", 8),
           ("avg", 8), ("sep", 9), ("sen", 9), ("okt", 10), ("oct", 10), ("nov", 11),
           ("noj", 11), ("dec", 12), ("dek", 12))
_MONTH_WORD = re.compile(r"^(?:january|february|march|april|may|june|july|august|september|"
                         r"october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|"
                         r"nov|dec|januar[a-z]*|februar[a-z]*|mart[a-z]*|april[a-z]*|"
                         r"maj[a-z]?|jun[a-z]?|jul[a-z]?|avgust[a-z]*|septemb[a-z]*|"
                         r"oktob[a-z]*|novemb[a-z]*|decemb[a-z]*|janvar[a-z]*|fevral[a-z]*|"
                         r"aprel[a-z]*|ijun[a-z]*|ijul[a-z]*|sentjabr[a-z]*|oktjabr[a-z]*|"
                         r"nojabr[a-z]*|dekabr[a-z]*)$")
# Abbreviations a full stop does not end a sentence after.
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "no", "nos", "gen", "g", "gg",
                            "ul", "tel", "sv", "gos", "im", "prof", "jr", "sr", "vs", "etc",
                            "resp", "approx", "art", "str", "tzv", "br", "dipl"})
_IN_MONTH = frozenset({"in", "during", "u", "tokom", "v", "vo"})
_PHONE = re.compile(r"(?<![\w])(?:(?:tele)?phone\w*|telefon\w*|video ?(?:call|conferenc|"
                    r"konferenc|vez|poziv)\w*|videokonferenc\w*|calls? with)")


@dataclass(frozen=True)
class Participant:
    """One side of an encounter: an official (registry or found id), or, when the text
    names only the office, that country's minister (`id` empty)."""

    id: str
    name: str
    country: str  # ISO code, "" when unknown

    @property
    def key(self) -> str:
        return self.id or f"country:{self.country}"

    @property
    def named(self) -> bool:
        return bool(self.id)


@dataclass(frozen=True)
class Encounter:
    """Two sides who met (in key order), when, where and how, as one communiqué says."""

    first: Participant
    second: Participant
    day: date | None
    kind: str  # one of lexicon.KINDS
    place: str = ""
    conference: str = ""
    evidence: str = ""  # the sentence it was read from

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.first.key, self.second.key))

    @property
    def countries(self) -> str:
        """The partition events are grouped in: the two sides' countries (an official of
        no known country stands for themself)."""
        return " ".join(sorted(p.country or f"@{p.id}" for p in (self.first, self.second)))

    @property
    def named(self) -> bool:
        return self.first.named and self.second.named


@lru_cache(maxsize=65_536)
def _name_merge_key(name: str) -> tuple[str, ...]:
    """merge_key(key_tokens(name)): a registry spelling's or a found official's form's,
    worked out once for all the communiqués that name them."""
    return merge_key(key_tokens(name))


def language_group(language: str) -> str:
    base = language.split("-")[0].lower()
    return base if base in lexicon.TRIGGERS else "en"


@lru_cache(maxsize=1)
def _country_codes() -> dict[str, str]:
    return {name: code for code, name in gazetteer().names.items()}


# Every trigger of a language in one pattern, the word boundary checked once per position
# (with the delegations that consultations are told by).
_ANY_TRIGGER = {group: re.compile(r"(?<![\w])(?:" + "|".join(
    [lexicon.alternatives(p) for p, *_ in triggers] + [lexicon.alternatives(
        lexicon.DELEGATION)]) + r")(?![\w])") for group, triggers in lexicon.TRIGGERS.items()}


# A word boundary before a pattern's words (lexicon._words and _ANY_TRIGGER open on it).
_WORD_START = r"(?<![\w])"


def _padded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern for ASCII text with a space put before it: its boundary made a
    non-word character it consumes. A pattern opening on a lookbehind is tried at every
    character (a call into the matcher each); one opening on a character class is
    skipped along in C to the non-word characters, and ASCII's word characters are told
    by a table, not by Unicode's. On ASCII text, Unicode's word characters are ASCII's,
    and the patterns use no other class that differs (spaces); every match ends on a word
    character (checked, `_matches`), so the next one can start no earlier than one
    character after it, and the padded pattern finds the same matches, each starting one
    character earlier in the padded text: where the match starts in the text itself
    (tested)."""
    if not pattern.pattern.startswith(_WORD_START) or "\\s" in pattern.pattern \
            or "\\S" in pattern.pattern or pattern.flags & re.IGNORECASE:
        raise ValueError(f"not a pattern of words: {pattern.pattern[:40]}")
    return re.compile(r"[^\w]" + pattern.pattern[len(_WORD_START):], re.ASCII)


def _matches(pattern: re.Pattern[str], padded: re.Pattern[str],
             text: str) -> list[tuple[int, int]]:
    """[m.span() for m in pattern.finditer(text)], by the padded pattern on ASCII text."""
    if text.isascii():
        spans = [(m.start(), m.end() - 1) for m in padded.finditer(" " + text)]
        # A match ending on a non-word character could be followed by one the padded
        # pattern cannot see (its character taken): none of the lexicon's do, but if one
        # ever did, the text is searched by the pattern itself.
        if all(text[end - 1].isalnum() or text[end - 1] == "_" for _, end in spans):
            return spans
    return [m.span() for m in pattern.finditer(text)]


def _has_match(pattern: re.Pattern[str], padded: re.Pattern[str], text: str) -> bool:
    """Whether pattern.search(text) finds a match (by the padded pattern on ASCII text)."""
    if text.isascii():
        return padded.search(" " + text) is not None
    return pattern.search(text) is not None


_PADDED_ANY_TRIGGER = {group: _padded(pattern) for group, pattern in _ANY_TRIGGER.items()}
_PADDED_TRIGGERS = {group: tuple(_padded(pattern) for pattern, *_ in triggers)
                    for group, triggers in lexicon.TRIGGERS.items()}

_TriggerMatch = tuple[tuple[int, int], str, bool, int]  # (start, end), kind, needs_with, reach


def _trigger_matches(group: str, joined: str) -> list[_TriggerMatch]:
    """Every match of each of a language's triggers in a sentence's folded words, with
    what the trigger says: `_matches` of each pattern, the sentence padded and tested
    for ASCII once for all of them (one call a sentence, not one a pattern)."""
    triggers = lexicon.TRIGGERS[group]
    if joined.isascii():
        text = " " + joined
        found = [((m.start(), m.end() - 1), kind, needs_with, reach)
                 for padded, (_, kind, needs_with, reach) in zip(
                     _PADDED_TRIGGERS[group], triggers, strict=True)
                 for m in padded.finditer(text)]
        if all(joined[end - 1].isalnum() or joined[end - 1] == "_"
               for (_, end), *_ in found):
            return found
    return [(m.span(), kind, needs_with, reach) for pattern, kind, needs_with, reach
            in triggers for m in pattern.finditer(joined)]


# Where a sentence can end: the stop and what follows it, or a line (the word before the
# stop, which the abbreviation rule reads, is taken by hand: a leading `\w{0,8}` made the
# pattern try a match at every letter of the text). The pattern opens on one character
# class, so the regular expression engine skips to those characters in C instead of
# trying the pattern at every one ("[.!?]+...|(\n)" has no such opening); a match is a
# line when it is the line break alone.
_SENTENCE_STOP = re.compile(
    r"[.!?\n](?:(?<=\n)|[.!?]*[\"'»”’)\]]*\s+(?=[A-ZА-ЯЁЂЈЉЊЋЏÀ-ÞČĆŠŽĐ0-9\"„«“(]))")
# The most word characters before a stop the abbreviation rule looks at.
_STOP_WORD = 8
_WORD_TAIL = re.compile(r"\w*\Z")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of a text's sentences: a line, or a full stop, question or exclamation
    mark before a capital or a digit, not after an initial or a short title ("U.S.",
    "С.В. Лавров", "Mr."). The same spans as one pattern splitting the text (tested)."""
    spans = []
    start = 0
    searched = 0  # where the last stop's match ended: no word before it is read
    for match in _SENTENCE_STOP.finditer(text):
        stop = match.start()
        if text[stop] != "\n":  # a stop, after up to 8 word characters (\w)
            tail = _WORD_TAIL.search(text, max(searched, stop - _STOP_WORD), stop)
            word = tail.group() if tail else ""  # it always matches, if only the empty word
            searched = match.end()
            if (len(word) == 1 and word.isalpha()) or word.lower() in _ABBREVIATIONS:
                continue
        else:
            searched = match.end()
        if stop > start:
            spans.append((start, stop + 1))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _trigger_sentences(text: str, group: str, folded: str | None = None,
                       spans: list[tuple[int, int]] | None = None,
                       searched: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the sentences of a text with a word that may report an encounter
    (most sentences report none: only these are read word by word). `folded`: the text's
    fold, `spans`: its _sentence_spans, when the caller has them; `searched`: the caller
    found a trigger in `folded` already."""
    pattern, padded = _ANY_TRIGGER[group], _PADDED_ANY_TRIGGER[group]
    folded = _fold_text(text) if folded is None else folded
    if not searched and not _has_match(pattern, padded, folded):
        return []  # one search over the whole text rules most communiqués out
    spans = _sentence_spans(text) if spans is None else spans
    if _SENTENCE_MARK in text:
        return [(start, end) for start, end in spans
                if pattern.search(fold(text[start:end]))]
    # The sentences folded in one pass and searched in one, a mark between them. `fold`
    # works letter by letter (str.lower's final sigma reads its neighbours, but not
    # across the mark, which is neither cased nor case-ignorable), so each part is that
    # sentence's fold; a trigger is words and spaces, so no match runs into the mark,
    # which is no word character to the word boundaries either side of a trigger, as a
    # sentence's start and end are (tested against searching each sentence apart).
    marked = _fold_text(_SENTENCE_MARK.join(text[start:end] for start, end in spans))
    starts = list(itertools.accumulate(
        (len(part) + 1 for part in marked.split(_SENTENCE_MARK)[:-1]), initial=0))
    found = sorted({bisect_right(starts, start) - 1
                    for start, _ in _matches(pattern, padded, marked)})
    return [spans[n] for n in found]


def _trigger_sentences_apart(text: str, group: str) -> list[tuple[int, int]]:
    """_trigger_sentences as it was first written, each sentence folded and searched
    apart (what tests hold the faster one to)."""
    pattern = _ANY_TRIGGER[group]
    if not pattern.search(fold(text)):
        return []
    return [(start, end) for start, end in _sentence_spans(text)
            if pattern.search(fold(text[start:end]))]


# Between sentences searched together: no text has it, folding leaves it as it is.
_SENTENCE_MARK = "\x00"

# Runs of non-ASCII characters, kept by a split (what `fold` replaces one by one).
_NON_ASCII_RUNS = re.compile(r"([^\x00-\x7f]+)")


def _fold_text(text: str) -> str:
    """fold(text) for a whole communiqué (tested against it): the non-ASCII runs (every
    word of a Cyrillic text) are split out and folded by one `map` over the cached run
    fold, in C, where `fold`'s substitution calls a Python function and makes a match
    object for each."""
    if text.isascii():
        return text.lower()
    parts = _NON_ASCII_RUNS.split(text)
    parts[1::2] = map(_fold_run, parts[1::2])
    return "".join(parts).lower()


class _Text:
    """One sentence as words: as written, folded, and as the index keys them, with the
    separators around them. Split once by one pattern (its words are WORD's), the
    positions added up in C: no object per word."""

    def __init__(self, text: str) -> None:
        self.text = text
        parts = _SPLIT.split(text)  # separator, word, separator, ..., separator
        self.written: list[str] = parts[1::2]
        self.seps: list[str] = parts[0::2]  # seps[i] precedes word i; one more at the end
        offsets = list(itertools.accumulate(map(len, parts), initial=0))
        self.starts = offsets[1::2]
        self.ends = offsets[2::2]
        self.words = list(map(_fold_word, self.written))
        self.keys = tuple(map(WORD_KEYS.__getitem__, self.written))

    def separator(self, i: int) -> str:
        """The text between word i-1 and word i (after the last word for i = len)."""
        if i < 0:  # as first written (a slice up to word i from the end): never asked
            return self.text[:self.starts[i]]
        return self.seps[i]

    def span_text(self, first: int, last: int) -> str:
        if first >= last:
            return ""
        return self.text[self.starts[first]:self.ends[last - 1]]

    def initial(self, i: int) -> bool:
        word = self.written[i]
        return len(word) == 1 and word.isupper() and self.separator(i + 1).startswith(".")


# A text's words (WORD's matches) and what separates them, in one list.
_SPLIT = re.compile(f"({WORD.pattern})")


_Mention = tuple[int, int, Participant]  # first word, word after the last, who


@dataclass
class _Sentence:
    text: _Text
    first: int
    last: int
    group: str
    mentions: list[_Mention]
    own: Participant | None  # the ministry's own official this communiqué names
    used: set[str]  # sides already read as the other side of an earlier trigger
    # Everyone the communiqué names, by country, with their offices: whom "the Cuban
    # minister" or "his Hungarian counterpart" is when one person fits.
    people: dict[str, list[tuple[Participant, tuple[str, ...]]]] = field(
        default_factory=dict)
    # Countries whose office the sentence tells that none of their named people holds.
    others: set[str] = field(default_factory=set)
    # The sentence before this one (a function giving it: most sentences never ask), and
    # how names are read in this communiqué: whom "the two heads of state" are when this
    # sentence names them no more.
    previous: Callable[[], str] = str
    names: tuple = ()


class EncounterReader:
    """Reads the encounters of communiqués, with one extractor's officials."""

    def __init__(self, extractor: EntityExtractor) -> None:
        self.extractor = extractor
        self.people = extractor.people  # curated and found officials
        self._by_country: dict[str, list[Official]] | None = None  # curated, for offices
        # Name -> the person `people` says it is: the same few names come back in every
        # communiqué (each look-up folds and keys the name).
        self._looked_up: dict[str, Official | None] = {}

    def _lookup(self, name: str) -> Official | None:
        """self.people.lookup(name), each name looked up once."""
        try:
            return self._looked_up[name]
        except KeyError:
            official = self._looked_up[name] = self.people.lookup(name)
            return official

    # -- officials in the text --------------------------------------------------------

    def _participant(self, official: Official) -> Participant:
        return Participant(official.id, official.name, official.country)

    def _names(self, entities: Entities) -> tuple[dict, dict, frozenset[str]]:
        """The merge keys of every spelling of the people extraction found in a text
        (their full names, their surnames), and the keys' first tokens: a form the
        registry does not spell (a case ending it does not strip, a surname after a title,
        a found official's forms) is matched by them."""
        names: dict[tuple[str, ...], Participant] = {}
        surnames: dict[str, Participant] = {}
        registry = self.extractor.registry
        for person in entities.found:
            # A found official whom the curated registry knows under a looser key is that
            # person ("Ванг Јијем" is Wang Yi): one side, whatever the directory says.
            curated = registry.by_merge_key.get(merge_key(person.name))
            official = registry.by_id.get(curated) if curated else \
                self._lookup(person.name)
            participant = self._participant(official) if official else Participant(
                slug(person.name), person.name, person.country)
            for form in person.forms:
                key = _name_merge_key(form)
                if key:
                    names.setdefault(key, participant)
                    if len(key) > 1:
                        surnames.setdefault(key[-1], participant)
        for name in entities.officials:
            curated = registry.by_merge_key.get(merge_key(name))
            official = registry.by_id.get(curated) if curated else self._lookup(name)
            if official is None:
                continue
            participant = self._participant(official)
            for spelling in official.spellings:
                key = _name_merge_key(spelling)
                if key:
                    names.setdefault(key, participant)
                    if len(key) > 1:
                        surnames.setdefault(key[-1], participant)
        starts = frozenset(k[0] for k in names) | frozenset(surnames)
        return names, surnames, starts

    def _mentions(self, text: _Text, names: dict, surnames: dict,
                  starts: frozenset[str]) -> list[_Mention]:
        """Every official a sentence names, in order: registry spellings first, then the
        people of the communiqué's entities by their looser keys."""
        found = self._registry_mentions(text)
        taken = {i for start, end, _ in found for i in range(start, end)}
        longest = max((len(k) for k in names), default=1)
        keys = text.keys
        after = 0  # words before this are part of a name found
        # Only the words a key starts with are looked at: found in C (a cached merge
        # token and a set test per word), not by a Python step per word.
        for i in itertools.compress(range(len(keys)),
                                    map(starts.__contains__, map(merge_token, keys))):
            if i < after or i in taken:
                continue
            mention = self._named_at(text, i, names, surnames, taken, longest)
            if mention is not None:
                found.append(mention)
                after = mention[1]
        found.sort(key=lambda m: m[0])
        return found

    def _registry_mentions(self, text: _Text) -> list[_Mention]:
        """The sentence's registry spellings of people this reader knows."""
        by_id = self.people.by_id
        found: list[_Mention] = []
        for start, end, official_id in self.extractor.name_spans(text.keys):
            official = by_id.get(official_id)
            if official is not None:
                found.append((start, end, self._participant(official)))
        return found

    @staticmethod
    def _named_at(text: _Text, i: int, names: dict, surnames: dict, taken: set[int],
                  longest: int) -> _Mention | None:
        """The longest name of the communiqué's people starting at word i, over words no
        other name has taken (which it then takes), or a capitalised surname alone."""
        keys = text.keys
        for size in range(min(longest, len(keys) - i), 0, -1):
            window = range(i, i + size)
            if any(j in taken for j in window):
                continue
            key = merge_key(keys[i:i + size])
            who = names.get(key)
            if who is None and size == 1 and text.written[i][:1].isupper():
                who = surnames.get(key[0]) if key else None
            if who is not None:
                taken.update(window)
                return (i, i + size, who)
        return None

    def _own(self, record: Communique, entities: Entities) -> Participant | None:
        """The ministry's own official the communiqué names first (or the site tags):
        whom "the Minister", "he" or "the Foreign Secretary" stands for.

        The people the site tags (GOV.UK's) are its own ministers first; then the first
        person named of the ministry's country; then the first found official whose office
        the text gives with no country ("Minister for Europe Leo Docherty",
        "Development Minister Andrew Mitchell": a ministry names its own people so) if it
        is a minister's or secretary's, not a spokesperson's who only signs the readout."""
        country = record.ministry_country
        if not country:
            return None
        for tag in record.officials:
            official = self._lookup(tag)
            if official is not None and official.country in (country, ""):
                return Participant(official.id, official.name, country)
            tag_key = _name_merge_key(tag)
            for person in entities.found:
                key = _name_merge_key(person.name)
                if person.name in tag or (key and tag_key[-len(key):] == key):
                    if person.country in (country, ""):
                        return Participant(slug(person.name), person.name, country)
            # Tagged, named nowhere else: the name extraction took from the tag.
            name = next((n for n in entities.officials if n in tag), None)
            if name is not None:
                return Participant(slug(name), name, country)
        for name in entities.officials:
            official = self._lookup(name)
            if official is not None and official.country == country:
                return self._participant(official)
            found = next((f for f in entities.found if f.name == name), None)
            if official is None and found is not None and found.country == country:
                return Participant(slug(found.name), found.name, country)
        for person in entities.found:
            if not person.country and _OWN_ROLE.search(fold(person.role)):
                return Participant(slug(person.name), person.name, country)
        return None

    def _holder(self, country: str, day: date | None, phrase: str,
                group: str) -> Participant | None:
        """The registry's holder, on a day, of the office a ministry's text names alone
        ("the Foreign Secretary", "the Secretary", "the Minister"): one person or none."""
        needs = lexicon.OWN_OFFICES[group].get(phrase)
        if not needs or not country or day is None:
            return None
        if self._by_country is None:
            self._by_country = {}
            for official in self.extractor.registry.curated:
                self._by_country.setdefault(official.country, []).append(official)
        # "The Secretary" is the Secretary of State, not the Deputy Secretary of State.
        holders = {o.id: o for o in self._by_country.get(country, [])
                   if any(all(w in _title_words(r.title) for w in needs)
                           and not _title_words(r.title) & lexicon.RANK_MODIFIERS - {"state"}
                           for r in self.extractor.registry.roles_on(o, day))}
        if len(holders) != 1:
            return None
        return self._participant(next(iter(holders.values())))

    def _office_side(self, sentence: _Sentence, record: Communique, start: int,
                     stop: int) -> list[Participant]:
        """The ministry's own side told by office alone in words [start, stop): its
        holder on the day if the registry knows them, else the official the communiqué
        names as the ministry's own for a bare "the Minister", else the ministry's
        country; [] when the words name no such office."""
        phrase = _office_phrase(sentence.text, start, stop, sentence.group)
        if phrase is None:
            return []
        holder = self._holder(record.ministry_country, record.published, phrase,
                              sentence.group)
        if holder is not None:
            return [holder]
        if sentence.own is not None:
            return [sentence.own]
        if record.ministry_country:
            code = record.ministry_country
            return [Participant("", gazetteer().names.get(code, code), code)]
        return []

    # -- one communiqué ---------------------------------------------------------------

    def read(self, record: Communique, entities: Entities) -> list[Encounter]:
        """The encounters a communiqué reports, one per pair of sides, in order."""
        if not entities.officials and not entities.found:
            return []  # no one named: no encounter to read
        group = language_group(record.language)
        full = record.title + "\n" + record.body
        folded = _fold_text(full)
        if not _has_match(_ANY_TRIGGER[group], _PADDED_ANY_TRIGGER[group], folded):
            return []  # most communiqués: no word that may report an encounter
        all_spans = _sentence_spans(full)
        sentences = _trigger_sentences(full, group, folded, all_spans, searched=True)
        if not sentences:
            return []
        both_sides: list[bool] = []  # whether the text says "the two ministers", once asked

        def previous_of(a: int) -> str:
            """The sentence before the one at `a`, when the text has "the two ministers"
            anywhere ("" when not): searched only when a sentence asks for it (a search
            of the whole text, most of which never do)."""
            if not both_sides:
                both_sides.append(bool(lexicon.BOTH_SIDES[group].search(folded)))
            if not both_sides[0]:
                return ""
            return next((full[c:d] for c, d in reversed(all_spans) if d <= a), "")

        names = None
        people: dict[str, list[tuple[Participant, tuple[str, ...]]]] | None = None
        others: set[frozenset[str]] = set()
        own = self._own(record, entities)
        encounters: dict[frozenset[str], Encounter] = {}
        headline: set[frozenset[str]] = set()  # pairs the title tells

        def keep(found: list[Encounter]) -> None:
            for encounter in found:
                known = encounters.get(encounter.pair)
                encounters[encounter.pair] = _merged(known, encounter) if known else encounter

        for a, b in sentences:
            if full[a:b].rstrip().rstrip("\"'»”’)").endswith("?"):
                continue  # "Will President Xi meet Prime Minister Orban?"
            text = _Text(full[a:b])
            if not text.written:
                continue
            if names is None:
                names = self._names(entities)
            last = len(text.written)
            if people is None:
                people = self._people_by_country(entities, record.published)
            sentence = _Sentence(text, 0, last, group, self._mentions(text, *names), own,
                                 set(), people, set(), functools.partial(previous_of, a),
                                 names)
            joined, offsets = _joined(text, 0, last)
            used_words: set[int] = set()
            for (match_start, match_end), kind, needs_with, reach in sorted(
                    _trigger_matches(group, joined), key=lambda t: t[0][0]):
                start = bisect_right(offsets, match_start) - 1
                end = bisect_right(offsets, match_end - 1)
                if start in used_words or self._not_reported(sentence, start):
                    continue
                used_words.update(range(start, end))
                found = self._around(sentence, record, start, end, kind, needs_with, reach)
                # A side told by an office none of its country's named people holds is
                # someone else ("принят Председателем Правительства" after Lavrov's talks).
                others.update(e.pair for e in found if not e.named and (
                    e.first.country if not e.first.named else e.second.country)
                    in sentence.others)
                keep(found)
            if lexicon.DELEGATION.search(joined) and lexicon.LED.search(joined):
                keep(self._delegations(sentence, record))
            if a == 0:
                headline.update(encounters)
        # A side the title tells by office ("Landau's Meeting with Serbian Foreign
        # Minister") is the person the body names for it; or, told by the title alone
        # ("Blinken Hosts Armenian and Azerbaijani Foreign Ministers"), the one person of
        # that country the communiqué names.
        result = list(encounters.values())
        named = [e for e in result if e.named]
        result = [e for e in result if e.named or e.pair in others
                  or not any(_covers(n, e) for n in named)]
        by_country: dict[str, set[Participant]] = {}
        for person in self._people(entities):
            by_country.setdefault(person.country, set()).add(person)
        resolved: dict[frozenset[str], Encounter] = {}
        for encounter in result:
            if not encounter.named and encounter.pair in headline:
                side = encounter.first if encounter.first.named else encounter.second
                other = encounter.second if side is encounter.first else encounter.first
                candidates = by_country.get(other.country, set()) - {side}
                if len(candidates) == 1:
                    one, two = sorted((side, candidates.pop()), key=lambda p: p.key)
                    encounter = replace(encounter, first=one, second=two)
            resolved.setdefault(encounter.pair, encounter)
        return list(resolved.values())

    def _people(self, entities: Entities) -> list[Participant]:
        """Everyone a communiqué names whose country is known."""
        people = []
        for name in entities.officials:
            official = self._lookup(name)
            found = next((f for f in entities.found if f.name == name), None)
            if official is not None and official.country:
                people.append(self._participant(official))
            elif found is not None and found.country:
                people.append(Participant(slug(found.name), found.name, found.country))
        return people

    def _people_by_country(self, entities: Entities, day: date | None,
                           ) -> dict[str, list[tuple[Participant, tuple[str, ...]]]]:
        """Everyone a communiqué names whose country is known, by country, with the
        titles of their offices (the registry's on the day, or the one the text gives)."""
        registry = self.extractor.registry
        result: dict[str, list[tuple[Participant, tuple[str, ...]]]] = {}
        for person in self._people(entities):
            official = registry.by_id.get(person.id)
            if official is not None and day is not None:
                titles = tuple(r.title for r in registry.roles_on(official, day))
            else:
                titles = tuple(f.role for f in entities.found
                               if slug(f.name) == person.id and f.role)
            result.setdefault(person.country, []).append((person, titles))
        return result

    @staticmethod
    def _not_reported(sentence: _Sentence, start: int) -> bool:
        """Whether the words before a trigger make it a plan ("will meet", "ће се
        састати", "состоится встреча") or a meeting recalled from before."""
        words, group = sentence.text.words, sentence.group
        before = set(words[max(sentence.first, start - 3):start])
        if before & (lexicon.NOT_YET[group] | lexicon.RECALLED[group] | lexicon.PRESENT[group]):
            return True
        if any(words[k] in lexicon.ABOUT[group]
               for k in range(max(sentence.first + 1, start - 3), start)):
            return True
        if lexicon.RECALLED_SENTENCE[group].search(" ".join(words[sentence.first:
                                                                  sentence.last])):
            return True  # "Напомню, что в ходе переговоров ... в прошлом году"
        return bool(set(words[sentence.first:start]) & lexicon.FUTURE[sentence.group])

    def _around(self, sentence: _Sentence, record: Communique, start: int, end: int,
                kind: str, needs_with: bool, reach: int) -> list[Encounter]:
        """The encounters one trigger word reports."""
        text, group, first, last = sentence.text, sentence.group, sentence.first, \
            sentence.last
        words = text.words
        inside = sentence.mentions
        preposition = None
        between = False
        first_named = next((m[0] for m in inside if m[0] >= end), last)
        # A verb taking its other side directly looks for "with" only close by ("met
        # today in Belgrade with"), not in a later clause ("repaired with UK support").
        reach = reach if needs_with else min(reach, DIRECT_WITH_REACH)
        if set(words[end:min(last, end + 4)]) & lexicon.PRESENT[group]:
            return []  # "The meeting was also attended by ...": present, not a side
        for i in range(end, min(last, end + max(reach, 1))):
            if not needs_with and i >= first_named:
                break  # "received Ambassador X": the other side follows the verb itself
            if text.initial(i):
                continue  # "С.В.Лавров": an initial, not the preposition "с"
            if words[i] in lexicon.WITH[group] or (
                    i == end and words[i] in lexicon.WITH_NEXT[group]):
                preposition = i
                break
            if words[i] in lexicon.BETWEEN[group]:
                preposition, between = i, True
                break
            if i > end and _trigger_word(words[i], group):
                break
        if needs_with and preposition is None:
            # "X and Y held talks"; "The two heads of state held talks": those named
            # just before.
            both = self._subjects(sentence, start)
            last_named = max((m[1] for m in sentence.mentions if m[1] <= start), default=-9)
            if start - last_named > 3 or any(text.separator(i).strip()
                                              for i in range(last_named + 1, start + 1)):
                both = []  # the pair must be the clause's subject, right before the verb
            if len(both) < 2:
                both = self._both_sides(sentence, start)
            if len(both) < 2 or both[0].country == both[1].country:
                return []
            return self._encounters(sentence, record, both[:1], both[1:2], kind)
        subjects: list[Participant] = []
        objects: list[Participant] = []
        if between and preposition is not None:
            after = [m for m in inside if m[0] > preposition]
            if len(after) >= 2 and set(words[after[0][1]:after[1][0]]) & lexicon.AND[group]:
                subjects, objects = [after[0][2]], [after[1][2]]
        else:
            subjects = self._subjects(sentence, start)
            limit = preposition if preposition is not None else end
            between_words = [m for m in inside if end <= m[0] < limit]
            if not subjects and between_words:
                # A noun first: "переговоры Министра ... С.В.Лаврова с ...".
                subjects = [between_words[0][2]]
            opening = not subjects and _opening(sentence, start)
            side_start = preposition + 1 if preposition is not None else end
            greeting = lexicon.GREETING.get(group)
            if greeting is not None and greeting.fullmatch(" ".join(words[start:end])) \
                    and not self._greets(sentence, side_start):
                return []  # "welcomed the decision of ...": no one greeted
            objects = self._side(sentence, record, side_start,
                                 exclude={p.key for p in subjects},
                                 avoid={p.country for p in subjects if p.country},
                                 stop_at_comma=opening)
            if len(subjects) >= 2 and not objects:
                subjects, objects = subjects[:1], subjects[1:]  # "X and Y meet"
            if opening and objects:
                # "During his meeting with X, Secretary Y underscored ...".
                subjects = self._subject_after(sentence, record, end, objects)
            if not subjects and objects:
                lo = max(first, start - UNNAMED_REACH)
                office = self._office_side(sentence, record, lo, start)
                unnamed = self._unnamed(text, group, lo, start, record.ministry_country,
                                        people=sentence.people)
                own = sentence.own
                if office:
                    subjects = office  # "The Secretary met ...": the holder on the day
                elif own is not None and (not unnamed or unnamed[0].country == own.country):
                    subjects = [own]  # "The Minister met ...", "In my talks with ..."
                else:
                    subjects = unnamed
        if not subjects or not objects:
            return []
        sentence.used.update(p.key for p in objects)
        return self._encounters(sentence, record, subjects, objects, kind)

    def _subjects(self, sentence: _Sentence, start: int) -> list[Participant]:
        """The people just before a trigger, several joined by "and" ("Selakovic and
        Lavrov meet"), not those an earlier trigger of the sentence took as its other
        side."""
        words, group = sentence.text.words, sentence.group
        before = [m for m in sentence.mentions if m[1] <= start and start - m[1] <= SUBJECT_REACH
                  and m[2].key not in sentence.used]
        if not before:
            return []
        subjects = [before[-1][2]]
        k = len(before) - 1
        while k > 0:
            gap = words[before[k - 1][1]:before[k][0]]
            if not gap or gap[0] not in lexicon.AND[group] or len(gap) > JOINED_TITLE_WORDS \
                    or set(gap) & lexicon.CLAUSE_END[group]:
                break
            subjects.insert(0, before[k - 1][2])
            k -= 1
        return subjects

    def _subject_after(self, sentence: _Sentence, record: Communique, end: int,
                       objects: list[Participant]) -> list[Participant]:
        """The subject of a sentence that opens on the encounter ("During his meeting
        with X, Secretary Y ...", "At a meeting with X, the Minister discussed ...", "In
        a call with X, he ..."): who comes after the comma that closes the opening."""
        text, group = sentence.text, sentence.group
        keys = {p.key for p in objects}
        object_end = max((m[1] for m in sentence.mentions if m[2].key in keys and m[0] >= end),
                         default=end)
        for i in range(object_end, sentence.last):
            if not text.separator(i).strip().startswith(","):
                continue
            stop = min(sentence.last, i + 5)
            mention = next((m for m in sentence.mentions
                            if i <= m[0] < stop and m[2].key not in keys), None)
            if mention is not None:
                return [mention[2]]
            office = self._office_side(sentence, record, i, stop)
            if office:
                return office
            if text.words[i] in lexicon.PRONOUNS[group] and sentence.own is not None:
                return [sentence.own]
            return []
        return []

    def _both_sides(self, sentence: _Sentence, start: int) -> list[Participant]:
        """The two people "the two heads of state", "the two ministers", "dvojica
        ministara" right before a trigger stand for: the last two of different countries
        named before it in the sentence, or else in the sentence before."""
        words, group = sentence.text.words, sentence.group
        phrase = " ".join(words[max(sentence.first, start - 5):start])
        if not lexicon.BOTH_SIDES[group].search(phrase):
            return []
        named = [m[2] for m in sentence.mentions if m[1] <= start]
        previous = sentence.previous() if len({p.country for p in named}) < 2 else ""
        if previous:
            text = _Text(previous)
            named = [m[2] for m in self._mentions(text, *sentence.names)] + named
        chosen: list[Participant] = []
        for person in reversed(named):
            if person.country and all(p.country != person.country for p in chosen):
                chosen.insert(0, person)
            if len(chosen) == 2:
                return chosen
        return []

    @staticmethod
    def _greets(sentence: _Sentence, start: int) -> bool:
        """Whether a person follows a greeting verb at once, with only a title between
        ("welcomed the Prime Minister of Albania, Edi Rama", "welcomed his counterpart")."""
        text, group = sentence.text, sentence.group
        fillers = lexicon.TITLE_FILLERS.get(group, frozenset())
        named = {m[0]: m[1] for m in sentence.mentions}
        for i in range(start, min(sentence.last, start + SIDE_REACH)):
            if i in named:
                # "welcomed President Vucic's commitment": a thing of theirs, not them.
                after = named[i]
                return not (after < len(text.written) and text.words[after] == "s"
                            and text.separator(after) in ("'", "’"))
            word = text.written[i]
            if text.words[i] in fillers or word[:1].isupper() or \
                    text.words[i].startswith(lexicon.ROLE_WORDS[group]):
                if text.words[i] in ("counterpart", "colleague"):
                    return True
                continue
            return False
        return False

    def _side(self, sentence: _Sentence, record: Communique, start: int, exclude: set[str],
              avoid: set[str], stop_at_comma: bool = False) -> list[Participant]:
        """The people after a preposition or verb: named ones (several joined by "and"
        or commas, only by "and" in an opening phrase), or those described by office
        and country, or the ministry's own side by office alone ("was received by the
        Foreign Secretary")."""
        text, group = sentence.text, sentence.group
        words = text.words
        people: list[Participant] = []
        end = start
        for i in range(start, sentence.last):
            if not people and (words[i] in lexicon.CLAUSE_END[group]
                               or i >= start + SIDE_REACH):
                break
            mention = next((m for m in sentence.mentions if m[0] == i), None)
            if mention is None:
                continue
            if people:
                gap = words[end:mention[0]]
                comma = text.separator(end).strip().startswith(",") and not stop_at_comma
                if not gap or not (gap[0] in lexicon.AND[group] or comma) or \
                        set(gap) & lexicon.CLAUSE_END[group] or len(gap) > 15:
                    break
            if mention[2].key not in exclude:
                people.append(mention[2])
                end = mention[1]
        if people:
            # "met with A, with whom he discussed ..., and with B": B is a side too.
            for i in range(end, sentence.last - 2):
                if words[i] in lexicon.AND[group] and words[i + 1] in lexicon.WITH[group] \
                        and text.separator(i).strip().startswith(","):
                    later = self._side(sentence, record, i + 2, exclude | {p.key for p in people},
                                       avoid, stop_at_comma)
                    people += [p for p in later if p.named]
                    break
            return people
        stop = min(sentence.last, start + UNNAMED_REACH)
        unnamed = self._unnamed(text, group, start, stop, "", avoid, sentence.people,
                                sentence.others)
        if unnamed:
            return unnamed
        office = self._office_side(sentence, record, start, min(stop, start + 5))
        return [p for p in office if p.country not in avoid]

    def _unnamed(self, text: _Text, group: str, start: int, stop: int,
                 default_country: str, avoid: frozenset[str] | set[str] = frozenset(),
                 people: dict[str, list[tuple[Participant, tuple[str, ...]]]] | None = None,
                 others: set[str] | None = None) -> list[Participant]:
        """Sides told by office: a role word and a country ("Russian counterpart",
        "ministrom inostranih poslova Ruske Federacije", "сербским коллегой"); with a
        plural office, one per country ("the ministers of Austria, Bulgaria and ...").
        A singular office whose country has one person of that office named in the
        communiqué (`people`) is that person ("Кубинский министр" after "Б.Родригес
        Паррилья", Cuba's foreign minister; not its President)."""
        window: list[int] = []
        roles: list[str] = []
        for i in range(start, stop):
            word = text.words[i]
            if word in lexicon.CLAUSE_END[group] and window:
                break
            role = word.startswith(lexicon.ROLE_WORDS[group])
            # After a comma only a list of countries goes on ("of Austria, Bulgaria and
            # Montenegro"), not another clause (", the Foreign Secretary set out").
            if roles and window and text.separator(i).strip().startswith(",") and \
                    any(w.startswith(lexicon.ROLE_WORDS[group])
                        for w in text.words[i:min(stop, i + 4)]):
                break
            window.append(i)
            if role:
                roles.append(word)
        if not roles:
            return []
        phrase = text.span_text(window[0], window[-1] + 1)
        codes = _country_codes()
        countries = [codes[n] for n in self.extractor.countries_in(phrase) if n in codes]
        if set(countries) & avoid:
            return []  # "representatives of the Serbian community in Germany"
        if not countries:
            countries = [default_country] if default_country else []
        names = gazetteer().names
        if not any(lexicon.PLURAL_ROLE.search(r) for r in roles):
            countries = countries[:1]
            if countries and people:
                ranks = {text.words[i] for i in window} & lexicon.RANK_MODIFIERS
                fitting = [person for person, titles in people.get(countries[0], [])
                           if any(_fits(roles, ranks, group, t) for t in titles)]
                if len(fitting) == 1:
                    return fitting
                if not fitting and people.get(countries[0]) and others is not None:
                    others.add(countries[0])
        return [Participant("", names.get(c, c), c) for c in countries]

    def _delegations(self, sentence: _Sentence, record: Communique) -> list[Encounter]:
        """Consultations told by who led the delegations: "The Serbian delegation was
        headed by X, while the Norwegian delegation was led by the State Secretary of
        ...": the heads met (the other, unnamed, as their country)."""
        text = sentence.text
        joined = " ".join(text.words[sentence.first:sentence.last])
        delegations = lexicon.DELEGATION.findall(joined)
        if len(delegations) < 2 and not any(w.endswith(("ions", "ije", "ii", "i"))
                                            for w in delegations):
            return []  # one delegation: who led it, not whom they met
        heads = list(dict.fromkeys(m[2] for m in sentence.mentions))
        if len(heads) >= 2:
            if heads[0].country and heads[0].country == heads[1].country:
                return []  # one delegation led by two
            return self._encounters(sentence, record, heads[:1], heads[1:2], "talks")
        if len(heads) != 1:
            return []
        codes = _country_codes()
        phrase = text.span_text(sentence.first, sentence.last)
        countries = [codes[n] for n in self.extractor.countries_in(phrase) if n in codes]
        others = [c for c in dict.fromkeys(countries) if c != heads[0].country]
        if len(others) != 1 or not heads[0].country:
            return []
        names = gazetteer().names
        return self._encounters(sentence, record, heads,
                                [Participant("", names.get(others[0], others[0]), others[0])],
                                "talks")

    @staticmethod
    def _encounters(sentence: _Sentence, record: Communique, subjects: list[Participant],
                    objects: list[Participant], kind: str) -> list[Encounter]:
        text, first, last = sentence.text, sentence.first, sentence.last
        words = text.words
        day, elsewhere = _day(words, first, last, record.published)
        if elsewhere:
            return []  # a date after the communiqué's (a plan), or a month before it
        folded = " ".join(words[first:last])
        found_kind = _kind(folded, kind)
        conference = _conference(text, first, last)
        if conference and found_kind != "call":
            found_kind = "sidelines"
        place = _place(words, first, last, sentence.group)
        evidence = text.span_text(first, last)[:400]
        result = []
        for a in subjects:
            for b in objects:
                if a.key == b.key or not (a.named or b.named):
                    continue
                if not (a.named and b.named) and a.country == b.country:
                    continue  # "representatives of the Serbian community": not a side
                one, two = sorted((a, b), key=lambda p: p.key)
                result.append(Encounter(one, two, day, found_kind, place, conference,
                                        evidence))
        return result


def _covers(named: Encounter, partial: Encounter) -> bool:
    """Whether a one-side encounter is a named one told by office."""
    side = partial.first if partial.first.named else partial.second
    other = partial.second if side is partial.first else partial.first
    keys = {named.first.key, named.second.key}
    return side.key in keys and any(p.key != side.key and p.country == other.country
                                    for p in (named.first, named.second))


def _merged(known: Encounter, new: Encounter) -> Encounter:
    """One pair told twice in a communiqué: the first telling, completed by the second."""
    kind = min(known.kind, new.kind, key=lexicon.KINDS.index)
    return replace(known, kind=kind, place=known.place or new.place,
                   conference=known.conference or new.conference)


def _joined(text: _Text, first: int, last: int) -> tuple[str, list[int]]:
    """A sentence's folded words joined by spaces, and where each word starts in it."""
    offsets = []
    position = 0
    for word in text.words[first:last]:
        offsets.append(position)
        position += len(word) + 1
    return " ".join(text.words[first:last]), offsets


@lru_cache(maxsize=65_536)
def _trigger_word(word: str, group: str) -> bool:
    return any(pattern.fullmatch(word) for pattern, *_ in lexicon.TRIGGERS[group])


_ANY_OFFICE = ("counterpart", "colleague", "koleg")


def _fits(roles: list[str], ranks: set[str], group: str, title: str) -> bool:
    """Whether an office told by role words ("minister", "counterpart") and rank words
    ("deputy", "prime") is the one a title names ("Minister of Foreign Affairs")."""
    words = _title_words(title)
    if ranks != words & lexicon.RANK_MODIFIERS:
        return False
    for role in roles:
        if role.startswith(_ANY_OFFICE):
            continue
        prefix = next((p for p in lexicon.ROLE_WORDS[group] if role.startswith(p)), role)
        if not any(w.startswith(prefix[:6]) for w in words):
            return False
    return True


def _opening(sentence: _Sentence, start: int) -> bool:
    """Whether a trigger stands in a phrase the sentence opens on ("During his meeting
    with", "At a meeting with", "In a telephone call with", "Tokom razgovora sa")."""
    words, group = sentence.text.words, sentence.group
    opening = words[sentence.first:start]
    return bool(opening) and opening[0] in lexicon.OPENING_FIRST[group] and all(
        w in lexicon.OPENING[group] for w in opening)


# A found official whose office makes them whom "the Minister" stands for (folded role).
_OWN_ROLE = re.compile(r"(?<![\w])(?:minist\w*|secretary|sekretar\w*)")


@lru_cache(maxsize=4096)
def _title_words(title: str) -> frozenset[str]:
    """A registry title's folded words, "minist" for any minister's and "foreign" for
    "external" ("Minister of External Affairs")."""
    words = set(fold(title).replace("-", " ").split())
    if any(w.startswith("minist") for w in words):
        words.add("minist")
    if "external" in words:
        words.add("foreign")
    return frozenset(words)


def _office_phrase(text: _Text, start: int, stop: int, group: str) -> str | None:
    """The own-office phrase ("foreign secretary", "secretary", "minister") the words
    [start, stop) hold on their own: a run of office words after "the" or a sentence's
    start, with no capitalised word around it that would make it another office
    ("Minister for Europe", "Development Minister", "Serbian Foreign Minister")."""
    words = text.words
    table = lexicon.OWN_OFFICES[group]
    i = start
    while i < stop:
        if words[i] not in lexicon.OFFICE_WORDS or words[i] in ("of", "for", "state"):
            i += 1
            continue
        j = i
        while j < stop and words[j] in lexicon.OFFICE_WORDS:
            j += 1
        phrase = " ".join(words[i:j])
        before = text.written[i - 1] if i > 0 else ""
        after = text.written[j] if j < len(text.written) else ""
        if phrase in table and (not before[:1].isupper() or words[i - 1] == "the") and not (
                after[:1].isupper() and not text.separator(j).strip()):
            return phrase
        i = j
    return None


def _kind(sentence: str, kind: str) -> str:
    if kind == "call" or _PHONE.search(sentence):
        return "call"
    if lexicon.VISIT.search(sentence):
        return "visit"
    return kind


def _month(word: str) -> int | None:
    if not _MONTH_WORD.match(word):
        return None
    return next((number for prefix, number in _MONTHS if word.startswith(prefix)), None)


def _day(words: list[str], first: int, last: int,
         published: date | None) -> tuple[date | None, bool]:
    """The encounter's day: a date the sentence gives ("On October 28", "17. фебруара",
    "28 октября"), "yesterday", or the publication date; and whether the sentence puts it
    elsewhere in time: after the communiqué (a plan), or in an earlier month with no day
    ("the talks in August": recalled)."""
    if published is None:
        return None, False
    for i in range(first, last):
        month = _month(words[i])
        if month is None:
            continue
        day_number = None
        if i > first and words[i - 1].isdigit() and 1 <= int(words[i - 1]) <= 31:
            day_number = int(words[i - 1])
        elif i + 1 < last and words[i + 1].isdigit() and 1 <= int(words[i + 1]) <= 31:
            day_number = int(words[i + 1])
        if day_number is None:
            # "in August", "u avgustu", "в августе": a month of its own, before this one.
            if month != published.month and len(words[i]) > 3 and i > first \
                    and words[i - 1] in _IN_MONTH:
                return published, True
            continue
        year = next((int(w) for w in words[i + 1:i + 4] if len(w) == 4 and w.isdigit()),
                    None)
        for candidate in ([year] if year else [published.year, published.year - 1]):
            try:
                found = date(candidate, month, day_number)
            except ValueError:
                continue
            if found - published > timedelta(days=1):
                if year or found - published < timedelta(days=FUTURE_REACH_DAYS):
                    return published, True
                continue
            if published - found <= timedelta(days=DATE_REACH_DAYS):
                return found, False
    if lexicon.YESTERDAY.search(" ".join(words[first:last])):
        return published - timedelta(days=1), False
    return published, False


def _place(words: list[str], first: int, last: int, group: str) -> str:
    """A city the sentence puts the encounter in ("in Moscow", "u Moskvi", "в Москве")."""
    for i in range(first, last - 1):
        if words[i] not in lexicon.PLACE_BEFORE[group]:
            continue
        for size in (3, 2, 1):
            city = _city(" ".join(words[i + 1:i + 1 + size]).replace("-", " "))
            if city:
                return city
    return ""


@lru_cache(maxsize=65_536)
def _city(phrase: str) -> str:
    if phrase in lexicon.CITIES:
        return lexicon.CITIES[phrase]
    # Declined: "moskvi", "moskve", "pekingu", "njujorku", "vasingtonu".
    for cut in (1, 2, 3):
        stem = phrase[:-cut]
        if len(stem) >= 3 and stem in lexicon.CITIES:
            return lexicon.CITIES[stem]
    return ""


def _conference(text: _Text, first: int, last: int) -> str:
    """The conference whose sidelines the sentence puts talks on, as the text names it."""
    folded, offsets = _joined(text, first, last)
    match = lexicon.SIDELINES.search(folded)
    if match is None:
        return ""
    start = first + bisect_right(offsets, match.start("name")) - 1
    end = start
    for i in range(start, min(last, start + 14)):
        if i > start + 1 and lexicon.CONFERENCE_END.fullmatch(text.words[i]):
            break
        end = i + 1
    name = text.span_text(start, end)
    return name[4:] if name.lower().startswith("the ") else name
