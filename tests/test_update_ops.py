"""Scheduled re-crawls an operator can leave alone (issue 15): `communiques update` run twice
against the fixture sites, an edited article, a broken site, and the writer lock held from
crawl to index (two runs at once; a run killed with SIGKILL).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli

from indexer.archive import Archive

REPO = Path(__file__).resolve().parent.parent
CHINA = "www.fmprc.gov.cn"
CHINA_LISTINGS = "eng/xw/zyxw"


def runs_of(app, source_id: str) -> list[dict]:
    result = run_cli(app, "status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    return next(s for s in data["sources"] if s["id"] == source_id)["runs"]


def china_article(site_copy: Path) -> Path:
    return sorted((site_copy / CHINA / CHINA_LISTINGS).glob("2026*/t*.html"))[0]


def test_second_update_fetches_only_listings_and_gets_304s(app) -> None:
    first = run_cli(app, "update", "--log-format", "json")
    assert first.exit_code == 0, first.output
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        archived = archive.count()
    assert archived > 100

    # Nothing is due an hour early: the run crawls nothing and says when each source is.
    idle = run_cli(app, "update", "--log-format", "json")
    assert idle.exit_code == 0, idle.output
    assert idle.output.count('"event": "not_due"') == 5
    assert len(runs_of(app, "china-mfa")) == 1

    again = run_cli(app, "update", "--all", "--log-format", "json")
    assert again.exit_code == 0, again.output
    for source_id in ("china-mfa", "russia-mid", "serbia-mfa", "uk-fcdo", "us-state"):
        run = runs_of(app, source_id)[0]
        assert run["status"] == "ok"
        assert run["new"] == run["changed"] == 0, (source_id, run)
        stats = run
        assert stats["requests"] > 0
        # Only listings, feeds and API pages were requested, and every one answered 304.
        assert stats["not_modified"] == stats["requests"], (source_id, stats)
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert archive.count() == archived
        assert archive.count_versions() == archived


def test_first_runs_walk_every_listing_page_later_runs_stop_at_known_ones(app) -> None:
    assert run_cli(app, "update", "--source", "china-mfa").exit_code == 0
    first = runs_of(app, "china-mfa")[0]
    assert run_cli(app, "update", "--source", "china-mfa").exit_code == 0
    second = runs_of(app, "china-mfa")[0]
    assert second["seen"] < first["seen"]  # paging stopped at the first all-known page
    assert second["requests"] < first["requests"]


def test_an_edited_article_becomes_a_new_version_with_a_word_diff(app, site_copy) -> None:
    assert run_cli(app, "update", "--source", "china-mfa").exit_code == 0
    page = china_article(site_copy)
    html = page.read_text(encoding="utf-8")
    body = re.search(r'id="News_Body_Txt_A"[^>]*>(.*?)</p>', html, re.S)
    assert body, "the fixture article has a body paragraph"
    edited = html.replace("<p>", "<p>Corrected statement: ", 2)
    assert edited != html
    page.write_text(edited, encoding="utf-8")

    result = run_cli(app, "update", "--source", "china-mfa", "--recheck")
    assert result.exit_code == 0, result.output
    run = runs_of(app, "china-mfa")[0]
    assert run["changed"] == 1
    assert run["not_modified"] >= run["unchanged"] > 0  # the others answered 304

    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        [(cid,)] = archive._db.execute(
            "SELECT id FROM communiques WHERE current_version = 2").fetchall()
        assert [v.version for v in archive.versions(cid)] == [1, 2]
    client = app.test_client()
    document = client.get(f"/communiques/{cid}").get_data(as_text=True)
    assert "Edited on" in document
    assert f"/communiques/{cid}/diff?from=1&amp;to=2" in document
    diff = client.get(f"/communiques/{cid}/diff?from=1&to=2")
    assert diff.status_code == 200
    text = diff.get_data(as_text=True)
    assert "<ins>Corrected statement: </ins>" in text
    assert "<del>" not in text  # only words were added
    # Version 1 is kept as it was.
    old = client.get(f"/communiques/{cid}?version=1").get_data(as_text=True)
    assert "Corrected statement" not in old
    assert client.get(f"/communiques/{cid}/diff?from=1&to=9").status_code == 404


def test_a_broken_site_fails_the_update_and_leaves_the_archive_alone(app, site_copy) -> None:
    assert run_cli(app, "update", "--source", "china-mfa").exit_code == 0
    data_dir = Path(app.config["DATA_DIR"])
    before = (data_dir / Archive.FILENAME).stat()
    with Archive(data_dir, readonly=True) as archive:
        counts = (archive.count(), archive.count_versions())
    for listing in (site_copy / CHINA / CHINA_LISTINGS).glob("index*.html"):
        listing.write_text(listing.read_text(encoding="utf-8").replace("list1", "redesigned"),
                           encoding="utf-8")
    result = run_cli(app, "update", "--source", "china-mfa", "--recheck")
    assert result.exit_code == 1, result.output
    with Archive(data_dir, readonly=True) as archive:
        assert (archive.count(), archive.count_versions()) == counts
    status = app.test_client().get("/api/status").get_json()
    assert "china-mfa" in status["failing"]
    china = next(s for s in status["sources"] if s["id"] == "china-mfa")
    assert china["state"] == "failing" and china["consecutive_failures"] == 1
    assert any("listing has no items" in e["message"] for e in china["errors"])
    assert china["last_success"] is not None  # the first run's
    assert before.st_size > 0


def test_a_host_that_is_down_is_one_line(app, local_sites) -> None:
    # Point the Serbian sites at a port nobody listens on.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    app.config["SITE_OVERRIDES"] = {**local_sites.base_urls, "www.mfa.gov.rs": dead,
                                    "arhiviranisajt.msp.gov.rs": dead}
    result = run_cli(app, "update", "--source", "serbia-mfa", "--log-format", "json")
    assert result.exit_code == 1
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    failing = [e for e in events if e["event"] == "host_failed"]
    assert len(failing) == 1, failing  # one line for the host, not one per URL
    # Every section of both sites failed on it (robots.txt unreachable), in that one line.
    assert failing[0]["host"] == "127.0.0.1" and failing[0]["failures"] > 1, failing
    assert all("ts" in e for e in events)


# -- the writer lock from crawl to index, in real processes ----------------------------


def communiques(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("communiques")
    return [sys.executable, str(script), *args]


def env_for(data_dir: Path, base_urls: dict[str, str], pause: float = 0) -> dict[str, str]:
    return {**os.environ, "COMMUNIQUES_DATA_DIR": str(data_dir),
            "COMMUNIQUES_SITE_OVERRIDES": json.dumps(base_urls),
            "COMMUNIQUES_FETCH_ALLOW_PRIVATE_ADDRESSES": "true",
            "COMMUNIQUES_FETCH_DELAY": "0", "COMMUNIQUES_FETCH_MAX_RETRIES": "0",
            "COMMUNIQUES_TEST_PAUSE_BEFORE_INDEX": str(pause)}


def wait_for_lock_holder(data_dir: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    lock = data_dir / "writer.lock"
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text().strip():
            return
        time.sleep(0.05)
    raise AssertionError("the update never took the lock")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_two_updates_at_once_one_exits_with_the_lock_code(tmp_path, local_sites) -> None:
    data_dir = tmp_path / "data"
    env = env_for(data_dir, local_sites.base_urls, pause=8)
    first = subprocess.Popen(communiques("update", "--source", "china-mfa"), cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_lock_holder(data_dir)
        second = subprocess.run(communiques("update", "--source", "china-mfa"), cwd=REPO,
                                env={**env, "COMMUNIQUES_TEST_PAUSE_BEFORE_INDEX": "0"},
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 75, second.stderr
        assert "busy:" in second.stderr and "Traceback" not in second.stderr
        assert first.wait(timeout=120) == 0, first.stderr.read().decode()
    finally:
        if first.poll() is None:
            first.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_an_update_killed_between_crawl_and_index_leaves_nothing_stale(
        tmp_path, local_sites) -> None:
    data_dir = tmp_path / "data"
    env = env_for(data_dir, local_sites.base_urls, pause=30)
    run = subprocess.Popen(communiques("update", "--source", "china-mfa",
                                       "--log-format", "json"),
                           cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Killed while it holds the lock after its crawl, before its index.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with Archive(data_dir, readonly=True) as archive:
                if archive._db.execute("SELECT COUNT(*) FROM crawl_runs WHERE status = 'ok'"
                                       ).fetchone()[0]:
                    break
            time.sleep(0.1)
        time.sleep(0.3)
        assert run.poll() is None
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
    finally:
        if run.poll() is None:
            run.kill()
    after = subprocess.run(communiques("update", "--source", "china-mfa",
                                       "--log-format", "json"),
                           cwd=REPO, env={**env, "COMMUNIQUES_TEST_PAUSE_BEFORE_INDEX": "0"},
                           capture_output=True, text=True, timeout=120)
    assert after.returncode == 0, after.stderr
    assert '"event": "lock_recovered"' in after.stderr
    assert (data_dir / "writer.lock").read_text() == ""  # released cleanly
    # The killed run's crawl was archived; the next run indexed it.
    events = [json.loads(line) for line in after.stderr.splitlines() if line.startswith("{")]
    index = next(e for e in events if e["event"] == "index_done")
    assert index["documents"] > 0


def test_a_source_stops_at_its_budget_and_loses_nothing(app) -> None:
    from indexer import pipeline
    from scrapers.crawl import CrawlOptions
    from scrapers.sources import load_sources
    from webapp.config import fetch_settings

    china = load_sources()["china-mfa"]
    with Archive(app.config["DATA_DIR"]) as archive:
        [report] = pipeline.crawl_sources(
            archive, [china], fetch_settings(app.config),
            site_overrides=app.config["SITE_OVERRIDES"], options=CrawlOptions(max_requests=12))
        assert report.requests == 12 and report.budget == "12 requests"
        # The listings took some requests, articles the rest; the others wait.
        assert report.status == "ok" and 0 < report.new < report.articles_found
    # The next run takes what the budget left: nothing is lost.
    assert run_cli(app, "update", "--all").exit_code == 0
    assert runs_of(app, "china-mfa")[0]["new"] > 0
