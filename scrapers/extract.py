"""The generic extractor: title, date, body text and language of any article page.

It reads a page the way a person does, in four steps, with rules that hold for any
site rather than selectors for one:

1. **What is not the article.** Navigation, headers and footers, sidebars,
   related / latest / most-read lists, comments, share and print widgets, cookie and
   newsletter boxes, captions and galleries are recognised by their elements
   (`nav`, `aside`, `footer`, `figure`...), ARIA roles, and the words their class
   and id names are made of (`c-share__link`, `leftnav`, `maec-relacionadas`).
   Small widgets (a caption, a byline, a tag list) are recognised only while small,
   so a body wrapper whose class happens to say "caption" is not lost.
2. **The headline**: the heading that is what the page's `<title>`, `og:title` or
   JSON-LD headline says (a site name or section label around it stripped); without
   one, the heading closest before the main text.
3. **The body**: the element whose paragraphs carry the most text (scored as
   Readability does: paragraphs credit their parent and, less, the ancestors above),
   read from the headline to its end; between the headline and that element, only
   paragraph-like text (a lead or standfirst) is taken, not bylines, dates or
   captions. Lines that are widgets' labels ("Print", "Share", "Back to top"),
   captions under a photo, a headline repeated at the top and link lists are dropped;
   a closing place-and-date line or "###" is text and stays.
4. **The date**, the article's own and never a related item's: what the page
   declares (JSON-LD `datePublished`, `article:published_time`, Dublin Core,
   `itemprop="datePublished"`), else the date written nearest the headline (its
   date line, a dateline opening the text, a closing place-and-date line), else the
   one in the URL, else one in the headline itself. Dates in lists, sidebars,
   footers and comments are never looked at; "updated" dates are not publication
   dates. A page that shows no date gets none (`published is None`).

When this finds no body (a page unlike any article), trafilatura reads the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from lxml import etree
from lxml import html as lxml_html

from scrapers.dates import (
    TextDate,
    date_from_url,
    find_dates,
    numeric_order,
    parse_structured_date,
)
from scrapers.htmltext import without_controls
from scrapers.language import detect_language, dominant_script
from scrapers.pagemeta import PageMeta, read_page_meta

MIN_ARTICLE_WORDS = 30


@dataclass(frozen=True)
class _Calendar:
    """How a page writes dates: its language, and whether its numeric dates put the day
    first when the language does not say (learnt from the page's unambiguous ones)."""
    language: str | None = None
    order: bool | None = None

    def find(self, text: str) -> list[TextDate]:
        return find_dates(text, self.language, order=self.order)


_NO_CALENDAR = _Calendar()
_UTC = re.compile(r"T\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]00:?00)$")


@dataclass(frozen=True)
class ExtractedArticle:
    title: str | None
    published: date | None
    paragraphs: list[str] = field(default_factory=list)
    language: str | None = None
    # Where the date came from: "structured" (JSON-LD, <meta>, itemprop), "page" (written
    # near the headline or closing the text), "url", "headline"; None when the page shows none.
    date_source: str | None = None

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def date_missing(self) -> bool:
        """True when the page shows no publication date (none is ever made up)."""
        return self.published is None

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "date_source": self.date_source,
            "language": self.language,
            "body": self.body,
        }


# --- What is not the article ---------------------------------------------------------------

# Removed before reading: never visible, or a control rather than text.
_INVISIBLE = frozenset(
    "script style noscript template svg math iframe object embed canvas video audio map head"
    " input select option optgroup textarea button label datalist dialog".split())
_BLOCK_TAGS = frozenset(
    "address article aside blockquote center dd details dialog div dl dt fieldset figcaption"
    " figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section"
    " summary table tbody thead tfoot tr td th caption ul menu".split())
_PARAGRAPH_TAGS = frozenset("p li dd dt pre h1 h2 h3 h4 h5 h6 blockquote".split())
_HEADINGS = {f"h{n}": n for n in range(1, 7)}

# Elements and roles that are never the article.
_OUT_TAGS = frozenset({"nav", "aside", "footer", "menu", "figcaption"})
_MEDIA_TAGS = ("img", "picture", "video", "audio", "iframe", "object", "embed", "svg", "canvas")
_OUT_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search",
                        "dialog", "alertdialog", "menu", "menubar", "toolbar", "tablist"})
# Words in class and id names. OUT: never the article, whatever its size.
_OUT_WORDS = frozenset("""
    nav navbar navigation menu menus submenu megamenu breadcrumb breadcrumbs crumbs crumb pathway
    ariane migas sidebar aside rail footer pied comment comments commentlist discussion disqus
    replies cookie cookies consent gdpr onetrust newsletter subscribe subscription signup
    promo promotion advert adverts advertisement advertising ads ad adslot adsbygoogle dfp
    sponsor sponsored taboola outbrain related relacionadas relacionados
    povezane povezano similar recommended recommendations recommend popular trending
    mostread latest lastnews latestnews teaser teasers recirc recirculation gotop gototop
    modal popup overlay lightbox skiplinks skiplink login account social share sharing
    sharebar addthis sharethis compartir partager teilen pager pagination prevnext pagenav
    paging langs langswitch langswitcher translations topbar masthead sitename logo
    branding tagline rss paywall meter ticker newsticker marquee backtotop totop pagetop
    feedback helpful survey poll rating cta donate donation donations membership appeal
""".split())
# Phrases made of several class words ("other-news", "read-also", "most-read").
_OUT_PHRASES = (
    "other news", "more news", "more from", "read also", "see also", "also read", "most read",
    "most viewed", "most popular", "you may also", "more stories", "more on", "voir aussi",
    "lire aussi", "skip links", "skip to", "language switch", "language selector", "lang switch",
    "lang switcher", "language picker", "country selector", "site footer", "page footer",
    "top links", "quick links", "font size", "related news", "other articles")
# Stems found inside compound names ("leftnav", "commentBox", "shareTools", "footerlinks").
_OUT_STEMS = ("comment", "sidebar", "breadcrumb", "footer", "navbar", "navigation", "newsletter",
              "cookie", "related", "popular", "mostread", "lastnews", "latestnews", "sharebar",
              "sharetools", "sharing", "social", "advert", "sponsor", "taboola", "outbrain",
              "disqus", "pagination", "backtotop", "langswitch", "languageswitch",
              "skiplink", "paywall")
