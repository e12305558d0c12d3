"""From HTML elements to clean plain text with paragraphs kept."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, Tag
from bs4.element import PageElement, ProcessingInstruction

# Elements that start a new paragraph. A table cell does too: old Joomla pages
# lay paragraphs out in table rows.
BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt figcaption figure footer form h1 h2 h3 h4"
    " h5 h6 header hr li main nav ol p pre section table tbody td th thead tr ul".split()
)
# Elements whose text a reader never sees.
INVISIBLE_TAGS = frozenset("script style noscript template iframe object svg head".split())
_BREAK = "\x00"
_LINE = "\x01"  # a <br>: a space, but two in a row end a paragraph (<br>-split texts)
_LINES = re.compile(f"{_LINE}\\s*(?:{_LINE}\\s*)+")
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)
# Control characters real pages carry (a vertical tab or form feed pasted from a word
# processor, stray NULs): lxml refuses them in the text it builds, and NUL and \x01 are
# this module's own paragraph markers. Line and page breaks read as whitespace; the others
# as nothing.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_AS_SPACE = frozenset("\x0b\x0c")


def without_controls(text: str) -> str:
    """The text without the control characters no page shows (see _CONTROLS)."""
    if _CONTROLS.search(text) is None:
        return text
    return _CONTROLS.sub(lambda m: " " if m.group() in _AS_SPACE else "", text)


def parse_html(text: str) -> BeautifulSoup:
    """Parse a page with lxml, which survives malformed markup."""
    return BeautifulSoup(without_controls(text), "lxml")


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def element_text(element: Tag) -> str:
    """The visible text of an element on one line."""
    text = "".join(_chunks(element))
    return collapse_whitespace(text.replace(_BREAK, " ").replace(_LINE, " "))


def _chunks(element: Tag) -> Iterable[str]:
    """The element's text in document order, with _BREAK around blocks and _LINE for <br>.

    Walked with a stack, not recursion: a page nesting thousands of elements (hostile or
    broken) would otherwise end in a RecursionError instead of its text.
    """
    stack: list[tuple[Iterator[PageElement], str]] = [(iter(element.children), "")]
    while stack:
        child = next(stack[-1][0], None)
        if child is None:
            _, closing = stack.pop()
            if closing:
                yield closing
            continue
        if isinstance(child, NavigableString):
            if not isinstance(child, _SKIPPED_STRINGS):
                yield str(child)
        elif isinstance(child, Tag):
            if child.name in INVISIBLE_TAGS:
                continue
            if child.name == "br":
                yield _LINE
            elif child.name in BLOCK_TAGS:
                yield _BREAK
                stack.append((iter(child.children), _BREAK))
            else:
                stack.append((iter(child.children), ""))


def paragraphs(elements: Iterable[Tag]) -> list[str]:
    """Paragraph texts of the elements, in document order, whitespace collapsed.

    A block element starts a paragraph, and so do two <br> in a row (old sites wrote
    whole texts as lines in one element); a single <br> is a space.
    """
    out: list[str] = []
    for element in elements:
        text = _LINES.sub(_BREAK, "".join(_chunks(element))).replace(_LINE, " ")
        for block in text.split(_BREAK):
            text = collapse_whitespace(block)
            if text:
                out.append(text)
    return out


def strip_boilerplate(
    texts: list[str], phrases: Iterable[str], patterns: Iterable[re.Pattern[str]] = ()
) -> list[str]:
    """Remove boilerplate phrases where they stand as, start or end a paragraph.

    Phrases are matched whole, not inside sentences, so a widget label that
    happens to be a word in the text (e.g. "Print") never eats real content.
    """
    phrases = sorted(set(phrases), key=len, reverse=True)
    patterns = list(patterns)
    cleaned: list[str] = []
    for text in texts:
        changed = True
        while changed and text:
            changed = False
            for phrase in phrases:
                if text == phrase:
                    text, changed = "", True
                elif text.startswith(phrase) and _separable(text, phrase):
                    text, changed = text[len(phrase):].lstrip(), True
                elif text.endswith(" " + phrase):
                    text, changed = text[: -len(phrase)].rstrip(), True
            for pattern in patterns:
                new = collapse_whitespace(pattern.sub(" ", text))
                if new != text:
                    text, changed = new, True
        if text:
            cleaned.append(text)
    return cleaned


def _separable(text: str, phrase: str) -> bool:
    """True when a leading phrase ends at a word boundary, or is glued to a
    capitalised sentence the way an image caption is ("logo mspPrvi ...")."""
    rest = text[len(phrase):]
    return rest[:1].isspace() or (rest[:1].isupper() and phrase[-1:].islower())
