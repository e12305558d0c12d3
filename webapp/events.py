"""Events (issue 11): one meeting, every readout side by side.

Pages and API: `/events/<id>` (JSON at `/api/events/<id>`) shows every readout of one
event; `/events` and `/api/events` list events by official, other side, country or country
pair and dates. Template globals give the document, official and country-pair pages their
sections ("Also reported by", "Also in", "Met with", the pair's events).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from indexer.entities.countries import gazetteer
from indexer.entities.names import key_tokens
from indexer.events.service import EventFilter, EventService
from webapp.labels import country_name, language_name, source_name
from webapp.params import EVENT_PARAMS, UrlArgs, all_versions, event_list_args

bp = Blueprint("events", __name__)
KINDS = {"meeting": "Meeting", "talks": "Talks", "call": "Telephone conversation",
         "visit": "Visit", "sidelines": "Talks on the sidelines"}
PAIR_EVENTS_SHOWN = 50


def events_service() -> EventService:
    return current_app.extensions["events"]


def _official_id(value: str) -> str | None:
    """An official's id from any spelling of their name, or their id."""
    from webapp.entities import registry

    people = registry()
    if value in people.by_id:
        return value
    known = people.lookup(value)
    return known.id if known else None


def _country_code(value: str) -> str | None:
    """A country's ISO code from its code, or its name in any of our languages."""
    places = gazetteer()
    if value.upper() in places.names:
        return value.upper()
    return places.by_key.get(key_tokens(value)) or places.abbreviations.get(value)


def _event_filter() -> EventFilter:
    args = event_list_args(request.args)
    official = other = None
    if args.official:
        official = _official_id(args.official)
        if official is None:
            abort(404, description=f"no official '{args.official}'")
    if args.other:
        other = _official_id(args.other)
        if other is None:
            code = _country_code(args.other)
            if code is None:
                abort(404, description=f"no official or country '{args.other}'")
            other = f"country:{code}"
    countries = []
    for value in args.countries:
        code = _country_code(value)
        if code is None:
            abort(404, description=f"no country '{value}'")
        countries.append(code)
    return EventFilter(official, other, tuple(countries), args.start, args.end)


def _links(event: dict) -> dict:
    return {**event,
            "html_url": url_for("events.event_page", event_id=event["id"], _external=True),
            "api_url": url_for("events.event_json", event_id=event["id"], _external=True)}


@bp.app_template_global()
def kind_label(kind: str) -> str:
    return KINDS.get(kind, kind)


@bp.get("/api/events")
def events_json() -> ResponseReturnValue:
    where = _event_filter()
    args = event_list_args(request.args)
    total, events = events_service().events(where, args.size, (args.page - 1) * args.size)
    return jsonify({"total": total, "page": args.page, "size": args.size,
                    "events": [_links(e) for e in events]})


def _absorbed(endpoint: str, event_id: str) -> ResponseReturnValue | None:
    """A permanent redirect from the id of an event merged into another (a new readout
    joined, a rebuild regrouped) to that event, so links in articles and embeds keep
    working; a 404 saying so for one no longer reported; None for any other id."""
    target = events_service().absorbed_into(event_id)
    if target is None:
        return None
    if not target:
        abort(404, description=f"event '{event_id}' is no longer reported by any readout")
    # Only the event routes' own parameter goes on (no unknown one reaches url_for).
    if all_versions(request.args):
        return redirect(url_for(endpoint, event_id=target, versions="all"), 301)
    return redirect(url_for(endpoint, event_id=target), 301)


@bp.get("/api/events/<event_id>")
def event_json(event_id: str) -> ResponseReturnValue:
    event = events_service().event(event_id, all_versions(request.args))
    if event is None:
        moved = _absorbed("events.event_json", event_id)
        if moved is not None:
            return moved
        abort(404, description=f"no event with id '{event_id}'")
    for readout in event["readouts"]:
        readout["ministry"] = source_name(readout["source"])
        readout["html_url"] = url_for("pages.communique", communique_id=readout["id"],
                                      _external=True)
        readout["api_url"] = url_for("api.communique", communique_id=readout["id"],
                                     _external=True)
    return jsonify(_links(event))


@bp.get("/events/<event_id>")
def event_page(event_id: str) -> ResponseReturnValue:
    every = all_versions(request.args)
    event = events_service().event(event_id, every)
    if event is None:
        moved = _absorbed("events.event_page", event_id)
        if moved is not None:
            return moved
        abort(404, description=f"no event with id '{event_id}'")
    return render_template("event.html", event=event, all_versions=every,
                           search_url=url_for("pages.search", event=event_id))


@bp.get("/events")
def events_page() -> ResponseReturnValue:
    where = _event_filter()
    args = event_list_args(request.args)
    total, events = events_service().events(where, args.size, (args.page - 1) * args.size)
    next_url = None
    if total > args.page * args.size:
        known: UrlArgs = {k: v for k, v in request.args.to_dict(flat=False).items()
                          if k in EVENT_PARAMS and k != "page"}
        next_url = url_for("events.events_page", page=args.page + 1, **known)
    return render_template("event.html", listing=events, total=total, where=where,
                           event=None, names=_filter_names(where), next_url=next_url)


def _filter_names(where: EventFilter) -> list[str]:
    """What a list of events is of, in words."""
    from webapp.entities import registry

    people = registry().by_id
    words = []
    for who in (where.official, where.other):
        if who and who.startswith("country:"):
            words.append(country_name(who.split(":", 1)[1]))
        elif who:
            words.append(people[who].name if who in people else who)
    words += [country_name(c) for c in where.countries]
    return words


# -- sections of other pages ------------------------------------------------------------------


@bp.app_template_global()
def event_links(communique_id: str) -> list[dict]:
    """The events a communiqué reports, each with its other readouts ("Also reported by")."""
    return events_service().also_reported(communique_id)


@bp.app_template_global()
def version_links(communique_id: str) -> list[dict]:
    """The communiqué's other versions: languages, and copies on another site generation."""
    return events_service().versions_of([communique_id]).get(communique_id, [])


@bp.app_template_global()
def met_with(official_id: str) -> list[dict]:
    """Whom an official met (events), each with the link to those events."""
    found = []
    for row in events_service().met_with(official_id):
        found.append({**row, "url": url_for("events.events_page", official=official_id,
                                            **{"with": row["participant"].removeprefix(
                                                "country:")})})
    return found


@bp.app_template_global()
def pair_events(first: str, second: str) -> tuple[int, list[dict]]:
    """The events of two countries' officials, newest first: (total, the latest)."""
    return events_service().events(EventFilter(countries=(first.upper(), second.upper())),
                                   PAIR_EVENTS_SHOWN)


@bp.app_template_global()
def versions_toggle_url(collapse: bool) -> str:
    """The search on the page with language versions folded (collapse) or all listed."""
    from webapp.params import search_args

    args = {k: v for k, v in search_args(request.args).items()
            if k not in ("page", "cursor", "collapse")}
    if not collapse:
        args["collapse"] = "0"
    return url_for("pages.search", **args)


@bp.app_context_processor
def helpers() -> dict:
    return {"language_name": language_name, "source_name": source_name,
            "country_name": country_name}
