"""The extraction evaluation corpus: its shape, its annotations, the scorer and the gate.

The corpus (evaluation/extraction/) is what `communiques extract-quality` scores
the generic extractor on; its README says how the pages were written and annotated.
These tests keep the annotations honest (everything expected is on the page as
written) and hold the extractor at the figures it reached.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import run_cli

from evaluation import EXTRACTION, EXTRACTION_LATER
from scrapers import extract_quality
from scrapers.extract import ExtractedArticle
from scrapers.extract_quality import (
    BOUNDARY_TOKENS,
    Evaluation,
    body_end,
    body_start,
    evaluate,
    same_title,
    score_page,
)
from scrapers.fetch.encoding import decode_body
from webapp import create_app

CORPUS = EXTRACTION

# The corpus's shape. Pages 01-30 were the first corpus (kinds of CMS); from 31 on they are
# written in the structures of ministries and international bodies, with their traps.
FIRST_MINISTRY_PAGE = 31
MIN_PAGES = 44
MIN_NEW_KINDS = 12
MIN_NO_DATE_PAGES = 4
KEYS = ("file", "url", "title", "date", "date_text", "language", "body")
LANGUAGES = {"en", "ru", "sr-Cyrl", "sr-Latn", "de", "fr", "es", "zh", "ar", "uk"}

# The gate: floors at the figures the generic extractor reaches (measured on 2026-12-07:
# mean F1 0.999, lowest page 0.974, titles, dates, body starts and ends right on all 48
# pages, no invented date). Issue 12's targets are titles and dates right on every page,
# no invented date, body start and end right on 97% of pages and a mean F1 of 0.97: a
# change that must trade one page's body boundary for a better extractor may lower the
# start and end floors to those targets, never below.
GATE_MEAN_F1 = 0.99
GATE_MEDIAN_F1 = 0.99
GATE_MIN_PAGE_F1 = 0.95
GATE_TITLE_ACCURACY = 1.0
GATE_DATE_ACCURACY = 1.0
GATE_MAX_INVENTED_DATES = 0
GATE_BODY_START_ACCURACY = 1.0
GATE_BODY_END_ACCURACY = 1.0
GATE_LANGUAGE_ACCURACY = 1.0


def _entries() -> list[dict]:
    return json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def _page(entry: dict) -> str:
    text, _ = decode_body((CORPUS / entry["file"]).read_bytes(), None)
    return text


def _readme_rows() -> dict[str, list[str]]:
    """The README's table: file stem -> [kind of site, language, traps]."""
    rows = {}
    for line in (CORPUS / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*(\d\d-[\w-]+)\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split(" | ")]
    return rows


def _number(entry: dict) -> int:
    return int(entry["file"][:2])


_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr "
    "ul".split())
