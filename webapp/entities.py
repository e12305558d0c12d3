"""Officials and countries as pages: who they are, when they appear, whom they meet."""

from __future__ import annotations

from datetime import date

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

from indexer.entities import OfficialsRegistry, extractor_for
from indexer.entities.countries import gazetteer
from indexer.entities.names import key_tokens
from indexer.entities.registry import Official
from indexer.search import SearchRequest, SearchResults, SearchService, phrase_clause
from webapp.labels import country_name

bp = Blueprint("entities", __name__)
SUGGESTIONS = 10  # named limit: suggestions returned per request
MIN_SUGGEST_CHARS = 2


def service() -> SearchService:
    return current_app.extensions["search"]


def registry() -> OfficialsRegistry:
    """Everyone: the curated officials and those indexing found in the texts."""
    return extractor_for(str(current_app.config["DATA_DIR"])).people


def official_overview(official_id: str) -> tuple[Official, SearchResults]:
    official = registry().by_id.get(official_id)
    if official is None:
        abort(404, description=f"no official with id '{official_id}'")
    # A query rather than a facet filter: the officials facet then counts who else the
    # communiqués mention (a facet's own filter is left out of its counts).
    results = service().search(SearchRequest(
        q=phrase_clause("official", official.name), sort="newest", page_size=10,
        facet_size=11))
    return official, results


def _related(results: SearchResults, facet: str, exclude: set[str]) -> list[tuple[str, int]]:
    for f in results.facets:
        if f.name == facet:
            return [(v.value, v.count) for v in f.values if v.value not in exclude][:10]
    return []


@bp.get("/officials/<official_id>")
def official_page(official_id: str) -> ResponseReturnValue:
    official, results = official_overview(official_id)
    return render_template(
        "official.html", official=official, results=results,
        met=_related(results, "official", {official.name}),
        countries=_related(results, "country", set()),
        official_url=official_url,
    )


@bp.get("/api/officials/<official_id>")
def official_json(official_id: str) -> ResponseReturnValue:
    official, results = official_overview(official_id)
    from webapp.api import hit_json

    return jsonify({
        "id": official.id, "name": official.name, "country": official.country,
        # "found": introduced by their office in the texts, in no registry file yet.
        "status": official.status, "curated": not official.found,
        "first_seen": official.first_seen.isoformat() if official.first_seen else None,
        "last_seen": official.last_seen.isoformat() if official.last_seen else None,
        "aliases": list(official.aliases),
        "roles": [{"title": r.title, "organisation": r.organisation,
                   "from": r.start.isoformat() if r.start else None,
                   "to": r.end.isoformat() if r.end else None} for r in official.roles],
        "communiques": results.total,
        "timeline": [{"key": b.key, "count": b.count} for b in results.histogram],
        "latest": [hit_json(hit) for hit in results.hits],
        "mentioned_with": [{"name": n, "count": c}
                           for n, c in _related(results, "official", {official.name})],
        "countries": [{"name": n, "count": c} for n, c in _related(results, "country", set())],
    })


def official_url(name: str) -> str | None:
    known = registry().lookup(name)
    return url_for("entities.official_page", official_id=known.id) if known else None


@bp.get("/officials")
def officials_index() -> ResponseReturnValue:
    # Every official's count, not a search's top values: a real archive names thousands.
    counts = service().value_counts("official")
    people = sorted(registry().by_id.values(), key=lambda o: (-counts.get(o.name, 0), o.name))
    # Listed: people named in at least one communiqué, by country. People the registry
    # gives no office (a journalist, a dissident) are not officials and are not listed;
    # their own pages stay reachable from the communiqués that name them.
    named = [p for p in people if counts.get(p.name, 0)]
    groups: dict[str, list] = {}
    for person in named:
        if person.roles or person.found:
            groups.setdefault(country_name(person.country) if person.country else "", []).append(
                person)
    return render_template("officials.html", people=people, counts=counts,
                           found=sum(person.found for person in named),
                           groups=sorted(groups.items(), key=lambda g: (not g[0], g[0])),
                           role_of=latest_role)


def latest_role(official: Official) -> str:
    """The office an official holds now, or held last."""
    if not official.roles:
        return ""
    role = max(official.roles, key=lambda r: (r.end is None, r.end or date.min,
                                              r.start or date.min))
    return role.title + (f", {role.organisation}" if role.organisation else "")


def _resolve_country(text: str) -> tuple[str, str]:
    """A country's code and name from its ISO code or its name in any script."""
    from webapp.pages import country_code

    code = country_code(text)
    if code is None:
        abort(404, description=f"no country called '{text}'")
    return code, gazetteer().names[code]


def _country(text: str) -> str:
    """A country's name from its ISO code or its name in any script (404 if unknown)."""
    return _resolve_country(text)[1]


@bp.get("/countries/<first>/<second>")
def country_pair(first: str, second: str) -> ResponseReturnValue:
    """Two countries (ISO codes, or names in any script: /countries/Србија/Russia)."""
    (first_code, first_name), (second_code, second_name) = (_resolve_country(first),
                                                            _resolve_country(second))
    if first_code == second_code:  # /countries/RS/Srbija: one country, not a pair
        return redirect(url_for("pages.country_page", country=first_code))
    names = (first_name, second_name)
    q = " ".join(phrase_clause("country", name) for name in names)
    results = service().search(SearchRequest(q=q, sort="newest", page_size=20, facet_size=20))
    by_ministry = next((f.values for f in results.facets if f.name == "source"), [])
    return render_template("pair.html", names=names, codes=(first_code, second_code),
                           results=results, by_ministry=by_ministry, query=q)


@bp.get("/api/suggest")
def suggest() -> ResponseReturnValue:
    """Officials and countries whose name, in any script, starts like what was typed."""
    typed = request.args.get("q", "")[:100]
    key = key_tokens(typed)
    if len(" ".join(key)) < MIN_SUGGEST_CHARS:
        return jsonify({"query": typed, "suggestions": []})
    prefix = " ".join(key)
    found: list[dict] = []
    for official in registry().by_id.values():
        for spelling in official.spellings:
            words = key_tokens(spelling)
            if any(" ".join(words[i:]).startswith(prefix) for i in range(len(words))):
                found.append({"type": "official", "id": official.id, "name": official.name,
                              "url": url_for("entities.official_page", official_id=official.id)})
                break
    places = gazetteer()
    seen_codes: set[str] = set()
    for words, code in places.by_key.items():
        if code not in seen_codes and " ".join(words).startswith(prefix):
            seen_codes.add(code)
            found.append({"type": "country", "code": code, "name": places.names.get(code, code)})
    found.sort(key=lambda s: (s["type"] != "official", s["name"]))
    return jsonify({"query": typed, "suggestions": found[:SUGGESTIONS]})
