"""The document page opened from a search: highlights, "back to results" and the
previous and next results, whatever the result's place and the page size."""

from __future__ import annotations

import re


def ids_of(client, query: str) -> list[str]:
    return [hit["id"] for hit in client.get(f"/api/search?{query}").get_json()["results"]]


def nav(html: str) -> dict[str, str]:
    """The document page's links back, to the previous and to the next result."""
    found = {}
    for name, css in (("back", "back"), ("previous", "previous-result"),
                      ("next", "next-result")):
        link = re.search(rf'class="{css}" href="([^"]+)"', html)
        if link:
            found[name] = link.group(1).replace("&amp;", "&")
    return found


def test_previous_and_next_cross_result_pages_of_any_size(client) -> None:
    ranked = ids_of(client, "q=Serbia&size=20")
    # Result 3 of pages of 3: its next result is the first of page 2.
    html = client.get(f"/communiques/{ranked[2]}?q=Serbia&size=3&hit=3").get_data(as_text=True)
    links = nav(html)
    assert links["back"] == "/?q=Serbia&size=3#hit-3"
    assert links["previous"].startswith(f"/communiques/{ranked[1]}?")
    assert links["next"].startswith(f"/communiques/{ranked[3]}?") and "hit=4" in links["next"]
    html = client.get(f"/communiques/{ranked[3]}?q=Serbia&size=3&hit=4").get_data(as_text=True)
    assert nav(html)["back"] == "/?q=Serbia&size=3&page=2#hit-4"
    assert nav(html)["previous"].startswith(f"/communiques/{ranked[2]}?")


def test_a_deep_or_malformed_place_keeps_highlights_and_the_way_back(client) -> None:
    first = ids_of(client, "q=Lavrov&size=1")[0]
    # Past rank 1000 ("Load more" goes there) or not a number: the page still marks the
    # searched words and leads back to the search.
    for hit in ("1500", "abc", "-3"):
        html = client.get(f"/communiques/{first}?q=Lavrov&hit={hit}").get_data(as_text=True)
        assert '<mark class="match"' in html, hit
        assert nav(html)["back"].startswith("/?q=Lavrov"), hit
        assert "previous" not in nav(html) and "next" not in nav(html), hit


def test_versions_are_a_timeline_with_the_one_shown_marked(tmp_path) -> None:
    from datetime import UTC, datetime

    from test_archive import make_record

    from indexer.archive import Archive
    from indexer.build import update_index
    from webapp import create_app

    with Archive(tmp_path) as archive:
        archive.store(make_record(0, body="Minister Dačić met the ambassador."))
        archive.store(make_record(0, body="Minister Dačić met the ambassador in Belgrade.",
                                  fetched_at=datetime(2026, 2, 1, tzinfo=UTC)))
        update_index(archive, tmp_path)
    client = create_app({"DATA_DIR": str(tmp_path), "TESTING": True, "RATE_LIMIT": "",
                         "WARM_UP": False}).test_client()
    record_id = make_record(0).id
    html = client.get(f"/communiques/{record_id}").get_data(as_text=True)
    timeline = html.split('<ol class="timeline">')[1].split("</ol>")[0]
    entries = re.findall(r'<li( class="current")?><a href="([^"]+)"( aria-current="page")?',
                         timeline)
    assert [(bool(cur), href.endswith(f"version={n}"), bool(aria))
            for n, (cur, href, aria) in enumerate(entries, 1)] == [(False, True, False),
                                                                    (True, True, True)]
    assert "1 Jan 2026" in timeline and "1 Feb 2026" in timeline
    assert 'class="original button" href="https://www.mfa.gov.rs/' in html
    old = client.get(f"/communiques/{record_id}?version=1").get_data(as_text=True)
    assert "archived version 1" in old and "in Belgrade" not in old
    assert re.search(r'<li class="current"><a href="[^"]+version=1" aria-current="page"', old)


def test_exact_clauses_are_highlighted_as_written(client) -> None:
    first = ids_of(client, "q=exact%3A%D0%94%D0%B0%D1%87%D0%B8%D1%9B&size=1")[0]
    html = client.get(f"/communiques/{first}?q=exact%3A%D0%94%D0%B0%D1%87%D0%B8%D1%9B&hit=1"
                      ).get_data(as_text=True)
    marked = re.findall(r"<mark[^>]*>([^<]*)</mark>", html)
    assert marked and set(marked) == {"Дачић"}  # not Dačić, not Дачића
    assert f"{len(marked)} match" in html
