"""A Spanish-speaking official of another city finds an English practice in a real Chromium.

Debian's chromium only (never a downloaded browser). Also walks the learning centre's guided tour in
English and Spanish, runs axe-core on every page (no serious or critical violation) and saves the
screenshots docs/screenshots/practices-*.png and learning-*.png.
"""

from __future__ import annotations

from tests.browser import MARKS, Axe, shot, signed_in

pytestmark = MARKS
WINDOW = {"viewport": {"width": 1100, "height": 900}, "bypass_csp": True}


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
    axe = Axe()

    context = signed_in(browser, live_server.url, oscar, **WINDOW)
    page = context.new_page()
    page.goto(f"{live_server.url}/es/practices/")
    assert page.get_attribute("html", "lang") == "es"
    page.fill("#id_q", "alumbrado público")
    page.click("form.search-form button[type=submit]")
    page.wait_for_url("**/es/practices/?q=**")
    results = page.locator("ul.practice-list").inner_text()
    assert "Street lighting on the paths to bus stops" in results
    assert "Cash transfers" not in results
    axe.check(page, "library-results")
    shot(page, "practices-search-es")

    page.click("text=Street lighting on the paths to bus stops")
    page.wait_for_url(f"**/es/practices/{practice.pk}/")
    assert "escrita en inglés" in page.content()
    page.fill("#id_text", "¿Qué tipo de luminarias usaron?")
    page.click("text=Enviar comentario")
    page.wait_for_url(f"**/es/practices/{practice.pk}/")
    assert "moderador" in page.locator("ul.messages").inner_text()
    axe.check(page, "detail")
    shot(page, "practices-detail-es")
    context.close()
    assert Comment.objects.get().status == Comment.PENDING

    # The analyst of the practice's city moderates it from the management page.
    context = signed_in(browser, live_server.url, ana, **WINDOW)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/practices/manage/{city.slug}/")
    axe.check(page, "manage")
    shot(page, "practices-manage")
    page.click("text=Approve")
    page.wait_for_url(f"**/en/practices/manage/{city.slug}/")
    assert Comment.objects.get().status == Comment.APPROVED
    page.goto(f"{live_server.url}/en/practices/manage/{city.slug}/new/")
    axe.check(page, "editor")
    shot(page, "practices-editor")
    context.close()

    page = browser.new_page(**WINDOW)
    page.goto(f"{live_server.url}/en/practices/{practice.pk}/")
    assert "¿Qué tipo de luminarias usaron?" in page.content()
    page.goto(f"{live_server.url}/en/practices/cities/{city.slug}/")
    axe.check(page, "city")
    shot(page, "practices-city")
    page.goto(f"{live_server.url}/en/practices/")
    shot(page, "practices-library")
    page.close()
    axe.assert_clean()


def test_learning_centre_walkthrough_in_both_languages(live_server, browser, city):
    from safercities.portal.tests.factories import build_small_city

    build_small_city(city)
    city.is_synthetic = True
    city.save()
    page = browser.new_page(**WINDOW)
    axe = Axe()
    for lang, link, profile in (
        ("en", "A guided walk through the demo city", "Read its profile and rank interval"),
        ("es", "Un recorrido guiado por la ciudad de demostración", "Lea su perfil y su intervalo de rango"),
    ):
        page.goto(f"{live_server.url}/{lang}/learn/")
        assert page.get_attribute("html", "lang") == lang
        axe.check(page, f"{lang}-home")
        shot(page, f"learning-home-{lang}")
        page.get_by_role("link", name=link).first.click()
        page.wait_for_url(f"**/{lang}/learn/walkthrough/")
        axe.check(page, f"{lang}-walkthrough")
        shot(page, f"learning-walkthrough-{lang}")
        steps = page.locator("ol.steps > li")
        assert steps.count() == 5
        page.get_by_role("link", name=profile).click()
        page.wait_for_url(f"**/{lang}/cities/testville/areas/A3/")
        assert page.locator("h1").inner_text() == "Centro Claro"
        for path in ("human-security/", "indicators/testville/", "methods/", "safety-audit/"):
            page.goto(f"{live_server.url}/{lang}/learn/{path}")
            axe.check(page, f"{lang}-{path}")
    page.goto(f"{live_server.url}/es/learn/safety-audit/")
    shot(page, "learning-audit-walk-es")
    page.goto(f"{live_server.url}/en/learn/indicators/testville/")
    shot(page, "learning-indicators", full_page=False)  # the top: the page lists the whole catalogue
    page.close()
    axe.assert_clean()
