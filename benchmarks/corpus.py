"""A deterministic generator of realistic synthetic communiqués, and the benchmark's query mix.

Record number N of seed S is always the same record: each record draws from its own
`random.Random` seeded with (S, N), so `generate(1000, start=N)` is the incremental batch
that follows a corpus of N records, whatever size that corpus was generated in.

What a record looks like (the same shape as the figures in shared WHOOSH.md):

- 20 ministries (`bench-rs`, `bench-ru`, ...), skewed so that facet counts differ;
- language: 60% en, 10% each sr-Latn, sr-Cyrl and ru, 5% each fr and de; sr-Cyrl and ru
  records are written in Cyrillic (the Latin text transliterated letter by letter with the
  Serbian table), sr-Latn records carry diacritics on some words (c->č/ć, s->š, z->ž,
  dj->đ), so the folding analyzer has real work;
- doc_type skewed (statement, press release and news most often);
- published uniformly 2000-01-01 .. 2026-10-31;
- a title of 8-12 words and a body of 300-500 words in 3-6 paragraphs;
- words drawn with a Zipf distribution (exponent 1.1) over one ranked vocabulary: 40
  English function words, then about 400 diplomatic words with 30 two-word collocations
  ("bilateral relations", "territorial integrity") among them, then a tail of 30,000
  pseudo-words made of syllables, so that rare words exist;
- 1-4 officials from a pool of 2,000 people (Latin spelling with diacritics and its
  Cyrillic form), named in the body with a title before them, in the record's script, and
  listed in `officials` in Latin spelling, as a site's own tags would;
- 1-3 countries from CLDR's English names (babel), mentioned in the body and listed in
  `countries`; people and countries are named in sentences from a few fixed templates
  ("Ambassador X met Prime Minister Y.", "The situation in Z was discussed."), placed among
  the drawn sentences, and their words count towards the body's length.

The tables (vocabulary, people, countries) do not depend on the seed; only the records do.
Records are the same for the same (seed, number) on a given Python and babel version.
"""

from __future__ import annotations

import itertools
import math
import random
import re
import zlib
from bisect import bisect
from collections.abc import Iterator
from datetime import UTC, date, datetime

import numpy as np
from babel import Locale

from scrapers.record import Communique, communique_id

DEFAULT_SEED = 20261128
ZIPF_EXPONENT = 1.1
TAIL_SIZE = 30_000
POOL_SIZE = 2_000
FETCHED_AT = datetime(2026, 11, 28, tzinfo=UTC)
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2026, 10, 31)
# A record's number goes into the low 32 bits of its seed.
MAX_RECORDS = 2**32

MINISTRIES: tuple[str, ...] = (
    "RS", "RU", "US", "GB", "CN", "FR", "DE", "IT", "HU", "TR",
    "IN", "JP", "BR", "ZA", "EG", "UA", "PL", "GR", "AT", "CH",
)
LANGUAGES: tuple[tuple[str, float], ...] = (
    ("en", 0.60), ("sr-Latn", 0.10), ("sr-Cyrl", 0.10), ("ru", 0.10), ("fr", 0.05), ("de", 0.05),
)
CYRILLIC_LANGUAGES = frozenset({"sr-Cyrl", "ru"})
DOC_TYPES: tuple[tuple[str, float], ...] = (
    ("statement", 25), ("press release", 22), ("news", 20), ("readout", 10),
    ("briefing", 8), ("speech", 7), ("interview", 5), ("joint statement", 3),
)
OFFICIALS_PER_RECORD: tuple[tuple[int, float], ...] = ((1, 30), (2, 35), (3, 20), (4, 15))
COUNTRIES_PER_RECORD: tuple[tuple[int, float], ...] = ((1, 45), (2, 35), (3, 20))
TITLE_WORDS = (8, 12)
BODY_WORDS = (300, 500)
PARAGRAPHS = (3, 6)
SENTENCE_WORDS = (8, 20)

# -- vocabulary ------------------------------------------------------------------------------

FUNCTION_WORDS: tuple[str, ...] = tuple("""
the of and to in a on for with that is was by as at from this will be are its which has
have an also their it between both were been other all not more such these during within
further
""".split())

