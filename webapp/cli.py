"""The `communiques` command. Each subcommand is a thin call into one package."""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

import click
from flask import Flask
from werkzeug.datastructures import MultiDict

import demo as demo_package
import evaluation
from indexer import pipeline, whoosh_adapter
from indexer.archive import Archive, CrawlRun
from indexer.errors import IndexingError, QueryError, WriterBusy
from indexer.lock import LockHolder, WriterLock
from indexer.search import SORTS
from scrapers.crawl import CrawlReport
from scrapers.sources import (
    DEFINITIONS_DIR,
    SourceDefinitionError,
    check_source_file,
    load_sources,
)
from webapp import create_app, start_warm_up
from webapp.config import REPO_ROOT, SettingError, fetch_settings
from webapp.outputs import OUTPUTS, OutputKind, of_kind
from webapp.params import search_request_from_args
from webapp.runlog import LOG_FORMATS, RunLog
from webapp.status import archive_exists

P = ParamSpec("P")
R = TypeVar("R")

# The bundled copy of the ministries' sites that the demo crawls.
DEMO_SITES = demo_package.SITES


def _app(ctx: click.Context) -> Flask:
    return ctx.find_root().obj


# Options of the whole command that may also be written after the subcommand
# (`communiques status --data-dir X` as well as `communiques --data-dir X status`).
GLOBAL_OPTIONS = ("--data-dir", "--log-format")


class _Cli(click.Group):
    """The `communiques` group: global options are accepted before or after the
    subcommand (they are moved in front of it before parsing)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        hoisted: list[str] = []
        rest: list[str] = []
        i = 0
        seen_command = False
        while i < len(args):
            arg = args[i]
            if arg == "--":
                rest += args[i:]
                break
            name = arg.split("=", 1)[0]
            if seen_command and name in GLOBAL_OPTIONS:
                if "=" in arg:
                    hoisted.append(arg)
                elif i + 1 < len(args):
                    hoisted += [arg, args[i + 1]]
                    i += 1
                else:
                    rest.append(arg)  # no value: let click say so
                i += 1
                continue
            if not arg.startswith("-") and not seen_command and (
                    not rest or rest[-1].split("=", 1)[0] not in GLOBAL_OPTIONS
                    or "=" in rest[-1]):
                seen_command = True
            rest.append(arg)
            i += 1
        return super().parse_args(ctx, hoisted + rest)


@click.group(cls=_Cli)
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="COMMUNIQUES_DATA_DIR",
              help="Archive and index directory (default: ./index). Also after the subcommand.")
@click.option("--log-format", type=click.Choice(LOG_FORMATS), default="auto",
              envvar="COMMUNIQUES_LOG_FORMAT", show_default=True,
              help="update: text lines with progress bars, or one JSON object per event"
                   " (auto: JSON when not on a terminal).")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None, log_format: str) -> None:
    """Full-text search over foreign-ministry communiqués."""
    if not isinstance(ctx.obj, Flask):  # tests pass a configured app as obj
        try:
            # Serving commands start the warm-up themselves (_serve).
            ctx.obj = create_app({"DATA_DIR": data_dir} if data_dir else None, serving=False)
        except SettingError as error:
            raise click.ClickException(str(error)) from error
    elif data_dir:
        ctx.obj.config["DATA_DIR"] = data_dir
    ctx.obj.config["LOG_FORMAT"] = log_format


# `crawl` and `update` exit codes, or-ed together: 1 a source error (a block page, a
# listing with no items, a page nothing could read), 4 definition drift (articles read
# by the generic extractor because a definition's selectors no longer match), so 5 is
# both; 75 (EX_TEMPFAIL) another writer holds the lock.
EXIT_SOURCE_ERROR = 1
EXIT_DRIFT = 4
# And for every command (BSD sysexits): 2 a usage error (click's), 66 no archive yet (a
# read-only command on an empty data directory), 69 the port to serve on is taken,
# 75 another writer holds the lock, 78 a source definition cannot be read.
EXIT_NO_ARCHIVE = 66
EXIT_PORT_TAKEN = 69
EXIT_BUSY = 75
EXIT_BAD_DEFINITION = 78
# How many example URLs of a definition's drift are shown.
DRIFT_EXAMPLES = 3


def _print_reports(reports: list[CrawlReport]) -> None:
    for report in reports:
        drift = (f", {len(report.drift)} read by the generic extractor (definition drift)"
                 if report.drift else "")
        click.echo(
            f"{report.source_id}: {report.status} - {report.articles_found} articles found,"
            f" {report.new} new, {report.changed} changed, {report.unchanged} unchanged,"
            f" {report.pages} pages fetched, {len(report.issues)} errors{drift}"
        )
        for issue in report.issues:
            click.echo(f"  error [{issue.kind}] {issue.message}", err=True)
        for issue in report.drift[:DRIFT_EXAMPLES]:
            click.echo(f"  warning [drift] {issue.url}: {issue.message}", err=True)
        if len(report.drift) > DRIFT_EXAMPLES:
            click.echo(f"  warning [drift] ... and {len(report.drift) - DRIFT_EXAMPLES} more"
                       " (communiques status)", err=True)


def _crawl_exit_code(reports: list[CrawlReport]) -> int:
    code = EXIT_SOURCE_ERROR if any(r.issues for r in reports) else 0
    return code | (EXIT_DRIFT if any(r.drift for r in reports) else 0)


def _drift_line(run: CrawlRun, examples: list[str]) -> str:
    shown = ", ".join(examples[:DRIFT_EXAMPLES])
    more = f" and {run.drift - DRIFT_EXAMPLES} more" if run.drift > DRIFT_EXAMPLES else ""
    return (f"definition drift: {run.drift} article{'s' if run.drift != 1 else ''} read by"
            f" the generic extractor (its selectors found no title or body), e.g. {shown}{more}")


def _fail(message: str, code: int) -> NoReturn:
    """One line on stderr and an exit code: an expected failure, no traceback."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _shown_path(path: Path) -> Path:
    """A path as a person types it in the repository (absolute outside it)."""
    return path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path


