"""A Spanish-speaking official of another city finds an English practice in a real Chromium.

Debian's chromium only (never a downloaded browser). Also walks the learning centre's guided tour in
English and Spanish, runs axe-core on every page (no serious or critical violation) and saves the
screenshots docs/screenshots/practices-*.png and learning-*.png.
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
def browser(tmp_path, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for the browser tests (make browser installs it)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


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


def _signed_in(browser, live_server, user):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}])
    return context


def test_official_of_another_city_finds_an_english_practice_in_spanish(
    live_server, browser, settings, city, oscar, ana
):
    from safercities.portal.tests.factories import build_small_city
    from safercities.practices.models import Comment
    from safercities.practices.tests.factories import make_practice

    settings.TWO_FACTOR_REQUIRED = False
    build_small_city(city)
    practice = make_practice(
        city,
        language="en",
        title_en="Street lighting on the paths to bus stops",
        context_en="Outlying neighbourhoods with unlit paths between homes and the bus stops.",
        problem_en="Women avoided walking to the bus after dark; harassment reports clustered on three paths.",
        intervention_en="A safety audit walk chose the spots; the city installed 140 LED lamps and cut back hedges.",
        results_en="Women feeling safe walking at night rose from 31 % to 44 % in the perception survey.",
        evidence_level="monitored",
        cost_amount=1850000,
        cost_currency="MXN",
        contact="Citizen Safety Office",
        dimensions=["personal", "community"],
    )
    # A public peer with a published index, for the "cities like this one" table.
    from safercities.practices.tests.test_peers import build as build_peer
    from safercities.practices.tests.test_peers import flat

    build_peer("peerton", [flat(4.0), flat(6.0, food=None)], 60_000)
    make_practice(city, language="en", title_en="Cash transfers after the floods", dimensions=["economic"])
    problems: dict[str, list] = {}

    context = _signed_in(browser, live_server, oscar)
    page = context.new_page()
    page.goto(f"{live_server.url}/es/practices/")
    assert page.get_attribute("html", "lang") == "es"
    page.fill("#id_q", "alumbrado público")
    page.click("form.search-form button[type=submit]")
    page.wait_for_url("**/es/practices/?q=**")
    results = page.locator("ul.practice-list").inner_text()
    assert "Street lighting on the paths to bus stops" in results
    assert "Cash transfers" not in results
    problems.update({"library-results": _axe(page)})
    page.screenshot(path=str(SHOTS / "practices-search-es.png"), full_page=True)

    page.click("text=Street lighting on the paths to bus stops")
    page.wait_for_url(f"**/es/practices/{practice.pk}/")
    assert "escrita en inglés" in page.content()
    page.fill("#id_text", "¿Qué tipo de luminarias usaron?")
    page.click("text=Enviar comentario")
    page.wait_for_url(f"**/es/practices/{practice.pk}/")
    assert "moderador" in page.locator("ul.messages").inner_text()
    problems.update({"detail": _axe(page)})
    page.screenshot(path=str(SHOTS / "practices-detail-es.png"), full_page=True)
    context.close()
    assert Comment.objects.get().status == Comment.PENDING

    # The analyst of the practice's city moderates it from the management page.
    context = _signed_in(browser, live_server, ana)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/practices/manage/{city.slug}/")
    problems.update({"manage": _axe(page)})
    page.screenshot(path=str(SHOTS / "practices-manage.png"), full_page=True)
    page.click("text=Approve")
    page.wait_for_url(f"**/en/practices/manage/{city.slug}/")
    assert Comment.objects.get().status == Comment.APPROVED
    page.goto(f"{live_server.url}/en/practices/manage/{city.slug}/new/")
    problems.update({"editor": _axe(page)})
    page.screenshot(path=str(SHOTS / "practices-editor.png"), full_page=True)
    context.close()

    page = browser.new_page(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page.goto(f"{live_server.url}/en/practices/{practice.pk}/")
    assert "¿Qué tipo de luminarias usaron?" in page.content()
    page.goto(f"{live_server.url}/en/practices/cities/{city.slug}/")
    problems.update({"city": _axe(page)})
    page.screenshot(path=str(SHOTS / "practices-city.png"), full_page=True)
    page.goto(f"{live_server.url}/en/practices/")
    page.screenshot(path=str(SHOTS / "practices-library.png"), full_page=True)
    page.close()
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, json.dumps(problems, indent=1)


def test_learning_centre_walkthrough_in_both_languages(live_server, browser, city):
    from safercities.portal.tests.factories import build_small_city

    build_small_city(city)
    city.is_synthetic = True
    city.save()
    page = browser.new_page(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    problems: dict[str, list] = {}
    for lang, link, profile in (
        ("en", "A guided walk through the demo city", "Read its profile and rank interval"),
        ("es", "Un recorrido guiado por la ciudad de demostración", "Lea su perfil y su intervalo de rango"),
    ):
        page.goto(f"{live_server.url}/{lang}/learn/")
        assert page.get_attribute("html", "lang") == lang
        problems[f"{lang}-home"] = _axe(page)
        page.screenshot(path=str(SHOTS / f"learning-home-{lang}.png"), full_page=True)
        page.get_by_role("link", name=link).first.click()
        page.wait_for_url(f"**/{lang}/learn/walkthrough/")
        problems[f"{lang}-walkthrough"] = _axe(page)
        page.screenshot(path=str(SHOTS / f"learning-walkthrough-{lang}.png"), full_page=True)
        steps = page.locator("ol.steps > li")
        assert steps.count() == 5
        page.get_by_role("link", name=profile).click()
        page.wait_for_url(f"**/{lang}/cities/testville/areas/A3/")
        assert page.locator("h1").inner_text() == "Centro Claro"
        for path in ("human-security/", "indicators/testville/", "methods/", "safety-audit/"):
            page.goto(f"{live_server.url}/{lang}/learn/{path}")
            problems[f"{lang}-{path}"] = _axe(page)
    page.goto(f"{live_server.url}/es/learn/safety-audit/")
    page.screenshot(path=str(SHOTS / "learning-audit-walk-es.png"), full_page=True)
    page.goto(f"{live_server.url}/en/learn/indicators/testville/")
    page.screenshot(path=str(SHOTS / "learning-indicators.png"))  # the top: the page lists the whole catalogue
    page.close()
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, json.dumps(problems, indent=1)
