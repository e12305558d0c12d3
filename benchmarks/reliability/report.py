"""docs/reliability.md from the figures of a reliability run (docs/reliability/results.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

URL_CHARS = 160


def merge(path: Path, figures: dict) -> dict:
    """The stored figures with this (partial) run's stages replaced."""
    if not path.exists():
        return figures
    stored = json.loads(path.read_text())
    stored["stages"].update(figures["stages"])
    for key in ("date", "command", "commit", "machine", "limits_env"):
        stored[key] = figures[key]
    return stored


def _url(url: str, limit: int = URL_CHARS) -> str:
    """A URL as a code span, cut when long (the JSON figures keep it whole)."""
    shown = url if len(url) <= limit else url[:limit] + f"… ({len(url):,} chars)"
    shown = shown.replace("|", "%7C").replace("`", "%60")
    return f"`{shown}`"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _yes(value: object) -> str:
    return "yes" if value else "**no**"


def _ms(figures: dict, key: str = "latency_ms") -> str:
    latency = figures.get(key) or {}
    if not latency.get("n"):
        return "–"
    return f"p50 {latency['p50']:,} ms, p99 {latency['p99']:,} ms, max {latency['max']:,} ms"


def summary_rows(figures: dict) -> list[tuple[str, str, str, bool]]:
    """(stage, what was done, what came out, passed) for each stage that ran."""
    rows = []
    stages = figures["stages"]
    for name, stage in stages.items():
        ok = bool(stage.get("passed"))
        if "error" in stage or "skipped" in stage:
            problem = stage.get("skipped") or stage["error"].strip().splitlines()[-1]
            rows.append((name, "did not run", problem, ok))
            continue
        if name == "fuzz":
            what = (f"{stage['requests']:,} requests over {len(stage['routes'])} routes "
                    f"(seed {stage['seed']})")
            result = (f"{stage['server_errors']} 5xx, {stage['client_failures']} timeouts or "
                      f"broken responses, {len(stage['over_time_limit'])} over "
                      f"{stage['slow_after_seconds']:g} s, {stage['rate_limited']} 429; "
                      f"{len(stage['causes'])} distinct causes")
        elif name == "kills":
            kinds = [k for k in KIND_TITLES if k in stage]
            what = " + ".join(f"{stage[k]['kills']} × {k}" for k in kinds) + " SIGKILLs"
            result = "; ".join(
                f"{k}: {stage[k]['recovered']}/{len(stage[k]['rounds'])} recovered, "
                f"{stage[k]['lost_records']} records lost, index = archive "
                f"{stage[k]['index_matches_archive']}/{len(stage[k]['rounds'])}, "
                f"{stage[k]['runs_left_running']} runs left running"
                for k in kinds)
        elif name == "readers":
            what = (f"{stage['readers']} reader threads during {len(stage['rebuilds'])} "
                    f"rebuilds of {stage['documents']:,} documents")
            result = (f"{stage['requests']:,} requests, statuses {stage['statuses']}, "
                      f"{stage['total_mismatches']} wrong totals, {_ms(stage)}")
        elif name == "load":
            what = (f"wrk, {stage['connections']} connections × {stage['seconds']} s, gunicorn "
                    f"2 workers, {stage['documents']:,} documents")
            result = (f"{stage.get('requests_per_second', 0):,.0f} requests/s, "
                      f"{stage.get('errors')} errors, {stage.get('rate_limited')} 429, "
                      f"p50 {stage.get('p50_ms')} ms, p99 {stage.get('p99_ms')} ms")
        else:
            what = (f"{stage['payloads']} payloads, {stage['page_loads']} page loads in "
                    "Chromium")
            result = (f"{len(stage['dialogs'])} dialogs, {len(stage['xss_set'])} "
                      f"`window.__xss` set, {len(stage['script_urls'])} script URLs, "
                      f"{stage['findings_count']} injected markup findings")
        rows.append((name, what, result, ok))
    return rows


