"""What `communiques update` and `crawl` print: timestamped lines and a progress bar per
source on a terminal, one JSON object per event otherwise (cron, a log file) or with
`--log-format json`. Failures are grouped: one line per failing host, not one per URL."""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from scrapers.crawl import CrawlIssue, CrawlReport
from scrapers.sources import Source

LOG_FORMATS = ("auto", "text", "json")
# Example URLs shown per failing host.
HOST_EXAMPLES = 1


def _timestamp() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def host_groups(issues: list[CrawlIssue]) -> list[tuple[str, list[CrawlIssue]]]:
    """Issues by host (in order of first failure); issues of no URL under ""."""
    groups: dict[str, list[CrawlIssue]] = defaultdict(list)
    for issue in issues:
        groups[issue.host].append(issue)
    return list(groups.items())


def _short(issue: CrawlIssue) -> str:
    """The failure without its URL ("HTTP 404", "connection refused")."""
    message = issue.message
    if issue.url and message.endswith(f": {issue.url}"):
        message = message[: -len(issue.url) - 2]
    return f"{issue.kind}: {message}"


class RunLog:
    """Events of one command run, written to `stream` as text or JSON lines."""

    def __init__(self, fmt: str = "auto", stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.json = fmt == "json" or (fmt == "auto" and not tty)
        self.bars = tty and not self.json
        self._bar: Any = None  # the progress bar of the source being crawled (a tqdm)

    # -- writing ---------------------------------------------------------------------

    def emit(self, level: str, event: str, message: str, **fields: Any) -> None:
        if self.json:
            record = {"ts": _timestamp(), "level": level, "event": event, "message": message,
                      **fields}
            self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        elif self._bar is not None:
            # A line while a bar is drawn: the bar steps aside and is drawn again under it.
            self._bar.clear()
            self.stream.write(f"{_timestamp()} {level.upper():7} {message}\n")
            self._bar.refresh()
        else:
            self.stream.write(f"{_timestamp()} {level.upper():7} {message}\n")
        self.stream.flush()

    def _end_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()  # leave=False: the line is cleared for the source's summary
            self._bar = None

    def event(self, name: str, fields: dict[str, Any]) -> None:
        """An event of the pipeline (indexer.pipeline.EventLog)."""
        if name == "source_start":
            sites = fields["sites"]
            self.emit("info", name, f"{fields['source']}: crawling"
                      + ("" if sites == "all" else f" (due: {', '.join(sites)})"), **fields)
        elif name == "not_due":
            self.emit("info", name, f"{fields['source']}: not due until {fields['due']}",
                      **fields)
        elif name == "index_done":
            self.emit("info", name, f"index: {fields['mode']}, {fields['indexed']} documents"
                      f" written, {fields['documents']} in the index", **fields)
        elif name == "lock_recovered":
            self.emit("warning", name, f"recovered the writer lock from pid {fields['pid']}"
                      f" (`{fields['command']}`), which died holding it", **fields)
        elif name == "source_done":
            self._end_bar()
            self.report(fields["report"])
        else:
            self.emit("info", name, name, **fields)

    def report(self, report: CrawlReport) -> None:
        """One line for the source, one per failing host, one per kind of drift."""
        budget = f", stopped early: budget of {report.budget} spent" if report.budget else ""
        self.emit(
            "info" if report.status == "ok" else "error", "source_done",
            f"{report.source_id}: {report.status} - {report.articles_found} articles found,"
            f" {report.new} new, {report.changed} changed, {report.unchanged} unchanged,"
            f" {report.withdrawn} withdrawn, {report.skipped} not due for a re-check;"
            f" {report.requests} requests ({report.not_modified} not modified),"
            f" {len(report.issues)} errors, {len(report.drift)} drift{budget}",
            source=report.source_id, status=report.status, **report.stats())
        for host, issues in host_groups(report.issues):
            kinds = Counter(_short(i) for i in issues)
            what = "; ".join(f"{k} (x{n})" if n > 1 else k for k, n in kinds.most_common())
            skipped = report.skipped_down.get(host, 0)
            also = f"; {skipped} more URLs not requested" if skipped else ""
            examples = ", ".join(i.url for i in issues[:HOST_EXAMPLES] if i.url)
            where = host or "source"
            self.emit("error", "host_failed",
                      f"{report.source_id}: {where}: {len(issues)} failure"
                      f"{'s' if len(issues) != 1 else ''}: {what}{also}"
                      + (f" - e.g. {examples}" if examples else ""),
                      source=report.source_id, host=host, failures=len(issues),
                      kinds=dict(kinds), skipped=skipped,
                      urls=[i.url for i in issues[:10]])
        if report.drift:
            self.emit("warning", "drift",
                      f"{report.source_id}: definition drift: {len(report.drift)} articles read"
                      f" by the generic extractor, e.g. {report.drift[0].url}",
                      source=report.source_id, count=len(report.drift),
                      urls=[i.url for i in report.drift[:10]])

    def progress_for(self, source: Source) -> Callable[[str], None] | None:
        """A progress bar for one source's articles (on a terminal only)."""
        if not self.bars:
            return None
        from tqdm import tqdm

        self._end_bar()
        bar = self._bar = tqdm(desc=source.id, unit=" articles", file=self.stream, leave=False)

        def told(outcome: str) -> None:
            bar.update(1)
            bar.set_postfix_str(outcome.split(":", 1)[0], refresh=False)

        return told

    # -- the standard logging of the packages (the writer lock's recovery) -------------

    def handler(self) -> logging.Handler:
        log = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                log.emit(record.levelname.lower(), record.name, record.getMessage())

        return _Handler(logging.INFO)
