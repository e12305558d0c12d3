"""Feeds for any search, official and country pair: every search is a subscription.

`/feed.atom?<search>` and `/feed.rss?<search>` take the search page's parameters
and give its newest results (the first page, newest first); an official's and a
country pair's pages have their own. The formats are the registry's (webapp.outputs).
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask.typing import ResponseReturnValue

from indexer.search import SearchRequest, SearchResults, phrase_clause
from webapp.labels import language_name, source_name
from webapp.outputs import OUTPUTS, Feed, FeedEntry, OutputFormat, OutputKind
from webapp.pages import http_url
from webapp.params import search_args, search_request_from_args
from webapp.services import search_backend

service = search_backend  # the views' one way to search
bp = Blueprint("feeds", __name__)



def feed_format(name: str) -> OutputFormat:
    output = OUTPUTS.get(name)
    if output is None or output.kind is not OutputKind.FEED:
        abort(404, description=f"no feed format '{name}'")
    return output


def entries(results: SearchResults) -> list[FeedEntry]:
    from webapp.diffs import withdrawn_hit

    return [FeedEntry(withdrawn_hit(hit), source_name(hit.source_id),
                      language_name(hit.language),
                      url_for("pages.communique", communique_id=hit.id, _external=True),
                      http_url(hit.url))
            for hit in results.hits]


def newest(req: SearchRequest) -> SearchResults:
    """A feed's results: the first page, newest first, without facets."""
    return service().search(replace(req, sort="newest", page=1, cursor=None, with_facets=False))


def respond(output: OutputFormat, feed: Feed) -> Response:
    return Response("".join(output.render(feed)), mimetype=output.media_type)


def describe(req: SearchRequest) -> str:
    """A search in words, for a feed's title."""
    parts = [f"“{req.q}”"] if req.q.strip() else []
    parts += [", ".join(values) for values in req.filters.values()]
    if req.date_from or req.date_to:
        parts.append(f"{req.date_from or '…'} – {req.date_to or '…'}")
    return "; ".join(parts) or "all ministries"


@bp.get("/feed.<format>")
def search_feed(format: str) -> ResponseReturnValue:  # noqa: A002 - the URL's word
    output = feed_format(format)
    req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"])
    args = {k: v for k, v in search_args(request.args).items()
            if k not in ("page", "cursor", "sort", "facet_size")}
    feed = Feed(
        title=f"Communiqués: {describe(req)}",
        subtitle="The newest foreign-ministry communiqués matching this search",
        self_url=url_for("feeds.search_feed", format=format, **args, _external=True),
        html_url=url_for("pages.search", sort="newest", **args, _external=True),
        entries=entries(newest(req)),
    )
    return respond(output, feed)


@bp.get("/officials/<official_id>/feed.<format>")
def official_feed(official_id: str, format: str) -> ResponseReturnValue:  # noqa: A002
    from webapp.entities import registry

    output = feed_format(format)
    official = registry().by_id.get(official_id)
    if official is None:
        abort(404, description=f"no official with id '{official_id}'")
    feed = Feed(
        title=f"Communiqués naming {official.name}",
        subtitle=f"The newest foreign-ministry communiqués naming {official.name}",
        self_url=url_for("feeds.official_feed", official_id=official_id, format=format,
                         _external=True),
        html_url=url_for("entities.official_page", official_id=official_id, _external=True),
        entries=entries(newest(SearchRequest(q=phrase_clause("official", official.name)))),
    )
    return respond(output, feed)


@bp.get("/countries/<first>/<second>/feed.<format>")
def pair_feed(first: str, second: str, format: str) -> ResponseReturnValue:  # noqa: A002
    from webapp.entities import _country

    output = feed_format(format)
    names = (_country(first), _country(second))
    req = SearchRequest(q=" ".join(phrase_clause("country", name) for name in names))
    feed = Feed(
        title=f"Communiqués on {names[0]} and {names[1]}",
        subtitle=f"The newest foreign-ministry communiqués mentioning both {names[0]}"
                 f" and {names[1]}",
        self_url=url_for("feeds.pair_feed", first=first, second=second, format=format,
                         _external=True),
        html_url=url_for("entities.country_pair", first=first, second=second, _external=True),
        entries=entries(newest(req)),
    )
    return respond(output, feed)
