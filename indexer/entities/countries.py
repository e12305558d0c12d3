"""Countries mentioned: CLDR's names (via babel) in English, Serbian (both scripts) and
Russian, plus the adjectives and long forms in `countries.toml`."""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path

import babel
from babel import Locale

from indexer.entities.kept import load_kept
from indexer.entities.names import key_tokens
from indexer.folding import fold

VARIANTS_FILE = Path(__file__).with_name("countries.toml")
NAME_LOCALES = ("en", "sr", "sr_Latn", "ru")
# CLDR names that are everyday words too (Russian "того" = "of that", Serbian "mali" =
# "small"): never read as countries on their own.
AMBIGUOUS = frozenset({("togo",), ("mali",), ("cad",), ("chad",), ("jersey",), ("guernsey",),
                       ("niue",), ("sv",), ("ostrvo",), ("island",), ("kuba",), ("kosta",),
                       ("komor",)})
# Case endings of Serbian and Russian nouns, by how the nominative ends (Latin endings
# fold the same as Cyrillic ones): a consonant, a soft sign, -ия/-ија, -а, -и.
_CASE_ENDINGS = ("a", "u", "om", "e", "ama", "ima", "ovima", "y", "i")
_VOWELS = frozenset("aeiouyаеиоуыэюяіє")


def _case_forms(name: str) -> list[str]:
    """Inflected forms of a one-word country name: "Вијетнам" -> "Вијетнама", ...;
    "Франция" -> "Францией"; "Израиль" -> "Израиля"; "Бурунди" -> "Бурундија"."""
    last = name[-1:].lower()
    if last == "ь":
        return [name[:-1] + ending for ending in ("я", "ю", "ем", "е")]
    if name.lower().endswith(("ия", "ија")):
        stem = name[:-1]
        return [stem + ending for ending in ("и", "ю", "ей", "е", "у", "ом")]
    if last in ("а", "a"):
        stem = name[:-1]
        return [stem + ending for ending in ("ы", "и", "е", "у", "ой", "ей", "ом")]
    if last in ("и", "i"):
        return [name + ending for ending in ("ја", "ју", "јем", "ja", "ju", "jem")]
    if last in _VOWELS:
        return []
    return [name + ending for ending in _CASE_ENDINGS]
# Letters an adjective or an inflected name may end in ("rossijskaja" -> "rossijsk").
_SOFT_END = "aeiouyj"


def _prefix_stem(token: str) -> str:
    stem = token
    for _ in range(3):
        if len(stem) > 5 and stem[-1] in _SOFT_END:
            stem = stem[:-1]
    return stem


def _cldr_forms(name: str) -> list[str]:
    """A CLDR name as texts write it: "Trinidad & Tobago" is "Trinidad and Tobago", "St.
    Kitts & Nevis" "Saint Kitts and Nevis"; "Obala Slonovače (Kot d’Ivoar)" either part."""
    forms: list[str] = []
    if name.endswith(")") and " (" in name:
        before, inside = name[:-1].split(" (", 1)
        forms += [before, inside]
    forms += [f.replace(" & ", " and ") for f in [name, *forms] if " & " in f]
    forms += ["Saint " + f[4:] for f in [name, *forms] if f.startswith("St. ")]
    return forms


