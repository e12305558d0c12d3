"""The pipeline's write side: crawl sources into the archive, then bring the index up to date.

Both run under the writer lock, so two cron runs never write at once; `update` takes it
once for the crawl and the index together, so no other run slips in between.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from indexer.archive import Archive, CrawlRun
from indexer.build import IndexHome, IndexUpdate, rebuild_index, update_index
from indexer.lock import WriterLock
from scrapers.crawl import CrawlIssue, CrawlOptions, CrawlReport, KnownArticle, crawl_source
from scrapers.fetch import FetchedPage, Fetcher, FetchSettings
from scrapers.outcomes import IssueKind, RunStatus, StoreOutcome
from scrapers.record import Communique
from scrapers.sources import Source

# An event of the run: its name and its fields (see webapp/cli.py for how they are shown).
EventLog = Callable[[str, dict[str, Any]], None]
# Makes a per-source progress callback (told each article's outcome), or None.
ProgressFactory = Callable[[Source], Callable[[str], None] | None]

# A site is due once this share of its interval has passed since its last good crawl
# started, so an hourly cron line is not skipped because the last run began a minute late.
DUE_TOLERANCE = 0.9
# Breakage detection, against the source's recent runs: a listing that used to yield at
# least this many items and now yields none; dates that stop parsing (most stored articles
# undated where few were); a body length under this share of its usual mean.
BREAKAGE_MIN_ITEMS = 5
BREAKAGE_UNDATED_SHARE = 0.5
BREAKAGE_BODY_SHARE = 0.4
HISTORY_RUNS = 10
# A run's new and changed texts are judged for breakage every this many and archived if
# nothing looks broken, so a long crawl killed half-way keeps most of what it read.
HOLD_BATCH = 25


def _no_event(name: str, fields: dict[str, Any]) -> None:
    pass


@dataclass(frozen=True)
class Plan:
    """A source to crawl now, and which of its sites (None: all)."""

    source: Source
    sites: frozenset[str] | None
    reason: str


@dataclass
class UpdateResult:
    reports: list[CrawlReport]
    index: IndexUpdate | None
    not_due: list[tuple[str, datetime]] = field(default_factory=list)  # source, when due


def _good_runs(archive: Archive, source_id: str) -> list[tuple[CrawlRun, dict]]:
    return [(run, stats) for run, stats in archive.runs(source_id, 50)
            if run.status in (RunStatus.OK, RunStatus.PARTIAL)]


def plan(archive: Archive, sources: Iterable[Source], *, now: datetime | None = None,
         force: bool = False) -> tuple[list[Plan], list[tuple[str, datetime]]]:
    """Which sources (and sites) are due, by their `interval`; `force` takes all."""
    now = now or datetime.now(UTC)
    plans: list[Plan] = []
    waiting: list[tuple[str, datetime]] = []
    for source in sources:
        if force:
            plans.append(Plan(source, None, "asked for"))
            continue
        good = _good_runs(archive, source.id)
        due: set[str] = set()
        next_due: datetime | None = None
        for site in source.sites:
            # Runs from before stats were kept crawled every site.
            last = next((run.started_at for run, stats in good
                         if site.name in stats.get("sites", [site.name])), None)
            interval = timedelta(seconds=source.site_interval(site) * DUE_TOLERANCE)
            if last is None or now - last >= interval:
                due.add(site.name)
            else:
                next_due = min(next_due or last + interval, last + interval)
        if due:
            everything = len(due) == len(source.sites)
            plans.append(Plan(source, None if everything else frozenset(due),
                              "never crawled" if not good else "due"))
        elif next_due is not None:
            waiting.append((source.id, next_due))
    return plans, waiting


def _history(archive: Archive, source_id: str) -> list[dict]:
    """Stats of the source's recent finished runs (before this one)."""
    return [stats for run, stats in archive.runs(source_id, HISTORY_RUNS + 1)[1:]
            if stats and run.status in (RunStatus.OK, RunStatus.PARTIAL)]


def assess(report: CrawlReport, history: list[dict]) -> list[CrawlIssue]:
    """Breakage a run's own errors do not show, judged against the source's recent runs:
    a listing yielding nothing where it yielded many, dates that stop parsing, bodies
    suddenly much shorter."""
    found: list[CrawlIssue] = []
    seen_before = [h.get("seen", 0) for h in history]
    if (seen_before and report.articles_found == 0 and not report.issues
            and statistics.median(seen_before) >= BREAKAGE_MIN_ITEMS and not report.budget):
        found.append(CrawlIssue("", IssueKind.BREAKAGE,
                                f"listings yielded no articles (the last runs found"
                                f" {int(statistics.median(seen_before))})"))
    stored = report.new + report.changed
    earlier = [h for h in history if h.get("stored", 0) >= BREAKAGE_MIN_ITEMS]
    if stored >= BREAKAGE_MIN_ITEMS and earlier:
        undated_before = sum(h.get("undated", 0) for h in earlier) / sum(
            h["stored"] for h in earlier)
        if report.undated / stored > BREAKAGE_UNDATED_SHARE and undated_before < 0.2:
            found.append(CrawlIssue("", IssueKind.BREAKAGE,
                                    f"dates stopped parsing: {report.undated} of {stored}"
                                    f" articles undated (before: {undated_before:.0%})"))
        usual = sum(h.get("body_chars", 0) for h in earlier) / sum(h["stored"] for h in earlier)
        mean = report.body_chars / stored
        if usual and mean < BREAKAGE_BODY_SHARE * usual:
            found.append(CrawlIssue("", IssueKind.BREAKAGE,
                                    f"body length dropped to {mean:.0f} characters a"
                                    f" communiqué (usually {usual:.0f})"))
    return found