# SMALL: widgets that are not the article while they are small (captions, bylines,
# tag lists, tools); a large element named so is a wrapper and is read.
_SMALL_WORDS = frozenset("""
    caption captions legend legende credit credits photo foto gallery carousel slider
    figure image img media print tools toolbar outils herramientas tags tag tagcloud
    keywords labels label topics categories contacts contact download downloads attachment
    attachments files documents toc bio author authors byline meta metadata info-publi kicker
    overline eyebrow surtitre rubric category section-label date dates time timestamp
    published pubdate posted views counter hits lang language languages font fontsize
    support pdf email mail icons actions buttonheading createdate modifydate fecha datum tarih
""".split())
SMALL_WIDGET_WORDS = 80  # above this many words, an element named like a widget is read
# Words that say an element is where the date line and byline live (read for the date,
# not for the body).
_META_WORDS = frozenset("""
    meta metadata byline author authors date dates time timestamp published pubdate posted
    dateline fecha datum tarih
    info-publi createdate kicker overline eyebrow surtitre rubric category
""".split())
# Page headers: not the article unless the headline is inside.
_HEADER_WORDS = frozenset({"header", "head", "masthead", "topbar", "banner", "entete"})
# Class words of state, not of role: "has-sidebar", "with-comments", "is-active".
_MODIFIER_PREFIXES = ("has", "with", "no", "is", "show", "hide", "enable", "disable")
_TITLE_WORDS = ("title", "headline", "heading", "titulo", "titre", "titel", "naslov",
                "zagolovok", "titolo")

OUT, META, HEADER, SMALL = "out", "meta", "header", "small"


# Drupal's field label display ("field--label-hidden"): says nothing of the field itself.
_LABEL_DISPLAY = re.compile(r"label-(hidden|above|inline|visually[-_]hidden)", re.I)


