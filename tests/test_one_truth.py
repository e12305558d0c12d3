"""One truth: the officials and countries of every fixture record are the same on every
surface (search hit, document API, document page, CSV and JSONL exports, command line),
read from what indexing stored beside the record's version in the archive."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

from conftest import run_cli

from indexer.archive import Archive

SEED_TITLE = "Serbian-Russian consultations on security challenges and threats held in Moscow"


def _every_hit(client) -> dict[str, dict]:
    hits, cursor = {}, None
    while True:
        data = client.get("/api/search", query_string={
            "size": 100, "sort": "newest", "collapse": 0,
            **({"cursor": cursor} if cursor else {})}).get_json()
        hits.update({hit["id"]: hit for hit in data["results"]})
        if not (cursor := data["next"]):
            return hits


def _page_entities(html: str, kind: str) -> list[str]:
    match = re.search(rf'<dd class="{kind}">(.*?)</dd>', html, re.S)
    if not match:
        return []
    text = unescape(re.sub(r"<[^>]+>", "", match.group(1)))
    return [name.strip() for name in text.split(", ") if name.strip()]


def test_every_record_shows_the_same_entities_everywhere(client, crawled_app) -> None:
    hits = _every_hit(client)
    with Archive(crawled_app.config["DATA_DIR"], readonly=True) as archive:
        stored = archive.entities_of(list(hits))
        assert len(hits) == archive.count() == len(stored)  # indexing stored every one
    csv_rows = {row["id"]: row for row in csv.DictReader(io.StringIO(
        client.get("/api/export.csv?collapse=0").get_data(as_text=True)))}
    jsonl_rows = {row["id"]: row for row in map(json.loads, client.get(
        "/api/export.jsonl?collapse=0").get_data(as_text=True).splitlines())}
    cli_rows = {row["id"]: row for row in map(json.loads, run_cli(
        crawled_app, "search", "--all-versions", "--export", "jsonl").output.splitlines())}
    assert len(csv_rows) == len(jsonl_rows) == len(cli_rows) == len(hits)
    with_officials = 0
    for record_id, hit in hits.items():
        officials, countries = (list(values) for values in stored[record_id])
        with_officials += bool(officials)
        document = client.get(f"/api/communiques/{record_id}").get_json()
        page = client.get(f"/communiques/{record_id}").get_data(as_text=True)
        surfaces = {
            "search hit": (hit["officials"], hit["countries"]),
            "document API": (document["officials"], document["countries"]),
            "document page": (_page_entities(page, "officials"),
                              _page_entities(page, "countries")),
            "CSV": ([n for n in csv_rows[record_id]["officials"].split("; ") if n],
                    [n for n in csv_rows[record_id]["countries"].split("; ") if n]),
            "JSONL": (jsonl_rows[record_id]["officials"], jsonl_rows[record_id]["countries"]),
            "CLI export": (cli_rows[record_id]["officials"], cli_rows[record_id]["countries"]),
        }
        for surface, values in surfaces.items():
            assert values == (officials, countries), (surface, hit["title"])
        # Site tags are shown in the registry's spelling, never with honorifics.
        assert not any(re.search(r"\b(Rt Hon|MP)\b", name) for name in officials), officials
    assert with_officials > len(hits) * 0.6  # entities are actually there to compare


def test_the_seed_communique_lists_its_officials_in_the_api_and_the_export(client) -> None:
    hit = next(h for h in _every_hit(client).values() if h["title"] == SEED_TITLE)
    expected = {"Branimir Filipović", "Ilya Rogachev", "Oleg Syromolotov"}
    assert expected <= set(client.get(f"/api/communiques/{hit['id']}").get_json()["officials"])
    rows = csv.DictReader(io.StringIO(client.get(
        "/api/export.csv", query_string={"q": f'"{SEED_TITLE}"'}).get_data(as_text=True)))
    row = next(r for r in rows if r["id"] == hit["id"])
    assert expected <= set(row["officials"].split("; "))


def test_govuk_tags_are_in_the_registrys_spelling_everywhere(client) -> None:
    data = client.get("/api/search", query_string={"source": "uk-fcdo", "size": 100}).get_json()
    names = {name for hit in data["results"] for name in hit["officials"]}
    assert "Dominic Raab" in names
    assert not any("Rt Hon" in name or name.endswith(" MP") for name in names)
    facet = {v["value"] for v in data["facets"]["official"]["values"]}
    assert not any("Rt Hon" in name for name in facet)
