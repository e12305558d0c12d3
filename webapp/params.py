"""Reading a search from URL parameters: the page and the API take the same ones."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from indexer.errors import QueryError
from indexer.search import FILTER_FIELDS, SearchRequest

# URL parameter -> filter field; repeated parameters select several values (OR).
FILTER_PARAMS = {name: name for name in FILTER_FIELDS}


def _int(args: MultiDict, name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"'{name}' must be a whole number, not '{raw[:40]}'") from None


def _date(args: MultiDict, name: str, *, end: bool = False) -> date | None:
    """A date given as YYYY-MM-DD, YYYY-MM or YYYY (a month or year means its span)."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        parts = [int(p) for p in raw.split("-")]
        if len(parts) == 1:
            return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
        if len(parts) == 2:
            if not end:
                return date(parts[0], parts[1], 1)
            following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
            return date.fromordinal(following.toordinal() - 1)
        if len(parts) == 3:
            return date(*parts)
    except ValueError:
        pass
    raise QueryError(f"'{name}' must be a date like 2018-07-31, not '{raw[:40]}'")


def search_request_from_args(args: MultiDict, default_page_size: int) -> SearchRequest:
    """Build a SearchRequest from query-string arguments, or raise QueryError."""
    filters = {
        field: tuple(v.strip() for v in args.getlist(param) if v.strip())
        for param, field in FILTER_PARAMS.items()
    }
    return SearchRequest(
        q=args.get("q", ""),
        page=_int(args, "page", 1),
        page_size=_int(args, "size", default_page_size),
        sort=args.get("sort", "relevance") or "relevance",
        date_from=_date(args, "from"),
        date_to=_date(args, "to", end=True),
        filters={k: v for k, v in filters.items() if v},
    ).validated()
