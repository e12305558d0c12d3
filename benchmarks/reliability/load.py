"""Stage 4: capacity under load, past the result cache.

gunicorn with two workers serves the synthetic archive; `wrk` keeps 50 connections busy
for 60 s walking a list of distinct searches (words from the corpus's vocabulary, its
officials and countries, date ranges, facet selections, sorts, pages), so no request is
answered from a cache. Each wrk thread walks its own part of the list. 429s are counted
apart from errors: the per-client limits are switched off (common.limits_env), and a 429
would mean a limit the hook does not know yet.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.reliability.common import gunicorn_server, say, synthetic_index

DEFAULT_SECONDS = 60
DEFAULT_CONNECTIONS = 50
DEFAULT_PATHS = 60_000
WRK_THREADS = 2
WRK_TIMEOUT = "30s"
HTML_SHARE = 0.25  # of the requests, the search page; the rest the JSON API

# Lua for wrk: thread k of n requests paths k, k+n, k+2n, ... so no two requests repeat
# until the list is exhausted; statuses are counted per thread and summed in done().
WRK_SCRIPT = """
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  s2xx, s429, s4xx, s5xx, other = 0, 0, 0, 0, 0
end
function request()
  local i = (counter * %(threads)d + id) %% #paths + 1
  counter = counter + 1
  return wrk.format("GET", paths[i])
end
function response(status, headers, body)
  if status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local t = {s2xx = 0, s429 = 0, s4xx = 0, s5xx = 0, other = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do t[name] = t[name] + thread:get(name) end
  end
  io.write(string.format(
    "RELIABILITY {\\"2xx\\": %%d, \\"429\\": %%d, \\"4xx\\": %%d, \\"5xx\\": %%d, " ..
    "\\"other\\": %%d, \\"requests\\": %%d, \\"connect\\": %%d, \\"read\\": %%d, " ..
    "\\"write\\": %%d, \\"timeout\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d, " ..
    "\\"max_us\\": %%d}\\n",
    t.s2xx, t.s429, t.s4xx, t.s5xx, t.other, summary.requests, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def distinct_searches(count: int, seed: int, html_share: float = HTML_SHARE) -> list[str]:
    """`count` distinct search URLs over the synthetic corpus's own words, people,
    countries, dates and facet values (benchmarks/corpus.py)."""
    from benchmarks import corpus

    rng = random.Random(seed)
    common = corpus.common_words()
    rare = list(corpus.rare_words()[:5000])
    phrases = [c for c in corpus.COLLOCATIONS if corpus.query_safe(c)]
    languages = [value for value, _ in corpus.LANGUAGES]
    types = [value for value, _ in corpus.DOC_TYPES]
    found: dict[str, None] = {}
    while len(found) < count:
        word = rng.choice(common if rng.random() < 0.5 else rare)
        kind = rng.random()
        params: list[tuple[str, str]] = []
        if kind < 0.2:
            params.append(("q", word))
        elif kind < 0.35:
            params.append(("q", f"{word} {rng.choice(common)}"))
        elif kind < 0.42:
            params.append(("q", f'"{rng.choice(phrases)}"' if phrases else word))
        elif kind < 0.52:
            params.append(("q", f'official:"{rng.choice(corpus.PEOPLE)}"'))
        elif kind < 0.62:
            params.append(("q", f'country:"{rng.choice(corpus.COUNTRIES)[1]}"'))
        elif kind < 0.74:
            year = rng.randint(2000, 2026)
            month = rng.randint(1, 12)
            params += [("q", word), ("from", f"{year}-{month:02d}"),
                       ("to", f"{year}-{month:02d}" if rng.random() < 0.5 else str(year))]
        elif kind < 0.86:
            params.append(("q", word))
            params += [("language", v) for v in rng.sample(languages, rng.randint(1, 2))]
            if rng.random() < 0.5:
                params.append(("type", rng.choice(types)))
            if rng.random() < 0.3:
                params.append(("source", rng.choice(corpus.SOURCES)))
        elif kind < 0.94:
            params += [("q", word), ("sort", rng.choice(("newest", "oldest")))]
        else:
            params += [("q", f"{word} OR {rng.choice(common)}"), ("page", str(rng.randint(2, 5)))]
        route = "/" if rng.random() < html_share else "/api/search"
        found[f"{route}?{urlencode(params)}"] = None
    return list(found)


def parse_figures(output: str) -> dict:
    """wrk's summary lines plus the RELIABILITY line the script's done() writes."""
    figures: dict[str, object] = {}
    for line in output.splitlines():
        if line.startswith("RELIABILITY "):
            counts = json.loads(line[len("RELIABILITY "):])
            figures["statuses"] = {k: counts[k] for k in ("2xx", "429", "4xx", "5xx", "other")}
            figures["socket_errors"] = {k: counts[k] for k in ("connect", "read", "write")}
            figures["timeouts"] = counts["timeout"]
            figures["requests"] = counts["requests"]
            figures["p50_ms"] = round(counts["p50_us"] / 1000, 1)
            figures["p99_ms"] = round(counts["p99_us"] / 1000, 1)
            figures["max_ms"] = round(counts["max_us"] / 1000, 1)
        elif line.startswith("Requests/sec:"):
            figures["requests_per_second"] = float(line.split()[1])
    if "statuses" in figures:
        statuses = figures["statuses"]
        assert isinstance(statuses, dict)
        socket_errors = figures["socket_errors"]
        assert isinstance(socket_errors, dict)
        figures["errors"] = (statuses["4xx"] + statuses["5xx"] + statuses["other"]
                             + sum(socket_errors.values()) + int(figures["timeouts"]))  # type: ignore[call-overload]
        figures["rate_limited"] = statuses["429"]
    return figures


def run(work: Path, seconds: int = DEFAULT_SECONDS, connections: int = DEFAULT_CONNECTIONS,
        paths: int = DEFAULT_PATHS, seed: int = 16, docs: int = 10_000) -> dict:
    """The load stage: wrk against gunicorn (2 workers) over the synthetic archive."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (make bench-tools installs it)",
                "passed": False}
    data, _ = synthetic_index(work, docs)
    searches = distinct_searches(paths, seed)
    script = work / "load.lua"
    script.write_text("paths = {" + ",".join(json.dumps(p) for p in searches) + "}\n"
                      + WRK_SCRIPT % {"threads": WRK_THREADS})
    server = gunicorn_server(data, work / "logs" / "load-server.log")
    with server:
        # Each worker opens the index generation before the clock starts.
        for _ in range(8):
            urllib.request.urlopen(server.base_url + "/api/search?q=&size=1", timeout=60).read()
        say(f"load: wrk -c{connections} -d{seconds}s over {len(searches)} distinct searches")
        started = time.perf_counter()
        result = subprocess.run(
            [wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
             "--timeout", WRK_TIMEOUT, "-s", str(script), server.base_url],
            capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
    figures = parse_figures(result.stdout)
    requests = int(figures.get("requests", 0))
    figures.update({
        "connections": connections, "seconds": seconds, "wall_seconds": round(elapsed, 1),
        "server": "gunicorn -w 2 (sync workers)", "distinct_searches": len(searches),
        "repeated_requests": max(0, requests - len(searches)),
        "html_share": HTML_SHARE, "documents": _documents(data),
        "wrk_output": re.sub(r"RELIABILITY .*\n?", "", result.stdout).strip(),
    })
    figures["passed"] = result.returncode == 0 and figures.get("errors") == 0
    return figures


def _documents(data: Path) -> int:
    from benchmarks.reliability.common import archive_count

    return archive_count(data)
