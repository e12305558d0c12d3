"""Aggregations of a result set: facet counts and the date histogram.

Each facet is counted as if its own selection were not applied (OR: what ticking
another value adds), or among the documents having all its selected values (AND).
"""

from __future__ import annotations

import calendar
import heapq
import math
from datetime import date

import numpy as np

from indexer.backend import Facet, FacetValue, HistogramBar
from indexer.facets import FACETS, FacetTables
from indexer.matching import Matches
from indexer.request import SearchRequest

MONTHLY_HISTOGRAM_MAX_MONTHS = 36  # shorter spans are drawn per month, longer per year
MAX_HISTOGRAM_BARS = 60  # wider spans are drawn in buckets of several years
HISTOGRAM_YEAR_BUCKETS = (("year", 1), ("decade", 10), ("century", 100), ("millennium", 1000))


def facet_counts(request: SearchRequest, tables: FacetTables, matches: Matches,
                 canonical, groups: np.ndarray | None = None) -> list[Facet]:
    """Every facet's values and counts: selected values first, then the most frequent.
    With `groups` (versions collapsed, issue 11) a value counts texts, not communiqués."""
    base, selections, matching = matches.base, matches.selections, matches.matching
    shown = [spec for spec in FACETS
             # months drill down from a chosen year
             if spec.name != "month" or "year" in request.filters or "month" in request.filters]
    # Counts as if a facet's own selection were not applied (OR: what ticking another
    # value adds); with AND, among the documents that have them all (what ticking
    # another value would leave). The facets counted over every condition are counted
    # together.
    apart = {spec.name for spec in shown
             if spec.name in selections and spec.name not in request.all_of}
    counted = tables.count_many([spec.name for spec in shown if spec.name not in apart],
                                matching, groups)
    facets = []
    for spec in shown:
        if spec.name in apart:
            docs = base.copy()
            for name, selected in selections.items():
                if name != spec.name:
                    docs &= selected
            counts = tables.count(spec.name, docs, groups)
        else:
            counts = counted[spec.name]
        if spec.name == "month" and "year" in request.filters:
            years = set(request.filters["year"])
            counts = {k: v for k, v in counts.items() if k[:4] in years}
        chosen = {tables.normalise(spec.name, v)
                  for v in canonical(spec.name, request.filters.get(spec.name, ()))}
        for value in chosen:
            if value not in counts and spec.name == "language":
                # "sr" stands for all its scripts.
                counts[value] = sum(n for k, n in counts.items()
                                    if k.startswith(value + "-"))
        if spec.name in ("year", "month"):
            top = heapq.nlargest(request.facet_size, counts.items(), key=lambda kv: kv[0])
        else:
            top = most_frequent(counts, request.facet_size)
        values = [FacetValue(v, counts.get(v, 0), True) for v in sorted(chosen)]
        values += [FacetValue(v, n, False) for v, n in top
                   if v not in chosen and not any(v.startswith(c + "-") for c in chosen
                                                  if spec.name == "language")]
        facets.append(Facet(spec.name, spec.label, values, more=len(counts) > len(top)))
    return facets


def most_frequent(counts: dict[str, int], size: int) -> list[tuple[str, int]]:
    """The `size` most frequent values, ties by value: sorted(counts.items(), key=(-count,
    value))[:size]. Only the values counted at least as often as the size-th most
    frequent are compared in Python (a key call per value was thousands of officials
    and countries a cold search)."""
    if size <= 0 or len(counts) <= size:
        return heapq.nsmallest(size, counts.items(), key=lambda kv: (-kv[1], kv[0]))
    numbers = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    # The size-th largest count: every value of the top has at least as many.
    least = np.partition(numbers, len(numbers) - size)[len(numbers) - size]
    values = list(counts)
    kept = [(values[i], n) for i, n in zip(np.flatnonzero(numbers >= least).tolist(),
                                           numbers[numbers >= least].tolist(), strict=True)]
    return heapq.nsmallest(size, kept, key=lambda kv: (-kv[1], kv[0]))


def histogram(tables: FacetTables, mask: np.ndarray,
              request: SearchRequest) -> tuple[list[HistogramBar], str]:
    """Documents per month, year or wider bucket, over the results and the chosen range."""
    dated = mask & tables.dated
    if not dated.any():
        return [], "year"
    dated_years = tables.year[dated]
    first_year, last_year = int(dated_years.min()), int(dated_years.max())
    if request.date_from:
        first_year = min(first_year, request.date_from.year)
    if request.date_to:
        last_year = max(last_year, request.date_to.year)
    if last_year - first_year >= 4:  # over 36 months whatever the days: drawn by years
        first, last = date(first_year, 1, 1), date(last_year, 12, 31)
        months = MONTHLY_HISTOGRAM_MAX_MONTHS + 1
    else:
        ordinals = tables.ordinal[dated]
        first = date.fromordinal(int(ordinals.min()))
        last = date.fromordinal(int(ordinals.max()))
        if request.date_from:
            first = min(first, request.date_from)
        if request.date_to:
            last = max(last, request.date_to)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months <= MONTHLY_HISTOGRAM_MAX_MONTHS:
        base = (first.year - 1970) * 12 + first.month  # tables.month numbering
        counts = np.bincount(tables.month[dated] - base, minlength=months)
        bars = []
        year, month = first.year, first.month
        for index in range(months):
            start = date(year, month, 1)
            end = date(year, month, calendar.monthrange(year, month)[1])
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            bars.append(HistogramBar(f"{start.year}-{start.month:02d}", start, end,
                                     int(counts[index])))
        return bars, "month"
    # A wide range (from=0001&to=9999) is drawn in coarser buckets, never in 9,999 bars.
    years = last.year - first.year + 1
    interval, width = next(((name, width) for name, width in HISTOGRAM_YEAR_BUCKETS
                            if math.ceil(years / width) <= MAX_HISTOGRAM_BARS),
                           HISTOGRAM_YEAR_BUCKETS[-1])
    origin = first.year - first.year % width
    buckets = (last.year - origin) // width + 1
    counts = np.bincount((dated_years - origin) // width, minlength=buckets)
    bars = []
    for index in range(buckets):
        low = max(1, origin + index * width)
        high = min(date.max.year, origin + (index + 1) * width - 1)
        key = str(low) if width == 1 else f"{low}–{high}"
        bars.append(HistogramBar(key, date(low, 1, 1), date(high, 12, 31),
                                 int(counts[index])))
    return bars, interval
