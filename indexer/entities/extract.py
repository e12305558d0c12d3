"""Officials and countries a communiqué mentions, found at indexing time.

Officials: every spelling the registry knows, in any script and grammatical case; and
people the registry lacks whom a title introduces ("Minister of Foreign Affairs of Italy
Antonio Tajani", "sa ministrom spoljnih poslova Slovačke Jurajem Blanarom"): found
officials (`indexer.entities.found`), named as the corpus names them once indexing has
collected them (`FoundDirectory`), by this text's own nominative before.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from indexer.entities.countries import VARIANTS_FILE, Gazetteer, gazetteer
from indexer.entities.directory import FoundDirectory, Sighting, renamed
from indexer.entities.found import FoundScanner, Mention, Words
from indexer.entities.names import (
    key_tokens,
    merge_key,
    merge_token,
    name_key,
    without_honorifics,
)
from indexer.entities.registry import OfficialsRegistry, registry_files
from indexer.entities.vocabulary import NAMED_AFTER, NAMED_BEFORE, PARTICLES, title_keys
from indexer.folding import WORD, fold
from scrapers.record import Communique

# Words with a capital after the first letter, or all capitals: abbreviations (US, KiM).
_ABBREVIATION = re.compile(r"\b\w[\w]*[A-ZА-ЯЈЉЊЋЏЂ][\w]*\b|\b[A-ZА-Я]{2,}\b")
_ABBREVIATION_CAPITALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
                                   "ЈЉЊЋЏЂ")


def abbreviations(words: list[str]) -> list[str]:
    """_ABBREVIATION.findall of a text, from its words (WORD.findall): a match is a whole
    word with one of the capitals after its first letter (the pattern's second part, all
    capitals, is within its first), taken without the pattern's backtracking over every
    word (tested against it)."""
    capitals = _ABBREVIATION_CAPITALS
    # A lower-case word has no capital at all: most words are ruled out in C.
    return [word for word in itertools.filterfalse(str.islower, words)
            if not word[1:].islower() and not capitals.isdisjoint(word[1:])]


# Words before "America" that make it a region, not the United States (index keys).
_AMERICAS = frozenset(k for w in """latin south central north latinska južna srednja
severna latinsk juzn srednj severn латинская латинской южная южной центральная
центральной северная северной латинска јужна средња северна""".split()
                      for k in key_tokens(w))

# Words known not to name a place, kept between communiqués (a cache, bounded).
OTHER_WORDS_KEPT = 500_000

# Kinds of office a title names, by words of its folded text in English, Serbian and
# Russian, checked in this order ("predsednik vlade" and "Prime Minister" are heads of
# government before they are presidents or ministers).
_OFFICE_KINDS = (
    ("government", ("prime minister", "premier", "premijer", "premer", "chancellor",
                    "kancelar", "kancler", "predsednik vlade", "predsednica vlade",
                    "predsedatel pravitelstva")),
    ("president", ("president", "predsednik", "predsednica", "prezident")),
    # A secretary of state, a foreign secretary, a secretary-general: a minister's rank.
    ("minister", ("minist", "secretary", "sekretar")),
)


# Words that make a title another office than its noun's: a deputy minister or a vice
# president is no minister or president, a former one no longer holds the office.
_OTHER_OFFICE = ("deputy", "vice", "assistant", "under", "former", "zamen", "zamest",
                 "zamminist", "pomoc", "potpredsed", "bivs", "byvs")


def office_kind(title: str) -> str:
    """The kind of office a title in any of the languages names ("" if none of these)."""
    folded = fold(title).lower()
    if any(word.startswith(_OTHER_OFFICE) for word in WORD.findall(folded)):
        return ""
    return next((kind for kind, words in _OFFICE_KINDS
                 if any(word in folded for word in words)), "")


def _positions(tokens: Sequence[str], wanted: frozenset[str] | set[str]) -> list[int]:
    """The positions of the tokens in `wanted`, in order (each token tested in C)."""
    return list(itertools.compress(range(len(tokens)), map(wanted.__contains__, tokens)))


def _prefixes(by_key: dict[tuple[str, ...], str]) -> frozenset[tuple[str, ...]]:
    """The beginnings of two or more words of the keys of several words (with the keys)."""
    return frozenset(key[:size] for key in by_key for size in range(2, len(key) + 1))


def _longest(by_key: dict[tuple[str, ...], str], prefixes: frozenset[tuple[str, ...]],
             tokens: tuple[str, ...], i: int, most: int, least: int) -> tuple[int, str | None]:
    """(size, value) of the longest key of `least` to `most` words in `by_key` that the
    tokens from i begin with ((0, None) if none): what trying every size from `most`
    down to `least` finds, looked for upwards through the keys' beginnings."""
    found: tuple[int, str | None] = (0, None)
    if least <= 1 and most >= 1:
        value = by_key.get(tokens[i:i + 1])
        if value:
            found = (1, value)
    for size in range(2, most + 1):
        window = tokens[i:i + size]
        if window not in prefixes:
            break
        if size >= least:
            value = by_key.get(window)
            if value:
                found = (size, value)
    return found


