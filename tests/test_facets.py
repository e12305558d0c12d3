"""Facet counts over the fixture corpus, checked against counts computed from the golden
records alone (not from the index)."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from conftest import GOLDEN, load_golden
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.aggregations import most_frequent
from indexer.folding import fold

CORPUS = [
    {**entry, "source": path.stem} for path in sorted(GOLDEN.glob("*.json"))
    for entry in load_golden(path.stem)
]


def term(entry: dict, facet: str) -> str:
    if facet == "language":
        return entry["language"].lower()
    if facet == "type":
        return entry["doc_type"].replace(" ", "-")
    if facet == "year":
        return entry["published"][:4]
    if facet == "month":
        return entry["published"][:7]
    return entry[facet]


def expected_counts(facet: str, keep) -> dict[str, int]:
    return dict(Counter(term(e, facet) for e in CORPUS if keep(e)))


def api(client, **params) -> dict:
    # Every communiqué, as the golden records count them (not one result per text).
    response = client.get("/api/search", query_string={"facet_size": 500, "collapse": 0,
                                                       **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def counts(data: dict, facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in data["facets"][facet]["values"]}


def everything(entry: dict) -> bool:
    return True


@pytest.mark.parametrize("facet", ["source", "language", "type", "year"])
def test_counts_without_filters(client, facet: str) -> None:
    data = api(client)
    assert data["total"] == len(CORPUS)
    assert counts(data, facet) == expected_counts(facet, everything)


def test_single_select_counts_other_facets_and_keeps_its_own(client) -> None:
    data = api(client, language="en")
    english = [e for e in CORPUS if e["language"] == "en"]
    assert data["total"] == len(english)
    assert counts(data, "source") == expected_counts("source", lambda e: e["language"] == "en")
    assert counts(data, "type") == expected_counts("type", lambda e: e["language"] == "en")
    # The language facet counts as if its own selection were not applied.
    assert counts(data, "language") == expected_counts("language", everything)
    assert [v["value"] for v in data["facets"]["language"]["values"] if v["selected"]] == ["en"]


def test_multi_select_is_or_within_and_across_facets(client) -> None:
    languages, types = {"en", "ru"}, {"statement", "news"}
    data = api(client, language=sorted(languages), type=sorted(types))

    def in_languages(e: dict) -> bool:
        return e["language"] in languages

    def in_types(e: dict) -> bool:
        return e["doc_type"] in types

    assert data["total"] == sum(1 for e in CORPUS if in_languages(e) and in_types(e))
    assert counts(data, "type") == expected_counts("type", in_languages)
    assert counts(data, "language") == expected_counts("language", in_types)
    assert counts(data, "source") == expected_counts(
        "source", lambda e: in_languages(e) and in_types(e))
    returned = {hit["language"] for hit in api(client, language=sorted(languages),
                                               type=sorted(types), size=100)["results"]}
    assert returned <= {"en", "ru"}


def test_counts_with_a_text_query(client) -> None:
    def mentions_serbia(e: dict) -> bool:
        # "Serbia" with any of the case endings search ignores (Сербии, Serbiu ...).
        words = set(re.findall(r"\w+", fold(e["title"] + " " + e["body"])))
        return any(re.fullmatch(r"serbi(a|i|e|u|o|y|om|em|im|ym|oj|ej|ama|ima)?", w)
                   for w in words)

    data = api(client, q="Serbia", type="statement")
    assert data["total"] == sum(1 for e in CORPUS
                                if mentions_serbia(e) and e["doc_type"] == "statement")
    assert counts(data, "type") == expected_counts("type", mentions_serbia)
    assert counts(data, "source") == expected_counts(
        "source", lambda e: mentions_serbia(e) and e["doc_type"] == "statement")


def test_year_drills_down_to_months(client) -> None:
    assert "month" not in api(client)["facets"]
    data = api(client, year="2018")
    assert data["total"] == sum(1 for e in CORPUS if e["published"].startswith("2018"))
    assert counts(data, "month") == expected_counts(
        "month", lambda e: e["published"].startswith("2018"))
    july = api(client, year="2018", month="2018-07")
    assert july["total"] == sum(1 for e in CORPUS if e["published"].startswith("2018-07"))


def test_top_n_and_more(client) -> None:
    data = api(client, facet_size=2)
    year = data["facets"]["year"]
    assert len(year["values"]) == 2 and year["more"] is True
    full = counts(api(client), "source")
    top_two = sorted(full.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
    assert [(v["value"], v["count"]) for v in data["facets"]["source"]["values"]] == top_two


def test_histogram_counts_by_year_and_by_month(client) -> None:
    data = api(client, source="serbia-mfa")
    histogram = data["histogram"]
    assert histogram["interval"] == "year"
    years = {b["key"]: b["count"] for b in histogram["buckets"]}
    assert {k: v for k, v in years.items() if v} == expected_counts(
        "year", lambda e: e["source"] == "serbia-mfa")
    keys = [b["key"] for b in histogram["buckets"]]
    assert keys == [str(y) for y in range(int(keys[0]), int(keys[-1]) + 1)]  # no gaps
    short = api(client, **{"from": "2018-01-01", "to": "2018-12-31"})["histogram"]
    assert short["interval"] == "month" and len(short["buckets"]) == 12
    assert sum(b["count"] for b in short["buckets"]) == sum(
        1 for e in CORPUS if e["published"].startswith("2018"))


def test_command_line_search_offers_the_same_filters(crawled_app) -> None:
    import json

    from conftest import run_cli

    english_statements = [e for e in CORPUS if e["language"] == "en"
                          and e["doc_type"] in ("statement", "readout")]
    result = run_cli(crawled_app, "search", "--language", "en", "--type", "statement",
                     "--type", "readout", "--json", "--size", "5")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == len(english_statements)
    assert counts(data, "type") == expected_counts("type", lambda e: e["language"] == "en") \
        or data["facets"]["type"]["more"]
    exported = run_cli(crawled_app, "search", "--language", "en", "--type", "statement",
                       "--type", "readout", "--export", "jsonl")
    assert len(exported.output.splitlines()) == len(english_statements)
    walked, cursor = [], None
    while True:
        args = ["search", "--language", "en", "--size", "7", "--json", "--all-versions"]
        page = json.loads(run_cli(crawled_app, *args, *(["--cursor", cursor] if cursor else
                                                         [])).output)
        walked += [hit["id"] for hit in page["results"]]
        cursor = page["next"]
        if not cursor:
            break
    assert len(walked) == len(set(walked)) == sum(1 for e in CORPUS if e["language"] == "en")


def _ids(client, **params) -> set[str]:
    found, cursor = set(), None
    while True:
        data = api(client, size=100, **params, **({"cursor": cursor} if cursor else {}))
        found |= {hit["id"] for hit in data["results"]}
        if not (cursor := data["next"]):
            return found


@pytest.mark.parametrize(("facet", "values"), [
    ("official", ["Ivica Dačić", "Sergey Lavrov"]),
    ("official", ["Ивица Дачић", "Lavrov", "Aleksandar Vucic"]),  # any spelling, three at once
    ("country", ["Serbia", "Russia"]),
])
def test_all_of_combines_values_with_and_and_counts_among_them(client, facet: str,
                                                               values: list[str]) -> None:
    each = [_ids(client, **{facet: value}) for value in values]
    both = set.intersection(*each)
    either = set.union(*each)
    assert 0 < len(both) < len(either)
    data = api(client, **{facet: values, f"{facet}_op": "and"})
    assert data["query"][f"{facet}_op"] == "and"
    assert data["total"] == len(both)
    assert _ids(client, **{facet: values, f"{facet}_op": "and"}) == both
    assert api(client, **{facet: values})["total"] == len(either)  # "or" stays the default
    # Counts in AND mode: how many of these communiqués also name each other value.
    hits = api(client, size=100, **{facet: values, f"{facet}_op": "and"})["results"]
    field = {"official": "officials", "country": "countries"}[facet]
    expected = Counter(name for hit in hits for name in hit[field])
    assert counts(data, facet) == dict(expected)
    selected = [v for v in data["facets"][facet]["values"] if v["selected"]]
    assert len(selected) == len(values) and all(v["count"] == len(both) for v in selected)


def test_all_of_on_the_page_and_the_command_line(client, crawled_app) -> None:
    from conftest import run_cli

    page = client.get("/?official=Ivica Dačić&official=Sergey Lavrov&official_op=and&collapse=0")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="official_op" value="and" checked' in html
    both = api(client, official=["Ivica Dačić", "Sergey Lavrov"], official_op="and")["total"]
    assert f"{both} communiqué" in html
    result = run_cli(crawled_app, "search", "--official", "Ivica Dačić", "--official",
                     "Sergey Lavrov", "--official-op", "and", "--json", "--all-versions")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == both
    bad = client.get("/api/search?official=x&official_op=both")
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "official_op"
    assert client.get("/api/search?source=x&source_op=and").status_code == 200  # unknown: ignored


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=3), st.integers(1, 6), max_size=40),
       st.integers(1, 45))
def test_most_frequent_values_are_the_sorted_counts_first(counts: dict[str, int],
                                                          size: int) -> None:
    # Many ties at the cut (counts 1-6): the top keeps the smallest values among them.
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    assert most_frequent(counts, size) == expected


def _expected_histogram(days: list, date_from, date_to) -> tuple[str, list[tuple[str, int]]]:
    """The histogram worked out from the documents' days alone: months when the span
    (with the asked-for range) is 36 months or fewer, else years (no span here needs
    decades)."""
    first, last = min(days), max(days)
    first = min(first, date_from) if date_from else first
    last = max(last, date_to) if date_to else last
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months <= 36:
        keys = []
        year, month = first.year, first.month
        for _ in range(months):
            keys.append(f"{year}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        counted = Counter(f"{d.year}-{d.month:02d}" for d in days)
        return "month", [(k, counted[k]) for k in keys]
    counted = Counter(str(d.year) for d in days)
    return "year", [(str(y), counted[str(y)]) for y in range(first.year, last.year + 1)]


def test_the_histogram_is_what_the_documents_days_give(crawled_app) -> None:
    """Random sets of the fixtures' communiqués and asked-for ranges, across the
    boundary of 36 months: the interval, the bars and their counts."""
    import random
    from datetime import date

    import numpy as np

    from indexer.aggregations import histogram
    from indexer.search import SearchRequest

    service = crawled_app.extensions["search"]
    tables = service.generations.current()[0].tables
    dated = np.flatnonzero(tables.dated & tables.live)
    assert len(dated) > 20
    rng = random.Random(11)
    seen = set()
    for _ in range(300):
        chosen = rng.sample(dated.tolist(), rng.choice([1, 2, 3, 8]))
        mask = np.zeros(tables.size, dtype=bool)
        mask[chosen] = True
        days = [tables.day(d) for d in chosen]
        date_from = date_to = None
        if rng.random() < 0.3:
            date_from = date(rng.randint(2005, 2025), rng.randint(1, 12), 1)
        if rng.random() < 0.3:
            date_to = date(rng.randint(2005, 2026), rng.randint(1, 12), 28)
        if date_from and date_to and date_from > date_to:
            date_from, date_to = date_to, date_from
        request = SearchRequest(date_from=date_from, date_to=date_to)
        bars, interval = histogram(tables, mask, request)
        expected_interval, expected_bars = _expected_histogram(days, date_from, date_to)
        assert interval == expected_interval
        assert [(b.key, b.count) for b in bars] == expected_bars
        seen.add(interval)
    assert seen == {"month", "year"}


def _pairs(runs: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """A multi-valued facet's (documents, values) pairs, a run of one value after
    another, as a segment's posting lists give them: each run's documents ascending,
    out of 40."""
    docs: list[int] = []
    values: list[int] = []
    for value, length in runs:
        picked = sorted({(value * 7 + k * 3) % 40 for k in range(length)})
        docs += picked
        values += [value] * len(picked)
    return docs, values


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6)), max_size=12),
       masked=st.lists(st.booleans(), min_size=40, max_size=40),
       run_pairs=st.sampled_from([1, 2, 3, 255]))
def test_multi_valued_counts_are_the_pairs_counted_one_by_one(runs, masked,
                                                              run_pairs) -> None:
    """A multi-valued facet's pairs come in runs of one value (a posting list each), cut
    into runs of at most RUN_PAIRS; the counts summed per run are the masked pairs
    counted one by one."""
    import numpy as np

    from indexer import facets
    from indexer.facets import _Facet, _ungrouped_counts

    docs, values = _pairs(runs)
    table = _Facet([f"v{n}" for n in range(6)], {}, np.array(docs, dtype=np.int64),
                   np.array(values, dtype=np.int64))
    mask = np.array(masked)
    expected = Counter(v for d, v in zip(docs, values, strict=True) if masked[d])
    kept = facets.RUN_PAIRS
    facets.RUN_PAIRS = run_pairs
    try:
        counts = _ungrouped_counts(table, True, mask)
        assert all(np.diff(table.runs()[0], append=len(docs)) <= run_pairs)
    finally:
        facets.RUN_PAIRS = kept
    assert counts.dtype == np.int64
    assert {n: int(c) for n, c in enumerate(counts) if c} == dict(expected)


def test_a_value_on_more_documents_than_a_byte_counts_is_counted_whole() -> None:
    """Runs are summed in bytes: a value on 1,000 documents of one segment, all matching,
    counts 1,000 (a run of 1,000 summed in a byte would give 232)."""
    import numpy as np

    from indexer.facets import COLUMN_INT, _Facet, _ungrouped_counts

    docs = np.concatenate([np.arange(1000), np.arange(0, 1000, 2)]).astype(COLUMN_INT)
    values = np.repeat(np.array([0, 1], dtype=COLUMN_INT), [1000, 500])
    table = _Facet(["a", "b"], {}, docs, values)
    counts = _ungrouped_counts(table, True, np.ones(1000, dtype=bool))
    assert counts.tolist() == [1000, 500]
    assert table.docs_of(np.array([True, False, False])).tolist() == list(range(1000))


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6)), max_size=12),
       chosen=st.sets(st.integers(0, 5)))
def test_a_selection_read_from_the_runs_is_the_pairs_read_one_by_one(runs, chosen) -> None:
    """Selecting values of a multi-valued facet reads only their runs' documents: the
    same documents as every pair with a chosen value."""
    import numpy as np

    from indexer.facets import COLUMN_INT, _Facet

    docs, values = _pairs(runs)
    table = _Facet([f"v{n}" for n in range(6)], {}, np.array(docs, dtype=COLUMN_INT),
                   np.array(values, dtype=COLUMN_INT))
    flags = np.zeros(7, dtype=bool)
    flags[list(chosen)] = True
    found = table.docs_of(flags)
    assert sorted(found.tolist()) == sorted(d for d, v in zip(docs, values, strict=True)
                                            if v in chosen)
