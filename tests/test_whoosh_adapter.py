"""indexer/whoosh_adapter.py owns every Whoosh internal the fast paths use.

The contract: every internal it lists exists in the installed Whoosh (a failure names
the one that went), the Whoosh code it copies is unchanged, and no other module reaches
below Whoosh's public API. The fallback: with another Whoosh (simulated), the app
starts, indexes and answers searches with Whoosh's own writer and collector, with the
results the fast paths give.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from syntax import parse_python
from whoosh import index as whoosh_index

from benchmarks.corpus import (
    COLLOCATIONS,
    COUNTRIES,
    PEOPLE,
    SOURCES,
    common_words,
    generate,
    query_safe,
)
from indexer import segments, whoosh_adapter
from indexer.archive import Archive
from indexer.build import IndexHome, rebuild_index
from indexer.bulk import BulkEvaluator
from indexer.position_values import PositionBlock
from indexer.search import SearchRequest, SearchService
from indexer.whoosh_adapter import COPIED_CODE, INTERNALS, WRITTEN_FOR

REPO = Path(__file__).resolve().parent.parent

# -- the contract ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probes() -> dict:
    return whoosh_adapter._probe_objects()


@pytest.mark.parametrize("internal", INTERNALS, ids=str)
def test_every_internal_the_adapter_uses_is_there(internal: whoosh_adapter.Internal,
                                                  probes: dict) -> None:
    assert whoosh_adapter.internal_present(internal, probes), (
        f"{internal} ({internal.where}) is gone from the installed Whoosh "
        f"({' '.join(whoosh_adapter.ENGINE)}). indexer/whoosh_adapter.py uses it; rework that "
        "use (docs/whoosh-internals.md says what each path relies on) before moving the pin, "
        "or every rebuild and search takes Whoosh's own slower paths.")


@pytest.mark.parametrize("qualified", sorted(COPIED_CODE))
def test_copied_whoosh_code_is_unchanged(qualified: str) -> None:
    assert whoosh_adapter.copied_code_digest(qualified) == COPIED_CODE[qualified], (
        f"{qualified} changed in the installed Whoosh: the copy in indexer/whoosh_adapter.py "
        "(_BlockWriter) must be brought in line with it, then its digest in COPIED_CODE.")


def test_the_pinned_whoosh_runs_the_fast_paths() -> None:
    assert whoosh_adapter.installed_engine() == WRITTEN_FOR
    assert whoosh_adapter.missing_internals() == []
    assert whoosh_adapter.FAST_PATHS and whoosh_adapter.REASON is None
    assert whoosh_adapter.status_line() == "search engine: whoosh3 3.54.0, fast paths on"


def _private_names() -> set[str]:
    return {i.name for i in INTERNALS if i.name.startswith("_")}


def _reaches_below(path: Path) -> list[str]:
    """Each place in a module that imports a Whoosh internal or uses one."""
    tree = parse_python(path)
    internal_modules = {i.owner for i in INTERNALS if i.where == "module"}
    internal_names = {i.name for i in INTERNALS if i.where == "module"} - {"SegmentWriter"}
    private = _private_names()
    found = []
    name = path.relative_to(REPO)
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            for alias in node.names:
                if alias.name.startswith("_") or (node.module in internal_modules
                                                  and alias.name in internal_names) or \
                        (node.module or "").startswith("whoosh.codec"):
                    found.append(f"{where} imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            found += [f"{where} imports {a.name}" for a in node.names
                      if a.name.startswith("whoosh.codec")]
        elif isinstance(node, ast.Attribute) and node.attr in private and not (
                isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            found.append(f"{where} uses .{node.attr}")
        elif isinstance(node, ast.keyword) and node.arg in private:
            found.append(f"{where} passes {node.arg}=")
        elif isinstance(node, ast.FunctionDef) and node.name in private:
            found.append(f"{where} overrides {node.name}")
    return found


def test_no_other_module_touches_whoosh_internals() -> None:
    files = [p for folder in ("indexer", "webapp", "scrapers", "benchmarks")
             for p in sorted((REPO / folder).rglob("*.py"))]
    assert REPO / "indexer" / "whoosh_adapter.py" in files
    found = [place for p in files if p.name != "whoosh_adapter.py" for place in _reaches_below(p)]
    assert found == [], "only indexer/whoosh_adapter.py may reach below Whoosh's API"
    # The scan does see them: the adapter itself is full of them.
    assert len(_reaches_below(REPO / "indexer" / "whoosh_adapter.py")) > 20


# -- deciding ----------------------------------------------------------------------------------


def test_another_whoosh_is_told_apart() -> None:
    assert whoosh_adapter.check_engine(("whoosh3", "3.54.0")) is None
    assert whoosh_adapter.check_engine(("Whoosh-Reloaded", "2.7.5")) == \
        "written for whoosh3 3.54.0"
    assert whoosh_adapter.check_engine(("Whoosh", "2.7.4")) == "written for whoosh3 3.54.0"
    assert whoosh_adapter.check_engine(("whoosh3", "3.55.0")) == \
        "written for whoosh3 3.54.0, not 3.55.0"


def test_a_vanished_internal_turns_the_fast_paths_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh import query as wq
    from whoosh import scoring

    monkeypatch.delattr(wq.PatternQuery, "_find_prefix")  # Wildcard inherits it
    made = whoosh_adapter.W3LeafMatcher.__init__

    def without_start_offset(self, *args, **kwargs):  # one that keeps the start elsewhere
        made(self, *args, **kwargs)
        del self._startoffset

    monkeypatch.setattr(whoosh_adapter.W3LeafMatcher, "__init__", without_start_offset)
    real = scoring.BM25F.__init__

    def without_field_b(self, *args, **kwargs):
        real(self, *args, **kwargs)
        del self._field_B

    monkeypatch.setattr(scoring.BM25F, "__init__", without_field_b)
    missing = whoosh_adapter.missing_internals()
    assert missing == ["whoosh.codec.whoosh3.W3LeafMatcher._startoffset",
                       "whoosh.scoring.BM25F._field_B",
                       "whoosh.query.Wildcard._find_prefix"]
    installed, reason = whoosh_adapter._decide()
    assert installed == WRITTEN_FOR
    assert reason is not None and "W3LeafMatcher._startoffset" in reason


def test_the_environment_can_turn_the_fast_paths_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(whoosh_adapter.FAST_PATHS_ENV, "0")
    assert whoosh_adapter._decide() == (WRITTEN_FOR, "turned off by COMMUNIQUES_WHOOSH_FAST_PATHS")


def test_the_fast_path_writers_refuse_to_start_when_off(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.schema import build_schema

    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    monkeypatch.setattr(whoosh_adapter, "FAST_PATHS", False)
    with pytest.raises(RuntimeError, match="fast paths are off"):
        segments.BulkSegmentWriter(ix)
    writer = segments.share_writer(ix)
    assert isinstance(writer, segments.WhooshShareWriter)
    writer.cancel()


# -- another Whoosh, end to end: the command line in a child process ---------------------------

# Runs `communiques` commands in one child process and prints each command's output, as
# a JSON list. With "other" first, as they would run with whoosh-reloaded 2.7.5 installed
# instead of whoosh3: no whoosh3 distribution, and a `whoosh` package saying it is 2.7.5.
_CHILD = """
import importlib.metadata as metadata, json, sys
if sys.argv[1] == "other":
    real = metadata.distribution
    def distribution(name):
        if name.lower() == "whoosh3":
            raise metadata.PackageNotFoundError(name)
        return real(name)
    metadata.distribution = distribution
    metadata.packages_distributions = lambda: {"whoosh": ["Whoosh-Reloaded"]}
    import whoosh
    whoosh.__version__ = (2, 7, 5)
