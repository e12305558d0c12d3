"""Officials and countries a communiqué mentions, found at indexing time.

Officials: every spelling the registry knows, in any script and grammatical case;
plus unknown people introduced by a title ("Ambassador Branimir Filipovic",
"državni sekretar Nemanja Stevanović", "заместитель министра иностранных дел ..."),
kept as candidates for the registry.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.entities.countries import VARIANTS_FILE, Gazetteer, gazetteer
from indexer.entities.names import HONORIFICS, key_tokens, name_key, without_honorifics
from indexer.entities.registry import OfficialsRegistry, registry_files
from scrapers.record import Communique

_UPPER = "A-ZČĆĐŠŽÐÁÉÍÓÚÖÜА-ЯЂЈЉЊЋЏЁ"
# After a title: words until the sentence goes on in lower case ("... Ivica Dacic said").
_RUN = rf"(?P<run>(?:[ \t]+(?:of|the|and|for|on|za|i|и|по|при|[{_UPPER}][^\s,;:()]*))+)"
# Words that continue a title rather than start a name.
_NOT_NAMES = frozenset("""
federation republic kingdom ministry minister affairs foreign office department government
embassy states nations union council secretary president deputy general ambassador director
spokesperson state prime first assistant acting permanent representative people federal
national security european united special envoy mission delegation commission chairman
head his her excellency mr mrs ms dr the of and for on za i и по при
""".split())
# Folded beginnings of institution words in Serbian and Russian ("Федерации", "Republike").
_NOT_NAME_STEMS = ("federa", "republi", "respubl", "kraljev", "korolev", "minist", "vlad",
                   "pravitel", "ambasad", "posol", "posolst", "sekretar", "predsed", "prezident",
                   "departa", "kancelar", "upravl", "ujedinjen", "objedin", "narod", "savez",
                   "sojuz")


def _not_a_name(word: str) -> bool:
    key = key_tokens(word)
    return not key or word.lower() in _NOT_NAMES or key[0].startswith(_NOT_NAME_STEMS)


# Titles that introduce a person, by language (matched case-insensitively).
TITLES = {
    "en": [
        r"(?:Deputy |Acting |First Deputy |Assistant )?(?:Foreign )?Minister",
        r"Ambassador", r"State Secretary", r"Secretary of State",
        r"(?:Deputy )?Spokes(?:person|woman|man)", r"Director", r"(?:Deputy )?Prime Minister",
        r"President", r"Chargé d'Affaires", r"Envoy", r"Under Secretary",
        r"Permanent Representative",
    ],
    "sr": [
        r"ambasador(?:om|a|u)?", r"državn(?:i|og|im) sekretar(?:a|om|u)?",
        r"ministar(?:ka)?(?: spoljnih poslova)?", r"ministr(?:a|u|om)(?: spoljnih poslova)?",
        r"pomoćni(?:k|ca|ka|kom) ministra", r"predsedni(?:k|ka|kom|ku)", r"premijer(?:a|om|u)?",
        r"амбасадор(?:ом|а|у)?", r"државн(?:и|ог|им) секретар(?:а|ом|у)?",
        r"министар(?:ка)?(?: спољних послова)?", r"министр(?:а|у|ом)(?: спољних послова)?",
        r"помоћни(?:к|ца|ка|ком) министра", r"председни(?:к|ка|ком|ку)",
        r"премијер(?:а|ом|у)?",
    ],
    "ru": [
        r"(?:заместител[ья]м?|замминистра) министра иностранных дел",
        r"министр(?:а|ом|у)? иностранных дел", r"посл(?:ом|а|у)|посол",
        r"официальн(?:ый|ого|ым) представител(?:ь|я|ем)",
        r"директор(?:а|ом)? (?:[а-я]+ )?департамента(?: [а-я]+){0,3}",
        r"президент(?:а|ом|у)?", r"премьер-министр(?:а|ом|у)?",
    ],
}


@lru_cache(maxsize=8)
def _title_patterns(language: str) -> re.Pattern[str]:
    # The page's language first; the others too, since communiqués quote each other.
    base = language.split("-")[0]
    titles = TITLES.get(base, []) + [t for lang, ts in TITLES.items() if lang != base for t in ts]
    # The title in any case; the words after it as written (names are capitalised).
    return re.compile(rf"(?<!\w)(?i:{'|'.join(titles)}){_RUN}", re.UNICODE)


def name_after_title(run: str, places: Gazetteer) -> str | None:
    """The person's name at the end of what follows a title, if it looks like one.

    "of the Russian Federation Alexander Botsan-Kharchenko" -> "Alexander Botsan-Kharchenko".
    """
    words = [w.strip(".,;:'’\"") for w in run.split()]
    name: list[str] = []
    for word in reversed(words):
        if not word or not word[0].isupper() or _not_a_name(word):
            break
        if places.match_single(key_tokens(word)[0] if key_tokens(word) else "") and name:
            break  # "Serbia Ivica Dacic": the country ends the title
        name.insert(0, word)
    while name and (_not_a_name(name[0]) or places.match_single(
            (key_tokens(name[0]) or ("",))[0])):
        name.pop(0)
    if not 2 <= len(name) <= 4:
        return None
    return " ".join(name)


# Words with a capital after the first letter, or all capitals: abbreviations (US, KiM).
_ABBREVIATION = re.compile(r"\b\w[\w]*[A-ZА-ЯЈЉЊЋЏЂ][\w]*\b|\b[A-ZА-Я]{2,}\b")


# Words known not to name a place, kept between communiqués (a cache, bounded).
OTHER_WORDS_KEPT = 500_000


@dataclass(frozen=True)
class Entities:
    officials: tuple[str, ...]  # canonical names, in order of first mention
    countries: tuple[str, ...]  # English short names, in order of first mention
    candidates: tuple[str, ...]  # people introduced by a title whom the registry lacks


class EntityExtractor:
    def __init__(self, registry: OfficialsRegistry, places: Gazetteer) -> None:
        self.registry = registry
        self.places = places
        # Most words start no name: a set lookup rules them out before any slicing.
        self._official_starts = frozenset(key[0] for key in registry.by_key)
        self._place_starts = frozenset(key[0] for key in places.by_key if len(key) > 1)
        # Words repeat (a Zipf law): each distinct word is matched against the
        # gazetteer's prefixes once, and sorted into one of two sets that later
        # communiqués test in C (set operations) instead of word by word.
        self._single_places = lru_cache(maxsize=262_144)(places.match_single)
        self._place_words: set[str] = set(self._place_starts)
        self._other_words: set[str] = set()

    def officials_in(self, text: str, tokens: tuple[str, ...] | None = None) -> list[str]:
        tokens = key_tokens(text) if tokens is None else tokens
        found: list[str] = []
        starts = self._official_starts
        after = 0  # words before this were part of a name already found
        # Only the words a name can start with are looked at (a set test per word).
        for i in [i for i, token in enumerate(tokens) if token in starts]:
            if i < after:
                continue
            for size in range(min(self.registry.max_words, len(tokens) - i), 0, -1):
                official_id = self.registry.by_key.get(tokens[i:i + size])
                if official_id:
                    name = self.registry.by_id[official_id].name
                    if name not in found:
                        found.append(name)
                    after = i + size
                    break
        return found

    def countries_in(self, text: str, tokens: tuple[str, ...] | None = None) -> list[str]:
        tokens = key_tokens(text) if tokens is None else tokens
        found: list[str] = []
        for word in _ABBREVIATION.findall(text):
            code = self.places.abbreviations.get(word)
            name = self.places.names.get(code, code) if code else None
            if name and name not in found:
                found.append(name)
        starts = self._place_starts
        match_single = self._single_places
        # The distinct words that can start a place name or are one.
        distinct = set(tokens)
        for token in distinct - self._place_words - self._other_words:
            (self._place_words if match_single(token) else self._other_words).add(token)
        if len(self._other_words) > OTHER_WORDS_KEPT:
            self._other_words.clear()  # a vocabulary this large is mostly rare words
        places = distinct & self._place_words
        after = 0  # words before this were part of a place already found
        for i in [i for i, token in enumerate(tokens) if token in places]:
            if i < after:
                continue
            code = None
            size = 1
            if tokens[i] in starts:
                for size in range(min(self.places.max_words, len(tokens) - i), 1, -1):
                    code = self.places.by_key.get(tokens[i:i + size])
                    if code:
                        break
            if not code:
                size = 1
                code = match_single(tokens[i])
            if code:
                name = self.places.names.get(code, code)
                if name not in found:
                    found.append(name)
            after = i + size
        return found

    def candidates_in(self, text: str, language: str) -> list[str]:
        """Names after a title that the registry does not know."""
        found: list[str] = []
        for match in _title_patterns(language).finditer(text):
            name = name_after_title(match.group("run"), self.places)
            if name is None:
                continue
            key = name_key(name)
            if not key or key[0] in HONORIFICS or key in self.registry.by_key:
                continue
            if any(self.registry.by_key.get(key[i:i + 2]) for i in range(len(key) - 1)):
                continue  # a known person with a middle name or an extra word
            if name not in found:
                found.append(name)
        return found

    def extract(self, record: Communique) -> Entities:
        text = record.title + "\n" + record.body
        tokens = key_tokens(text)  # folded once, read twice
        officials = self.officials_in(text, tokens)
        # Names a site tags itself (GOV.UK) count too, in the registry's spelling.
        for tagged in record.officials:
            known = self.registry.lookup(tagged)
            name = known.name if known else without_honorifics(tagged)
            if name not in officials:
                officials.append(name)
        countries = self.countries_in(text, tokens)
        for tagged in record.countries:
            if tagged not in countries:
                countries.append(tagged)
        # Candidates come from the body only: titles are in headline case ("Vucic Before
        # Their Meeting") and would read as names.
        return Entities(tuple(officials), tuple(countries),
                        tuple(self.candidates_in(record.body, record.language)))


# Bumped whenever a change to this module changes what is extracted: stored entities
# made by an older extraction are then recomputed by the next `communiques index`.
EXTRACTION_VERSION = 2


def extraction_fingerprint(data_dir: str | None = None) -> str:
    """What the stored entities depend on: this code's version and the contents of
    every registry and gazetteer file. A changed fingerprint means recompute them."""
    digest = hashlib.sha256(f"extraction {EXTRACTION_VERSION}".encode())
    for path in [*registry_files(data_dir), VARIANTS_FILE]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def extractor_for(data_dir: str | None = None) -> EntityExtractor:
    """The extractor with the seed registry and the data directory's promotions;
    a registry file changed since (a promotion) gives a fresh one."""
    files = registry_files(data_dir)
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _extractor(data_dir, stamp)


@lru_cache(maxsize=4)
def _extractor(data_dir: str | None, _stamp: tuple) -> EntityExtractor:
    return EntityExtractor(OfficialsRegistry.load(Path(data_dir) if data_dir else None),
                           gazetteer())