def _need_archive(app: Flask) -> None:
    """Read-only commands on a data directory with no archive say so (and create none)."""
    data_dir = app.config["DATA_DIR"]
    if not archive_exists(data_dir):
        what = "does not exist" if not Path(data_dir).exists() else "holds no archive yet"
        _fail(f"{data_dir} {what}; make one with `communiques update` (the live sites),"
              f" `communiques update --sites {_shown_path(DEMO_SITES)}` (the bundled"
              " copies) or `communiques demo`", EXIT_NO_ARCHIVE)


def _select_sources(source_ids: tuple[str, ...]) -> list:
    try:
        sources = load_sources()
    except SourceDefinitionError as exc:
        _fail(f"bad source definition: {exc}", EXIT_BAD_DEFINITION)
    unknown = [s for s in source_ids if s not in sources]
    if unknown:
        raise click.BadParameter(
            f"unknown source(s) {', '.join(unknown)}; known: {', '.join(sources)}",
            param_hint="--source",
        )
    return [sources[s] for s in source_ids] if source_ids else list(sources.values())


def _crawl(app: Flask, source_ids: tuple[str, ...], refetch: bool) -> list[CrawlReport]:
    sources = _select_sources(source_ids)
    data_dir = app.config["DATA_DIR"]
    with WriterLock(data_dir), Archive(data_dir) as archive:
        return pipeline.crawl_sources(
            archive, sources, fetch_settings(app.config),
            site_overrides=app.config["SITE_OVERRIDES"], conditional=not refetch,
        )


def _index(app: Flask, rebuild: bool) -> None:
    update = pipeline.index(app.config["DATA_DIR"], rebuild=rebuild)
    click.echo(
        f"index: {update.mode}, {update.indexed} documents written,"
        f" {update.total_documents} in the index"
    )


def _writer_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Expected failures of a write command become one clear line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except WriterBusy as exc:
            click.echo(f"busy: {exc}", err=True)
            sys.exit(EXIT_BUSY)  # EX_TEMPFAIL: cron may simply try again next time
        except IndexingError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


@cli.command()
@click.option("--source", "source_ids", multiple=True, help="Source id (repeatable; default all).")
@click.option("--refetch", is_flag=True, help="Ignore ETag/Last-Modified and fetch every page.")
@click.pass_context
@_writer_errors
def crawl(ctx: click.Context, source_ids: tuple[str, ...], refetch: bool) -> None:
    """Fetch new and changed communiqués into the archive.

    Exits 0 when all went well, 1 on a source error, 4 on definition drift (articles read
    by the generic extractor), 5 on both, 75 when another writer is running.
    """
    reports = _crawl(_app(ctx), source_ids, refetch)
    _print_reports(reports)
    code = _crawl_exit_code(reports)
    if code:
        sys.exit(code)


@cli.command("index")
@click.option("--rebuild", is_flag=True, help="Build a new index and switch to it atomically.")
@click.pass_context
@_writer_errors
def index_command(ctx: click.Context, rebuild: bool) -> None:
    """Bring the search index up to date with the archive."""
    _index(_app(ctx), rebuild)


@cli.command()
@click.option("--source", "source_ids", multiple=True,
              help="Crawl this source now, due or not (repeatable).")
@click.option("--all", "all_sources", is_flag=True, help="Crawl every source now, due or not.")
@click.option("--recheck", is_flag=True,
              help="Re-check every listed article now (conditional requests), not only those"
                   " whose `recheck` time has come.")
@click.option("--full-listing", is_flag=True,
              help="Walk every listing page, not only up to the first with nothing new.")
@click.option("--sites", type=click.Path(exists=True, file_okay=False),
              help="Rehearse against a local copy of the sites (e.g. demo/sites),"
                   " served on loopback, into DATA_DIR/rehearsal.")