# Ranked: the first is the most frequent. Duplicates and function words are dropped below.
DIPLOMATIC_WORDS: tuple[str, ...] = tuple(dict.fromkeys(w for w in """
cooperation minister talks bilateral security relations foreign affairs meeting president
government development economic support ministry republic international countries agreement
region regional peace political stability dialogue visit partnership strategic trade
investment ambassador delegation discussed joint statement council nations sovereignty
territorial integrity negotiations conference summit parliament embassy diplomatic issues
situation efforts process policy important agreed projects energy infrastructure people
friendship mutual interest interests future level framework commitment principles respect
law rights humanitarian assistance crisis conflict settlement solution ceasefire resolution
organization union european community representatives officials side sides parties
counterpart host welcomed expressed confirmed emphasized noted stressed underlined
reaffirmed highlighted recalled informed invited signed adopted launched opened held
continued strengthened expanded developed promoted implemented coordination consultations
contacts exchange views opinions topics agenda priorities measures steps initiatives
proposals programme plan roadmap memorandum understanding protocol declaration treaty
convention charter mechanism committee commission working group session round forum
platform secretariat mission office consulate diaspora citizens nationals migrants refugees
border borders customs visa visas tourism culture cultural education science scientific
technology innovation digital health medical pandemic vaccines climate environment water
food agriculture industry industrial business companies enterprises investors market
markets economy growth finance financial bank credit loan debt budget sanctions embargo
restrictions tariffs exports imports goods services transport railway highway corridor
pipeline gas oil nuclear electricity power renewable defence military armed forces troops
army navy police terrorism extremism crime corruption cybersecurity intelligence threats
threat challenges risks peacekeeping operation operations reconstruction recovery aid
donors grant contribution solidarity partners partner allies alliance neighbours
neighbourhood neighbouring accession membership integration reforms reform rule democracy
elections election constitution minority minorities heritage church religious youth women
gender equality children sport media press journalists information disinformation
communication briefing spokesperson remarks address speech interview readout telephone
conversation call video virtual online ceremony anniversary celebration commemoration
victims memorial tragedy condolences congratulations occasion national day independence
sustainable prosperity welfare global multilateral multipolar constructive productive
substantive frank open friendly traditional historic historical close closer deep
comprehensive practical concrete specific new current recent next previous upcoming annual
regular high highest senior deputy state secretary general director head chief envoy
special representative coordinator adviser chairman chair presidency speaker assembly
senate cabinet administration authorities institutions agencies ministries departments
embassies capitals capital city province territory territories coast sea ocean river
island mountain north south east west central western eastern northern southern balkans
europe asia africa america pacific atlantic mediterranean arctic
""".split() if w not in FUNCTION_WORDS))

COLLOCATIONS: tuple[str, ...] = (
    "bilateral relations", "territorial integrity", "economic cooperation",
    "strategic partnership", "security council", "united nations", "foreign affairs",
    "prime minister", "human rights", "international law", "regional stability",
    "political dialogue", "peaceful settlement", "free trade", "energy security",
    "climate change", "european union", "mutual respect", "sustainable development",
    "state visit", "trade turnover", "working visit", "friendly relations", "joint statement",
    "rule of law", "civil society", "general assembly", "visa regime", "peace process",
    "cultural heritage",
)
# Collocations sit among the diplomatic words: the j-th at diplomatic position 25 + 9j.
_COLLOCATION_START, _COLLOCATION_STEP = 25, 9

# -- scripts ---------------------------------------------------------------------------------

_LATIN_TO_CYRILLIC = {
    "a": "а", "b": "б", "c": "ц", "č": "ч", "ć": "ћ", "d": "д", "đ": "ђ", "e": "е", "f": "ф",
    "g": "г", "h": "х", "i": "и", "j": "ј", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о",
    "p": "п", "r": "р", "s": "с", "š": "ш", "t": "т", "u": "у", "v": "в", "z": "з", "ž": "ж",
    # English letters Serbian lacks: the nearest sound.
    "q": "к", "w": "в", "x": "кс", "y": "и",
}
_CYRILLIC_TABLE = str.maketrans(
    {**_LATIN_TO_CYRILLIC, **{k.upper(): v.upper() for k, v in _LATIN_TO_CYRILLIC.items()}}
)
_DIGRAPHS = (("dž", "џ"), ("Dž", "Џ"), ("DŽ", "Џ"), ("lj", "љ"), ("Lj", "Љ"), ("LJ", "Љ"),
             ("nj", "њ"), ("Nj", "Њ"), ("NJ", "Њ"))


