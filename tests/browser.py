"""What the browser tests of every app share: Debian's Chromium driven by Playwright, sign-in, screenshots
and axe-core.

The root ``conftest.py`` loads this module as a plugin, so the ``browser`` and ``page`` fixtures reach
every app's ``tests/test_browser.py``. Never a downloaded browser (no ``playwright install``): the
Makefile's ``system-packages`` target installs Debian's chromium, and without it the tests fail rather
than skip, so a missing browser cannot pass unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scripts.screenshots import ARGS, CHROMIUM  # Debian's chromium and its flags, one place

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"  # the personas' password (conftest.py)
# A live server needs a transactional database: its thread does not see the test's open transaction.
MARKS = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """One Chromium per test; tests open their own contexts (JavaScript off, a phone's width, a session)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for the browser tests (make system-packages installs it)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()
        # ORM calls made while Playwright's loop ran may have opened their own connection (asgiref's Local
        # follows the context, not only the thread); close it, inside that context, so the test database
        # can be dropped.
        connections.close_all()


def open_page(browser: Browser, **options: Any) -> Page:
    """A 1280 × 900 page in a new context whose console errors collect in ``page.problems``: CSP
    violations show up there, so tests that keep the CSP on can assert there were none."""
    page = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options}).new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.problems = problems
    return page


@pytest.fixture
def page(browser: Browser) -> Page:
    """A page with the site's Content Security Policy on (see ``open_page``)."""
    return open_page(browser)


def sign_in(page: Page, live_server: Any, username: str, next_path: str) -> None:
    """Through the real login page: the protected ``next_path`` sends us there and back after sign-in."""
    page.goto(f"{live_server.url}{next_path}")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def signed_in(browser: Browser, base_url: str, user: Any, **options: Any) -> BrowserContext:
    """A new context that carries a session of ``user``, for tests whose subject is not the login page."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(**options)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])
    return context


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save ``docs/screenshots/<name>.png``: the docs show these."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page (the first three nodes of each).

    The vendored ``axe.min.js`` of axe-playwright-python is evaluated through the DevTools protocol, which
    a strict CSP does not block (a script tag would be), so pages can be checked with their CSP on.
    """
    import axe_playwright_python

    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


class Axe:
    """Collects the violations page by page and asserts once at the end, so one failure names every
    failing page rather than only the first."""

    def __init__(self) -> None:
        self.found: dict[str, list[dict]] = {}

    def check(self, page: Page, name: str) -> None:
        if found := violations(page):
            self.found[name] = found

    def assert_clean(self) -> None:
        assert not self.found, json.dumps(self.found, indent=1)