def _class_words(element: lxml_html.HtmlElement) -> list[str]:
    """The words an element's class and id are made of, lower-cased."""
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    names = _LABEL_DISPLAY.sub(" ", names)
    words: list[str] = []
    for name in names.split():
        parts = re.split(r"[^0-9A-Za-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name))
        parts = [p.lower() for p in parts if p]
        if parts and parts[0] in _MODIFIER_PREFIXES and len(parts) > 1:
            continue  # "has-sidebar" says what the page has, not what this element is
        words.extend(parts)
    return words


def _weight(text: str) -> float:
    """How much text there is, in words; CJK characters count half a word each."""
    cjk = sum(1 for c in text if "\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af")
    return len(text.split()) + cjk / 2


def _classify(element: lxml_html.HtmlElement) -> str | None:
    """OUT, SMALL (a widget by its name, and small), META (date line, byline), HEADER or None
    for one element, by its tag, role and class words."""
    tag = element.tag
    if tag in ("html", "body", "main", "article"):
        return None
    role = (element.get("role") or "").strip().lower()
    if role == "main":
        return None
    if tag in _OUT_TAGS or role in _OUT_ROLES:
        return OUT
    if tag == "figure" and (any(element.find(f".//{m}") is not None for m in _MEDIA_TAGS)
                            or _weight(element.text_content()) < 12):
        return OUT  # a photo and its caption; a figure holding a table or a quote is text
    if tag == "header":
        return HEADER
    words = _class_words(element)
    if tag in _HEADINGS:
        # a heading named "page-header" or "title" is a heading: only a list, menu or
        # widget around it takes it out of the article
        return OUT if words and _out_words(words) else None
    if not words:
        return None
    if _out_words(words):
        return OUT
    if any(w in _HEADER_WORDS for w in words):
        return HEADER
    if tag not in _HEADINGS and any(w in _SMALL_WORDS for w in words) and _small(element):
        return META if any(w in _META_WORDS for w in words) else SMALL
    return None


def _out_words(words: list[str]) -> bool:
    """Whether class words name something that is never the article (a menu, a related
    list, a share bar...)."""
    joined = " ".join(words)
    squashed = "".join(words)
    return (any(w in _OUT_WORDS for w in words)
            or any(f" {p} " in f" {joined} " for p in _OUT_PHRASES)
            or any(stem in squashed for stem in _OUT_STEMS))


def _small(element: lxml_html.HtmlElement) -> bool:
    """Small enough to be a widget: few words, and at most one paragraph of text (a caption
    or an author's bio has one; an article, however short, has more)."""
    if _weight(element.text_content()) >= SMALL_WIDGET_WORDS:
        return False
    paragraphs = 0
    for node in element.iter("p", "li", "dd", "td", "blockquote", "div"):
        own = _collapse((node.text or "") + "".join(c.tail or "" for c in node))
        if node.tag != "div":
            own = _collapse(node.text_content())
        if _weight(own) >= 12:
            paragraphs += 1
            if paragraphs >= 2:
                return False
    return True


def _is_hidden(element: lxml_html.HtmlElement) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    classes = set((element.get("class") or "").lower().split())
    return bool(classes & {"hidden", "d-none", "sr-only", "visually-hidden", "screen-reader-text",
                           "element-invisible", "is-hidden", "u-hidden", "hide"})


def _parse(html: str) -> lxml_html.HtmlElement | None:
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses a str with an encoding
    try:
        return lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _clean(root: lxml_html.HtmlElement) -> None:
    """Remove what a reader never sees: scripts, hidden elements, form controls, comments."""
    doomed = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            doomed.append(element)
        elif element.tag in _INVISIBLE or _is_hidden(element):
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the tail text


# --- The page as a sequence of text blocks -----------------------------------------------

@dataclass
class Block:
    """A run of text between two block boundaries, in document order."""
    text: str                 # what a reader sees, widgets' inline text left out
    full: str                 # including inline meta (a date inside the paragraph)
    element: lxml_html.HtmlElement   # the block element that holds it
    mark: str | None          # OUT, META or None: the nearest marked ancestor's mark
    link_chars: int
    heading: int              # 1-6 for h1-h6, 0 otherwise
    after_image: bool         # an image stands right before it, with no text between
    styled: bool              # all of it in italics, small print or a centred line
    times: list[str]          # <time datetime> values inside it

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0

    @property
    def words(self) -> float:
        return _weight(self.text)


_BR = "\x00"
_STYLE_TAGS = frozenset({"i", "em", "small", "font", "cite", "sub", "sup"})


class _Reader:
    """Turns a cleaned tree into Blocks and remembers which blocks each element spans."""

    def __init__(self, marks: dict[lxml_html.HtmlElement, str]) -> None:
        self.marks = marks
        self.blocks: list[Block] = []
        self.spans: dict[lxml_html.HtmlElement, tuple[int, int]] = {}
        self.pieces: list[tuple[str, bool, str | None, bool]] = []  # text, link, mark, styled
        self.times: list[str] = []
        self.owner: list[tuple[lxml_html.HtmlElement, str | None]] = []
        self.image_pending = False

    def read(self, root: lxml_html.HtmlElement) -> None:
        body = root.find("body")
        start = body if body is not None else root
        self.owner.append((start, self.marks.get(start)))
        self._walk(start, self.marks.get(start), False, False)
        self._flush()

    def _walk(self, element: lxml_html.HtmlElement, mark: str | None, link: bool,
              styled: bool) -> None:
        tag = element.tag
        own = self.marks.get(element)
        if own == OUT or mark == OUT:
            mark = OUT
        elif own == META or mark == META:
            mark = META
        first = len(self.blocks)
        is_block = tag in _BLOCK_TAGS
        if is_block:
            self._flush()
            self.owner.append((element, mark))
        if tag == "br":
            self.pieces.append((_BR, link, mark, styled))
        elif tag == "img":
            if not any(text.strip(_BR + " ") for text, *_ in self.pieces):
                self.image_pending = True
        elif tag == "time" and element.get("datetime"):
            self.times.append(element.get("datetime"))
        link = link or tag == "a"
        styled = styled or tag in _STYLE_TAGS
        if element.text:
            self.pieces.append((element.text, link, mark, styled))
        for child in element:
            if not isinstance(child.tag, str):
                continue
            self._walk(child, mark, link, styled)
            if child.tail:
                self.pieces.append((child.tail, link, mark, styled))
        if is_block:
            self._flush()
            self.owner.pop()
        self.spans[element] = (first, len(self.blocks))

    def _flush(self) -> None:
        pieces, self.pieces = self.pieces, []
        times, self.times = self.times, []
        if not pieces:
            return
        element, mark = self.owner[-1]
        centred = (element.get("align") or "").lower() == "center" or "text-align:center" in (
            element.get("style") or "").replace(" ", "").lower() or element.tag == "center"
        # Paragraphs split at <br><br>; a single <br> is a line break inside one.
        runs: list[list[tuple[str, bool, str | None, bool]]] = [[]]
        breaks = 0
        for piece in pieces:
            if piece[0] == _BR:
                breaks += 1
                continue
            if breaks >= 2 and piece[0].strip() and any(p[0].strip() for p in runs[-1]):
                runs.append([])
            if breaks:
                runs[-1].append((" ", False, None, False))
            breaks = 0 if piece[0].strip() else breaks
            runs[-1].append(piece)
        for run in runs:
            visible = run if mark == OUT else [p for p in run if p[2] != OUT]
            full = _collapse("".join(p[0] for p in visible))
            if not full:
                continue
            text_pieces = [p for p in visible if p[2] is None or p[2] == mark]
            text = _collapse("".join(p[0] for p in text_pieces))
            marks = {p[2] for p in visible if p[0].strip()}
            block_mark = mark if mark else (marks.pop() if len(marks) == 1 else None)
            links = sum(len(_collapse(p[0])) for p in text_pieces if p[1])
            styled = centred or all(p[3] for p in text_pieces if p[0].strip())
            self.blocks.append(Block(
                text=text, full=full, element=element, mark=block_mark, link_chars=links,
                heading=_HEADINGS.get(element.tag, 0), after_image=self.image_pending,
                styled=styled, times=times))
            self.image_pending = False
            times = []


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _fold(text: str) -> str:
    """Text for comparing titles: case, accents, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


# --- Marks ---------------------------------------------------------------------------------

def _marks(root: lxml_html.HtmlElement) -> dict[lxml_html.HtmlElement, str]:
    marks: dict[lxml_html.HtmlElement, str] = {}
    body = root.find("body")
    stack = [(body if body is not None else root, False)]
    while stack:
        element, outside = stack.pop()
        mark = _classify(element)
        if mark:
            marks[element] = mark
        elif not outside and (_teaser_list(element) or _photo_box(element)
                              or _inline_caption(element)):
            marks[element] = OUT
        # lists inside a region already out of the article need no second look
        inside_out = outside or marks.get(element) == OUT
        stack.extend((child, inside_out) for child in reversed(element)
                     if isinstance(child.tag, str))
    return marks


def _photo_box(element: lxml_html.HtmlElement) -> bool:
    """A photo with its caption, whatever it is named: an element holding one image and a
    line or two of text in elements of their own beside it, and nothing else."""
    if element.tag in ("body", "html", "main", "article", "a") or (element.text or "").strip():
        return False
    children = [c for c in element if isinstance(c.tag, str)]
    media = [c for c in children if c.tag in ("img", "picture") or (
        c.tag == "a" and c.find(".//img") is not None and not _collapse(c.text_content()))]
    texts = [c for c in children if c not in media]
    if len(media) != 1 or not texts or any(c.tag in _HEADINGS for c in texts):
        return False
    if any(c.find(".//img") is not None or c.tag in ("table", "ul", "ol") for c in texts):
        return False
    return 0 < _weight(" ".join(_collapse(c.text_content()) for c in texts)) <= 25


def _inline_caption(element: lxml_html.HtmlElement) -> bool:
    """A photo and its caption set inside a paragraph, whatever it is named (old Joomla's
    `<p><span><img alt="Ivica Dacic">Ivica Dacic</span>First Deputy Prime Minister...`): a
    span holding an image and a few words, in a paragraph with a sentence besides."""
    if element.tag != "span" or element.find(".//img") is None:
        return False
    parent = element.getparent()
    if parent is None or parent.tag != "p":
        return False
    words = _weight(_collapse(element.text_content()))
    if not 0 < words <= 6:
        return False
    rest = _weight(_collapse(parent.text_content())) - words
    return rest >= 12


def _signature(element: lxml_html.HtmlElement) -> tuple[str, str]:
    classes = (element.get("class") or "").split()
    return element.tag, classes[0] if classes else ""


def _teaser(item: lxml_html.HtmlElement) -> tuple[bool, bool]:
    """Whether an element reads as a teaser of another article (a title link, maybe a date
    and a line of summary), and whether it carries a date."""
    text = _collapse(item.text_content())
    weight = _weight(text)
    if not text or weight > 60:
        return False, False
    links = [_collapse(a.text_content()) for a in item.iter("a") if a.get("href")]
    title = max(links, key=_weight, default="")
    if _weight(title) < 3 or sum(len(t) for t in links) < 0.25 * len(text):
        return False, False
    return True, bool(find_dates(text))


def _teaser_list(element: lxml_html.HtmlElement) -> bool:
    """A list of other articles: two or more items alike, each a title link with its date or
    a line of summary ("Latest news", "Related", teaser cards), whatever it is named."""
    children = [c for c in element if isinstance(c.tag, str)]
    if len(children) < 2:
        return False
    signatures: dict[tuple[str, str], list[lxml_html.HtmlElement]] = {}
    for child in children:
        signatures.setdefault(_signature(child), []).append(child)
    items = max(signatures.values(), key=len)
    if len(items) < 2:
        return False
    verdicts = []
    for item in items:
        verdict = _teaser(item)
        if not verdict[0]:
            return False
        verdicts.append(verdict)
    # dated items are other articles; undated title links are a list only when short
    dated = sum(has_date for _, has_date in verdicts)
    return dated >= 2 or all(
        sum(len(_collapse(a.text_content())) for a in item.iter("a"))
        >= 0.6 * len(_collapse(item.text_content())) for item in items)


def _final_marks(marks: dict[lxml_html.HtmlElement, str], headline: lxml_html.HtmlElement | None,
                 *, headers: bool = True) -> dict[lxml_html.HtmlElement, str]:
    """Page headers become OUT (with `headers`), except the one holding the headline;
    nothing that holds the headline is marked (it is a layout wrapper, whatever its name).
    Without `headers`, elements named "header" are read: the headline may be in one."""
    keep = set(headline.iterancestors()) if headline is not None else set()
    final = {}
    for element, mark in marks.items():
        if element in keep or mark == HEADER and not headers:
            continue
        final[element] = OUT if mark in (HEADER, SMALL) else mark
    if headline is not None:
        final.pop(headline, None)
        for element in headline.iterdescendants():
            if final.get(element) == OUT:
                final[element] = META  # a kicker or label inside the headline
    return final


def _in_tags(element: lxml_html.HtmlElement, tags: Iterable[str]) -> bool:
    return any(node.tag in tags for node in (element, *element.iterancestors()))


def _in_out_region(element: lxml_html.HtmlElement, marks: dict, *, headers: bool) -> bool:
    for node in (element, *element.iterancestors()):
        mark = marks.get(node)
        if mark == OUT or (headers and mark == HEADER):
            return True
    return False


# --- The headline ---------------------------------------------------------------------------

_TITLE_SEPARATORS = re.compile(
    r"\s+[|\-–—/»«·•~:]+\s+|\s*[|_]\s*|\s*::\s*|:\s+"
    r"|(?<=[\u3000-\u9fff\uff00-\uffef])\s*[-–—]\s*(?=[\u3000-\u9fff])")


def _title_runs(titles: Iterable[str]) -> dict[str, str]:
    """Every run of consecutive segments of the declared titles, folded -> as written:
    "Site - Section - Headline" gives the headline, the site, and each run between."""
    runs: dict[str, str] = {}
    for title in titles:
        segments = [s for s in _TITLE_SEPARATORS.split(title) if s and s.strip()]
        separators = _TITLE_SEPARATORS.findall(title)
        for i in range(len(segments)):
            for j in range(i + 1, len(segments) + 1):
                text = segments[i]
                for k in range(i + 1, j):
                    text += (separators[k - 1] if k - 1 < len(separators) else " ") + segments[k]
                key = _fold(text)
                if key and key not in runs:
                    runs[key] = text.strip()
    return runs


def _core_text(element: lxml_html.HtmlElement, marks: dict) -> str:
    """An element's text without its marked parts (a kicker or label inside an <h1>)."""
    parts: list[str] = []

    def walk(node: lxml_html.HtmlElement, skip: bool) -> None:
        skip = skip or (node is not element and (
            marks.get(node) in (OUT, META, SMALL) or _classify(node) in (OUT, META, SMALL)))
        if node.text and not skip:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child, skip)
            if child.tail and not skip:
                parts.append(child.tail)
    walk(element, False)
    return _collapse(" ".join(parts) if element.tag in _BLOCK_TAGS and len(element) and any(
        c.tag in _BLOCK_TAGS for c in element) else "".join(parts))


