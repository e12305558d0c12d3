"""The officials list and a country's officials: everyone the communiqués name, each
with the count a search for them gives, and nobody they never name."""

from __future__ import annotations

import re

import pytest

from indexer.entities import extractor_for
from indexer.search import SearchRequest


def test_value_counts_count_every_value_as_a_search_does(crawled_app) -> None:
    service = crawled_app.extensions["search"]
    counts = service.value_counts("official")
    assert len(counts) > 20
    # No top-N cut: every value, each the total of a search filtered to it.
    facet = next(f for f in service.search(SearchRequest(facet_size=500, page_size=1)).facets
                 if f.name == "official")
    assert counts == {v.value: v.count for v in facet.values}
    for name in list(counts)[:10]:
        assert counts[name] == service.search(SearchRequest(
            filters={"official": (name,)}, page_size=1, with_facets=False)).total
    with pytest.raises(ValueError):
        service.value_counts("no-such-facet")


def test_officials_page_lists_exactly_the_people_named(client, crawled_app) -> None:
    counts = crawled_app.extensions["search"].value_counts("official")
    html = client.get("/officials").get_data(as_text=True)
    listed = dict(re.findall(r'<a href="/officials/[^"]+">([^<]+)</a>\s*<span class="n">(\d+)',
                             html))
    people = extractor_for(str(crawled_app.config["DATA_DIR"])).people
    officials = {name: str(n) for name, n in counts.items()
                 if (person := people.lookup(name)) and (person.roles or person.found)}
    assert listed == officials
    assert "0" not in listed.values()
    # Named people the registry gives no office are not officials, and not listed.
    no_office = {name for name in counts if name not in officials}
    assert no_office and not no_office & set(listed)


def test_country_page_names_its_officials_with_counts_and_no_one_unnamed(
        client, crawled_app) -> None:
    counts = crawled_app.extensions["search"].value_counts("official")
    html = client.get("/countries/RS").get_data(as_text=True)
    section = html.split("<h2>Its officials</h2>")[1].split("</ul>")[0]
    shown = re.findall(r'>([^<]+)</a> <span class="n">(\d+)</span>', section)
    assert ("Ivica Dačić", str(counts["Ivica Dačić"])) in shown
    assert all(int(n) == counts[name] > 0 for name, n in shown)
    assert [int(n) for _, n in shown] == sorted((int(n) for _, n in shown), reverse=True)
