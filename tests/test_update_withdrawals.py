"""Withdrawals found by scheduled updates (issue 15), against the fixture sites over
loopback: an article dropped from a listing the crawl re-read is fetched, withdrawn only if
the fetch says it is gone (404/410), left alone if it is still there (200), and not even
asked about when it only moved to a listing page the crawl did not re-read; a withdrawn
page is marked on every surface with its day, and one that comes back is reinstated with
its withdrawal kept in its history."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
from conftest import run_cli
from flask import Flask

from indexer.archive import Archive

CHINA = "www.fmprc.gov.cn"
NEWS = Path(CHINA, "eng/xw/zyxw")
# The Chinese news listing, as the fixture has it: page 1 (index.html) names four
# articles, the last of which page 2 (index_1.html) names again.
DROPPED = "202609/t20260903_11998120.html"  # second on page 1
LAST_ON_PAGE_1 = "202605/t20260519_11962410.html"  # also first on page 2
ON_PAGE_3 = "202401/t20240117_11225563.html"


def china_run(app: Flask, *args: str) -> dict:
    """Update China now; its newest run's figures as `status --json` gives them."""
    result = run_cli(app, "update", "--source", "china-mfa", "--log-format", "json", *args)
    assert result.exit_code == 0, result.output
    status = json.loads(run_cli(app, "status", "--json").output)
    return next(s for s in status["sources"] if s["id"] == "china-mfa")["runs"][0]


def unlist(site_copy: Path, listing: str, article: str) -> None:
    """Take an article's item out of a listing page (the page itself stays)."""
    page = site_copy / NEWS / listing
    html = page.read_text(encoding="utf-8")
    edited = re.sub(rf'\s*<li><a href="\./{re.escape(article)}"[^\n]*</li>', "", html)
    assert edited != html, f"{article} is listed on {listing}"
    page.write_text(edited, encoding="utf-8")


def archived_id(app: Flask, article: str) -> tuple[str, str]:
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        [(cid, title)] = [(r.id, r.title) for r in archive.all_current()
                          if r.url.endswith(article)]
    return cid, title


def test_an_article_dropped_from_its_listing_and_gone_is_withdrawn_found_and_marked(
        app: Flask, site_copy: Path) -> None:
    first = china_run(app)
    assert first["withdrawn"] == 0
    cid, title = archived_id(app, DROPPED)
    unlist(site_copy, "index.html", DROPPED)
    (site_copy / NEWS / DROPPED).unlink()

    run = china_run(app)  # not --recheck: nothing else is due a re-check
    assert run["withdrawn"] == 1 and run["new"] == run["changed"] == 0
    assert run["article_requests"] == 1  # the one fetch that confirmed it gone
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert archive.count() == first["new"]  # kept
        assert list(archive.withdrawn_ids()) == [cid]
        when, reason = archive.withdrawn(cid)  # type: ignore[misc]
        assert reason == "no longer listed; HTTP 404"
    day, long_day = when.date().isoformat(), when.strftime("%-d %B %Y")

    client = app.test_client()
    # Still found, with the mark, in the API hit and its document...
    hits = client.get("/api/search", query_string={"q": f'"{title}"'}).get_json()["results"]
    hit = next(h for h in hits if h["id"] == cid)
    assert hit["withdrawn"] == day
    assert all(h["withdrawn"] is None for h in hits if h["id"] != cid)
    document = client.get(f"/api/communiques/{cid}").get_json()
    assert document["withdrawn"] == day
    assert document["withdrawals"] == [{"withdrawn": when.isoformat(), "reinstated": None,
                                        "reason": reason}]
    # ... on the search page's card (and only on its card) ...
    page = client.get("/", query_string={"q": f'"{title}"'}).get_data(as_text=True)
    cards = re.findall(r'<li class="hit".*?</li>\n', page, re.S)
    marked = [c for c in cards if "badge withdrawn" in c]
    assert len(marked) == 1 and f"/communiques/{cid}" in marked[0]
    assert f'<time datetime="{day}">{long_day}</time>' in marked[0]
    # ... in an embed, on the document page, and in the feed.
    embed = client.get("/embed", query_string={"q": f'"{title}"'}).get_data(as_text=True)
    assert f"Withdrawn from the ministry's site on <time datetime=\"{day}\">" in embed
    assert "Withdrawn on" in client.get(f"/communiques/{cid}").get_data(as_text=True)
    feed = feedparser.parse(client.get("/feed.atom?source=china-mfa").get_data())
    entry = next(e for e in feed.entries if e.id == f"urn:communique-search:{cid}")
    assert entry.title == f"[Withdrawn {day}] {title}"
    assert client.get("/api/search?status=withdrawn").get_json()["total"] == 1

    # Settled: the next run does not ask again.
    again = china_run(app)
    assert again["article_requests"] == 0 and again["withdrawn"] == 0


