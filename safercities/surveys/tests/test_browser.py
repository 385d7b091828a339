"""A resident answers the survey in Spanish in a real Chromium with JavaScript off, on a 320 px screen.

Debian's Chromium, never a downloaded one; axe-core checks the questionnaire and the staff results
(no serious or critical violations) in a second, script-enabled context.
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
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture
def playwright_browser(tmp_path, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for the browser tests (make browser installs it)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


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


def test_a_resident_answers_in_spanish_without_javascript(live_server, city, ana, playwright_browser):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from safercities.portal.tests.factories import build_small_city
    from safercities.surveys import actions
    from safercities.surveys.models import SurveyResponse

    build_small_city(city)
    survey = actions.create_round(
        city=city, title="Encuesta de percepción 2026", period="2026Q1", area_level="neighbourhood"
    )
    url = f"{live_server.url}/es/surveys/{city.slug}/{survey.pk}/"

    context = playwright_browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(url)
    assert page.get_attribute("html", "lang") == "es"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling at 320 px
    # Sending an empty form names the questions to answer, in Spanish.
    page.click("button[type=submit]")
    assert "Por favor responda las preguntas" in page.content()
    page.select_option("#id_area", label="Barrio Bravo")
    page.check("input[name=day_feeling][value=safe]")
    page.check("input[name=night_feeling][value=unsafe]")
    page.check("input[name=places_avoided][value=parks]")
    page.check("input[name=places_avoided][value=public_transport]")
    page.check("input[name=harassment][value=prefer_not]")
    page.check("input[name=sex][value=female]")
    page.check("input[name=age_group][value='15-29']")
    page.check("input[name=disability][value=without_disability]")
    page.screenshot(path=str(SHOTS / "surveys-form-es.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/es/surveys/{city.slug}/{survey.pk}/thanks/")
    assert page.locator("h1").inner_text() == "Gracias"
    row = SurveyResponse.objects.get()
    assert (row.area.code, row.night_feeling, row.places_avoided) == ("A2", "unsafe", ["parks", "public_transport"])
    page.goto(url)
    assert "Usted ya respondió" in page.content()
    context.close()

    # Accessibility of the questionnaire and the staff results (axe needs scripts).
    for _ in range(6):
        SurveyResponse.objects.create(
            city=city,
            round=survey,
            area=row.area,
            day_feeling="safe",
            night_feeling="safe",
            harassment="no",
            sex="male",
            age_group="30-59",
            disability="without_disability",
            submitted_on=row.submitted_on,
        )
    session = SessionStore()
    session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(ana.pk), settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = ana.get_session_auth_hash()
    session.save()
    checked = playwright_browser.new_context(viewport={"width": 1024, "height": 800}, bypass_csp=True)
    checked.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}])
    page = checked.new_page()
    problems = {}
    for path in (f"/es/surveys/{city.slug}/{survey.pk}/", f"/en/surveys/{city.slug}/manage/{survey.pk}/"):
        page.goto(live_server.url + path)
        found = _axe(page)
        if found:
            problems[path] = found
    page.screenshot(path=str(SHOTS / "surveys-results.png"), full_page=True)
    checked.close()
    assert not problems, json.dumps(problems, indent=1)