from click.testing import CliRunner
from webapp.cli import cli
outputs = []
for command in json.loads(sys.argv[2]):
    result = CliRunner().invoke(cli, command, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    outputs.append(result.output)
print(json.dumps(outputs))
"""
FALLBACK_LINE = ("search engine: Whoosh-Reloaded 2.7.5, fast paths off (written for whoosh3"
                 " 3.54.0), using Whoosh's own writer and collector")


def _stored(data_dir: Path, records: list) -> Path:
    with Archive(data_dir) as archive:
        archive.store_many(records)
    return data_dir


def _communiques(whoosh: str, data_dir: Path, commands: list[list[str]]
                 ) -> tuple[list[str], str]:
    """Each command's output and the log (stderr) of one child process. Both sides run
    in children, so both run the code on disk now, whatever this process loaded."""
    env = {k: v for k, v in os.environ.items() if k != whoosh_adapter.FAST_PATHS_ENV}
    commands = [["--data-dir", str(data_dir), *command] for command in commands]
    child = subprocess.run([sys.executable, "-c", _CHILD, whoosh, json.dumps(commands)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout), child.stderr


def test_with_another_whoosh_the_app_indexes_and_answers_as_before(tmp_path: Path) -> None:
    common = common_words()
    records = list(generate(150))
    queries = [[common[0]], [f'"{[c for c in COLLOCATIONS if query_safe(c)][0]}"'],
               [f"{common[1]} OR {common[2]}", "--sort", "newest", "--facets"],
               [f"{common[0]} -{common[3]}", "--from", "2005", "--to", "2015", "--size", "20"],
               [f"{common[0][:4]}*", "--size", "20"]]
    commands = [["index"], ["status"], *(["search", *q, "--json"] for q in queries)]
    other = _stored(tmp_path / "other", records)
    (indexed, status, *answers), log = _communiques("other", other, commands)
    # Said once in the log (stderr here, nothing being configured), and by `status`.
    assert log.count("fast paths off") == 1, log
    assert FALLBACK_LINE in log
    assert FALLBACK_LINE in status.splitlines()
    assert "index: 150 documents" in status
    # Whoosh's own writer, in one process: one segment.
    assert len(IndexHome.open(IndexHome(other).current_dir()).reader().leaf_readers()) == 1

    pinned = _stored(tmp_path / "pinned", records)
    (_, status, *expected), log = _communiques("pinned", pinned, commands)
    assert "fast paths" not in log
    assert "search engine: whoosh3 3.54.0, fast paths on" in status.splitlines()
    for query, answer, fast in zip(queries, answers, expected, strict=True):
        assert json.loads(fast)["total"] > 0, query
        assert json.loads(answer) == json.loads(fast), query


# -- the fallback in this process: the same results, query by query ---------------------------

COMMON = common_words()
PHRASES = [c for c in COLLOCATIONS if query_safe(c)]
NAME = PEOPLE[0]


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SearchService]:
    """The same archive indexed with the fast paths and, as with another Whoosh, without."""
    records = list(generate(250))
    built = {}
    for mode in ("fast", "fallback"):
        data_dir = _stored(tmp_path_factory.mktemp(mode), records)
        with pytest.MonkeyPatch.context() as patch, Archive(data_dir) as archive:
            if mode == "fallback":
                patch.setattr(whoosh_adapter, "FAST_PATHS", False)
                patch.setattr(segments.BulkSegmentWriter, "__init__", _never)
            update = rebuild_index(archive, data_dir, procs=2 if mode == "fallback" else 1)
        assert update.total_documents == len(records)
        assert update.procs == 1  # the fallback's one writer takes the index lock
        built[mode] = SearchService(data_dir)
    return built


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("a fast path ran with the fast paths off")


REQUESTS = [
    {"q": COMMON[0]},
    {"q": f"{COMMON[3]} {COMMON[8]}"},
    {"q": f"{COMMON[0]} {COMMON[1]} {COMMON[2]}", "page": 2},
    {"q": f"{COMMON[1]} OR {COMMON[2]}"},
    {"q": f"{COMMON[0]} OR {COMMON[4]} OR {COMMON[9]}"},
    {"q": f"{COMMON[0]} -{COMMON[1]}"},
    {"q": f"{COMMON[0]} NOT {COMMON[5]}"},
    {"q": f"NOT {COMMON[1]}"},
    {"q": f"NOT {COMMON[1]}", "sort": "oldest"},
    {"q": f"({COMMON[2]} OR {COMMON[6]}) {COMMON[3]} -{COMMON[7]}"},
    {"q": f'"{PHRASES[0]}"'},
    {"q": f'"{PHRASES[1]}" OR "{PHRASES[2]}"'},
    {"q": f'"{COMMON[0]} {COMMON[1]}"~5'},
    {"q": f"title:{COMMON[0]}"},
    {"q": f'official:"{NAME}"'},
    {"q": NAME, "exact": True},
    {"q": f"type:news {COMMON[3]}"},
    {"q": "lang:sr"},
    {"q": COMMON[0], "date_from": date(2008, 1, 1), "date_to": date(2016, 6, 30)},
    {"q": f"{COMMON[0]} date:[2010-01-01 TO 2018-12-31]"},
    {"q": COMMON[0], "filters": {"language": ("en",)}},
    {"q": COMMON[2], "filters": {"source": SOURCES[:2]}},
    {"q": COMMON[2], "filters": {"country": (COUNTRIES[0][1],)}},
    {"q": COMMON[0], "sort": "newest"},
    {"q": COMMON[1], "sort": "oldest", "page_size": 25},
    {"q": "", "sort": "newest", "filters": {"type": ("statement",)}},
    {"q": f"{COMMON[0][:5]}*"},
    {"q": f"{COMMON[0][:3]}?{COMMON[0][4:]}"},
    {"q": f"{COMMON[0][:-1]}x~"},
]


def _results(service: SearchService, request: SearchRequest) -> tuple:
    service.generations.current()[0].cache.clear()
    results = service.search(request)
    return (results.total, [(h.id, h.score) for h in results.hits], results.facets,
            results.histogram, results.next_cursor)


def _fallback(services: dict[str, SearchService], call):
    """`call` run with the fast paths off, as with another Whoosh."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whoosh_adapter, "FAST_PATHS", False)
        for name in ("matches", "ranking", "field_lengths"):
            patch.setattr(BulkEvaluator, name, _never)
        return call(services["fallback"])


@pytest.mark.parametrize("kwargs", REQUESTS, ids=lambda k: json.dumps(k, default=str)[:60])
def test_the_fallback_finds_what_the_fast_paths_find(services: dict[str, SearchService],
                                                     kwargs: dict) -> None:
    request = SearchRequest(page_size=kwargs.pop("page_size", 15), **kwargs)
    fast = _results(services["fast"], request)
    fallback = _fallback(services, lambda service: _results(service, request))
    assert fallback == fast
    total, hits, facets, _, _ = fast
    assert total > 0 and hits and facets


def test_the_fast_paths_were_taken_when_on(services: dict[str, SearchService],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above is between two paths, not one path twice."""
    used = []
    real = BulkEvaluator.matches
    monkeypatch.setattr(BulkEvaluator, "matches", lambda *a, **k: used.append(1) or real(*a, **k))
    _results(services["fast"], SearchRequest(q=COMMON[0]))
    assert used
    generation = services["fast"].generations.current()[0]
    assert generation.bulk._lengths  # read when the generation opened
    assert len(generation.index.reader().leaf_readers()) == 1


@pytest.mark.parametrize("kwargs", [{"q": COMMON[0]}, {"q": COMMON[1], "sort": "newest"},
                                    {"q": f"NOT {COMMON[2]}", "sort": "oldest"}])
def test_a_cursor_walk_is_the_same(services: dict[str, SearchService], kwargs: dict) -> None:
    def walk(service: SearchService) -> list[list[str]]:
        pages = []
        request = SearchRequest(page_size=30, **kwargs)
        while len(pages) < 20:
            results = service.search(request)
            pages.append([h.id for h in results.hits])
            if not results.next_cursor:
                break
            request = replace(request, cursor=results.next_cursor)
        return pages

    fast = walk(services["fast"])
    assert len(fast) > 2
    assert _fallback(services, walk) == fast
    everything = [i for page in fast for i in page]
    assert len(everything) == len(set(everything))


def test_exports_list_the_same_records_in_the_same_order(
        services: dict[str, SearchService]) -> None:
    request = SearchRequest(q=f"{COMMON[1]} OR {COMMON[3]}")
    fast = [r.id for r in services["fast"].iter_hits(request)]
    assert len(fast) > 50
    assert _fallback(services, lambda s: [r.id for r in s.iter_hits(request)]) == fast


def test_facet_tables_read_without_internals_are_the_same(
        services: dict[str, SearchService]) -> None:
    from indexer.facets import FACETS, FacetTables

    reader = services["fast"].generations.current()[0].index.reader()
    fast = FacetTables(reader)
    fallback = _fallback(services, lambda _: FacetTables(reader))
    everything = np.ones(fast.size, dtype=bool)
    for spec in FACETS:
        assert fallback.count(spec.name, everything) == fast.count(spec.name, everything)
        assert fast.count(spec.name, everything)


def _stepped(matcher) -> tuple[list[int], list[float], list[bytes]]:
    """A posting list as Whoosh's own matcher gives it, one posting at a time."""
    ids, weights, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    return ids, weights, values


@pytest.fixture(scope="module")
def few_documents() -> list[dict]:
    from benchmarks.corpus import generate
    from indexer.schema import document_for

    return [document_for(record) for record in generate(300)]


@pytest.mark.parametrize("writer", ["bulk", "whoosh", "whoosh-compressed"])
def test_a_posting_list_read_in_one_pass_is_whooshs(tmp_path: Path, writer: str,
                                                     few_documents: list[dict],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """block_postings parses a whole list from one read: for every term of segments
    written by the bulk writer and by Whoosh's own (pickle 2, zlib-compressed blocks),
    it takes that path (never the fallback) and gives what Whoosh's matcher steps
    through, with values and without; with `within`, every posting of the documents
    asked for."""
    from whoosh.codec.whoosh3 import W3Codec

    from indexer.schema import build_schema
    from indexer.segments import BulkSegmentWriter

    documents = few_documents
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    if writer == "bulk":
        bulk_writer = BulkSegmentWriter(ix, compound=False)
        for document in documents:
            bulk_writer.add_document(**document)
        bulk_writer.commit(merge=False)
    else:
        codec = W3Codec(compression=3 if writer == "whoosh-compressed" else 0)
        with ix.writer(codec=codec) as whoosh_writer:
            for document in documents:
                whoosh_writer.add_document(**document)
    rng = np.random.default_rng(3)
    with ix.reader() as reader:
        leaf = reader.leaf_readers()[0][0]
        blocks = multi_block = packed_blocks = 0
        terms = [(f, t) for f, t in leaf.all_terms() if f in ("body", "title")]
        # Every list of several blocks, and a sample of the others.
        sample = set(rng.choice(len(terms), size=min(300, len(terms)), replace=False).tolist())
        for n, (fieldname, term) in enumerate(terms):
            if n not in sample and leaf.doc_frequency(fieldname, term) <= 128:
                continue
            matcher = leaf.postings(fieldname, term)
            # A search looks the term up once (term_entry) and reads the list it locates.
            entry = whoosh_adapter.term_entry(leaf, fieldname, term)
            assert entry is not None
            assert entry.doc_frequency == leaf.doc_frequency(fieldname, term)
            if type(matcher) is not whoosh_adapter.W3LeafMatcher:
                # Inlined in the term info (a list matcher): read_postings steps through it.
                assert entry.offset == -1
                assert whoosh_adapter.listed_postings(leaf, entry, True) is None
                continue
            blocks += 1
            read = whoosh_adapter.block_postings(matcher, values=True)
            assert read is not None, (fieldname, term)
            ids, weights, values = _stepped(leaf.postings(fieldname, term))
            listed = whoosh_adapter.listed_postings(leaf, entry, True)
            assert listed is not None
            assert listed[0].tolist() == ids and listed[1].tolist() == weights
            assert listed[2] is not None
            assert [value for block in listed[2] for value in block] == values
            # A list that does not start with its header tag is not read.
            assert whoosh_adapter.listed_postings(
                leaf, entry._replace(offset=entry.offset + 1), True) is None
            multi_block += len(ids) > 128
            assert read[0].tolist() == ids
            assert read[1].tolist() == weights
            # Each block's values as stored: Whoosh's values, or a PositionBlock of them.
            assert read[2] is not None
            assert [value for block in read[2] for value in block] == values
            packed_blocks += sum(type(block) is PositionBlock for block in read[2])
            # Without values, full blocks' ids and weights are read from the pickle's
            # bytes (no unpickling), a block at a time or all blocks at once: the same
            # numbers.
            for in_place in (1, 10**9):
                monkeypatch.setattr(whoosh_adapter, "IN_PLACE_BLOCKS_MIN", in_place)
                plain = whoosh_adapter.block_postings(leaf.postings(fieldname, term), False)
                assert plain is not None and plain[2] is None
                assert plain[0].tolist() == ids and plain[1].tolist() == weights
            within = np.sort(rng.choice(ids, size=min(3, len(ids)), replace=False))
            part = whoosh_adapter.block_postings(leaf.postings(fieldname, term), True, within)
            assert part is not None
            assert set(within.tolist()) <= set(part[0].tolist()) <= set(ids)
        assert blocks > 100
        assert multi_block > 10  # lists of several blocks, which the one read walks
        assert whoosh_adapter.term_entry(leaf, "body", b"nowhere-in-the-index") is None
        assert (packed_blocks > 10) == (writer == "bulk")  # (indexer.position_values)


def test_block_ids_and_weights_are_read_from_the_pickle_as_unpickling_reads_them() -> None:
    """_array_fields finds a block's id and weight arrays in its protocol-4 pickle (the
    shapes the bulk writer writes), and refuses every other shape rather than guess."""
    import pickle
    from array import array

    values = tuple(bytes([i % 7]) * (i % 300) for i in range(200))  # short and long
    for n in (16, 128, 200):
        for ids in (whoosh_adapter.ids_array(list(range(1, n + 1))),
                    whoosh_adapter.ids_array([70_000] + [3] * (n - 1))):
            for weights in (None, 2.5, array("f", [float(i % 5) for i in range(n)])):
                data = pickle.dumps((ids, weights, values[:n]), 4)
                found = whoosh_adapter._array_fields(memoryview(data), n)
                assert found is not None, (n, ids.typecode, weights)
                assert found[0].tolist() == list(ids)
                if isinstance(weights, array):
                    assert found[1].tolist() == list(weights)
                else:
                    assert found[1] == weights
                assert whoosh_adapter._array_fields(memoryview(data), n + 1) is None
    refused = [
        pickle.dumps((tuple(range(20)), None, ()), 4),  # a tuple of ids
        pickle.dumps((array("H", range(20)), None, ()), 2),  # protocol 2
        pickle.dumps((array("H", range(20)), (1.0, 2.0) * 10, ()), 4),  # tuple weights
        pickle.dumps((array("l", range(20)), None, ()), 4),  # another typecode
    ]
    for data in refused:
        assert whoosh_adapter._array_fields(memoryview(data), 20) is None


def _laid_out(blocks: list[bytes]) -> tuple[bytes, list[int], list[int]]:
    """Blocks' pickles laid out as a posting list lays them (other bytes between: each
    block's length and info), and where each starts and ends."""
    raw, firsts, ends = b"", [], []
    for b, data in enumerate(blocks):
        raw += bytes(range(b % 7 + 1))
        firsts.append(len(raw))
        raw += data
        ends.append(len(raw))
    return raw, firsts, ends


def _block(n: int, wide: bool, weights_kind: str, values: tuple) -> tuple[tuple, bytes]:
    import pickle
    from array import array

    ids = whoosh_adapter.ids_array(([70_000] if wide else [3]) + [2] * (n - 1))
    weights = {"none": None, "equal": 2.5,
               "array": array("f", [float(i % 5 + 1) for i in range(n)])}[weights_kind]
    return (ids, weights, values), pickle.dumps((ids, weights, values), 4)


def test_long_lists_arrays_are_read_in_place_as_unpickling_reads_them() -> None:
    """_array_shapes finds, for all blocks at once, where each block's id and weight
    arrays lie (the bulk writer's shapes: narrow or wide ids, weights none, all equal or
    listed; values short, empty or over 255 bytes): numpy reads there what pickle.loads
    gives."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    value = st.one_of(st.binary(max_size=20), st.binary(min_size=250, max_size=400))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from([16, 17, 128, 200]), st.booleans(),
                              st.sampled_from(["none", "equal", "array"]),
                              st.lists(value, min_size=1, max_size=3)),
                    min_size=1, max_size=4))
    def check(specs: list) -> None:
        made = [_block(n, wide, kind, tuple(vs[i % len(vs)] for i in range(n)))
                for n, wide, kind, vs in specs]
        raw, firsts, ends = _laid_out([data for _, data in made])
        counts = [spec[0] for spec in specs]
        shapes = whoosh_adapter._array_shapes(raw, firsts, ends, counts, [0] * len(made))
        for ((ids, weights, _), _data), shape, n in zip(made, shapes, counts, strict=True):
            assert shape is not None
            ids_at, ids_type, weights_at, weight = shape
            assert np.frombuffer(raw, ids_type, n, ids_at).tolist() == list(ids)
            if weights_at:
                assert np.frombuffer(raw, "<f4", n, weights_at).tolist() == list(weights)
            else:
                assert weight == weights

    check()


def test_other_block_shapes_are_left_to_a_block_at_a_time() -> None:
    """Every other shape is refused rather than guessed (None: the block is read a block
    at a time): a compressed block, a block of one posting (ids as a tuple), a tuple of
    ids, another protocol or typecode, tuple weights, a block of several frames (over
    64 KiB), a block whose count is not its arrays', one cut short; the good blocks
    among them are still read."""
    import pickle
    from array import array

    values = tuple(bytes([i % 7]) * (i % 30) for i in range(20))
    good = pickle.dumps((array("H", range(20)), None, values), 4)
    blocks = [
        (good, 20, 1),  # compressed (as its info says)
        (pickle.dumps(((5,), None, (b"x",)), 4), 1, 0),  # one posting
        (pickle.dumps((tuple(range(20)), None, values), 4), 20, 0),  # a tuple of ids
        (pickle.dumps((array("H", range(20)), None, values), 2), 20, 0),  # protocol 2
        (pickle.dumps((array("H", range(20)), (1.0, 2.0) * 10, values), 4), 20, 0),
        (pickle.dumps((array("l", range(20)), None, values), 4), 20, 0),  # typecode l
        (pickle.dumps((array("H", range(20)), None, values), 5), 20, 0),  # protocol 5
        (pickle.dumps((array("H", range(20)), None, (b"x" * 70_000,) * 20), 4), 20, 0),
        (good, 21, 0),  # 21 postings said, 20 ids
        (good[:-40], 20, 0),  # cut short
        (good, 20, 0),
    ]
    raw, firsts, ends = _laid_out([data for data, _, _ in blocks])
    shapes = whoosh_adapter._array_shapes(raw, firsts, ends, [n for _, n, _ in blocks],
                                          [c for _, _, c in blocks])
    assert shapes[:-1] == [None] * (len(blocks) - 1)
    assert shapes[-1] is not None
    ids_at, ids_type, weights_at, weight = shapes[-1]
    assert np.frombuffer(raw, ids_type, 20, ids_at).tolist() == list(range(20))
    assert (weights_at, weight) == (0, None)


def test_every_term_of_a_larger_index_reads_the_same_both_ways(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the terms of a 1,200-document index written by the bulk writer (every list of
    several blocks, up to 10, compressed ones among them, and one in eight of the lists of
    one block), a third of its documents deleted: each
    list read without values in place (all blocks at once) gives what the per-block path
    gives, and both what Whoosh's own matcher gives for the documents left. (The 10k
    benchmark index was checked the same way by hand: docs/benchmarks/analysis.md.)"""
    from indexer.schema import build_schema, document_for
    from indexer.segments import BulkSegmentWriter

    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    bulk_writer = BulkSegmentWriter(ix, compound=False)
    for record in generate(1200):
        bulk_writer.add_document(**document_for(record))
    bulk_writer.commit(merge=False)
    with ix.writer() as deleting:
        for docnum in range(0, 1200, 3):
            deleting.delete_document(docnum)
    long_lists = 0
    with ix.reader() as reader:
        leaf = reader.leaf_readers()[0][0]
        assert leaf.has_deletions()
        deleted = {docnum for docnum in range(1200) if leaf.is_deleted(docnum)}
        assert deleted == set(range(0, 1200, 3))
        one_block = 0
        for fieldname, term in leaf.all_terms():
            if leaf.doc_frequency(fieldname, term) <= 128:
                # Lists of one block (nearly all of them, alike): one in eight keeps it short.
                one_block += 1
                if one_block % 8:
                    continue
            matcher = whoosh_adapter.unwrap_deletions(leaf.postings(fieldname, term))
            if type(matcher) is not whoosh_adapter.W3LeafMatcher:
                continue
            # Whoosh's matcher steps past the deleted documents (its deletion filter has
            # moved the list's matcher past a first deleted one): compared without them.
            stepped = _stepped(leaf.postings(fieldname, term))
            read = []
            for in_place in (1, 10**9):
                monkeypatch.setattr(whoosh_adapter, "IN_PLACE_BLOCKS_MIN", in_place)
                found = whoosh_adapter.block_postings(
                    whoosh_adapter.unwrap_deletions(leaf.postings(fieldname, term)), False)
                assert found is not None, (fieldname, term)
                kept = [k for k, docnum in enumerate(found[0].tolist())
                        if docnum not in deleted]
                read.append((found[0][kept].tolist(), found[1][kept].tolist()))
                # Every posting is read, the deleted documents' too (the caller drops them).
                assert len(found[0]) == leaf.doc_frequency(fieldname, term)
            assert read[0] == read[1] == (stepped[0], stepped[1]), (fieldname, term)
            long_lists += leaf.doc_frequency(fieldname, term) > 4 * 128
    assert long_lists > 20
