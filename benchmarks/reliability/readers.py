"""Stage 3: searches keep working while the index is rebuilt underneath them.

`communiques serve` serves the synthetic archive while two full rebuilds
(`communiques index --rebuild`) run back to back. Reader threads search the whole time:
distinct searches (no cache), and every fifth request an empty search whose total must
equal the archive's count. Every answer must be a 200. A watcher notes when each rebuild
switches the index's CURRENT pointer, so slow answers can be set against the switches;
after the rebuilds one more check must come from the last generation (the app picks up
every new generation without a restart).
"""

from __future__ import annotations

import http.client
import itertools
import json
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks.reliability.common import (
    REPO,
    archive_count,
    communiques,
    latency_ms,
    say,
    synthetic_index,
    waitress_server,
)
from benchmarks.reliability.load import distinct_searches

DEFAULT_READERS = 3
DEFAULT_REBUILDS = 2
CHECK_EVERY = 5
CHECK_PATH = "/api/search?q=&size=1"
CLIENT_TIMEOUT = 30.0
AFTER_SWITCH = 5.0  # seconds after a switch whose requests are reported apart


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[str, bytes, str]:
    """(status or exception name, body, ETag) of one request."""
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return str(response.status), response.read(), response.getheader("ETag") or ""
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        return type(exc).__name__, b"", ""


def run(work: Path, readers: int = DEFAULT_READERS, rebuilds: int = DEFAULT_REBUILDS,
        seed: int = 16, docs: int = 10_000) -> dict:
    from indexer.build import IndexHome

    data, _ = synthetic_index(work, docs)
    expected = archive_count(data)
    searches = iter(distinct_searches(200_000, seed + 1))
    lock = threading.Lock()
    stop = threading.Event()
    rows: list[dict] = []  # every request: start (s into the stage), seconds, status, url
    mismatches: list[dict] = []
    etags: list[str] = []
    switches: list[float] = []
    server = waitress_server(data, work / "logs" / "readers-server.log")
    began = time.perf_counter()

    def note_etag(tag: str) -> None:
        if tag and (not etags or etags[-1] != tag):
            etags.append(tag)

    def reader() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port,
                                                timeout=CLIENT_TIMEOUT)
        for n in itertools.count():
            if stop.is_set():
                break
            check = n % CHECK_EVERY == 0
            with lock:
                path = CHECK_PATH if check else next(searches)
            start = time.perf_counter()
            label, body, tag = _get(connection, path)
            elapsed = time.perf_counter() - start
            with lock:
                rows.append({"at_s": round(start - began, 2), "seconds": round(elapsed, 3),
                             "status": label, "url": path, "check": check})
                if check and label == "200":
                    note_etag(tag)
                    total = json.loads(body)["total"]
                    if total != expected:
                        mismatches.append({"total": total, "expected": expected,
                                           "at_s": round(start - began, 2)})
        connection.close()

    def watcher() -> None:
        home = IndexHome(data)
        current = home.current_dir()
        while not stop.is_set():
            now = home.current_dir()
            if now != current:
                switches.append(round(time.perf_counter() - began, 2))
                current = now
            time.sleep(0.05)

    rebuilt = []
    with server:
        say(f"readers: {readers} threads searching while {rebuilds} rebuilds run")
        began = time.perf_counter()
        threads = [threading.Thread(target=reader, daemon=True) for _ in range(readers)]
        threads.append(threading.Thread(target=watcher, daemon=True))
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        for _ in range(rebuilds):
            start = time.perf_counter()
            with open(work / "logs" / "readers-rebuilds.log", "ab") as handle:
                result = subprocess.run(
                    [*communiques(), "--data-dir", str(data), "index", "--rebuild"], cwd=REPO,
                    stdout=handle, stderr=subprocess.STDOUT, check=False)
            rebuilt.append({"exit": result.returncode,
                            "seconds": round(time.perf_counter() - start, 1)})
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)
        elapsed = time.perf_counter() - began
        # The last generation must be served now, without a restart.
        final = http.client.HTTPConnection("127.0.0.1", server.port, timeout=CLIENT_TIMEOUT)
        label, body, tag = _get(final, CHECK_PATH)
        final.close()
        if label == "200":
            note_etag(tag)
            final_total = json.loads(body)["total"]
        else:
            final_total = None
    statuses = Counter(r["status"] for r in rows)
    after = [any(0 <= r["at_s"] - s <= AFTER_SWITCH for s in switches) for r in rows]
    near = [r for r, flag in zip(rows, after, strict=True) if flag]
    far = [r for r, flag in zip(rows, after, strict=True) if not flag]
    return {
        "readers": readers, "documents": expected, "rebuilds": rebuilt,
        "seconds": round(elapsed, 1), "requests": len(rows),
        "requests_per_second": round(len(rows) / elapsed, 1) if elapsed else None,
        "statuses": dict(sorted(statuses.items())),
        "latency_ms": latency_ms([r["seconds"] for r in rows]),
        "switches_at_s": switches,
        "after_switch_seconds": AFTER_SWITCH,
        "latency_after_switch_ms": latency_ms([r["seconds"] for r in near]),
        "latency_otherwise_ms": latency_ms([r["seconds"] for r in far]),
        "failures_after_switch": sum(1 for r in near if r["status"] != "200"),
        "slowest": sorted(rows, key=lambda r: -r["seconds"])[:10],
        "total_checks": sum(1 for r in rows if r["check"]) + 1,
        "total_mismatches": len(mismatches), "mismatch_examples": mismatches[:10],
        "final_total": final_total, "generations_seen": len(etags),
        "failures": [r for r in rows if r["status"] != "200"][:50],
        "passed": (set(statuses) == {"200"} and not mismatches and final_total == expected
                   and all(r["exit"] == 0 for r in rebuilt)
                   and len(etags) >= rebuilds + 1),
    }