def test_an_article_dropped_from_its_listing_but_still_there_is_not_withdrawn(
        app: Flask, site_copy: Path) -> None:
    china_run(app)
    cid, _ = archived_id(app, DROPPED)
    unlist(site_copy, "index.html", DROPPED)

    run = china_run(app)
    assert run["unlisted"] == 1 and run["withdrawn"] == 0
    assert run["article_requests"] == 1
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert archive.withdrawn_ids() == {}
    # Only unlisted: checked once, then no longer the listing's to watch.
    assert china_run(app)["article_requests"] == 0


def test_an_article_that_moved_to_a_page_not_re_read_is_not_checked(
        app: Flask, site_copy: Path) -> None:
    china_run(app)
    # The last item of page 1 now stands only on page 2, and an article on page 3 is gone
    # from the site: neither is on the part of the listing the next run reads (page 1,
    # where every article is known), so neither may be taken for dropped.
    unlist(site_copy, "index.html", LAST_ON_PAGE_1)
    (site_copy / NEWS / LAST_ON_PAGE_1).unlink()
    (site_copy / NEWS / ON_PAGE_3).unlink()

    run = china_run(app)
    assert run["withdrawn"] == run["unlisted"] == 0
    assert run["article_requests"] == 0
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert archive.withdrawn_ids() == {}


def test_a_withdrawn_page_that_comes_back_is_reinstated_with_its_history(
        app: Flask, site_copy: Path) -> None:
    china_run(app)
    same = site_copy / NEWS / DROPPED  # comes back as it was
    edited = site_copy / NEWS / LAST_ON_PAGE_1  # comes back changed
    kept = {path: path.read_text(encoding="utf-8") for path in (same, edited)}
    ids = {path: archived_id(app, str(path.relative_to(site_copy / NEWS)))[0]
           for path in (same, edited)}
    for path in kept:
        path.unlink()
    assert china_run(app, "--recheck")["withdrawn"] == 2
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        gone = {path: archive.withdrawn(ids[path])[0]  # type: ignore[index]
                for path in kept}
    client = app.test_client()
    assert client.get("/api/search?status=withdrawn").get_json()["total"] == 2

    same.write_text(kept[same], encoding="utf-8")
    edited.write_text(kept[edited].replace("<p>", "<p>Restored with a note. ", 1),
                      encoding="utf-8")
    run = china_run(app, "--recheck")
    assert run["reinstated"] == 2 and run["withdrawn"] == 0 and run["changed"] == 1

    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert archive.withdrawn_ids() == {}
        for path in kept:
            [(at, back, reason)] = archive.withdrawal_history(ids[path])
            assert at == gone[path] and back is not None and back > at
            assert reason == "HTTP 404"
        assert len(archive.versions(ids[same])) == 1  # the 304: nothing new to keep
        assert len(archive.versions(ids[edited])) == 2
    assert client.get("/api/search?status=withdrawn").get_json()["total"] == 0
    # The feed shows their entries again, as of the day they came back, titled plainly.
    feed = feedparser.parse(client.get("/feed.atom?source=china-mfa").get_data())
    entries = {e.id: e for e in feed.entries}
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        for path in kept:
            entry = entries[f"urn:communique-search:{ids[path]}"]
            back = archive.withdrawal_history(ids[path])[0][1]
            assert back is not None and not entry.title.startswith("[Withdrawn")
            assert entry.updated.startswith(back.isoformat(timespec="seconds")[:19])
    for path in kept:
        document = client.get(f"/api/communiques/{ids[path]}").get_json()
        assert document["withdrawn"] is None
        assert [w["reason"] for w in document["withdrawals"]] == ["HTTP 404"]
        assert document["withdrawals"][0]["reinstated"] is not None
        page = client.get(f"/communiques/{ids[path]}").get_data(as_text=True)
        assert "Withdrawn on" not in page
        assert (f"Withdrawn from <time datetime=\"{gone[path].isoformat()}\">"
                f"{gone[path].strftime('%-d %B %Y')}</time> to") in page
        assert "it is back on the ministry's site" in page