def to_cyrillic(text: str) -> str:
    """Latin text in Serbian Cyrillic, letter by letter (lj, nj and dž as one letter)."""
    for latin, cyrillic in _DIGRAPHS:
        if latin in text:
            text = text.replace(latin, cyrillic)
    return text.translate(_CYRILLIC_TABLE)


def with_diacritics(word: str) -> str:
    """The sr-Latn spelling of a vocabulary word: about a third of the words that have a
    c, s, z or dj get a diacritic (the same one each time the word occurs)."""
    if not any(letter in word for letter in "csz") and "dj" not in word:
        return word
    key = zlib.crc32(word.encode())
    if key % 3:
        return word
    word = word.replace("dj", "đ").replace("s", "š").replace("z", "ž")
    return word.replace("c", "ć" if key & 8 else "č")


def forms(word: str) -> tuple[str, ...]:
    """Every spelling of a vocabulary word in the corpus: Latin, sr-Latn, Cyrillic."""
    return tuple(dict.fromkeys((word, with_diacritics(word), to_cyrillic(word))))


def query_safe(word: str) -> bool:
    """A word whose Cyrillic form folds back to it (no q, w, x; y only at the end), so
    that a folding engine and a Latin query find it in every script."""
    return all(not any(letter in part for letter in "qwx") and "y" not in part[:-1]
               for part in word.split())


# -- the ranked vocabulary -------------------------------------------------------------------

_ONSETS = ("b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr",
           "kr", "pr", "tr", "st", "sl", "sk", "pl", "c", "h", "f")
_VOWELS = ("a", "e", "i", "o", "u")
# Pseudo-words end in a consonant that no case ending strips, so each folds to itself.
_FINALS = ("n", "r", "t", "k", "s", "l", "d", "v", "z", "b", "g", "p")


def _ranked_head() -> list[str]:
    diplomatic = list(DIPLOMATIC_WORDS)
    for j, collocation in enumerate(COLLOCATIONS):
        diplomatic.insert(_COLLOCATION_START + j * _COLLOCATION_STEP, collocation)
    return list(FUNCTION_WORDS) + diplomatic


def _tail(size: int, banned: set[str]) -> list[str]:
    rng = random.Random(1)
    seen: set[str] = set()
    words: list[str] = []
    while len(words) < size:
        syllables = 2 if rng.random() < 0.6 else 3
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables))
        word += rng.choice(_FINALS)
        if word not in seen and word not in banned:
            seen.add(word)
            words.append(word)
    return words


_HEAD = _ranked_head()
# A pseudo-word equal to a head word, or to a head word less its last letter or two (what a
# case-ending filter may leave of it), would merge with that word in a folding index.
_BANNED = {form for word in _HEAD for form in (word, word[:-1], word[:-2])}
TAIL_WORDS: tuple[str, ...] = tuple(_tail(TAIL_SIZE, _BANNED))
VOCABULARY: tuple[str, ...] = tuple(_HEAD) + TAIL_WORDS
RANK: dict[str, int] = {word: rank for rank, word in enumerate(VOCABULARY, start=1)}
_WEIGHTS = [rank ** -ZIPF_EXPONENT for rank in range(1, len(VOCABULARY) + 1)]
_TOTAL_WEIGHT = math.fsum(_WEIGHTS)