def _without_leading_child(element: lxml_html.HtmlElement) -> str:
    """A heading's text without the element it opens with (a kicker: "<h1><span>Ostseerat
    </span> Ostseeanrainer vereinbaren ...</h1>"), or "" when it opens with text."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children or (element.text or "").strip() or len(element) < 1:
        return ""
    first = children[0]
    rest = (first.tail or "") + "".join(
        lxml_html.tostring(c, method="text", encoding="unicode") for c in children[1:])
    return _collapse(rest)


def _links_home(element: lxml_html.HtmlElement, url: str | None) -> bool:
    """True when the element is a link to the site's front page (a site name)."""
    links = [a for a in element.iter("a")]
    if element.getparent() is not None and element.getparent().tag == "a":
        links.append(element.getparent())
    for link in links:
        href = (link.get("href") or "").strip()
        if href in ("/", "./", "index.html", "/index.html", "#") or re.fullmatch(
                r"(https?:)?//[^/]+/?(index\.\w+)?", href):
            return True
    return False


@dataclass
class _Headline:
    element: lxml_html.HtmlElement
    text: str


def _heading_rank(element: lxml_html.HtmlElement) -> int:
    if element.tag in _HEADINGS:
        return 8 - _HEADINGS[element.tag]
    words = _class_words(element)
    if any(t in w for w in words for t in _TITLE_WORDS):
        return 2
    return 1


def _declared_title_headlines(root: lxml_html.HtmlElement, marks: dict, meta: PageMeta,
                              url: str | None) -> list[tuple[tuple, bool, _Headline]]:
    """Visible elements whose text is the page's declared title or a run of its segments,
    best first, each with whether it is a whole declared title (not a part that could be
    the site's name or a section label)."""
    declared = [t for t in [meta.title, *meta.titles] if t]
    runs = _title_runs(declared)
    whole = {_fold(t) for t in declared}
    site_names = {_fold(s) for s in meta.site_names}
    if not runs:
        return []
    found: list[tuple[tuple, bool, _Headline]] = []
    body = root.find("body")
    longest = max(len(run) for run in runs.values())
    shortest = min(len(run) for run in runs.values())
    for order, element in enumerate((body if body is not None else root).iter()):
        if not isinstance(element.tag, str) or element.tag in ("a", "body", "html", "title"):
            continue
        raw = element.text_content()
        if len(raw) > 4 * longest + 400:
            continue  # far longer than any declared title, whatever its spacing
        full = _collapse(raw)
        if not full or len(full) > 2 * longest + 40 or len(full) < shortest // 2:
            continue
        for text in (full, _core_text(element, marks), _without_leading_child(element)):
            key = _fold(text)
            if key not in runs or key in site_names or len(key) < 4:
                continue
            if _links_home(element, url) or _in_out_region(element, marks, headers=False) and not (
                    key in whole and element.tag in ("h1", "h2", "h3")
                    and not _in_tags(element, _OUT_TAGS | {"a"})):
                # a whole declared title in a heading is the headline even inside an element
                # whose name sounds like a widget ("skipCont", the skip link's target)
                continue
            rank = (_heading_rank(element), len(key), -order)
            found.append((rank, key in whole, _Headline(element, text)))
            break
    return sorted(found, key=lambda item: item[0], reverse=True)


