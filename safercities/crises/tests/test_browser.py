"""Real Chromium through the real login page: a city admin declares a crisis from an early-warning alert,
imports the partners' 4W sheet, sees the gap map with the uncovered high-need area, allocates a budget,
reads the equity figures and prints the situation report; axe-core checks every page.

Debian's chromium is driven by Playwright (never ``playwright install``). Screenshots go to
``docs/screenshots/crises-*.png``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.db import connections

from safercities.crises.models import Crisis
from safercities.crises.tests.factories import POPULATIONS, SHEET
from safercities.places.models import AreaPopulation
from safercities.portal.tests.factories import build_small_city

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
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"  # the personas' password (conftest.py)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWO_FACTOR_REQUIRED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page(live_server, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    profile = tempfile.mkdtemp(prefix="sc-chromium-")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            bypass_csp=True,
            viewport={"width": 1280, "height": 900},
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        connections.close_all()
    shutil.rmtree(profile, ignore_errors=True)


def axe(page) -> list[dict]:
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).with_name("axe.min.js")
    page.add_script_tag(path=str(script))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"crises-{name}.png"), full_page=True)


def test_official_declares_imports_allocates_and_reports(page, live_server, city, alice, tmp_path):
    data = build_small_city(city)
    for area in data["areas"]:
        AreaPopulation.objects.create(area=area, year=2024, population=POPULATIONS[area.code])
    problems: dict[str, list] = {}

    def check(name: str) -> None:
        found = axe(page)
        if found:
            problems[name] = found

    # 1. Sign in; the crises list offers the open alert.
    page.goto(f"{live_server.url}/en/crises/testville/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/en/crises/testville/")
    check("list")
    page.click("text=Declare a crisis from this alert")
    page.wait_for_url("**/from-alert/*/")
    assert page.is_checked(f"input[name=areas][value='{data['areas'][0].pk}']")  # the alert's area
    check("declare")
    for area in data["areas"][1:]:
        page.check(f"input[name=areas][value='{area.pk}']")
    page.fill("input[name=name]", "River flood")
    page.select_option("select[name=hazard]", "flood")
    page.fill("input[name=started_on]", "2024-06-01")
    shot(page, "declare")
    page.click("button.primary")
    crisis = Crisis.objects.get(name="River flood")
    page.wait_for_url(f"**/en/crises/testville/{crisis.pk}/")
    assert crisis.alert_id is not None and crisis.areas.count() == 3

    # 2. Import the partners' 4W sheet.
    sheet = tmp_path / "partners-4w.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    page.click("nav.crisis-nav >> text=4W")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("button.primary")
    page.wait_for_selector("text=4 created")
    check("4w")
    shot(page, "4w")

    # 3. The gap map: Centro Claro (A3) has high need and no coverage, outlined on the map.
    page.click("nav.crisis-nav >> text=Situation")
    assert "1 area has high need and no coverage" in page.inner_text("main")
    assert page.locator("figure#gapmap svg path.critical").count() == 1
    assert "high need, no coverage" in page.inner_text("#area-A3")
    check("dashboard")
    shot(page, "dashboard")

    # 4. Allocate a budget and read the equity figures.
    page.click("nav.crisis-nav >> text=Allocation")
    page.fill("input[name=name]", "Floor of 5,000")
    page.fill("input[name=budget]", "100000")
    page.fill("input[name=floor]", "5000")
    page.click("button.primary")
    page.wait_for_selector("text=The scenario was saved.")
    table = page.inner_text("table.compare")
    assert "Concentration index" in table and "Gini" in table
    check("allocation")
    shot(page, "allocation")

    # 5. Preparedness, recovery, and the page in Spanish.
    for name, link in (("checklist", "Preparedness"), ("recovery", "Recovery")):
        page.click(f"nav.crisis-nav >> text={link}")
        check(name)
        shot(page, name)
    page.goto(f"{live_server.url}/es/crises/testville/{crisis.pk}/")
    assert "Necesidad frente a cobertura" in page.inner_text("main")
    check("dashboard-es")

    # 6. Print the situation report for a date, as a page and as a PDF.
    page.goto(f"{live_server.url}/en/crises/testville/{crisis.pk}/")
    page.fill("input[name=date]", "2024-07-01")
    page.click("text=Situation report >> nth=-1")
    page.wait_for_url("**/sitrep/?date=2024-07-01")
    assert "Situation on 2024-07-01" in page.inner_text("body")
    check("sitrep")
    shot(page, "sitrep")
    response = page.request.get(f"{live_server.url}/en/crises/testville/{crisis.pk}/sitrep.pdf?date=2024-07-01")
    assert response.ok and response.body()[:4] == b"%PDF"
    pdf = tmp_path / "sitrep.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Centro Claro" in text and "Floor of 5,000" in text

    # 7. Publish; the public page shows the gap map to an anonymous visitor.
    page.goto(f"{live_server.url}/en/crises/testville/{crisis.pk}/")
    page.click("text=Publish a public page")
    page.wait_for_selector("text=The public page is on.")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/en/crises/testville/{crisis.pk}/public/")
    assert page.locator("figure#gapmap svg path.critical").count() == 1
    check("public")
    shot(page, "public")

    assert not problems, json.dumps(problems, indent=1)
