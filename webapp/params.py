"""Reading a search from URL parameters: the page, the API, the exports and the CLI
take the same ones."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from indexer.errors import QueryError
from indexer.search import DEFAULT_FACET_SIZE, FILTER_FIELDS, SearchRequest, parse_query_date


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
    parts = raw.split("-")
    if 1 <= len(parts) <= 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        try:
            return parse_query_date(raw, end=end)
        except QueryError:
            pass
    raise QueryError(f"'{name}' must be a date like 2018-07-31, not '{raw[:40]}'")


def search_request_from_args(
    args: MultiDict, default_page_size: int, *, with_facets: bool = True
) -> SearchRequest:
    """Build a SearchRequest from query-string arguments, or raise QueryError."""
    filters = {
        name: tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        for name in FILTER_FIELDS
    }
    return SearchRequest(
        q=args.get("q", ""),
        page=_int(args, "page", 1),
        page_size=_int(args, "size", default_page_size),
        sort=args.get("sort", "relevance") or "relevance",
        date_from=_date(args, "from"),
        date_to=_date(args, "to", end=True),
        filters={k: v for k, v in filters.items() if v},
        cursor=args.get("cursor") or None,
        facet_size=_int(args, "facet_size", DEFAULT_FACET_SIZE),
        with_facets=with_facets,
        exact=args.get("exact", "").strip().lower() in ("1", "true", "yes", "on"),
    ).validated()