_HIDDEN = frozenset({"script", "style", "noscript", "template"})
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class _Visible(HTMLParser):
    """The text of <body> outside scripts and templates; block boundaries count as spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.in_body = self.in_body or tag == "body"
        self.hidden += tag in _HIDDEN
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.in_body and not self.hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    parser.close()
    return " ".join("".join(parser.parts).split())


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        pass  # <br />, <img ... />: nothing to close

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.errors.append(f"</{tag}> at line {self.getpos()[0]}, open: {self.open[-3:]}")


# --- the corpus's shape ----------------------------------------------------------------

def test_corpus_holds_every_page_once_with_its_readme_row() -> None:
    entries = _entries()
    files = [e["file"] for e in entries]
    on_disk = sorted(p.name for p in CORPUS.glob("*.html"))
    assert len(entries) >= MIN_PAGES
    assert sorted(files) == on_disk and len(set(files)) == len(files)
    rows = _readme_rows()
    assert sorted(rows) == sorted(f.removesuffix(".html") for f in files)
    for entry in entries:
        kind, language, traps = rows[entry["file"].removesuffix(".html")]
        assert language == entry["language"], entry["file"]
        assert kind and traps


def test_ministry_pages_are_of_new_kinds() -> None:
    rows = _readme_rows()
    new = [e for e in _entries() if _number(e) >= FIRST_MINISTRY_PAGE]
    kinds = {rows[e["file"].removesuffix(".html")][0] for e in new}
    old_kinds = {rows[e["file"].removesuffix(".html")][0] for e in _entries()
                 if _number(e) < FIRST_MINISTRY_PAGE}
    assert len(kinds) >= MIN_NEW_KINDS and not kinds & old_kinds
    # and they are foreign ministries' pages in more than English
    assert len({e["language"] for e in new}) >= 6


def test_annotations_have_the_documented_keys() -> None:
    for entry in _entries():
        assert tuple(entry) == KEYS, entry["file"]
        assert entry["language"] in LANGUAGES, entry["file"]
        assert entry["url"].startswith(("http://", "https://")), entry["file"]
        assert ".example" in entry["url"].split("/")[2], "pages live under .example"
        if entry["date"] is not None:
            date.fromisoformat(entry["date"])
        assert (entry["date"] is None) == (entry["date_text"] is None), entry["file"]
        assert entry["title"].strip() and entry["body"].strip()


def test_dates_are_null_exactly_where_the_readme_says_the_page_shows_none() -> None:
    rows = _readme_rows()
    no_date = {e["file"] for e in _entries() if e["date"] is None}
    said = {f"{stem}.html" for stem, (_, _, traps) in rows.items()
            if re.search(r"\bno date\b", traps.replace("*", ""), re.I)}
    assert no_date == said
    assert len(no_date) >= MIN_NO_DATE_PAGES
    assert len([f for f in no_date if int(f[:2]) >= FIRST_MINISTRY_PAGE]) >= 2


def test_legacy_encodings_one_declared_one_not() -> None:
    """Two pages are not UTF-8: one says so in a <meta>, the other says nothing at all."""
    legacy = {}
    for entry in _entries():
        raw = (CORPUS / entry["file"]).read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            legacy[entry["file"]] = (b"charset" in raw.lower(), decode_body(raw, None)[1])
    assert sorted(legacy.values()) == [(False, "windows-1251"), (True, "windows-1251")]


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e["file"])
def test_page_is_well_formed(entry: dict) -> None:
    checker = _Balance()
    checker.feed(_page(entry))
    checker.close()
    assert not checker.errors and not checker.open, (checker.errors[:3], checker.open[-3:])


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e["file"])
def test_expected_title_date_and_body_are_on_the_page_as_written(entry: dict) -> None:
    page = _page(entry)
    text = visible_text(page)
    assert " ".join(entry["title"].split()) in text
    # every paragraph of the body, in page order
    position = 0
    for paragraph in entry["body"].split("\n\n"):
        assert paragraph == " ".join(paragraph.split()), "whitespace is collapsed"
        found = text.find(paragraph, position)
        assert found >= 0, f"not on the page (or out of order): {paragraph[:80]!r}"
        position = found + len(paragraph)
    if entry["date"] is not None:
        # where the page states the date, in text or markup, and that it states this date
        assert entry["date_text"] in html.unescape(page)
        day = date.fromisoformat(entry["date"])
        numbers = {int(n) for n in re.findall(r"\d+", entry["date_text"])}
        assert day.day in numbers
        assert numbers & {day.year, day.year % 100, day.year - 1911}  # 1911: Minguo years


# --- the scorer ---------------------------------------------------------------------------

def test_body_boundaries_are_the_first_and_last_tokens() -> None:
    body = "Brussels, 5 March - The EU welcomes the agreement.\n\nIt will help. ###"
    assert body_start(body) == ["brussels", "5", "march", "the", "eu", "welcomes", "the",
                                "agreement"][:BOUNDARY_TOKENS]
    assert body_end(body)[-3:] == ["it", "will", "help"]
    assert body_start("外交部副部长会见大使") == list("外交部副部长会见")  # characters for Chinese


def test_titles_compare_after_whitespace_normalisation() -> None:
    assert same_title("Minister  meets\u00a0Ambassador \n", "Minister meets Ambassador")
    assert not same_title("Minister meets Ambassador | MFA", "Minister meets Ambassador")
    assert not same_title(None, "Minister meets Ambassador")


ENTRY = {"file": "x.html", "url": "https://mfa.example/x", "title": "Minister meets Ambassador",
         "date": None, "date_text": None, "language": "en",
         "body": "The Minister met the Ambassador of Norway today in Belgrade to discuss trade."
                 "\n\nThey agreed to hold consultations in Oslo in the spring of next year."}


def _score_with(monkeypatch: pytest.MonkeyPatch, article: ExtractedArticle,
                entry: dict | None = None) -> extract_quality.PageScore:
    """Score a page as if the extractor had returned `article`."""
    monkeypatch.setattr(extract_quality, "extract_article", lambda html, url=None: article)
    return score_page(entry or ENTRY, "<html></html>")


def test_a_date_on_a_page_that_shows_none_is_invented(monkeypatch: pytest.MonkeyPatch) -> None:
    paragraphs = ENTRY["body"].split("\n\n")
    score = _score_with(monkeypatch, ExtractedArticle(
        "Minister meets Ambassador", date(2024, 1, 1), paragraphs, "en"))
    assert not score.date_ok and score.invented_date and not score.wrong_date
    assert score.title_ok and score.start_ok and score.end_ok and score.f1 == 1.0
    assert any("invented" in line for line in score.failures())
    dated = dict(ENTRY, date="2024-03-05", date_text="05.03.2024")
    wrong = _score_with(monkeypatch, ExtractedArticle(
        "Minister meets Ambassador", date(2024, 3, 7), paragraphs, "en"), dated)
    assert wrong.wrong_date and not wrong.invented_date and not wrong.missed_date
    missed = _score_with(monkeypatch, ExtractedArticle(
        "Minister meets Ambassador", None, paragraphs, "en"), dated)
    assert missed.missed_date and not missed.date_ok


def test_a_repeated_headline_or_a_trailing_list_spoils_start_or_end(
        monkeypatch: pytest.MonkeyPatch) -> None:
    paragraphs = ENTRY["body"].split("\n\n")
    headed = _score_with(monkeypatch, ExtractedArticle(
        "Minister meets Ambassador", None, ["Minister meets Ambassador", *paragraphs], "en"))
    assert not headed.start_ok and headed.end_ok and headed.recall == 1.0
    assert headed.precision < 1.0 and "start: got 'minister meets ambassador" in (
        "\n".join(headed.failures()))
    trailing = _score_with(monkeypatch, ExtractedArticle(
        "Minister meets Ambassador", None, [*paragraphs, "Related news: Minister in Oslo"],
        "en"))
    assert trailing.start_ok and not trailing.end_ok
    empty = _score_with(monkeypatch, ExtractedArticle(None, None, [], None))
    assert empty.f1 == 0.0 and not empty.start_ok and not empty.end_ok and not empty.title_ok


def test_extract_quality_command_reports_what_evaluate_measures(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    chosen = [e for e in _entries() if e["file"].startswith(("31-", "39-", "44-"))]
    for entry in chosen:
        (corpus / entry["file"]).write_bytes((CORPUS / entry["file"]).read_bytes())
    (corpus / "expected.json").write_text(json.dumps(chosen, ensure_ascii=False))
    evaluation = evaluate(corpus)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data")})
    result = run_cli(app, "extract-quality", str(corpus), "--verbose")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for page in evaluation.pages:
        line = next(x for x in lines if x.endswith(page.file))
        assert f"{page.f1:.3f}" in line
        assert ("title ok" in line) == page.title_ok
        assert ("start ok" in line) == page.start_ok and ("end ok" in line) == page.end_ok
        assert ("INVENTED" in line) == page.invented_date
        for failure in page.failures():
            assert failure in result.output
    assert f"3 pages: mean F1 {evaluation.mean_f1:.3f}" in result.output
    assert f"titles {evaluation.count('title_ok')}/3" in result.output
    assert f"invented dates {len(evaluation.invented_dates)}" in result.output
    assert f"body start {evaluation.count('start_ok')}/3" in result.output
    quiet = run_cli(app, "extract-quality", str(corpus))
    assert not any(line.endswith(".html") for line in quiet.output.splitlines())


# --- the gate ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return evaluate(CORPUS)


def test_extraction_gate_on_the_whole_corpus(evaluation: Evaluation) -> None:
    """Floors under what the generic extractor reaches on every page, old and new."""
    assert len(evaluation.pages) >= MIN_PAGES
    assert evaluation.mean_f1 >= GATE_MEAN_F1
    assert evaluation.median_f1 >= GATE_MEDIAN_F1
    assert min(p.f1 for p in evaluation.pages) >= GATE_MIN_PAGE_F1
    assert evaluation.share("title_ok") >= GATE_TITLE_ACCURACY
    assert evaluation.share("date_ok") >= GATE_DATE_ACCURACY
    assert len(evaluation.invented_dates) <= GATE_MAX_INVENTED_DATES, evaluation.invented_dates
    assert evaluation.share("start_ok") >= GATE_BODY_START_ACCURACY
    assert evaluation.share("end_ok") >= GATE_BODY_END_ACCURACY
    assert evaluation.share("language_ok") >= GATE_LANGUAGE_ACCURACY


def test_pages_written_after_the_rules_hold_the_same_gate() -> None:
    """evaluation/extraction-later/: seven pages written after the rules (first run: dates
    6/7, ends 6/7, F1 0.979; both fixed since). Held at the whole corpus's floors."""
    later = evaluate(EXTRACTION_LATER)
    assert len(later.pages) == 7
    assert later.mean_f1 >= GATE_MEAN_F1
    assert later.share("title_ok") == later.share("date_ok") == 1.0
    assert not later.invented_dates
    assert later.share("start_ok") == later.share("end_ok") == 1.0
    # the page that shows no date has none
    [undated] = [p for p in later.pages if "nodate" in p.file]
    assert undated.date_ok and undated.date is None and undated.expected_date is None
