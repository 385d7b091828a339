"""Fixtures of the workspace tests: uploads go to a temporary media folder; a city with areas and alerts."""

from __future__ import annotations

import pytest
from django.test import Client

from safercities.monitoring.models import Alert
from safercities.places.models import Area

GOOD_OBSERVATIONS = "indicator,area,period,value\n" + "".join(
    f"homicide-rate,N{i},2024,{2 + 4 * i}\nunemployment-rate,N{i},2024,{5 + 3 * i}\n" for i in range(4)
)
BAD_OBSERVATIONS = (
    "indicator,area,period,value\n"
    "homicide-rate,N0,2024,12\n"
    "homicide-rate,NOWHERE,2024,3\n"  # unknown area
    "no-such-indicator,N1,2024,4\n"  # unknown indicator
    "homicide-rate,N2,2024,lots\n"  # not a number
    "homicide-rate,N3,2024-13,5\n"  # impossible period
)


@pytest.fixture(autouse=True)
def _workspace_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The second factor has its own tests; here admins reach the workspace after the password step.
    settings.TWO_FACTOR_REQUIRED = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Personas' passwords are hashed once per test; the production hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def areas(city):
    return [Area.objects.create(city=city, code=f"N{i}", name=f"Barrio {i}", level="neighbourhood") for i in range(4)]


@pytest.fixture
def alert(city, areas):
    return Alert.objects.create(
        city=city,
        indicator=city.indicators.get(code="homicide-rate"),
        area=areas[0],
        period="2024-03",
        kind=Alert.EXCEEDANCE,
        severity=Alert.RED,
        observed=14,
        expected=4.2,
        upper=9.1,
        explanation="14 homicides against about 4.2 expected; the upper limit was 9.1.",
    )


@pytest.fixture
def other_alert(other_city):
    area = Area.objects.create(city=other_city, code="X1", name="Elsewhere", level="ward")
    return Alert.objects.create(
        city=other_city,
        indicator=other_city.indicators.get(code="homicide-rate"),
        area=area,
        period="2024-03",
        kind=Alert.EXCEEDANCE,
        severity=Alert.AMBER,
        observed=3,
        expected=1,
        upper=2.5,
        explanation="elsewhere",
    )


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
