"""Fixtures of the community tests: the small test city, a group convened by Mo, mail in memory."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture(autouse=True)
def _quiet(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TWO_FACTOR_REQUIRED = False


@pytest.fixture
def small(city):
    from safercities.portal.tests.factories import build_small_city

    return build_small_city(city)


@pytest.fixture
def area(city, small):
    from safercities.places.models import Area

    return Area.objects.get(city=city, code="A1")


@pytest.fixture
def group(city, mo, area):
    from safercities.community.models import GroupMember, WorkingGroup

    group = WorkingGroup.objects.create(city=city, name="Alameda walkers", mandate="Walk, rate, recommend.")
    group.areas.add(area)
    GroupMember.objects.create(group=group, user=mo, name="Mo", role=GroupMember.CONVENER, sex="female")
    return group


@pytest.fixture
def walk(city, group, area):
    from safercities.community.models import Appraisal

    return Appraisal.objects.create(
        city=city, group=group, kind=Appraisal.AUDIT_WALK, title="Night walk", area=area, date=date(2024, 5, 3)
    )
