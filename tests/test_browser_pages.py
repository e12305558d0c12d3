"""The pages as a new user meets them, in real headless Chromium: every page type (search,
zero results, document, official, officials, country, pair, events, event, status, help,
a query error and a 404) at
1280 px and at 390 px in the light and the dark theme (screenshots, no sideways
scrolling, axe-core with no serious or critical violation, colour contrast included),
and what issue 14 asked of them: the phone's Filters sheet, chips for every constraint,
"did you mean" and drop-a-filter hints, the date chart's axis, the pager, Load more,
the document's highlights and navigation, links between officials, countries and pairs,
the officials list, and the keyboard.

Set COMMUNIQUES_SCREENSHOT_DIR to also write the README's two screenshots there
(`COMMUNIQUES_SCREENSHOT_DIR=docs/screenshots pytest tests/test_browser_pages.py -k readme`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from browsers import launch, require_chromium, served

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
pytestmark = pytest.mark.browser

require_chromium()


@pytest.fixture(scope="module")
def base_url(crawled) -> Iterator[str]:
    """The app served by waitress on a loopback port, in a background thread."""
    with served(crawled[0]) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def open_context(browser, viewport: dict | None = None, scheme: str = "light", **options):
    # bypass_csp: axe-core is injected as an inline script, which the pages' CSP forbids.
    return browser.new_context(viewport=viewport or DESKTOP, color_scheme=scheme,
                               is_mobile=(viewport or DESKTOP)["width"] < 500,
                               bypass_csp=True, reduced_motion="reduce", **options)


@pytest.fixture
def page(browser):
    context = open_context(browser)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")
    return list(found)


def count_of(page) -> int:
    first = page.inner_text("#result-count").split()[0]
    return int(first) if first.isdigit() else 0


def api(page, base_url: str, query: str) -> dict:
    return page.request.get(f"{base_url}/api/search?{query}").json()


def document_url(page, base_url: str) -> str:
    """A document opened from a search for Lavrov (its second result)."""
    page.goto(base_url + "/?q=Lavrov")
    return base_url + page.locator("li.hit h2 a").nth(1).get_attribute("href")


PAGE_TYPES = {
    "search": "/?q=Serbia",
    "search-zero": "/?q=Lavrof",
    "official": "/officials/ivica-dacic",
    "officials": "/officials",
    "pair": "/countries/RS/RU",
    "country": "/countries/RS",
    "help": "/help",
    "events": "/events",
    "status": "/status",
    "query-error": '/?q=%22unclosed',
    "not-found": "/countries/Atlantis",
}
STATUS = {"query-error": 400, "not-found": 404}  # the others answer 200


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_every_page_type_reads_well_and_passes_axe(browser, base_url: str, scheme: str,
                                                  viewport: dict, tmp_path: Path) -> None:
    context = open_context(browser, viewport, scheme)
    page = context.new_page()
    event_id = page.request.get(f"{base_url}/api/events?size=1").json()["events"][0]["id"]
    urls = {**{name: base_url + path for name, path in PAGE_TYPES.items()},
            "document": document_url(page, base_url), "event": f"{base_url}/events/{event_id}"}
    problems = {}
    for name, url in urls.items():
        response = page.goto(url)
        assert response is not None and response.status == STATUS.get(name, 200), name
        shot = tmp_path / f"{name}-{viewport['width']}-{scheme}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000  # something was drawn
        # Nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
        if violations := axe_violations(page):
            problems[name] = violations
    # The phone's filter sheet, open.
    if viewport is PHONE:
        page.goto(urls["search"])
        page.click("#filters-toggle")
        page.screenshot(path=str(tmp_path / f"sheet-390-{scheme}.png"))
        if violations := axe_violations(page):
            problems["sheet"] = violations
    # The theme is the system's: dark pages are dark.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert (sum(channels) < 150) == (scheme == "dark"), background
    context.close()
    assert problems == {}


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours (opaque)."""
    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_bars_fields_and_matches_are_seen_without_text_contrast(
        browser, base_url: str, scheme: str) -> None:
    """What axe does not check: the chart's bars (every state) and the form fields'
    borders at 3:1 against the page (WCAG 1.4.11), matches marked by more than colour."""
    context = open_context(browser, DESKTOP, scheme)
    page = context.new_page()
    page.goto(base_url + "/?q=Serbia&from=2018-01-01&to=2019-12-31")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    fill = "(sel) => getComputedStyle(document.querySelector(sel)).fill"
    colours = {
        "in range": page.evaluate(fill, "#histogram a.bar.in-range rect"),
        "out of range": page.evaluate(fill, "#histogram a.bar.out-of-range rect"),
        "search box border": page.evaluate("getComputedStyle(document.getElementById('q'))"
                                           ".borderTopColor"),
    }
    page.goto(base_url + "/?q=Serbia")
    colours["bar"] = page.evaluate(fill, "#histogram a.bar rect")
    low = {name: round(contrast(colour, background), 2) for name, colour in colours.items()
           if contrast(colour, background) < 3}
    assert low == {}
    assert int(page.evaluate("getComputedStyle(document.querySelector('li.hit mark'))"
                             ".fontWeight")) >= 600
    context.close()


