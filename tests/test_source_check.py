"""Source definitions are checked strictly on load, and `communiques sources --check`
reports the first problem with its file, key and line (issue 17, item 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from scrapers.sources import DEFINITIONS_DIR, SourceDefinitionError, load_source_file
from scrapers.strategies import STRATEGIES
from webapp import create_app
from webapp.cli import cli

CHINA = DEFINITIONS_DIR / "china-mfa.toml"
SERBIA = DEFINITIONS_DIR / "serbia-mfa.toml"


def _line_of(text: str, pattern: str, nth: int = 0) -> int:
    """The 1-based line of the nth line matching `pattern` in `text`."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if re.search(pattern, line)]
    return lines[nth]


def _edited(tmp_path: Path, original: Path, old: str, new: str, nth: int = 0) -> Path:
    """A copy of a shipped definition with the nth occurrence of `old` replaced."""
    text = original.read_text(encoding="utf-8")
    start = -1
    for _ in range(nth + 1):
        start = text.index(old, start + 1)
    path = tmp_path / original.name
    path.write_text(text[:start] + new + text[start + len(old):], encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(SourceDefinitionError) as caught:
        load_source_file(path)
    return str(caught.value)


def _check(*paths: Path):
    return CliRunner().invoke(cli, ["sources", "--check", *map(str, paths)],
                              obj=create_app({"TESTING": True}))


def test_every_shipped_definition_passes() -> None:
    result = _check(*sorted(DEFINITIONS_DIR.glob("*.toml")))
    assert result.exit_code == 0, result.output
    shipped = sorted(DEFINITIONS_DIR.glob("*.toml"))
    assert len(shipped) >= 5
    assert result.output.splitlines() == [f"{p}: ok" for p in shipped]


def test_a_misspelt_key_is_named_with_its_line_and_the_key_meant(tmp_path: Path) -> None:
    bad = _edited(tmp_path, CHINA, "\nitems =", "\nitmes =")
    line = _line_of(bad.read_text(), r"^itmes =")
    message = _error(bad)
    assert message.startswith(f"china-mfa.toml:{line}: ")
    assert "unknown key 'itmes' in [sites.listing]" in message
    assert "did you mean 'items'?" in message
    result = _check(CHINA, bad)
    assert result.exit_code == 1
    assert f"{CHINA}: ok" in result.output  # the good one before it
    assert f"{bad}:{line}: unknown key 'itmes'" in result.output


def test_the_check_stops_at_the_first_bad_file(tmp_path: Path) -> None:
    bad = _edited(tmp_path, CHINA, "\nitems =", "\nitmes =")
    result = _check(bad, SERBIA)
    assert result.exit_code == 1
    assert f"{SERBIA}: ok" not in result.output


def test_a_misplaced_key_says_where_it_belongs(tmp_path: Path) -> None:
    # page_pattern is a listing's key: written under [sites.article] it is refused.
    bad = _edited(tmp_path, CHINA, "\nbody =", '\npage_pattern = "index_{n}.html"\nbody =')
    line = _line_of(bad.read_text(), r"^page_pattern = ", nth=1)
    message = _error(bad)
    assert message.startswith(f"china-mfa.toml:{line}: ")
    assert "key 'page_pattern' does not belong in [sites.article]" in message
    assert "[sites.listing]" in message


def test_a_key_of_the_second_site_gets_its_own_line(tmp_path: Path) -> None:
    # serbia-mfa has two [[sites]]: the line must be the second site's, not the first's.
    bad = _edited(tmp_path, SERBIA, "\nmax_pages = ", "\nmax_pages = true #", nth=1)
    line = _line_of(bad.read_text(), r"^max_pages = true")
    assert line > _line_of(bad.read_text(), r"^\[\[sites\]\]", nth=1)
    message = _error(bad)
    assert message.startswith(f"serbia-mfa.toml:{line}: ")
    assert "'sites[1].max_pages' must be an integer, not a boolean" in message


@pytest.mark.parametrize("old, new, pattern, expected", [
    ('languages = ["en"]', 'languages = 3', r"^languages = 3",
     "'languages' must be a string or a list of strings, not an integer"),
    ('doc_type = "news"', "doc_type = [\"news\"]", r'^doc_type = \["news"\]',
     "'sites[0].sections[0].doc_type' must be a string, not a list"),
    ("[sites.article]", "[sites.articles]", r"^\[sites.articles\]",
     "unknown key 'articles' in [sites] (did you mean 'article'?)"),
])
def test_a_wrong_type_or_table_is_named(tmp_path: Path, old: str, new: str, pattern: str,
                                        expected: str) -> None:
    bad = _edited(tmp_path, CHINA, old, new)
    message = _error(bad)
    assert message.startswith(f"china-mfa.toml:{_line_of(bad.read_text(), pattern)}: ")
    assert expected in message


def test_a_selector_that_does_not_parse_is_refused(tmp_path: Path) -> None:
    bad = _edited(tmp_path, CHINA, '".TRS_UEDITOR"]', '"div[unclosed"]')
    message = _error(bad)
    assert message.startswith(f"china-mfa.toml:{_line_of(bad.read_text(), '^body =')}: ")
    assert "'sites[0].article.body': bad selector 'div[unclosed'" in message
    # The "selector@attribute" form is a selector too, and its attribute is checked.
    good = _edited(tmp_path, CHINA, '".TRS_UEDITOR"]', '"meta[name=x]@content"]')
    assert load_source_file(good).sites[0].article.body[-1] == "meta[name=x]@content"
    bad = _edited(tmp_path, CHINA, '".TRS_UEDITOR"]', '"p@con tent"]')
    assert "bad attribute name in selector 'p@con tent'" in _error(bad)


def test_a_date_format_with_an_unknown_directive_is_refused(tmp_path: Path) -> None:
    bad = _edited(tmp_path, CHINA, 'en = ["%Y-%m-%d"]', 'en = ["%Y-%m-%d %H:%M"]')
    message = _error(bad)
    assert message.startswith(f"china-mfa.toml:{_line_of(bad.read_text(), '^en = ')}: ")
    assert "unknown directive '%H' in date format '%Y-%m-%d %H:%M'" in message
    assert "%d" in message and "%B" in message  # the directives it does read


def test_a_quoted_language_key_gets_its_line(tmp_path: Path) -> None:
    bad = _edited(tmp_path, SERBIA, 'sr-Cyrl = ["%d. %B %Y.", "%Y-%m-%d"]',
                  'sr-Cyrl = ["%d. %B %Y.", "%y"]')
    message = _error(bad)
    line = _line_of(bad.read_text(), r'"%y"')
    assert message.startswith(f"serbia-mfa.toml:{line}: 'sites[1].date_formats.sr-Cyrl'")


def test_missing_keys_and_unknown_strategies_name_their_table(tmp_path: Path) -> None:
    bad = _edited(tmp_path, CHINA, 'path = "/eng/xw/zyxw/"', "")
    message = _error(bad)
    header = _line_of(bad.read_text(), r"^\[\[sites.sections\]\]")
    assert message == (f"china-mfa.toml:{header}: [sites.sections]: missing required key"
                       " 'path'")
    bad = _edited(tmp_path, CHINA, 'strategy = "html"', 'strategy = "ftp"')
    message = _error(bad)
    assert "unknown strategy 'ftp'" in message
    assert all(name in message for name in STRATEGIES)


def test_a_strategy_needing_listings_is_read_from_the_registry(tmp_path: Path) -> None:
    # html sites need [sites.listing]; the registry says so, not a name in the loader.
    assert STRATEGIES["html"].needs_listing
    assert not any(STRATEGIES[name].needs_listing for name in ("feed", "govuk", "wordpress"))
    text = CHINA.read_text()
    start, end = text.index("[sites.listing]"), text.index("[sites.article]")
    bad = tmp_path / "china-mfa.toml"
    bad.write_text(text[:start] + text[end:])
    assert "html sections need a [sites.listing]" in _error(bad)
