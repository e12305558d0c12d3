"""Stage 3: searches keep working while the index is rebuilt underneath them.

`communiques serve` serves the synthetic archive while two full rebuilds
(`communiques index --rebuild`) run back to back. Reader threads search the whole time:
distinct searches (no cache), and every tenth request an empty search whose total must
equal the archive's count. Every answer must be a 200; the ETags of that check request
tell whether the app switched to each new generation without a restart.
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
CHECK_EVERY = 10
CHECK_PATH = "/api/search?q=&size=1"
CLIENT_TIMEOUT = 30.0


def run(work: Path, readers: int = DEFAULT_READERS, rebuilds: int = DEFAULT_REBUILDS,
        seed: int = 16, docs: int = 10_000) -> dict:
    data, _ = synthetic_index(work, docs)
    expected = archive_count(data)
    searches = iter(distinct_searches(200_000, seed + 1))
    lock = threading.Lock()
    stop = threading.Event()
    statuses: Counter[str] = Counter()
    seconds: list[float] = []
    mismatches: list[dict] = []
    etags: list[str] = []
    failures: list[dict] = []
    checks = [0]
    server = waitress_server(data, work / "logs" / "readers-server.log")

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
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                label = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                label, body, response = type(exc).__name__, b"", None
                connection.close()
            elapsed = time.perf_counter() - start
            with lock:
                statuses[label] += 1
                seconds.append(elapsed)
                if label != "200":
                    failures.append({"url": path, "status": label})
                if check:
                    checks[0] += 1
                if check and response is not None and response.status == 200:
                    total = json.loads(body)["total"]
                    tag = response.getheader("ETag") or ""
                    if not etags or etags[-1] != tag:
                        etags.append(tag)
                    if total != expected:
                        mismatches.append({"total": total, "expected": expected,
                                           "at_s": round(time.perf_counter() - began, 2)})
        connection.close()

    rebuilt = []
    with server:
        say(f"readers: {readers} threads searching while {rebuilds} rebuilds run")
        began = time.perf_counter()
        threads = [threading.Thread(target=reader, daemon=True) for _ in range(readers)]
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
        time.sleep(2.0)  # the app notices the last switch on its next request
        stop.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)
        elapsed = time.perf_counter() - began
    requests = sum(statuses.values())
    return {
        "readers": readers, "documents": expected, "rebuilds": rebuilt,
        "seconds": round(elapsed, 1), "requests": requests,
        "requests_per_second": round(requests / elapsed, 1) if elapsed else None,
        "statuses": dict(sorted(statuses.items())), "latency_ms": latency_ms(seconds),
        "total_checks": checks[0],
        "total_mismatches": len(mismatches), "mismatch_examples": mismatches[:10],
        "generations_seen": len(etags), "failures": failures[:50],
        "passed": (set(statuses) == {"200"} and not mismatches
                   and all(r["exit"] == 0 for r in rebuilt)
                   and len(etags) >= rebuilds + 1),
    }
