"""The unseen evaluation set: communiqués naming officials the registry lacks, and the
`entities-quality` report that scores extraction on it beside the fixtures."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import GOLDEN, UNSEEN, run_cli
from test_entities import quality_tables

from indexer.entities import extractor_for
from indexer.entities.countries import gazetteer
from indexer.entities.extract import EntityExtractor
from indexer.entities.quality import evaluate, person_key, surname_stem
from indexer.entities.registry import Official, OfficialsRegistry
from indexer.folding import WORD, fold
from webapp import create_app

LANGUAGES = ("en", "ru", "sr-Latn", "sr-Cyrl")
MINISTRY_HOSTS = {"www.mfa.gov.rs", "www.mid.ru", "mid.ru", "www.state.gov", "www.gov.uk",
                  "www.fmprc.gov.cn"}


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    return json.loads(UNSEEN.read_text(encoding="utf-8"))


def surname_skeleton(name: str) -> str:
    """The consonants of a surname, so that one person in two scripts or transliterations
    counts once (Bayramov/Байрамов, Schmid/Шмид, Ziadeh/Zijade/Зиаде). Different people
    may share one (Hill, Хиль): counting skeletons gives a lower bound."""
    surname = fold(WORD.findall(name)[-1])
    for written, sound in (("sch", "s"), ("sh", "s"), ("zh", "z"), ("kh", "h"), ("ch", "c"),
                           ("ts", "c"), ("w", "v"), ("ph", "f"), ("x", "ks")):
        surname = surname.replace(written, sound)
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouyjh]", "", surname))


def test_the_set_has_the_shape_of_the_golden_files(entries: list[dict]) -> None:
    assert len(entries) >= 36
    per_language = Counter(entry["language"] for entry in entries)
    assert all(per_language[language] >= 9 for language in LANGUAGES), per_language
    golden_urls = {e["url"] for path in GOLDEN.glob("*.json")
                   for e in json.loads(path.read_text(encoding="utf-8"))}
    urls = [entry["url"] for entry in entries]
    assert len(set(urls)) == len(urls) and not set(urls) & golden_urls
    country_names = set(gazetteer().names.values())
    for entry in entries:
        assert {"url", "title", "published", "language", "doc_type", "body", "officials",
                "countries"} <= set(entry), entry["url"]
        parts = urlsplit(entry["url"])
        assert parts.scheme == "https" and parts.hostname in MINISTRY_HOSTS, entry["url"]
        date.fromisoformat(entry["published"])
        # Several paragraphs of 120-400 words, as communiqués are.
        assert entry["body"].count("\n\n") >= 2, entry["url"]
        assert 120 <= len(WORD.findall(entry["body"])) <= 400, entry["url"]
        # Countries by the gazetteer's English short names, as the golden files give them.
        assert set(entry["countries"]) <= country_names, entry["countries"]
        assert len(set(entry["officials"])) == len(entry["officials"]), entry["officials"]


def test_at_least_45_officials_the_registry_does_not_know(entries: list[dict]) -> None:
    # The registry as loaded now: when a seed file learns one of these people, this fails
    # and the set needs a new unseen official in their place.
    registry = OfficialsRegistry.load()
    absent = {name for entry in entries for name in entry["officials"]
              if registry.lookup(name) is None}
    assert len({surname_skeleton(name) for name in absent}) >= 45, sorted(absent)
    # Every language names people the registry lacks, not only English.
    for language in LANGUAGES:
        names = {n for e in entries if e["language"] == language for n in e["officials"]}
        assert len(names & absent) >= 8, language


def test_every_golden_name_is_in_its_communique(entries: list[dict]) -> None:
    """A golden name is in the nominative; the text may inflect it (Jurajem Blanarom),
    so the surname's stem must be among the stems of the communiqué's words."""
    for entry in entries:
        stems = {surname_stem(word) for word in WORD.findall(entry["title"] + " " + entry["body"])}
        for name in entry["officials"]:
            assert surname_stem(WORD.findall(name)[-1]) in stems, (name, entry["url"])


def test_person_key_meets_scripts_cases_initials_and_honorifics() -> None:
    same = [("Juraj Blanár", "Јурај Бланар", "Јурајем Бланаром", "Ю.Бланар", "Юраем Бланаром"),
            ("Kristofer Hil", "Kristofera Hila", "Kristoferom Hilom"),
            ("Мирьяна Сполярич-Эггер", "М.Сполярич-Эггер"),
            ("Чжан Ханьхуэй", "Чжан Ханьхуэя", "Чжан Ханьхуэем"),
            ("Tedros Adhanom Ghebreyesus", "Dr Tedros Adhanom Ghebreyesus"),
            ("Andrew Mitchell", "The Rt Hon Andrew Mitchell MP"),
            ("Jan Lipavský", "Jana Lipavskog", "Janom Lipavským")]
    for spellings in same:
        assert len({person_key(s) for s in spellings}) == 1, spellings
    # Another person, or another given name, is not the same key.
    assert person_key("Juraj Blanár") != person_key("Ivan Blanár")
    assert person_key("Helga Schmid") != person_key("Helga Schmidt-Bauer")


def test_evaluation_matches_people_across_scripts(tmp_path: Path) -> None:
    """The extractor reports the registry's name, the golden file the text's own: they
    meet. A golden person the text does not name is a miss, a person found but not in
    the golden file an extra, each reported by name."""
    source = tmp_path / "communiques.json"
    source.write_text(json.dumps([{
        "url": "https://www.mfa.gov.rs/mediji/vesti/test", "title": "Ђурић и Бланар",
        "published": "2025-03-06", "language": "sr-Cyrl", "doc_type": "news",
        "body": "Министар Ђурић разговарао је са министром Словачке Јурајем Бланаром.",
        "officials": ["Јурај Бланар", "Хелга Шмид"], "countries": ["Slovakia", "Serbia"],
    }]), encoding="utf-8")
    registry = OfficialsRegistry([
        Official("juraj-blanar", "Juraj Blanár", aliases=("Јурај Бланар",)),
        Official("marko-djuric", "Marko Đurić", aliases=("Ђурић",))])
    scores = evaluate(source, EntityExtractor(registry, gazetteer()))
    officials = scores.officials["sr-Cyrl"]
    assert (officials.true_positives, officials.false_negatives,
            officials.false_positives) == (1, 1, 1)
    assert officials.misses[0].startswith("Хелга Шмид (") and "Ђурић и Бланар" in \
        officials.misses[0]
    assert officials.extras[0].startswith("Marko Đurić (")
    assert scores.communiques == 1
    countries = scores.countries["sr-Cyrl"]
    assert countries.true_positives == 1 and countries.misses[0].startswith("Serbia (")


def test_quality_command_reports_both_sets(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    output = run_cli(app, "entities-quality").output
    tables = quality_tables(output)
    assert {"fixtures", "unseen"} <= set(tables)  # events' table follows them
    for table in (tables["fixtures"], tables["unseen"]):
        assert set(LANGUAGES) | {"all"} <= set(table)
        assert all(0.0 <= value <= 1.0 for row in table.values() for value in row)
    # The unseen table is the evaluation of the unseen file, nothing else.
    scores = evaluate(UNSEEN, extractor_for(str(tmp_path)))
    o, c = scores.total("officials"), scores.total("countries")
    assert tables["unseen"]["all"] == pytest.approx(
        [o.precision, o.recall, c.precision, c.recall], abs=5e-4)
    assert f"unseen: {scores.communiques} communiqués" in output

    only_unseen = run_cli(app, "entities-quality", "--set", "unseen", "--verbose").output
    assert set(quality_tables(only_unseen)) == {"unseen"}
    # --verbose lists every miss and every extra, with its language and communiqué.
    for kind in ("officials", "countries"):
        for label, count in (("missed", scores.total(kind).false_negatives),
                             ("extra ", scores.total(kind).false_positives)):
            lines = [line for line in only_unseen.splitlines()
                     if line.startswith(f"{kind} {label} [")]
            assert len(lines) == count, (kind, label)
            assert all("(entities-unseen: " in line for line in lines)
    # NO FLOORS YET for the unseen set: the targets (officials P >= 0.95, R >= 0.90;
    # countries P and R >= 0.95) are for the extraction work to reach. The lead adds
    # floors here when it does; until then the figures are only reported.
