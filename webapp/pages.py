"""HTML pages for people: the search page, the document page and the query help.

Every state of the search page lives in its URL, and the page works without
JavaScript: facets are checkboxes in the search form, histogram bars are links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from indexer.entities.countries import gazetteer
from indexer.entities.names import key_tokens
from indexer.errors import QueryError
from indexer.facets import FACETS
from indexer.folding import WORD, exact_term, fold, folded_term
from indexer.search import (
    ALL_OF_FACETS,
    EVENT_FILTER,
    FEW_RESULTS,
    MAX_PAGE,
    SORTS,
    SearchRequest,
    SearchResults,
    phrase_clause,
)
from webapp.labels import country_name, facet_value_label, language_name, source_name
from webapp.outputs import OutputKind, of_kind
from webapp.params import UrlArgs, search_args, search_request_from_args, whole_number
from webapp.services import search_backend

service = search_backend  # the views' one way to search
bp = Blueprint("pages", __name__)
PAGER_AROUND = 2  # page numbers shown either side of the current one
# Search pages kept per worker (about 55 KB each at 10k: fewer than the API's responses).
RENDERED_PAGES = 64

@bp.app_context_processor
def helpers() -> dict:
    return {"language_name": language_name, "source_name": source_name,
            "country_name": country_name, "facet_value_label": facet_value_label,
            "fold": fold}


def share_links(json_url: str, atom_url: str, rss_url: str, embed_url: str,
                widget: list[tuple[str, str]], page_url: str | None = None) -> dict:
    """The feed, JSON, embed and oEmbed links of the page being shown (`page_url`: its
    address with only the parameters we know; by default the path alone)."""
    page_url = page_url or request.base_url
    return {"json": json_url, "atom": atom_url, "rss": rss_url, "embed": embed_url,
            "widget": widget, "oembed": url_for("embed.oembed", url=page_url, format="json",
                                                _external=True)}


def search_share_links() -> dict:
    """Subscribe, embed and JSON links of exactly the search on the page."""
    args = {k: v for k, v in search_args(request.args).items() if k not in ("page", "cursor")}
    feed_args = {k: v for k, v in args.items() if k not in ("sort", "facet_size")}
    # embed.js reads every search parameter (exact, collapse, year, event...) from these.
    widget = [(name.replace("_", "-"), ";".join(values)) for name, values in args.items()
              if name not in ("size", "facet_size") and any(values)]
    return share_links(
        url_for("api.search", **args, _external=True),
        url_for("feeds.search_feed", format="atom", **feed_args, _external=True),
        url_for("feeds.search_feed", format="rss", **feed_args, _external=True),
        url_for("embed.results", **{k: v for k, v in args.items() if k != "facet_size"},
                _external=True),
        widget, url_for("pages.search", **args, _external=True))


@bp.app_template_global()
def embed_snippets(embed_url: str, widget: list[tuple[str, str]]) -> tuple[str, str]:
    """The iframe and embed.js snippets, as the HTML source a newsroom pastes into its
    page. Every value is escaped for its attribute here and the whole escaped again where
    the page shows it, so a search's quotes or tags never break out of an attribute in
    the host's page (a crafted search link must not become markup there)."""
    iframe = (f'<iframe src="{escape(embed_url)}" width="600" height="480"'
              ' title="Communiqués" loading="lazy" style="border:0;max-width:100%"></iframe>')
    attributes = "".join(f' data-communiques-{escape(name)}="{escape(value)}"'
                         for name, value in widget)
    script = url_for("embed.script", _external=True)
    return iframe, f'<div{attributes}></div>\n<script src="{escape(script)}" async></script>'


@bp.app_template_global()
def pair_share_links(codes: tuple[str, str], names: tuple[str, str]) -> dict:
    """Subscribe, embed and JSON links of a country pair's communiqués."""
    first, second = codes
    embed_args: UrlArgs = {"country": list(names), "country_op": "and", "sort": "newest"}
    return share_links(
        url_for("api.search", **embed_args, _external=True),
        url_for("feeds.pair_feed", first=first, second=second, format="atom", _external=True),
        url_for("feeds.pair_feed", first=first, second=second, format="rss", _external=True),
        url_for("embed.results", **embed_args, _external=True),
        [("country", ";".join(names)), ("country-op", "and")])


