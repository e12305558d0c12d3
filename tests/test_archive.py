"""The archive keeps every committed version, and a crash never loses one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from indexer.archive import Archive, StoreOutcome
from scrapers.record import Communique, canonical_url, communique_id


def make_record(n: int = 1, body: str = "Text of the statement.", **changes) -> Communique:
    url = f"https://www.mfa.gov.rs/en/press-service/statements/item-{n}"
    record = Communique(
        id=communique_id(url), url=url, source_id="serbia-mfa", ministry_country="RS",
        language="en", title=f"Statement {n}", published=date(2019, 7, 24), body=body,
        doc_type="statement", fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return replace(record, content_hash="", **changes) if changes else record


def test_canonical_url_gives_one_id_per_page() -> None:
    a = "HTTPS://www.MFA.gov.rs:443/lat/mediji/x?b=2&a=1&utm_source=tw#top"
    b = "https://www.mfa.gov.rs/lat/mediji/x?a=1&b=2"
    assert canonical_url(a) == b
    assert communique_id(a) == communique_id(b)
    assert canonical_url("https://mfa.rs/x", {"mfa.rs": "www.mfa.gov.rs"}) == \
        "https://www.mfa.gov.rs/x"
    # The script of an old Serbian page is in its query: those are different documents.
    assert communique_id(b + "&lang=lat") != communique_id(b + "&lang=cyr")


def test_content_hash_ignores_fetch_time_but_not_text() -> None:
    first = make_record()
    later = replace(first, fetched_at=datetime(2026, 2, 1, tzinfo=UTC))
    assert later.content_hash == first.content_hash
    assert make_record(body="Changed.").content_hash != first.content_hash


def test_store_versions(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        assert archive.store(make_record()) is StoreOutcome.NEW
        assert archive.store(make_record()) is StoreOutcome.UNCHANGED
        changed = replace(make_record(body="Corrected text."), content_hash="",
                          fetched_at=datetime(2026, 3, 1, tzinfo=UTC))
        assert archive.store(changed) is StoreOutcome.CHANGED
        record_id = make_record().id
        versions = archive.versions(record_id)
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].content_hash == make_record().content_hash
        assert versions[1].fetched_at == datetime(2026, 3, 1, tzinfo=UTC)
        assert archive.get(record_id).body == "Corrected text."
        assert archive.get(record_id, version=1).body == "Text of the statement."
        assert archive.count() == 1 and archive.count_versions() == 2


def test_record_round_trips(tmp_path: Path) -> None:
    record = make_record(officials=("Ivica Dačić",), countries=("Serbia",), speaker="X")
    with Archive(tmp_path) as archive:
        archive.store(record)
        assert archive.get(record.id) == record


def test_failed_write_leaves_committed_records(tmp_path: Path, monkeypatch) -> None:
    with Archive(tmp_path) as archive:
        archive.store(make_record(1))

        def explode(*args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(Archive, "_insert_version", staticmethod(explode))
        with pytest.raises(RuntimeError):
            archive.store(make_record(2))
    with Archive(tmp_path) as archive:
        assert archive.count() == 1  # no half-written communiqué without a version
        assert archive.get(make_record(1).id) is not None
        assert archive.get(make_record(2).id) is None


def test_process_killed_mid_write_keeps_every_committed_record(tmp_path: Path) -> None:
    """A real crash: the process dies inside a transaction after committing 25 records."""
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
        from test_archive import make_record
        from indexer.archive import Archive
        archive = Archive({str(tmp_path)!r})
        for n in range(25):
            archive.store(make_record(n))
        archive._db.execute("BEGIN IMMEDIATE")
        archive._db.execute(
            "INSERT INTO communiques (id, url, source_id, current_version, first_seen,"
                " last_checked) VALUES ('half', 'u', 's', 1, 'x', 'x')")
        os._exit(9)  # no rollback, no close: as if the machine lost the process
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == 9, result.stderr.decode()
    with Archive(tmp_path) as archive:
        assert archive.count() == 25
        assert archive.get("half") is None
        assert all(archive.get(make_record(n).id) for n in range(25))


def test_changes_since_yields_current_versions_once(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        archive.store(make_record(1))
        archive.store(make_record(2))
        mark = archive.max_seq()
        archive.store(make_record(1, body="New text."))
        archive.store(make_record(3))
        changed = [record for _, record in archive.changes_since(mark)]
        assert [r.title for r in changed] == ["Statement 1", "Statement 3"]
        assert changed[0].body == "New text."
        assert len(list(archive.all_current())) == 3