@click.pass_context
@_writer_errors
def update(ctx: click.Context, source_ids: tuple[str, ...], all_sources: bool, recheck: bool,
           full_listing: bool, sites: str | None) -> None:
    """Crawl the sources that are due, then index, under one hold of the writer lock:
    what cron runs every hour.

    A source is due when its `interval` has passed since its last good crawl; --source
    and --all crawl now. Exits 0 when all went well, 1 when a source failed or broke
    (errors, block pages, breakage), 4 on definition drift, 5 on both, 75 when another
    writer is running.
    """

    app = _app(ctx)
    if sites is not None:
        _rehearse(app, Path(sites), source_ids, all_sources, recheck, full_listing)
        return
    _update(app, source_ids, all_sources, recheck, full_listing)


def _update(app: Flask, source_ids: tuple[str, ...], all_sources: bool, recheck: bool,
            full_listing: bool) -> None:
    from scrapers.crawl import CrawlOptions

    sources = _select_sources(source_ids)
    log = RunLog(app.config.get("LOG_FORMAT", "auto"))
    handler = log.handler()
    logging.getLogger("indexer").addHandler(handler)
    pause = float(os.environ.get("COMMUNIQUES_TEST_PAUSE_BEFORE_INDEX", "0") or 0)
    try:
        result = pipeline.update(
            app.config["DATA_DIR"], sources, fetch_settings(app.config),
            site_overrides=app.config["SITE_OVERRIDES"],
            force=all_sources or bool(source_ids),
            options=CrawlOptions(recheck_all=recheck, full_listing=full_listing),
            log=log.event, progress_factory=log.progress_for,
            # A test hook: hold the lock between crawl and index for this many seconds.
            before_index=(lambda: time.sleep(pause)) if pause else None,
        )
    finally:
        logging.getLogger("indexer").removeHandler(handler)
    code = _crawl_exit_code(result.reports)  # the same codes as `crawl`
    if code:
        sys.exit(code)


def _rehearse(app: Flask, sites: Path, source_ids: tuple[str, ...], all_sources: bool,
              recheck: bool, full_listing: bool) -> None:
    """`update --sites DIR`: serve the copy on loopback and update DATA_DIR/rehearsal from
    it, on the same ports as the last rehearsal where free (so its URLs stay the same)."""
    from demo.localsites import LocalSites

    data_dir = Path(app.config["DATA_DIR"]) / "rehearsal"
    ports_file = data_dir / "sites.json"
    try:
        ports = {h: int(u.rsplit(":", 1)[1]) for h, u in json.loads(
            ports_file.read_text()).items()}
    except (OSError, ValueError, IndexError):
        ports = {}
    with LocalSites(sites, ports) as local:
        data_dir.mkdir(parents=True, exist_ok=True)
        ports_file.write_text(json.dumps(local.base_urls))
        rehearsal = create_app({**app.config, "DATA_DIR": str(data_dir),
                                "SITE_OVERRIDES": local.base_urls,
                                "FETCH_ALLOW_PRIVATE_ADDRESSES": True, "FETCH_DELAY": 0.0},
                               serving=False)
        click.echo(f"rehearsal: the sites in {sites} on loopback, data in {data_dir}", err=True)
        _update(rehearsal, source_ids, all_sources, recheck, full_listing)


@cli.command()
@click.argument("query", nargs=-1)
@click.option("--from", "date_from", help="Earliest date (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--to", "date_to", help="Latest date (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--size", type=int, default=10, show_default=True)
@click.option("--cursor", help="The 'next' token of a previous --json answer.")
@click.option("--source", multiple=True, help="Ministry, e.g. serbia-mfa (repeatable: OR).")
@click.option("--ministry-country", multiple=True, help="Ministry's country code, e.g. RS.")
@click.option("--language", "--lang", "language", multiple=True,
              help="Language, e.g. en, sr (both scripts), sr-Cyrl.")
@click.option("--type", "doc_type", multiple=True, help="Document type, e.g. statement.")
@click.option("--year", multiple=True, help="Year, e.g. 2018.")
@click.option("--month", multiple=True, help="Month, e.g. 2018-07.")
@click.option("--official", multiple=True, help="Official named in the communiqué.")
@click.option("--country", multiple=True, help="Country mentioned.")
@click.option("--official-op", type=click.Choice(["or", "and"]), default="or", show_default=True,
              help="and: communiqués naming every --official given, not any of them.")
@click.option("--country-op", type=click.Choice(["or", "and"]), default="or", show_default=True,
              help="and: communiqués mentioning every --country given, not any of them.")
@click.option("--exact", is_flag=True, help="Match words as written, not folded.")
@click.option("--event", multiple=True, help="The readouts of an event (its id).")
@click.option("--all-versions", is_flag=True,
              help="Every communiqué, not one result per text (language versions).")
