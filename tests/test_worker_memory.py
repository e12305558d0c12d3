"""What a web worker keeps in memory, made smaller without changing any answer
(issue 18: workers of at most 150 MB at 100,000 communiqués)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.events.collapse import VersionTables
from indexer.facets import MappedIds

IDS = st.text(alphabet="abcé0Д", min_size=0, max_size=6)


def reference_tables(ids: list[str], live: np.ndarray,
                     memberships: list[tuple[str, str, int]]) -> tuple[np.ndarray, np.ndarray,
                                                                        dict[str, int]]:
    """The version tables as they were built before: a dict of every live id (a later
    docnum replaces an earlier one with the same id)."""
    docnum: dict[str, int] = {}
    for number in np.nonzero(live)[0].tolist():
        docnum[ids[number]] = number
    group = np.full(len(ids), -1, dtype=np.int64)
    rank = np.zeros(len(ids), dtype=np.int64)
    numbers: dict[str, int] = {}
    for communique_id, group_id, position in memberships:
        member = docnum.get(communique_id)
        if member is not None:
            group[member] = numbers.setdefault(group_id, len(numbers))
            rank[member] = position
    return group, rank, docnum


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(IDS, st.booleans()), max_size=30),
       st.lists(st.tuples(IDS, st.sampled_from(["g1", "g2", "g3"]),
                          st.integers(0, 3)), max_size=30),
       st.lists(IDS, max_size=8), st.booleans())
def test_version_tables_find_ids_as_a_dict_of_every_id_did(
        documents: list[tuple[str, bool]], memberships: list[tuple[str, str, int]],
        asked: list[str], mapped: bool) -> None:
    # Duplicate ids (an updated communiqué's deleted and live documents), deleted
    # documents, ids of different lengths and scripts, members that are no document.
    ids = [i for i, _ in documents]
    live = np.array([alive for _, alive in documents], dtype=bool)
    read = MappedIds(np.array([i.encode() for i in ids], dtype=bytes)) if mapped and ids \
        else ids
    # Few ids are found one binary search each, many (past 64) together: both ways.
    for members in (memberships, memberships + [(f"none{n}", "g9", 0) for n in range(70)]):
        group, rank, docnum = reference_tables(ids, live, members)
        # With the generation's id ranks (FacetTables.id_rank), the ids are not sorted again.
        id_rank = np.empty(len(ids), dtype=np.int32)
        id_rank[np.argsort(np.array(ids, dtype=str), kind="stable")] = np.arange(len(ids))
        for ranks in (None, id_rank):
            tables = VersionTables(read, live, members, ranks)  # type: ignore[arg-type]
            assert tables.group.tolist() == group.tolist()
            assert tables.rank.tolist() == rank.tolist()
            for wanted in (asked, (asked + ids) * 3 + ["none"] * 65):
                assert tables.docnums(wanted).tolist() == \
                    [docnum[i] for i in wanted if i in docnum]


def test_version_tables_read_the_generation_s_mapped_ids_without_a_copy() -> None:
    encoded = np.array([b"b", b"a", b"c"])
    tables = VersionTables(MappedIds(encoded), np.ones(3, dtype=bool),  # type: ignore[arg-type]
                           [("a", "g", 0), ("c", "g", 1)])
    assert tables._ids is encoded
    assert tables.group.tolist() == [-1, 0, 0] and tables.rank.tolist() == [0, 0, 1]
    assert tables.docnums(["c", "zz", "b"]).tolist() == [2, 0]


def test_releasing_loading_memory_empties_babel_s_and_the_folding_caches() -> None:
    """babel's parsed locales and the folded words are caches: emptied, they are
    computed again, the same."""
    from babel import Locale, localedata

    from indexer.folding import fold, folded_term
    from webapp import release_loading_memory

    words = [f"Дачић{n}" for n in range(2_000)]
    before = [folded_term(word) for word in words]
    serbia = Locale.parse("en").territories["RS"]
    assert "en" in localedata._cache and folded_term.cache_info().currsize >= 2_000
    release_loading_memory()
    assert "en" not in localedata._cache
    assert folded_term.cache_info().currsize < 1_000
    assert [folded_term(word) for word in words] == before and fold("Дачић") == "dacic"
    assert Locale.parse("en").territories["RS"] == serbia == "Serbia"


def test_a_worker_releases_loading_memory_after_its_warm_up(crawled_app, monkeypatch) -> None:
    """The warm-up (the generation, its version tables, the officials registry and the
    gazetteer) is followed by the release, once, and the app still names countries."""
    import webapp
    from webapp import create_app

    calls = []
    real = webapp.release_loading_memory
    monkeypatch.setattr(webapp, "release_loading_memory", lambda: calls.append(1) or real())
    app = create_app({"DATA_DIR": crawled_app.config["DATA_DIR"], "TESTING": True})
    warm_up = app.extensions["search_warm_up"]
    warm_up.join(timeout=120)
    assert not warm_up.is_alive() and calls == [1]
    assert app.extensions["search"].generations._generation is not None
    page = app.test_client().get("/countries/RS")
    assert page.status_code == 200 and "Serbia" in page.get_data(as_text=True)


def test_source_labels_are_the_definitions_short_names() -> None:
    from scrapers.sources import load_sources
    from webapp.labels import source_name, source_names

    sources = load_sources()
    assert source_names() == {s.id: s.short_name for s in sources.values()}
    assert source_name("serbia-mfa") == sources["serbia-mfa"].short_name
    assert source_name("no-such-source") == "no-such-source"


SCRAPER_MODULES = ("requests", "urllib3", "bs4", "lxml", "soupsieve", "feedparser",
                   "charset_normalizer", "protego")


def test_a_worker_serving_searches_holds_none_of_the_scrapers_modules(crawled_app) -> None:
    """A fresh process: the app, its warm-up, API searches with facets (their sources
    labelled) and a search page import none of the crawler's libraries (about 13 MB of a
    worker); the status page still reads the definitions when asked."""
    import json
    import subprocess
    import sys

    script = f"""
