"""Health of the crawl per source: `communiques status [--json]`, `/status` (a public page)
and `/api/status`, all from one collection of the archive's last 100 runs per source."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from indexer.archive import Archive, CrawlRun
from indexer.lock import WriterLock

if TYPE_CHECKING:
    from scrapers.sources import Source

bp = Blueprint("status", __name__)

# A source whose newest run failed (or broke, or drifted) is "failing"; one not crawled
# successfully for this many intervals is "stale".
STALE_INTERVALS = 3
BAD_STATUSES = ("failed", "partial", "interrupted")


def archive_exists(data_dir: Path | str) -> bool:
    """Whether the data directory holds an archive (read-only commands need one)."""
    return (Path(data_dir) / Archive.FILENAME).is_file()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _run_json(run: CrawlRun, stats: dict) -> dict[str, Any]:
    return {"run_id": run.run_id, "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at), "status": run.status,
            # Interrupted, read so: marked running, its process gone, no writer since.
            "process_gone": run.process_gone,
            "seen": stats.get("seen"), "new": run.new, "changed": run.changed,
            "unchanged": run.unchanged, "withdrawn": stats.get("withdrawn", 0),
            "errors": run.errors, "drift": run.drift, "blocked": stats.get("blocked", 0),
            "requests": (stats.get("listing_requests", 0) + stats.get("article_requests", 0)
                         if stats else run.pages),
            "listing_requests": stats.get("listing_requests"),
            "article_requests": stats.get("article_requests"),
            "not_modified": stats.get("not_modified", 0), "sites": stats.get("sites"),
            # Issue 15: withdrawn pages that answered again; archived articles a re-read
            # listing no longer named, found still on the site by a fetch.
            "reinstated": stats.get("reinstated", 0), "unlisted": stats.get("unlisted", 0),
            "budget": stats.get("budget")}


def source_health(archive: Archive, source: Source, now: datetime) -> dict[str, Any]:
    """One source's health: last attempt and success, failures in a row, the figures of
    its recent runs, and what its newest run found wrong."""
    runs = archive.runs(source.id)
    last = runs[0][0] if runs else None
    success = next((run for run, _ in runs if run.status == "ok"), None)
    failures = 0
    for run, _ in runs:
        if run.status == "ok" or run.status == "running":
            if run.status == "ok":
                break
            continue
        failures += 1
    errors = archive.run_errors(last.run_id) if last else []
    drift = archive.run_drift(last.run_id) if last and last.drift else []
    breakage = [e.message for e in errors if e.kind == "breakage"]
    blocked = [e.url for e in errors if e.kind == "blocked"]
    stale = (success is None or success.finished_at is None or (
        now - success.finished_at).total_seconds() > STALE_INTERVALS * source.interval)
    state = ("never crawled" if last is None else
             "failing" if last.status in BAD_STATUSES or breakage else
             "drifting" if last.drift else
             "stale" if stale else "ok")
    return {
        "id": source.id, "name": source.name, "country": source.country,
        "state": state,
        "interval_seconds": source.interval,
        "last_attempt": _iso(last.started_at) if last else None,
        "last_status": last.status if last else None,
        "last_success": _iso(success.finished_at) if success else None,
        "consecutive_failures": failures,
        "errors": [{"kind": e.kind, "url": e.url, "message": e.message} for e in errors[:20]],
        "drift": {"count": last.drift if last else 0, "examples": [d.url for d in drift[:5]]},
        "block_pages": blocked,
        "breakage": breakage,
        "runs": [_run_json(run, stats) for run, stats in runs],
    }


def collect(data_dir: Path | str, sources: list[Source] | None = None,
            index_documents: int | None = None) -> dict[str, Any]:
    """The whole status: archive and index counts, and every source's health."""
    now = datetime.now(UTC)
    if sources is None:
        from scrapers.sources import load_sources

        sources = list(load_sources().values())
    with Archive(data_dir, readonly=True) as archive:
        documents = archive.documents_by_source()
        withdrawn = archive.withdrawn_by_source()
        newest = archive.newest_published()
        health = []
        for source in sources:
            entry = source_health(archive, source, now)
            published, first_seen = newest.get(source.id, (None, None))
            entry.update(documents=documents.get(source.id, 0),
                         withdrawn_documents=withdrawn.get(source.id, 0),
                         newest_published=published, newest_archived=first_seen)
            health.append(entry)
        totals = {"communiques": archive.count(), "versions": archive.count_versions(),
                  "withdrawn": sum(withdrawn.values())}
    dates = [s["newest_published"] for s in health if s["newest_published"]]
    newest_date = max(dates) if dates else None
    holder = WriterLock.holder(data_dir)
    return {
        "generated_at": _iso(now),
        "archive": totals,
        "index": {"documents": index_documents},
        "newest_document": {
            "published": newest_date,
            "age_days": (now.date() - date.fromisoformat(newest_date)).days
            if newest_date else None},
        "writer": ({"pid": holder.pid, "command": holder.command, "since": _iso(holder.since),
                    "running": holder.is_running()} if holder else None),
        "failing": [s["id"] for s in health if s["state"] == "failing"],
        "sources": health,
    }


def _collect_for_app() -> dict[str, Any] | None:
    data_dir = current_app.config["DATA_DIR"]
    if not archive_exists(data_dir):
        return None
    # Imported when a status is asked for: the definitions' checks bring the scrapers'
    # parsers, which a worker serving only searches never needs.
    from scrapers.sources import SourceDefinitionError, load_sources

    try:
        sources = list(load_sources().values())
    except SourceDefinitionError:
        sources = []
    count = current_app.extensions["search"].document_count()
    data = collect(data_dir, sources, count)
    for source in data["sources"]:
        source["runs"] = source["runs"][:10]  # the page and API show the recent ones
    return data


@bp.get("/api/status")
def api_status() -> ResponseReturnValue:
    data = _collect_for_app()
    if data is None:
        return jsonify({"archive": None, "sources": [], "failing": [],
                        "message": "no archive yet: run `communiques update`"}), 503
    return jsonify(data)


@bp.get("/status")
def status_page() -> ResponseReturnValue:
    return render_template("status.html", status=_collect_for_app())
