"""Every active constraint of a search is a chip, labelled for people, whose link is the
search without it."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit


def chips(html: str) -> list[tuple[str, str]]:
    """(text, link) of each chip on a search page."""
    found = re.findall(r'<li class="chip[^>]*><a href="([^"]+)"[^>]*>(.*?)</a></li>', html, re.S)
    return [(unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", "", text))).replace("✕", "").strip(),
             unescape(link)) for link, text in found]


def test_every_kind_of_constraint_has_a_named_chip(client) -> None:
    event = client.get("/api/events?size=1").get_json()["events"][0]["id"]
    html = client.get(f"/?q=Lavrov&event={event}&year=2015&ministry_country=RS&exact=1"
                      "&from=2015-01-01&sort=oldest").get_data(as_text=True)
    shown = chips(html)
    texts = [text for text, _ in shown]
    assert sorted(texts) == sorted([
        "Words: Lavrov", "Ministry's country: Serbia", "Year: 2015", f"Event: {event}",
        "Dates: 1 Jan 2015 – …", "Spelling: exact", "Sorted: oldest first"])
    # Each chip's link keeps every other constraint and drops its own.
    for text, link in shown:
        query = parse_qs(urlsplit(link).query)
        kept = {"q", "event", "year", "ministry_country", "exact", "from", "sort"} - set(query)
        assert len(kept) == 1, (text, kept)