def _header(figures: dict) -> list[str]:
    m = figures["machine"]
    lines = [
        "# Reliability", "",
        "Measured by `make reliability` (`python -m benchmarks.reliability`), which is not "
        "part of `make test`. It serves the app for real on loopback and measures five "
        "things: a seeded fuzz of every route, SIGKILLs of every writing command, searches "
        "during rebuilds, capacity under a load that defeats the result cache, and an XSS "
        "corpus through every page in headless Chromium. One stage with small counts: "
        "`python -m benchmarks.reliability --stage fuzz --fuzz-requests 500` (see `--help`; "
        "`--quick` runs every stage small). The code is in `benchmarks/reliability/`, one "
        "module per stage; every figure below is in "
        "[reliability/results.json](reliability/results.json).", "",
        f"- **Run**: {figures['date']}, commit {figures['commit']}, `{figures['command']}`, "
        f"{m['cpus']} cores ({m['cpu']}), {m['memory']}, Python {m['python']}.",
        "- **Per-client limits** are switched off on every server the run starts ("
        + ", ".join(f"`{k}={v}`" for k, v in figures["limits_env"].items())
        + "): the stages measure the service, not the limiter. 429s are still counted "
        "apart.",
    ]
    runs = {json.dumps(s.get("run"), sort_keys=True) for s in figures["stages"].values()
            if s.get("run")}
    if len(runs) > 1:
        for name, stage in figures["stages"].items():
            run = stage.get("run") or {}
            lines.append(f"- Stage {name} from {run.get('date')}, commit {run.get('commit')}, "
                         f"`{run.get('command')}`.")
    if "seconds" in figures:
        lines.append(f"- **Duration**: {figures['seconds'] / 60:.1f} minutes.")
    loads = [(name, stage["load_average"]) for name, stage in figures["stages"].items()
             if stage.get("load_average")]
    if loads:
        start = figures.get("load_average_at_start")
        lines.append(
            "- **Machine load** (1-minute load average; other work shares this machine, "
            "and timings scale with it): "
            + (f"{start[0]} at the start, " if start else "")
            + ", ".join(f"{value[0]} after {name}" for name, value in loads) + ".")
    lines += ["", "## Summary", "", "| stage | what | result | passed |", "|---|---|---|---|"]
    for name, what, result, ok in summary_rows(figures):
        lines.append(f"| {name} | {_cell(what)} | {_cell(result)} | {_yes(ok)} |")
    return lines


def _fuzz(stage: dict) -> list[str]:
    lines = ["", "## 1. Fuzz: every route, hostile parameters", ""]
    if "requests" not in stage:
        return lines + [f"Did not run: {stage.get('skipped') or stage.get('error')}"]
    lines += [
        f"{stage['requests']:,} requests ({stage['distinct_urls']:,} distinct URLs, seed "
        f"{stage['seed']}, about 10% HEAD) from {stage['threads']} keep-alive connections to "
        f"{stage['server']}, over the fixture sites' index ({stage['documents']} "
        f"communiqués, built by `communiques demo --no-serve`), in {stage['seconds']} s. "
        "Routes come from the app's `url_map`; parameters are every known one (search, "
        "paging, cursor, dates, every facet, the operators and formats) and unknown ones "
        "(`endpoint`, `_anchor`, `_external`, `_scheme`, ...), with good values from the "
        "index and hostile ones: empty, huge, negative, unicode digits, impossible dates, "
        "NUL and control characters, 10,000-character strings, base64 junk, cursors bound "
        "to the right search with wrong field types, query-syntax junk (unbalanced quotes "
        "and parentheses, `field:`, fuzzy and prefix abuse, deep nesting, 1,000 ORs), "
        "repeated parameters and path junk. A request fails on a 5xx, a client timeout "
        f"({stage['client_timeout_seconds']:g} s), a broken connection or a truncated body; "
        f"one over {stage['slow_after_seconds']:g} s (the search time limit + 1 s) is "
        f"listed. Latency: {_ms(stage)}.", "",
        "### Statuses per route", "",
    ]
    labels = sorted({label for counts in stage["per_route"].values() for label in counts})
    lines += ["| route | requests | " + " | ".join(labels) + " |",
              "|---|---|" + "---|" * len(labels)]
    for route, counts in stage["per_route"].items():
        cells = [str(counts.get(label, "")) for label in labels]
        lines.append(f"| `{route}` | {sum(counts.values()):,} | " + " | ".join(cells) + " |")
    total = stage["statuses"]
    lines.append(f"| **all** | **{stage['requests']:,}** | "
                 + " | ".join(f"**{total.get(label, '')}**" for label in labels) + " |")
    lines += ["", "### Slowest 10", "", "| seconds | status | request |", "|---|---|---|"]
    for row in stage["slowest"]:
        lines.append(f"| {row['seconds']:.3f} | {row['status']} | {row['method']} "
                     f"{_url(row['url'])} |")
    lines += ["", "### Failures (5xx, timeouts, broken responses) by cause", ""]
    if not stage["causes"]:
        lines.append("None.")
    else:
        lines.append("Each distinct failing URL was sent again alone and its traceback cut "
                     "from the server log.")
        for group in stage["causes"]:
            lines += ["", f"- **{_cell(group['cause'])}**: {group['count']} distinct URLs on "
                      + ", ".join(f"`{r}`" for r in group["routes"])
                      + f" (replayed: {group['replayed']})"]
            for example in group["examples"]:
                lines.append(f"  - {example['method']} {_url(example['url'], 300)} → "
                             f"{example['first_status']}")
    designed = stage.get("designed_5xx") or []
    if designed:
        by_status: dict[str, int] = {}
        for row in designed:
            by_status[row["status"]] = by_status.get(row["status"], 0) + 1
        lines += ["", "5xx the app sends on purpose, not counted as failures: "
                  + ", ".join(f"{n} × {status}" for status, n in sorted(by_status.items()))
                  + " (501: oEmbed's answer to a format it does not serve; 503: a search "
                  "stopped at the time limit), e.g. "
                  + ", ".join(_url(r["url"], 100) for r in designed[:3]) + "."]
    if stage["over_time_limit"]:
        lines += ["", f"### Over {stage['slow_after_seconds']:g} s", ""]
        for row in stage["over_time_limit"]:
            lines.append(f"- {row['seconds']:.1f} s, {row['status']}: {row['method']} "
                         f"{_url(row['url'], 300)}")
    return lines


