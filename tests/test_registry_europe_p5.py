"""The seed files for Serbia, its neighbours, the EU institutions (europe-balkans.toml) and
the Security Council's permanent members (p5.toml): spellings in every script and case find
the right person, the surnames and initials left out on purpose stay out, roles follow time."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from indexer.entities import extractor_for
from indexer.entities.check import check_files, cyrillic_scripts
from indexer.entities.registry import SEED_DIR, OfficialsRegistry

FILES = [SEED_DIR / "europe-balkans.toml", SEED_DIR / "p5.toml"]


@pytest.fixture(scope="module")
def registry() -> OfficialsRegistry:
    return OfficialsRegistry.load()


def test_every_person_is_written_in_serbian_and_russian(registry: OfficialsRegistry) -> None:
    ids = [e["id"] for path in FILES for e in tomllib.loads(path.read_text())["official"]]
    assert len(ids) > 280
    assert all(i in registry.by_id for i in ids)
    for official_id in ids:
        scripts = set().union(*map(cyrillic_scripts, registry.by_id[official_id].spellings))
        assert scripts == {"sr", "ru"}, official_id
    assert [p for p in check_files(FILES) if p.severity == "error"] == []


@pytest.mark.parametrize(("text", "name"), [
    # Serbian Latin and Cyrillic, inflected; Russian, inflected; mid.ru's initials.
    ("sastanak sa premijerom Andrejem Plenkovićem", "Andrej Plenković"),
    ("састанак са Војиславом Коштуницом", "Vojislav Koštunica"),
    ("Ministar Dačić sa predsednikom vlade Đurom Macutom", "Đuro Macut"),
    ("Д.А.Медведев заявил", "Dmitry Medvedev"),
    ("встреча с Си Цзиньпином и Ли Цяном", "Li Qiang"),
    ("переговоры с Урсулой фон дер Ляйен", "Ursula von der Leyen"),
    ("Kraljica Elizabeta II", "Elizabeth II"),
    ("Prime Minister Keir Starmer said", "Keir Starmer"),
    ("Хашим Тачи", "Hashim Thaçi"),
    ("Председник Ђукановић", "Milo Đukanović"),
    ("Президент Румынии Клаус Йоханнис", "Klaus Iohannis"),
    ("with Secretary of State Condoleezza Rice", "Condoleezza Rice"),
])
def test_spellings_find_the_person(text: str, name: str) -> None:
    assert name in extractor_for(None).officials_in(text)


def test_a_first_name_alone_is_no_one_else() -> None:
    """"Ш.Мишель" would have made "с Мишелем" (with any Michel) Charles Michel."""
    assert extractor_for(None).officials_in("переговоры с Мишелем Барнье") == ["Michel Barnier"]


def test_site_tags_with_honorifics_find_the_person(registry: OfficialsRegistry) -> None:
    assert registry.lookup("The Rt Hon Sir Keir Starmer KCB KC MP").id == "keir-starmer"
    assert registry.lookup("The Rt Hon Lord Cameron").id == "david-cameron"


@pytest.mark.parametrize("text", [
    # Bare surnames that key to words: Barnier's Барнье -> barn, Pöttering, Juncker's
    # Юнкер, Sassoli's Сасоли -> Sasol, Hollande -> holland, May, Rice, Hague, Blair House.
    "a barn, petering out, pottering about; a junker; Sasol; Holland",
    "in May, the rice harvest in The Hague; talks at Blair House",
    # Initials read as honorifics (Э.Рама, Г.Браун, Х.Тачи) or as words (А.Кошта, И.Мета,
    # К.Колонна, С.Милошевич).
    "Rama; Braun; Тачи; a košta 100 dinara; i meta napada; к колонне; с Милошевичем",
    # Surnames of several people: Clinton, Izetbegović, Osmani, Kallas, Haradinaj, Milanović.
    "Clinton; Izetbegović; Osmani; Kallas; Haradinaj; Миланович",
])
def test_common_words_and_shared_surnames_name_no_one(text: str) -> None:
    assert extractor_for(None).officials_in(text) == []


def test_roles_over_time(registry: OfficialsRegistry) -> None:
    def titles(official_id: str, day: date) -> list[str]:
        return [r.title for r in registry.roles_on(registry.by_id[official_id], day)]

    assert titles("vojislav-kostunica", date(2001, 1, 1)) == ["President"]
    assert registry.by_id["vojislav-kostunica"].roles[0].organisation == (
        "Federal Republic of Yugoslavia")
    assert titles("vojislav-kostunica", date(2005, 1, 1)) == ["Prime Minister"]
    assert titles("vojislav-kostunica", date(2010, 1, 1)) == []
    assert titles("milo-djukanovic", date(2015, 1, 1)) == ["Prime Minister"]
    assert titles("milo-djukanovic", date(2020, 1, 1)) == ["President"]
    assert titles("vladimir-putin", date(2000, 1, 1)) == ["Prime Minister", "Acting President"]
    assert titles("ilie-bolojan", date(2025, 3, 1)) == ["Acting President"]
    assert titles("keir-starmer", date(2026, 1, 1)) == ["Prime Minister"]
