"""Real Chromium through the real login page: an analyst's imports, and an alert handled end to end.

Debian's chromium is driven by Playwright (never ``playwright install``). Screenshots go to
``docs/screenshots/workspace-*.png``.
"""

from __future__ import annotations

from safercities.workspace.tests.conftest import BAD_OBSERVATIONS, GOOD_OBSERVATIONS
from tests.browser import MARKS, shot, sign_in

pytestmark = MARKS


def test_analyst_imports_a_bad_file_then_a_good_one(page, live_server, ana, areas):
    from safercities.indicators.models import Observation

    sign_in(page, live_server, "ana", "/en/workspace/testville/imports/new/")
    page.select_option("select[name=kind]", "observations")
    page.set_input_files(
        "input[name=file]", {"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_OBSERVATIONS.encode()}
    )
    page.click("text=Upload and check")
    page.wait_for_selector("table.errors")
    body = page.inner_text("main")
    assert "4 errors" in body and "NOWHERE" in body and "month 13 does not exist" in body
    assert page.locator("table.errors tbody tr").count() == 4
    assert page.locator("text=Confirm and import").count() == 0
    shot(page, "workspace-import-errors")
    assert Observation.objects.count() == 0

    page.click("text=Upload a corrected file")
    page.select_option("select[name=kind]", "observations")
    page.set_input_files(
        "input[name=file]", {"name": "good.csv", "mimeType": "text/csv", "buffer": GOOD_OBSERVATIONS.encode()}
    )
    page.click("text=Upload and check")
    page.wait_for_selector("text=The file has no errors")
    shot(page, "workspace-import-preview")
    page.click("text=Confirm and import")
    page.wait_for_selector("text=The file was imported.")
    assert Observation.objects.count() == 8
    page.click("nav.workspace-nav >> text=Import history")
    assert page.locator("table.data tbody tr").count() == 3  # rejected check, good check, import
    shot(page, "workspace-import-history")
    assert not [p for p in page.problems if "Content Security Policy" in p]


def test_alert_handled_end_to_end(page, live_server, ana, alice, alert):
    from safercities.monitoring.models import Alert

    sign_in(page, live_server, "ana", "/en/workspace/testville/alerts/")
    page.click(f"a[href$='/alerts/{alert.pk}/']")
    assert "14 homicides against about 4.2 expected" in page.inner_text("main")
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("text=Alert acknowledged.")
    page.select_option("select[name=assignee]", str(alice.pk))
    page.click("button:has-text('Assign')")
    page.wait_for_selector("text=Assigned to alice.")
    page.fill("textarea[name=text]", "Police patrols doubled in Barrio 0 this week.")
    page.click("button:has-text('Add comment')")
    page.wait_for_selector("text=Comment added.")
    shot(page, "workspace-alert")
    page.click("button:has-text('Resolve')")
    page.wait_for_selector("text=Alert resolved.")
    alert.refresh_from_db()
    assert alert.status == Alert.RESOLVED and alert.assigned_to == alice and alert.acknowledged_by.username == "ana"
    assert "Police patrols doubled" in page.inner_text("main")
    page.goto(f"{live_server.url}/en/workspace/testville/alerts/")
    assert "No alert matches." in page.inner_text("main")  # resolved alerts leave the open inbox
    assert not [p for p in page.problems if "Content Security Policy" in p]
