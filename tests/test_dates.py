"""Dates as pages write them: in text in any of our languages, in structured data, in URLs.

The rule every test here guards: a date is found only when day, month and year are all
written and their order is certain; anything less is no date, never a guess.
"""

from __future__ import annotations

from datetime import date

import pytest

from scrapers.dates import (
    date_from_url,
    day_first,
    find_dates,
    first_date,
    month_number,
    numeric_order,
    parse_date,
    parse_structured_date,
)


@pytest.mark.parametrize("text, language, expected", [
    # English, in the orders ministries use
    ("July 5, 2024", "en", date(2024, 7, 5)),
    ("5 July 2024", "en", date(2024, 7, 5)),
    ("Wednesday, 24 July 2019.", "en", date(2019, 7, 24)),
    ("Published on : June 15th 2026", "en", date(2026, 6, 15)),
    ("Sept. 5, 2024", "en", date(2024, 9, 5)),
    ("21. Jun 2024.", "en", date(2024, 6, 21)),
    # Serbian: nominative and genitive, both scripts, trailing dot
    ("četvrtak, 01. avgust 2019.", "sr-Latn", date(2019, 8, 1)),
    ("5. jula 2024.", "sr-Latn", date(2024, 7, 5)),
    ("среда, 04. октобар 2017.", "sr-Cyrl", date(2017, 10, 4)),
    ("5. јула 2024.", "sr-Cyrl", date(2024, 7, 5)),
    # Russian and Ukrainian genitives, with their year words
    ("5 июля 2024 г.", "ru", date(2024, 7, 5)),
    ("Опубліковано 14 жовтня 2021 року о 16:05", "uk", date(2021, 10, 14)),
    # French (with "1er"), German, Spanish, Turkish, Hungarian
    ("1er juillet 2024", "fr", date(2024, 7, 1)),
    ("Publié le 14 novembre 2024", "fr", date(2024, 11, 14)),
    ("5. Juli 2024", "de", date(2024, 7, 5)),
    ("Madrid, 15 de octubre de 2024.", "es", date(2024, 10, 15)),
    ("7 Kasım 2024", "tr", date(2024, 11, 7)),
    ("7 KASIM 2024", "tr", date(2024, 11, 7)),
    ("2018. szeptember 29.", "hu", date(2018, 9, 29)),
    # Arabic, CLDR's names and the Levant's, in Arabic-Indic digits
    ("12 نوفمبر 2024", "ar", date(2024, 11, 12)),
    ("١٢ تشرين الثاني ٢٠٢٤", "ar", date(2024, 11, 12)),
    # Chinese, Japanese (and its eras), Korean; full-width digits
    ("2019年12月4日 20:33", "zh", date(2019, 12, 4)),
    ("２０１９年１２月４日", "zh", date(2019, 12, 4)),
    ("令和6年3月5日", "ja", date(2024, 3, 5)),
    ("平成元年1月8日", "ja", date(1989, 1, 8)),
    ("2024년 3월 5일", "ko", date(2024, 3, 5)),
    # numeric forms whose order is certain
    ("2024-07-05", "en", date(2024, 7, 5)),
    ("05.03.2024", "en", date(2024, 3, 5)),  # dotted: day first everywhere
    ("15/10/2024", "es", date(2024, 10, 15)),
    ("Date: 27/09/2023", "en", date(2023, 9, 27)),  # 27 cannot be a month
])
def test_dates_written_in_text(text: str, language: str, expected: date) -> None:
    assert first_date(text, language) == expected


@pytest.mark.parametrize("text, language, expected", [
    ("3/5/2024", "en", None),  # English without a region: 3 May or March 5?
    ("3/5/2024", "en-US", date(2024, 3, 5)),
    ("3/5/2024", "en-GB", date(2024, 5, 3)),
    ("3/5/2024", "fr", date(2024, 5, 3)),
    ("3/5/2024", None, None),
    ("5/5/2024", "en", date(2024, 5, 5)),  # either order, the same day
])
def test_numeric_dates_only_when_the_language_settles_the_order(
        text: str, language: str | None, expected: date | None) -> None:
    assert first_date(text, language) == expected


@pytest.mark.parametrize("text", [
    "5 July",                   # no year (a sidebar's "September 15")
    "July 2024",                # no day
    "© 2003-2012. All rights reserved.",
    "31 June 2024",             # no such day
    "30.02.2024",
    "Updated 16:20",
    "113-05-21",                # a Minguo year is not read as a Gregorian one
    "listed as item 12.11 in 2024",
    "the year 2024 was busy",
])
def test_incomplete_or_impossible_dates_are_no_dates(text: str) -> None:
    assert first_date(text, "en") is None


def test_month_names_are_read_in_the_page_language_first() -> None:
    # Croatian "listopada" is October; Polish and Czech "listopad(a)" is November
    assert month_number("listopada", "hr") == 10
    assert month_number("listopada", "pl") == 11
    # with no language, a name that means two months means none
    assert month_number("listopada") is None
    assert first_date("5 listopada 2019") is None
    # an unambiguous name is read whatever the page declares
    assert month_number("juillet", "en") == 7
    assert month_number("ЈУЛА") == 7