KIND_TITLES = {
    "rebuild": "`communiques index --rebuild` (then `communiques index`)",
    "update": "`communiques update` / `crawl --refetch` of the fixture sites "
              "(then `communiques update`)",
    "crawl": "`communiques crawl` / `crawl --refetch` of the fixture sites "
             "(then `communiques index`, which must mark the killed run interrupted)",
    "index": "incremental `communiques index` after a new batch (then `communiques index`)",
}


def _kills(stage: dict) -> list[str]:
    lines = ["", "## 2. SIGKILL of every writing command", ""]
    if "passed" in stage and not any(k in stage for k in KIND_TITLES):
        return lines + [f"Did not run: {stage.get('skipped') or stage.get('error')}"]
    lines += [
        "Each round kills the command at a uniformly random moment of an unkilled run's "
        "duration, then runs the next normal command, again while it exits 75 (busy). "
        "**lost** counts (id, version, content hash) rows of the archive committed before "
        "the recovery and missing after it; **index = archive** compares the current "
        "generation's document count with the archive's. Rebuild kills rotate between the "
        "process group (`group`), the main process alone, whose writer processes live on "
        "(`main`), and one writer process (`writer`). **stray gens** counts index "
        "generations left besides the current one and the one kept for readers; "
        "**at (s) (tries)** is when the kill landed and how many runs it took to land one "
        "(a run that ends before its kill moment is run again with an earlier one); "
        "**running** counts crawl runs still marked running after the next command (a round "
        "with one fails); the next command's exit "
        "says whether its indexing was incremental or a rebuild. The synthetic archive has "
        f"{stage['rebuild_documents']:,} communiqués (benchmarks/corpus.py); incremental "
        f"rounds add {stage['batch_documents']} each.",
    ]
    for kind, title in KIND_TITLES.items():
        if kind not in stage:
            continue
        s = stage[kind]
        lines += [
            "", f"### {title}", "",
            f"An unkilled run took {s['expected_seconds']} s. {s['kills']} kills; the next "
            f"command started at the first try {s['started_first_try']} times (longest wait "
            f"{s['max_wait_to_start_s']} s), succeeded {s['recovered']} times; "
            f"{s['lost_records']} records lost; index = archive after "
            f"{s['index_matches_archive']} of {len(s['rounds'])}.", "",
            "| # | kill | at (s) (tries) | survivors | next started after (s) | busy exits | "
            "next exit | next took (s) | lost | index / archive | stray gens | running |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in s["rounds"]:
            lines.append(
                f"| {r['n']} | {r['mode']} `{_command(r['command'])}` | {r['kill_at_s']} "
                f"({r.get('kill_attempts', 1)}) | "
                f"{r['survivors']} | {r['started_after_s']} | {r['busy_exits']} | "
                f"{r['recovery_exit']}{_mode(r)} | {r['recovery_seconds']} | {r['lost']} | "
                f"{r['index_count']} / {r['archive_count']} | {r['stray_generations']} | "
                f"{r['runs_left_running']} |")
    final = stage.get("rebuild_after_kills")
    if final:
        lines += ["", f"After the rebuild kills, one unkilled `index --rebuild`: exit "
                  f"{final['exit']} in {final['seconds']} s, index {final['index_count']} / "
                  f"archive {final['archive_count']}, stray generations "
                  f"{final['stray_generations_before']} before and "
                  f"{final['stray_generations_after']} after."]
    return lines


def _command(command: str) -> str:
    """A command without its data directory (a temp dir of the run)."""
    return re.sub(r"^--data-dir \S+ ", "", command)


def _mode(row: dict) -> str:
    mode = row.get("recovery_index_mode")
    return f" ({mode})" if mode else ""


def _readers(stage: dict) -> list[str]:
    lines = ["", "## 3. Searches during rebuilds", ""]
    if "requests" not in stage:
        return lines + [f"Did not run: {stage.get('skipped') or stage.get('error')}"]
    rebuilds = ", ".join(f"exit {r['exit']} in {r['seconds']} s" for r in stage["rebuilds"])
    switches = ", ".join(f"{s} s" for s in stage.get("switches_at_s", [])) or "none seen"
    lines += [
        f"`communiques serve` over {stage['documents']:,} synthetic communiqués; "
        f"{stage['readers']} threads search without pause (distinct searches, and every "
        "fifth an empty search whose total must be the archive's count) while "
        f"{len(stage['rebuilds'])} `communiques index --rebuild` run back to back "
        f"({rebuilds}); the index switched generation at {switches} into the stage. "
        "A last check after the rebuilds must come from the last generation.", "",
        "| requests | requests/s | statuses | latency | wrong totals | generations seen |",
        "|---|---|---|---|---|---|",
        f"| {stage['requests']:,} | {stage['requests_per_second']} | "
        f"{_cell(stage['statuses'])} | {_ms(stage)} | {stage['total_mismatches']} of "
        f"{stage['total_checks']} | {stage['generations_seen']} |",
    ]
    if "latency_after_switch_ms" in stage:
        lines += ["", f"Requests started within {stage['after_switch_seconds']:g} s after a "
                  f"switch: {_ms(stage, 'latency_after_switch_ms')}, "
                  f"{stage['failures_after_switch']} failed; all others: "
                  f"{_ms(stage, 'latency_otherwise_ms')}."]
    if stage.get("slowest"):
        lines += ["", "| started at (s) | seconds | status | request |", "|---|---|---|---|"]
        lines += [f"| {r['at_s']} | {r['seconds']:.2f} | {r['status']} | {_url(r['url'])} |"
                  for r in stage["slowest"]]
    return lines


def _load(stage: dict) -> list[str]:
    lines = ["", "## 4. Load past the cache", ""]
    if "requests" not in stage:
        return lines + [f"Did not run: {stage.get('skipped') or stage.get('error')}"]
    lines += [
        f"`wrk -t2 -c{stage['connections']} -d{stage['seconds']}s --timeout 30s` against "
        f"{stage['server']} over {stage['documents']:,} synthetic communiqués. The Lua "
        f"script walks {stage['distinct_searches']:,} distinct searches (words of the "
        "corpus's vocabulary, its officials and countries, date ranges, facet selections, "
        f"sorts, pages; {stage['html_share']:.0%} the HTML page, the rest `/api/search`), "
        "each wrk thread its own part, so no request is a repeat "
        f"({stage['repeated_requests']:,} requests wrapped around the list).", "",
        "| requests | requests/s | 2xx | 429 | 4xx | 5xx | socket errors | timeouts | p50 | "
        "p99 | max |", "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    st = stage["statuses"]
    lines.append(
        f"| {stage['requests']:,} | {stage['requests_per_second']:,.1f} | {st['2xx']:,} | "
        f"{st['429']} | {st['4xx']} | {st['5xx']} | {_cell(stage['socket_errors'])} | "
        f"{stage['timeouts']} | {stage['p50_ms']} ms | {stage['p99_ms']} ms | "
        f"{stage['max_ms']} ms |")
    return lines


def _xss(stage: dict) -> list[str]:
    lines = ["", "## 5. XSS corpus in Chromium", ""]
    if "page_loads" not in stage:
        return lines + [f"Did not run: {stage.get('skipped') or stage.get('error')}"]
    lines += [
        f"{stage['payloads']} payloads (`benchmarks/reliability/xss.py`: `<script>`, "
        "`<img onerror>`, `\"><svg onload>`, `javascript:`/`vbscript:`/`data:` URLs, "
        "attribute breakouts, `</textarea>`/`</title>`/`</script>` breakouts, template "
        "injection, mutation XSS, entity and unicode tricks) in every field of "
        f"{stage['documents']} communiqués (two versions each) and in "
        f"{stage['promoted_officials']} officials promoted into the registry; indexed and "
        f"served by `communiques serve`. {stage['page_loads']} page loads in headless "
        "Chromium: every GET route of the app's `url_map` (each communiqué and official "
        "where a route takes one, every feed and export format), payloads as the query of "
        "every route that reads a search, as selected facet values and dates and as 404 "
        "paths, and payloads typed into the search box. The page's CSP is bypassed, so "
        "escaping alone is tested; "
        f"{stage['html_pages_with_csp']} of {stage['html_pages']} HTML pages also sent a "
        "Content-Security-Policy.", "",
        "| surface | page loads |", "|---|---|",
    ]
    lines += [f"| `{surface}` | {count} |" for surface, count in stage["surfaces"].items()]
    lines += ["", f"Statuses: {_cell(stage['statuses'])}. Dialogs opened: "
              f"{len(stage['dialogs'])}. `window.__xss` set: {len(stage['xss_set'])}. "
              f"Script URLs in links or sources: {len(stage['script_urls'])}. Other injected "
              f"markup (event handlers, inline scripts, frames, `<base>`, refresh, evaluated "
              f"templates): {stage['findings_count'] - len(stage['script_urls'])}. Pages "
              f"that failed to load: {len(stage['load_errors'])}."]
    control = stage.get("control")
    if control:
        lines.append(
            f"The checks themselves, on a control page that inserts each payload unescaped "
            f"(text, `href`, `value` and `<textarea>` contexts), caught {control['caught']} "
            f"of {control['payloads']}; the others do nothing in those contexts (encoded, "
            "template, CSS and other-context payloads).")
    shown = ", ".join(f"`{t or '?'}` {n}" for t, n in stage["content_types"].items())
    lines.append(f"Content types rendered: {shown}.")
    for download in stage["downloads"]:
        lines.append(f"- {_url(download['url'])}: `{download.get('content_type')}`, "
                     f"`{download.get('disposition')}`, {download.get('outcome')}.")
    problems = ([("dialog", d["url"], d["message"]) for d in stage["dialogs"]]
                + [("window.__xss", x["url"], x["value"]) for x in stage["xss_set"]]
                + [(f["kind"], f["url"], f["detail"]) for f in stage["script_urls"]]
                + [(f["kind"], f["url"], f["detail"]) for f in stage["other_findings"]]
                + [("load error", e["url"], e.get("error")) for e in stage["load_errors"]])
    if problems:
        lines += ["", "| what | page | detail |", "|---|---|---|"]
        lines += [f"| {kind} | {_url(url)} | {_cell(detail)} |" for kind, url, detail
                  in problems[:60]]
    return lines


ANALYSIS_FILE = "analysis.md"  # what the figures of the last run mean, written by hand


def write_report(figures: dict, output: Path) -> None:
    stages = figures["stages"]
    lines = _header(figures)
    analysis = output.parent / "reliability" / ANALYSIS_FILE
    if analysis.exists():
        lines += ["", analysis.read_text().strip()]
    for name, section in (("fuzz", _fuzz), ("kills", _kills), ("readers", _readers),
                          ("load", _load), ("xss", _xss)):
        if name in stages:
            lines += section(stages[name])
    output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    here = Path(__file__).resolve().parents[2]
    write_report(json.loads((here / "docs" / "reliability" / "results.json").read_text()),
                 here / "docs" / "reliability.md")