def _heading_like(block: Block) -> lxml_html.HtmlElement | None:
    """The element that makes a block a heading: an <h1>-<h6>, an element named as a title,
    or a bold run that is the whole block; None for other blocks."""
    if not 2 <= block.words <= 60 or block.mark:
        return None  # widgets and date lines ("heading__meta") are not headings
    element = block.element
    if block.heading or any(t in w for w in _class_words(element) for t in _TITLE_WORDS):
        return element
    if block.words > 30 or re.search(r"[.!?。]$", block.text):
        return None  # a bold lead paragraph is not a heading
    for tag in ("b", "strong"):
        bold = element.find(f".//{tag}")
        if bold is not None and _collapse(bold.text_content()) == block.text:
            return bold
    return None


def _headline_near(blocks: list[Block], start: int, url: str | None) -> _Headline | None:
    """The heading-like block closest before block `start` (the main text), when no
    element on the page is the title it declares."""
    for i in range(start - 1, max(-1, start - 12), -1):
        element = _heading_like(blocks[i])
        if element is not None and not _links_home(element, url):
            return _Headline(element, blocks[i].text)
    # no heading at all: a line on its own just above the text, as old table layouts set
    # their headlines in plain cells
    seen = 0
    for i in range(start - 1, -1, -1):
        block = blocks[i]
        if block.mark == OUT:
            continue
        seen += 1
        if seen > 3:
            break
        if (3 <= block.words <= 25 and block.link_density < 0.3 and not block.mark
                and not re.search(r"[.!?:;,。]$", block.text) and not _date_line(block.text)
                and not _byline(block.text) and not _widget_line(block.text)):
            return _Headline(block.element, block.text)
    return None


# --- The body --------------------------------------------------------------------------------

def _paragraph_like(block: Block) -> bool:
    """Text a person would call a paragraph: a sentence or more, not a link list or label."""
    if block.link_density > 0.3 or block.heading:
        return False
    cjk = dominant_script(block.text) == "Hani"
    if (len(block.text) < 25) if cjk else (len(block.text.split()) < 10):
        return False
    return not _date_line(block.text) and not _byline(block.text)


_BYLINE = re.compile(r"^(by|par|von|por|door|автор|аутор|autor|author|written by)\s*:?\s+(\w)",
                     re.I)


def _byline(text: str) -> bool:
    """"By Ingrid Solberg in Reykjavík", "Autor: J. Nikolić": a name after "by", short."""
    match = _BYLINE.match(text)
    return match is not None and match.group(2).isupper() and _weight(text) <= 15


def _date_line(text: str, calendar: _Calendar = _NO_CALENDAR) -> bool:
    """A line that is mostly a date ("Publié le 14 novembre 2024", "28.08.2025 - Artikel",
    "Southeast Times · 2 December 2024, 18:05 · 1 min read")."""
    found = calendar.find(text)
    if not found:
        return False
    rest = text
    for item in found:
        rest = rest.replace(text[item.start:item.end], " ")
    # words besides the date, not counting "PM", "GMT" or the "h" of "06h30"
    words = [w for w in re.findall(r"[^\W\d_]+", rest)
             if len(w) > 1 and w.upper() not in _TIME_WORDS]
    cjk = sum(1 for c in rest if "\u3040" <= c <= "\u9fff")
    return len(words) <= 7 and cjk <= 16


_TIME_WORDS = frozenset("AM PM GMT UTC CET CEST EET EEST MSK EST EDT BST IST JST KST".split())


# Labels of widgets, in the languages we serve; a line made only of these is not text.
_WIDGET_LABELS = {_fold(label) for label in """
    print|print page|print this page|printer friendly|share|share this|share this page|
    share this article|share this story|share on facebook|share on twitter|email|e-mail|pdf|
    back|go back|back to top|top|page top|top of page|to top|back to list|back to news|
    back to press releases|read more|more|close|tags|tags:|keywords|keywords:|related|
    related links|related articles|related news|see also|read also|comments|
    imprimer|partager|retour|haut de page|fermer|lire la suite|voir aussi|
    drucken|seite drucken|teilen|seite teilen|zurück|nach oben|schlagworte|mehr|
    печать|распечатать|версия для печати|поделиться|назад|наверх|закрыть|теги|
    štampaj|odštampaj|podeli|podelite|nazad|vrh|oznake|штампај|одштампај|подели|
    назад|врх|ознаке|pretvori u pdf|odštampaj tekst|prosledi tekst|
    imprimir|compartir|volver|cerrar|etiquetas|stampa|condividi|torna|chiudi|
    yazdır|paylaş|geri|nyomtatás|megosztás|vissza|друк|поділитися|
    打印|关闭|分享|分享到|打印本页|关闭窗口|列印|分享至|回上頁|印刷|戻る|ページトップへ
""".replace("\n", "").split("|") if label.strip()}
_BRACKET_NOTE = re.compile(r"^[\[【(（][^\]】)）]{1,40}[\]】)）]$")
_SEPARATORS = re.compile(r"[|/·•»«>]+")


def _widget_line(text: str) -> bool:
    """A line made only of widget labels ("Print | Share", "[Print] [Close]", "【打印】")."""
    parts = [p for p in _SEPARATORS.split(text) if p.strip()]
    if not parts:
        return True
    for part in parts:
        folded = _fold(part)
        if folded in _WIDGET_LABELS or not folded:
            continue
        inner = _fold(re.sub(r"^[\[【(（]|[\]】)）]$", "", part.strip()))
        if inner in _WIDGET_LABELS:
            continue
        return False
    return True


_END_MARK = re.compile(r"#(\s*#){2,}|[-–—]\s*30\s*[-–—]|\*(\s*\*){2,}|-?\s*ends?\s*-?", re.I)


def _closing_line(text: str, calendar: _Calendar) -> bool:
    """A line that ends a communiqué: "###", "- 30 -", or a place-and-date line."""
    if _END_MARK.fullmatch(text):
        return True
    return _date_line(text, calendar) and _weight(text) <= 8


def _drop_label(chosen: list[int], blocks: list[Block], dropped: int) -> None:
    """Drop the label of a list or widget that was dropped ("Contents", "Details", "Related
    links"): a short line without a sentence's end, right before it."""
    if not chosen or chosen[-1] != dropped - 1:
        return
    label = blocks[chosen[-1]]
    if label.words <= 3 and not re.search(r"[.!?。！？,，;]$", label.text):
        chosen.pop()


def _caption(block: Block) -> bool:
    """A line right under a photo, in italics, small print or centred: its caption."""
    return block.after_image and block.styled and block.words < 40


