"""Definition drift: a site whose article template changes loses no article. Pages its
selectors no longer read are read by the generic extractor, stored with
extraction = "generic", and the drift shows in the crawl's exit code, in
`communiques status` and `communiques sources`, recorded per run in the archive."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from conftest import GOLDEN as GOLDEN_DIR
from conftest import load_golden, run_cli

from indexer import pipeline
from indexer.archive import Archive
from scrapers.record import Communique
from scrapers.sources import load_sources
from webapp.config import fetch_settings

GOLDEN = load_golden("serbia-mfa")
NEW_HOST = "www.mfa.gov.rs"
OLD_HOST = "arhiviranisajt.msp.gov.rs"


def redesign_drupal(html: str) -> str:
    """The current site's new theme: every field class the definition names is renamed."""
    for old, new in (("field--title", "node-title"), ("field--name-title", "node-title"),
                     ("field--intro", "node-lead"), ("field--text", "node-text"),
                     ("field--name-body", "node-text"), ("page-title", "node-heading")):
        html = html.replace(old, new)
    return html


def redesign_joomla(html: str) -> str:
    """The archive moved to a template of its own: no Joomla class survives."""
    for old, new in (("contentheading", "naslov"), ("contentpaneopen", "clanak"),
                     ("article-content", "tekst"), ('id="text"', 'id="sadrzaj"'),
                     ("item-page", "clanak"), ('class="title"', 'class="naslov"')):
        html = html.replace(old, new)
    return html


def article_files(site_copy: Path, host: str) -> dict[str, Path]:
    """Golden URL -> the file serving it, for one host's articles."""
    from demo.localsites import map_request

    files = {}
    for entry in GOLDEN:
        parts = urlsplit(entry["url"])
        if parts.hostname == host:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            _, path = map_request(site_copy / host, target)
            assert path is not None
            files[entry["url"]] = site_copy / host / path.relative_to(site_copy / host)
    return files


def rewrite(path: Path, change) -> None:
    raw = path.read_bytes()
    try:
        path.write_text(change(raw.decode("utf-8")), encoding="utf-8")
    except UnicodeDecodeError:  # the windows-1251 pages stay windows-1251
        path.write_bytes(change(raw.decode("windows-1251")).encode("windows-1251"))


def records(app) -> list[Communique]:
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        return list(archive.all_current())


def test_a_redesigned_site_loses_no_article_and_shows_the_drift(app, site_copy: Path) -> None:
    drupal = article_files(site_copy, NEW_HOST)
    for path in drupal.values():
        rewrite(path, redesign_drupal)
    result = run_cli(app, "crawl", "--source", "serbia-mfa")
    assert result.exit_code == 4, result.output  # drift, no error
    assert "error [" not in result.output
    assert f"{len(drupal)} read by the generic extractor (definition drift)" in result.output

    stored = {r.url.split("/", 3)[3]: r for r in records(app)}
    assert len(stored) == len(GOLDEN)  # no article lost
    for entry in GOLDEN:
        record = stored[entry["url"].split("/", 3)[3]]
        drifted = urlsplit(entry["url"]).hostname == NEW_HOST
        assert record.extraction == ("generic" if drifted else "definition")
        assert record.title == entry["title"]
        assert (record.published.isoformat() if record.published else None) == entry["published"]
        assert record.language == entry["language"]
        assert record.doc_type == entry["doc_type"]
        if drifted:  # the generic extractor found the text, not the page's furniture
            words = set(entry["body"].split())
            found = set(record.body.split())
            assert len(words & found) >= 0.8 * len(words), entry["url"]
            assert not {"Facebook", "Twitter", "Copyright"} & found, entry["url"]

    status = run_cli(app, "status")
    assert (f"[drift] definition drift: {len(drupal)} articles read by the generic extractor"
            in status.output)
    assert f"and {len(drupal) - 3} more" in status.output
    sources = run_cli(app, "sources")
    assert sources.exit_code == 0
    header, *rows = sources.output.splitlines()
    assert header.split()[:7] == ["SOURCE", "STRATEGY", "LANGUAGES", "LAST", "CRAWL", "DOCS",
                                  "DRIFT"]
    serbia = next(row for row in rows if row.startswith("serbia-mfa "))
    assert f" {len(GOLDEN)} " in serbia and f" {len(drupal)} " in serbia
    assert any(row.startswith("serbia-mfa: definition drift") for row in rows)
    china = next(row for row in rows if row.startswith("china-mfa "))
    assert " - " in china  # never crawled here: no drift

    # The next crawl with the definition fixed (the theme reverted) reports no drift.
    for path in drupal.values():
        path.write_text(path.read_text(encoding="utf-8").replace("node-", "field--")
                        .replace("field--heading", "page-title"), encoding="utf-8")
    again = run_cli(app, "crawl", "--source", "serbia-mfa", "--refetch")
    assert again.exit_code == 0, again.output
    assert "[drift]" not in run_cli(app, "status").output


