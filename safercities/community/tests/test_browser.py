"""Real Chromium (Debian's, never a downloaded one): a working-group convener records a safety audit
walk, its lighting finding becomes an indicator observation, an analyst creates an action linked to
that indicator, and the action shows on the public accountability dashboard. axe-core checks every
page; screenshots go to ``docs/screenshots/community-*.png``.
"""

from __future__ import annotations

from datetime import date, timedelta

from tests.browser import MARKS, Axe, shot, sign_in

pytestmark = MARKS


def test_convener_walk_becomes_an_observation_and_an_action_on_the_dashboard(page, live_server, city, mo, ana):
    from safercities.community.models import Action, GroupMember, WorkingGroup
    from safercities.indicators.models import Observation
    from safercities.places.models import Area
    from safercities.portal.tests.factories import build_small_city

    build_small_city(city)
    area = Area.objects.get(city=city, code="A1")
    group = WorkingGroup.objects.create(city=city, name="Alameda walkers", mandate="Walk the routes after dark.")
    group.areas.add(area)
    GroupMember.objects.create(group=group, user=mo, name="Mo", role=GroupMember.CONVENER, sex="female")
    for i, sex in enumerate(["female", "female", "male", "female", "female", "female"]):
        GroupMember.objects.create(group=group, name=f"Member {i}", sex=sex, age_group="15-24")
    lighting = city.indicators.get(code="audit-poor-lighting")
    for period, start, value in (("2023Q4", date(2023, 10, 1), 90.0), ("2024Q1", date(2024, 1, 1), 80.0)):
        Observation.objects.create(
            city=city,
            indicator=lighting,
            area=area,
            period=period,
            period_type="quarter",
            period_start=start,
            period_end=start + timedelta(days=89),
            value=value,
            quality="community",
        )
    base = "/en/community/testville"
    axe = Axe()

    # 1. The convener records the walk.
    sign_in(page, live_server, "mo", f"{base}/groups/{group.pk}/appraisals/new/")
    axe.check(page, "new")
    page.select_option("select[name=kind]", "audit_walk")
    page.fill("input[name=title]", "Night walk to the market")
    page.fill("input[name=date]", "2024-05-02")
    page.select_option("select[name=area]", str(area.pk))
    page.fill("input[name=participants_female]", "7")
    page.fill("input[name=participants_male]", "2")
    page.click("button:has-text('Start the appraisal')")
    page.wait_for_selector("#location-form")
    for description, light, feeling in (("Bus stop", "1", "2"), ("Underpass", "1", "1"), ("Market", "3", "3")):
        page.fill("#location-form input[name=description]", description)
        page.select_option("#location-form select[name=lighting]", light)
        page.select_option("#location-form select[name=feeling]", feeling)
        page.click("button:has-text('Add the location')")
        page.wait_for_selector(f"#locations >> text={description}")
    axe.check(page, "edit")
    shot(page, "community-appraisal-edit")
    page.click("button:has-text('Finalise and publish')")
    page.wait_for_selector("text=indicator values were updated")
    assert "67 %" in page.inner_text("#shares")
    axe.check(page, "appraisal")
    shot(page, "community-appraisal")
    row = Observation.objects.get(indicator=lighting, area=area, period="2024Q2")
    assert round(row.value, 1) == 66.7

    # 2. The finding is an indicator value on the public portal's indicator page.
    page.goto(f"{live_server.url}/en/cities/testville/indicators/audit-poor-lighting/")
    assert "Audited locations" in page.inner_text("h1")

    # 3. An analyst answers with an action linked to the indicator; it is overdue on the dashboard.
    page.click("button:has-text('Sign out')")
    sign_in(page, live_server, "ana", f"{base}/manage/actions/new/")
    axe.check(page, "action-new")
    page.fill("input[name=title]", "Repair the underpass lights")
    page.fill("input[name=owner_department]", "Public works")
    page.select_option("select[name=area]", str(area.pk))
    page.select_option("select[name=indicators]", value=str(lighting.pk))
    page.fill("input[name=budget]", "45000")
    page.fill("input[name=start_date]", "2024-03-01")
    page.fill("input[name=due_date]", "2024-04-30")
    page.select_option("select[name=status]", "in_progress")
    page.click("button:has-text('Save the action')")
    page.wait_for_selector("#movement")
    movement = page.inner_text("#movement")
    assert "80" in movement and "2024Q1" in movement and "66.7" in movement and "2024Q2" in movement
    assert page.locator("#movement svg polyline").count() == 1
    axe.check(page, "action")
    shot(page, "community-action")
    action = Action.objects.get(title="Repair the underpass lights")
    assert list(action.indicators.values_list("code", flat=True)) == ["audit-poor-lighting"]

    for path, name in (("/manage/", "manage"), (f"/manage/groups/{group.pk}/", "group-edit")):
        page.goto(f"{live_server.url}{base}{path}")
        axe.check(page, name)
        shot(page, f"community-{name}")
    page.click("button:has-text('Sign out')")
    page.goto(f"{live_server.url}{base}/actions/")
    assert "Repair the underpass lights" in page.inner_text("#overdue")
    axe.check(page, "dashboard")
    shot(page, "community-dashboard")
    page.goto(f"{live_server.url}{base}/groups/{group.pk}/")
    assert "fewer than 5" in page.inner_text("main")
    axe.check(page, "group")
    shot(page, "community-group")
    page.goto(f"{live_server.url}{base}/")
    assert "Night walk to the market" in page.inner_text("main")
    axe.check(page, "city")
    shot(page, "community-city")
    page.goto(f"{live_server.url}/es{base[3:]}/actions/")
    assert "Acciones vencidas" in page.inner_text("main")
    shot(page, "community-dashboard-es")
    axe.check(page, "dashboard-es")
    axe.assert_clean()
    assert not [p for p in page.problems if "Content Security Policy" in p]