@dataclass(frozen=True)
class FoundOfficial:
    """A person the registry lacks whom a title introduces in one communiqué."""

    key: tuple[str, ...]  # merge_key: who it is, whatever the script or case
    name: str  # as shown: the corpus's name for them (FoundDirectory), or `nominative`
    nominative: str  # this communiqué's name for them, in the nominative where known
    nominative_known: bool  # the communiqué writes the name in the nominative
    forms: tuple[str, ...]  # the full name as the communiqué writes it, every form
    role: str
    country: str
    language: str


@dataclass(frozen=True)
class Entities:
    officials: tuple[str, ...]  # canonical names, in order of first mention
    countries: tuple[str, ...]  # English short names, in order of first mention
    # Found officials (people a title introduces whom no registry file names): their
    # names, also among `officials`, and what the communiqué says of them.
    candidates: tuple[str, ...] = ()
    found: tuple[FoundOfficial, ...] = ()


@dataclass
class _Person:
    """A found official while one communiqué is read."""

    key: tuple[str, ...]
    position: int
    mentions: list[Mention]
    forms: list[str]


def _join_shortened(persons: dict[tuple[str, ...], _Person]) -> None:
    """A name that ends another one of the communiqué is that person: "амбасадор Де
    Оливеира" after "Фредерико Салома де Оливеира"."""
    for key in sorted(persons, key=len):
        longer = next((k for k in persons if len(k) > len(key) and k[-len(key):] == key), None)
        if longer is not None and len(key) > 1:
            shorter = persons.pop(key)
            person = persons[longer]
            person.mentions += [replace(m, surname_only=True) for m in shorter.mentions]
            person.position = min(person.position, shorter.position)


def _best_name(mentions: list[Mention]) -> tuple[str, bool]:
    """A person's name in the nominative from what one communiqué writes: a full name
    the text gives in the nominative; else one put back in the nominative, with the
    surname as a nominative mention of it alone writes it ("Basema Jahju" and
    "ambasador Jahja": Basem Jahja)."""
    full = [m for m in mentions if not m.surname_only]
    for mention in full:
        if mention.nominative_known:
            return mention.nominative, True
    best = full[0] if full else mentions[0]
    surname = next((m.written for m in mentions if m.surname_only and m.nominative_known
                    and m.key[-1] == best.key[-1] and " " not in m.written), None)
    if surname and " " in best.nominative:
        return best.nominative.rsplit(" ", 1)[0] + " " + surname, False
    return best.nominative, False


