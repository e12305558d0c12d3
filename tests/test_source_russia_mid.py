"""The Russian MFA (www.mid.ru) end to end: its traps, crawled over loopback HTTP.

- robots.txt forbids `/*?PAGEN`, so only page 1 of each listing is read; about
  half the articles are listed only on page 2 and must come from the RSS feeds.
  Page 2 also lists a "marker" article that is in no feed: finding it in the
  archive would prove a `?PAGEN` page was fetched.
- Briefings carry a table of contents and "Back to contents" links to strip.
- The firewall answers "Data processing... Please, wait." with HTTP 200.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import FIXTURES, SITES, load_golden, local_url, run_cli

from indexer.archive import Archive
from scrapers.record import canonical_url, communique_id

SOURCE = "russia-mid"
HOST = "www.mid.ru"
GOLDEN = load_golden(SOURCE)
ARTICLES = json.loads((FIXTURES / "articles" / "russia-mid.json").read_text(encoding="utf-8"))
MARKERS = [a for a in ARTICLES if a["marker"]]
BRIEFINGS = [g for g in GOLDEN if g["doc_type"] == "briefing"]
LISTINGS = ["/en/foreign_policy/news/", "/en/press_service/spokesman/briefings/",
            "/ru/foreign_policy/news/", "/ru/press_service/spokesman/briefings/"]
TOC_WORDS = ("Contents", "Back to contents", "Содержание", "Назад к оглавлению")


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'class="announce__link" href="([^"]+)"', html))


def _listed(page: str) -> set[str]:
    """Article paths listed on the fixture's page 1 or page 2 files of every listing."""
    name = "index.html" if page == "1" else "index@PAGEN_1=2.html"
    found: set[str] = set()
    for listing in LISTINGS:
        found |= _hrefs((SITES / HOST / listing.strip("/") / name).read_text(encoding="utf-8"))
    return found


def _path(entry: dict) -> str:
    return urlsplit(entry["url"]).path


PAGE_TWO_ONLY = [g for g in GOLDEN if _path(g) not in _listed("1")]


def golden_id(entry: dict, base_urls: dict[str, str]) -> str:
    return communique_id(canonical_url(local_url(entry["url"], base_urls)))


def marker_id(article: dict, base_urls: dict[str, str]) -> str:
    return golden_id({"url": f"https://{HOST}{article['section']}{article['id']}/"}, base_urls)


def records(app) -> dict:
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        return {r.id: r for r in archive.all_current() if r.source_id == SOURCE}


def crawl(app):
    return run_cli(app, "crawl", "--source", SOURCE)


# --------------------------------------------------------------------------- the fixture itself


def test_the_fixture_has_what_the_source_needs() -> None:
    assert len(GOLDEN) >= 20
    assert sum(g["language"] == "en" for g in GOLDEN) >= 10
    assert sum(g["language"] == "ru" for g in GOLDEN) >= 10
    assert {g["doc_type"] for g in GOLDEN} == {
        "news", "briefing", "statement", "speech", "interview"}
    assert sorted(g["language"] for g in BRIEFINGS) == ["en", "ru"]
    # About half the articles are only on the forbidden second pages ...
    assert len(GOLDEN) // 3 <= len(PAGE_TWO_ONLY) <= 2 * len(GOLDEN) // 3
    assert {_path(g) for g in PAGE_TWO_ONLY} <= _listed("2")
    # ... and every article is in a feed, while no marker is.
    feeds = "".join((SITES / HOST / lang / "rss.php").read_text(encoding="utf-8")
                    for lang in ("en", "ru"))
    assert all(f"<link>{g['url']}</link>" in feeds for g in GOLDEN)
    for marker in MARKERS:
        path = f"{marker['section']}{marker['id']}/"
        assert path in _listed("2") and path not in _listed("1") and path not in feeds
        assert (SITES / HOST / path.strip("/") / "index.html").is_file()
    robots = (SITES / HOST / "robots.txt").read_text(encoding="utf-8")
    assert "Disallow: /*?PAGEN" in robots


def test_briefing_pages_carry_a_table_of_contents() -> None:
    for entry in BRIEFINGS:
        page = (SITES / HOST / _path(entry).strip("/") / "index.html").read_text(encoding="utf-8")
        back = "Back to contents" if entry["language"] == "en" else "Назад к оглавлению"
        assert page.count(back) >= 3 and 'href="#1"' in page
        assert not any(word in entry["body"] for word in TOC_WORDS)


# --------------------------------------------------------------------------- crawling


def test_crawl_reads_page_one_and_the_feeds_but_never_a_pagen_page(app, local_sites) -> None:
    result = crawl(app)
    assert result.exit_code == 0, result.output
    assert f"{SOURCE}: ok" in result.output and "PAGEN" not in result.output
    found = records(app)
    base_urls = local_sites.base_urls
    assert {golden_id(g, base_urls) for g in GOLDEN} == set(found)
    for entry in PAGE_TWO_ONLY:  # reachable only through the RSS feeds
        assert golden_id(entry, base_urls) in found, entry["url"]
    titles = {r.title for r in found.values()}
    for marker in MARKERS:  # reachable only through a robots-forbidden ?PAGEN_1=2 page
        assert marker_id(marker, base_urls) not in found
        assert marker["title"] not in titles


