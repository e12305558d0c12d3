"""Shared fixtures: a local copy of the ministries' sites served over loopback HTTP,
an app configured to crawl it, and a session-wide crawled archive and index."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

import evaluation
from demo import SITES as DEMO_SITES
from webapp import create_app
from webapp.cli import cli

# Tests make many requests from one address: the per-client rate limit is off for every
# app they create (tests/test_hostile_input.py turns it on where it is the subject).
os.environ["COMMUNIQUES_RATE_LIMIT"] = ""
# Nor does any app freeze the test process's objects after its warm-up (GC_FREEZE, for
# serving workers): tests/test_heap_freeze.py turns it on where it is the subject.
os.environ["COMMUNIQUES_GC_FREEZE"] = "false"

FIXTURES = Path(__file__).parent / "fixtures"  # the renderers and their article texts
SITES = DEMO_SITES  # the demo's copy of the sites, written by fixtures/build_*.py
GOLDEN = evaluation.GOLDEN  # the expected records, written by the same renderers
UNSEEN = evaluation.UNSEEN


def load_golden(source_id: str) -> list[dict]:
    return json.loads((GOLDEN / f"{source_id}.json").read_text(encoding="utf-8"))


def local_url(real_url: str, base_urls: dict[str, str]) -> str:
    """A golden record's real URL, rewritten to the loopback copy serving that host."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(real_url)
    base = urlsplit(base_urls[parts.hostname])
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def crawl_config(data_dir: Path, base_urls: dict[str, str]) -> dict:
    return {
        "TESTING": True,
        "DATA_DIR": str(data_dir),
        "SITE_OVERRIDES": base_urls,
        "FETCH_ALLOW_PRIVATE_ADDRESSES": True,
        "FETCH_DELAY": 0.0,
        "FETCH_MAX_RETRIES": 0,
        "FETCH_READ_TIMEOUT": 5.0,
        "SERVER_NAME": "localhost",
    }


def run_cli(app: Flask, *args: str):
    """Invoke the `communiques` command against a configured app."""
    return CliRunner().invoke(cli, list(args), obj=app, catch_exceptions=False)


@pytest.fixture
def site_copy(tmp_path: Path) -> Path:
    """A private, writable copy of the fixture sites (tests change pages in it)."""
    root = tmp_path / "sites"
    shutil.copytree(SITES, root)
    return root


@pytest.fixture
def local_sites(site_copy: Path) -> Iterator:
    from demo.localsites import LocalSites

    with LocalSites(site_copy) as sites:
        yield sites


@pytest.fixture
def app(tmp_path: Path, local_sites) -> Flask:
    """An app whose crawler points at this test's copy of the sites; nothing crawled yet."""
    return create_app(crawl_config(tmp_path / "data", local_sites.base_urls))


@pytest.fixture(scope="session")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, str]]]:
    """One full crawl + index of the fixture sites, shared by read-only tests."""
    from demo.localsites import LocalSites

    root = tmp_path_factory.mktemp("crawled")
    with LocalSites(SITES) as sites:
        app = create_app(crawl_config(root / "data", sites.base_urls))
        result = run_cli(app, "crawl")
        assert result.exit_code == 0, result.output
        result = run_cli(app, "index")
        assert result.exit_code == 0, result.output
        # The did-you-mean lexicon is built in the background on the first search that
        # asks for it; read it now, so the tests of suggestions see it (a warmed-up server).
        from indexer.search import SearchRequest

        service = app.extensions["search"]
        service.did_you_mean(SearchRequest(q="warm"))
        assert service.lexicons.wait_idle(120)
        yield app, sites.base_urls


@pytest.fixture
def crawled_app(crawled) -> Flask:
    return crawled[0]


@pytest.fixture
def client(crawled_app: Flask):
    return crawled_app.test_client()