class EntityExtractor:
    def __init__(self, registry: OfficialsRegistry, places: Gazetteer,
                 directory: FoundDirectory | None = None) -> None:
        self.registry = registry  # the curated officials (registry files)
        self.places = places
        self.scanner = FoundScanner(places)
        # The found officials of the corpus indexed: what they are called everywhere.
        self.directory = directory or FoundDirectory()
        # Everyone, curated and found: what pages, links and facet filters look up.
        self.people = registry.with_found(self.directory.officials()) if directory \
            else registry
        # Most words start no name: a set lookup rules them out before any slicing.
        self._official_starts = frozenset(key[0] for key in registry.by_key)
        # The starts that are a name alone; the others begin names of several words only.
        self._official_singles = frozenset(key[0] for key, value in registry.by_key.items()
                                           if len(key) == 1 and value)
        self._place_starts = frozenset(key[0] for key in places.by_key if len(key) > 1)
        # Every beginning of two words or more of a name: a longer look stops at the first
        # words no name begins with ("the" starts "the Gambia", and most "the"s go no
        # further than the next word), not after trying every length down from the longest.
        self._official_prefixes = _prefixes(registry.by_key)
        self._place_prefixes = _prefixes(places.by_key)
        # Words repeat (a Zipf law): each distinct word is matched against the
        # gazetteer's prefixes once, and sorted into one of two sets that later
        # communiqués test in C (set operations) instead of word by word.
        self._single_places = lru_cache(maxsize=262_144)(places.match_single)
        self._place_words: set[str] = set(self._place_starts)
        self._other_words: set[str] = set()
        # The place words that name a place alone (match_single): the others only begin
        # places of several words ("the", "new", "south").
        self._single_words: set[str] = {k for k in self._place_starts
                                        if self._single_places(k)}
        self._surnames: dict[str, frozenset[str]] = {}
        # Initial and surname -> the one person they can be ("М.В.Рыженков").
        by_initials: dict[tuple[str, str], set[str]] = {}
        for official in registry.by_id.values():
            for written in map(name_key, official.spellings):
                # A first name as written (not an initial: "Dž."), however short its
                # merge key ("Edi": "ed").
                key = merge_key(written)
                if len(key) > 1 and len(written[0]) > 2:
                    by_initials.setdefault((key[0][0], key[-1]), set()).add(official.id)
        self._by_initials = {k: ids.pop() for k, ids in by_initials.items() if len(ids) == 1}
        # Name word -> the registry people a full spelling of theirs contains: "President
        # Trump", "Prime Minister Modi", whose surname alone is no alias (a common word);
        # "President Lula" (of Lula da Silva), "President Xi" (a surname written first).
        self._by_surname: dict[str, set[str]] = {}
        particles = {merge_token(p) for p in PARTICLES}
        for official in registry.by_id.values():
            for key in map(merge_key, official.spellings):
                if len(key) > 1:
                    for word in key:
                        if len(word) > 1 and word not in particles:
                            self._by_surname.setdefault(word, set()).add(official.id)

    def with_directory(self, directory: FoundDirectory) -> EntityExtractor:
        """This extractor, naming found officials as a corpus's directory does.

        Every table __init__ derives from the registry and the gazetteer is shared, not
        built again (about 0.1 s, paid by each writer of an update after the found
        officials are exchanged): only the directory and `people` differ. The shared
        word caches hold what the registry and gazetteer say of a word, the same for both.
        """
        extractor = copy.copy(self)
        extractor.directory = directory or FoundDirectory()
        extractor.people = self.registry.with_found(directory.officials()) if directory \
            else self.registry
        return extractor

    def renamed(self, entities: Entities) -> Entities:
        """Entities extracted without this extractor's directory, their found officials
        renamed as it names them (what a rebuild does once it has read every text)."""
        if not entities.found:
            return entities
        found = []
        for official in entities.found:
            entry = self.directory.entry_for(official.key)
            found.append(replace(official, name=entry.name, key=entry.key) if entry
                         else official)
        return replace(entities, officials=renamed(
            entities.officials, [(old.name, new.name) for old, new in zip(
                entities.found, found, strict=True)]),
            candidates=tuple(f.name for f in found), found=tuple(found))

    def _spans(self, tokens: tuple[str, ...]) -> list[tuple[int, int, str]]:
        """(first token, token after the last, official id) of every registry spelling."""
        # Only the words a name can start with are looked at (a set test per word).
        positions = _positions(tokens, self._official_starts)
        if positions:
            # A word that begins names of several words only, with a next word that goes
            # on with none of them, finds nothing (what _longest would say): only the
            # others are looked at, told apart in C but for that second word.
            singles, prefixes = self._official_singles, self._official_prefixes
            positions = [i for i in positions
                         if tokens[i] in singles or tokens[i:i + 2] in prefixes]
        return self._spans_at(tokens, positions)

    def _spans_at(self, tokens: tuple[str, ...],
                  positions: Iterable[int]) -> list[tuple[int, int, str]]:
        """The registry spellings starting at the given word positions (in order), each
        the longest there; a word inside one found is not looked at again."""
        spans: list[tuple[int, int, str]] = []
        by_key = self.registry.by_key
        prefixes = self._official_prefixes
        after = 0  # words before this were part of a name already found
        for i in positions:
            if i < after:
                continue
            size, official_id = _longest(by_key, prefixes, tokens, i,
                                         min(self.registry.max_words, len(tokens) - i), 1)
            if official_id:
                # A name inside a place's or an institution's is not a mention.
                if not ((i + size < len(tokens) and tokens[i + size] in NAMED_AFTER)
                        or (i > 0 and tokens[i - 1] in NAMED_BEFORE)):
                    spans.append((i, i + size, official_id))
                after = i + size
        return spans

    def name_spans(self, tokens: tuple[str, ...]) -> list[tuple[int, int, str]]:
        """(first token, token after the last, official id) of every registry spelling in a
        text's key tokens (`key_tokens`): where it names whom (events read encounters
        around them)."""
        return self._spans(tokens)

    def officials_in(self, text: str, tokens: tuple[str, ...] | None = None) -> list[str]:
        """The registry's people a text names, by any of their spellings."""
        tokens = key_tokens(text) if tokens is None else tokens
        names: dict[str, None] = {}
        for _, _, official_id in self._spans(tokens):
            names.setdefault(self.registry.by_id[official_id].name)
        return list(names)

    def _other_person(self, mention: Mention, span: tuple[int, int, str]) -> bool:
        """Whether a registry spelling of one word (a bare surname) inside a full name a
        title introduces belongs to someone else: the first names do not agree."""
        start, end, official_id = span
        if end - start != 1 or len(mention.key) < 2 or mention.initials \
                or self.registry.by_merge_key.get(mention.key) == official_id:
            return False
        official = self.registry.by_id[official_id]
        initials = {key[0][:1] for key in map(merge_key, official.spellings) if len(key) > 1}
        return bool(initials) and mention.key[0][:1] not in initials

    def _surnames_of(self, official_id: str) -> frozenset[str]:
        """The merge keys of a person's surnames (the last word of each spelling)."""
        surnames = self._surnames.get(official_id)
        if surnames is None:
            official = self.registry.by_id[official_id]
            surnames = frozenset(k[-1] for k in map(merge_key, official.spellings) if k)
            self._surnames[official_id] = surnames
        return surnames

    def found_in(self, record: Communique, words: Words, offset: int,
                 spans: list[tuple[int, int, str]], people: dict[str, int],
                 distinct: set[str] | frozenset[str] | None = None,
                 vetoed: set[int] | None = None,
                 ) -> list[tuple[int, FoundOfficial]]:
        """The people titles introduce in a communiqué's body (`words`: its title and
        body, the body from word `offset`). Those the registry knows (by a spelling
        inside the name, or by its merge key) go into `people` (official id -> first
        word); the others are returned with their first word. Registry spellings a title
        shows to be someone else's name go into `vetoed` (their first word)."""
        vetoed = set() if vetoed is None else vetoed
        language = record.language
        if not record.body or not (distinct or frozenset(words.tokens)) & title_keys(language):
            return []
        mentions = self.scanner.mentions(words, language, offset)
        if not mentions:
            return []
        registry = self.registry
        persons: dict[tuple[str, ...], _Person] = {}
        pending: list[Mention] = []
        for mention in mentions:
            if mention.key in registry.rejected_keys:
                continue
            first, last = mention.start, mention.end
            span = next(((s, e, oid) for s, e, oid in spans if s <= last and e > first), None)
            if span is not None and self._other_person(mention, span):
                # "Ambassador Aleksandra Joksimović" is not the registry's Jadranka
                # Joksimović, whom a bare surname spelling would make her.
                vetoed.add(span[0])
                span = None
            known = (span[2] if span else None) or registry.by_merge_key.get(mention.key)
            if known is None and len(mention.key) > 2:
                # A known person with a middle name or one more word.
                known = next((oid for i in range(len(mention.key) - 1) for oid in
                              [registry.by_merge_key.get(mention.key[i:i + 2])] if oid), None)
            if known is None and mention.initials:
                known = self._by_initials.get((mention.key[0][:1], mention.key[-1]))
            if known is not None:
                people.setdefault(known, first)
            elif mention.surname_only or mention.initials:
                pending.append(mention)
            else:
                person = persons.setdefault(mention.key, _Person(mention.key, first, [], []))
                person.mentions.append(mention)
                person.forms.append(mention.written)
        for mention in pending:
            self._resolve(mention, words, people, persons, record)
        self._headline(record, words, offset, people, persons)
        _join_shortened(persons)
        found = []
        for person in persons.values():
            nominative, nominative_known = _best_name(person.mentions)
            role = next((m.role for m in person.mentions if m.role), "")
            country = next((m.country for m in person.mentions if m.country), "")
            entry = self.directory.entry_for(person.key)
            found.append((person.position, FoundOfficial(
                entry.key if entry else person.key, entry.name if entry else nominative,
                nominative, nominative_known, tuple(dict.fromkeys([nominative, *person.forms])),
                role, country, language)))
        return found

    def _headline(self, record: Communique, words: Words, offset: int,
                  people: dict[str, int], persons: dict[tuple[str, ...], _Person]) -> None:
        """People a headline's title introduces ("Foreign Ministry Spokesperson Wang
        Wenbin's Regular Press Conference") whom the body names in full without one.
        Headlines capitalise every word, so only a name the body confirms counts."""
        if not offset:
            return
        for mention in self.scanner.mentions(words, record.language, 0, offset):
            if mention.surname_only or mention.initials or mention.key in persons \
                    or mention.key in self.registry.rejected_keys \
                    or self.registry.by_merge_key.get(mention.key) in people:
                continue
            full = self.scanner.full_name(words, mention.key[-1], offset)
            if full is None or merge_key(full) != mention.key:
                continue
            known = self.registry.by_merge_key.get(mention.key)
            if known is not None:
                people.setdefault(known, mention.start)
                continue
            persons[mention.key] = _Person(mention.key, mention.start, [mention],
                                           [mention.written, full])

    def _titled(self, mention: Mention, record: Communique) -> str | None:
        """The registry person a title and a surname alone name ("President Trump",
        "premijer Modi"): the one person of that surname holding an office of the title's
        kind on the communiqué's day. None if no one, or more than one, does."""
        kind = office_kind(mention.role)
        if not kind or record.published is None:
            return None
        holders = [official_id for official_id in self._by_surname.get(mention.key[-1], ())
                   if any(office_kind(role.title) == kind for role in self.registry.roles_on(
                       self.registry.by_id[official_id], record.published))]
        return holders[0] if len(holders) == 1 else None

    def _resolve(self, mention: Mention, words: Words, people: dict[str, int],
                 persons: dict[tuple[str, ...], _Person], record: Communique) -> None:
        """A surname alone after a title ("Secretary Rubio", "ministar Blanar") or initials
        ("М.В.Рыженков"): the person with that surname the communiqué names in full, if
        any; initials alone are a person of their own."""
        surname = mention.key[-1]
        initial = mention.key[0][:1] if mention.initials else ""
        first = mention.start
        for official_id in people:
            if surname in self._surnames_of(official_id):
                return
        for key, person in persons.items():
            if key[-1] == surname and (not initial or key[0].startswith(initial)):
                person.mentions.append(mention)
                if mention.initials:  # a surname alone is no form of the name
                    person.forms.append(mention.written)
                person.position = min(person.position, first)
                return
        # The full name written elsewhere, without a title ("Juraj Blanár" in a headline,
        # "Имангали Тасмагамбетов" after "И.Н.Тасмагамбетовым").
        full = self.scanner.full_name(words, surname)
        if full is not None and initial and (merge_key(full)[0][:1] != initial
                                             or len(merge_key(full)[0]) <= 2):
            full = None  # another's first name, or initials again (the mention itself)
        if full is None:
            if mention.initials:  # initials and a surname are a name of their own
                person = persons.setdefault(mention.key, _Person(mention.key, first, [], []))
                person.mentions.append(mention)
                person.forms.append(mention.written)
            elif (known := self._titled(mention, record)) is not None:
                people.setdefault(known, first)
            return
        key = merge_key(full)
        if key in self.registry.rejected_keys:
            return
        known = self.registry.by_merge_key.get(key)
        if known is not None:
            people.setdefault(known, first)
            return
        named = Mention(full, full, key, mention.role, mention.country, mention.start,
                        mention.end, False, False)
        person = persons.setdefault(key, _Person(key, first, [], []))
        person.mentions.append(named)
        person.forms += [full, mention.written] if mention.initials else [full]

    def countries_in(self, text: str, tokens: tuple[str, ...] | None = None,
                     distinct: set[str] | None = None, words: list[str] | None = None,
                     language: str = "") -> list[str]:
        """Countries a text names. `words`: the text's words as written, which tell
        English names from a first name of the same key ("Dominic", "Dominica")."""
        tokens = key_tokens(text) if tokens is None else tokens
        english = words is not None and language.split("-")[0] == "en"
        found: list[str] = []
        for word in abbreviations(WORD.findall(text) if words is None else words):
            code = self.places.abbreviations.get(word)
            name = self.places.names.get(code, code) if code else None
            if name and name not in found:
                found.append(name)
        starts = self._place_starts
        match_single = self._single_places
        # The distinct words that can start a place name or are one.
        distinct = set(tokens) if distinct is None else distinct
        for token in distinct - self._place_words - self._other_words:
            if match_single(token):
                self._place_words.add(token)
                self._single_words.add(token)
            else:
                self._other_words.add(token)
        if len(self._other_words) > OTHER_WORDS_KEPT:
            self._other_words.clear()  # a vocabulary this large is mostly rare words
        places = distinct & self._place_words
        singles = places & self._single_words
        after = 0  # words before this were part of a place already found
        prefixes = self._place_prefixes
        # A word that only begins places ("the": 25 a communiqué) matters where the next
        # word goes on with a place's beginning; elsewhere it finds nothing and moves
        # nothing on (it would set `after` to the next word), so it is not looked at.
        positions = _positions(tokens, singles)
        if len(singles) < len(places):
            positions = sorted(positions + [
                i for i in _positions(tokens, places - singles)
                if tokens[i:i + 2] in prefixes])
        for i in positions:
            if i < after:
                continue
            code = None
            size = 1
            # Most words that begin a place of several words ("the") go no further.
            if tokens[i] in starts and tokens[i:i + 2] in prefixes:
                size, code = _longest(self.places.by_key, prefixes, tokens, i,
                                      min(self.places.max_words, len(tokens) - i), 2)
            if not code:
                size = 1
                code = match_single(tokens[i])
                # English does not decline: a word that only shares a country's key
                # ("Dominic", "Ghani") is not the country.
                if code and english and words is not None \
                        and self.places.by_key.get((tokens[i],)) == code \
                        and fold(words[i]).lower() not in self.places.written:
                    code = None
                # "Latin America", "South American", "Латинской Америке": a region.
                if code == "US" and i and tokens[i - 1] in _AMERICAS:
                    code = None
            if code:
                name = self.places.names.get(code, code)
                if name not in found:
                    found.append(name)
            after = i + size
        return found

    def extract(self, record: Communique) -> Entities:
        text = record.title + "\n" + record.body
        words = Words(text)  # split and folded once: key_tokens(text) is words.tokens
        tokens = words.tokens
        distinct = set(tokens)
        spans = self._spans(tokens)
        people: dict[str, int] = {}  # official id -> first mention
        for start, _, official_id in spans:
            people.setdefault(official_id, start)
        offset = len(WORD.findall(record.title))  # the body's words follow the title's
        vetoed: set[int] = set()
        found = self.found_in(record, words, offset, spans, people, distinct, vetoed)
        if vetoed:  # registry people named only by spellings that were someone else's
            from_spans: dict[str, int] = {}
            for start, _, official_id in spans:
                if start not in vetoed:
                    from_spans.setdefault(official_id, start)
            spanned = {official_id for _, _, official_id in spans}
            people = {oid: from_spans[oid] if oid in from_spans else position
                      for oid, position in people.items()
                      if oid in from_spans or oid not in spanned}
        by_id = self.registry.by_id
        mentioned = sorted([(position, by_id[oid].name) for oid, position in people.items()]
                           + [(position, official.name) for position, official in found])
        officials = list(dict.fromkeys(name for _, name in mentioned))
        # Names a site tags itself (GOV.UK) count too, in the registry's spelling.
        for tagged in record.officials:
            known = self.registry.lookup(tagged)
            name = known.name if known else without_honorifics(tagged)
            if name not in officials:
                officials.append(name)
        countries = self.countries_in(text, tokens, distinct, words.words, record.language)
        for tagged in record.countries:
            if tagged not in countries:
                countries.append(tagged)
        return Entities(tuple(officials), tuple(countries),
                        tuple(official.name for _, official in found),
                        tuple(official for _, official in found))


