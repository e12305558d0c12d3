"""The web app: HTML search pages and a JSON API over the one search service."""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
from collections.abc import Mapping

from flask import Flask

from indexer.generations import freeze_long_lived
from indexer.search import SearchService
from webapp.config import DEFAULTS

log = logging.getLogger(__name__)

# Held while an app registers its routes and while a warm-up reads its generation: both
# build Python ASTs (Werkzeug compiles each route; np.load parses .npy headers with ast),
# and CPython 3.11.7 can fail with "AST constructor recursion depth mismatch" when two
# threads do so at once (apps made one after another in one process, as tests do).
_AST_BUILDERS = threading.Lock()


def _warm(service: SearchService) -> None:
    # A warm-up that fails (no index yet, a rebuild under way) costs nothing: the first
    # search then reads what it needs, as it would have.
    try:
        with _AST_BUILDERS:
            service.warm()
    except Exception as error:  # noqa: BLE001 - never take a worker down for a warm-up
        log.info("search warm-up skipped: %s", error)
    release_loading_memory()


def _warm_up(service: SearchService, freeze: bool) -> None:
    _warm(service)
    if freeze:
        # What is alive now lives as long as the worker: no full collection scans it
        # again (see indexer.generations.freeze_long_lived), and each new generation
        # collects and freezes again.
        service.generations.refreeze = True
        freeze_long_lived()


def freezes_heap(app: Flask) -> bool:
    """Whether a serving app freezes its long-lived objects after its warm-up: with
    GC_FREEZE on and not under TESTING (tests make many apps in one process)."""
    return bool(app.config["GC_FREEZE"]) and not app.testing


def release_loading_memory() -> None:
    """Hand back what only loading needed: babel's parsed CLDR locales (the gazetteer and
    the officials scanner keep their own names; babel would keep every locale they read,
    about 5 MB, for the process's life), the words folded while reading the officials'
    and countries' names (about 6 MB of caches sized for indexing), and the C heap's free
    pages (glibc keeps freed memory below its top: the warm-up's temporary objects would
    stay in RSS). Caches only: what reads them later computes them again."""
    from babel import localedata

    from indexer import folding

    localedata.clear_caches()
    folding.clear_caches()
    gc.collect()
    _malloc_trim()


def _malloc_trim() -> None:
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):  # not glibc: nothing to hand back this way
        return
    trim(0)


# mallopt's parameter numbers (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_malloc(mmap_threshold: int, trim_threshold: int) -> bool:
    """Set glibc's mmap and trim thresholds for this process (see MALLOC_MMAP_THRESHOLD
    in webapp.config); False when not set (0, or not glibc). Setting either fixes both,
    so both are set."""
    if not mmap_threshold:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))) and \
        bool(mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)))


def create_app(config: Mapping[str, object] | None = None, *, serving: bool = True) -> Flask:
    """App factory: defaults, then COMMUNIQUES_* environment variables, then `config`.

    `serving` False (the command line's writers): no warm-up thread, which would load
    the search side for nothing and run while the writers fork; `start_warm_up` starts it
    when such an app comes to serve."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("COMMUNIQUES")
    if config:
        app.config.from_mapping(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    service = SearchService(app.config["DATA_DIR"], float(app.config["SEARCH_TIME_LIMIT"]))
    app.extensions["search"] = service

    with _AST_BUILDERS:
        _register(app)
    if serving:
        if not app.testing:
            tune_malloc(int(app.config["MALLOC_MMAP_THRESHOLD"] or 0),
                        int(app.config["MALLOC_TRIM_THRESHOLD"] or 0))
        start_warm_up(app)
    return app


def start_warm_up(app: Flask) -> None:
    """Read the generation's version tables and the officials registry once per worker,
    off the request path, rather than by whoever searches first (once per app, and only
    with WARM_UP on); then, with GC_FREEZE on, freeze what is alive (`freezes_heap`)."""
    if not app.config["WARM_UP"] or "search_warm_up" in app.extensions:
        return
    warm_up = threading.Thread(target=_warm_up,
                               args=(app.extensions["search"], freezes_heap(app)),
                               name="search-warm-up", daemon=True)
    app.extensions["search_warm_up"] = warm_up
    warm_up.start()


def _register(app: Flask) -> None:
    """The app's extensions, headers, blueprints and error handlers."""
    from webapp import api, embed, entities, errors, feeds, http, limits, pages

    limits.init_app(app)
    http.init_app(app)

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(entities.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(embed.bp)
    # Issue 15: crawl health (/status, /api/status), edits and withdrawals.
    from webapp import diffs, status

    app.register_blueprint(status.bp)
    diffs.init_app(app)
    # Issue 11: events, one meeting with every readout side by side.
    from indexer.events.service import EventService
    from webapp import events

    app.extensions["events"] = EventService(app.config["DATA_DIR"])
    app.register_blueprint(events.bp)
    errors.register(app)
