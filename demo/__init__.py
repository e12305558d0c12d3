"""The demo: a bundled copy of the five ministries' sites and the loopback server for it.

`communiques demo` serves `SITES` with `demo.localsites.LocalSites`, crawls the copies with
the real crawler, indexes them and serves search; `communiques update --sites` rehearses
against them. The tests crawl the same copies (their fixture renderers,
`tests/fixtures/build_*.py`, write them here), but nothing here reads from `tests/`.
"""

from __future__ import annotations

from pathlib import Path

# The bundled copy of the sites, one directory per host (layout: demo/localsites.py).
SITES = Path(__file__).resolve().parent / "sites"