@bp.app_template_global()
def official_share_links(official_id: str, name: str) -> dict:
    """Subscribe, embed and JSON links of the communiqués naming one official."""
    embed_args = {"official": name, "sort": "newest"}
    return share_links(
        url_for("api.search", **embed_args, _external=True),
        url_for("feeds.official_feed", official_id=official_id, format="atom", _external=True),
        url_for("feeds.official_feed", official_id=official_id, format="rss", _external=True),
        url_for("embed.results", **embed_args, _external=True),
        [("official", name)])


@bp.app_template_filter("http_url")
def http_url(url: str | None) -> str | None:
    """The URL if it may be a link (http or https), else None: a stored `javascript:`
    or `data:` URL is shown as text, never as an href."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # an unparsable URL ("http://[::1") is no link either
        return None
    return url if scheme in ("http", "https") else None


def search_url(**changes: object) -> str:
    """The current search's URL with some parameters replaced (None removes one)."""
    args = search_args(request.args)
    args.pop("cursor", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for("pages.search", **args)


def url_without(name: str, value: str | None = None) -> str:
    """The current search with one selected facet value removed (or, with no value,
    the parameter itself: q, from and to, exact, sort, an operator); back to page 1."""
    args = search_args(request.args)
    args.pop("cursor", None)
    args.pop("page", None)
    if value is None:
        for key in ("from", "to") if name == "dates" else (name,):
            args.pop(key, None)
    else:
        args[name] = [v for v in args.get(name, []) if v != value]
    return url_for("pages.search", **args)


def page_url(page: int) -> str:
    return search_url(page=page)


def page_window(current: int, count: int, around: int = PAGER_AROUND) -> list[int | None]:
    """Page numbers to show: the first, the last, and a window around the current
    one; None where pages are left out (drawn as an ellipsis)."""
    last = min(count, MAX_PAGE)
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    window: list[int | None] = []
    for number in shown:
        previous = window[-1] if window else None
        if previous is not None and number - previous > 1:
            window.append(None if number - previous > 2 else number - 1)
        window.append(number)
    return window


@dataclass(frozen=True)
class Chip:
    """One active constraint of the search, and the search without it."""

    kind: str  # "q", a facet name, "dates", "exact", "sort" or "<facet>_op"
    label: str  # what the constraint is called ("Language")
    value: str  # its value as read ("English")
    remove_url: str


def _day(value: date | None) -> str:
    return value.strftime("%-d %b %Y") if value else "…"


def chips_of(req: SearchRequest) -> list[Chip]:
    """Every active constraint as a removable chip: the words, each facet value, the
    dates, exact spelling, an AND between values, a sort other than relevance."""
    labels = {facet.name: facet.label for facet in FACETS}
    labels[EVENT_FILTER] = "Event"  # one event's readouts (issue 11), not a facet
    chips = []
    if req.q.strip():
        chips.append(Chip("q", "Words", req.q, url_without("q")))
    for name, values in req.filters.items():
        for value in values:
            chips.append(Chip(name, labels.get(name, name), facet_value_label(name, value),
                              url_without(name, value)))
    for name in sorted(req.all_of):
        if len(req.filters.get(name, ())) > 1:
            chips.append(Chip(f"{name}_op", labels.get(name, name), "all of them",
                              url_without(f"{name}_op")))
    if req.date_from or req.date_to:
        chips.append(Chip("dates", "Dates", f"{_day(req.date_from)} – {_day(req.date_to)}",
                          url_without("dates")))
    if req.exact:
        chips.append(Chip("exact", "Spelling", "exact", url_without("exact")))
    if req.sort != "relevance":
        chips.append(Chip("sort", "Sorted", f"{req.sort} first", url_without("sort")))
    return chips


def without_filter_totals(req: SearchRequest, chips: list[Chip]) -> list[tuple[Chip, int]]:
    """For a search that found nothing: each filter, and what the search finds without
    it (only those that would find something), most first."""
    hints = []
    for chip in chips:
        if chip.kind in ("q", "sort") or chip.kind.endswith("_op"):
            continue
        if chip.kind == "dates":
            other = replace(req, date_from=None, date_to=None)
        elif chip.kind == "exact":
            other = replace(req, exact=False)
        else:
            value = next(v for v in req.filters[chip.kind]
                         if facet_value_label(chip.kind, v) == chip.value)
            other = replace(req, filters={**req.filters, chip.kind: tuple(
                v for v in req.filters[chip.kind] if v != value)})
        total = service().search(replace(other, page=1, page_size=1, cursor=None,
                                          with_facets=False)).total
        if total:
            hints.append((chip, total))
    return sorted(hints, key=lambda hint: -hint[1])


def date_context(req: SearchRequest, results: SearchResults) -> SearchResults:
    """The results whose histogram the page draws: with a date range chosen, the same
    search over all dates, so the chart shows the range within the whole."""
    if not (req.date_from or req.date_to):
        return results
    return service().search(replace(req, date_from=None, date_to=None, page=1, page_size=1,
                                    cursor=None))


def document_args(rank: int) -> UrlArgs:
    """What a result's link carries to the document page: the search (for highlights,
    "back to results" and previous/next) and the result's place in it."""
    args = {k: v for k, v in search_args(request.args).items()
            if k not in ("cursor", "page", "facet_size")}
    if rank > 1 or args:
        args["hit"] = [str(rank)]
    return args


@bp.app_template_global()
def country_link(name: str) -> str | None:
    """The page of a country, from its name as the stored entities write it."""
    code = country_code(name)
    return url_for("pages.country_page", country=code) if code else None


@bp.app_template_global()
def official_link(name: str) -> str | None:
    """The page of an official, from any spelling the registry knows."""
    from webapp.entities import official_url

    return official_url(name)


@bp.app_template_global()
def pair_link(first: str, second: str) -> str | None:
    """The page of two countries (names or codes), or None if one is unknown."""
    codes = country_code(first), country_code(second)
    if None in codes or codes[0] == codes[1]:
        return None
    return url_for("entities.country_pair", first=codes[0], second=codes[1])


@bp.get("/lookup/<any(official, country):kind>/<path:name>")
def lookup(kind: str, name: str) -> ResponseReturnValue:
    """The page of an official or a country named in any spelling (for links drawn by
    the page's script, which has names only); 404 when nobody by that name is known."""
    link = official_link(name[:200]) if kind == "official" else country_link(name[:200])
    if link is None:
        abort(404, description=f"no {kind} called '{name[:200]}'")
    return redirect(link)


def country_code(text: str) -> str | None:
    """An ISO code from a code ("RS", "rs", "SRB") or a name in any script the gazetteer
    knows ("Serbia", "Србија", "Srbija", "Russian Federation")."""
    places = gazetteer()
    if len(text) == 2 and text.upper() in places.names:
        return text.upper()
    if len(text) == 3 and text.isascii() and text.isalpha():
        # ISO 3166 alpha-3 ("SRB", "rus"), by CLDR's aliases of them to alpha-2.
        alias = territory_aliases().get(text.upper(), [])
        if len(alias) == 1 and alias[0] in places.names:
            return alias[0]
    return places.by_key.get(key_tokens(text))


@lru_cache(maxsize=1)
def territory_aliases() -> dict[str, list[str]]:
    """CLDR's territory aliases (alpha-3 and numeric codes, old codes) to alpha-2."""
    from babel.core import get_global

    return dict(get_global("territory_aliases"))


@bp.get("/")
def search() -> ResponseReturnValue:
    from webapp.api import keep_search, kept_search
    from webapp.diffs import withdrawn_dates

    # A page rendered before for this URL and generation is sent again while its hits'
    # withdrawals and its suggestions are the same (rendering it was 24 ms at 10k).
    tag, key, kept = kept_search("rendered_pages", "text/html", RENDERED_PAGES)
    if kept is not None:
        return kept
    error = None
    results = None
    try:
        req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"])
        results = service().search(req)
        status = 200
    except QueryError as exc:
        error = exc.message
        req = SearchRequest(q=request.args.get("q", "")[:1000])
        status = 400
    literal = '"' + req.q.replace('"', " ").strip() + '"' if req.q.strip() else ""
    histogram_args = {k: v for k, v in search_args(request.args).items()
                      if k not in ("from", "to", "page", "cursor")}
    chips = chips_of(req) if results is not None else []
    suggested: list[tuple[str, str]] = []
    hints: list[tuple[Chip, int]] = []
    without_filters = 0
    asked: list[str] | None = None
    withdrawn = withdrawn_dates([hit.id for hit in results.hits]) if results else {}
    if results is not None and results.total <= FEW_RESULTS:
        asked = service().did_you_mean(req)
        suggested = [(text, search_url(q=text, page=None)) for text in asked]
        if results.total == 0:
            hints = without_filter_totals(req, chips)
            if not hints:  # no one filter is to blame: what the words find on their own
                without_filters = service().search(SearchRequest(
                    q=req.q, exact=req.exact, page_size=1, with_facets=False)).total
    page = render_template(
        "search.html",
        req=req,
        results=results,
        error=error,
        sorts=SORTS,
        page_url=page_url,
        search_url=search_url,
        url_without=url_without,
        literal_query=literal,
        histogram_args=histogram_args,
        chart=date_context(req, results) if results is not None else None,
        export_url=export_url,
        exports=of_kind(OutputKind.EXPORT),
        all_of_facets=ALL_OF_FACETS,
        chips=chips,
        filter_count=sum(len(v) for v in req.filters.values())
        + bool(req.date_from or req.date_to) + req.exact,
        did_you_mean=suggested,
        drop_hints=hints,
        without_filters=without_filters,
        pages=page_window(req.page, results.page_count) if results is not None else [],
        document_args=document_args,
        share_links=search_share_links() if status == 200 else None,
    )
    if results is not None and status == 200:
        keep_search("rendered_pages", tag, key, page.encode(), results, withdrawn, asked)
    return page, status


def export_url(fmt: str) -> str:
    """The export of the current search (same filters, no paging), relative."""
    args = {k: v for k, v in search_args(request.args).items()
            if k not in ("page", "cursor", "size", "facet_size")}
    return url_for("api.export", format=fmt, **args)


# The highest rank "Load more" may ask cards from (the cursor goes deeper than pages do).
MAX_RESULT_RANK = 1_000_000


@bp.get("/results")
def result_cards() -> ResponseReturnValue:
    """The result cards after a cursor, drawn by the template that draws the page's own
    (`_hit.html`), so cards added by "Load more" show all a first-page card shows (the
    event line, "Also in", withdrawals). `rank` is the first card's place in the
    results; the list carries the next cursor and the total for the page's script."""
    req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"])
    rank = whole_number(request.args, "rank", 1, 1, MAX_RESULT_RANK)
    results = service().search(replace(req, with_facets=False))
    return render_template("_results.html", results=results, first_rank=rank,
                           document_args=document_args)


@bp.get("/help")
def help_page() -> ResponseReturnValue:
    return render_template("help.html")


_QUERY_WORD = re.compile(r"(?P<neg>-|\bNOT\s+)?(?:(?P<field>\w+):)?(?P<word>\w+)(?P<star>\*)?")
_NOT_WORDS = frozenset({"AND", "OR", "NOT", "TO"})


def highlight_terms(q: str, exact: bool) -> tuple[set[str], tuple[str, ...]]:
    """The index terms of a query's wanted words (not negated, not in another field
    than the text) and its prefixes (`terror*`), for marking them in a document."""
    term_of = exact_term if exact else folded_term
    terms: set[str] = set()
    prefixes: list[str] = []
    for found in _QUERY_WORD.finditer(q):
        field_name, word = (found.group("field") or "").lower(), found.group("word")
        if found.group("neg") or field_name not in ("", "title", "body") \
                or word in _NOT_WORDS or q[found.end():found.end() + 1] == ":":
            continue
        if found.group("star"):
            prefixes.append(word.lower() if exact else fold(word))
        else:
            terms.add(term_of(word))
    return terms, tuple(prefixes)


def exact_clause_terms(q: str) -> set[str]:
    """The words of a query's `exact:` clauses (`exact:Дачић`), matched as written
    whatever the exact-spelling box says."""
    return {exact_term(found.group("word")) for found in _QUERY_WORD.finditer(q)
            if (found.group("field") or "").lower() == "exact" and not found.group("neg")
            and not found.group("star")}


def highlighted(text: str, terms: set[str], prefixes: tuple[str, ...], exact: bool,
                exact_terms: set[str] | frozenset[str] = frozenset()) -> Markup:
    """`text` escaped, with <mark> around each word the search matched (`exact_terms`:
    words of `exact:` clauses, matched as written)."""
    term_of = exact_term if exact else folded_term
    parts, at = [], 0
    for word in WORD.finditer(text):
        written = word.group()
        if term_of(written) in terms or (prefixes and (written.lower() if exact else fold(
                written)).startswith(prefixes)) or (exact_terms and exact_term(written)
                                                    in exact_terms):
            parts += [escape(text[at:word.start()]), Markup('<mark class="match">'),
                      escape(written), Markup("</mark>")]
            at = word.end()
    parts.append(escape(text[at:]))
    return Markup("").join(parts)


def _search_context(version: int | None) -> dict:
    """The search a document was opened from (its URL parameters): for highlights,
    "back to results" and the previous and next results. Empty when there was none
    or it cannot be read (the document is shown all the same)."""
    args = search_args(request.args)
    if not args:
        return {}
    try:
        req = search_request_from_args(request.args, current_app.config["PAGE_SIZE"],
                                       with_facets=False)
    except QueryError:  # a malformed parameter too: the document is shown all the same
        return {}
    try:
        # A result's place: "Load more" and pages of 100 go past rank 1000.
        rank = whole_number(request.args, "hit", 0, 1, MAX_RESULT_RANK) \
            if "hit" in request.args else 0
    except QueryError:  # a malformed place: the words are highlighted, the way back kept
        rank = 0

    def page_of_rank(place: int) -> int:
        return (place - 1) // req.page_size + 1

    back = {k: v for k, v in args.items() if k not in ("page", "cursor")}
    if rank and 1 < page_of_rank(rank) <= MAX_PAGE:
        back["page"] = [str(page_of_rank(rank))]
    anchor = f"#hit-{rank}" if rank and page_of_rank(rank) <= MAX_PAGE else ""
    context: dict = {"back_url": url_for("pages.search", **back) + anchor,
                     "terms": highlight_terms(req.q, req.exact), "exact": req.exact,
                     "exact_terms": exact_clause_terms(req.q)}
    if rank and version is None:
        for name, other in (("previous", rank - 1), ("next", rank + 1)):
            if other < 1 or page_of_rank(other) > MAX_PAGE:
                continue
            # The results page holding it (the one just seen, most often: cached).
            found = service().search(replace(req, page=page_of_rank(other), cursor=None))
            at = (other - 1) % req.page_size
            if at < len(found.hits):
                hit = found.hits[at]
                link = {k: v for k, v in args.items() if k not in ("cursor", "page")}
                link["hit"] = [str(other)]
                context[name] = (hit.title, url_for(
                    "pages.communique", communique_id=hit.id, **link))
        context["rank"] = rank
        context["total"] = service().search(replace(req, page=1, page_size=1)).total
    return context


@bp.get("/communiques/<communique_id>")
def communique(communique_id: str) -> ResponseReturnValue:
    from webapp.entities import official_url

    version = whole_number(request.args, "version", 0, 1, 1_000_000) or None
    document = service().document(communique_id, version)
    context = _search_context(version)
    terms, prefixes = context.get("terms", (set(), ()))
    exact, exact_terms = context.get("exact", False), context.get("exact_terms", set())
    record = document.record
    marked = [highlighted(text, terms, prefixes, exact, exact_terms)
              if terms or prefixes or exact_terms else escape(text)
              for text in (record.title, *record.paragraphs)]
    marks = sum(str(text).count("<mark") for text in marked)
    # The first match is the target of "jump to the first" (in the body if it has one).
    for i in [*range(1, len(marked)), 0]:
        if "<mark" in marked[i]:
            marked[i] = Markup(str(marked[i]).replace('<mark class="match">',
                                                      '<mark class="match" id="first-match">', 1))
            break
    # The record's officials and countries are the stored ones every surface shows.
    return render_template("document.html", doc=document, version=version,
                           entities=record, official_url=official_url, title=marked[0],
                           paragraphs=marked[1:], marks=marks, context=context)


@bp.get("/countries/<country>")
def country_page(country: str) -> ResponseReturnValue:
    """A country: the communiqués mentioning it, over time, the countries most often
    mentioned with it (each a link to the pair's page), and its officials."""
    code = country_code(country)
    if code is None:
        abort(404, description=f"no country called '{country}'")
    name = gazetteer().names[code]
    q = phrase_clause("country", name)
    results = service().search(SearchRequest(q=q, sort="newest", page_size=10, facet_size=30))
    with_it = [(v.value, v.count, country_code(v.value))
               for f in results.facets if f.name == "country" for v in f.values
               if v.value != name]
    ministries = next((f.values for f in results.facets if f.name == "source"), [])
    return render_template("country.html", code=code, name=name, results=results,
                           query=q, with_it=[w for w in with_it if w[2]][:20],
                           ministries=ministries, officials=_officials_of(code))


def _officials_of(code: str) -> list:
    """The country's officials (curated or found) named at least once, with their
    counts, most named first: nobody the communiqués never name."""
    from indexer.entities import extractor_for

    people = extractor_for(str(current_app.config["DATA_DIR"])).people.by_id.values()
    counts = service().value_counts("official")
    named = [(o, counts[o.name]) for o in people if o.country == code and counts.get(o.name)]
    return sorted(named, key=lambda pair: (-pair[1], pair[0].name))
