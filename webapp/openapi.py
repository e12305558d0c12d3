"""The OpenAPI description of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from indexer.facets import FACETS
from indexer.search import (
    ALL_OF_FACETS,
    DEFAULT_FACET_SIZE,
    DEFAULT_PAGE_SIZE,
    FEW_RESULTS,
    MAX_FACET_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    SORTS,
)
from webapp.outputs import OutputKind, of_kind
from webapp.params import EMBED_FIELDS, EMBED_THEMES, MAX_EMBED_LIMIT


def _param(name: str, description: str, schema: dict, required: bool = False,
           **extra: object) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema, **extra}


SEARCH_PARAMETERS = [
    _param("q", "Query: words, \"phrases\", AND/OR/NOT, -word, (groups), field:value "
           "(title, official, country, source, lang, type), date:2018 or "
           "date:[2018-07-01 TO 2018-07-31], \"a b\"~5, fuzzy~, prefix*. See /help.",
           {"type": "string", "maxLength": MAX_QUERY_LENGTH}),
    _param("exact", "1: match words as written (script, diacritics, case endings) instead of "
           "folded.", {"type": "boolean", "default": False}),
    _param("sort", "Order of results.", {"type": "string", "enum": list(SORTS),
                                         "default": "relevance"}),
    _param("from", "Earliest publication date (YYYY, YYYY-MM or YYYY-MM-DD).",
           {"type": "string"}),
    _param("to", "Latest publication date (YYYY, YYYY-MM or YYYY-MM-DD).", {"type": "string"}),
    _param("size", "Results per page.", {"type": "integer", "minimum": 1,
                                         "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}),
    _param("page", "Page number (for people; programs use `cursor`).",
           {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _param("cursor", "The `next` token of the previous response: walks any result set to its "
           "end.", {"type": "string"}),
    _param("facet_size", "Values shown per facet.", {"type": "integer", "minimum": 1,
           "maximum": MAX_FACET_SIZE, "default": DEFAULT_FACET_SIZE}),
] + [
    _param(facet.name, f"Filter by {facet.label.lower()}; repeat for several values (OR). "
           "Different filters combine with AND.",
           {"type": "array", "items": {"type": "string"}}, style="form", explode=True)
    for facet in FACETS
] + [
    _param(f"{name}_op", f"and: communiqués with every selected {name} value (\"both\"), not "
           "any of them; the facet's counts are then among those communiqués.",
           {"type": "string", "enum": ["or", "and"], "default": "or"})
    for name in ALL_OF_FACETS
] + [
    # Events (issue 11).
    _param("event", "The readouts of an event (its id, as /api/events gives it); repeat for "
           "several. `event:<id>` in the query does the same.",
           {"type": "array", "items": {"type": "string"}}, style="form", explode=True),
    _param("collapse", "1 (default): one result per text, its language versions and copies on "
           "another generation of the ministry's site folded in (in the hit's `versions`; "
           "`collapsed_versions` counts them); 0: every communiqué.",
           {"type": "boolean", "default": True}),
]

EXPORT_PARAMETERS = [p for p in SEARCH_PARAMETERS
                     if p["name"] not in ("page", "size", "cursor", "facet_size")]

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["status", "type", "message"],
        "properties": {
            "status": {"type": "integer"},
            "type": {"type": "string", "description": "invalid_parameter, invalid_query, "
                     "not_found, too_many_requests, search_timeout, internal_error"},
            "message": {"type": "string"},
            "parameter": {"type": "string", "description": "The URL parameter at fault "
                          "(invalid_parameter only)"},
        },
    }},
}
HIT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "title": {"type": "string"},
        "published": {"type": ["string", "null"], "format": "date"},
        "source": {"type": "string"}, "ministry_country": {"type": "string"},
        "language": {"type": "string"}, "doc_type": {"type": "string"},
        "officials": {"type": "array", "items": {"type": "string"}},
        "countries": {"type": "array", "items": {"type": "string"}},
        "snippet_html": {"type": "string", "description": "Escaped text; <mark> around matches"},
        "more_matches": {"type": "integer"},
        "score": {"type": ["number", "null"]},
        "url": {"type": "string"}, "api_url": {"type": "string"},
        "html_url": {"type": "string"},
        "withdrawn": {"type": ["string", "null"], "format": "date",
                      "description": "The day it was marked gone from the ministry's site "
                      "(it stays archived and searchable); null while it is there"},
        "event": {"type": ["object", "null"], "description": "The event this communiqué is a "
                  "readout of: id, readouts (texts reporting it, language versions counted "
                  "once), position (this one's, 1-based), html_url, api_url",
                  "properties": {"id": {"type": "string"}, "readouts": {"type": "integer"},
                                 "position": {"type": "integer"}}},
        "versions": {"type": "array", "description": "Its other versions: the same text in "
                     "another language, or on another generation of the ministry's site",
                     "items": {"type": "object", "properties": {
                         "id": {"type": "string"}, "language": {"type": "string"},
                         "relation": {"type": "string",
                                      "enum": ["lead", "language", "generation"]},
                         "url": {"type": "string"}, "html_url": {"type": "string"}}}},
    },
}
EVENT = {
    "type": "object",
    "description": "One meeting, call or visit, as every ministry reporting it tells it",
    "properties": {
        "id": {"type": "string"}, "date": {"type": "string", "format": "date"},
        "last_date": {"type": "string", "format": "date"},
        "kind": {"type": "string", "enum": ["meeting", "talks", "call", "visit", "sidelines"]},
        "place": {"type": "string"},
        "conference": {"type": "string", "description": "Whose sidelines (kind sidelines)"},
        "participants": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string", "description": "Official id; empty when the readouts "
                   "name only the office (then the country's minister)"},
            "name": {"type": "string"}, "country": {"type": "string"}}}},
        "countries": {"type": "array", "items": {"type": "string"}},
        "readout_count": {"type": "integer", "description": "Texts reporting it"},
        "document_count": {"type": "integer", "description": "Communiqués, every version"},
        "readouts": {"type": "array", "description": "(/api/events/{id}) one per text, side "
                     "by side: ministry, language, date, title, body, officials, topics, "
                     "named_only_here, topics_only_here, versions",
                     "items": {"type": "object"}},
        "differences": {"type": "object", "description": "(/api/events/{id}) which readouts "
                        "name each official and raise each topic"},
    },
}
SEARCH_RESPONSE = {
    "type": "object",
    "required": ["query", "total", "results", "facets", "histogram"],
    "properties": {
        "query": {"type": "object"},
        "total": {"type": "integer"},
        "page_count": {"type": "integer"},
        "next": {"type": ["string", "null"], "description": "Cursor of the next page"},
        "next_url": {"type": ["string", "null"]},
        "results": {"type": "array", "items": HIT},
        "facets": {"type": "object", "additionalProperties": {
            "type": "object",
            "properties": {
                "label": {"type": "string"}, "more": {"type": "boolean"},
                "values": {"type": "array", "items": {"type": "object", "properties": {
                    "value": {"type": "string"}, "label": {"type": "string"},
                    "count": {"type": "integer"}, "selected": {"type": "boolean"}}}},
            },
        }},
        "histogram": {"type": "object", "properties": {
            "interval": {"type": "string",
                         "enum": ["month", "year", "decade", "century", "millennium"]},
            "buckets": {"type": "array", "items": {"type": "object", "properties": {
                "key": {"type": "string"}, "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"}, "count": {"type": "integer"}}}},
        }},
        "export": {"type": "object", "properties": {
            output.name: {"type": "string"} for output in of_kind(OutputKind.EXPORT)}},
        "did_you_mean": {
            "type": "array", "items": {"type": "string"},
            "description": f"When the search found {FEW_RESULTS} results or fewer: other "
                           "queries (the same query with misspelt words corrected to words "
                           "the communiqués use, or a name as the officials registry writes "
                           "it in the script typed), best first; else empty"},
    },
}
COMMUNIQUE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "url": {"type": "string"}, "source_id": {"type": "string"},
        "ministry_country": {"type": "string"}, "language": {"type": "string"},
        "title": {"type": "string"}, "published": {"type": ["string", "null"]},
        "body": {"type": "string"}, "paragraphs": {"type": "array", "items": {"type": "string"}},
        "doc_type": {"type": "string"}, "officials": {"type": "array"},
        "countries": {"type": "array"}, "fetched_at": {"type": "string"},
        "content_hash": {"type": "string"}, "versions": {"type": "array"},
        "extraction": {"type": "string", "enum": ["definition", "generic"],
                       "description": "read by the source's selectors, or by the generic"
                                      " extractor (no selectors, or they no longer match)"},
        "withdrawn": {"type": ["string", "null"], "format": "date",
                      "description": "The day it was marked gone from the ministry's site;"
                                     " null while it is there"},
        "withdrawals": {"type": "array", "description": "Each time it was withdrawn, and"
                        " when it came back (reinstated null: still withdrawn)",
                        "items": {"type": "object", "properties": {
                            "withdrawn": {"type": "string", "format": "date-time"},
                            "reinstated": {"type": ["string", "null"], "format": "date-time"},
                            "reason": {"type": "string"}}}},
    },
}


ERROR_MEANINGS = {
    400: "A malformed parameter (naming it and the form it accepts) or an unreadable query",
    404: "Not found",
    429: "Too many requests from this address, or too many at once; see Retry-After",
    501: "A format this route does not serve (oEmbed: only json)",
    503: "The search ran past the time limit and was stopped; narrow it",
}


def _errors(*codes: int) -> dict:
    # Every route may answer 429 (per-client limits); searches may also answer 503.
    return {str(code): {"description": ERROR_MEANINGS[code], "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for code in (*codes, 429)}


def _html_errors(*codes: int) -> dict:
    # The embed routes answer errors as a page, shown inside the frame.
    return {str(code): {"description": ERROR_MEANINGS[code], "content": {
        "text/html": {"schema": {"type": "string"}}}} for code in (*codes, 429)}


EMBED_PARAMETERS = [
    _param("limit", "Results shown.", {"type": "integer", "minimum": 1,
                                       "maximum": MAX_EMBED_LIMIT, "default": 5}),
    _param("theme", "Colours; auto follows the reader's system.",
           {"type": "string", "enum": list(EMBED_THEMES), "default": "auto"}),
    _param("compact", "1: no snippets, tighter rows.", {"type": "boolean", "default": False}),
    _param("show", "What each result shows, comma-separated (its links stay whatever is "
           "left out).", {"type": "string", "default": ",".join(EMBED_FIELDS)}),
]


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "communique-search API",
            "version": "1",
            "description": "Full-text search over foreign-ministry communiqués. Read-only; "
                           "responses carry an ETag tied to the index generation.",
        },
        "paths": {
            "/api/search": {"get": {
                "summary": "Search communiqués, with facets and a date histogram",
                "operationId": "search",
                "parameters": SEARCH_PARAMETERS,
                "responses": {"200": {"description": "Results", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Search"}}}},
                    **_errors(400, 503)},
            }},
            **{f"/api/export.{output.name}": {"get": {
                "summary": f"{output.description} (streamed, no cap)",
                "operationId": f"export_{output.name}",
                "parameters": EXPORT_PARAMETERS,
                "responses": {"200": {"description": output.label, "content": {
                    output.media_type: {"schema": {"type": "string"}}}}, **_errors(400)},
            }} for output in of_kind(OutputKind.EXPORT)},
            **{f"/feed.{output.name}": {"get": {
                "summary": f"{output.description}: any search, newest first",
                "operationId": f"feed_{output.name}",
                "parameters": EXPORT_PARAMETERS,
                "responses": {"200": {"description": output.label, "content": {
                    output.media_type: {"schema": {"type": "string"}}}}, **_errors(400)},
            }} for output in of_kind(OutputKind.FEED)},
            # Feeds of an official and of a country pair (issue 13), in every feed format.
            **{f"/officials/{{id}}/feed.{output.name}": {"get": {
                "summary": f"{output.description}: the communiqués naming one official",
                "operationId": f"official_feed_{output.name}",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": output.label, "content": {
                    output.media_type: {"schema": {"type": "string"}}}}, **_errors(404)},
            }} for output in of_kind(OutputKind.FEED)},
            **{f"/countries/{{first}}/{{second}}/feed.{output.name}": {"get": {
                "summary": f"{output.description}: the communiqués mentioning both countries",
                "operationId": f"pair_feed_{output.name}",
                "parameters": [{"name": name, "in": "path", "required": True,
                                "description": "A country: ISO code (RS) or name",
                                "schema": {"type": "string"}} for name in ("first", "second")],
                "responses": {"200": {"description": output.label, "content": {
                    output.media_type: {"schema": {"type": "string"}}}}, **_errors(404)},
            }} for output in of_kind(OutputKind.FEED)},
            "/embed": {"get": {
                "summary": "Any search as a small results page for an iframe (the only pages"
                           " other sites may frame: COMMUNIQUES_EMBED_ORIGINS)",
                "operationId": "embed",
                "parameters": EXPORT_PARAMETERS + EMBED_PARAMETERS,
                "responses": {"200": {"description": "The results page", "content": {
                    "text/html": {"schema": {"type": "string"}}}}, **_html_errors(400)},
            }},
            "/embed/communiques/{id}": {"get": {
                "summary": "One communiqué as a card for an iframe",
                "operationId": "embed_communique",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string"}}] + EMBED_PARAMETERS[1:],
                "responses": {"200": {"description": "The card", "content": {
                    "text/html": {"schema": {"type": "string"}}}}, **_html_errors(404)},
            }},
            "/embed.js": {"get": {
                "summary": "The widget: draws any search in a shadow root of an element with "
                           "data-communiques-* attributes (see the README's Embedding)",
                "operationId": "embed_script",
                "responses": {"200": {"description": "The script", "content": {
                    "text/javascript": {"schema": {"type": "string"}}}}},
            }},
            "/api/suggest": {"get": {
                "summary": "Officials and countries whose name, in any script, starts as typed",
                "operationId": "suggest",
                "parameters": [_param("q", "What was typed (2 letters or more)",
                                      {"type": "string", "maxLength": 100})],
                "responses": {"200": {"description": "Suggestions", "content": {
                    "application/json": {"schema": {"type": "object"}}}}},
            }},
            "/api/officials/{id}": {"get": {
                "summary": "One official: names, roles, timeline, latest communiqués, who else"
                           " is named with them",
                "operationId": "official",
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The official", "content": {
                    "application/json": {"schema": {"type": "object"}}}}, **_errors(404)},
            }},
            "/oembed": {"get": {
                "summary": "oEmbed 1.0: the embed iframe of a search, official, country-pair"
                           " or communiqué page of this site",
                "operationId": "oembed",
                "parameters": [
                    _param("url", "A page of this site", {"type": "string"}, required=True),
                    _param("maxwidth", "Largest width wanted", {"type": "integer"}),
                    _param("maxheight", "Largest height wanted", {"type": "integer"}),
                    _param("format", "Only json", {"type": "string", "enum": ["json"]}),
                ],
                "responses": {"200": {"description": "A rich oEmbed answer", "content": {
                    "application/json": {"schema": {"type": "object"}}}},
                    **_errors(400, 404, 501)},
            }},
            "/api/events": {"get": {
                "summary": "Events (meetings, calls, visits) newest first, by official, "
                           "other side, country or country pair, and dates",
                "operationId": "events",
                "parameters": [
                    _param("official", "An official, in any spelling, or id", {"type": "string"}),
                    _param("with", "The other side: an official, or a country",
                           {"type": "string"}),
                    _param("country", "A country (code or name); twice for a pair",
                           {"type": "array", "items": {"type": "string"}}, style="form",
                           explode=True),
                    _param("from", "Earliest day (YYYY, YYYY-MM or YYYY-MM-DD)",
                           {"type": "string"}),
                    _param("to", "Latest day (YYYY, YYYY-MM or YYYY-MM-DD)", {"type": "string"}),
                    _param("page", "Page number", {"type": "integer", "minimum": 1}),
                    _param("size", "Events per page", {"type": "integer", "minimum": 1,
                                                       "maximum": 100}),
                ],
                "responses": {"200": {"description": "total, page, events", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "total": {"type": "integer"},
                        "events": {"type": "array",
                                   "items": {"$ref": "#/components/schemas/Event"}}}}}}},
                    **_errors(400)},
            }},
            "/api/events/{id}": {"get": {
                "summary": "One event: every readout side by side, with the differences in "
                           "who is named and which topics appear",
                "operationId": "event",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _param("versions", "text (default): one readout per text; all: every "
                           "language version", {"type": "string", "enum": ["text", "all"]}),
                ],
                "responses": {"200": {"description": "The event", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}},
                    "301": {"description": "The id of an event regrouping merged into "
                            "another: Location is that event (ids are never reused)"},
                    **_errors(404)},
            }},
            "/api/communiques/{id}": {"get": {
                "summary": "One communiqué, with its archived versions",
                "operationId": "communique",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _param("version", "An archived version number", {"type": "integer"}),
                ],
                "responses": {"200": {"description": "The communiqué", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Communique"}}}},
                    **_errors(404)},
            }},
        },
        "components": {"schemas": {"Search": SEARCH_RESPONSE, "Hit": HIT, "Event": EVENT,
                                   "Communique": COMMUNIQUE, "Error": ERROR}},
    }
