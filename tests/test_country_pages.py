"""Country and pair pages reached by any name of a country: ISO alpha-2 and alpha-3
codes in any case, names and short forms in Latin and Cyrillic."""

from __future__ import annotations

import re

import pytest

SAME_PAIR = ("/countries/RS/RU", "/countries/rs/ru", "/countries/SRB/RUS", "/countries/srb/Russia",
             "/countries/Serbia/Russian%20Federation", "/countries/Srbija/Rusija",
             "/countries/%D0%A1%D1%80%D0%B1%D0%B8%D1%98%D0%B0/%D0%A0%D0%BE%D1%81%D1%81%D0%B8%D1%8F")


def heading_and_count(html: str) -> tuple[str, str]:
    return (re.search(r"<h1>([^<]+)</h1>", html).group(1),  # type: ignore[union-attr]
            re.search(r'id="pair-count">\s*(\d+)', html).group(1))  # type: ignore[union-attr]


def test_every_name_of_a_pair_reaches_the_same_page(client) -> None:
    pages = {heading_and_count(client.get(path).get_data(as_text=True)) for path in SAME_PAIR}
    assert len(pages) == 1
    heading, count = pages.pop()
    assert heading == "Serbia and Russia" and int(count) > 0


@pytest.mark.parametrize("path", ["/countries/XYZ", "/countries/RS/Atlantis", "/countries/688/RU",
                                  "/countries/%3Cb%3EX%3C%2Fb%3E"])
def test_an_unknown_country_is_a_404_that_says_so(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "no country called" in body and "<b>X</b>" not in body


def test_a_country_paired_with_itself_is_its_own_page(client) -> None:
    response = client.get("/countries/RS/Srbija")
    assert response.status_code == 302 and response.headers["Location"].endswith("/countries/RS")