def _score_container(blocks: list[Block], spans: dict) -> lxml_html.HtmlElement | None:
    """The element whose paragraphs carry the most text (Readability's scoring)."""
    scores: dict[lxml_html.HtmlElement, float] = {}
    for block in blocks:
        if block.mark or len(block.text) < 25 or block.link_density > 0.5:
            continue
        points = 1 + len(re.findall(r"[,،，、]", block.text)) + min(len(block.text) // 100, 3)
        element = block.element
        first = element.getparent() if element.tag in _PARAGRAPH_TAGS else element
        for level, node in enumerate([first, *first.iterancestors()][:4]):
            if node is None or node.tag == "html":
                break
            scores[node] = scores.get(node, 0) + points / (1 if level == 0 else (
                2 if level == 1 else level * 3))
    best, best_score = None, 0.0
    for element, score in scores.items():
        start, end = spans.get(element, (0, 0))
        inside = [b for b in blocks[start:end] if not b.mark]
        chars = sum(len(b.text) for b in inside) or 1
        links = sum(b.link_chars for b in inside)
        final = score * (1 - links / chars)
        if final > best_score:
            best, best_score = element, final
    return best


def _strip_repeated_title(paragraphs: list[str], title: str | None) -> list[str]:
    if not title:
        return paragraphs
    key = _fold(title)
    while paragraphs and _fold(paragraphs[0]) == key:
        paragraphs = paragraphs[1:]
    return paragraphs


@dataclass
class _Reading:
    blocks: list[Block]
    spans: dict
    container: lxml_html.HtmlElement | None
    headline_index: int | None     # the headline's block
    body_indices: list[int]        # the blocks that make the body, in order
    marks: dict                    # element -> OUT or META
    calendar: _Calendar
    headline: lxml_html.HtmlElement | None = None
    headline_first: int | None = None   # the headline's first block


def _body(blocks: list[Block], spans: dict, container: lxml_html.HtmlElement | None,
          headline_index: int | None, calendar: _Calendar) -> list[int]:
    if container is None:
        return []
    c_start, c_end = spans[container]
    c_end = _continued_end(blocks, spans, container, c_end)
    start = c_start
    if headline_index is not None and headline_index < c_end:
        # the header zone: from the headline to the main text, if they are close
        between = [b for b in blocks[headline_index + 1:c_start] if b.mark != OUT]
        if headline_index >= c_start or len(between) <= HEADER_ZONE_BLOCKS:
            start = headline_index + 1
    chosen: list[int] = []
    started = False
    for i in range(start, c_end):
        block = blocks[i]
        if block.mark or not block.text or i == headline_index:
            if block.mark and chosen and not blocks[chosen[-1]].heading:
                _drop_label(chosen, blocks, i)  # "Details" above a date line
            continue
        if started and _END_MARK.fullmatch(block.text):
            chosen.append(i)  # the release ends here: what follows is not the release
            break
        if (block.link_density > 0.5 or _widget_line(block.text) or _caption(block)
                or _BRACKET_NOTE.match(block.text)):
            _drop_label(chosen, blocks, i)
            continue
        if i < c_start and not _paragraph_like(block):
            continue  # outside the main element, only a lead is taken
        if not started:
            if _paragraph_like(block):
                started = True
            elif not block.heading and (_date_line(block.text, calendar)
                                        or _byline(block.text)):
                _drop_label(chosen, blocks, i)  # its label ("Details") goes with it
                continue  # a date line or byline above the text, inside its element
        chosen.append(i)
    # trailing labels and headings with nothing under them are not the text; a closing
    # sentence ("End text.", "Thank you.") or place-and-date line is
    while chosen:
        block = blocks[chosen[-1]]
        sentence = block.words >= 6 and re.search(r"[.!?。！？]$", block.text)
        if _paragraph_like(block) or sentence or _closing_line(block.text, calendar):
            break
        if block.heading or block.link_density > 0.3 or _date_line(block.text, calendar) or (
                block.words <= 4 and not re.search(r"[.!?。！？:]$", block.text)):
            chosen.pop()
            continue
        break
    return _without_pull_quotes(chosen, blocks)


def _continued_end(blocks: list[Block], spans: dict, container: lxml_html.HtmlElement,
                   end: int) -> int:
    """Where the text ends when its CMS splits it into sibling components of one kind
    (canada.ca's "parbase section" blocks: the release, then its "Quick facts"): the
    container's next siblings of the same tag and classes that hold a paragraph, up to the
    first that holds none (its "Associated links", then its "Contacts")."""
    classes = container.get("class")
    if not classes:
        return end
    for sibling in container.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        if sibling.tag != container.tag or sibling.get("class") != classes:
            break
        span = spans.get(sibling)
        if span is None or span[0] != end:
            break  # no text of its own, or something else stands between
        if not any(_paragraph_like(b) for b in blocks[span[0]:span[1]] if not b.mark):
            break
        end = span[1]
    return end


def _without_pull_quotes(chosen: list[int], blocks: list[Block]) -> list[int]:
    """Drop pull quotes: a quotation the text repeats word for word in another paragraph."""
    quotes = [i for i in chosen if blocks[i].words >= 6 and any(
        node.tag == "blockquote" for node in (blocks[i].element,
                                              *blocks[i].element.iterancestors()))]
    if not quotes:
        return chosen
    words = {i: _fold(blocks[i].text).split() for i in chosen}
    repeated = {i for i in quotes if any(
        j != i and len(words[j]) > len(words[i]) and _repeats(words[i], words[j])
        for j in chosen)}
    return [i for i in chosen if i not in repeated]


def _repeats(quote: list[str], text: list[str], slack: int = 4) -> bool:
    """Whether the words of `quote` stand in `text` in order, a few words ("he said")
    apart at most."""
    for start, word in enumerate(text):
        if word != quote[0]:
            continue
        position, window = 1, text[start + 1:start + len(quote) + slack]
        for other in window:
            if position < len(quote) and other == quote[position]:
                position += 1
        if position == len(quote):
            return True
    return False


# --- The date --------------------------------------------------------------------------------

def _itemprop_date(root: lxml_html.HtmlElement, marks: dict,
                   article: list[lxml_html.HtmlElement]) -> date | None:
    """`itemprop="datePublished"` of the article's own microdata item: the one whose
    itemscope holds the headline or the text (a related item has its own itemscope);
    without an itemscope, one outside the regions that are not the article."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if (element.get("itemprop") or "").strip().lower() != "datepublished":
            continue
        scope = next((a for a in element.iterancestors() if a.get("itemscope") is not None),
                     None)
        if scope is not None:
            if not any(a is scope or scope in set(a.iterancestors()) for a in article):
                continue
        elif _in_out_region(element, marks, headers=False):
            continue
        value = (element.get("content") or element.get("datetime") or element.get("title")
                 or element.text_content())
        found = parse_structured_date(value)
        if found is not None:
            return found
    return None


def _dates_in(block: Block, calendar: _Calendar) -> list[date]:
    """The dates a block shows; a <time>'s datetime only when its text shows none (the
    attribute is often in UTC, the text in the site's own time zone)."""
    values = [d.value for d in calendar.find(block.full) if not d.updated]
    if not values:
        values = [v for v in map(parse_structured_date, block.times) if v is not None]
    return values


def _page_date(reading: _Reading, calendar: _Calendar) -> date | None:
    """The date written nearest the headline: a date line just under it (or just above
    it), else a dateline opening the text, else a place-and-date line closing it."""
    blocks, body = reading.blocks, reading.body_indices
    if not body:
        return None
    headline = reading.headline_index
    if headline is None:
        # no headline: the few lines just above the text stand in for its header
        above = [i for i in range(body[0] - 1, -1, -1) if blocks[i].mark != OUT][:3]
        anchor = min(above) - 1 if above else body[0] - 1
    else:
        anchor = headline
    # the text starts at its first paragraph inside the main element: a lead above it may
    # stand before the date line (GOV.UK's lead paragraph, then "Published 5 July 2024")
    main_start = reading.spans[reading.container][0] if reading.container is not None else 0
    text_start = next((i for i in body if i >= main_start and _paragraph_like(blocks[i])),
                      next((i for i in body if _paragraph_like(blocks[i])), body[0]))
    candidates: list[tuple[float, date]] = []
    if headline is not None:
        # a date line set inside the headline's own element ("<h1><span>28.08.2025 -
        # Artikel</span><span>Regierungspressekonferenz vom 27.08.2025</span></h1>")
        block = blocks[headline]
        if block.full != block.text:
            beside = block.full.replace(block.text, " ")
            values = [d.value for d in calendar.find(beside) if not d.updated]
            if values and _date_line(beside, calendar):
                candidates.append((0.5, values[0]))
    # under the headline, up to the first paragraph of the text
    for i in range(anchor + 1, text_start):
        block = blocks[i]
        if not _may_date(block):
            continue
        values = _dates_in(block, calendar)
        if values and (block.mark == META or block.times or _date_line(block.full, calendar)):
            candidates.append((i - anchor, values[0]))
    # just above the headline, with no widget between (old Joomla, Blogger, embassy tables)
    if headline is not None:
        first = reading.headline_first if reading.headline_first is not None else headline
        for distance, i in enumerate(range(first - 1, max(-1, first - 3), -1), start=1):
            block = blocks[i]
            if block.mark == OUT:
                break
            if not _may_date(block):
                continue
            values = _dates_in(block, calendar)
            if values and (block.mark == META or block.times or _date_line(block.full,
                                                                              calendar)):
                candidates.append((distance + 0.5, values[0]))
                break
    if candidates:
        return min(candidates, key=lambda c: c[0])[1]
    dateline = _dateline_date(blocks[text_start].full, calendar)
    if dateline is not None:
        return dateline
    for i in reversed(body[-2:]):
        closing = _place_and_date(blocks[i].full, calendar)
        if closing is not None:
            return closing
    # a date line right under the text ("Posted on 5 March 2024" in the article's footer)
    for i in range(body[-1] + 1, min(len(blocks), body[-1] + 4)):
        block = blocks[i]
        if block.mark == OUT:
            break
        if block.mark == META and _may_date(block):
            values = _dates_in(block, calendar)
            if values and _date_line(block.full, calendar):
                return values[0]
    return None


def _may_date(block: Block) -> bool:
    """Whether a block may be the page's date line: not a widget, not an item of a list of
    links (other articles and their dates)."""
    if block.mark == META:
        return True  # a byline or date line: its author may be a link
    if block.mark == OUT or block.link_density > 0.3:
        return False
    return block.element.tag != "li" or not block.link_chars


_CONNECTORS = frozenset("de la le el di da do del al am an na upon of".split())


def _place_words(text: str) -> bool:
    """A place name, as datelines write it: up to four capitalised words ("NEW DELHI",
    "Santiago de Chile", "Brussels"), or nothing."""
    words = [w for w in re.split(r"[\s,/|·]+", text) if w]
    return len(words) <= 4 and all(
        w[0].isupper() or w.lower() in _CONNECTORS or not w[0].isalpha() for w in words)


def _dateline_date(text: str, calendar: _Calendar) -> date | None:
    """The date of a dateline opening the text: "BELGRADE, 5 July 2024 –", "Madrid, 15 de
    octubre de 2024. Los ...", "5 March 2024 – The Minister ...". A date inside the first
    sentence ("On 5 March 2024, the Minister met ...") is an event's, not the page's."""
    for found in calendar.find(text[:160]):
        prefix, after = text[:found.start], text[found.end:].lstrip()
        if found.updated or not _place_words(prefix):
            return None
        if prefix.strip() and not re.search(r"[,\-–—/|:]\s*$", prefix):
            return None
        if not after or after[0] in "-–—:(.|/":
            return found.value
        return None
    return None


def _place_and_date(text: str, calendar: _Calendar) -> date | None:
    """The date of a closing place-and-date line ("New Delhi / March 05, 2024",
    "Belgrade, 5 July 2024"): a place, a date and nothing else."""
    found = [d for d in calendar.find(text) if not d.updated]
    if len(found) != 1 or _weight(text) > 10:
        return None
    prefix, after = text[:found[0].start], text[found[0].end:]
    if _place_words(prefix) and not re.search(r"[^\W\d_]", after):
        return found[0].value
    return None


def _headline_date(title: str, calendar: _Calendar) -> date | None:
    """A date the headline itself gives as the page's ("No: 214, 7 November 2024, Press
    Release ...", "Briefing by the Spokesperson, 14 November 2024", "(14 novembre 2024)"),
    not one it speaks of ("... vom 27.08.2025", "on the 5 May attack")."""
    for found in calendar.find(title):
        prefix, after = title[:found.start], title[found.end:]
        opening = len(prefix) <= 20 and len(prefix.split()) <= 3
        closing = not re.search(r"[^\W\d_]", after) and bool(
            re.search(r"[,(\-–—:|]\s*$", prefix))
        if opening or closing:
            return found.value
    return None


# --- Language ---------------------------------------------------------------------------------

def _declared_tag(root: lxml_html.HtmlElement | None) -> str | None:
    if root is None:
        return None
    tag = root.get("lang") or root.get("xml:lang")
    if not tag:
        for element in root.iter("meta"):
            if (element.get("http-equiv") or "").lower() == "content-language":
                tag = (element.get("content") or "").split(",")[0]
                break
    return tag


def _normalise_language(tag: str | None, text: str) -> str | None:
    """A page's language tag normalised; Serbian gets its script from the text."""
    if not tag or not tag.strip():
        return None
    parts = tag.strip().replace("_", "-").split("-")
    base = parts[0].lower()
    if not base.isalpha() or len(base) > 3:
        return None
    if base in {"sr", "sh"}:
        script = dominant_script(text) or "Latn"
        return f"sr-{script}" if script in {"Latn", "Cyrl"} else "sr"
    return base


# --- Putting it together -------------------------------------------------------------------

def _near(blocks: list[Block], spans: dict, element: lxml_html.HtmlElement,
          container: lxml_html.HtmlElement | None) -> bool:
    """Whether a heading stands at the head of the main text: at most a few blocks that are
    not widgets between them, or at the very top inside it."""
    held = _block_span(element, spans, blocks)
    if container is None or held is None:
        return False
    start, end = spans[container]
    first, last = held
    if first >= end:
        return False
    if first >= start:
        return not any(_paragraph_like(b) for b in blocks[start:first] if not b.mark)
    between = [b for b in blocks[last + 1:start] if b.mark != OUT]
    if any(b.words >= 3 and _heading_like(b) is not None for b in between):
        return False  # another headline stands closer to the text ("News release" is a label)
    return len(between) <= HEADER_ZONE_BLOCKS


def _block_span(element: lxml_html.HtmlElement, spans: dict,
                blocks: list[Block]) -> tuple[int, int] | None:
    """The first and last block holding an element's text; an inline element (a <b> that
    is a headline) is in the block of the nearest block element around it."""
    for node in (element, *element.iterancestors()):
        first, end = spans.get(node, (0, 0))
        if end > first:
            if node is element:
                return first, end - 1
            # the block of the enclosing element that holds the inline element's text
            text = _collapse(element.text_content())
            for i in range(first, end):
                if text and text in blocks[i].full:
                    return i, i
            return first, first
    return None


# How many blocks that are not widgets (a byline, a date, a lead) may stand between the
# headline and the main text.
HEADER_ZONE_BLOCKS = 8


def _read(root: lxml_html.HtmlElement, meta: PageMeta, url: str | None,
          language: str | None) -> tuple[_Reading, str | None]:
    raw_marks = _marks(root)
    first = _Reader(_final_marks(raw_marks, None, headers=False))
    first.read(root)
    calendar = _Calendar(language, numeric_order(" ".join(b.full for b in first.blocks)))
    container = _score_container(first.blocks, first.spans)
    headline: _Headline | None = None
    for _, whole, candidate in _declared_title_headlines(root, raw_marks, meta, url):
        # a whole declared title is the headline wherever it stands; a part of one (it could
        # be the site's name) only at the head of the main text
        if whole or _near(first.blocks, first.spans, candidate.element, container):
            headline = candidate
            break
    if headline is None and container is not None:
        start = first.spans[container][0]
        near = _headline_near(first.blocks, start + 1, url)
        if near is not None and _near(first.blocks, first.spans, near.element, container):
            headline = near
    marks = _final_marks(raw_marks, headline.element if headline else None)
    reader = _Reader(marks)
    reader.read(root)
    container = _score_container(reader.blocks, reader.spans)
    headline_index = headline_first = None
    held = (_block_span(headline.element, reader.spans, reader.blocks)
            if headline is not None else None)
    if held is not None and headline is not None:
        # the block that reads as the headline: an element holding the headline may hold its
        # kicker before it and its date line after it
        key = _fold(headline.text)
        lines = range(held[0], held[1] + 1)
        headline_index = next((i for i in lines if _fold(reader.blocks[i].text) == key),
                              next((i for i in lines if key in _fold(reader.blocks[i].full)),
                                   held[1]))
        headline_first = min(held[0], headline_index)
    body = _body(reader.blocks, reader.spans, container, headline_index, calendar)
    reading = _Reading(reader.blocks, reader.spans, container, headline_index, body, marks,
                       calendar, headline.element if headline else None, headline_first)
    return reading, headline.text if headline else None


def _fallback_title(meta: PageMeta) -> str | None:
    """The declared title without the site's name, when no heading on the page is it."""
    declared = meta.titles[0] if meta.titles else meta.title
    if not declared:
        return None
    site_names = {_fold(s) for s in meta.site_names}
    segments = [s.strip() for s in _TITLE_SEPARATORS.split(declared) if s and s.strip()]
    segments = [s for s in segments if _fold(s) not in site_names] or segments
    return max(segments, key=len) if segments else declared


def _trafilatura_text(html: str, url: str | None) -> list[str]:
    """Trafilatura's reading of the text, for pages the rules above find nothing on."""
    import trafilatura  # imported here: it costs 0.2 s and few pages need it

    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=False, include_comments=False, include_tables=True,
        include_images=False, include_links=False)
    if document is None:
        return []
    text = document.get("text") if isinstance(document, dict) else document.text
    lines = [_collapse(line) for line in (text or "").split("\n")]
    return [re.sub(r"^[-•*]\s+", "", line) for line in lines if line]