def test_an_article_dropped_from_a_feed_and_gone_is_withdrawn(
        app: Flask, site_copy: Path) -> None:
    """The Russian English RSS feed is the only place naming one speech; another item it
    drops is still on the news listing, so it is not dropped from the site's view."""
    first = run_cli(app, "update", "--source", "russia-mid")
    assert first.exit_code == 0, first.output
    only_in_feed = "en/press_service/minister_speeches/2046312/"
    also_listed = "en/press_service/minister_speeches/2050231/"
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        [cid] = [r.id for r in archive.all_current() if r.url.endswith(only_in_feed)]
    feed = site_copy / "www.mid.ru/en/rss.php"
    xml = feed.read_text(encoding="utf-8")
    for article in (only_in_feed, also_listed):
        shorter = re.sub(rf"\s*<item>\s*<title>[^<]*</title>\s*<link>[^<]*{article}</link>"
                         r".*?</item>", "", xml, count=1, flags=re.S)
        assert shorter != xml
        xml = shorter
        (site_copy / "www.mid.ru" / article / "index.html").unlink()
    feed.write_text(xml, encoding="utf-8")

    result = run_cli(app, "update", "--source", "russia-mid")
    assert result.exit_code == 0, result.output
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert list(archive.withdrawn_ids()) == [cid]
        assert archive.withdrawn(cid)[1] == "no longer listed; HTTP 404"  # type: ignore[index]
    hit = app.test_client().get("/api/search?status=withdrawn").get_json()["results"][0]
    assert hit["id"] == cid and hit["withdrawn"] is not None


def test_an_article_the_site_says_is_gone_is_withdrawn(app: Flask, site_copy: Path) -> None:
    """fmprc.gov.cn answers a removed article with a redirect to a page saying it does not
    exist (HTTP 200): its definition's gone markers make that a withdrawal, whether the
    article was dropped from its listing or is re-checked; a listing page so answering
    stays an error."""
    china_run(app)
    rechecked = "202607/t20260722_11990356.html"
    ids = {article: archived_id(app, article)[0] for article in (DROPPED, rechecked)}
    sidecar = site_copy / CHINA / "_headers.json"
    headers = json.loads(sidecar.read_text(encoding="utf-8"))
    for article in (DROPPED, rechecked):
        headers[f"/{NEWS.relative_to(CHINA).as_posix()}/{article}"] = {
            "status": 302, "headers": {"Location": "/web/system/index_17321.shtml"}}
    sidecar.write_text(json.dumps(headers), encoding="utf-8")
    unlist(site_copy, "index.html", DROPPED)

    run = china_run(app)
    assert run["withdrawn"] == 1 and run["errors"] == 0
    run = china_run(app, "--recheck")
    assert run["withdrawn"] == 1 and run["errors"] == 0
    with Archive(app.config["DATA_DIR"], readonly=True) as archive:
        assert set(archive.withdrawn_ids()) == set(ids.values())
        reasons = {a: archive.withdrawn(i)[1] for a, i in ids.items()}  # type: ignore[index]
    said = "the site says the page does not exist (HTTP 200)"
    assert reasons == {DROPPED: f"no longer listed; {said}", rechecked: said}
