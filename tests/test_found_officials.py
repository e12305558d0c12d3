"""Officials beyond the registry: people a communiqué introduces by their office become
officials ("found", not curated), named one way across the corpus, shown everywhere, and
curated from the command line.

The people here are invented (a registry may learn any real one), except where the
registry's own people are the point.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import replace
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from conftest import run_cli
from test_archive import make_record

from indexer.archive import Archive
from indexer.build import rebuild_index, update_index
from indexer.entities import extractor_for
from indexer.entities.countries import gazetteer
from indexer.entities.directory import Sighting, build_directory, tally
from indexer.entities.extract import EntityExtractor
from indexer.entities.names import merge_key
from indexer.entities.registry import LOCAL_FILE_NAME, OfficialsRegistry, Rejected
from scrapers.record import Communique
from webapp import create_app


def record(body: str, language: str = "en", title: str = "Statement", n: int = 1,
           published: date = date(2024, 3, 1)) -> Communique:
    return make_record(n, body=body, language=language, title=title, published=published)


def found(body: str, language: str = "en", title: str = "Statement",
          extractor: EntityExtractor | None = None):
    """(officials, found officials) the extractor makes of a text."""
    entities = (extractor or extractor_for(None)).extract(record(body, language, title))
    return entities.officials, {f.name: f for f in entities.found}


# -- each kind of title, in each language ------------------------------------------------

@pytest.mark.parametrize("language, text, name, role, country", [
    ("en", "Minister of Foreign Affairs of Norway Ingrid Solheim met the press.",
     "Ingrid Solheim", "Minister of Foreign Affairs", "NO"),
    ("en", "U.S. Ambassador to Serbia Daniel Whitmore attended the meeting.",
     "Daniel Whitmore", "Ambassador", "US"),
    ("en", "They met Secretary-General of the OSCE Karin Lindqvist in Vienna.",
     "Karin Lindqvist", "Secretary-General of the OSCE", ""),
    ("en", "Foreign Ministry Spokesperson Zhou Lanfang answered questions.",
     "Zhou Lanfang", "Foreign Ministry Spokesperson", ""),
    # The name before its title, after a form of address; an acronym before the title.
    ("en", "Minister Dacic received H.E. Mr. Denis Keefe, Ambassador of the United Kingdom.",
     "Denis Keefe", "Ambassador", "GB"),
    ("en", "The Minister talked with Mr. Toivo Klaar, EU Special Representative for the South "
           "Caucasus.", "Toivo Klaar", "Special Representative for the South Caucasus", ""),
    ("en", "Minister Without Portfolio Responsible for Diaspora Petar Lazić met them.",
     "Petar Lazić", "Minister Without Portfolio Responsible for Diaspora", ""),
    ("sr-Latn", "Ministar bez portfelja zadužen za dijasporu Petar Lazić posetio je Beč.",
     "Petar Lazić", "Ministar bez portfelja zadužen za dijasporu", ""),
    ("en", "Finnish Deputy Foreign Minister Aarne Virtanen and State Secretary Milan Kostić "
           "signed it.", "Aarne Virtanen", "Deputy Foreign Minister", "FI"),
    ("en", "He met Oskar Lindgren, Minister of Foreign Affairs of Sweden, on Monday.",
     "Oskar Lindgren", "Minister of Foreign Affairs", "SE"),
    ("ru", "Министр иностранных дел Венгрии Петер Ковач прибыл в Москву.",
     "Петер Ковач", "Министр иностранных дел", "HU"),
    ("ru", "Переговоры с Министром иностранных дел Азербайджана Тофиком Гасымовым прошли в "
           "Баку.", "Тофик Гасымов", "Министр иностранных дел", "AZ"),
    ("ru", "В беседе участвовал Посол Норвегии в России И.Сольхейм.",
     "И.Сольхейм", "Посол", "NO"),
    ("ru", "Встреча с Генеральным секретарём ОБСЕ Карин Линдквист состоялась в Вене.",
     "Карин Линдквист", "Генеральный секретарь ОБСЕ", ""),
    ("sr-Latn", "Ministar spoljnih poslova Slovačke Tomaš Horvat doputovao je u Beograd.",
     "Tomaš Horvat", "Ministar spoljnih poslova", "SK"),
    ("sr-Latn", "Đurić je razgovarao sa ministrom spoljnih poslova Slovačke Tomašem Horvatom o "
                "saradnji.", "Tomaš Horvat", "ministar spoljnih poslova", "SK"),
    ("sr-Latn", "Sastanku je prisustvovala portparolka Ministarstva Jelena Marić.",
     "Jelena Marić", "portparolka Ministarstva", ""),
    ("sr-Cyrl", "Састанку је присуствовао амбасадор САД Данијел Витмор.",
     "Данијел Витмор", "амбасадор", "US"),
    ("sr-Cyrl", "Ђурић је примио амбасадора САД Данијела Витмора у Палати Србија.",
     "Данијел Витмор", "амбасадор", "US"),
    ("sr-Cyrl", "Разговарао је са државним секретаром Министарства Миланом Костићем.",
     "Милан Костић", "државни секретар Министарства", ""),
    # A middle initial; a bracketed acronym inside the complement; initials that are also
    # a preposition ("С." is "с").
    ("en", "U.S. Ambassador to Vietnam Daniel E. Whitmore will join them.",
     "Daniel E. Whitmore", "Ambassador", "US"),
    ("sr-Latn", "Sa šefom Misije UN na Kosovu (UNMIK) Karolinom Zijade obišao je Gračanicu.",
     "Karolina Zijade", "šef Misije UN", ""),
    ("ru", "Консультации с Постоянным представителем Бразилии при ООН С.Франса Даниэзом.",
     "С.Франса Даниэз", "Постоянный представитель", "BR"),
])
def test_a_title_introduces_an_official(language: str, text: str, name: str, role: str,
                                        country: str) -> None:
    officials, people = found(text, language)
    assert name in officials and name in people, (officials, list(people))
    assert people[name].role == role
    assert people[name].country == country
    assert people[name].key == merge_key(name)


@pytest.mark.parametrize("inflected, nominative", [
    ("Jurajem Blanarom", "Juraj Blanar"), ("Kristoferom Hilom", "Kristofer Hil"),
    ("Kristofera Hila", "Kristofer Hil"), ("Джейхуном Байрамовым", "Джейхун Байрамов"),
    ("Анной Брнабич", "Анна Брнабич"), ("Елином Валтонен", "Елина Валтонен"),
    ("Петром Петровићем", "Петар Петровић"), ("Кристофером Хилом", "Christopher Hill"),
])
def test_inflected_names_key_as_the_nominative(inflected: str, nominative: str) -> None:
    # Short stems too ("Hil", "Hilom"), and across scripts and transliterations.
    assert merge_key(inflected) == merge_key(nominative)


@pytest.mark.parametrize("language, text, shown", [
    ("sr-Latn", "Ministar je razgovarao sa ministrom spoljnih poslova Slovačke Tomašem "
                "Horvatom.", "Tomaš Horvat"),
    ("sr-Cyrl", "Разговарао је са министарком спољних послова Финске Елином Валтонен.",
     "Елина Валтонен"),
    ("ru", "Состоялись переговоры с Министром иностранных дел Азербайджана Тофиком "
           "Гасымовым.", "Тофик Гасымов"),
    ("ru", "Отмечена роль Посла Вьетнама в Москве Данг Минь Кхоя.", "Данг Минь Кхой"),
    # A hard stem after a sibilant: no soft sign ("Гутерришем" is not "Гутерришь").
    ("ru", "Состоялась встреча с Генеральным секретарем ООН А.Гутерришем.", "А.Гутерриш"),
    # Serbian Latin writes "von" as "fon", inside the name.
    ("sr-Latn", "Sastao se sa šefom Delegacije EU u Srbiji Andreasom fon Bekeratom.",
     "Andreas fon Bekerat"),
])
def test_an_inflected_name_is_shown_in_the_nominative(language: str, text: str,
                                                       shown: str) -> None:
    officials, people = found(text, language)
    assert officials == (shown,)
    assert people[shown].nominative_known is False  # the text's case told the way back


def test_a_surname_after_the_full_name_is_the_same_person() -> None:
    officials, people = found(
        "U.S. Ambassador to Serbia Daniel Whitmore met the Minister. Ambassador Whitmore "
        "said the talks were useful, and Whitmore thanked his hosts.")
    assert officials == ("Daniel Whitmore",)
    assert people["Daniel Whitmore"].forms == ("Daniel Whitmore",)  # no bare surname form
    # The full name given without a title, the surname with one: still the person.
    officials, _ = found("Tomaš Horvat stigao je u Beograd. Ministar Horvat je istakao da "
                         "Slovačka podržava Srbiju.", "sr-Latn")
    assert officials == ("Tomaš Horvat",)
    # A registry person named in full: "Secretary Rubio" is Marco Rubio.
    officials, people = found("Secretary of State Marco Rubio spoke with Foreign Minister "
                              "Ingrid Solheim. Secretary Rubio thanked Minister Solheim.")
    assert officials == ("Marco Rubio", "Ingrid Solheim") and set(people) == {"Ingrid Solheim"}


def test_a_surname_alone_names_nobody() -> None:
    assert found("Ambassador Whitmore said the talks were useful.") == ((), {})
    assert found("Ministar Horvat je istakao da Slovačka podržava Srbiju.", "sr-Latn") == ((), {})


@pytest.mark.parametrize("language, text", [
    ("en", "The Secretary General of the Ministry and the Deputy attended."),
    ("en", "The Ambassador of the Czech Republic to Serbia presented his credentials."),
    ("en", "The President of the Security Council read a statement on Monday."),
    ("en", "The Minister of Foreign Affairs, on Monday, met the Embassy staff."),
    ("en", "Minister of Foreign Affairs of the Russian Federation and the Republic of "
           "Serbia signed the plan."),
    ("en", "The EU Special Representative for the Belgrade-Pristina Dialogue spoke."),
    ("en", "The Director of the Department for New Challenges and Threats attended."),
    ("en", "His Excellency the Ambassador in Belgrade thanked the Ministry."),
    ("ru", "Заявление Генерального секретаря ОБСЕ было распространено в Вене."),
    ("ru", "Председателем Правительства Российской Федерации было подписано распоряжение."),
    ("sr-Latn", "Ministar je u Vladi Republike Srbije razgovarao o Evropskoj uniji."),
    ("sr-Latn", "Ambasador je posetio aerodrom Nikola Tesla i Ulicu kneza Miloša."),
    ("sr-Cyrl", "Председник Републике Србије и министар у Влади разговарали су у уторак."),
    # The ministry's address after its name: a street named after a prince.
    ("sr-Latn", "Ministar spoljnih poslova Republike Srbije Beograd Kneza Miloša 24."),
    ("sr-Cyrl", "Министар спољних послова Републике Србије, Кнеза Милоша 24, Београд."),
])
def test_generic_words_are_never_people(language: str, text: str) -> None:
    assert found(text, language) == ((), {})


def test_a_bare_surname_spelling_does_not_make_another_person_the_registry_one() -> None:
    # The registry may spell someone by their surname alone; a title introducing another
    # first name with that surname is someone else.
    officials, people = found("State Secretary Aleksandra Joksimović attended the session.")
    assert officials == ("Aleksandra Joksimović",) and set(people) == set(officials)


def test_people_no_office_introduces_are_not_officials() -> None:
    officials, people = found("The journalist Anna Petrovic wrote about the talks, and the "
                              "tennis player Novak Djokovic visited the Embassy.")
    assert not people and "Novak Djokovic" not in officials


@pytest.mark.parametrize("text, person", [
    ("Minister of Foreign Affairs of Hungary Péter Szijjártó met him.", "Péter Szijjártó"),
    ("Russian Foreign Minister Sergei Lavrov spoke to the press.", "Sergey Lavrov"),
    ("Minister of Foreign Affairs Sergei Viktorovich Lavrov spoke.", "Sergey Lavrov"),
])
def test_a_registry_spelling_is_the_registry_person(text: str, person: str) -> None:
    officials, people = found(text)
    assert person in officials and not people


@pytest.mark.parametrize("language, text", [
    ("sr-Cyrl", "Министар Ђурић састао се са министром спољних послова Кине Ванг Јијем."),
    ("sr-Latn", "Ministar Đurić razgovarao je sa ministrom spoljnih poslova Kine Vang Jijem."),
    ("sr-Latn", "Poseta ministra spoljnih poslova Kine Vang Jija Beogradu."),
])
def test_a_short_name_declined_with_a_j_is_the_registry_person(language: str,
                                                               text: str) -> None:
    # Serbian declines "Ji" as "Jija", "Jijem": Wang Yi, not a new person "Ванг Јиј".
    officials, people = found(text, language, extractor=None)
    assert "Wang Yi" in officials and not people
    assert merge_key("Ванг Јијем") == merge_key("Wang Yi") == merge_key("Vang Jiju")
    assert merge_key("Antonijem Tajanijem") == merge_key("Antonio Tajani")


@pytest.mark.parametrize("language, text, person, day", [
    ("en", "President Trump gave the Department a clear mission.", "Donald Trump",
     date(2026, 1, 20)),
    ("en", "The Secretary reiterated President Trump’s commitment.", "Donald Trump",
     date(2025, 7, 11)),
    ("en", "Prime Minister Modi welcomed the delegation.", "Narendra Modi", date(2024, 3, 1)),
    ("en", "Prime Minister Tusk met the President.", "Donald Tusk", date(2024, 3, 1)),
    ("sr-Latn", "Premijerka Meloni i predsednik Tramp razgovarali su telefonom.",
     "Donald Trump", date(2025, 6, 1)),
    ("sr-Latn", "Premijerka Meloni i predsednik Tramp razgovarali su telefonom.",
     "Giorgia Meloni", date(2025, 6, 1)),
    ("sr-Cyrl", "Састанак са председником Трампом одржан је у Вашингтону.", "Donald Trump",
     date(2025, 6, 1)),
    ("ru", "Президент Трамп заявил о готовности к переговорам.", "Donald Trump",
     date(2025, 6, 1)),
    # A name word other than the last: "Lula" of Lula da Silva, "Xi" written first.
    ("en", "President Lula of Brazil met the delegation.", "Luiz Inácio Lula da Silva",
     date(2024, 6, 1)),
    ("en", "President Trump and President Xi met in Busan.", "Xi Jinping", date(2025, 10, 30)),
    ("en", "Secretary Clinton met the Minister.", "Hillary Clinton", date(2010, 6, 1)),
    ("sr-Latn", "Državna sekretarka Klinton posetila je Beograd.", "Hillary Clinton",
     date(2010, 6, 1)),
    ("ru", "Президент Си Цзиньпин и Президент Трамп встретились.", "Donald Trump",
     date(2025, 10, 30)),
])
def test_a_title_and_a_surname_that_is_no_alias_name_the_office_holder(
        language: str, text: str, person: str, day: date) -> None:
    # "Trump", "Modi", "Tusk" and "Meloni" alone are words or shared names, never aliases;
    # with a title, they are the one registry person holding that kind of office that day.
    officials = extractor_for(None).extract(record(text, language, published=day)).officials
    assert person in officials


@pytest.mark.parametrize("text, day", [
    ("President Trump gave the Department a clear mission.", date(2023, 6, 1)),  # Biden's
    ("Ambassador Trump attended the reception.", date(2025, 6, 1)),  # no such office
    ("Prime Minister Tusk met the President.", date(2016, 3, 1)),  # not PM then
    ("President Trump gave the Department a clear mission.", None),  # no date: no day
    # A deputy or a vice president holds another office than the noun's.
    ("Vice President Trump spoke.", date(2025, 6, 1)),
    ("Secretary Clinton spoke.", date(2020, 6, 1)),  # no longer in office
    ("Deputy Prime Minister Modi spoke.", date(2024, 3, 1)),
])
def test_a_title_and_a_surname_name_no_one_who_did_not_hold_that_office(
        text: str, day: date | None) -> None:
    officials = extractor_for(None).extract(replace(record(text), published=day)).officials
    assert officials == ()


def test_a_street_is_no_person() -> None:
    # "King" is a title, and "Street" may end a surname; together they are an address.
    officials, people = found("The Foreign Secretary met Cypriot Foreign Minister "
                              "Constantinos Kombos at King Charles Street.")
    assert officials == ("Constantinos Kombos",) and set(people) == set(officials)


@pytest.mark.parametrize("tag, shown", [
    ("Dame Karen Pierce DCMG", "Karen Pierce"),
    ("Nigel Casey CMG MVO", "Nigel Casey"),
    ("The Rt Hon Sir Keir Starmer KCB KC MP", "Keir Starmer"),
    ("Hamish Falconer MP", "Hamish Falconer"),
    ("Lord Ahmad of Wimbledon", "Lord Ahmad of Wimbledon"),  # a peer's title is his name
])
def test_site_tags_are_shown_without_honorifics(tag: str, shown: str) -> None:
    entities = extractor_for(None).extract(replace(record("The Minister spoke."),
                                                   officials=(tag,)))
    assert entities.officials == (shown,)


@pytest.mark.parametrize("text, person", [
    # Initials that are also forms of address when folded (Х -> "h" as in "H.E.").
    ("Состоялся разговор с Министром иностранных дел Турецкой Республики Х.Фиданом.",
     "Hakan Fidan"),
    # A first name whose loose key is short ("Edi": "ed"), in a case the title hides.
    ("Переговоры с Премьер-министром Албании Э.Рамой.", "Edi Rama"),
])
def test_initials_and_a_surname_are_the_registry_person(text: str, person: str) -> None:
    officials, people = found(text, "ru")
    assert officials == (person,) and not people


def test_a_rejected_name_is_never_extracted() -> None:
    registry = OfficialsRegistry.load()
    rejecting = OfficialsRegistry(list(registry.by_id.values()),
                                  (Rejected("Daniel Whitmore", ("Данијел Витмор",)),))
    extractor = EntityExtractor(rejecting, gazetteer())
    text = "U.S. Ambassador to Serbia Daniel Whitmore met Ambassador Laura Whitmore."
    officials, people = found(text, extractor=extractor)
    assert "Daniel Whitmore" not in officials and "Daniel Whitmore" not in people
    assert set(people) == {"Laura Whitmore"}
    entities = extractor.extract(record("Амбасадором САД Данијелом Витмором.", "sr-Cyrl"))
    assert entities.officials == () and entities.candidates == ()


@pytest.mark.parametrize("language, text, countries", [
    ("ru", "санкции, инициированные Великобританией, Германией и Францией после ударов "
           "Израиля", ("United Kingdom", "Germany", "France", "Israel")),
    ("sr-Cyrl", "безвизни режим за држављане Туниса и Бурундија", ("Tunisia", "Burundi")),
    ("ru", "Посол Соединённого Королевства Великобритании и Северной Ирландии",
     ("United Kingdom",)),
    ("en", "the Department of Latin American and Caribbean Affairs", ()),
    ("en", "Foreign Secretary Dominic Raab met Nusrat Ghani.", ()),
    # Long forms, "and" for CLDR's "&", either part of a name CLDR gives with another.
    ("en", "the Democratic Republic of the Congo and the Republic of the Congo",
     ("Congo - Kinshasa", "Congo - Brazzaville")),
    ("en", "Trinidad and Tobago, Saint Kitts and Nevis and Ivory Coast",
     ("Trinidad & Tobago", "St. Kitts & Nevis", "Côte d’Ivoire")),
    ("sr-Latn", "Istočni Timor i Obala Slonovače", ("Timor-Leste", "Côte d’Ivoire")),
    ("ru", "Посол США", ("United States",)),  # not "Внешние малые острова (США)"
])
def test_countries_in_their_case_forms_and_not_in_their_lookalikes(
        language: str, text: str, countries: tuple[str, ...]) -> None:
    assert extractor_for(None).extract(record(text, language)).countries == countries


# -- the corpus's directory: one name per person -----------------------------------------

def sighting(name: str, known: bool = True, n: int = 1, published: date | None = None,
             role: str = "", country: str = "") -> Sighting:
    return Sighting(f"doc-{n}", published, merge_key(name), name, known, (name,), role,
                    country)


def test_the_directory_names_a_person_by_a_latin_nominative() -> None:
    tallies = tally([
        sighting("Јурај Бланар", n=1, published=date(2024, 3, 3), role="министар",
                 country="SK"),
        sighting("Juraj Blanar", known=False, n=2, published=date(2024, 3, 2)),
        sighting("Juraj Blanár", n=3, published=date(2024, 3, 1),
                 role="Minister of Foreign Affairs", country="SK"),
        sighting("Ю.Бланар", n=4, published=date(2024, 3, 5)),
        sighting("Juraj Blanár", n=5, role="Minister of Foreign Affairs"),
    ])
    directory = build_directory(tallies, taken=set())
    assert len(directory) == 1  # initials join the one full name that fits them
    entry = next(iter(directory.entries.values()))
    assert entry.name == "Juraj Blanár"
    assert entry.role == "Minister of Foreign Affairs" and entry.country == "SK"
    assert (entry.first_seen, entry.last_seen) == (date(2024, 3, 1), date(2024, 3, 5))
    assert {"Јурај Бланар", "Ю.Бланар", "Juraj Blanar"} <= set(entry.forms)
    for spelling in ("Јурајем Бланаром", "Юрай Бланар", "Ю.Бланар", "Juraj Blanar"):
        assert directory.name_for(merge_key(spelling)) == "Juraj Blanár", spelling


def test_initials_join_a_full_name_written_with_and_without_a_middle_name() -> None:
    directory = build_directory(tally([
        sighting("Rafael Mariano Grossi", n=1), sighting("Rafael Grossi", n=2),
        sighting("Р.Гросси", known=False, n=3)]), taken=set())
    assert len(directory) == 1
    entry = next(iter(directory.entries.values()))
    assert "Rafael Mariano Grossi" in entry.forms and "Р.Гросси" in entry.forms
    assert directory.name_for(merge_key("Р.Гросси")) == entry.name
    # Two people the initial fits: the initials stay a name of their own.
    directory = build_directory(tally([
        sighting("Rafael Grossi", n=1), sighting("Roberto Grossi", n=2),
        sighting("Р.Гросси", known=False, n=3)]), taken=set())
    assert len(directory) == 3


def test_without_a_latin_form_the_nominative_as_written_and_ids_never_taken() -> None:
    tallies = tally([sighting("Данијела Витмора", known=False, n=1),
                     sighting("Данијел Витмор", n=2),
                     sighting("Ana Marić", n=3), sighting("Ana Marić", n=4)])
    directory = build_directory(tallies, taken={"ana-maric"})
    names = {e.name: e.id for e in directory.entries.values()}
    assert names == {"Данијел Витмор": "danijel-vitmor", "Ana Marić": "ana-maric-2"}


# -- through indexing: every surface, one name -------------------------------------------

CORPUS = [
    ("en", date(2024, 3, 1), "Djuric meets Slovak Foreign Minister",
     "Minister of Foreign Affairs of the Republic of Serbia Marko Djuric met in Belgrade with "
     "Minister of Foreign Affairs of Slovakia Tomáš Horvát. Minister Horvát said that Slovakia "
     "supports Serbia. U.S. Ambassador to Serbia Daniel Whitmore attended the meeting."),
    ("sr-Latn", date(2024, 3, 2), "Đurić sa ministrom spoljnih poslova Slovačke",
     "Ministar spoljnih poslova Marko Đurić razgovarao je sa ministrom spoljnih poslova "
     "Slovačke Tomašem Horvatom. Horvat je istakao da Slovačka podržava Srbiju. Sastanku je "
     "prisustvovao ambasador SAD Danijel Vitmor."),
    ("sr-Cyrl", date(2024, 3, 3), "Ђурић са министром спољних послова Словачке",
     "Министар спољних послова Марко Ђурић разговарао је са министром спољних послова "
     "Словачке Томашем Хорватом. Састанку је присуствовао амбасадор САД Данијел Витмор."),
    ("ru", date(2024, 3, 4), "О переговорах с Министром иностранных дел Словакии",
     "Министр иностранных дел Российской Федерации С.В.Лавров провел переговоры с Министром "
     "иностранных дел Словацкой Республики Т.Хорватом."),
    ("en", date(2024, 3, 5), "Credentials",
     "The journalist Anna Petrovic wrote about the talks. The Secretary General of the "
     "Ministry and the Deputy attended. Ambassador of Slovenia to Serbia Jan Novak presented "
     "his credentials. Ambassador Dan Whitmore spoke."),
]
HORVAT, WHITMORE = "Tomáš Horvát", "Daniel Whitmore"


def _store(data_dir: Path, corpus: list = CORPUS, start: int = 1) -> None:
    with Archive(data_dir) as archive:
        for n, (language, published, title, body) in enumerate(corpus, start):
            archive.store(make_record(n, body=body, language=language, title=title,
                                      published=published))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("found") / "data"
    _store(data_dir)
    with Archive(data_dir) as archive:
        update_index(archive, data_dir)
    return data_dir


@pytest.fixture
def corpus_app(indexed: Path, tmp_path: Path):
    """A writable copy of the indexed corpus (curation changes it)."""
    data_dir = tmp_path / "data"
    shutil.copytree(indexed, data_dir, symlinks=True)
    return create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SERVER_NAME": "localhost"})


def _hits(client) -> dict[str, dict]:
    data = client.get("/api/search", query_string={"size": 100}).get_json()
    return {hit["title"]: hit for hit in data["results"]}


def _facet(client, **params) -> dict[str, int]:
    data = client.get("/api/search", query_string={"size": 1, **params}).get_json()
    return {v["value"]: v["count"] for v in data["facets"]["official"]["values"]}


def _page_officials(html: str) -> list[str]:
    match = re.search(r'<dd class="officials">(.*?)</dd>', html, re.S)
    return [n.strip() for n in unescape(re.sub(r"<[^>]+>", "", match.group(1))).split(", ")] \
        if match else []


def test_found_officials_are_officials_on_every_surface(corpus_app) -> None:
    client = corpus_app.test_client()
    facet = _facet(client)
    # One value per person, whatever script or case each communiqué wrote them in.
    assert facet[HORVAT] == 4 and facet[WHITMORE] == 3
    assert not {"Томаш Хорват", "Tomaš Horvat", "Т.Хорват", "Данијел Витмор"} & set(facet)
    hits = _hits(client)
    csv_rows = {row["id"]: row for row in csv.DictReader(io.StringIO(
        client.get("/api/export.csv").get_data(as_text=True)))}
    for title, hit in hits.items():
        document = client.get(f"/api/communiques/{hit['id']}").get_json()
        page = client.get(f"/communiques/{hit['id']}").get_data(as_text=True)
        assert document["officials"] == hit["officials"] == _page_officials(page) == [
            n for n in csv_rows[hit["id"]]["officials"].split("; ") if n], title
    assert hits["Ђурић са министром спољних послова Словачке"]["officials"] == [
        "Marko Đurić", HORVAT, WHITMORE]
    assert hits["О переговорах с Министром иностранных дел Словакии"]["officials"] == [
        "Sergey Lavrov", HORVAT]
    # Not people: the journalist, the Secretary General, the Deputy.
    assert hits["Credentials"]["officials"] == ["Jan Novak", "Dan Whitmore"]
    # Searchable as officials, in any spelling the index folds together.
    for query in ('official:"Tomáš Horvát"', "official:Horvat", "official:Хорват"):
        data = client.get("/api/search", query_string={"q": query}).get_json()
        assert data["total"] == 4, query
    page = client.get(f"/communiques/{hits['Credentials']['id']}").get_data(as_text=True)
    assert 'href="/officials/jan-novak"' in page


def test_a_found_officials_page_says_they_are_not_curated(corpus_app) -> None:
    client = corpus_app.test_client()
    data = client.get("/api/officials/tomas-horvat").get_json()
    assert data["name"] == HORVAT and data["status"] == "found" and data["curated"] is False
    assert data["country"] == "SK" and data["communiques"] == 4
    assert (data["first_seen"], data["last_seen"]) == ("2024-03-01", "2024-03-04")
    assert data["roles"][0]["title"] == "Minister of Foreign Affairs"
    assert {"Томаш Хорват", "Т.Хорват"} <= set(data["aliases"])
    assert {m["name"] for m in data["mentioned_with"]} >= {"Marko Đurić", WHITMORE}
    page = client.get("/officials/tomas-horvat").get_data(as_text=True)
    assert "Found, not curated" in page and HORVAT in page
    listing = client.get("/officials").get_data(as_text=True)
    assert 'href="/officials/tomas-horvat"' in listing and "found, not curated" in listing
    assert client.get("/api/officials/marko-djuric").get_json()["status"] == "curated"
    names = [s["name"] for s in client.get("/api/suggest?q=horv").get_json()["suggestions"]]
    assert HORVAT in names


def test_officials_found_lists_them(corpus_app) -> None:
    output = run_cli(corpus_app, "officials", "--found").output
    lines = {re.split(r"\s{2,}", line.strip())[1]: line for line in output.splitlines()}
    assert set(lines) == {HORVAT, WHITMORE, "Jan Novak", "Dan Whitmore"}
    assert lines[HORVAT].split()[0] == "4" and "Minister of Foreign Affairs, SK" in lines[HORVAT]
    assert "2024-03-01 – 2024-03-04" in lines[HORVAT] and "Томаш Хорват" in lines[HORVAT]
    assert run_cli(corpus_app, "officials", "--candidates").output == output
    listed = run_cli(corpus_app, "officials").output
    assert re.search(r"^tomas-horvat\t" + HORVAT + r"\tSK\t.*\tfound$", listed, re.M)


# -- curation, through the command line and the next index -------------------------------

def _index(app) -> str:
    result = run_cli(app, "index")
    assert result.exit_code == 0, result.output
    return result.output


def test_curation_takes_effect_at_the_next_index(corpus_app) -> None:
    data_dir = Path(corpus_app.config["DATA_DIR"])
    said = run_cli(corpus_app, "officials", "--reject", "Jan Novak")
    assert said.exit_code == 0 and "Jan Novak is no official" in said.output
    said = run_cli(corpus_app, "officials", "--rename", HORVAT, "--to", "Tomas Horvat")
    assert said.exit_code == 0 and "is now shown as Tomas Horvat" in said.output
    said = run_cli(corpus_app, "officials", "--merge", "Dan Whitmore", "--into", WHITMORE)
    assert said.exit_code == 0 and f"Dan Whitmore is now {WHITMORE}" in said.output
    local = (data_dir / LOCAL_FILE_NAME).read_text(encoding="utf-8")
    assert "[[rejected]]" in local and "[[merged]]" in local
    # Decided: no longer listed as found, and the registry files still check.
    assert "Jan Novak" not in run_cli(corpus_app, "officials", "--found").output
    check = run_cli(corpus_app, "officials", "--check")
    assert check.exit_code == 0, check.output

    assert "rebuild" in _index(corpus_app)  # the local file changed the fingerprint
    client = corpus_app.test_client()
    facet = _facet(client)
    assert "Jan Novak" not in facet and HORVAT not in facet
    assert facet["Tomas Horvat"] == 4
    assert facet[WHITMORE] == 4 and "Dan Whitmore" not in facet  # merged: one person
    hits = _hits(client)
    credentials = hits["Credentials"]
    assert credentials["officials"] == [WHITMORE]
    document = client.get(f"/api/communiques/{credentials['id']}").get_json()
    assert document["officials"] == [WHITMORE]
    russian = hits["О переговорах с Министром иностранных дел Словакии"]
    assert russian["officials"] == ["Sergey Lavrov", "Tomas Horvat"]
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(
        client.get("/api/export.csv").get_data(as_text=True)))}
    assert rows[russian["id"]]["officials"] == "Sergey Lavrov; Tomas Horvat"
    # Renamed and merged people are curated now; the rejected name is extracted nowhere.
    renamed = client.get("/api/officials/tomas-horvat").get_json()
    assert renamed["name"] == "Tomas Horvat" and renamed["status"] == "curated"
    assert HORVAT in renamed["aliases"]
    assert client.get("/api/officials/daniel-whitmore").get_json()["communiques"] == 4
    assert client.get("/api/search?q=Novak").get_json()["results"][0]["officials"] == [
        WHITMORE]
    found_now = run_cli(corpus_app, "officials", "--found").output
    assert "Jan Novak" not in found_now and "Horv" not in found_now


def test_curation_refuses_what_it_cannot_do_and_writes_nothing(corpus_app) -> None:
    local = Path(corpus_app.config["DATA_DIR"]) / LOCAL_FILE_NAME
    before = local.read_text(encoding="utf-8") if local.exists() else ""
    for args, message in [
        (("--confirm", HORVAT, "--country", "XX"), "not a country's ISO alpha-2 code"),
        (("--promote", "Ana Nova", "--country", "Serbia"), "not a country's ISO alpha-2 code"),
        (("--merge", "Dan Whitmore", "--into", "Dan Whitmore"), "already"),
        (("--merge", "Т.Хорват", "--into", HORVAT), "already"),
        # A found person no communiqué gives a country to is confirmed with one, or not.
        (("--merge", WHITMORE, "--into", "Dan Whitmore"), "give their country with --country"),
    ]:
        result = run_cli(corpus_app, "officials", *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
        assert (local.read_text(encoding="utf-8") if local.exists() else "") == before, args
    result = run_cli(corpus_app, "officials", "--merge", WHITMORE, "--into", "Dan Whitmore",
                     "--country", "us")
    assert result.exit_code == 0 and f"{WHITMORE} is now Dan Whitmore" in result.output
    written = local.read_text(encoding="utf-8")
    assert 'country = "US"' in written and "[[merged]]" in written
    assert run_cli(corpus_app, "officials", "--check").exit_code == 0


def test_confirm_and_promote_make_curated_officials(corpus_app) -> None:
    said = run_cli(corpus_app, "officials", "--confirm", "Данијел Витмор")
    assert said.exit_code == 0 and f"added {WHITMORE} (daniel-whitmore)" in said.output
    refused = run_cli(corpus_app, "officials", "--confirm", "Dan Whitmore")
    assert refused.exit_code != 0 and "--country" in refused.output  # no text says whose
    said = run_cli(corpus_app, "officials", "--promote", "Jan Novak", "--country", "SI",
                   "--role", "Ambassador of Slovenia")
    assert said.exit_code == 0 and "added Jan Novak (jan-novak)" in said.output
    unknown = run_cli(corpus_app, "officials", "--reject", "Marko Đurić")
    assert unknown.exit_code != 0 and "curated" in unknown.output
    _index(corpus_app)
    client = corpus_app.test_client()
    whitmore = client.get("/api/officials/daniel-whitmore").get_json()
    assert whitmore["status"] == "curated" and whitmore["country"] == "US"
    assert whitmore["roles"][0] == {"title": "Ambassador", "organisation": "",
                                    "from": "2024-03-01", "to": None}
    novak = client.get("/api/officials/jan-novak").get_json()
    assert novak["status"] == "curated" and novak["roles"][0]["title"] == "Ambassador of Slovenia"
    assert _facet(client)[WHITMORE] == 3


# -- how indexing builds it --------------------------------------------------------------

def test_two_writer_processes_name_found_officials_as_one_does(indexed: Path,
                                                               tmp_path: Path) -> None:
    stored = {}
    for procs in (1, 2):
        data_dir = tmp_path / f"procs-{procs}"
        shutil.copytree(indexed, data_dir, symlinks=True)
        with Archive(data_dir) as archive:
            rebuild_index(archive, data_dir, procs=procs)
            ids = [r.id for r in archive.all_current()]
            stored[procs] = (archive.entities_of(ids),
                             [(e.name, e.id, e.documents) for e in archive.found_entries()])
    assert stored[1] == stored[2]
    assert (HORVAT, "tomas-horvat", 4) in stored[1][1]


def test_an_update_names_new_communiques_as_the_corpus_does(indexed: Path,
                                                            tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed, data_dir, symlinks=True)
    _store(data_dir, [
        ("sr-Cyrl", date(2024, 4, 1), "Хорват у Београду",
         "Министар спољних послова Словачке Томаш Хорват посетио је Београд."),
        ("sr-Latn", date(2024, 4, 2), "Nova ambasadorka",
         "Ambasadorka Slovenije Maja Zupan predala je akreditive. Ambasadorku Slovenije Maju "
         "Zupan primio je ministar."),
        ("ru", date(2024, 4, 3), "Новый посол", "Посол Словении Майя Зупан посетила МИД."),
    ], start=len(CORPUS) + 1)
    with Archive(data_dir) as archive:
        update = update_index(archive, data_dir)
        assert update.mode == "incremental" and update.indexed == 3
        entries = {e.name: e for e in archive.found_entries()}
        officials = {r.title: archive.entities_of([r.id])[r.id][0] for r in archive.all_current()}
    assert officials["Хорват у Београду"] == (HORVAT,)
    assert entries[HORVAT].documents == 5 and entries[HORVAT].last_seen == date(2024, 4, 1)
    # A new person, named one way in both the communiqués of the update.
    assert officials["Nova ambasadorka"] == officials["Новый посол"] == ("Maja Zupan",)
    assert entries["Maja Zupan"].documents == 2


def test_an_unindexed_version_gets_the_corpus_names(corpus_app) -> None:
    data_dir = corpus_app.config["DATA_DIR"]
    client = corpus_app.test_client()
    first = _hits(client)["Ђурић са министром спољних послова Словачке"]
    with Archive(data_dir) as archive:
        old = archive.get(first["id"])
        archive.store(replace(old, body=old.body + " Нови пасус.", content_hash=""))
    # Crawled since the index run: the document shows what indexing it would store.
    assert client.get(f"/api/communiques/{first['id']}").get_json()["officials"] == [
        "Marko Đurić", HORVAT, WHITMORE]


def test_each_found_official_keeps_every_key_that_names_them() -> None:
    """The directory gathers each person's keys in one pass: an entry's keys are exactly
    the keys the grouping gives that person (as looking through every key for each
    person found them), on the benchmark corpus's found officials and on initials and
    middle names that join a full name."""
    from benchmarks.corpus import generate
    from indexer.entities import extractor_for
    from indexer.entities.directory import _canonical_keys
    from indexer.entities.extract import sightings

    extractor = extractor_for(None, found=False)
    tallies = tally([s for record in generate(600)
                     for s in sightings(record, extractor.extract(record))])
    tally([sighting("Rafael Mariano Grossi", n=1), sighting("Rafael Grossi", n=2),
           sighting("Р.Гросси", known=False, n=3), sighting("Ю.Бланар", n=4),
           sighting("Juraj Blanár", n=5)], tallies)
    canonical = _canonical_keys(tallies)
    directory = build_directory(tallies, taken=set())
    assert len(directory) > 50 and len(canonical) > len(directory)
    for key, entry in directory.entries.items():
        assert entry.keys == tuple(sorted({k for k, c in canonical.items() if c == key}))
    assert sorted(k for entry in directory.entries.values() for k in entry.keys) == \
        sorted(tallies)


def test_an_extractor_given_a_directory_extracts_as_one_built_with_it() -> None:
    """with_directory shares the registry's and gazetteer's tables with the extractor it
    comes from instead of building them again: it extracts what an extractor built
    whole with the directory extracts, and the one it came from is unchanged."""
    from benchmarks.corpus import generate
    from indexer.entities.extract import sightings

    base = EntityExtractor(OfficialsRegistry.load(), gazetteer())
    records = list(generate(400))
    before = [base.extract(r) for r in records[:50]]
    directory = build_directory(
        tally([s for r in records[:300] for s in sightings(r, base.extract(r))]), taken=set())
    assert len(directory) > 20
    shared = base.with_directory(directory)
    whole = EntityExtractor(base.registry, base.places, directory)
    assert shared.directory is directory and len(shared.people.by_id) == len(whole.people.by_id)
    named = 0
    for r in records:
        found = shared.extract(r)
        assert found == whole.extract(r), r.id
        named += bool(found.found)
    assert named > 100
    assert [base.extract(r) for r in records[:50]] == before
    assert base.directory is not directory and len(base.people.by_id) < len(shared.people.by_id)


def test_a_rebuilds_found_mentions_are_staged_by_its_writers(tmp_path: Path) -> None:
    """The writers stage the communiqués naming each found official in the archive a batch
    at a time (not in memory); the rebuild then stores the same rows whether one process
    or two wrote them, as the extractor finds them, and leaves no staging behind."""
    from benchmarks.corpus import generate
    from indexer import build
    from indexer.entities.extract import sightings

    records = list(generate(600))
    stored = []
    for procs in (1, 2):
        directory = tmp_path / str(procs)
        with Archive(directory) as archive:
            archive.store_many(records)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(build, "ENTITY_BATCH", 80)  # several batches a writer
                rebuild_index(archive, directory, procs=procs)
            rows = sorted(archive._db.execute("SELECT * FROM found_mentions").fetchall())
            tables = {r[0] for r in archive._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "found_mentions_staged" not in tables
        stored.append(rows)
    assert stored[0] == stored[1]
    extractor = extractor_for(None, found=False)
    named = {r.id for r in records if sightings(r, extractor.extract(r))}
    assert {row[0] for row in stored[0]} == named and len(stored[0]) > 150
