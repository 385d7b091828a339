"""Real Chromium (Debian's, never a downloaded one): a working-group convener records a safety audit
walk, its lighting finding becomes an indicator observation, an analyst creates an action linked to
that indicator, and the action shows on the public accountability dashboard. axe-core checks every
page; screenshots go to ``docs/screenshots/community-*.png``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connections

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


@pytest.fixture
def page(live_server, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    profile = tempfile.mkdtemp(prefix="sc-chromium-")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.problems = problems
        yield page
        context.close()
        connections.close_all()
    shutil.rmtree(profile, ignore_errors=True)


def sign_in(page, live_server, username: str, next_path: str) -> None:
    page.goto(f"{live_server.url}{next_path}")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"community-{name}.png"), full_page=True)


def axe(page) -> list[dict]:
    import axe_playwright_python

    # Evaluated through the DevTools protocol, which the page's strict CSP does not block (a script tag
    # would be), so the CSP stays on and its violations are still caught below.
    source = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def setting(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWO_FACTOR_REQUIRED = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_convener_walk_becomes_an_observation_and_an_action_on_the_dashboard(page, live_server, setting, city, mo, ana):
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
    problems: dict[str, list] = {}

    # 1. The convener records the walk.
    sign_in(page, live_server, "mo", f"{base}/groups/{group.pk}/appraisals/new/")
    problems["new"] = axe(page)
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
    problems["edit"] = axe(page)
    shot(page, "appraisal-edit")
    page.click("button:has-text('Finalise and publish')")
    page.wait_for_selector("text=indicator values were updated")
    assert "67 %" in page.inner_text("#shares")
    problems["appraisal"] = axe(page)
    shot(page, "appraisal")
    row = Observation.objects.get(indicator=lighting, area=area, period="2024Q2")
    assert round(row.value, 1) == 66.7

    # 2. The finding is an indicator value on the public portal's indicator page.
    page.goto(f"{live_server.url}/en/cities/testville/indicators/audit-poor-lighting/")
    assert "Audited locations" in page.inner_text("h1")

    # 3. An analyst answers with an action linked to the indicator; it is overdue on the dashboard.
    page.click("button:has-text('Sign out')")
    sign_in(page, live_server, "ana", f"{base}/manage/actions/new/")
    problems["action-new"] = axe(page)
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
    problems["action"] = axe(page)
    shot(page, "action")
    action = Action.objects.get(title="Repair the underpass lights")
    assert list(action.indicators.values_list("code", flat=True)) == ["audit-poor-lighting"]

    for path, name in (("/manage/", "manage"), (f"/manage/groups/{group.pk}/", "group-edit")):
        page.goto(f"{live_server.url}{base}{path}")
        problems[name] = axe(page)
        shot(page, name)
    page.click("button:has-text('Sign out')")
    page.goto(f"{live_server.url}{base}/actions/")
    assert "Repair the underpass lights" in page.inner_text("#overdue")
    problems["dashboard"] = axe(page)
    shot(page, "dashboard")
    page.goto(f"{live_server.url}{base}/groups/{group.pk}/")
    assert "fewer than 5" in page.inner_text("main")
    problems["group"] = axe(page)
    shot(page, "group")
    page.goto(f"{live_server.url}{base}/")
    assert "Night walk to the market" in page.inner_text("main")
    problems["city"] = axe(page)
    shot(page, "city")
    page.goto(f"{live_server.url}/es{base[3:]}/actions/")
    assert "Acciones vencidas" in page.inner_text("main")
    shot(page, "dashboard-es")
    problems["dashboard-es"] = axe(page)
    found = {name: issues for name, issues in problems.items() if issues}
    assert not found, json.dumps(found, indent=1)
    assert not [p for p in page.problems if "Content Security Policy" in p]