@click.option("--facets", "show_facets", is_flag=True, help="Also print facet counts.")
@click.option("--json", "as_json", is_flag=True, help="Print what /api/search returns.")
@click.option("--export", "export_format",
              type=click.Choice([o.name for o in of_kind(OutputKind.EXPORT)]),
              help="Print every result (no paging) as CSV or JSON Lines.")
@click.pass_context
def search(ctx: click.Context, query: tuple[str, ...], date_from: str | None,
           date_to: str | None, sort: str, page: int, size: int, cursor: str | None,
           as_json: bool, exact: bool, show_facets: bool, export_format: str | None,
           official_op: str, country_op: str, all_versions: bool,
           **filters: tuple[str, ...]) -> None:
    """Search the index, e.g. `communiques search Filipovic --from 2018-07 --language en`.

    The options are the search page's filters; repeating one means any of its values.
    """
    app = _app(ctx)
    _need_archive(app)
    args = MultiDict([("q", " ".join(query)), ("sort", sort), ("page", str(page)),
                      ("size", str(size))])
    names = {"doc_type": "type"}
    for option, values in filters.items():
        for value in values:
            args.add(names.get(option, option), value)
    for name, given in (("from", date_from), ("to", date_to), ("cursor", cursor),
                        ("exact", "1" if exact else None),
                        ("collapse", "0" if all_versions else None),
                        ("official_op", official_op), ("country_op", country_op)):
        if given:
            args[name] = given
    service = app.extensions["search"]
    try:
        if export_format:

            req = search_request_from_args(args, size, with_facets=False)
            for chunk in OUTPUTS[export_format].render(service.iter_hits(req)):
                click.echo(chunk, nl=False)
            return
        req = search_request_from_args(args, size, with_facets=as_json or show_facets)
        results = service.search(req)
    except QueryError as exc:
        raise click.ClickException(f"query error: {exc.message}") from exc
    if as_json:
        from webapp.api import results_json

        with app.test_request_context("/api/search", query_string=args):
            click.echo(json.dumps(results_json(results), ensure_ascii=False, indent=2))
        return
    click.echo(f"{results.total} results (page {req.page} of {results.page_count})")
    for hit in results.hits:
        when = hit.published.isoformat() if hit.published else "undated"
        click.echo(f"\n{when}  {hit.source_id}  {hit.language}  {hit.doc_type}  {hit.id}")
        click.echo(f"  {hit.title}")
        click.echo(f"  {hit.url}")
    if show_facets:
        for facet in results.facets:
            counts = ", ".join(f"{v.value} ({v.count})" for v in facet.values)
            click.echo(f"\n{facet.label}: {counts}")
    if results.next_cursor:
        click.echo(f"\nnext page: --cursor {results.next_cursor}")


def _run_is_live(run: CrawlRun, holder: LockHolder | None) -> bool:
    """Whether a run marked running has a live writer: the lock's holder took it before
    the run started and is still running (a later holder is a later run)."""
    return (holder is not None and holder.since is not None
            and holder.since <= run.started_at and holder.is_running())


def _run_summary(run: CrawlRun, holder: LockHolder | None) -> str:
    started = run.started_at.isoformat(timespec="seconds")
    if run.status == "interrupted" and run.process_gone:  # nothing has marked it yet
        return (f"last crawl started {started}, interrupted: its process is gone (killed?),"
                " and the next writer command records it so; its counts were not recorded")
    if run.status == "interrupted":
        noticed = run.finished_at.isoformat(timespec="seconds") if run.finished_at else "-"
        return (f"last crawl started {started}, interrupted: its process died (noticed"
                f" {noticed}); its counts were not recorded")
    if run.status == "running":
        if holder is not None and _run_is_live(run, holder):
            return f"crawl running since {started} (pid {holder.pid})"
        return (f"last crawl started {started}, marked running but no writer is alive"
                " (killed?); the next crawl marks it interrupted")
    finished = run.finished_at.isoformat(timespec="seconds") if run.finished_at else "-"
    return (f"last crawl {finished} {run.status}, {run.new} new, {run.changed} changed,"
            f" {run.unchanged} unchanged, {run.errors} errors")