def _alias_table(weights: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table (Vose's construction, in plain Python so that it is the same
    everywhere): column k keeps itself with probability keep[k] / 2**32, else alias[k]."""
    size = len(weights)
    total = math.fsum(weights)
    scaled = [w * size / total for w in weights]
    keep = [1.0] * size
    alias = list(range(size))
    small = [k for k, p in enumerate(scaled) if p < 1.0]
    large = [k for k, p in enumerate(scaled) if p >= 1.0]
    while small and large:
        low, high = small.pop(), large.pop()
        keep[low] = scaled[low]
        alias[low] = high
        scaled[high] = (scaled[high] + scaled[low]) - 1.0
        (small if scaled[high] < 1.0 else large).append(high)
    keep_scaled = np.array([min(int(p * 2**32), 2**32) for p in keep], dtype=np.uint64)
    return keep_scaled, np.array(alias, dtype=np.intp)


_ALIAS_KEEP, _ALIAS = _alias_table(_WEIGHTS)
# The same ranked vocabulary in each script; a record draws from its script's array.
_POPULATION_LATIN = np.array(VOCABULARY, dtype=object)
_POPULATION_DIACRITICS = np.array(
    [" ".join(with_diacritics(w) for w in v.split()) for v in VOCABULARY], dtype=object)
_POPULATION_CYRILLIC = np.array([to_cyrillic(v) for v in VOCABULARY], dtype=object)


def word_probability(word: str) -> float:
    """Probability that one drawn vocabulary entry is `word`."""
    return _WEIGHTS[RANK[word] - 1] / _TOTAL_WEIGHT


# Vocabulary draws per record: the body (less the sentences naming people and countries,
# about 20 words) and the title.
MEAN_DRAWS_PER_RECORD = (sum(BODY_WORDS) / 2 - 20) + sum(TITLE_WORDS) / 2


def expected_document_fraction(word: str) -> float:
    """Expected fraction of records in which a vocabulary entry occurs (title or body)."""
    return 1.0 - (1.0 - word_probability(word)) ** MEAN_DRAWS_PER_RECORD


# -- people and countries --------------------------------------------------------------------

FIRST_NAMES: tuple[str, ...] = tuple("""
Dragan Ivica Aleksandar Nikola Marko Miloš Vuk Jelena Ana Milica Maja Dušan Đorđe Nebojša
Zoran Goran Vladimir Sergej Andrej Dmitrij Mihail Olga Tatjana Natalija Irina Svetlana
Ljiljana Snežana Branko Slobodan Petar Stefan Luka Bojan Dejan Nenad Željko Tomislav Radovan
Jovan Vesna Gordana Biljana Danica Tijana Katarina Sanja Jasmina Boris Igor Oleg Viktor Pavle
Filip Lazar Uroš Nemanja Srđan Momčilo Ivan
""".split())
_SURNAME_ROOTS = tuple("""
Petr Jovan Nikol Marin Stan Dač Vuč Đurđ Mil Radosav Lazar Pav Tod Stojan Ilij Kostad Sim
Živk Bog Dragiš Kovač Vasilj Mark Filip Bab Ćir Šar Gaj Lukač Ran Bel Crn Brank Sel Tom
Vlah Grub Knež Mitr Obrad
""".split())
_SURNAME_ENDINGS = ("ović", "ević", "ić", "ov", "in", "enko", "ski", "ovski")
OFFICIAL_TITLES: tuple[str, ...] = (
    "Minister of Foreign Affairs", "Ambassador", "President", "Prime Minister",
    "State Secretary", "Deputy Minister", "Special Envoy", "Director General",
    "Foreign Minister", "Head of Mission",
)
# The sentences that name people and countries ({0}, {1}: a title and a name each; {2}: the
# countries). Their words are in most records whatever the vocabulary says, so no query
# of the mix uses them as its common word (see TEMPLATE_WORDS).
MEETING_TEMPLATES: tuple[str, ...] = (
    "{0} met {1}.", "{0} received {1}.", "{0} spoke by telephone with {1}.",
)
STATEMENT_TEMPLATES: tuple[str, ...] = (
    "{0} said that the talks were productive.", "{0} made a statement.",
)
PARTICIPANT_TEMPLATES: tuple[str, ...] = ("{0} also took part.", "{0} was also present.")
COUNTRY_TEMPLATES: tuple[str, ...] = (
    "The talks focused on relations with {2}.", "The situation in {2} was discussed.",
    "Both sides discussed {2}.",
)
TEMPLATE_WORDS = frozenset(
    re.findall(r"[a-z]+", " ".join((*OFFICIAL_TITLES, *MEETING_TEMPLATES, *STATEMENT_TEMPLATES,
                                    *PARTICIPANT_TEMPLATES, *COUNTRY_TEMPLATES)).lower()))


def _people(size: int) -> list[str]:
    rng = random.Random(2)
    seen: set[str] = set()
    people: list[str] = []
    while len(people) < size:
        name = (f"{rng.choice(FIRST_NAMES)} "
                f"{rng.choice(_SURNAME_ROOTS)}{rng.choice(_SURNAME_ENDINGS)}")
        if name not in seen:
            seen.add(name)
            people.append(name)
    return people


# Ranked by how often they are named: person r (from 1) has weight 1 / (r + 5).
PEOPLE: tuple[str, ...] = tuple(_people(POOL_SIZE))
PEOPLE_CYRILLIC: tuple[str, ...] = tuple(to_cyrillic(p) for p in PEOPLE)
_PEOPLE_CUM = list(itertools.accumulate(1 / (r + 5) for r in range(1, POOL_SIZE + 1)))

# Territories that are not countries (groupings, pseudo-locales, the unknown region).
_NOT_COUNTRIES = frozenset({"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"})
_PROMINENT = ("RS", "RU", "US", "CN", "DE", "FR", "GB", "IT", "UA", "TR", "XK", "BA", "HU",
              "GR", "JP", "IN", "BR", "ZA", "EG", "PL", "AT", "CH", "ME", "MK", "HR")


def _countries() -> list[tuple[str, str]]:
    names = {code: name.replace(" & ", " and ")
             for code, name in Locale.parse("en").territories.items()
             if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES}
    order = [c for c in _PROMINENT if c in names]
    order += sorted(c for c in names if c not in _PROMINENT)
    return [(code, names[code]) for code in order]


# Ranked by how often they are mentioned: country r (from 1) has weight 1 / (r + 3).
COUNTRIES: tuple[tuple[str, str], ...] = tuple(_countries())
_COUNTRY_CUM = list(itertools.accumulate(1 / (r + 3) for r in range(1, len(COUNTRIES) + 1)))

SOURCES: tuple[str, ...] = tuple(f"bench-{code.lower()}" for code in MINISTRIES)
_SOURCE_CUM = list(itertools.accumulate(1 / (i + 3) for i in range(len(MINISTRIES))))


def _cum(table: tuple[tuple[object, float], ...]) -> list[float]:
    return list(itertools.accumulate(weight for _, weight in table))


_LANGUAGE_VALUES = [value for value, _ in LANGUAGES]
_LANGUAGE_CUM = _cum(LANGUAGES)
_DOC_TYPE_VALUES = [value for value, _ in DOC_TYPES]
_DOC_TYPE_CUM = _cum(DOC_TYPES)
_OFFICIALS_N = [value for value, _ in OFFICIALS_PER_RECORD]
_OFFICIALS_CUM = _cum(OFFICIALS_PER_RECORD)
_COUNTRIES_N = [value for value, _ in COUNTRIES_PER_RECORD]
_COUNTRIES_CUM = _cum(COUNTRIES_PER_RECORD)
_FIRST_ORDINAL = FIRST_DAY.toordinal()
_LAST_ORDINAL = LAST_DAY.toordinal()


# -- records ---------------------------------------------------------------------------------

def _pick(rng: random.Random, cum: list[float]) -> int:
    return bisect(cum, rng.random() * cum[-1])


def _distinct(rng: random.Random, cum: list[float], count: int) -> list[int]:
    chosen: list[int] = []
    while len(chosen) < count:
        index = _pick(rng, cum)
        if index not in chosen:
            chosen.append(index)
    return chosen


def _draw(rng: random.Random, population: np.ndarray, count: int) -> list[str]:
    """`count` vocabulary entries drawn with Zipf weights, from the record's own rng."""
    raw = np.frombuffer(rng.getrandbits(64 * count).to_bytes(8 * count, "little"), dtype="<u8")
    column = (((raw >> np.uint64(32)) * np.uint64(len(VOCABULARY))) >> np.uint64(32)).astype(
        np.intp)
    chosen = np.where(raw & np.uint64(0xFFFFFFFF) < _ALIAS_KEEP[column], column, _ALIAS[column])
    return population[chosen].tolist()


def _list_phrase(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def record(number: int, seed: int = DEFAULT_SEED) -> Communique:
    """Record `number` of the corpus of `seed` (always the same record)."""
    if not 0 <= number < MAX_RECORDS:
        raise ValueError(f"record numbers run from 0 to {MAX_RECORDS - 1}")
    if seed < 0:
        raise ValueError("the seed must not be negative")
    rng = random.Random((seed << 32) | number)
    language = _LANGUAGE_VALUES[_pick(rng, _LANGUAGE_CUM)]
    doc_type = _DOC_TYPE_VALUES[_pick(rng, _DOC_TYPE_CUM)]
    ministry = _pick(rng, _SOURCE_CUM)
    published = date.fromordinal(rng.randint(_FIRST_ORDINAL, _LAST_ORDINAL))
    people = _distinct(rng, _PEOPLE_CUM, _OFFICIALS_N[_pick(rng, _OFFICIALS_CUM)])
    countries = [COUNTRIES[i][1] for i in
                 _distinct(rng, _COUNTRY_CUM, _COUNTRIES_N[_pick(rng, _COUNTRIES_CUM)])]
    officials = [PEOPLE[i] for i in people]
    titled = [f"{OFFICIAL_TITLES[rng.randrange(len(OFFICIAL_TITLES))]} {name}"
              for name in officials]

    # The sentences naming people and countries, in Latin; transliterated below if need be.
    if len(titled) >= 2:
        lead = MEETING_TEMPLATES[rng.randrange(len(MEETING_TEMPLATES))]
    else:
        lead = STATEMENT_TEMPLATES[rng.randrange(len(STATEMENT_TEMPLATES))]
    named = [lead.format(*titled[:2], "")]
    named += [PARTICIPANT_TEMPLATES[rng.randrange(len(PARTICIPANT_TEMPLATES))].format(name)
              for name in titled[2:]]
    named.append(COUNTRY_TEMPLATES[rng.randrange(len(COUNTRY_TEMPLATES))].format(
        "", "", _list_phrase(countries)))
    if language in CYRILLIC_LANGUAGES:
        named = [to_cyrillic(sentence) for sentence in named]
        population = _POPULATION_CYRILLIC
    elif language == "sr-Latn":
        population = _POPULATION_DIACRITICS
    else:
        population = _POPULATION_LATIN

    title_length = rng.randint(*TITLE_WORDS)
    body_length = rng.randint(*BODY_WORDS)
    filler_length = body_length - sum(sentence.count(" ") + 1 for sentence in named)
    # An entry may be two words (a collocation): draw one per word, then cut to length.
    drawn = _draw(rng, population, title_length + filler_length)
    title_words = " ".join(drawn[:title_length]).split()
    title = " ".join(title_words[:title_length]).capitalize()
    words = " ".join(drawn[title_length:]).split()
    del words[filler_length:]

    # Sentences of 8-20 words (the last may be shorter): capitalise the first word, put a
    # full stop after the last.
    low, high = SENTENCE_WORDS
    spread = high - low + 1
    starts: list[int] = []
    position = 0
    for byte in rng.randbytes(filler_length // low + 1):
        if position >= filler_length:
            break
        starts.append(position)
        words[position] = words[position].capitalize()
        position += low + byte % spread
        if position > filler_length:
            position = filler_length
        words[position - 1] += "."
    units = [" ".join(words[a:b]) for a, b in zip(starts, [*starts[1:], filler_length],
                                                    strict=True)]
    # The sentences naming people and countries: the first leads, the others go anywhere.
    units.insert(0, named[0])
    for sentence in named[1:]:
        units.insert(rng.randint(1, len(units)), sentence)
    paragraph_count = min(rng.randint(*PARAGRAPHS), len(units))
    cuts = sorted(rng.sample(range(1, len(units)), paragraph_count - 1))
    body = "\n\n".join(
        " ".join(units[a:b]) for a, b in zip([0, *cuts], [*cuts, len(units)], strict=True))

    source_id = SOURCES[ministry]
    url = f"https://bench.example/{source_id}/{number}"
    return Communique(
        id=communique_id(url),
        url=url,
        source_id=source_id,
        ministry_country=MINISTRIES[ministry],
        language=language,
        title=title,
        published=published,
        body=body,
        doc_type=doc_type,
        fetched_at=FETCHED_AT,
        officials=tuple(officials),
        countries=tuple(countries),
        speaker=officials[0] if doc_type in ("speech", "interview") else None,
    )


def generate(count: int, seed: int = DEFAULT_SEED, start: int = 0) -> Iterator[Communique]:
    """Records number `start` .. `start + count - 1` of the corpus of `seed`."""
    if count < 0 or start < 0 or start + count > MAX_RECORDS:
        raise ValueError(f"records run from 0 to {MAX_RECORDS - 1}")
    for number in range(start, start + count):
        yield record(number, seed)


# -- the query mix ---------------------------------------------------------------------------

QUERY_KINDS: tuple[str, ...] = (
    "common", "rare", "two_words", "phrase", "official", "country", "date_range", "facets",
    "sort_newest",
)
RARE_TARGET = 0.001  # fraction of records a rare word occurs in
DATE_RANGES: tuple[tuple[date, date], ...] = (
    (date(2018, 7, 1), date(2018, 7, 31)),
    (date(2009, 3, 1), date(2009, 3, 31)),
    (date(2023, 11, 1), date(2023, 11, 30)),
)
FACET_SELECTION: dict[str, tuple[str, ...]] = {
    "language": ("en", "ru"),
    "type": ("statement", "news"),
}


def common_words() -> list[str]:
    """Diplomatic words, most frequent first, that every script folds back to and that
    the sentences naming people and countries do not use."""
    return [w for w in DIPLOMATIC_WORDS if query_safe(w) and w not in TEMPLATE_WORDS]


def rare_words() -> list[str]:
    """Tail words ordered by how close their expected record fraction is to 0.1%."""
    return sorted(TAIL_WORDS, key=lambda w: (abs(expected_document_fraction(w) - RARE_TARGET),
                                             RANK[w]))


def _spec(kind: str, q: str, *, filters: dict[str, tuple[str, ...]] | None = None,
          date_from: date | None = None, date_to: date | None = None,
          sort: str = "relevance") -> dict:
    return {"kind": kind, "q": q, "filters": dict(filters or {}), "date_from": date_from,
            "date_to": date_to, "sort": sort}


def query_mix(per_kind: int = 3) -> list[dict]:
    """The benchmark's queries: `per_kind` of each kind in QUERY_KINDS, round-robin.

    Each is a dict with "kind" and the SearchRequest fields q, filters, date_from, date_to
    and sort (see `search_request_kwargs`). Values come from the tables, in rank order:
    common = the most frequent diplomatic words (60-75% of records); rare = tail words
    expected in 0.1% of records; two_words = a frequent word AND one five ranks below it;
    phrase = the most frequent collocations; official / country = the most often named
    people and countries; date_range, facets and sort_newest = a common word with a month,
    with language en|ru and type statement|news selected, or sorted newest first.
    """
    if not 1 <= per_kind <= 3:
        raise ValueError("per_kind runs from 1 to 3")
    common = common_words()
    rare = rare_words()
    phrases = [c for c in COLLOCATIONS if query_safe(c)]
    by_kind: dict[str, list[dict]] = {kind: [] for kind in QUERY_KINDS}
    for i in range(per_kind):
        by_kind["common"].append(_spec("common", common[i]))
        by_kind["rare"].append(_spec("rare", rare[i]))
        by_kind["two_words"].append(_spec("two_words", f"{common[3 + i]} {common[8 + i]}"))
        by_kind["phrase"].append(_spec("phrase", f'"{phrases[i]}"'))
        by_kind["official"].append(_spec("official", f'official:"{PEOPLE[i]}"'))
        by_kind["country"].append(_spec("country", f'country:"{COUNTRIES[i][1]}"'))
        first, last = DATE_RANGES[i]
        by_kind["date_range"].append(
            _spec("date_range", common[i], date_from=first, date_to=last))
        by_kind["facets"].append(_spec("facets", common[i], filters=FACET_SELECTION))
        by_kind["sort_newest"].append(_spec("sort_newest", common[i], sort="newest"))
    return [by_kind[kind][i] for i in range(per_kind) for kind in QUERY_KINDS]


def search_request_kwargs(spec: dict) -> dict:
    """A QUERY_MIX entry as keyword arguments of indexer.search.SearchRequest."""
    return {key: value for key, value in spec.items() if key != "kind"}


QUERY_MIX: list[dict] = query_mix()


# -- the cold mix: searches that are each sent once ------------------------------------------

COLD_MIX_SIZE = 500
COLD_SEED = 18  # the cold mix's own seed, apart from the corpus's
# Words a cold search draws: the most frequent diplomatic words ("common"), a wider band
# for the second word of two, and the tail (rare words, a few in a thousand records or none).
_COLD_COMMON = 100
_COLD_SECOND = 250
_LANGUAGE_CODES = tuple(code.lower() for code, _ in LANGUAGES)
# A doc type as the type facet selects it ("press release" -> "press-release").
_TYPE_TERMS = tuple(name.replace(" ", "-") for name, _ in DOC_TYPES)


def _cold_range(rng: random.Random) -> tuple[date, date]:
    """A day, a month, a year or a span of years, within the corpus's dates."""
    shape = rng.randrange(4)
    if shape == 3:
        first_year = rng.randint(FIRST_DAY.year, LAST_DAY.year - 1)
        return date(first_year, 1, 1), date(rng.randint(first_year + 1, LAST_DAY.year), 12, 31)
    day = date.fromordinal(rng.randint(_FIRST_ORDINAL, _LAST_ORDINAL))
    if shape == 0:
        return day, day
    if shape == 1:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return day.replace(day=1), date.fromordinal(following.toordinal() - 1)
    return date(day.year, 1, 1), date(day.year, 12, 31)


def _cold_spec(kind: str, rng: random.Random, common: list[str], phrases: list[str]) -> dict:
    word = common[rng.randrange(_COLD_COMMON)]
    if kind == "common":
        return _spec(kind, word)
    if kind == "rare":
        return _spec(kind, TAIL_WORDS[rng.randrange(len(TAIL_WORDS))])
    if kind == "two_words":
        return _spec(kind, f"{word} {common[rng.randrange(_COLD_SECOND)]}")
    if kind == "phrase":
        phrase = f'"{phrases[rng.randrange(len(phrases))]}"'
        # Only about 30 collocations exist: most phrase searches also name a word.
        return _spec(kind, phrase if rng.random() < 0.3 else f"{phrase} {word}")
    if kind == "official":
        return _spec(kind, f'official:"{PEOPLE[_pick(rng, _PEOPLE_CUM)]}"')
    if kind == "country":
        return _spec(kind, f'country:"{COUNTRIES[_pick(rng, _COUNTRY_CUM)][1]}"')
    if kind == "date_range":
        first, last = _cold_range(rng)
        return _spec(kind, word, date_from=first, date_to=last)
    if kind == "facets":
        languages = tuple(sorted(rng.sample(_LANGUAGE_CODES, rng.randint(1, 2))))
        types = tuple(sorted(rng.sample(_TYPE_TERMS, rng.randint(1, 3))))
        return _spec(kind, word, filters={"language": languages, "type": types})
    if kind == "sort_newest":
        return _spec(kind, word if rng.random() < 0.5 else
                     f'official:"{PEOPLE[_pick(rng, _PEOPLE_CUM)]}"', sort="newest")
    raise ValueError(f"unknown query kind {kind!r}")


def spec_key(spec: dict) -> tuple:
    """What makes two searches of a mix the same search (the result cache's view)."""
    filters = tuple(sorted((name, tuple(sorted(values)))
                           for name, values in (spec.get("filters") or {}).items() if values))
    return (spec.get("q", ""), spec.get("sort", "relevance"), spec.get("date_from"),
            spec.get("date_to"), filters)


def cold_query_mix(count: int = COLD_MIX_SIZE, seed: int = COLD_SEED) -> list[dict]:
    """`count` distinct searches, none of them in QUERY_MIX, for the web stage's cold run.

    The kinds of QUERY_MIX take turns, so the cold mix weighs them as the search stage
    does; each draws from the corpus's own tables: words from the most frequent
    diplomatic words (a second word from a wider band), rare words from the tail, phrases
    from the collocations (most with a word beside them), officials and countries with
    the corpus's own skew, date ranges of a day, a month, a year or several years, facet
    selections of languages and types, and newest-first pages. Each search is sent once,
    so none is answered from a worker's result cache. The same (count, seed) always
    gives the same list, and a longer list starts with the shorter one.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    rng = random.Random(seed)
    common = common_words()
    phrases = [c for c in COLLOCATIONS if query_safe(c)]
    seen = {spec_key(spec) for spec in QUERY_MIX}
    mix: list[dict] = []
    attempts = 0
    while len(mix) < count:
        kind = QUERY_KINDS[len(mix) % len(QUERY_KINDS)]
        spec = _cold_spec(kind, rng, common, phrases)
        key = spec_key(spec)
        attempts += 1
        if attempts > 100 * (count + 10):
            raise ValueError(f"cannot draw {count} distinct searches")
        if key not in seen:
            seen.add(key)
            mix.append(spec)
    return mix