import json, sys
from webapp import create_app
app = create_app({{"DATA_DIR": {str(crawled_app.config["DATA_DIR"])!r}, "RATE_LIMIT": ""}})
app.extensions["search_warm_up"].join(timeout=120)
client = app.test_client()
api = client.get("/api/search?q=minister&facets=source").get_json()
page = client.get("/?q=minister").status_code
before = sorted(m for m in {SCRAPER_MODULES!r} if m in sys.modules)
status = client.get("/status").status_code
after = sorted(m for m in {SCRAPER_MODULES!r} if m in sys.modules)
print(json.dumps([api["total"], api["facets"]["source"], page, before, status, after]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parent.parent)
    total, sources, page, before, status, after = json.loads(done.stdout.splitlines()[-1])
    assert total > 0 and page == 200 and status == 200
    assert before == []
    assert "bs4" in after  # the status page checks the definitions, as before
    from scrapers.sources import load_sources

    short = {s.short_name for s in load_sources().values()}
    values = sources["values"]
    assert values and all(value["label"] in short for value in values)


_LARGE_BLOCKS = """
import ctypes, sys
import numpy as np
from webapp import create_app

class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks "
                "keepcost".split()]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
create_app({"DATA_DIR": sys.argv[1], "WARM_UP": False,
            "MALLOC_MMAP_THRESHOLD": int(sys.argv[2])})
keep = []
for round in range(20):  # a search's large temporaries between small long-lived objects
    block = np.ones(8 << 20, dtype=np.uint8)
    keep.append(bytearray(64))
    del block
print(libc.mallinfo2().fordblks)
"""


def test_a_serving_worker_hands_back_the_large_blocks_a_search_frees(tmp_path: Path) -> None:
    """With MALLOC_MMAP_THRESHOLD, a large block freed goes back to the system: glibc's
    default keeps it in the heap once a first one was freed (free memory a worker
    holds, resident, after searches that made such blocks)."""
    import subprocess
    import sys

    if not hasattr(__import__("ctypes").CDLL(None), "mallinfo2"):
        import pytest

        pytest.skip("not glibc 2.33 or later")

    def free_in_heap(threshold: int) -> int:
        result = subprocess.run([sys.executable, "-c", _LARGE_BLOCKS, str(tmp_path),
                                 str(threshold)], capture_output=True, text=True,
                                check=True, cwd=Path(__file__).parent.parent)
        return int(result.stdout.split()[-1])

    from webapp.config import DEFAULTS

    assert free_in_heap(int(DEFAULTS["MALLOC_MMAP_THRESHOLD"])) < 1 << 20
    assert free_in_heap(0) >= 8 << 20  # glibc's default: the test can tell the two apart