@cli.command()
@click.option("--json", "as_json", is_flag=True,
              help="Print what /api/status returns, with each source's last 100 runs.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Archive and index counts, and each source's health: last attempt and success,
    failures in a row, its newest run's errors, drift and breakage."""
    from webapp.status import collect

    app = _app(ctx)
    data_dir = app.config["DATA_DIR"]
    _need_archive(app)
    health = collect(data_dir, _select_sources(()),
                     app.extensions["search"].document_count())
    if as_json:
        click.echo(json.dumps(health, ensure_ascii=False, indent=2))
        return
    with Archive(data_dir, readonly=True) as archive:
        click.echo(f"data directory: {data_dir}")
        click.echo(f"archive: {archive.count()} communiqués, {archive.count_versions()} versions")
        click.echo(f"index: {app.extensions['search'].document_count()} documents")
        click.echo(whoosh_adapter.status_line())
        holder = WriterLock.holder(data_dir)
        for run in archive.last_runs():
            click.echo(f"{run.source_id}: {_run_summary(run, holder)}")
            for error in archive.run_errors(run.run_id)[:10]:
                click.echo(f"  [{error.kind}] {error.message}")
            if run.drift:
                urls = [row.url for row in archive.run_drift(run.run_id)]
                click.echo(f"  [drift] {_drift_line(run, urls)}")
    for source in health["sources"]:
        click.echo(f"{source['id']}: {source['state']}; last success"
                   f" {source['last_success'] or 'never'}, last attempt"
                   f" {source['last_attempt'] or 'never'}, {source['consecutive_failures']}"
                   f" failures in a row, {source['documents']} documents"
                   f" ({source['withdrawn_documents']} withdrawn), newest"
                   f" {source['newest_published'] or '-'}")


def _check_definitions(files: tuple[Path, ...]) -> None:
    """`sources --check`: stop at the first definition with a problem (exit 1)."""
    for path in files:
        try:
            check_source_file(path)
        except SourceDefinitionError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"{path}: ok")


@cli.command()
@click.option("--check", "check", is_flag=True,
              help="Check definition files (default: the shipped ones) without crawling:"
                   " 'FILE: ok' each, or the first problem with its key and line (exit 1).")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def sources(ctx: click.Context, check: bool, files: tuple[Path, ...]) -> None:
    """Every source: strategy, languages, last crawl, documents and last error."""
    if check or files:
        _check_definitions(files or tuple(sorted(DEFINITIONS_DIR.glob("*.toml"))))
        return
    app = _app(ctx)
    _need_archive(app)
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        documents = archive.documents_by_source()
        runs = {run.source_id: run for run in archive.last_runs()}
        holder = WriterLock.holder(app.config["DATA_DIR"])
        rows = [("SOURCE", "STRATEGY", "LANGUAGES", "LAST CRAWL", "DOCS", "DRIFT",
                 "LAST ERROR")]
        drifting: list[str] = []
        for source in _select_sources(()):
            strategies = sorted({source.strategy_of(s) for site in source.sites
                                 for s in site.sections})
            run = runs.get(source.id)
            last = "never"
            error = ""
            drift = "-"
            if run is not None:
                # An interrupted run's finished_at is when it was noticed: show its start.
                when = (run.finished_at if run.status not in ("running", "interrupted")
                        else None) or run.started_at
                state: str = run.status
                if state == "running" and not _run_is_live(run, holder):
                    state = "running (no live writer)"
                last = f"{when.strftime('%Y-%m-%d %H:%M')} {state}"
                errors = archive.run_errors(run.run_id)
                error = f"[{errors[-1].kind}] {errors[-1].message}" if errors else ""
                if run.drift:
                    drift = str(run.drift)
                    urls = [row.url for row in archive.run_drift(run.run_id)]
                    drifting.append(f"{source.id}: {_drift_line(run, urls)}")
            rows.append((source.id, "+".join(strategies), ",".join(source.languages), last,
                         str(documents.get(source.id, 0)), drift, error[:100]))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:6]))
                   + "  " + row[6])
    for line in drifting:
        click.echo(line)