class HeldBack:
    """The archive as one source's crawl sees it, with the run's new and changed records
    held back until they are judged (`assess`, against the source's recent runs): every
    HOLD_BATCH texts and at the end of the run. Texts judged sound are archived; those of
    a run that broke (bodies suddenly short, dates no longer read) are not, and the archive
    keeps what it had. Everything else (what is known, validators, checks, withdrawals,
    listings) goes to the archive at once.

    A run killed between two judgements loses what it held back; the next run fetches it
    again (nothing of it was marked checked).
    """

    def __init__(self, archive: Archive, source_id: str, history: list[dict]) -> None:
        self.archive = archive
        self.history = history
        self.pending: list[tuple[Communique, str | None, str | None, StoreOutcome]] = []
        # The figures of every text held this run, archived or pending, as assess reads
        # them (articles found is not known yet: any, so that rule waits for the end).
        self.held = CrawlReport(source_id, articles_found=1)

    def store(self, record: Communique, *, etag: str | None = None,
              last_modified: str | None = None) -> StoreOutcome:
        outcome = self.archive.outcome_of(record)
        if outcome == StoreOutcome.UNCHANGED:
            return self.archive.store(record, etag=etag, last_modified=last_modified)
        self.pending.append((record, etag, last_modified, outcome))
        self.held.add(outcome)
        self.held.undated += record.published is None
        self.held.body_chars += len(record.body)
        if len(self.pending) >= HOLD_BATCH and not assess(self.held, self.history):
            self.commit()
        return outcome

    def commit(self) -> None:
        """Store what was held back, each record in its own transaction."""
        for record, etag, last_modified, _ in self.pending:
            self.archive.store(record, etag=etag, last_modified=last_modified)
        self.pending = []

    def discard(self, report: CrawlReport) -> None:
        """Drop what is held back, and take it out of the run's figures."""
        report.held_back = len(self.pending)
        report.new -= sum(o == StoreOutcome.NEW for *_, o in self.pending)
        report.changed -= sum(o == StoreOutcome.CHANGED for *_, o in self.pending)
        self.pending = []

    def validators(self, communique_id: str) -> tuple[str | None, str | None] | None:
        return self.archive.validators(communique_id)

    def mark_checked(self, communique_id: str) -> None:
        self.archive.mark_checked(communique_id)

    def known(self, ids: list[str]) -> dict[str, KnownArticle]:
        return self.archive.known(ids)

    def mark_withdrawn(self, communique_id: str, reason: str) -> bool:
        return self.archive.mark_withdrawn(communique_id, reason)

    def reinstate(self, communique_id: str) -> bool:
        return self.archive.reinstate(communique_id)

    def cached_page(self, url: str) -> FetchedPage | None:
        return self.archive.cached_page(url)

    def cache_page(self, url: str, page: FetchedPage) -> None:
        self.archive.cache_page(url, page)

    def listed(self, section: str) -> list[tuple[str, str]]:
        return self.archive.listed(section)

    def set_listed(self, section: str, items: list[tuple[str, str]]) -> None:
        self.archive.set_listed(section, items)


