"""The pipeline's write side: crawl sources into the archive, then bring the index up to date.

Both run under the writer lock, so two cron runs never write at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from indexer.archive import Archive
from indexer.build import IndexUpdate, rebuild_index, update_index
from indexer.lock import WriterLock
from scrapers.crawl import CrawlIssue, CrawlReport, crawl_source
from scrapers.fetch import Fetcher, FetchSettings
from scrapers.sources import Source


def crawl_sources(
    archive: Archive,
    sources: Iterable[Source],
    settings: FetchSettings,
    *,
    site_overrides: Mapping[str, str] | None = None,
    conditional: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[CrawlReport]:
    """Crawl each source into the archive, recording every run and its errors."""
    reports = []
    with Fetcher(settings) as fetcher:
        for source in sources:
            run_id = archive.start_run(source.id)
            try:
                report = crawl_source(
                    source, fetcher, archive, site_overrides=site_overrides,
                    conditional=conditional, progress=progress,
                )
            except Exception as exc:  # noqa: BLE001 - one broken source must not stop the rest
                report = CrawlReport(source.id)
                report.issues.append(CrawlIssue("", "error", f"{type(exc).__name__}: {exc}"))
            for issue in report.issues:
                archive.log_error(run_id, source.id, issue.url, issue.kind, issue.message)
            for issue in report.drift:
                archive.log_drift(run_id, source.id, issue.url, issue.message)
            archive.finish_run(
                run_id, pages=report.pages, new=report.new, changed=report.changed,
                unchanged=report.unchanged, errors=len(report.issues), status=report.status,
                drift=len(report.drift),
            )
            reports.append(report)
    return reports


def index(data_dir: Path | str, *, rebuild: bool = False) -> IndexUpdate:
    """Bring the index up to date with the archive (or rebuild it) under the writer lock."""
    with WriterLock(data_dir), Archive(data_dir) as archive:
        return rebuild_index(archive, data_dir) if rebuild else update_index(archive, data_dir)
