"""docs/performance.md from the JSON figures of the benchmark runs."""

from __future__ import annotations

import json
from pathlib import Path

TARGETS_AT = 100_000
ANALYSIS_FILE = "analysis.md"  # the profile-backed explanation of each miss, written by hand


def _load(directory: Path) -> list[dict]:
    runs = [json.loads(p.read_text()) for p in directory.glob("results-*.json")]
    for run in runs:
        built = _get(run, "tantivy", "build")
        if isinstance(built, dict) and "bytes_on_disk" in built:
            built["mb_on_disk"] = round(built["bytes_on_disk"] / 1024 / 1024, 1)
    return sorted(runs, key=lambda r: r["documents"])


def _get(run: dict, *path: str) -> object:
    value: object = run
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _web(run: dict, mix: str, key: str) -> object:
    """A web-stage figure of one mix. Runs before the cold mix existed kept the warm
    mix's figures at the top of the web stage."""
    if isinstance(_get(run, "web", "warm"), dict):
        return _get(run, "web", mix, key)
    return _get(run, "web", key) if mix == "warm" else None


def _max(value: object) -> object:
    return max(value) if isinstance(value, list) and value else None


# The targets of issue 18, at 100k and at 1M: (label, our figure, tantivy's figure or None,
# comparison, target at 100k, target at 1M). A comparison ending in "x" holds the ratio to
# tantivy's figure to the target, not the figure itself. The warm web mix is held to the
# figures published before the issue (`WARM_BEFORE`), within the machine's noise.
WARM_BEFORE = {100_000: (1595.9, 19.6), 1_000_000: (1263.1, 137.0)}
WARM_NOISE = 0.10
TARGETS = [
    ("cold search page work, p95 over the query mix (ms)",
     lambda r: _get(r, "search", "cold", "all", "p95"),
     lambda r: _get(r, "tantivy", "search", "overall", "p95"), "<=", 40, 150),
    ("worst query kind (phrase), p95 (ms)",
     lambda r: _get(r, "search", "cold", "phrase", "p95"),
     lambda r: _get(r, "tantivy", "search", "kinds", "phrase", "p95"), "<=", 60, 250),
    ("1,000 new documents searchable after they are stored (s)",
     lambda r: _get(r, "incremental", "index_seconds_to_searchable"),
     lambda r: _get(r, "tantivy", "incremental", "index_seconds_to_searchable"), "<=", 2, 3),
    ("a new generation opened by a web worker (ms)",
     lambda r: _get(r, "search", "open_generation_ms"),
     lambda r: _get(r, "tantivy", "open_index_ms"), "<=", 300, 1000),
    ("web worker memory, largest of 2, after the cold mix (MB)",
     lambda r: _max(_web(r, "cold", "worker_rss_mb")), None, "<=", 150, 200),
    ("writer peak memory, largest process (MB; tantivy: its whole indexing process)",
     lambda r: _get(r, "build", "peak_rss_writer_mb"),
     lambda r: _get(r, "tantivy", "peak_rss_mb"), "<=", 1024, 1024),
    ("full rebuild (documents/s)",
     lambda r: _get(r, "build", "rebuild_docs_per_second"),
     lambda r: _get(r, "tantivy", "build", "docs_per_second"), ">=", 1500, 1500),
    ("index size on disk (MB)", lambda r: _get(r, "build", "index_mb"),
     lambda r: _get(r, "tantivy", "build", "mb_on_disk"), "<=x", 2.5, 2.5),
    ("cold mix: /api/search requests/s, 2 workers", lambda r: _web(r, "cold",
                                                                  "requests_per_second"),
     None, ">=", 300, 100),
    ("cold mix: /api/search p99 (ms)", lambda r: _web(r, "cold", "p99_ms"), None, "<=", 200,
     500),
    ("cold mix: /api/search errors", lambda r: _web(r, "cold", "errors"), None, "<=", 0, 0),
    ("warm mix: /api/search requests/s, 2 workers",
     lambda r: _web(r, "warm", "requests_per_second"), None, ">=",
     round(WARM_BEFORE[100_000][0] * (1 - WARM_NOISE), 1),
     round(WARM_BEFORE[1_000_000][0] * (1 - WARM_NOISE), 1)),
    ("warm mix: /api/search p99 (ms)", lambda r: _web(r, "warm", "p99_ms"), None, "<=",
     round(WARM_BEFORE[100_000][1] * (1 + WARM_NOISE), 1),
     round(WARM_BEFORE[1_000_000][1] * (1 + WARM_NOISE), 1)),
    ("warm mix: /api/search errors", lambda r: _web(r, "warm", "errors"), None, "<=", 0, 0),
]


def _met(value: object, op: str, limit: float) -> str:
    if not isinstance(value, int | float):
        return "not measured"
    met = value >= limit if op.startswith(">=") else value <= limit
    if met:
        return "yes"
    if limit:
        return f"no (missed by {abs(value - limit) / limit:.0%})"
    return f"no ({_fmt(value)})"


