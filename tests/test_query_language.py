"""Every construct of the query language, the cursor and the exports, on a synthetic archive."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from indexer.archive import Archive
from indexer.build import update_index
from indexer.errors import QueryError
from indexer.search import SearchRequest, SearchService
from scrapers.record import Communique, communique_id
from webapp import create_app
from webapp.params import SEARCH_PARAMS

DOCS = [
    # (title, body, officials, countries, doc type, language, date)
    ("Consultations in Moscow", "Ambassador Branimir Filipovic discussed terrorism with Russia.",
     ("Branimir Filipović",), ("Serbia", "Russia"), "statement", "en", date(2018, 7, 6)),
    ("Dačić u Moskvi", "Ministar Ivica Dačić razgovarao je o sankcijama i o embargo merama.",
     ("Ivica Dačić",), ("Serbia", "Russia"), "news", "sr-Latn", date(2018, 7, 20)),
    ("Sanctions regime extended", "The embargo on arms remains; terrorist financing discussed.",
     (), ("Russia",), "press release", "en", date(2019, 3, 1)),
    ("Serbia and Russia sign agreement", "Serbia and Russia signed a cooperation agreement.",
     ("Ivica Dačić", "Sergey Lavrov"), ("Serbia", "Russia"), "joint statement", "en",
     date(2020, 5, 5)),
    ("Kosovo statement", "Serbia will never recognise the unilateral declaration of Kosovo.",
     ("Marko Đurić",), ("Serbia", "Kosovo"), "statement", "en", date(2024, 6, 1)),
    ("Russia far from Serbia", "Russia is mentioned first, and many words later Serbia.",
     (), ("Russia", "Serbia"), "news", "en", date(2021, 1, 1)),
    ("Long report", " ".join(f"Paragraph {i} mentions Belgrade among many other words that fill"
                             " the line." for i in range(8)), (), (), "news", "en",
     date(2022, 2, 2)),
]


def record(n: int, title: str, body: str, officials=(), countries=(), doc_type="news",
           language="en", published=None) -> Communique:
    url = f"https://example.org/communique/{n}"
    return Communique(
        id=communique_id(url), url=url, source_id="serbia-mfa" if n % 2 else "russia-mid",
        ministry_country="RS" if n % 2 else "RU", language=language, title=title,
        published=published, body=body, doc_type=doc_type,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC), officials=tuple(officials),
        countries=tuple(countries),
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    data_dir = tmp_path_factory.mktemp("ql")
    with Archive(data_dir) as archive:
        archive.store_many([record(n, *doc) for n, doc in enumerate(DOCS)])
        update_index(archive, data_dir)
    return SearchService(data_dir)


def titles(service: SearchService, q: str, **kwargs) -> set[str]:
    return {hit.title for hit in service.search(SearchRequest(q=q, page_size=100,
                                                              **kwargs)).hits}


@pytest.mark.parametrize("query, expected", [
    ("embargo", {"Dačić u Moskvi", "Sanctions regime extended"}),
    ("Serbia Russia", {"Serbia and Russia sign agreement", "Russia far from Serbia"}),
    ('"serbia and russia"', {"Serbia and Russia sign agreement"}),
    ('"serbia russia"~2', {"Serbia and Russia sign agreement"}),
    ('"russia serbia"~12', {"Russia far from Serbia"}),
    ('"russia serbia"~2', set()),
    ("kosovo OR embargo", {"Kosovo statement", "Dačić u Moskvi", "Sanctions regime extended"}),
    ("serbia AND kosovo", {"Kosovo statement"}),
    ("embargo NOT arms", {"Dačić u Moskvi"}),
    ("embargo -arms", {"Dačić u Moskvi"}),
    ("(kosovo OR agreement) serbia", {"Kosovo statement", "Serbia and Russia sign agreement"}),
    ("filipovc~", {"Consultations in Moscow"}),
    ("terror*", {"Consultations in Moscow", "Sanctions regime extended"}),
    ("title:moscow", {"Consultations in Moscow"}),
    ("official:dacic", {"Dačić u Moskvi", "Serbia and Russia sign agreement"}),
    ('official:"Ivica Dačić" official:lavrov', {"Serbia and Russia sign agreement"}),
    ("country:kosovo", {"Kosovo statement"}),
    ("source:russia-mid embargo", {"Sanctions regime extended"}),
    ("source:serbia-mfa embargo", {"Dačić u Moskvi"}),
    ("lang:sr", {"Dačić u Moskvi"}),
    ("type:joint-statement", {"Serbia and Russia sign agreement"}),
    ("type:press-release", {"Sanctions regime extended"}),
    ("date:2018", {"Consultations in Moscow", "Dačić u Moskvi"}),
    ("date:2018-07 embargo", {"Dačić u Moskvi"}),
    ("embargo date:[2019-01-01 TO 2020-12-31]", {"Sanctions regime extended"}),
    ("russia date:[2019-01-01 TO 2020-12-31]", {"Serbia and Russia sign agreement"}),
    ("date:[2021-01-01 TO 2022-12-31]", {"Russia far from Serbia", "Long report"}),
    ("date:[2023-01-01 TO *]", {"Kosovo statement"}),
])
def test_query_construct(service: SearchService, query: str, expected: set[str]) -> None:
    assert titles(service, query) == expected


def test_names_meet_across_scripts_and_cases_unless_exact(service: SearchService) -> None:
    for spelling in ("Dacic", "Dačić", "Дачић", "Dačića", "Дачићем"):
        assert titles(service, spelling) == {"Dačić u Moskvi"}, spelling
    assert titles(service, "Dačić", exact=True) == {"Dačić u Moskvi"}
    assert titles(service, "Dacic", exact=True) == set()
    assert titles(service, "Дачић", exact=True) == set()
    assert titles(service, "exact:Dačić") == {"Dačić u Moskvi"}
    assert titles(service, "exact:Dacic") == set()


def test_query_dates_and_parameters_intersect(service: SearchService) -> None:
    assert titles(service, "date:2018", date_from=date(2018, 7, 10)) == {"Dačić u Moskvi"}


def test_title_match_outranks_passing_mention(service: SearchService) -> None:
    hits = service.search(SearchRequest(q="kosovo")).hits
    assert hits[0].title == "Kosovo statement"


def test_snippet_counts_further_matches(service: SearchService) -> None:
    hit = service.search(SearchRequest(q="belgrade")).hits[0]
    assert hit.title == "Long report"
    assert hit.more_matches > 0
    assert hit.snippet_html.count("<mark") + hit.more_matches == 8


@pytest.mark.parametrize("query, where", [
    ('serbia "kosovo', "position 8"),
    ("(serbia OR kosovo", "position 1"),
    ("serbia) kosovo", "position 7"),
    ("author:dacic", "position 1"),
    ("date:2018-13", "not a date"),
    ("date:yesterday", "position 1"),
    ("te*", "at least 3 letters"),
])
def test_errors_say_where(service: SearchService, query: str, where: str) -> None:
    with pytest.raises(QueryError) as caught:
        service.search(SearchRequest(q=query))
    assert where in caught.value.message


# -- the cursor and the exports walk everything ----------------------------------------

TOTAL = 1234


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory):
    """A synthetic archive of more than 1,000 communiqués, with many dates shared."""
    data_dir = tmp_path_factory.mktemp("big")
    rng = random.Random(7)
    words = ["treaty", "embassy", "consular", "sanctions", "summit", "delegation", "visa"]
    records = [
        record(n, f"Communiqué {n} on {rng.choice(words)}",
               " ".join(rng.choice(words) for _ in range(30)) + " diplomacy",
               doc_type=rng.choice(["statement", "news"]),
               published=None if n % 97 == 0 else date(2000, 1, 1) + timedelta(
                   days=rng.randrange(0, 400)))  # many documents per day: ties
        for n in range(TOTAL)
    ]
    with Archive(data_dir) as archive:
        archive.store_many(records)
        update_index(archive, data_dir)
    return create_app({"TESTING": True, "DATA_DIR": str(data_dir)}).test_client()


@pytest.mark.parametrize("params", [
    {"q": "diplomacy", "sort": "relevance"},
    {"q": "diplomacy", "sort": "newest"},
    {"sort": "oldest"},
    {"q": "treaty", "type": "statement", "sort": "newest"},
])
def test_cursor_walks_to_the_end_without_repeats_or_gaps(big, params: dict) -> None:
    first = big.get("/api/search", query_string={**params, "size": 100}).get_json()
    total, seen, page = first["total"], [], first
    while True:
        seen += [hit["id"] for hit in page["results"]]
        if page["next"] is None:
            break
        page = big.get("/api/search", query_string={**params, "size": 100,
                                                    "cursor": page["next"]}).get_json()
    assert len(seen) == len(set(seen)) == total
    if "q" not in params or params == {"q": "diplomacy", "sort": "relevance"} or \
            params.get("q") == "diplomacy":
        assert total == TOTAL
    # The same order as plain paging shows.
    paged = []
    for number in range(1, first["page_count"] + 1):
        paged += [h["id"] for h in big.get("/api/search", query_string={
            **params, "size": 100, "page": number}).get_json()["results"]]
    assert paged == seen


def test_cursor_of_another_search_is_refused(big) -> None:
    token = big.get("/api/search?q=diplomacy&size=5").get_json()["next"]
    response = big.get(f"/api/search?q=treaty&size=5&cursor={token}")
    assert response.status_code == 400
    assert "different search" in response.get_json()["error"]["message"]
    assert big.get("/api/search?cursor=garbage").status_code == 400


def test_exports_have_every_row(big) -> None:
    expected = big.get("/api/search?q=diplomacy&size=1").get_json()["total"]
    assert expected == TOTAL
    text = big.get("/api/export.csv?q=diplomacy").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == TOTAL and len({r["id"] for r in rows}) == TOTAL
    assert rows[0]["body"].endswith("diplomacy")
    lines = big.get("/api/export.jsonl?q=diplomacy&sort=oldest").get_data(as_text=True)
    objects = [json.loads(line) for line in lines.splitlines()]
    assert len(objects) == TOTAL
    dated = [o["published"] for o in objects if o["published"]]
    assert dated == sorted(dated)
    filtered = big.get("/api/export.jsonl?q=treaty&type=statement").get_data(as_text=True)
    count = big.get("/api/search?q=treaty&type=statement").get_json()["total"]
    assert len(filtered.splitlines()) == count


def test_export_of_a_bad_query_is_a_400_not_a_broken_stream(big) -> None:
    response = big.get('/api/export.csv?q="open')
    assert response.status_code == 400
    assert "unclosed quote" in response.get_json()["error"]["message"]


def test_openapi_describes_every_parameter(big) -> None:
    document = big.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    names = {p["name"] for p in document["paths"]["/api/search"]["get"]["parameters"]}
    # Every parameter the app reads (webapp/params.py declares them once) is described.
    assert set(SEARCH_PARAMS) == names
    assert {"q", "exact", "sort", "from", "to", "size", "page", "cursor", "facet_size", "source",
            "language", "type", "year", "month", "official", "country", "ministry_country",
            "official_op", "country_op", "event", "collapse"} <= names
    assert "/api/export.csv" in document["paths"]


def test_api_responses_are_cacheable_until_the_index_changes(big) -> None:
    first = big.get("/api/search?q=treaty")
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = big.get("/api/search?q=treaty", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_a_search_past_the_time_limit_is_stopped_with_a_message(big) -> None:
    data_dir = big.application.config["DATA_DIR"]
    impatient = create_app({"TESTING": True, "DATA_DIR": data_dir,
                            "SEARCH_TIME_LIMIT": 1e-6}).test_client()
    response = impatient.get("/api/search?q=diplomacy")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["type"] == "search_timeout" and "narrow" in error["message"]
    page = impatient.get("/?q=diplomacy")
    assert page.status_code == 503 and "Traceback" not in page.get_data(as_text=True)
    assert big.get("/api/search?q=diplomacy").status_code == 200  # the normal limit