def test_update_dates_are_marked_and_skipped() -> None:
    text = "Publié le 05 décembre 2023 à 06h30, modifié le 06 décembre 2023 à 10h15"
    found = find_dates(text, "fr")
    assert [(d.value, d.updated) for d in found] == [
        (date(2023, 12, 5), False), (date(2023, 12, 6), True)]
    assert first_date("Последње ажурирање ( четвртак, 05. октобар 2017. )", "sr") is None
    assert first_date("Последње ажурирање ( четвртак, 05. октобар 2017. )", "sr",
                      updates=True) == date(2017, 10, 5)
    assert first_date("更新日期：2024-05-22", "zh") is None


def test_found_dates_say_where_they_are() -> None:
    text = "BELGRADE, 5 July 2024 – talks resumed; the next round is on 7 August 2024."
    found = find_dates(text, "en")
    assert [text[d.start:d.end] for d in found] == ["5 July 2024", "7 August 2024"]
    line = "Published on July 5, 2024"
    assert line[find_dates(line, "en")[0].start:] == "July 5, 2024"


def test_a_pages_own_unambiguous_dates_settle_the_order_of_the_others() -> None:
    assert numeric_order("Brussels, 05/03/2024 ... related: 21/02/2024") is True
    assert numeric_order("posted 03/05/2024, earlier 12/24/2023") is False
    assert numeric_order("05/03/2024 and 04/03/2024") is None      # nothing settles it
    assert numeric_order("21/02/2024 and 12/24/2023") is None      # the page disagrees
    assert numeric_order("21.02.2024") is None                     # dotted says nothing
    assert first_date("05/03/2024", "en") is None
    assert find_dates("05/03/2024", "en", order=True)[0].value == date(2024, 3, 5)
    assert find_dates("05/03/2024", "en", order=False)[0].value == date(2024, 5, 3)
    # the page's own evidence wins over a declared region (a CMS's default "en-US")
    assert find_dates("05/03/2024", "en-US", order=True)[0].value == date(2024, 3, 5)
    assert find_dates("05/03/2024", "en-US")[0].value == date(2024, 5, 3)


def test_day_first_by_language() -> None:
    assert day_first("en-US") is False
    assert day_first("en") is None
    assert day_first("sr-Latn") is True
    assert day_first(None) is None


@pytest.mark.parametrize("value, expected", [
    ("2024-03-05T23:30:00+01:00", date(2024, 3, 5)),  # as written, in the site's zone
    ("2023-02-06T23:30:00Z", date(2023, 2, 6)),
    ("2024-05-10 21:35:12", date(2024, 5, 10)),
    ("20240510", date(2024, 5, 10)),
    ("Wed, 26 Aug 2026 12:40:00 +0300", date(2026, 8, 26)),
    ("28 June 2022", date(2022, 6, 28)),
    ("", None),
    ("not a date", None),
    ("2024-13-45", None),
])
def test_structured_dates(value: str, expected: date | None) -> None:
    assert parse_structured_date(value) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://www.fmprc.gov.cn/eng/xw/202611/t20261120_12021477.html", date(2026, 11, 20)),
    ("https://blog.example/2019/12/04/slug/", date(2019, 12, 4)),
    ("https://site.example/docs/statement_2019-12-04.html", date(2019, 12, 4)),
    ("https://site.example/news20191204.html", date(2019, 12, 4)),
    ("https://site.example/a/20191204_1.html", date(2019, 12, 4)),
    # ids and partial dates are not dates
    ("https://www.mid.ru/en/foreign_policy/news/20110305/", None),
    ("https://www.mid.ru/en/foreign_policy/news/2053418/", None),
    ("https://site.example/2024/07/123456/", None),
    ("https://site.example/item?id=20191204", None),
    ("https://site.example/2024/02/30/slug", None),
    (None, None),
])
def test_dates_in_urls(url: str | None, expected: date | None) -> None:
    assert date_from_url(url) == expected


def test_definition_formats_still_read_their_dates() -> None:
    # parse_date (a source definition's formats) is unchanged by the text-date reader
    assert parse_date("среда, 04. октобар 2017.", ["%A, %d. %B %Y."], "sr") == date(2017, 10, 4)
    assert parse_date("Wednesday, 24 July 2019.", ["%A, %d %B %Y."], "en") == date(2019, 7, 24)


@pytest.mark.parametrize("text, language", [
    ("07. фебруара 2023.", "sr-Cyrl"), ("Уторак, 07. фебруара 2023.", "sr-Cyrl"),
    ("7. februara 2023.", "sr-Latn"), ("07. фебруар 2023.", "sr-Cyrl"),
    ("7. februar 2023.", "sr-Latn"),
])
def test_definition_formats_read_serbian_genitive_months(text: str, language: str) -> None:
    # "%B" in a Serbian definition's format read only CLDR's nominative ("фебруар"); the
    # genitive ("фебруара") is how dates are most often written, and running text read it.
    formats = ["%A, %d. %B %Y.", "%d. %B %Y."]
    assert parse_date(text, formats, language) == date(2023, 2, 7)
