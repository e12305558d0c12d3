"""How well the generic extractor reads article pages, scored against human annotations.

For every page of a corpus (`expected.json` beside the pages, see
evaluation/extraction/README.md) the extractor's record is compared with
the annotation:

* title: right when equal after whitespace normalisation;
* date: right when equal, `None` included; a date extracted from a page that
  shows none is an *invented* date, the error a reader forgives least;
* body start and end: right when the first (last) `BOUNDARY_TOKENS` tokens of
  the extracted body are those of the marked body, so a repeated headline, a
  dropped lead, a trailing "related" list or a cut-off last paragraph shows;
* body precision, recall and F1: the measure of the article-extraction
  benchmarks, the body's tokens (lower-cased, punctuation stripped) as a bag.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, median

from scrapers.extract import extract_article
from scrapers.fetch.encoding import decode_body

# Chinese and Japanese are scored by character: they do not separate words by spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+", re.UNICODE)

# How many tokens make a body's start and end: about a line of text, enough that a
# headline or caption glued to the body, or a last paragraph cut off, changes them.
BOUNDARY_TOKENS = 8


def token_list(text: str) -> list[str]:
    """The body's tokens in order: words, or single characters for Chinese and Japanese."""
    return [t.lower() for t in _TOKEN.findall(unicodedata.normalize("NFC", text))]


def tokens(text: str) -> Counter[str]:
    return Counter(token_list(text))


def precision_recall_f1(extracted: str, expected: str) -> tuple[float, float, float]:
    got, want = tokens(extracted), tokens(expected)
    common = sum((got & want).values())
    if not got and not want:
        return 1.0, 1.0, 1.0
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def body_start(text: str, size: int = BOUNDARY_TOKENS) -> list[str]:
    return token_list(text)[:size]


def body_end(text: str, size: int = BOUNDARY_TOKENS) -> list[str]:
    return token_list(text)[-size:] if size else []


def same_title(extracted: str | None, expected: str | None) -> bool:
    """Equal after whitespace normalisation (no-break and ideographic spaces included)."""
    def norm(text: str | None) -> str:
        return " ".join(unicodedata.normalize("NFC", text or "").split())
    return norm(extracted) == norm(expected)


@dataclass(frozen=True)
class PageScore:
    file: str
    precision: float
    recall: float
    f1: float
    title_ok: bool
    date_ok: bool
    language_ok: bool
    start_ok: bool
    end_ok: bool
    title: str | None
    expected_title: str
    date: str | None
    expected_date: str | None
    start: str
    expected_start: str
    end: str
    expected_end: str

    @property
    def invented_date(self) -> bool:
        """A date given for a page that shows none."""
        return self.expected_date is None and self.date is not None

    @property
    def missed_date(self) -> bool:
        return self.expected_date is not None and self.date is None

    @property
    def wrong_date(self) -> bool:
        """A date given where the page shows another one."""
        return None not in (self.date, self.expected_date) and self.date != self.expected_date

    def failures(self) -> list[str]:
        """One line per thing the extractor got wrong on this page, for --verbose."""
        lines = []
        if not self.title_ok:
            lines.append(f"title: got {self.title!r}, want {self.expected_title!r}")
        if not self.date_ok:
            kind = ("invented" if self.invented_date else "missed" if self.missed_date
                    else "wrong")
            lines.append(f"date ({kind}): got {self.date or 'none'}, "
                         f"want {self.expected_date or 'none'}")
        if not self.start_ok:
            lines.append(f"start: got {self.start!r}, want {self.expected_start!r}")
        if not self.end_ok:
            lines.append(f"end: got {self.end!r}, want {self.expected_end!r}")
        return lines


@dataclass(frozen=True)
class Evaluation:
    pages: list[PageScore]

    @property
    def mean_f1(self) -> float:
        return mean(p.f1 for p in self.pages)

    @property
    def median_f1(self) -> float:
        return median(p.f1 for p in self.pages)

    @property
    def mean_precision(self) -> float:
        return mean(p.precision for p in self.pages)

    @property
    def mean_recall(self) -> float:
        return mean(p.recall for p in self.pages)

    def count(self, attribute: str) -> int:
        """How many pages have `attribute` true (a PageScore field or property)."""
        return sum(bool(getattr(p, attribute)) for p in self.pages)

    def share(self, attribute: str) -> float:
        return self.count(attribute) / len(self.pages)

    @property
    def invented_dates(self) -> list[str]:
        """The pages that show no date but were given one."""
        return [p.file for p in self.pages if p.invented_date]

    def only(self, keep: Callable[[PageScore], bool]) -> Evaluation:
        """The same figures over the pages `keep` accepts (one language, the older pages...)."""
        return Evaluation([p for p in self.pages if keep(p)])


def _show(words: Iterable[str]) -> str:
    return " ".join(words)


def score_page(entry: dict, html: str) -> PageScore:
    """Run the extractor on one page and compare its record with the annotation."""
    article = extract_article(html, entry.get("url"))
    body = article.body
    precision, recall, f1 = precision_recall_f1(body, entry["body"])
    got_date = article.published.isoformat() if article.published else None
    got_start, want_start = body_start(body), body_start(entry["body"])
    got_end, want_end = body_end(body), body_end(entry["body"])
    return PageScore(
        file=entry["file"],
        precision=precision,
        recall=recall,
        f1=f1,
        title_ok=same_title(article.title, entry["title"]),
        date_ok=got_date == entry.get("date"),
        language_ok=article.language == entry["language"],
        start_ok=bool(want_start) and got_start == want_start,
        end_ok=bool(want_end) and got_end == want_end,
        title=article.title,
        expected_title=entry["title"],
        date=got_date,
        expected_date=entry.get("date"),
        start=_show(got_start),
        expected_start=_show(want_start),
        end=_show(got_end),
        expected_end=_show(want_end),
    )


def load_corpus(corpus: Path) -> list[tuple[dict, str]]:
    """Every annotation with its page's text, decoded as the crawler decodes a body
    that came with no charset header (BOM, then <meta>, then detection)."""
    expected = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    pages = []
    for entry in expected:
        html, _ = decode_body((corpus / entry["file"]).read_bytes(), None)
        pages.append((entry, html))
    return pages


def evaluate(corpus: Path) -> Evaluation:
    """Score the extractor on a corpus: `expected.json` beside the pages it names."""
    return Evaluation([score_page(entry, html) for entry, html in load_corpus(corpus)])