def test_phone_filters_open_in_a_sheet_over_the_results(browser, base_url: str) -> None:
    context = open_context(browser, PHONE)
    page = context.new_page()
    page.goto(base_url + "/?q=Lavrov")
    toggle = page.locator("#filters-toggle")
    assert re.fullmatch(r"Filters\s*\(0\)", toggle.inner_text().strip())
    # Results first; the button is in the search bar that stays at the top.
    assert not page.locator("#filters").is_visible()
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(100)
    box = toggle.bounding_box()
    assert box is not None and 0 <= box["y"] < 844
    toggle.click()
    sheet = page.locator("#filters")
    assert sheet.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    english = page.locator("#facet-language label", has_text="English")
    expected = int(english.locator(".n").inner_text())
    english.locator("input").check()
    assert "language=" not in page.url  # ticked, not yet applied: more can be ticked
    page.locator("#filters button.apply").click()
    page.wait_for_url("**language=en**")
    assert count_of(page) == expected
    # Fields left at their defaults stay out of the link.
    assert parse_qs(urlsplit(page.url).query, keep_blank_values=True) == {
        "q": ["Lavrov"], "language": ["en"]}
    assert re.fullmatch(r"Filters\s*\(1\)", page.locator("#filters-toggle").inner_text().strip())
    # The keyboard stays in the open sheet: tabbing past its last control comes back to
    # it, never to the results hidden under it.
    page.click("#filters-toggle")
    for _ in range(page.locator("#filters a, #filters input, #filters button").count() + 3):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('#filters')")
    # Escape closes the sheet and gives focus back to the button.
    page.keyboard.press("Escape")
    assert not page.locator("#filters").is_visible()
    assert page.evaluate("document.activeElement.id") == "filters-toggle"
    context.close()


def test_phone_sheet_works_without_javascript(browser, base_url: str) -> None:
    context = open_context(browser, PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/?q=Serbia")
    assert not page.locator("#filters").is_visible()
    page.click("#filters-toggle")  # a link to #filters: :target opens the sheet
    assert page.locator("#facet-type").is_visible()
    page.locator("#facet-type input[value=statement]").check()
    page.locator("#filters button.apply").click()
    page.wait_for_url("**type=statement**")
    assert set(page.locator("li.hit .doctype").all_inner_texts()) == {"statement"}
    context.close()


def test_every_constraint_is_a_removable_chip(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Serbia&language=en&type=statement&from=2018-01-01&to=2019-12-31"
              "&exact=1&sort=newest")
    chips = page.locator(".chips li")
    kinds = [c.get_attribute("class").split("chip-")[1] for c in chips.all()]
    assert kinds == ["q", "language", "type", "dates", "exact", "sort"]
    assert "1 Jan 2018 – 31 Dec 2019" in page.inner_text(".chip-dates")
    before = count_of(page)
    page.locator(".chip-dates a").click()
    page.wait_for_load_state()
    query = parse_qs(urlsplit(page.url).query)
    assert "from" not in query and "to" not in query and query["language"] == ["en"]
    assert count_of(page) >= before
    page.locator(".chip-q a").click()
    page.wait_for_load_state()
    assert "q" not in parse_qs(urlsplit(page.url).query)
    page.locator("a.clear-all").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).query == "" and page.locator(".chips").count() == 0


