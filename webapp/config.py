"""Settings: defaults here, then COMMUNIQUES_* environment variables, then overrides.

Every limit is named, with a default and the reason for it.
"""

from __future__ import annotations

from pathlib import Path

from indexer.search import SEARCH_TIME_LIMIT
from scrapers.fetch import FetchSettings

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    # Where the archive and the index live (created if missing): ./index, relative to
    # the directory the command runs in, as the README says.
    "DATA_DIR": "index",
    # Identify ourselves to ministries; a contact lets a webmaster reach us instead of blocking.
    "USER_AGENT": FetchSettings.user_agent,
    "FETCH_CONNECT_TIMEOUT": FetchSettings.connect_timeout,
    "FETCH_READ_TIMEOUT": FetchSettings.read_timeout,
    # Seconds between two requests to one host: ministries are small sites.
    "FETCH_DELAY": FetchSettings.per_host_delay,
    "FETCH_MAX_RETRIES": FetchSettings.max_retries,
    "FETCH_MAX_BODY_BYTES": FetchSettings.max_body_bytes,
    # Seconds one response may take in all (connect, headers, body), and for one page with
    # its robots.txt, redirects and retries: a server dripping bytes cannot hold a crawl.
    "FETCH_DEADLINE": FetchSettings.deadline,
    "FETCH_GET_DEADLINE": FetchSettings.get_deadline,
    # Bytes per second below which a transfer is cut off, after a grace period (0: off).
    "FETCH_MIN_TRANSFER_RATE": FetchSettings.min_transfer_rate,
    "FETCH_TRANSFER_RATE_GRACE": FetchSettings.transfer_rate_grace,
    # Loopback/private addresses are refused (SSRF); only local fixture copies need them.
    "FETCH_ALLOW_PRIVATE_ADDRESSES": False,
    # Real host -> base URL of a local copy of that site (tests and the demo).
    "SITE_OVERRIDES": {},
    # Results per page on the HTML page and the API's default.
    "PAGE_SIZE": 10,
    # Seconds a search may score before it is stopped with a 503 (frees the worker).
    "SEARCH_TIME_LIMIT": SEARCH_TIME_LIMIT,
    # Read the index generation's tables and the officials registry when the app starts
    # (a background thread), so that no visitor's first search pays for them.
    "WARM_UP": True,
    # After that warm-up, move every object then alive (the officials registry, the
    # gazetteer, modules) out of reach of Python's full garbage collections (gc.freeze),
    # which otherwise scan them all, about 90 ms at 10k documents, inside a request; each
    # new index generation collects and freezes again. Process-wide: off under TESTING
    # (tests make many apps in one process) and without the warm-up.
    "GC_FREEZE": True,
    # Blocks of this many bytes or more (a search's arrays of a value per document: 4 MB
    # and more past a million documents) are mapped on their own and handed back when
    # freed. glibc's default, once a large block was freed, keeps such blocks in its
    # heap, where the worker keeps them resident: 30-35 MB more per worker after the 1M
    # benchmark's cold mix (1 MB here saved 5 MB more but cost 5 % of the cold mix's
    # rate: each block mapped is pages zeroed again). With it, free memory at the top of
    # the heap is kept up to MALLOC_TRIM_THRESHOLD (else glibc would hand back anything
    # past 128 KB and take it again at the next search). Process-wide: set by serving
    # apps, not under TESTING; 0 leaves glibc's defaults.
    "MALLOC_MMAP_THRESHOLD": 4 << 20,
    "MALLOC_TRIM_THRESHOLD": 64 << 20,
    # Requests one client (address) may make: Flask-Limiter's syntax, ";" between limits.
    # Empty turns rate limiting off (a benchmark measuring capacity). Per worker process.
    "RATE_LIMIT": "20/second;300/minute",
    # Requests of one client in progress at once (0: no limit): a costly search holds a
    # worker thread until the time limit, and a client may hold a few, never all.
    "CONCURRENT_PER_CLIENT": 4,
    # Origins allowed to frame the embed routes (CSP frame-ancestors): "*" for any, or a
    # space-separated list such as "https://news.example https://*.news.example".
    # Every other page refuses framing.
    "EMBED_ORIGINS": "*",
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none).
    "TRUSTED_PROXIES": 0,
    "JSON_SORT_KEYS": False,
}


class SettingError(ValueError):
    """A setting's value the app cannot run with (the CLI says it, without a traceback)."""


def fetch_settings(config: dict) -> FetchSettings:
    """The fetcher's settings from the app config."""
    return FetchSettings(
        user_agent=str(config["USER_AGENT"]),
        connect_timeout=float(config["FETCH_CONNECT_TIMEOUT"]),
        read_timeout=float(config["FETCH_READ_TIMEOUT"]),
        per_host_delay=float(config["FETCH_DELAY"]),
        max_retries=int(config["FETCH_MAX_RETRIES"]),
        max_body_bytes=int(config["FETCH_MAX_BODY_BYTES"]),
        deadline=float(config["FETCH_DEADLINE"]),
        get_deadline=float(config["FETCH_GET_DEADLINE"]),
        min_transfer_rate=float(config["FETCH_MIN_TRANSFER_RATE"]),
        transfer_rate_grace=float(config["FETCH_TRANSFER_RATE_GRACE"]),
        allow_private_addresses=bool(config["FETCH_ALLOW_PRIVATE_ADDRESSES"]),
    )