def extract_article(
    html: str, url: str | None = None, languages: tuple[str, ...] = ()
) -> ExtractedArticle:
    """Extract the article from a page; `languages` are the candidates when detecting."""
    html = without_controls(html)  # lxml refuses them in text it builds (_clean's drop_tree)
    root = _parse(html)
    if root is None:
        return ExtractedArticle(title=None, published=None)
    meta = read_page_meta(root)
    tag = _declared_tag(root)
    _clean(root)
    hint = tag.replace("_", "-") if tag else (languages[0] if len(languages) == 1 else None)
    reading, title = _read(root, meta, url, hint)
    paragraphs = [reading.blocks[i].text for i in reading.body_indices]
    if title is None:
        title = _fallback_title(meta)
    paragraphs = _strip_repeated_title(paragraphs, title)
    if sum(len(p.split()) for p in paragraphs) < 15 and sum(len(p) for p in paragraphs) < 60:
        paragraphs = _strip_repeated_title(_trafilatura_text(html, url), title)

    text = " ".join(paragraphs)
    language = _normalise_language(tag, text)
    if language is None and text:
        language = detect_language(text, languages)
    calendar = replace(reading.calendar, language=language or hint)

    published, source = meta.published, "structured" if meta.published else None
    if published is not None and _UTC.search(meta.published_value or ""):
        # a UTC timestamp can fall on the day before or after the site's own date
        shown = _page_date(reading, calendar)
        if shown is not None and abs((shown - published).days) == 1:
            published, source = shown, "page"
    if published is None:
        article = [e for e in (reading.container, reading.headline) if e is not None]
        published = _itemprop_date(root, reading.marks, article)
        source = "structured" if published else None
    if published is None:
        published = _page_date(reading, calendar)
        source = "page" if published else None
    if published is None:
        published = date_from_url(url)
        source = "url" if published else None
    if published is None and title:
        published = _headline_date(title, calendar)
        source = "headline" if published else None
    return ExtractedArticle(title, published, paragraphs, language, source)

