"""Real Chromium through the real login page: an analyst's imports, and an alert handled end to end.

Debian's chromium is driven by Playwright (never ``playwright install``). Screenshots go to
``docs/screenshots/workspace-*.png``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from django.db import connections

from safercities.workspace.tests.conftest import BAD_OBSERVATIONS, GOOD_OBSERVATIONS

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
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
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
        page.problems = problems  # CSP violations show up as console errors
        yield page
        context.close()
        # ORM calls made while Playwright's loop ran may have opened their own connection (asgiref's
        # Local follows the context, not only the thread); close it so the test database can be dropped.
        connections.close_all()
    shutil.rmtree(profile, ignore_errors=True)


def sign_in(page, live_server, username: str, next_path: str) -> None:
    page.goto(f"{live_server.url}{next_path}")
    assert "/accounts/login/" in page.url  # the workspace sent us to sign in
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"workspace-{name}.png"), full_page=True)


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
    shot(page, "import-errors")
    assert Observation.objects.count() == 0

    page.click("text=Upload a corrected file")
    page.select_option("select[name=kind]", "observations")
    page.set_input_files(
        "input[name=file]", {"name": "good.csv", "mimeType": "text/csv", "buffer": GOOD_OBSERVATIONS.encode()}
    )
    page.click("text=Upload and check")
    page.wait_for_selector("text=The file has no errors")
    shot(page, "import-preview")
    page.click("text=Confirm and import")
    page.wait_for_selector("text=The file was imported.")
    assert Observation.objects.count() == 8
    page.click("nav.workspace-nav >> text=Import history")
    assert page.locator("table.data tbody tr").count() == 3  # rejected check, good check, import
    shot(page, "import-history")
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
    shot(page, "alert")
    page.click("button:has-text('Resolve')")
    page.wait_for_selector("text=Alert resolved.")
    alert.refresh_from_db()
    assert alert.status == Alert.RESOLVED and alert.assigned_to == alice and alert.acknowledged_by.username == "ana"
    assert "Police patrols doubled" in page.inner_text("main")
    page.goto(f"{live_server.url}/en/workspace/testville/alerts/")
    assert "No alert matches." in page.inner_text("main")  # resolved alerts leave the open inbox
    assert not [p for p in page.problems if "Content Security Policy" in p]
