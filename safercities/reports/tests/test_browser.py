"""Residents file reports with JavaScript OFF (English and Spanish) in Debian's Chromium, follow them by
the tracking link, and see the official's public answer; an official moderates, routes, answers and
resolves. The form is screenshot at 320 px and checked with axe-core."""

from __future__ import annotations

import pytest

from tests.browser import MARKS, shot, signed_in, violations

pytestmark = MARKS


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


def test_residents_report_without_javascript_and_an_official_answers(live_server, world, browser, ana):
    from safercities.reports.models import Report

    base = live_server.url
    resident = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 900})
    page = resident.new_page()
    # The form at 320 px: no horizontal scrolling, a screenshot for the docs.
    page.goto(f"{base}/en/reports/testville/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert not page.locator(".js-only").is_visible()  # the map needs JavaScript; the area list does not
    shot(page, "reports-form-320")
    english = _file_report(page, base, "en", "The street lamp at the corner of Elm St is broken.")
    assert "Thank you: your report was received" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    shot(page, "reports-track-320")
    spanish = _file_report(page, base, "es", "La luminaria de la esquina está rota desde hace días.")
    assert "Gracias: recibimos su reporte" in page.content()
    assert Report.objects.count() == 2

    # The official works on the English report: publish (redacted), route, answer, resolve.
    report = Report.objects.get(description__contains="Elm St")
    staff = signed_in(browser, base, ana, java_script_enabled=False).new_page()
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
    shot(staff, "reports-manage")
    staff.select_option("select[name=status]", "resolved")
    staff.fill("textarea[name=text]", "Repaired.")
    staff.click("form[action$='/update/'] button")
    report.refresh_from_db()
    assert (report.status, report.moderation, report.department.name) == ("resolved", "published", "Public works")
    staff.goto(f"{base}/en/reports/testville/queue/")
    shot(staff, "reports-queue")

    # The resident follows the private link and sees the answer; the public page shows the redacted text.
    page.goto(english)
    html = page.content()
    assert "A crew will repair it tomorrow." in html and "Repaired." in html
    page.goto(f"{base}/en/reports/testville/{report.reference}/")
    assert "A street lamp is broken." in page.content() and "Elm St" not in page.content()
    page.set_viewport_size({"width": 800, "height": 900})
    shot(page, "reports-detail")
    page.goto(f"{base}/en/reports/testville/")
    shot(page, "reports-list")
    page.goto(spanish)
    assert "Recibido" in page.content() or "recibido" in page.content()


def test_form_passes_axe_and_the_map_fills_coordinates(live_server, world, browser):
    context = browser.new_context(viewport={"width": 800, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    for lang in ("en", "es"):
        page.goto(f"{live_server.url}/{lang}/reports/testville/new/")
        assert violations(page) == [], lang
    page.goto(f"{live_server.url}/en/reports/testville/new/")
    assert page.locator(".js-only").is_visible()
    box = page.locator("svg[data-pick]").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.5)
    lat = float(page.input_value("input[name=lat]"))
    lon = float(page.input_value("input[name=lon]"))
    from safercities.portal.tests.factories import LAT0, LON0, SIDE

    assert LAT0 < lat < LAT0 + SIDE and LON0 < lon < LON0 + SIDE  # inside A1, the westmost square
    shot(page, "reports-form-map", full_page=False)