# Bumped whenever a change to this module changes what is extracted: stored entities
# made by an older extraction are then recomputed by the next `communiques index`.
EXTRACTION_VERSION = 13


def extraction_fingerprint(data_dir: str | None = None) -> str:
    """What the stored entities depend on: this code's version and the contents of
    every registry and gazetteer file. A changed fingerprint means recompute them."""
    digest = hashlib.sha256(f"extraction {EXTRACTION_VERSION}".encode())
    for path in [*registry_files(data_dir), VARIANTS_FILE]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def extractor_for(data_dir: str | None = None, found: bool = True) -> EntityExtractor:
    """The extractor with the seed registry and the data directory's curated officials,
    and (`found`) the officials the data directory's last indexing found in the texts.
    A registry file changed since, or an index run since, gives a fresh one."""
    files = registry_files(data_dir)
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    extractor = _extractor(data_dir, stamp)
    if not found or data_dir is None:
        return extractor
    return _with_found(data_dir, stamp, _index_stamp(data_dir))


def _index_stamp(data_dir: str) -> tuple:
    """Changes with every index run, which rewrites the found officials before its
    state: the generation CURRENT points to and that state's time."""
    try:
        current = Path(data_dir) / "whoosh" / os.readlink(Path(data_dir) / "whoosh" / "CURRENT")
        return (current.name, (current / "state.json").stat().st_mtime_ns)
    except OSError:
        return ()


@lru_cache(maxsize=4)
def _extractor(data_dir: str | None, _stamp: tuple) -> EntityExtractor:
    return EntityExtractor(OfficialsRegistry.load(Path(data_dir) if data_dir else None),
                           gazetteer(data_dir))


@lru_cache(maxsize=4)
def _with_found(data_dir: str, stamp: tuple, _index: tuple) -> EntityExtractor:
    from indexer.archive import Archive  # the archive module imports this package

    extractor = _extractor(data_dir, stamp)
    if not (Path(data_dir) / Archive.FILENAME).exists():
        return extractor
    with Archive(data_dir, readonly=True) as archive:
        entries = archive.found_entries()
    if not entries:
        return extractor
    return extractor.with_directory(FoundDirectory({e.key: e for e in entries}))


def sightings(record: Communique, entities: Entities) -> list[Sighting]:
    """A communiqué's found officials, as the directory is built of them."""
    return [Sighting(record.id, record.published, f.key, f.nominative, f.nominative_known, f.forms,
                     f.role, f.country) for f in entities.found]
