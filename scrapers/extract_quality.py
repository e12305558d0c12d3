"""How well the generic extractor finds article bodies: F1 against human-marked bodies.

The measure of the article-extraction benchmarks: the body's tokens (lower-cased,
punctuation stripped) as a bag; precision is the share of extracted tokens that
belong to the marked body, recall the share of the body that was extracted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, median

from scrapers.extract import extract_article
from scrapers.fetch.encoding import decode_body

# Chinese and Japanese are scored by character: they do not separate words by spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def precision_recall_f1(extracted: str, expected: str) -> tuple[float, float, float]:
    got, want = tokens(extracted), tokens(expected)
    common = sum((got & want).values())
    if not got and not want:
        return 1.0, 1.0, 1.0
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class PageScore:
    file: str
    precision: float
    recall: float
    f1: float
    title_ok: bool
    date_ok: bool
    language_ok: bool


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

    def share(self, attribute: str) -> float:
        return sum(getattr(p, attribute) for p in self.pages) / len(self.pages)


def evaluate(corpus: Path) -> Evaluation:
    """Score the extractor on a corpus: `expected.json` beside the pages it names."""
    expected = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    scores = []
    for entry in expected:
        html, _ = decode_body((corpus / entry["file"]).read_bytes(), None)
        article = extract_article(html, entry.get("url"))
        precision, recall, f1 = precision_recall_f1(article.body, entry["body"])
        scores.append(PageScore(
            file=entry["file"],
            precision=precision,
            recall=recall,
            f1=f1,
            title_ok=(article.title or "").strip() == entry["title"].strip(),
            date_ok=(article.published.isoformat() if article.published else None)
            == entry.get("date"),
            language_ok=article.language == entry["language"],
        ))
    return Evaluation(scores)