def issue_18_targets(runs: list[dict]) -> list[str]:
    """The issue-18 table for the runs at 100k and at 1M: measured, tantivy in the same
    run, the ratio, the target and whether it is met."""
    lines = ["", "## Targets for a million communiqués (issue 18)", "",
             "Each size's own run: tantivy is measured in the same run, on the same corpus; "
             "the ratio is Whoosh ÷ tantivy. The warm web mix is held to the figures "
             f"published before the issue, within {WARM_NOISE:.0%}."]
    for documents, column in ((100_000, 4), (1_000_000, 5)):
        run = next((r for r in runs if r["documents"] == documents), None)
        lines += ["", f"### At {documents:,} documents", ""]
        if run is None:
            lines.append(f"No run at {documents:,} documents yet.")
            continue
        lines += ["| measure | measured | tantivy | Whoosh ÷ tantivy | target | met? |",
                  "|---|---|---|---|---|---|"]
        for row in TARGETS:
            label, ours, theirs, op = row[0], row[1], row[2], row[3]
            limit = row[column]
            value = ours(run)
            their_value = theirs(run) if theirs else None
            checked = value
            target = f"{'≥' if op.startswith('>=') else '≤'} {_fmt(limit)}"
            if op.endswith("x"):  # the ratio to tantivy is what the target bounds
                checked = (value / their_value if isinstance(value, int | float)
                           and isinstance(their_value, int | float) and their_value else None)
                target += "× tantivy"
            lines.append(f"| {label} | {_fmt(value)} | {_fmt(their_value)} | "
                         f"{_ratio(value, their_value)} | {target} | "
                         f"{_met(checked, op, limit)} |")  # type: ignore[arg-type]
    return lines


