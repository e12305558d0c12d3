"""The G20 and EU members' seed file (officials.d/g20-eu.toml): the spellings communiqués use
find the right person in any script and case, and the surnames left out on purpose stay out."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.entities import extractor_for
from indexer.entities.registry import SEED_DIR, OfficialsRegistry

G20_EU = SEED_DIR / "g20-eu.toml"


@pytest.fixture(scope="module")
def registry() -> OfficialsRegistry:
    return OfficialsRegistry.load()


def test_the_seed_file_is_read(registry: OfficialsRegistry) -> None:
    assert G20_EU.exists()
    assert registry.by_id["recep-tayyip-erdogan"].country == "TR"
    assert registry.lookup("Subrahmanyam Jaishankar").id == "subrahmanyam-jaishankar"


@pytest.mark.parametrize(("text", "name"), [
    # Serbian Latin and Cyrillic, inflected; Russian, inflected; mid.ru's initials.
    ("Ministar Dačić razgovarao je sa Angelom Merkel", "Angela Merkel"),
    ("састанак са канцеларом Олафом Шолцом", "Olaf Scholz"),
    ("переговоры с Реджепом Тайипом Эрдоганом", "Recep Tayyip Erdoğan"),
    ("встреча с С.Джайшанкаром", "Subrahmanyam Jaishankar"),
    ("Министар Ђурић и Антонио Тајани", "Antonio Tajani"),
    ("Prime Minister Fumio Kishida said", "Fumio Kishida"),
    ("телефонный разговор с Ф.Кисидой", "Fumio Kishida"),
    ("President Lula da Silva and", "Luiz Inácio Lula da Silva"),
    ("с Мухаммедом бен Сальманом", "Mohammed bin Salman Al Saud"),
    ("King Felipe VI and Queen Letizia", "Felipe VI"),
    ("Џастин Трудо је рекао", "Justin Trudeau"),
    ("President Joko Widodo (Jokowi)", "Joko Widodo"),
])
def test_spellings_find_the_person(text: str, name: str) -> None:
    assert name in extractor_for(None).officials_in(text)


@pytest.mark.parametrize("text", [
    "a mile away from the refugee camp",  # "Milei" and Cyrillic "Ciampi" would key to these
    "dragi prijatelji, u modi je",  # Serbian "dear" (Драги) and "in fashion" (Modi)
    "melons and a tusk",  # Meloni, Tusk
    "trudom i radom; трудом",  # Serbian/Russian "toil": Трудо
    "macro-financial assistance; makro-finansijska pomoć",  # Macri
    "the Pandora Papers; 300 megavata; белка; blok",  # Pandor, Megavati, Belka, Blok
    "a patriot; Kaczyński said",  # Patriota; two Kaczyńskis
    # mid.ru-style initials that read as words: В.Фокс, С.Блок, А.Фернандес, К.Франса, А.Ананд
    "в «Фокс Ньюс»; с блоком; а Фернандес; к Франсу; а Ананд",
    "Чхве Сон Хи",  # North Korea's Choe Son Hui, not Choi Sung-hong (left out)
])
def test_common_words_name_no_one(text: str) -> None:
    assert extractor_for(None).officials_in(text) == []


def test_roles_over_time(registry: OfficialsRegistry) -> None:
    erdogan = registry.by_id["recep-tayyip-erdogan"]
    assert [r.title for r in registry.roles_on(erdogan, date(2010, 1, 1))] == ["Prime Minister"]
    assert [r.title for r in registry.roles_on(erdogan, date(2020, 1, 1))] == ["President"]
    motegi = registry.by_id["toshimitsu-motegi"]
    assert registry.roles_on(motegi, date(2023, 1, 1)) == []  # between his two terms
    assert len(registry.roles_on(motegi, date(2026, 1, 1))) == 1