def test_a_template_change_under_a_running_crawl_loses_no_article(app, site_copy: Path) -> None:
    """The archive switches templates after the crawl read its listings and first article."""
    joomla = article_files(site_copy, OLD_HOST)
    source = load_sources()["serbia-mfa"]
    switched: list[str] = []

    def progress(line: str) -> None:
        if not switched:  # after the first stored article: every page not yet fetched
            switched.append(line.split(": ", 1)[1])
            for path in joomla.values():
                rewrite(path, redesign_joomla)

    with Archive(Path(app.config["DATA_DIR"])) as archive:
        [report] = pipeline.crawl_sources(
            archive, [source], fetch_settings(app.config),
            site_overrides=app.config["SITE_OVERRIDES"], progress=progress)
    assert switched and not report.issues
    assert report.new == len(GOLDEN)  # no article lost
    old_base = app.config["SITE_OVERRIDES"][OLD_HOST]
    stored = records(app)
    golden_titles = {urlsplit(g["url"]).path: g["title"] for g in GOLDEN}
    generic = {r.url for r in stored if r.extraction == "generic"}
    # Every archive article fetched after the switch, and only those, was read generically.
    assert generic == {r.url for r in stored if r.url.startswith(old_base)} - {switched[0]}
    assert len(generic) == len(joomla) - 1
    assert all(r.title == golden_titles[urlsplit(r.url).path] for r in stored)
    assert len(report.drift) == len(generic)
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        [run] = archive.last_runs()
        assert run.drift == len(generic) and run.status == "ok" and run.errors == 0
        assert {d.url for d in archive.run_drift(run.run_id)} == generic


def test_an_archive_from_before_drift_was_recorded_still_reads(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Archive(data) as archive:
        run_id = archive.start_run("serbia-mfa")
        archive.finish_run(run_id, pages=3, new=1, changed=0, unchanged=0, errors=0,
                           status="ok")
    # Back to the earlier schema: no drift column, no drift table, a record without
    # an "extraction" key.
    db = sqlite3.connect(data / Archive.FILENAME)
    db.execute("ALTER TABLE crawl_runs DROP COLUMN drift")
    db.execute("DROP TABLE crawl_drift")
    db.execute("PRAGMA user_version = 0")  # archives of then had no schema version
    old = {"id": "x1", "url": "https://www.mfa.gov.rs/mediji/vesti/x", "source_id": "serbia-mfa",
           "ministry_country": "RS", "language": "sr-Cyrl", "title": "Наслов",
           "published": "2024-01-02", "body": "Текст.", "doc_type": "news",
           "fetched_at": "2024-01-02T10:00:00+00:00", "officials": [], "countries": [],
           "document_number": None, "speaker": None, "place": None, "content_hash": "h"}
    db.execute("INSERT INTO communiques (id, url, source_id, current_version, first_seen,"
               " last_checked) VALUES ('x1', ?, 'serbia-mfa', 1, 'a', 'a')", (old["url"],))
    db.execute("INSERT INTO versions (id, version, content_hash, fetched_at, record)"
               " VALUES ('x1', 1, 'h', ?, ?)", (old["fetched_at"], json.dumps(old)))
    db.commit()
    db.close()

    with Archive(data, readonly=True) as archive:  # read-only: nothing migrated
        [run] = archive.last_runs()
        assert run.drift == 0 and archive.run_drift(run.run_id) == []
        assert archive.get("x1").extraction == "definition"
    with Archive(data) as archive:  # opened for writing: the column and table are added
        run_id = archive.start_run("serbia-mfa")
        archive.log_drift(run_id, "serbia-mfa", "https://www.mfa.gov.rs/x", "definition drift")
        archive.finish_run(run_id, pages=1, new=0, changed=0, unchanged=1, errors=0,
                           status="ok", drift=1)
        [run] = archive.last_runs()
        assert run.drift == 1
        assert [d.url for d in archive.run_drift(run.run_id)] == ["https://www.mfa.gov.rs/x"]


def _without_names(html: str) -> str:
    """The harshest redesign: not one class or id left on the page."""
    return re.sub(r"""\s(?:class|id)\s*=\s*(?:"[^"]*"|'[^']*')""", "", html)


def test_every_article_page_stripped_of_its_classes_is_stored_as_its_definition_read_it(
        app, site_copy: Path) -> None:
    """Every source's article pages lose every class and id (listings keep theirs): the
    definitions read none of them, the generic extractor, cut as each definition says,
    stores every article with the title, date, text, type and language of its golden
    record."""
    from demo.localsites import map_request

    golden = {}
    for file in GOLDEN_DIR.glob("*.json"):
        for entry in json.loads(file.read_text(encoding="utf-8")):
            parts = urlsplit(entry["url"])
            golden[(parts.path, parts.query)] = entry
            if parts.hostname == "www.gov.uk":
                continue  # read from GOV.UK's JSON API: no template to change
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            _, path = map_request(site_copy / (parts.hostname or ""), target)
            if path is not None and path.suffix == ".html":
                rewrite(path, _without_names)
    result = run_cli(app, "crawl")
    assert result.exit_code == 4, result.output  # drift, and no error
    stored = records(app)
    assert len(stored) == len(golden)  # no article lost
    generic = 0
    for record in stored:
        parts = urlsplit(record.url)
        entry = golden[(parts.path, parts.query)]
        generic += record.extraction == "generic"
        assert record.title == entry["title"], record.url
        assert (record.published.isoformat() if record.published else None) == entry[
            "published"], record.url
        assert record.body == entry["body"], record.url
        assert (record.doc_type, record.language) == (entry["doc_type"], entry["language"])
    assert generic >= 0.8 * len(golden)  # the feeds' and APIs' articles need no template