class Gazetteer:
    """Country keys -> English short name."""

    def __init__(self) -> None:
        english = Locale.parse("en").territories
        self.names: dict[str, str] = {}  # code -> English short name
        self.by_key: dict[tuple[str, ...], str] = {}
        self.by_prefix: dict[str, str] = {}
        # One-word names as written (folded, not stemmed): "Ghana" is, "Ghani" is not.
        self.written: set[str] = set()
        variants = tomllib.loads(VARIANTS_FILE.read_text(encoding="utf-8")).get("country", []) \
            if VARIANTS_FILE.exists() else []
        preferred = {v["code"]: v["name"] for v in variants}
        for code, name in english.items():
            if len(code) == 2 and code.isalpha() and code not in ("ZZ", "QO", "EU", "EZ", "UN"):
                self.names[code] = preferred.get(code, name)
        for code, name in preferred.items():
            self.names.setdefault(code, name)
        # Abbreviations that are words in lower case ("US", "SAD", "KiM"): matched as written.
        self.abbreviations: dict[str, str] = {}
        # Other forms of CLDR's names come last: a spelling some country's own name or
        # variant has stays theirs ("Внешние малые острова (США)" gives no "США").
        other_forms: list[tuple[str, str]] = []
        for locale in NAME_LOCALES:
            territories = Locale.parse(locale).territories
            for code in self.names:
                if territories.get(code):
                    self._add(territories[code], code, from_cldr=True)
                    other_forms += [(form, code) for form in _cldr_forms(territories[code])]
        for entry in variants:
            self._add(entry["name"], entry["code"])
            for variant in entry.get("variants", []):
                self._add(variant, entry["code"], prefixes=True)
            for abbreviation in entry.get("abbreviations", []):
                self.abbreviations.setdefault(abbreviation, entry["code"])
        for form, code in other_forms:
            if key_tokens(form) not in self.by_key and form not in self.abbreviations:
                self._add(form, code, from_cldr=True)
        self.max_words = max((len(k) for k in self.by_key), default=1)

    def _add(self, text: str, code: str, from_cldr: bool = False, prefixes: bool = False) -> None:
        key = key_tokens(text)
        if not key or (from_cldr and key in AMBIGUOUS):
            return
        self.by_key.setdefault(key, code)
        if len(key) == 1:
            self.written.add(fold(text).lower())
            self.by_key.setdefault((key[0].rstrip("j"),), code)  # Россия/России: rossij, rossi
            # Case forms may lose more letters than the nominative, or gain some
            # ("Вијетнама", "Kazahstanom", "Францией", "Израиля", "Бурундија").
            for inflected in map(key_tokens, _case_forms(text)):
                if len(inflected) == 1 and len(inflected[0]) >= 4:
                    self.by_key.setdefault(inflected, code)
            # Only curated variants (adjectives) match by prefix: CLDR names would make
            # "Roman" Romania and "slovenski" (Slavic) Slovenia.
            stem = _prefix_stem(key[0])
            if prefixes and len(stem) >= 5:
                self.by_prefix.setdefault(stem, code)

    def match_single(self, token: str) -> str | None:
        """A country for one word: its name, an inflection, or an adjective form."""
        code = self.by_key.get((token,))
        if code:
            return code
        for length in range(len(token), 4, -1):
            code = self.by_prefix.get(token[:length])
            if code and len(token) - length <= 3:
                return code
        return None


_built: list[Gazetteer] = []  # the process's one gazetteer, once built or read
_building = threading.Lock()
# The code a kept gazetteer comes from (with the variants file and babel's CLDR data).
_KEPT_PREFIX = "gazetteer-"
_KEPT_CODE = (Path(__file__), Path(__file__).with_name("names.py"),
              Path(__file__).parent.parent / "folding.py")


def gazetteer(data_dir: Path | str | None = None) -> Gazetteer:
    """The process's gazetteer, built once. The first call with a data directory that
    keeps tables (indexer.entities.kept) reads it from there when it was kept for the
    same variants file, babel and code, and keeps it there otherwise: 0.2 s less for
    every index run (its writers start after it) and every web worker."""
    if not _built:
        with _building:
            if not _built:
                _built.append(kept_gazetteer(data_dir))
    return _built[0]


def kept_gazetteer(data_dir: Path | str | None) -> Gazetteer:
    """A gazetteer read from the data directory's kept tables, else built (and kept)."""
    contents = [VARIANTS_FILE.read_bytes() if VARIANTS_FILE.exists() else b"",
                f"babel {babel.__version__}".encode()]
    return load_kept(Path(data_dir) if data_dir is not None else None, _KEPT_PREFIX,
                     _KEPT_CODE, contents, Gazetteer, Gazetteer)
