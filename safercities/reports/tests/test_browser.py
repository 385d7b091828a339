"""Residents file reports with JavaScript OFF (English and Spanish) in Debian's Chromium, follow them by
the tracking link, and see the official's public answer; an official moderates, routes, answers and
resolves. The form is screenshot at 320 px and checked with axe-core."""

from __future__ import annotations

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
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture
def browser(monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for the browser tests (make browser installs it)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def world(city, settings, tmp_path):
    from django.core.cache import cache

    from safercities.portal.tests.factories import build_small_city
    from safercities.reports.tests.factories import setup_categories

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWO_FACTOR_REQUIRED = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    build_small_city(city)
    return setup_categories(city)


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


def _file_report(page, base: str, lang: str, text: str) -> str:
    page.goto(f"{base}/{lang}/reports/testville/new/")
    assert page.get_attribute("html", "lang") == lang
    page.select_option("select[name=category]", "lighting")
    page.fill("textarea[name=description]", text)
    page.select_option("select[name=area]", "A1")
    page.fill("input[name=contact_email]", f"resident-{lang}@example.org")
    page.check("input[name=consent]")
    page.click("form.report-form button[type=submit]")
    page.wait_for_url("**/reports/track/**")
    return page.url


def _staff_context(browser, base: str, user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    return context


def test_residents_report_without_javascript_and_an_official_answers(live_server, world, browser, ana):
    from safercities.reports.models import Report

    base = live_server.url
    resident = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 900})
    page = resident.new_page()
    # The form at 320 px: no horizontal scrolling, a screenshot for the docs.
    page.goto(f"{base}/en/reports/testville/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert not page.locator(".js-only").is_visible()  # the map needs JavaScript; the area list does not
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reports-form-320.png"), full_page=True)
    english = _file_report(page, base, "en", "The street lamp at the corner of Elm St is broken.")
    assert "Thank you: your report was received" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.screenshot(path=str(SHOTS / "reports-track-320.png"), full_page=True)
    spanish = _file_report(page, base, "es", "La luminaria de la esquina está rota desde hace días.")
    assert "Gracias: recibimos su reporte" in page.content()
    assert Report.objects.count() == 2

    # The official works on the English report: publish (redacted), route, answer, resolve.
    report = Report.objects.get(description__contains="Elm St")
    staff = _staff_context(browser, base, ana).new_page()
    staff.set_viewport_size({"width": 1200, "height": 1000})
    staff.goto(f"{base}/en/reports/testville/queue/")
    staff.click(f"text={report.reference}")
    staff.fill("textarea[name=public_text]", "A street lamp is broken.")
    staff.click("form[action$='/publish/'] button")
    staff.select_option("select[name=department]", label="Public works")
    staff.click("form[action$='/assign/'] button")
    staff.select_option("select[name=status]", "acknowledged")
    staff.fill("textarea[name=text]", "A crew will repair it tomorrow.")
    staff.click("form[action$='/update/'] button")
    staff.screenshot(path=str(SHOTS / "reports-manage.png"), full_page=True)
    staff.select_option("select[name=status]", "resolved")
    staff.fill("textarea[name=text]", "Repaired.")
    staff.click("form[action$='/update/'] button")
    report.refresh_from_db()
    assert (report.status, report.moderation, report.department.name) == ("resolved", "published", "Public works")
    staff.goto(f"{base}/en/reports/testville/queue/")
    staff.screenshot(path=str(SHOTS / "reports-queue.png"), full_page=True)

    # The resident follows the private link and sees the answer; the public page shows the redacted text.
    page.goto(english)
    html = page.content()
    assert "A crew will repair it tomorrow." in html and "Repaired." in html
    page.goto(f"{base}/en/reports/testville/{report.reference}/")
    assert "A street lamp is broken." in page.content() and "Elm St" not in page.content()
    page.set_viewport_size({"width": 800, "height": 900})
    page.screenshot(path=str(SHOTS / "reports-detail.png"), full_page=True)
    page.goto(f"{base}/en/reports/testville/")
    page.screenshot(path=str(SHOTS / "reports-list.png"), full_page=True)
    page.goto(spanish)
    assert "Recibido" in page.content() or "recibido" in page.content()


def test_form_passes_axe_and_the_map_fills_coordinates(live_server, world, browser):
    context = browser.new_context(viewport={"width": 800, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    for lang in ("en", "es"):
        page.goto(f"{live_server.url}/{lang}/reports/testville/new/")
        assert _axe(page) == [], lang
    page.goto(f"{live_server.url}/en/reports/testville/new/")
    assert page.locator(".js-only").is_visible()
    box = page.locator("svg[data-pick]").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.5)
    lat = float(page.input_value("input[name=lat]"))
    lon = float(page.input_value("input[name=lon]"))
    from safercities.portal.tests.factories import LAT0, LON0, SIDE

    assert LAT0 < lat < LAT0 + SIDE and LON0 < lon < LON0 + SIDE  # inside A1, the westmost square
    page.screenshot(path=str(SHOTS / "reports-form-map.png"))
