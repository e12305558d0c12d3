"""`communiques extract`: a saved page read exactly as the crawler reads it, by its source's
definition (site by host, section by path), with the officials and countries indexing
stores; the generic extractor for pages of no known source and for drifted templates."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SITES, local_url, run_cli

from demo.localsites import map_request
from scrapers.record import canonical_url, communique_id
from webapp import create_app

# Fields of /api/communiques/<id> that say what the ministry said (url and id differ only
# because the crawl read the loopback copy of the site).
SAME = ("title", "published", "language", "doc_type", "document_number", "speaker", "body",
        "paragraphs", "officials", "countries", "source_id", "ministry_country", "extraction")

CASES = [
    # Serbian: old Joomla table template, the seed communiqué.
    "https://arhiviranisajt.msp.gov.rs/en/press-service/statements/19230-serbian-russian-"
    "consultations-on-security-challenges-and-threats-held-in-moscow",
    # Serbian Cyrillic, div#text template, windows-1251 without any declared charset.
    "https://arhiviranisajt.msp.gov.rs/sr/index.php/pres-servis/saopstenja/"
    "21200-2019-10-10-14-31-58?lang=cyr",
    # Serbian Cyrillic statements on the current site, Drupal core fields, UTC <time>.
    "https://www.mfa.gov.rs/mediji/saopstenja/dacic-uputio-saucesce-turskoj-i-siriji",
    # Russian, English news with a document number.
    "https://www.mid.ru/en/foreign_policy/news/2053418/",
    # Russian, a section with no listing in the definition (reached through the feed).
    "https://www.mid.ru/ru/press_service/minister_speeches/2051224/",
    # US readout ending in "###".
    "https://www.state.gov/releases/office-of-the-spokesperson/2026/07/"
    "secretary-rubios-call-with-russian-foreign-minister-lavrov/",
]


def saved_file(url: str, root: Path = SITES) -> Path:
    """The fixture copy of a page, as saved from the site."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    _, path = map_request(root / (parts.hostname or ""), target)
    assert path is not None, url
    return path


