"""Test-wide set-up: test mode before Django loads, and the personas every test can ask for.

Personas (as in healthchecks' tests): Alice is the city admin of the test city, Ana its analyst,
Mo its community monitor, Rita a resident, Oscar the city admin of *another* city (an outsider who must
be denied), Nora the network admin.
"""

from __future__ import annotations

import os

os.environ.setdefault("TESTING", "true")

import pytest  # noqa: E402


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
