"""Real Chromium through the real login page: a city admin declares a crisis from an early-warning alert,
imports the partners' 4W sheet, sees the gap map with the uncovered high-need area, allocates a budget,
reads the equity figures and prints the situation report; axe-core checks every page.

Debian's chromium is driven by Playwright (never ``playwright install``). Screenshots go to
``docs/screenshots/crises-*.png``.
"""

from __future__ import annotations

import subprocess

import pytest

from safercities.crises.models import Crisis
from safercities.crises.tests.factories import POPULATIONS, SHEET
from safercities.places.models import AreaPopulation
from safercities.portal.tests.factories import build_small_city
from tests.browser import MARKS, Axe, open_page, shot, sign_in

pytestmark = MARKS


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWO_FACTOR_REQUIRED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_official_declares_imports_allocates_and_reports(browser, live_server, city, alice, tmp_path):
    page = open_page(browser, bypass_csp=True)
    data = build_small_city(city)
    for area in data["areas"]:
        AreaPopulation.objects.create(area=area, year=2024, population=POPULATIONS[area.code])
    axe = Axe()

    # 1. Sign in; the crises list offers the open alert.
    sign_in(page, live_server, "alice", "/en/crises/testville/")
    axe.check(page, "list")
    page.click("text=Declare a crisis from this alert")
    page.wait_for_url("**/from-alert/*/")
    assert page.is_checked(f"input[name=areas][value='{data['areas'][0].pk}']")  # the alert's area
    axe.check(page, "declare")
    for area in data["areas"][1:]:
        page.check(f"input[name=areas][value='{area.pk}']")
    page.fill("input[name=name]", "River flood")
    page.select_option("select[name=hazard]", "flood")
    page.fill("input[name=started_on]", "2024-06-01")
    shot(page, "crises-declare")
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
    axe.check(page, "4w")
    shot(page, "crises-4w")

    # 3. The gap map: Centro Claro (A3) has high need and no coverage, outlined on the map.
    page.click("nav.crisis-nav >> text=Situation")
    assert "1 area has high need and no coverage" in page.inner_text("main")
    assert page.locator("figure#gapmap svg path.critical").count() == 1
    assert "high need, no coverage" in page.inner_text("#area-A3")
    axe.check(page, "dashboard")
    shot(page, "crises-dashboard")

    # 4. Allocate a budget and read the equity figures.
    page.click("nav.crisis-nav >> text=Allocation")
    page.fill("input[name=name]", "Floor of 5,000")
    page.fill("input[name=budget]", "100000")
    page.fill("input[name=floor]", "5000")
    page.click("button.primary")
    page.wait_for_selector("text=The scenario was saved.")
    table = page.inner_text("table.compare")
    assert "Concentration index" in table and "Gini" in table
    axe.check(page, "allocation")
    shot(page, "crises-allocation")

    # 5. Preparedness, recovery, and the page in Spanish.
    for name, link in (("checklist", "Preparedness"), ("recovery", "Recovery")):
        page.click(f"nav.crisis-nav >> text={link}")
        axe.check(page, name)
        shot(page, f"crises-{name}")
    page.goto(f"{live_server.url}/es/crises/testville/{crisis.pk}/")
    assert "Necesidad frente a cobertura" in page.inner_text("main")
    axe.check(page, "dashboard-es")

    # 6. Print the situation report for a date, as a page and as a PDF.
    page.goto(f"{live_server.url}/en/crises/testville/{crisis.pk}/")
    page.fill("input[name=date]", "2024-07-01")
    page.click("text=Situation report >> nth=-1")
    page.wait_for_url("**/sitrep/?date=2024-07-01")
    assert "Situation on 2024-07-01" in page.inner_text("body")
    axe.check(page, "sitrep")
    shot(page, "crises-sitrep")
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
    axe.check(page, "public")
    shot(page, "crises-public")

    axe.assert_clean()
