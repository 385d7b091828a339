"""A visitor explores the small test city in a real Chromium (Debian's, never a downloaded one).

Checks the click path home → city → area on the map → area profile → indicator page in English and
Spanish, runs axe-core on every page (no serious or critical violations), and keeps the pages under
their weight budgets. The test server does not compress, so the budgets are checked on the
uncompressed bytes of the HTML and its assets — stricter than the compressed budget
(docs/portal.md has the compressed figures for the demo city).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CITY_BUDGET, AREA_BUDGET = 400 * 1024, 250 * 1024


@pytest.fixture
def browser_page(tmp_path, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for the browser tests (make browser installs it)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, headless=True, bypass_csp=True
        )
        page = context.new_page()
        yield page
        context.close()


@pytest.fixture
def small_city(city, monkeypatch):
    from safercities.portal.tests.factories import build_small_city

    return build_small_city(city)


def _axe(page) -> list[dict]:
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).with_name("axe.min.js")
    page.add_script_tag(path=str(script))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


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


def test_visitor_explores_the_city(live_server, small_city, browser_page):
    """One browser session for everything (starting Chromium is the slow part)."""
    page = browser_page
    problems = {}
    # 1. The click path in both languages, with axe-core on every page visited.
    for lang in ("en", "es"):
        for url in _explore(page, live_server.url, lang):
            page.goto(url)
            found = _axe(page)
            if found:
                problems[url] = found
    for path in ("/en/", "/en/network/", "/en/methodology/", "/en/cities/testville/?layer=fire-incidents"):
        page.goto(live_server.url + path)
        found = _axe(page)
        if found:
            problems[path] = found
    assert not problems, json.dumps(problems, indent=1)

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
