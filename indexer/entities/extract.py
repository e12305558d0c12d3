"""Officials and countries a communiqué mentions, found at indexing time.

Officials: every spelling the registry knows, in any script and grammatical case;
plus unknown people introduced by a title ("Ambassador Branimir Filipovic",
"državni sekretar Nemanja Stevanović", "заместитель министра иностранных дел ..."),
kept as candidates for the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.entities.countries import Gazetteer, gazetteer
from indexer.entities.names import HONORIFICS, key_tokens, name_key
from indexer.entities.registry import OfficialsRegistry
from scrapers.record import Communique

_UPPER = r"[A-ZČĆĐŠŽÐА-ЯЂЈЉЊЋЏЁ]"
_LOWER = r"[a-zčćđšžа-яђјљњћџёé'’\-]"
_NAME_WORD = rf"(?:{_UPPER}\.\s?)*{_UPPER}{_LOWER}+"
_NAME = rf"(?P<name>{_NAME_WORD}(?:\s{_NAME_WORD}){{1,2}})"
# Titles that introduce a person, by language (matched case-insensitively).
TITLES = {
    "en": [
        r"(?:Deputy |Acting |First Deputy |Assistant )?(?:Foreign )?Minister"
        r"(?: of Foreign Affairs)?(?: of [A-Z][\w ]+?)?",
        r"Ambassador(?: of [A-Z][\w ]+?)?", r"State Secretary", r"Secretary of State",
        r"(?:Deputy )?Spokes(?:person|woman|man)", r"Director(?: of [A-Z][\w ]+?)?",
        r"(?:Deputy )?Prime Minister", r"President", r"Chargé d'Affaires", r"Envoy",
        r"Under Secretary", r"Permanent Representative(?: of [A-Z][\w ]+?)?",
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
        r"(?:заместител[ья]м?|замминистра) министра иностранных дел(?: России| РФ)?",
        r"министр(?:а|ом|у)? иностранных дел(?: России| РФ)?", r"посл(?:ом|а|у)|посол",
        r"официальн(?:ый|ого|ым) представител(?:ь|я|ем)(?: МИД России)?",
        r"директор(?:а|ом)? (?:[А-Яа-я]+ )?департамента(?: [А-Яа-я]+){0,3}",
        r"президент(?:а|ом|у)?", r"премьер-министр(?:а|ом|у)?",
    ],
}


@lru_cache(maxsize=8)
def _title_patterns(language: str) -> re.Pattern[str]:
    base = language.split("-")[0]
    titles = TITLES.get(base, TITLES["en"])
    return re.compile(rf"\b(?:{'|'.join(titles)})\s+{_NAME}", re.IGNORECASE | re.UNICODE)


# Words with a capital after the first letter, or all capitals: abbreviations (US, KiM).
_ABBREVIATION = re.compile(r"\b\w[\w]*[A-ZА-ЯЈЉЊЋЏЂ][\w]*\b|\b[A-ZА-Я]{2,}\b")


@dataclass(frozen=True)
class Entities:
    officials: tuple[str, ...]  # canonical names, in order of first mention
    countries: tuple[str, ...]  # English short names, in order of first mention
    candidates: tuple[str, ...]  # people introduced by a title whom the registry lacks


class EntityExtractor:
    def __init__(self, registry: OfficialsRegistry, places: Gazetteer) -> None:
        self.registry = registry
        self.places = places

    def officials_in(self, text: str) -> list[str]:
        tokens = key_tokens(text)
        found: list[str] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self.registry.max_words, len(tokens) - i), 0, -1):
                official_id = self.registry.by_key.get(tokens[i:i + size])
                if official_id:
                    name = self.registry.by_id[official_id].name
                    if name not in found:
                        found.append(name)
                    i += size
                    break
            else:
                i += 1
        return found

    def countries_in(self, text: str) -> list[str]:
        tokens = key_tokens(text)
        found: list[str] = []
        for word in _ABBREVIATION.findall(text):
            code = self.places.abbreviations.get(word)
            name = self.places.names.get(code, code) if code else None
            if name and name not in found:
                found.append(name)
        i = 0
        while i < len(tokens):
            code = None
            size = 1
            for size in range(min(self.places.max_words, len(tokens) - i), 1, -1):
                code = self.places.by_key.get(tokens[i:i + size])
                if code:
                    break
            if not code:
                size = 1
                code = self.places.match_single(tokens[i])
            if code:
                name = self.places.names.get(code, code)
                if name not in found:
                    found.append(name)
            i += size
        return found

    def candidates_in(self, text: str, language: str) -> list[str]:
        """Names after a title that the registry does not know."""
        found: list[str] = []
        for match in _title_patterns(language).finditer(text):
            name = " ".join(match.group("name").split())
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
        officials = self.officials_in(text)
        # Names a site tags itself (GOV.UK) count too, in the registry's spelling.
        for tagged in record.officials:
            known = self.registry.lookup(tagged)
            name = known.name if known else tagged
            if name not in officials:
                officials.append(name)
        countries = self.countries_in(text)
        for tagged in record.countries:
            if tagged not in countries:
                countries.append(tagged)
        return Entities(tuple(officials), tuple(countries),
                        tuple(self.candidates_in(text, record.language)))


@lru_cache(maxsize=4)
def extractor_for(data_dir: str | None = None) -> EntityExtractor:
    """The extractor with the seed registry and the data directory's promotions."""
    return EntityExtractor(OfficialsRegistry.load(Path(data_dir) if data_dir else None),
                           gazetteer())
