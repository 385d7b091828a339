"""A visitor explores the small test city in a real Chromium (Debian's, never a downloaded one).

Checks the click path home → city → area on the map → area profile → indicator page in English and
Spanish, runs axe-core on every page (no serious or critical violations), and keeps the pages under
their weight budgets. The test server does not compress, so the budgets are checked on the
uncompressed bytes of the HTML and its assets — stricter than the compressed budget
(docs/portal.md has the compressed figures for the demo city).
"""

from __future__ import annotations

from tests.browser import MARKS, Axe

pytestmark = MARKS
CITY_BUDGET, AREA_BUDGET = 400 * 1024, 250 * 1024


def _explore(page, base: str, lang: str) -> list[str]:
    visited = []
    page.goto(f"{base}/{lang}/")
    assert page.get_attribute("html", "lang") == lang
    page.click("text=Testville")
    page.wait_for_url(f"**/{lang}/cities/testville/")
    visited.append(page.url)
    assert page.locator("h1").inner_text() == "Testville"
    assert "Centro Claro" in page.locator("section.summary").inner_text()
    # Click an area on the map (an SVG link around its path).
    page.locator('figure#m-layer svg a[href$="/areas/A3/"] path').click()
    page.wait_for_url(f"**/{lang}/cities/testville/areas/A3/")
    visited.append(page.url)
    assert page.locator("h1").inner_text() == "Centro Claro"
    page.locator('a[href$="/indicators/unemployment-rate/"]').first.click()
    page.wait_for_url(f"**/{lang}/cities/testville/indicators/unemployment-rate/")
    visited.append(page.url)
    assert "8.5.2" in page.locator("dl.facts").inner_text()
    return visited


def _weight(page, url: str) -> int:
    """Bytes of the HTML and every asset it loads (uncompressed: the test server does not gzip)."""
    page.goto(url, wait_until="load")
    assets = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name).concat([location.href])")
    return sum(len(page.request.get(asset).body()) for asset in set(assets))


def test_visitor_explores_the_city(live_server, city, browser):
    """One browser session for everything (starting Chromium is the slow part)."""
    from safercities.portal.tests.factories import build_small_city

    build_small_city(city)
    page = browser.new_page(bypass_csp=True)
    axe = Axe()
    # 1. The click path in both languages, with axe-core on every page visited.
    for lang in ("en", "es"):
        for url in _explore(page, live_server.url, lang):
            page.goto(url)
            axe.check(page, url)
    for path in ("/en/", "/en/network/", "/en/methodology/", "/en/cities/testville/?layer=fire-incidents"):
        page.goto(live_server.url + path)
        axe.check(page, path)
    axe.assert_clean()

    # 2. Keyboard: the skip link comes first, and an area on the map opens with Enter.
    page.goto(f"{live_server.url}/en/cities/testville/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus('figure#m-layer svg a[href$="/areas/A2/"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/areas/A2/")
    assert page.locator("h1").inner_text() == "Barrio Bravo"

    # 3. The selectors work with JavaScript too (the enhancement submits on change).
    page.goto(f"{live_server.url}/en/cities/testville/")
    page.select_option("#f-layer", "unemployment-rate")
    page.wait_for_url("**layer=unemployment-rate**")
    assert "Unemployment rate" in page.locator("#h-map").inner_text()

    # 4. Page weight (HTML + CSS + JS), uncompressed, against the compressed budgets.
    city_bytes = _weight(page, f"{live_server.url}/en/cities/testville/")
    area_bytes = _weight(page, f"{live_server.url}/en/cities/testville/areas/A3/")
    assert 0 < city_bytes < CITY_BUDGET
    assert 0 < area_bytes < AREA_BUDGET