def test_without_the_robots_rule_the_markers_would_be_archived(app, site_copy: Path,
                                                               local_sites) -> None:
    # The control for the test above: the markers are one "next" link away, so their
    # absence there is robots.txt at work, not a link the crawler could not see.
    robots = site_copy / HOST / "robots.txt"
    robots.write_text("".join(line for line in robots.read_text(encoding="utf-8")
                              .splitlines(keepends=True) if "PAGEN" not in line),
                      encoding="utf-8")
    result = crawl(app)
    assert result.exit_code == 0, result.output
    found = records(app)
    assert {marker_id(m, local_sites.base_urls) for m in MARKERS} <= set(found)
    assert len(found) == len(GOLDEN) + len(MARKERS)


def test_robots_txt_forbids_the_second_pages(local_sites) -> None:
    from scrapers.errors import RobotsDisallowed
    from scrapers.fetch import Fetcher
    from scrapers.fetch.settings import FetchSettings

    base = local_sites.base_urls[HOST]
    settings = FetchSettings(allow_private_addresses=True, per_host_delay=0.0, max_retries=0)
    with Fetcher(settings) as fetcher:
        for listing in LISTINGS:
            assert fetcher.get(base + listing).status == 200
            with pytest.raises(RobotsDisallowed):
                fetcher.get(base + listing + "?PAGEN_1=2")
        assert fetcher.get(base + "/en/rss.php").status == 200


def test_records_carry_document_numbers_and_clean_briefings(crawled) -> None:
    app, base_urls = crawled
    found = records(app)
    for entry in GOLDEN:
        record = found[golden_id(entry, base_urls)]
        assert record.document_number == entry.get("document_number"), entry["url"]
        assert record.doc_type == entry["doc_type"], entry["url"]
    for entry in BRIEFINGS:
        record = found[golden_id(entry, base_urls)]
        assert record.paragraphs == entry["body"].split("\n\n")
        assert not any(p in TOC_WORDS for p in record.paragraphs)
        assert not any(p.startswith("#") for p in record.paragraphs)
        # The table of contents repeats every heading; only the headings in the text remain.
        heading = next(a for a in ARTICLES if a["title"] == entry["title"])["parts"][0]["heading"]
        assert record.paragraphs.count(heading) == 1 and record.paragraphs[0] == heading


def test_feed_links_on_the_bare_host_are_the_same_articles(app, site_copy: Path,
                                                           local_sites) -> None:
    # mid.ru also answers without "www"; a feed using that name must not create twins.
    for lang in ("en", "ru"):
        feed = site_copy / HOST / lang / "rss.php"
        text = feed.read_text(encoding="utf-8")
        feed.write_text(text.replace(f"<link>https://{HOST}/", "<link>https://mid.ru/"),
                        encoding="utf-8")
    result = crawl(app)
    assert result.exit_code == 0, result.output
    assert {golden_id(g, local_sites.base_urls) for g in GOLDEN} == set(records(app))


@pytest.mark.parametrize("where", ["listing", "article"])
def test_block_page_is_an_error_and_never_archived(app, site_copy: Path, local_sites,
                                                  where: str) -> None:
    block = site_copy / HOST / "_blockpage.html"
    if where == "listing":
        blocked_path = "/en/foreign_policy/news/"
    else:
        blocked_path = _path(next(g for g in GOLDEN if g["language"] == "ru"
                                  and _path(g) in _listed("1")))
    shutil.copyfile(block, site_copy / HOST / blocked_path.strip("/") / "index.html")

    result = crawl(app)
    assert result.exit_code == 1
    assert "error [blocked]" in result.output and blocked_path in result.output
    found = records(app)
    assert not any("Data processing" in r.body or "Please, wait" in r.title
                   for r in found.values())
    expected = {golden_id(g, local_sites.base_urls) for g in GOLDEN if _path(g) != blocked_path}
    # A blocked listing costs nothing that the feed still lists; a blocked article is missing.
    assert set(found) == expected
    with Archive(Path(app.config["DATA_DIR"]), readonly=True) as archive:
        run = next(r for r in archive.last_runs() if r.source_id == SOURCE)
    assert run.status == "partial" and run.errors == 1


# --------------------------------------------------------------------------- searching


def api(client, **params) -> dict:
    # collapse=0: every text as the golden records list them, language versions included.
    response = client.get("/api/search", query_string={"size": 100, "collapse": 0, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_search_answers_from_the_russian_mfa(client) -> None:
    everything = api(client, source=SOURCE)
    assert everything["total"] == len(GOLDEN)
    assert {hit["language"] for hit in everything["results"]} == {"en", "ru"}

    darchiev = api(client, q="Дарчиевым")
    assert [hit["title"] for hit in darchiev["results"]] == [
        g["title"] for g in GOLDEN if "Дарчиев" in g["body"]]
    assert {hit["source"] for hit in darchiev["results"]} == {SOURCE}

    zakharova = api(client, q="Zakharova", source=SOURCE, type="briefing")
    assert [hit["title"] for hit in zakharova["results"]] == [
        g["title"] for g in BRIEFINGS if g["language"] == "en"]

    serbia = {hit["title"] for hit in api(client, q="Botsan-Kharchenko")["results"]}
    assert {g["title"] for g in GOLDEN if "Botsan-Kharchenko" in g["body"]} <= serbia


def test_table_of_contents_words_are_not_searchable(client) -> None:
    for phrase in ('"Back to contents"', '"Назад к оглавлению"'):
        assert api(client, q=phrase, source=SOURCE)["total"] == 0