def crawl_sources(
    archive: Archive,
    sources: Iterable[Source | Plan],
    settings: FetchSettings,
    *,
    site_overrides: Mapping[str, str] | None = None,
    conditional: bool = True,
    progress: Callable[[str], None] | None = None,
    options: CrawlOptions | None = None,
    log: EventLog = _no_event,
    progress_factory: ProgressFactory | None = None,
) -> list[CrawlReport]:
    """Crawl each source into the archive, recording every run, its errors and health."""
    reports = []
    base = options or CrawlOptions()
    with Fetcher(settings) as fetcher:
        for item in sources:
            source, sites = (item.source, item.sites) if isinstance(item, Plan) else (item, None)
            run_id = archive.start_run(source.id)
            log("source_start", {"source": source.id,
                                 "sites": sorted(sites) if sites else "all"})
            told = progress_factory(source) if progress_factory else None
            opts = CrawlOptions(base.recheck_all, base.full_listing, sites,
                                base.max_requests, base.max_seconds)
            history = _history(archive, source.id)
            sink = HeldBack(archive, source.id, history)
            try:
                report = crawl_source(
                    source, fetcher, sink, site_overrides=site_overrides,
                    conditional=conditional, progress=told or progress, options=opts,
                )
            except Exception as exc:  # noqa: BLE001 - one broken source must not stop the rest
                report = CrawlReport(source.id)
                report.issues.append(
                    CrawlIssue("", IssueKind.ERROR, f"{type(exc).__name__}: {exc}"))
            broken = assess(report, history)
            if broken and sink.pending:
                # The texts this run read are suspect: the archive keeps the ones it had.
                sink.discard(report)
                broken.append(CrawlIssue("", IssueKind.BREAKAGE,
                                         f"{report.held_back} new or changed articles held"
                                         " back: the archive keeps the versions it had"))
            else:
                sink.commit()
            report.issues += broken
            for issue in report.issues:
                archive.log_error(run_id, source.id, issue.url, issue.kind, issue.message)
            for issue in report.drift:
                archive.log_drift(run_id, source.id, issue.url, issue.message)
            archive.finish_run(
                run_id, pages=report.pages, new=report.new, changed=report.changed,
                unchanged=report.unchanged, errors=len(report.issues), status=report.status,
                drift=len(report.drift),
            )
            archive.set_run_stats(run_id, report.stats())
            log("source_done", {"source": source.id, "report": report})
            reports.append(report)
    return reports


def _reindex_status(archive: Archive, data_dir: Path | str) -> int:
    """Re-write the index documents of communiqués withdrawn or reinstated since the
    generation last looked, so the `withdrawn` facet value follows the archive."""
    from indexer.entities.extract import Entities
    from indexer.schema import document_for

    home = IndexHome(data_dir)
    generation = home.current_dir()
    if generation is None:
        return 0
    mark_file = generation / "withdrawals.json"
    try:
        mark = json.loads(mark_file.read_text())["through"]
    except (OSError, ValueError, KeyError):
        mark = ""  # a new generation: every withdrawal so far
    records = archive.status_changed_since(mark)
    if records:
        withdrawn = archive.withdrawn_ids()
        stored = archive.entities_of([r.id for r in records])
        ix = home.open(generation)
        writer = ix.writer()
        try:
            for record in records:
                officials, countries = stored.get(record.id, (record.officials,
                                                              record.countries))
                entities = Entities(officials=tuple(officials), countries=tuple(countries))
                writer.update_document(**document_for(record, entities,
                                                      withdrawn=record.id in withdrawn))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
    mark_file.write_text(json.dumps({"through": archive.last_status_change()}))
    return len(records)


def _needs_rebuild(data_dir: Path | str) -> bool:
    """An index generation made before the `status` field (withdrawals) is rebuilt once."""
    home = IndexHome(data_dir)
    generation = home.current_dir()
    return generation is not None and "status" not in home.open(generation).schema.names()


def index_locked(archive: Archive, data_dir: Path | str, *, rebuild: bool = False
                 ) -> IndexUpdate:
    """Bring the index up to date; the caller holds the writer lock."""
    rebuild = rebuild or _needs_rebuild(data_dir)
    done = rebuild_index(archive, data_dir) if rebuild else update_index(archive, data_dir)
    _reindex_status(archive, data_dir)
    return done


def index(data_dir: Path | str, *, rebuild: bool = False) -> IndexUpdate:
    """Bring the index up to date with the archive (or rebuild it) under the writer lock."""
    with WriterLock(data_dir), Archive(data_dir) as archive:
        return index_locked(archive, data_dir, rebuild=rebuild)


def update(
    data_dir: Path | str,
    sources: Iterable[Source],
    settings: FetchSettings,
    *,
    site_overrides: Mapping[str, str] | None = None,
    force: bool = False,
    options: CrawlOptions | None = None,
    log: EventLog = _no_event,
    progress_factory: ProgressFactory | None = None,
    before_index: Callable[[], None] | None = None,
) -> UpdateResult:
    """Crawl the sources that are due, then index, under one hold of the writer lock."""
    with WriterLock(data_dir) as lock, Archive(data_dir) as archive:
        if lock.previous is not None:
            log("lock_recovered", {"pid": lock.previous.pid, "command": lock.previous.command})
        plans, waiting = plan(archive, sources, force=force)
        for source_id, when in waiting:
            log("not_due", {"source": source_id, "due": when.isoformat(timespec="seconds")})
        reports = crawl_sources(archive, plans, settings, site_overrides=site_overrides,
                                options=options, log=log, progress_factory=progress_factory)
        if before_index:
            before_index()
        done = index_locked(archive, data_dir)
        log("index_done", {"mode": done.mode, "indexed": done.indexed,
                           "documents": done.total_documents})
        return UpdateResult(reports, done, waiting)