def _page_address(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """--url: an http(s) address with a host, the kind a crawled page has."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (
            parts.port is None or parts.port > 0)
    except ValueError:
        ok = False
    if not ok:
        raise click.BadParameter(f"{value!r} is not an http(s) address with a host")
    return value.strip()


@cli.command()
@click.argument("target")
@click.option("--url", "page_url", metavar="URL", callback=_page_address,
              help="The address of a saved FILE: picks its source definition and section,"
                   " and is the record's URL and id.")
@click.option("--source", "source_id", metavar="ID",
              help="Read with this source's definition, whatever the URL's host.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the record as /api/communiques/<id> does, plus 'extraction'.")
@click.pass_context
def extract(ctx: click.Context, target: str, page_url: str | None, source_id: str | None,
            as_json: bool) -> None:
    """Read an article FILE or URL exactly as the crawler would.

    The source whose site serves the URL's host (or --source) and the section whose path
    fits read it with their selectors; a page they cannot read, or of no known source,
    is read by the generic extractor. Officials and countries are extracted as indexing
    does. Exits 1 when nothing on the page reads as an article.
    """
    from dataclasses import replace
    from datetime import UTC, datetime

    from indexer.entities import extractor_for
    from scrapers.blockpages import block_reason
    from scrapers.errors import FetchError, ScrapeError
    from scrapers.fetch import Fetcher
    from scrapers.fetch.encoding import decode_body
    from scrapers.htmltext import parse_html
    from scrapers.sources import match_url
    from scrapers.strategies.article import read_generic_page, read_page_as

    app = _app(ctx)
    sources = {s.id: s for s in _select_sources((source_id,) if source_id else ())}
    if target.startswith(("http://", "https://")):
        try:
            with Fetcher(fetch_settings(app.config)) as fetcher:
                page = fetcher.get(target)
        except FetchError as exc:
            raise click.ClickException(str(exc)) from exc
        html, url = page.text, page_url or page.url
    else:
        path = Path(target)
        if not path.is_file():
            raise click.ClickException(f"no such file: {target}")
        html, _ = decode_body(path.read_bytes(), None)
        url = page_url or path.resolve().as_uri()

    match = match_url(url, sources, source_id)
    source = match.source if match else (sources[source_id] if source_id else None)
    reason = block_reason(parse_html(html), source.block_markers if source else ())
    if reason:
        raise click.ClickException(f"{url}: {reason}")
    warnings: list[str] = []
    now = datetime.now(UTC)
    try:
        if source is not None:
            record = read_page_as(source, html, url, now, match=match,
                                  warn=lambda _, message: warnings.append(message))
        else:
            record = read_generic_page(html, url, now)
    except ScrapeError as exc:
        raise click.ClickException(str(exc)) from exc
    for message in warnings:
        click.echo(f"warning: {message}", err=True)
    entities = extractor_for(str(app.config["DATA_DIR"])).extract(record)
    record = replace(record, officials=entities.officials, countries=entities.countries)
    if as_json:
        from webapp.api import communique_json

        with app.test_request_context():
            data = communique_json(record)
        for key in ("source_id", "ministry_country"):
            data[key] = data[key] or None  # a page of no known source
        data["versions"] = []  # read now, not from the archive
        data["withdrawn"], data["withdrawals"] = None, []  # (issue 15) the API's shape
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    published = record.published.isoformat() if record.published else "- (the page shows none)"
    click.echo(f"title:      {record.title}")
    click.echo(f"published:  {published}")
    click.echo(f"language:   {record.language}")
    click.echo(f"source:     {record.source_id or '-'}  ({record.extraction} extraction)")
    click.echo(f"type:       {record.doc_type}")
    click.echo(f"officials:  {', '.join(record.officials) or '-'}")
    click.echo(f"countries:  {', '.join(record.countries) or '-'}")
    click.echo("")
    click.echo(record.body)


@cli.command("extract-quality")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False),
                default=str(evaluation.EXTRACTION))
@click.option("--verbose", is_flag=True, help="One line per page, and what it got wrong.")
def extract_quality(corpus: str, verbose: bool) -> None:
    """Score the generic extractor against the annotated corpus: titles, dates, bodies."""
    from scrapers.extract_quality import evaluate

    evaluation = evaluate(Path(corpus))

    def mark(ok: bool) -> str:
        return "ok" if ok else "NO"

    if verbose:
        for page in evaluation.pages:
            date = "INVENTED" if page.invented_date else mark(page.date_ok)
            click.echo(f"{page.f1:.3f}  P {page.precision:.3f}  R {page.recall:.3f}  "
                       f"title {mark(page.title_ok)}  date {date:<8}  "
                       f"start {mark(page.start_ok)}  end {mark(page.end_ok)}  "
                       f"lang {mark(page.language_ok)}  {page.file}")
            for line in page.failures():
                click.echo(f"       {line}")
    total = len(evaluation.pages)

    def tally(attribute: str) -> str:
        count = evaluation.count(attribute)
        return f"{count}/{total} ({count / total:.0%})"

    invented = evaluation.invented_dates
    click.echo(
        f"{total} pages: mean F1 {evaluation.mean_f1:.3f}"
        f" (median {evaluation.median_f1:.3f}), precision {evaluation.mean_precision:.3f},"
        f" recall {evaluation.mean_recall:.3f}"
    )
    where = f" ({', '.join(invented)})" if invented else ""
    click.echo(f"titles {tally('title_ok')}, dates {tally('date_ok')}, "
               f"invented dates {len(invented)}{where}")
    click.echo(f"body start {tally('start_ok')}, body end {tally('end_ok')}, "
               f"languages {tally('language_ok')}")


@cli.command()
@click.option("--found", "--candidates", "found", is_flag=True,
              help="Officials indexing found in the texts (introduced by a title), not curated.")
@click.option("--confirm", metavar="NAME", help="Make a found official a curated one.")
@click.option("--rename", metavar="NAME", help="Show an official under the name given by --to.")
@click.option("--to", "new_name", metavar="NEW", help="With --rename: the new name.")
@click.option("--merge", metavar="NAME", help="NAME is the official given by --into.")
@click.option("--into", metavar="OTHER", help="With --merge: the official NAME is.")
@click.option("--reject", metavar="NAME", help="NAME is no official: never extract it again.")
@click.option("--promote", metavar="NAME",
              help="Confirm a found official (or add a name) with --country and --role.")
@click.option("--country", default="",
              help="With --confirm/--promote/--merge: ISO code of their country.")
@click.option("--role", default="", help="With --confirm/--promote: their title.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--check", is_flag=True,
              help="Validate registry FILEs (default: the seeds and the local file).")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def officials(ctx: click.Context, found: bool, confirm: str | None, rename: str | None,
              new_name: str | None, merge: str | None, into: str | None, reject: str | None,
              promote: str | None, country: str, role: str, limit: int, check: bool,
              files: tuple[str, ...]) -> None:
    """The officials: the registry, those found in the texts, and curators' decisions
    on them (kept in the data directory's officials.local.toml)."""
    from indexer.entities import extractor_for
    from indexer.entities.curation import Curator
    from indexer.errors import CurationError

    app = _app(ctx)
    data_dir = app.config["DATA_DIR"]
    if files and not check:
        raise click.UsageError("FILE arguments go with --check")
    if check:
        _check_registry([Path(f) for f in files] or None, data_dir)
        return
    if bool(rename) != bool(new_name) or bool(merge) != bool(into):
        raise click.UsageError("--rename goes with --to, --merge with --into")
    decisions = [d for d in (confirm, rename, merge, reject, promote) if d]
    if len(decisions) > 1:
        raise click.UsageError("one of --confirm, --rename, --merge, --reject, --promote")
    if decisions:
        with Archive(data_dir, readonly=True) as archive:
            entries = archive.found_entries()
        try:
            # Under the writer lock: an index run reads the file it changes.
            with WriterLock(data_dir):
                curator = Curator(data_dir, entries)
                if confirm or promote:
                    made = curator.confirm(confirm, country, role) if confirm \
                        else curator.promote(promote or "", country, role)
                    said = f"added {made.name} ({made.id})"
                elif rename:
                    made = curator.rename(rename, new_name or "")
                    said = f"{rename} is now shown as {made.name} ({made.id})"
                elif merge:
                    name, target = curator.merge(merge, into or "", country)
                    said = f"{name} is now {target.name} ({target.id})"
                else:
                    said = f"{curator.reject(reject or '')} is no official"
        except CurationError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"{said}: written to {curator.path};"
                   " the next `communiques index` rebuilds with it")
        return
    if found:
        from indexer.entities.curation import undecided
        from indexer.entities.registry import OfficialsRegistry

        with Archive(data_dir, readonly=True) as archive:
            entries = undecided(archive.found_entries(), OfficialsRegistry.load(data_dir))
        entries = entries[:limit]
        if not entries:
            click.echo("no found officials: every official the indexed texts name by a title "
                       "is curated or decided (`communiques index` reads new texts)")
        for entry in entries:
            span = " – ".join(d.isoformat() for d in (entry.first_seen, entry.last_seen) if d)
            forms = ", ".join(f for f in entry.forms if f != entry.name)
            click.echo(f"{entry.documents:5d}  {entry.name}  ({entry.id})"
                       f"  {entry.role or '?'}{', ' + entry.country if entry.country else ''}"
                       f"  {span}{'  also: ' + forms if forms else ''}")
        return
    registry = extractor_for(str(data_dir)).people
    for official in sorted(registry.by_id.values(), key=lambda o: o.name):
        roles = "; ".join(f"{r.title} ({r.span()})" for r in official.roles[-2:])
        status = "\tfound" if official.found else ""
        click.echo(f"{official.id}\t{official.name}\t{official.country}\t{roles}{status}")


def _check_registry(files: list[Path] | None, data_dir: str) -> None:
    """Print each problem in the registry files as FILE:LINE; exit 1 on any error."""
    from indexer.entities.check import check_files
    from indexer.entities.registry import registry_files

    files = files or registry_files(data_dir)
    problems = check_files(files)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    click.echo(f"{len(files)} files: {errors} errors, {len(problems) - errors} warnings")
    if errors:
        sys.exit(1)


# The evaluation sets of `entities-quality` (package data: see evaluation/__init__.py).
GOLDEN_FIXTURES = evaluation.GOLDEN
UNSEEN_SET = evaluation.UNSEEN


@cli.command("entities-quality")
@click.option("--set", "which", type=click.Choice(["fixtures", "unseen", "readouts", "all"]),
              default="all", show_default=True,
              help="Evaluation set: the fixture articles the registry was seeded from, "
              "communiqués naming officials it lacks, readouts scoring encounters only "
              "(evaluation/readouts/), or all of them.")
@click.option("--golden", type=click.Path(exists=True, file_okay=False),
              default=str(GOLDEN_FIXTURES), show_default=True,
              help="The fixtures set: one golden file per source.")
@click.option("--unseen", type=click.Path(exists=True, dir_okay=False),
              default=str(UNSEEN_SET), show_default=True,
              help="The unseen set: one file of annotated communiqués.")
@click.option("--verbose", is_flag=True, help="List every miss and every extra.")
@click.pass_context
def entities_quality(ctx: click.Context, which: str, golden: str, unseen: str,
                     verbose: bool) -> None:
    """Precision and recall of officials and countries against the golden annotations,
    per language, for each evaluation set."""
    from indexer.entities import extractor_for
    from indexer.entities.quality import evaluate

    extractor = extractor_for(str(_app(ctx).config["DATA_DIR"]))
    sets = [(name, Path(path)) for name, path in (("fixtures", golden), ("unseen", unseen))
            if which in (name, "all")]
    for number, (name, source) in enumerate(sets):
        scores = evaluate(source, extractor)
        shown = source.resolve()
        shown = shown.relative_to(REPO_ROOT) if shown.is_relative_to(REPO_ROOT) else shown
        click.echo(("\n" if number else "") + f"{name}: {scores.communiques} communiqués ({shown})")
        click.echo(f"{'language':10} {'officials P':>12} {'R':>6} {'countries P':>12} {'R':>6}")
        rows = [(lang, scores.officials[lang], scores.countries[lang])
                for lang in sorted(scores.officials)]
        for language, o, c in [*rows, ("all", scores.total("officials"),
                                       scores.total("countries"))]:
            click.echo(f"{language:10} {o.precision:12.3f} {o.recall:6.3f} {c.precision:12.3f}"
                       f" {c.recall:6.3f}")
        # What promoting every candidate (a name after a title) would give: the headroom.
        w = scores.total("with_candidates")
        click.echo(f"officials counting candidates as found: P {w.precision:.3f}"
                   f" R {w.recall:.3f}")
        if verbose:
            for kind in ("officials", "countries"):
                for language, tally in sorted(getattr(scores, kind).items()):
                    for miss in tally.misses:
                        click.echo(f"{kind} missed [{language}] {miss}")
                    for extra in tally.extras:
                        click.echo(f"{kind} extra  [{language}] {extra}")
    # Events (issue 11): encounters read and readouts grouped, against the golden events.
    from indexer.events import quality as events_quality

    annotations = Path(golden) / events_quality.GOLDEN_EVENTS
    if which in ("fixtures", "all") and annotations.exists():
        events = events_quality.evaluate(Path(golden), extractor)
        click.echo(f"\nevents: {events.communiques} communiqués, {events.events} events with two"
                   f" readouts or more ({annotations})")
        for line in events_quality.report(events, verbose):
            click.echo(line)
    encounters = Path(golden) / events_quality.UNSEEN_ENCOUNTERS
    if which in ("unseen", "all") and encounters.exists():
        tallies = events_quality.evaluate_encounters(Path(unseen), encounters, extractor)
        click.echo(f"\nevents, unseen set: encounter pairs ({encounters})")
        for line in events_quality.encounters_report(tallies, verbose):
            click.echo(line)
    readouts = evaluation.READOUTS
    if which in ("readouts", "all") and (readouts / "pairs.json").exists():
        tallies = events_quality.evaluate_encounters(readouts / "communiques.json",
                                                     readouts / "pairs.json", extractor)
        shown = readouts.relative_to(REPO_ROOT) if readouts.is_relative_to(REPO_ROOT) \
            else readouts
        click.echo(f"\nevents, readouts set: encounter pairs ({shown})")
        for line in events_quality.encounters_report(tallies, verbose):
            click.echo(line)


def _serve(app: Flask, host: str, port: int) -> None:
    from waitress.server import create_server

    start_warm_up(app)
    try:
        server = create_server(app, host=host, port=port, threads=8,
                               ident="communique-search")
    except OSError as exc:  # the port is taken, or the address is not this machine's
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}"
              + (" (another server is using the port; choose one with --port)"
                 if exc.errno == errno.EADDRINUSE else ""), EXIT_PORT_TAKEN)
    click.echo(f"serving on http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the search pages and API (waitress; see deploy/ for gunicorn)."""
    app = _app(ctx)
    _need_archive(app)
    _serve(app, host, port)


@cli.command()
@click.option("--sites", type=click.Path(exists=True, file_okay=False), default=str(DEMO_SITES),
              show_default=True, help="Local copy of the ministries' sites.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo archive and index, then exit.")
@click.pass_context
def demo(ctx: click.Context, sites: str, host: str, port: int, no_serve: bool) -> None:
    """Serve a local copy of the sites, crawl it for real, index it, serve search."""
    from demo.localsites import LocalSites

    app = _app(ctx)
    data_dir = Path(app.config["DATA_DIR"]) / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)  # its URLs name this run's loopback ports
    demo_app = create_app({**app.config, "DATA_DIR": str(data_dir)}, serving=False)
    with LocalSites(Path(sites)) as local:
        demo_app.config.update(
            SITE_OVERRIDES=local.base_urls, FETCH_ALLOW_PRIVATE_ADDRESSES=True, FETCH_DELAY=0.0,
        )
        click.echo(f"local copy of the sites: {json.dumps(local.base_urls)}")
        reports = _crawl(demo_app, (), refetch=False)
        _print_reports(reports)
        _index(demo_app, rebuild=True)
        click.echo(f"demo archive in {data_dir}; today is {date.today().isoformat()}")
        if not no_serve:
            _serve(demo_app, host, port)


if __name__ == "__main__":  # pragma: no cover
    cli()
