"""What a crawl's steps come to, as enums: the archive stores their values unchanged.

StrEnums, so a stored or printed value is the plain word ("new", "partial", "fetch")
that archives written before these enums hold, and comparing with such a word works.
"""

from __future__ import annotations

from enum import StrEnum


class StoreOutcome(StrEnum):
    """What storing one record did to the archive."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class RunStatus(StrEnum):
    """A crawl run's status (crawl_runs.status)."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # errors, but some articles were stored
    FAILED = "failed"  # errors, and nothing stored
    INTERRUPTED = "interrupted"  # its process died; the next run noticed


class IssueKind(StrEnum):
    """What went wrong on one URL (crawl_errors.kind)."""

    FETCH = "fetch"
    ROBOTS = "robots"
    BLOCKED = "blocked"
    SCRAPE = "scrape"
    BUDGET = "budget"
    ERROR = "error"
    DRIFT = "drift"  # read by the generic extractor: the definition drifted
    BREAKAGE = "breakage"  # a source's health check found it broken (pipeline)