def test_long_values_never_widen_the_phone_page(browser, base_url: str) -> None:
    """A pasted paragraph or an unbroken string as the query or a filter value is cut
    short in its chip; nothing scrolls sideways."""
    context = open_context(browser, PHONE)
    page = context.new_page()
    long_word = "x" * 400
    for query in (f"q={long_word}", f"q=Lavrov&official={'Abcdefghij' * 25}",
                  f"q={'Lavrov ' * 60}&language=en"):
        page.goto(f"{base_url}/?{query}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], query
        for chip in page.locator(".chips a").all():
            box = chip.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"]
            assert box["height"] < 40, query  # one line, not a column of letters
    context.close()


def test_did_you_mean_from_the_index_and_the_registry(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Lavrof")
    assert "No communiqués found" in page.inner_text("#result-count")
    offered = page.locator("#did-you-mean a").all_inner_texts()
    assert offered[:2] == ["Lavrov", "Sergey Lavrov"]
    page.locator("#did-you-mean a", has_text="Lavrov").first.click()
    page.wait_for_url("**q=Lavrov**")
    assert count_of(page) == api(page, base_url, "q=Lavrov")["total"] > 0
    # Exact spelling: Дачич (the Russian spelling) finds one; the Serbian Дачић, many.
    page.goto(base_url + "/?q=%D0%94%D0%B0%D1%87%D0%B8%D1%87&exact=1")
    assert page.locator("#did-you-mean a").first.inner_text() == "Дачић"
    page.locator("#did-you-mean a").first.click()
    page.wait_for_load_state()
    assert "exact=1" in page.url and count_of(page) > 3


def test_a_filter_that_empties_the_results_is_named_with_the_count_without_it(
        page, base_url: str) -> None:
    # A document type that no communiqué naming Lavrov has.
    everything = api(page, base_url, "size=1&facet_size=50")["facets"]["type"]["values"]
    lavrov = {v["value"] for v in api(page, base_url, "q=Lavrov&size=1&facet_size=50")
              ["facets"]["type"]["values"] if v["count"]}
    empty = next(v["value"] for v in everything if v["value"] not in lavrov)
    page.goto(base_url + f"/?q=Lavrov&type={empty}&language=en")
    assert count_of(page) == 0
    hints = page.locator("#drop-hints li")
    assert hints.count() == 1  # dropping the language alone still finds nothing
    without = api(page, base_url, "q=Lavrov&language=en")["total"]
    assert f"{without} communiqué" in hints.first.inner_text()
    hints.first.locator("a").click()
    page.wait_for_load_state()
    assert count_of(page) == without


def test_date_chart_has_axes_counts_and_the_chosen_range(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Serbia")
    bars = page.locator("#histogram a.bar")
    counts = [int(b.get_attribute("data-count")) for b in bars.all()]
    years = [b.get_attribute("data-from")[:4] for b in bars.all()]
    labels = [t for t in page.locator("#histogram-figure .x-axis b").all_inner_texts()]
    assert len(labels) >= 3 and labels[0] == years[0] and set(labels) <= set(years)
    ticks = page.locator("#histogram-figure .y-axis .tick").all_inner_texts()
    assert ticks[0] == str(max(counts)) and ticks[-1] == "0"
    # Each bar's count for screen readers, and on hover.
    assert bars.first.get_attribute("aria-label") == \
        f"{years[0]}: {counts[0]} communiqué{'' if counts[0] == 1 else 's'}"
    bars.nth(2).hover()
    assert page.inner_text("#histogram-figure .readout") == bars.nth(2).get_attribute("data-label")
    # A chosen range: the chart still spans all dates, the range highlighted.
    page.goto(base_url + f"/?q=Serbia&from={years[1]}&to={years[2]}")
    assert page.locator("#histogram a.bar").count() == len(counts)
    selected = [b.get_attribute("data-from")[:4]
                for b in page.locator("#histogram a.bar.in-range").all()]
    assert selected == years[1:3]
    assert page.locator("#histogram a.bar.out-of-range").count() == len(counts) - 2
    assert f"1 Jan {years[1]} – 31 Dec {years[2]}" in page.inner_text(".range-note")


def test_pager_has_first_last_and_a_window(page, base_url: str) -> None:
    total = api(page, base_url, "q=Serbia&size=1")["total"]
    pages = -(-total // 5)
    assert pages >= 10
    page.goto(base_url + "/?q=Serbia&size=5&page=6")
    pager = page.locator("nav.pager")
    numbers = [t for t in pager.locator("a, span").all_inner_texts()]
    assert numbers[:2] == ["« First", "‹ Previous"] and numbers[-2:] == ["Next ›", "Last »"]
    assert numbers[2:-2] == ["1", "…", "4", "5", "6", "7", "8", "…", str(pages)]
    assert pager.locator("[aria-current=page]").inner_text() == "6"
    pager.locator("a.last").click()
    page.wait_for_url(f"**page={pages}**")
    assert page.locator("nav.pager [aria-current=page]").inner_text() == str(pages)


def test_load_more_walks_the_api_cursor(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Serbia&sort=newest")
    first_ids = [a.get_attribute("href").split("?")[0] for a in page.locator("li.hit h2 a").all()]
    page.click("#load-more")
    page.locator("li.hit").nth(19).wait_for()
    ids = [a.get_attribute("href").split("?")[0].rsplit("/", 1)[1]
           for a in page.locator("li.hit h2 a").all()]
    expected = [hit["id"] for hit in api(page, base_url, "q=Serbia&sort=newest&size=20")["results"]]
    assert ids == expected and len(set(ids)) == 20 and first_ids[0].endswith(ids[0])
    assert page.locator("li.hit").nth(10).get_attribute("id") == "hit-11"
    # A loaded card carries the search to the document like the others.
    assert "hit=11" in page.locator("li.hit h2 a").nth(10).get_attribute("href")
    assert "20 of" in page.inner_text("#load-more-status")


def test_document_highlights_the_search_and_leads_back(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Lavrov&language=en")
    titles = page.locator("li.hit h2 a").all_inner_texts()
    page.locator("li.hit h2 a").nth(1).click()
    page.wait_for_selector("article.document")
    marks = page.locator("article.document .body mark").all_inner_texts()
    assert marks and all(re.fullmatch(r"Lavrov\w*", m) for m in marks)
    assert f"{len(page.locator('article.document mark').all())} match" in \
        page.inner_text("#highlight-note")
    assert page.locator("a.original").is_visible()
    assert "Result 2 of" in page.inner_text(".doc-nav")
    page.locator("a.next-result").click()
    page.wait_for_selector("article.document")
    assert page.inner_text("article.document h1") == titles[2]
    page.locator("a.previous-result").click()
    page.wait_for_selector("article.document")
    assert page.inner_text("article.document h1") == titles[1]
    page.locator("a.back").click()
    page.wait_for_selector("li.hit")
    query = parse_qs(urlsplit(page.url).query)
    assert query["q"] == ["Lavrov"] and query["language"] == ["en"]


def test_names_link_to_officials_countries_and_pairs(page, base_url: str) -> None:
    page.goto(base_url + "/?q=Lavrov")
    page.locator("li.hit .officials a", has_text="Sergey Lavrov").first.click()
    page.wait_for_url("**/officials/sergey-lavrov")
    page.goto(document_url(page, base_url))
    page.locator("dd.countries a", has_text="Serbia").click()
    page.wait_for_url("**/countries/RS")
    assert page.inner_text("h1") == "Serbia"
    page.locator("#pairs a", has_text="Serbia + Russia").click()
    page.wait_for_url("**/countries/RS/RU")
    assert page.inner_text("h1") == "Serbia and Russia"
    by_code = page.inner_text("#pair-count")
    # Names in any script reach the same pair.
    for path in ("/countries/Serbia/Russia", "/countries/%D0%A1%D1%80%D0%B1%D0%B8%D1%98%D0%B0/RU",
                 "/countries/Srbija/Rusija", "/countries/rs/ru"):
        response = page.goto(base_url + path)
        assert response is not None and response.status == 200, path
        assert page.inner_text("h1") == "Serbia and Russia"
        assert page.inner_text("#pair-count") == by_code
    # From the facets: with one country chosen, every other is a pair.
    page.goto(base_url + "/?country=Serbia")
    page.locator("#facet-country a.pair-link", has_text="Serbia + Russia").click()
    page.wait_for_url("**/countries/RS/RU")


def test_officials_list_shows_officials_named_by_country_with_role_and_count(
        page, base_url: str) -> None:
    page.goto(base_url + "/officials")
    groups = page.locator("#officials-groups section")
    headings = [h.split("\n")[0] for h in groups.locator("h2").all_inner_texts()]
    assert "Serbia" in " ".join(headings) and "Russia" in " ".join(headings)
    serbia = groups.filter(has=page.locator("h2", has_text=re.compile(r"^Serbia\b")))
    dacic = serbia.locator("li", has_text="Ivica Dačić")
    assert int(dacic.locator(".n").inner_text()) == api(
        page, base_url, "official=Ivica+Da%C4%8Di%C4%87&size=1")["total"]
    assert dacic.locator(".role").inner_text()  # the office held
    # Only officials named at least once; people with no office are not listed at all.
    assert all(int(n) > 0 for n in page.locator("#officials-groups .people .n").all_inner_texts())
    officials_text = page.inner_text("main")
    for not_an_official in ("Navalny", "Khashoggi", "Magnitsky"):
        assert not_an_official not in officials_text
    # Filtered as you type, in any script.
    page.fill("#officials-filter", "дачић")
    visible = [li for li in page.locator("#officials-groups li").all() if li.is_visible()]
    assert [li.locator("a").inner_text() for li in visible] == ["Ivica Dačić"]
    assert "1 of" in page.inner_text("#officials-shown")


def test_keyboard_slash_skip_link_and_visible_focus(page, base_url: str) -> None:
    for path in ("/?q=Serbia", "/officials/ivica-dacic"):
        page.goto(base_url + path)
        page.locator("body").click(position={"x": 5, "y": 300})
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.type") == "search", path
    page.goto(base_url + "/?q=Serbia")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The first stop after skipping is inside the results, and focus shows.
    assert page.evaluate("!!document.activeElement.closest('#results')")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # Facet values announce their counts.
    label = page.locator("#facet-language li label").first
    assert re.search(r", \d+ communiqués?$", label.locator(".visually-hidden").inner_text())


def test_readme_screenshots(browser, base_url: str, tmp_path: Path) -> None:
    """The README's two pictures: the search page at 1280 px (light) and the phone's
    filter sheet at 390 px (dark); written to COMMUNIQUES_SCREENSHOT_DIR when set."""
    target = Path(os.environ.get("COMMUNIQUES_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    context = open_context(browser, DESKTOP, "light")
    page = context.new_page()
    page.goto(base_url + "/?q=Lavrov&country=Serbia")
    page.evaluate("document.activeElement.blur()")
    page.screenshot(path=str(target / "search-1280-light.png"))
    context.close()
    context = open_context(browser, PHONE, "dark")
    page = context.new_page()
    page.goto(base_url + "/?q=Lavrov&language=en")
    page.click("#filters-toggle")
    page.screenshot(path=str(target / "filters-390-dark.png"))
    context.close()
    for name in ("search-1280-light.png", "filters-390-dark.png"):
        assert 5_000 < (target / name).stat().st_size < 300_000