def _fmt(value: object, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        # Worker memory: private (RssAnon) / PSS of each worker.
        return ", ".join(f"{_fmt(v.get('private'))} / {_fmt(v.get('pss'))}" for v in value)
    if isinstance(value, float):
        return f"{value:,.1f}{suffix}" if value >= 10 else f"{value:.2f}{suffix}"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    return f"{value}{suffix}"


def _ratio(ours: object, theirs: object) -> str:
    if not isinstance(ours, int | float) or not isinstance(theirs, int | float) or not theirs \
            or not ours:
        return "–"
    ratio = ours / theirs
    if ratio >= 1:
        return f"{ratio:.1f}×"
    return f"{ratio:.2f}×" if ratio >= 0.5 else f"1/{1 / ratio:.0f}"


ROWS = [
    ("Full rebuild (documents/s)", ("build", "rebuild_docs_per_second"),
     ("tantivy", "build", "docs_per_second")),
    ("Full rebuild (seconds)", ("build", "rebuild_seconds"), ("tantivy", "build", "seconds")),
    ("Archive load (seconds)", ("build", "load_seconds"), None),
    ("Index size on disk (MB)", ("build", "index_mb"), ("tantivy", "build", "mb_on_disk")),
    ("Archive size on disk (MB)", ("build", "archive_mb"), None),
    ("Peak memory while indexing, parent (MB)", ("build", "peak_rss_mb"), None),
    ("Peak memory while indexing, each writer process (MB)", ("build", "peak_rss_writer_mb"),
     None),
    ("Index segments after the rebuild", ("build", "segments"), None),
    ("1,000 new documents: stored to searchable (s)",
     ("incremental", "index_seconds_to_searchable"), None),
    ("Opening a new generation (ms)", ("search", "open_generation_ms"), None),
    ("Search page work, cold p50 (ms)", ("search", "cold", "all", "p50"),
     ("tantivy", "search", "overall", "p50")),
    ("Search page work, cold p95 (ms)", ("search", "cold", "all", "p95"),
     ("tantivy", "search", "overall", "p95")),
    ("Search page work, cold p99 (ms)", ("search", "cold", "all", "p99"),
     ("tantivy", "search", "overall", "p99")),
    ("Repeated search p95 (ms)", ("search", "warm", "all", "p95"), None),
    ("Peak memory of the search process (MB)", ("search", "peak_rss_mb"), None),
    ("/api/search requests/s, warm mix (gunicorn, 2 workers)",
     ("web", "warm", "requests_per_second"), None),
    ("/api/search p99 under load, warm mix (ms)", ("web", "warm", "p99_ms"), None),
    ("/api/search errors, warm mix", ("web", "warm", "errors"), None),
    ("Web worker memory, warm mix (MB each)", ("web", "warm", "worker_rss_mb"), None),
    ("/api/search requests/s, cold mix (gunicorn, 2 workers)",
     ("web", "cold", "requests_per_second"), None),
    ("/api/search p50 under load, cold mix (ms)", ("web", "cold", "p50_ms"), None),
    ("/api/search p99 under load, cold mix (ms)", ("web", "cold", "p99_ms"), None),
    ("/api/search errors, cold mix", ("web", "cold", "errors"), None),
    ("Web worker memory, cold mix (MB each)", ("web", "cold", "worker_rss_mb"), None),
    ("Web worker memory, cold mix: private / PSS (MB, each worker)",
     ("web", "cold", "worker_memory_mb"), None),
]


def write_report(directory: Path, output: Path) -> None:
    runs = _load(directory)
    if not runs:
        return
    lines = ["# Performance", "",
             "Measured by `make bench` (`python -m benchmarks.run --docs N` for each size; "
             "`make bench-large` for 1M). Synthetic corpus from `benchmarks/corpus.py` "
             "(deterministic; ~400-word bodies, 20 ministries, 2,000 officials in Latin and "
             "Cyrillic, 200 countries, 2000-2026), loaded through the real archive and "
             "indexer. Medians of repeated runs in one process; ratios compare figures "
             "from the same run.", ""]
    for run in runs:
        m = run["machine"]
        note = f" {run['notes']}" if run.get("notes") else ""
        commit = f", commit {run['commit']}" if run.get("commit") else ""
        lines.append(f"- **{run['documents']:,} documents**: {run['date']}{commit}, "
                     f"`{run['command']}`, {m['cpus']} cores ({m['cpu']}), {m['memory']}, "
                     f"Python {m['python']}.{note}")
    with_tantivy = [r for r in runs if r.get("tantivy")]
    last = with_tantivy[-1] if with_tantivy else None
    compared = f"tantivy ({last['documents']:,})" if last else "tantivy"
    lines += ["", "## Figures", "",
              "| | " + " | ".join(f"{r['documents']:,}" for r in runs)
              + f" | {compared} | Whoosh ÷ tantivy |",
              "|---|" + "---|" * (len(runs) + 2)]
    for label, ours, theirs in ROWS:
        cells = [_fmt(_web(r, ours[1], ours[2]) if ours[0] == "web" else _get(r, *ours))
                 for r in runs]
        theirs_value = _get(last, *theirs) if last and theirs else None
        ratio = _ratio(_get(last, *ours), theirs_value) if last and theirs else "–"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_fmt(theirs_value)}"
                     f" | {ratio} |")
    largest = runs[-1]
    lines += ["", "## The query mix (cold, per kind)", "",
              "Three queries of each kind (`benchmarks/corpus.py`, `query_mix`); the work "
              "behind one search page: parse, search, all facet counts, the date histogram "
              "and 10 highlighted snippets.", "",
              "| query | " + " | ".join(f"{r['documents']:,} p50 / p95 (ms)" for r in runs)
              + f" | {compared} p50 (ms) | matches at {largest['documents']:,} |",
              "|---|" + "---|" * (len(runs) + 2)]
    for name in (_get(largest, "search", "matches") or {}):
        cells = []
        for run in runs:
            kind = _get(run, "search", "cold", name) or {}
            cells.append(f"{_fmt(kind.get('p50'))} / {_fmt(kind.get('p95'))}")
        theirs = _get(last, "tantivy", "search", "kinds", name, "p50") if last else None
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {_fmt(theirs)}"
                     + f" | {_fmt(_get(largest, 'search', 'matches', name))} |")
    at_target = next((r for r in runs if r["documents"] == TARGETS_AT), None)
    lines += ["", f"## Targets at {TARGETS_AT:,} documents", ""]
    if at_target is None:
        lines.append(f"No run at {TARGETS_AT:,} documents yet.")
    else:
        checks = [
            ("Full rebuild ≥ 1,000 documents/s", _get(at_target, "build",
                                                      "rebuild_docs_per_second"), ">=", 1000),
            ("1,000 new documents searchable within 10 s",
             _get(at_target, "incremental", "index_seconds_to_searchable"), "<=", 10),
            ("Search page work p95 ≤ 100 ms cold", _get(at_target, "search", "cold", "all",
                                                       "p95"), "<=", 100),
            ("Repeated search p95 ≤ 10 ms", _get(at_target, "search", "warm", "all", "p95"),
             "<=", 10),
            ("/api/search ≥ 200 requests/s, 2 workers", _web(at_target, "warm",
                                                            "requests_per_second"), ">=", 200),
            ("/api/search zero errors", _web(at_target, "warm", "errors"), "<=", 0),
            ("Web process < 300 MB", _max(_web(at_target, "warm", "worker_rss_mb")), "<", 300),
        ]
        lines += ["| target | measured | met? |", "|---|---|---|"]
        for label, value, op, limit in checks:
            if not isinstance(value, int | float):
                lines.append(f"| {label} | – | not measured |")
                continue
            met = {">=": value >= limit, "<=": value <= limit, "<": value < limit}[op]
            if met:
                by = ""
            elif limit:
                by = f" (missed by {abs(value - limit) / limit:.0%})"
            else:
                by = f" ({_fmt(value)})"
            lines.append(f"| {label} | {_fmt(value)} | {'yes' if met else 'no' + by} |")
    lines += issue_18_targets(runs)
    analysis = directory / ANALYSIS_FILE
    if analysis.exists():
        lines += ["", analysis.read_text().strip()]
    output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent.parent
    write_report(here / "docs" / "benchmarks", here / "docs" / "performance.md")
