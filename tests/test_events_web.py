"""Events end to end, over the crawled fixture sites: one Dačić–Lavrov meeting's Serbian
and Russian readouts side by side, search results marked as readouts of one event,
language versions collapsed by default and listed on request, the API's shapes, and the
document, official and country-pair pages' sections."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import GOLDEN, local_url, run_cli

from indexer.archive import Archive
from scrapers.record import canonical_url, communique_id
from scrapers.sources import load_sources

EVENTS = json.loads((GOLDEN / "events" / "events.json").read_text(encoding="utf-8"))
MOSCOW_2015 = "2015-02-17-ivica-dacic-sergey-lavrov"


def ids_of(crawled, urls: list[str]) -> set[str]:
    """The archive ids of golden URLs (crawled from the loopback copies)."""
    _, base_urls = crawled
    aliases = {k: v for s in load_sources().values() for k, v in s.host_aliases.items()}
    return {communique_id(canonical_url(local_url(u, base_urls), aliases)) for u in urls}


def event_of(client, communique: str) -> str:
    html = client.get(f"/communiques/{communique}").get_data(as_text=True)
    return re.search(r'href="/events/([a-z0-9-]+)"', html).group(1)


def test_the_dacic_lavrov_meeting_opens_side_by_side(client) -> None:
    listed = client.get("/api/events", query_string={
        "official": "Dacic", "with": "Лавров", "from": "2015-02-17", "to": "2015-02-17"})
    assert listed.status_code == 200
    events = listed.get_json()["events"]
    assert [e["id"] for e in events] == [MOSCOW_2015]
    assert events[0]["ministries"] == ["russia-mid", "serbia-mfa"]
    page = client.get(f"/events/{MOSCOW_2015}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    columns = re.findall(r'<section class="readout" id="readout-(\w+)" data-source="([\w-]+)"'
                         r' data-language="([\w-]+)"', html)
    # One column per text: the Serbian readout (its versions folded in) and the Russian.
    assert sorted(source for _, source, _ in columns) == ["russia-mid", "serbia-mfa"]
    assert "Minister Dačić holds talks with Minister Lavrov in Moscow" in html \
        or "Minister Dacic holds talks with Minister Lavrov in Moscow" in html
    assert "Foreign Minister Sergey Lavrov&#39;s talks with OSCE Chairperson" in html
    assert 'id="differences"' in html and "Also in:" in html
    every = client.get(f"/events/{MOSCOW_2015}?versions=all").get_data(as_text=True)
    languages = re.findall(r'<section class="readout" id="readout-\w+" data-source="[\w-]+"'
                           r' data-language="([\w-]+)"', every)
    assert sorted(languages) == ["en", "en", "en", "ru", "sr-Cyrl", "sr-Latn"]


def test_the_event_api_puts_readouts_and_their_differences_side_by_side(client) -> None:
    data = client.get(f"/api/events/{MOSCOW_2015}").get_json()
    assert data["id"] == MOSCOW_2015
    assert {p["id"] for p in data["participants"]} == {"ivica-dacic", "sergey-lavrov"}
    assert data["countries"] == ["RS", "RU"]
    assert data["place"] == "Moscow" and data["date"] == "2015-02-17"
    assert data["readout_count"] == 2 and data["document_count"] == 6
    assert data["html_url"].endswith(f"/events/{MOSCOW_2015}")
    by_source = {r["source"]: r for r in data["readouts"]}
    serbian, russian = by_source["serbia-mfa"], by_source["russia-mid"]
    for readout in (serbian, russian):
        assert {"ministry", "language", "date", "title", "body", "officials", "topics",
                "named_only_here", "topics_only_here", "versions", "html_url"} <= set(readout)
        assert readout["date"] == "2015-02-17" and readout["body"]
    assert sorted(v["language"] for v in serbian["versions"]) == ["en", "sr-Cyrl", "sr-Latn"]
    assert [v["language"] for v in russian["versions"]] == ["ru"] \
        or [v["language"] for v in russian["versions"]] == ["en"]
    # What the two governments raise differently: EU membership, energy and the anniversary.
    assert "European Union" in serbian["topics_only_here"]
    assert "energy" in russian["topics_only_here"]
    assert {"Kosovo", "Ukraine"} <= set(serbian["topics"]) & set(russian["topics"])
    shared = {row["value"] for row in data["differences"]["topics"] if row["all"]}
    assert "Kosovo" in shared and "energy" not in shared
    assert client.get("/api/events/1999-01-01-no-one").status_code == 404


def test_a_search_says_which_results_are_readouts_of_one_event(client) -> None:
    data = client.get("/api/search", query_string={"q": "Dačić Lavrov", "size": 50}).get_json()
    assert data["query"]["collapse"] is True
    marked = [h for h in data["results"] if h["event"] and h["event"]["id"] == MOSCOW_2015]
    assert len(marked) == 2  # the Serbian and the Russian readouts, one result each
    assert sorted(h["event"]["position"] for h in marked) == [1, 2]
    assert all(h["event"]["readouts"] == 2 for h in marked)
    assert {h["source"] for h in marked} == {"serbia-mfa", "russia-mid"}
    assert all(h["event"]["html_url"].endswith(f"/events/{MOSCOW_2015}") for h in marked)
    page = client.get("/?q=Dačić Lavrov").get_data(as_text=True)
    assert f'href="/events/{MOSCOW_2015}"' in page and "of 2 readouts" in page


def test_language_versions_collapse_by_default_and_expand_on_request(client) -> None:
    query = {"q": "Lavrov", "size": 100}
    folded = client.get("/api/search", query_string=query).get_json()
    every = client.get("/api/search", query_string={**query, "collapse": 0}).get_json()
    assert every["query"]["collapse"] is False and every["collapsed_versions"] == 0
    assert folded["collapsed_versions"] > 0
    assert every["total"] == folded["total"] + folded["collapsed_versions"]
    shown = {h["id"] for h in folded["results"]}
    hidden = {v["id"] for h in folded["results"] for v in h["versions"]}
    assert not shown & hidden  # one result per text
    assert {h["id"] for h in every["results"]} == shown | (hidden & {h["id"] for h in
                                                                    every["results"]})
    serbian = next(h for h in folded["results"] if h["event"] and h["event"]["id"] == MOSCOW_2015
                   and h["source"] == "serbia-mfa")
    assert {v["relation"] for v in serbian["versions"]} >= {"language"}
    assert len(serbian["versions"]) == 3
    # The page says so, and links the other way.
    page = client.get("/?q=Lavrov").get_data(as_text=True)
    assert 'id="versions-note"' in page and "collapse=0" in page
    # Facets count what ticking a value lists: texts, a text once for each language one of
    # its versions is in; without collapsing, communiqués.
    languages = {v["value"]: v["count"] for v in folded["facets"]["language"]["values"]}
    for language, count in languages.items():
        ticked = client.get("/api/search", query_string={**query, "language": language})
        assert ticked.get_json()["total"] == count, language
    assert sum(languages.values()) > folded["total"]
    # Asking for languages keeps each one's versions: the counts add up.
    both = client.get("/api/search", query_string={**query, "language": ["en", "ru"]})
    assert both.get_json()["total"] == languages["en"] + languages["ru"]
    assert sum(v["count"] for v in every["facets"]["language"]["values"]) == every["total"]
    # Exports and the command line count the same way.
    exported = client.get("/api/export.jsonl", query_string={"q": "Lavrov"}).get_data(
        as_text=True).splitlines()
    assert len(exported) == folded["total"]


def test_the_command_line_collapses_and_lists_every_version_on_request(crawled_app) -> None:
    folded = json.loads(run_cli(crawled_app, "search", "Lavrov", "--json").output)
    every = json.loads(run_cli(crawled_app, "search", "Lavrov", "--json",
                               "--all-versions").output)
    assert every["total"] == folded["total"] + folded["collapsed_versions"]
    readouts = json.loads(run_cli(crawled_app, "search", "--event", MOSCOW_2015, "--json",
                                  "--all-versions").output)
    assert readouts["total"] == 6


def test_the_event_filter_finds_every_readout(client, crawled) -> None:
    golden = next(e for e in EVENTS["events"] if e["name"].startswith("Dačić and Lavrov, talks"))
    expected = ids_of(crawled, golden["readouts"])
    every = client.get("/api/search", query_string={"event": MOSCOW_2015, "collapse": 0,
                                                    "size": 50}).get_json()
    assert {h["id"] for h in every["results"]} == expected
    folded = client.get("/api/search", query_string={"event": MOSCOW_2015}).get_json()
    assert folded["total"] == 2 and folded["collapsed_versions"] == 4
    clause = client.get("/api/search", query_string={
        "q": f"event:{MOSCOW_2015} Moscow", "collapse": 0, "size": 50}).get_json()
    assert clause["total"] >= 1 and {h["id"] for h in clause["results"]} <= expected
    assert clause["query"]["filters"]["event"] == [MOSCOW_2015]
    bad = client.get("/api/search?event=Not An Id")
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "event"
    assert client.get("/api/search?event=2000-01-01-nobody").get_json()["total"] == 0


def test_every_golden_event_is_one_event_in_the_index(client, crawled) -> None:
    for golden in EVENTS["events"]:
        expected = ids_of(crawled, golden["readouts"])
        events = {event_of(client, communique) for communique in expected}
        assert len(events) == 1, golden["name"]
        data = client.get(f"/api/events/{events.pop()}?versions=all").get_json()
        assert {r["id"] for r in data["readouts"]} == expected, golden["name"]
        ministries = {r["source"] for r in data["readouts"]}
        assert len(ministries) >= 2, golden["name"]


def test_the_document_page_shows_also_reported_by_and_also_in(client, crawled) -> None:
    russian = ids_of(crawled, ["https://www.mid.ru/ru/foreign_policy/news/1178233/"]).pop()
    html = client.get(f"/communiques/{russian}").get_data(as_text=True)
    assert 'id="also-in"' in html and 'lang="en"' in html
    section = re.search(r'<section class="also-reported".*?</section>', html, re.S).group(0)
    assert f'href="/events/{MOSCOW_2015}"' in section
    assert "Serbian MFA" in section or "serbia-mfa" in section


def test_the_official_page_lists_whom_they_met_apart_from_mentions(client) -> None:
    html = client.get("/officials/ivica-dacic").get_data(as_text=True)
    met = re.search(r'<section id="met".*?</section>', html, re.S).group(0)
    assert "Sergey Lavrov" in met
    link = re.search(r'href="(/events\?official=ivica-dacic&amp;with=sergey-lavrov)"', met)
    assert link is not None
    listed = client.get(link.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200 and f'/events/{MOSCOW_2015}' in listed.get_data(
        as_text=True)
    api = client.get("/api/events?official=ivica-dacic&with=sergey-lavrov").get_json()
    count = re.search(r'with=sergey-lavrov" title="The events">(\d+) event', met)
    assert int(count.group(1)) == api["total"]
    assert 'id="met-with"' in html  # "mentioned with" stays as it was


def test_the_country_pair_page_lists_the_pair_s_events(client) -> None:
    html = client.get("/countries/RS/RU").get_data(as_text=True)
    section = re.search(r'<section id="pair-events".*?</section>', html, re.S).group(0)
    assert f'/events/{MOSCOW_2015}' in section
    assert "/events/2026-10-28-marko-djuric-sergey-lavrov" in section
    days = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">', section)
    assert days == sorted(days, reverse=True)  # over time, newest first
    pair = client.get("/api/events?country=RS&country=Russia").get_json()
    assert pair["total"] >= 2
    assert all(set(e["countries"]) == {"RS", "RU"} for e in pair["events"])


def test_events_are_described_in_openapi(client) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert {"/api/events", "/api/events/{id}"} <= set(document["paths"])
    hit = document["components"]["schemas"]["Hit"]["properties"]
    assert {"event", "versions"} <= set(hit)
    names = {p["name"] for p in document["paths"]["/api/search"]["get"]["parameters"]}
    assert {"event", "collapse"} <= names


def test_the_archive_holds_events_as_derived_data(crawled_app) -> None:
    with Archive(Path(crawled_app.config["DATA_DIR"]), readonly=True) as archive:
        assert archive.event_rows(ids=[MOSCOW_2015])
        rows = archive.event_rows(participant="ivica-dacic", with_participant="sergey-lavrov")
        assert MOSCOW_2015 in {r[0] for r in rows}
        assert len(archive.version_rows()) >= 10


@pytest.mark.parametrize("path", ["/api/events?size=0", "/api/events?country=RS&country=RU"
                                  "&country=CN", "/api/events?from=2020&to=2019",
                                  f"/events/{MOSCOW_2015}?versions=some"])
def test_malformed_event_parameters_are_400(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400, response.get_data(as_text=True)
