"""Test-wide set-up: test mode before Django loads, and the personas every test can ask for.

Personas (as in healthchecks' tests): Alice is the city admin of the test city, Ana its analyst,
Mo its community monitor, Rita a resident, Oscar the city admin of *another* city (an outsider who must
be denied), Nora the network admin.
"""

from __future__ import annotations

import os

os.environ.setdefault("TESTING", "true")

import pytest  # noqa: E402

# The browser tests' Chromium, sign-in, screenshots and axe-core, shared by every app's test_browser.py.
pytest_plugins = ["tests.browser"]


@pytest.fixture
def city(db):
    from safercities.places.actions import create_city

    return create_city(slug="testville", name="Testville", country="MX", timezone="America/Mexico_City")


@pytest.fixture
def other_city(db):
    from safercities.places.actions import create_city

    return create_city(slug="otherburg", name="Otherburg", country="ZA", timezone="Africa/Johannesburg")


def _member(username: str, city, role: str):
    from django.contrib.auth import get_user_model

    from safercities.accounts.actions import grant_role

    user = get_user_model().objects.create_user(username=username, password="correct horse battery staple")
    grant_role(user=user, city=city, role=role)
    return user


@pytest.fixture
def alice(city):
    return _member("alice", city, "city_admin")


@pytest.fixture
def ana(city):
    return _member("ana", city, "analyst")


@pytest.fixture
def mo(city):
    return _member("mo", city, "monitor")


@pytest.fixture
def rita(city):
    return _member("rita", city, "resident")


@pytest.fixture
def oscar(other_city):
    return _member("oscar", other_city, "city_admin")


@pytest.fixture
def nora(db):
    return _member("nora", None, "network_admin")


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests flush the database, which removes the rows data migrations seeded (the
    seven dimensions). Re-create them for such tests; Django's ``serialized_rollback`` would instead
    collide with the content types that the flush's post-migrate signal re-creates."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    seed = importlib.import_module("safercities.indicators.migrations.0002_seed_dimensions").seed
    seed(apps, None)


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request to a ``/es/`` page leaves Spanish active in the test thread (LocaleMiddleware activates
    a language and never resets it), and the importers' messages follow the active language: without
    this, a test asserting today's English text fails whenever a Spanish page test ran before it."""
    yield
    from django.utils import translation

    translation.deactivate()
