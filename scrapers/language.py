"""Language and script of a text, when a page does not say.

Script first (it is certain), then a language identifier among the
candidates the source publishes in: Serbian Cyrillic and Russian are told
apart by the letters only one of them has.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_SERBIAN_ONLY = set("ђјљњћџЂЈЉЊЋЏ")
_RUSSIAN_ONLY = set("ыэъйщёЫЭЪЙЩЁ")


def dominant_script(text: str) -> str | None:
    """'Cyrl', 'Latn', 'Hani', 'Arab' ... of most letters, or None without letters."""
    counts: dict[str, int] = {}
    for char in text[:5000]:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        script = (
            "Cyrl" if name.startswith("CYRILLIC") else
            "Latn" if name.startswith("LATIN") else
            "Hani" if name.startswith("CJK") else
            "Arab" if name.startswith("ARABIC") else
            "Grek" if name.startswith("GREEK") else "Other"
        )
        counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda s: counts[s]) if counts else None


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _classify(text: str, languages: list[str] | None) -> str:
    identifier = _identifier()
    identifier.set_languages(languages)
    return identifier.classify(text[:5000])[0]


def detect_language(text: str, candidates: tuple[str, ...] = ()) -> str:
    """A BCP 47 tag for `text`, preferring one of `candidates` (a source's languages)."""
    script = dominant_script(text)
    if script == "Cyrl":
        serbian = sum(c in _SERBIAN_ONLY for c in text)
        russian = sum(c in _RUSSIAN_ONLY for c in text)
        if serbian > russian:
            return "sr-Cyrl"
        cyrillic = [c for c in candidates if c.split("-")[0] in {"ru", "uk", "bg", "mk", "be"}]
        return cyrillic[0] if len(cyrillic) == 1 else _classify(text, ["ru", "uk", "bg", "mk",
                                                                      "be"])
    if script == "Hani":
        return "zh"
    if script == "Arab":
        return "ar"
    latin = [c for c in candidates if dominant_script(_SAMPLE.get(c, "a")) == "Latn"]
    if len(latin) == 1:
        return latin[0]
    bases = {c.split("-")[0] for c in latin}
    if "sr" in bases:  # Serbian Latin reads as Croatian or Bosnian to a classifier
        bases |= {"hr", "bs"}
    found = _classify(text, sorted(bases) or None)
    if found in {"hr", "bs", "sr"} and "sr-Latn" in candidates:
        return "sr-Latn"
    return found


# Scripts of the tags sources declare: "sr-Cyrl" and "ru" are not Latin candidates.
_SAMPLE = {"sr-Cyrl": "я", "ru": "я", "uk": "я", "bg": "я", "mk": "я", "be": "я", "zh": "中",
           "ar": "ع"}
