"""A page gone from its ministry's site is marked withdrawn with its date, stays archived
and searchable with that mark (the `status=withdrawn` facet value), and its feed entry is
updated; an archive from before the withdrawal columns opens and gains them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import feedparser
from conftest import run_cli

from indexer.archive import ADDED_COLUMNS, Archive

CHINA_ARTICLES = "www.fmprc.gov.cn/eng/xw/zyxw"


def test_a_removed_page_is_withdrawn_not_deleted(app, site_copy) -> None:
    assert run_cli(app, "update", "--source", "china-mfa").exit_code == 0
    gone = sorted((site_copy / CHINA_ARTICLES).glob("2026*/t*.html"))[0]
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        count = archive.count()
        [(cid, title)] = [(r.id, r.title) for r in archive.all_current()
                          if r.url.endswith(gone.relative_to(site_copy / "www.fmprc.gov.cn")
                                            .as_posix())]
    gone.unlink()

    result = run_cli(app, "update", "--source", "china-mfa", "--recheck")
    assert result.exit_code == 0, result.output  # a withdrawal is news, not an error
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert archive.count() == count  # never deleted
        when, reason = archive.withdrawn(cid)
        assert reason == "HTTP 404"
        assert archive.get(cid).title == title

    client = app.test_client()
    found = client.get("/api/search", query_string={"q": f'"{title}"', "size": 50}).get_json()
    assert cid in [hit["id"] for hit in found["results"]]
    status = client.get("/api/search?source=china-mfa&size=1").get_json()["facets"]["status"]
    assert {v["value"]: v["count"] for v in status["values"]} == {
        "withdrawn": 1, "current": count - 1}
    only = client.get("/api/search?status=withdrawn").get_json()
    assert [hit["id"] for hit in only["results"]] == [cid]

    page = client.get(f"/communiques/{cid}").get_data(as_text=True)
    assert "Withdrawn on" in page and when.strftime("%-d %B %Y") in page

    feed = feedparser.parse(client.get("/feed.atom?source=china-mfa").get_data())
    entry = next(e for e in feed.entries if e.id == f"urn:communique-search:{cid}")
    assert entry.title.startswith(f"[Withdrawn {when.date().isoformat()}]")
    assert entry.updated.startswith(when.date().isoformat())

    status = client.get("/api/status").get_json()
    china = next(s for s in status["sources"] if s["id"] == "china-mfa")
    assert china["withdrawn_documents"] == 1 and china["runs"][0]["withdrawn"] == 1


def test_an_archive_from_before_withdrawals_opens_and_gains_the_columns(tmp_path: Path) -> None:
    path = tmp_path / Archive.FILENAME
    Archive(tmp_path).close()
    db = sqlite3.connect(path)
    added = {column for table, column, _ in ADDED_COLUMNS if table == "communiques"}
    # An archive made before issue 15: the table without the new columns, and no schema
    # version (archives of then had none).
    db.executescript(
        "CREATE TABLE old AS SELECT id, url, source_id, current_version, first_seen,"
        " last_checked, etag, last_modified FROM communiques;"
        " DROP TABLE communiques; ALTER TABLE old RENAME TO communiques;"
        " PRAGMA user_version = 0;")
    db.close()
    with Archive(tmp_path, readonly=True) as archive:
        assert archive.withdrawn_ids() == {}  # read-only: no column, nothing withdrawn
    with Archive(tmp_path) as archive:
        assert added <= archive._columns("communiques")
