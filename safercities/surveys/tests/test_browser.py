"""A resident answers the survey in Spanish in a real Chromium with JavaScript off, on a 320 px screen.

Debian's Chromium, never a downloaded one; axe-core checks the questionnaire and the staff results
(no serious or critical violations) in a second, script-enabled context.
"""

from __future__ import annotations

from tests.browser import MARKS, Axe, shot, signed_in

pytestmark = MARKS


def test_a_resident_answers_in_spanish_without_javascript(live_server, city, ana, browser):
    from safercities.portal.tests.factories import build_small_city
    from safercities.surveys import actions
    from safercities.surveys.models import SurveyResponse

    build_small_city(city)
    survey = actions.create_round(
        city=city, title="Encuesta de percepción 2026", period="2026Q1", area_level="neighbourhood"
    )
    url = f"{live_server.url}/es/surveys/{city.slug}/{survey.pk}/"

    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
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
    shot(page, "surveys-form-es")
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
    checked = signed_in(browser, live_server.url, ana, viewport={"width": 1024, "height": 800}, bypass_csp=True)
    page = checked.new_page()
    axe = Axe()
    for path in (f"/es/surveys/{city.slug}/{survey.pk}/", f"/en/surveys/{city.slug}/manage/{survey.pk}/"):
        page.goto(live_server.url + path)
        axe.check(page, path)
    shot(page, "surveys-results")
    checked.close()
    axe.assert_clean()
