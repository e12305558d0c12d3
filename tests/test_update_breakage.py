"""Breakage detection in scheduled updates (issue 15), against the fixture sites over
loopback: a listing that yields no items where it yielded many, dates that stop parsing, a
sudden drop in body length. Each makes `update` exit 1, shows as breakage in `/api/status`
and `status --json`, and leaves the archive as it was: the texts the broken run read are
held back, not stored as new versions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli
from flask import Flask

from indexer.archive import Archive

CHINA = "www.fmprc.gov.cn"
# Every section of the Chinese site (its definition's sections).
SECTIONS = ("eng/xw/zyxw", "eng/xw/fyrbt/lxjzh", "eng/xw/fyrbt/fyrbt", "eng/zy/gb")


def articles(site_copy: Path) -> list[Path]:
    return sorted(p for section in SECTIONS
                  for p in (site_copy / CHINA / section).glob("*/t*.html"))


def listings(site_copy: Path) -> list[Path]:
    return sorted(p for section in SECTIONS
                  for p in (site_copy / CHINA / section).glob("index*.html"))


def rewrite(paths: list[Path], change: Callable[[str], str]) -> None:
    for path in paths:
        html = path.read_text(encoding="utf-8")
        changed = change(html)
        assert changed != html, path
        path.write_text(changed, encoding="utf-8")


def archive_state(data_dir: str) -> list[tuple]:
    """Every version of every communiqué, as archived."""
    with Archive(data_dir, readonly=True) as archive:
        return archive._db.execute(
            "SELECT id, version, content_hash FROM versions ORDER BY id, version").fetchall()


def no_dates(html: str) -> str:
    # "2026-09-03 19:10" in the meta tag and the visible time, "2026-09-03" in listings.
    return re.sub(r"\b\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?", "this week", html)


def short_bodies(html: str) -> str:
    # Every paragraph of the text gone but a line: what a template change that moved the
    # text out of the selected region looks like.
    html = re.sub(r'\s*<p style="text-indent: 2em;">.*?</p>', "", html, flags=re.S)
    return html.replace("<p>&nbsp;</p>", "<p>Read the full statement in the attachment.</p>",
                        1)


def unlinked(html: str) -> str:
    # The listing's items are still there, their links are not (a script now adds them).
    return re.sub(r'(<ul class="list1">.*?</ul>)',
                  lambda m: m.group(1).replace("<a href=", "<a data-href="), html, flags=re.S)


BREAKAGES = {
    "dates": (lambda site: rewrite(articles(site) + listings(site), no_dates),
              "dates stopped parsing"),
    "bodies": (lambda site: rewrite(articles(site), short_bodies), "body length dropped"),
    "listing": (lambda site: rewrite(listings(site), unlinked),
                "listings yielded no articles"),
}


@pytest.mark.parametrize("kind", BREAKAGES)
def test_a_site_that_breaks_fails_the_update_and_leaves_the_archive_alone(
        app: Flask, site_copy: Path, kind: str) -> None:
    first = run_cli(app, "update", "--source", "china-mfa", "--log-format", "json")
    assert first.exit_code == 0, first.output
    data_dir = app.config["DATA_DIR"]
    before = archive_state(data_dir)
    assert len(before) >= 10
    breaks, message = BREAKAGES[kind]
    breaks(site_copy)

    result = run_cli(app, "update", "--source", "china-mfa", "--recheck", "--log-format",
                     "json")
    assert result.exit_code == 1, result.output
    assert archive_state(data_dir) == before  # not one new version from the broken run
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    done = next(e for e in events if e["event"] == "source_done")
    assert done["status"] == "failed"

    status = app.test_client().get("/api/status").get_json()
    assert status["failing"] == ["china-mfa"]
    china = next(s for s in status["sources"] if s["id"] == "china-mfa")
    assert china["state"] == "failing" and china["consecutive_failures"] == 1
    assert any(message in b for b in china["breakage"]), china["breakage"]
    assert china["last_success"] == china["runs"][1]["finished_at"]  # the first run's
    if kind != "listing":  # a listing with no links read no article at all
        assert any("held back" in b for b in china["breakage"]), china["breakage"]
    # The other sources are untouched by China's breakage.
    assert all(s["state"] == "never crawled" for s in status["sources"]
               if s["id"] != "china-mfa")

    # The site fixed, the next run stores nothing new (the texts are as archived) and
    # the source is healthy again.
    for path in articles(site_copy) + listings(site_copy):
        original = Path(__file__).parent.parent / "demo" / "sites" / path.relative_to(
            site_copy)
        path.write_bytes(original.read_bytes())
    fixed = run_cli(app, "update", "--source", "china-mfa", "--recheck")
    assert fixed.exit_code == 0, fixed.output
    assert archive_state(data_dir) == before
    status = app.test_client().get("/api/status").get_json()
    assert status["failing"] == []


def test_texts_judged_sound_are_archived_as_the_run_goes(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Held-back texts are judged every HOLD_BATCH, so a long crawl killed half-way keeps
    most of what it read: here, batches of 5 are in the archive while the crawl goes on."""
    from indexer import pipeline
    from scrapers.sources import load_sources
    from webapp.config import fetch_settings

    monkeypatch.setattr(pipeline, "HOLD_BATCH", 5)
    archived_when_told: list[int] = []
    with Archive(app.config["DATA_DIR"]) as archive:
        def told(outcome: str) -> None:
            archived_when_told.append(archive.count())

        [report] = pipeline.crawl_sources(
            archive, [load_sources()["china-mfa"]], fetch_settings(app.config),
            site_overrides=app.config["SITE_OVERRIDES"], progress=told)
        assert report.new == archive.count() == 19
    # After the 5th, 10th and 15th new text, their batch was archived before the next.
    assert archived_when_told[:16] == [0, 0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 10, 10, 10, 15, 15]


def test_a_long_broken_run_is_held_back_batch_after_batch(
        app: Flask, site_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer import pipeline

    monkeypatch.setattr(pipeline, "HOLD_BATCH", 5)
    assert run_cli(app, "update", "--source", "china-mfa").exit_code == 0
    before = archive_state(app.config["DATA_DIR"])
    rewrite(articles(site_copy), short_bodies)
    result = run_cli(app, "update", "--source", "china-mfa", "--recheck")
    assert result.exit_code == 1, result.output
    assert archive_state(app.config["DATA_DIR"]) == before