def extract_json(app, *args: str) -> dict:
    result = run_cli(app, "extract", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def plain_app(tmp_path: Path):
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data")})


@pytest.mark.parametrize("url", CASES, ids=[urlsplit(u).path[-40:] for u in CASES])
def test_extract_returns_the_record_the_crawler_stores(crawled, url: str) -> None:
    app, base_urls = crawled
    extracted = extract_json(app, "--url", url, str(saved_file(url)))
    crawled_id = communique_id(canonical_url(local_url(url, base_urls), {"mid.ru": "www.mid.ru"}))
    stored = app.test_client().get(f"/api/communiques/{crawled_id}").get_json()
    assert stored["id"] == crawled_id, stored
    for field in SAME:
        assert extracted[field] == stored[field], field
    assert extracted["officials"], "officials are extracted as indexing does"
    assert extracted["extraction"] == "definition"
    assert extracted["url"] == canonical_url(url)
    assert extracted["id"] == communique_id(url)
    assert set(stored) <= set(extracted)  # the API's shape, plus nothing missing
    assert extracted["versions"] == []  # read now, not archived


def test_text_output_names_source_extraction_and_officials(plain_app) -> None:
    url = CASES[0]
    result = run_cli(plain_app, "extract", "--url", url, str(saved_file(url)))
    assert result.exit_code == 0, result.output
    assert "title:      Serbian-Russian consultations on security challenges" in result.output
    assert "published:  2018-07-06" in result.output
    assert "serbia-mfa  (definition extraction)" in result.output
    assert "Branimir Filipović" in result.output  # the registry's spelling
    assert "PDF Print E-mail" not in result.output


def test_without_url_the_source_option_picks_the_site_whose_selectors_read_it(
        plain_app) -> None:
    url = CASES[2]
    record = extract_json(plain_app, "--source", "serbia-mfa", str(saved_file(url)))
    assert record["source_id"] == "serbia-mfa"
    assert record["extraction"] == "definition"
    assert record["title"] == "Дачић упутио саучешће Турској и Сирији поводом разорног земљотреса"
    assert record["published"] == "2023-02-07"  # the visible date, not <time>'s UTC one
    assert record["url"].startswith("file://")


def test_a_page_without_a_date_has_none(plain_app) -> None:
    # The page shows no date; the crawler takes the listing's, a saved page has none.
    url = ("https://www.mfa.gov.rs/en/press-service/news/"
           "consular-notice-recommendations-to-citizens-of-serbia-in-ukraine")
    record = extract_json(plain_app, "--url", url, str(saved_file(url)))
    assert record["published"] is None
    assert record["title"] == "Consular notice: Recommendations to citizens of Serbia in Ukraine"
    text = run_cli(plain_app, "extract", "--url", url, str(saved_file(url)))
    assert "published:  - (the page shows none)" in text.output


def test_a_drifted_template_is_read_generically_with_a_warning(plain_app,
                                                               tmp_path: Path) -> None:
    url = CASES[5]
    page = saved_file(url).read_text(encoding="utf-8")
    redesigned = (page.replace("featured-content__headline", "hero__title")
                  .replace('class="entry-content"', 'class="post-body"'))
    saved = tmp_path / "redesigned.html"
    saved.write_text(redesigned, encoding="utf-8")
    result = run_cli(plain_app, "extract", "--json", "--url", url, str(saved))
    assert result.exit_code == 0, result.output
    # The headline class went, og:title (the next title selector) still reads; the body not.
    assert "warning: definition drift: no body matching" in result.output
    record = json.loads(result.stdout)
    assert record["extraction"] == "generic"
    assert record["source_id"] == "us-state"
    assert record["title"] == "Secretary Rubio’s Call with Russian Foreign Minister Lavrov"
    assert record["published"] == "2026-07-11"  # the definition's date selector still reads
    assert record["doc_type"] == "readout"
    assert "Sergey Lavrov" in record["officials"]


def test_a_page_of_no_known_source_is_read_by_the_generic_extractor(plain_app,
                                                                    tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html lang='en'><head><title>Statement on the elections | Ministry of Foreign Affairs"
        " of Ruritania</title></head><body><nav><a href='/'>Home</a></nav><article>"
        "<h1>Statement on the elections</h1><p>The Ministry of Foreign Affairs welcomes the"
        " peaceful conduct of yesterday's parliamentary elections and congratulates the voters"
        " on their high turnout.</p><p>The Ministry looks forward to working with the new"
        " government on the many issues of common interest, from trade to security.</p>"
        "</article><footer>Copyright</footer></body></html>", encoding="utf-8")
    record = extract_json(plain_app, "--url", "https://mfa.example.org/news/elections", str(page))
    assert record["extraction"] == "generic"
    assert record["source_id"] is None and record["ministry_country"] is None
    assert record["title"] == "Statement on the elections"
    assert record["paragraphs"][0].startswith("The Ministry of Foreign Affairs welcomes")
    assert record["url"] == "https://mfa.example.org/news/elections"


def test_unknown_source_and_missing_file_are_errors(plain_app, tmp_path: Path) -> None:
    url = CASES[0]
    unknown = run_cli(plain_app, "extract", "--source", "atlantis-mfa", str(saved_file(url)))
    assert unknown.exit_code != 0 and "unknown source" in unknown.output
    missing = run_cli(plain_app, "extract", str(tmp_path / "nope.html"))
    assert missing.exit_code != 0 and "no such file" in missing.output


def test_a_block_page_is_refused(plain_app) -> None:
    block = SITES / "www.state.gov" / "_technical-difficulties.html"
    result = run_cli(plain_app, "extract", "--url", CASES[5], str(block))
    assert result.exit_code != 0 and "block page" in result.output


def test_a_joomla_page_saved_from_the_current_host_is_read_by_the_joomla_site(
        plain_app) -> None:
    # Until 2021 www.mfa.gov.rs served the Joomla site whose pages are now on the archive.
    saved = saved_file(CASES[0])
    url = CASES[0].replace("arhiviranisajt.msp.gov.rs", "www.mfa.gov.rs")
    result = run_cli(plain_app, "extract", "--json", "--url", url, str(saved))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    record = json.loads(result.stdout)
    assert record["extraction"] == "definition" and record["url"] == url
    assert record["title"].startswith("Serbian-Russian consultations on security challenges")
    assert record["published"] == "2018-07-06" and record["language"] == "en"
    # The current site's own pages on that host are still read by the current site.
    drupal = extract_json(plain_app, "--url", CASES[2], str(saved_file(CASES[2])))
    assert drupal["extraction"] == "definition" and drupal["published"] == "2023-02-07"


@pytest.mark.parametrize("address", ["http://[::1", "javascript:alert(1)", "ftp://x.org/a",
                                     "https:///a", "https://x.org:99999/a", "notaurl"])
def test_a_url_that_is_no_page_address_is_a_clear_error(plain_app, address: str) -> None:
    result = run_cli(plain_app, "extract", "--url", address, str(saved_file(CASES[0])))
    assert result.exit_code == 2, result.output
    assert "is not an http(s) address with a host" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_control_characters_in_a_page_are_read_as_nothing_or_space(plain_app,
                                                                   tmp_path: Path) -> None:
    # Word's line break (\x0b) beside a script, a stray NUL, binary junk: lxml refused them
    # in the text the generic extractor builds, and \x00/\x01 are htmltext's own markers.
    page = tmp_path / "page.html"
    page.write_text(
        "<html lang='en'><head><title>Minister meets the ambassador of Ruritania</title></head>"
        "<body><article><h1>Minister meets the ambassador of Ruritania</h1><p>The minister"
        "\x0breceived the ambassador today<script>x()</script>\x0b and they discussed\x00 the"
        " many questions of common interest to both countries.</p><p>They agreed to meet"
        "\x01\x01 again in the spring, in the capital of Ruritania.</p></article></body></html>",
        encoding="utf-8")
    record = extract_json(plain_app, "--url", "https://mfa.example.org/news/1", str(page))
    assert record["paragraphs"] == [
        "The minister received the ambassador today and they discussed the many questions of"
        " common interest to both countries.",
        "They agreed to meet again in the spring, in the capital of Ruritania."]
    # The definition's path (BeautifulSoup) reads the same page without the markers.
    drupal = saved_file(CASES[2]).read_text(encoding="utf-8")
    junk = tmp_path / "junk.html"
    junk.write_text(drupal.replace("<p>", "<p>\x00\x01\x01\x0b", 1), encoding="utf-8")
    clean = extract_json(plain_app, "--url", CASES[2], str(saved_file(CASES[2])))
    dirty = extract_json(plain_app, "--url", CASES[2], str(junk))
    assert dirty["paragraphs"] == clean["paragraphs"] and dirty["extraction"] == "definition"
    binary = tmp_path / "binary.html"
    binary.write_bytes(bytes(range(256)) * 20)
    result = run_cli(plain_app, "extract", str(binary))
    assert result.exit_code == 1 and "found no article" in result.output


def test_a_date_the_selectors_miss_is_the_pages_own_not_none(plain_app,
                                                              tmp_path: Path) -> None:
    # The theme moved the date out of the definition's date selector; title and body still
    # read. With no listing to date it (a saved page), the date the page shows is read as
    # the generic extractor reads it (its own, not the related releases', never none), and
    # the date selectors' drift is said. (A crawl leaves such a record undated: its
    # breakage check counts them, tests/test_update_breakage.py.)
    url = CASES[5]
    page = saved_file(url).read_text(encoding="utf-8")
    assert "article-meta__publish-date" in page
    moved = tmp_path / "moved.html"
    moved.write_text(page.replace("article-meta__publish-date", "article-meta__when"),
                     encoding="utf-8")
    result = run_cli(plain_app, "extract", "--json", "--url", url, str(moved))
    assert result.exit_code == 0, result.output
    assert ("warning: definition drift: no date matching ['.article-meta__publish-date'];"
            " the date is the generic extractor's") in result.output
    record = json.loads(result.stdout)
    assert record["extraction"] == "definition"
    assert record["published"] == "2026-07-11"
    # A page that shows no date still gets none (test_a_page_without_a_date_has_none).


def test_a_drifted_page_ends_where_its_definition_says(plain_app, tmp_path: Path) -> None:
    # The generic extractor keeps a closing "###" (most sites print it as the text's end);
    # the US definition says the release stops there (stop_at). A drifted page's text is
    # cut as the definition says, so drift does not change a stored text.
    url = CASES[5]
    page = saved_file(url).read_text(encoding="utf-8")
    assert "###" in page
    redesigned = tmp_path / "redesigned.html"
    redesigned.write_text(page.replace('class="entry-content"', 'class="post-body"'),
                          encoding="utf-8")
    clean = extract_json(plain_app, "--url", url, str(saved_file(url)))
    drifted = extract_json(plain_app, "--url", url, str(redesigned))
    assert drifted["extraction"] == "generic" and clean["extraction"] == "definition"
    assert "###" not in drifted["body"]
    assert drifted["paragraphs"] == clean["paragraphs"]


GOVUK_PAGE = """<!DOCTYPE html>
<html lang="en" class="govuk-template"><head><meta charset="utf-8">
<title>{title} - GOV.UK</title>
<meta name="govuk:format" content="press_release">
<meta name="govuk:first-published-at" content="{first}">
<meta name="govuk:updated-at" content="2024-10-21T09:12:44+01:00">
<meta property="og:title" content="{title}"></head>
<body class="govuk-template__body"><a href="#main-content" class="govuk-skip-link">Skip to main
content</a><div id="global-cookie-message" class="gem-c-cookie-banner"><p>We use some essential
cookies to make this website work.</p><button>Accept additional cookies</button></div>
<header class="gem-c-layout-super-navigation-header"><a href="/">GOV.UK</a><nav><a href="/browse">
Topics</a> <a href="/government/organisations">Government activity</a></nav></header>
<div class="govuk-width-container"><div class="gem-c-breadcrumbs govuk-breadcrumbs"><ol>
<li><a href="/">Home</a></li><li><a href="/world">International</a></li></ol></div>
<main class="govuk-main-wrapper" id="main-content" role="main">
<div class="gem-c-heading"><span class="govuk-caption-xl gem-c-heading__context">Press release
</span><h1 class="gem-c-heading__text govuk-heading-l">{title}</h1></div>
<p class="gem-c-lead-paragraph">{description}</p>
<div class="gem-c-metadata"><dl><dt>From:</dt><dd><a href="/government/organisations/fcdo">
Foreign, Commonwealth &amp; Development Office</a> and <a href="/government/people/david-lammy">
The Rt Hon David Lammy MP</a></dd>
<dt>Published</dt><dd>18 October 2024</dd></dl></div>
<div class="gem-c-govspeak govuk-govspeak" data-module="govspeak">{body}</div>
<div class="gem-c-share-links"><h2>Share this page</h2><ul><li><a href="#">Facebook</a></li>
<li><a href="#">Twitter</a></li></ul></div>
<div class="gem-c-related-navigation"><h2>Related content</h2><ul><li><a href="/x">Foreign
Secretary's statement on Hong Kong</a> 12 September 2024</li><li><a href="/y">UK-China
dialogue</a> 1 August 2024</li></ul></div></main></div>
<footer class="govuk-footer"><p>All content is available under the Open Government Licence
v3.0, except where otherwise stated</p><p>© Crown copyright</p></footer></body></html>"""


def test_a_saved_govuk_page_is_read_as_the_content_api_gives_it(crawled,
                                                                tmp_path: Path) -> None:
    # GOV.UK is crawled through its Content API; a saved page (written here in GOV.UK's
    # markup from the fixture's API answer) read with the definition's page selectors
    # gives the record the crawl stored from the API: title, date, text, officials.
    app, base_urls = crawled
    url = "https://www.gov.uk/government/news/foreign-secretary-visits-china"
    answer = json.loads(saved_file(url.replace("/government/", "/api/content/government/"))
                        .read_text(encoding="utf-8"))
    page = tmp_path / "saved.html"
    page.write_text(GOVUK_PAGE.format(
        title=answer["title"], first=answer["first_published_at"],
        description=answer["description"], body=answer["details"]["body"]), encoding="utf-8")
    result = run_cli(app, "extract", "--json", "--url", url, str(page))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    extracted = json.loads(result.stdout)
    stored = next(hit for hit in app.test_client().get(
        "/api/search", query_string={"q": "Lammy Beijing", "size": 50, "collapse": 0})
        .get_json()["results"] if hit["title"] == answer["title"])
    stored = app.test_client().get(f"/api/communiques/{stored['id']}").get_json()
    assert extracted["extraction"] == "definition" and extracted["source_id"] == "uk-fcdo"
    for field in ("title", "published", "language", "body", "paragraphs"):
        assert extracted[field] == stored[field], field
    assert "David Lammy" in extracted["officials"]
    # the older headline component (gem-c-title, before 2024) reads as well
    older = tmp_path / "older.html"
    older.write_text(page.read_text(encoding="utf-8").replace("gem-c-heading__text",
                                                              "gem-c-title__text"))
    assert extract_json(app, "--url", url, str(older))["title"] == answer["title"]
