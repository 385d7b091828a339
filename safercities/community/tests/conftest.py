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


@pytest.fixture
def nora(db):
    """The network admin, made without ``grant_role``: on PostgreSQL its ``select_for_update().first()``
    over the nullable city fails ("FOR UPDATE cannot be applied to the nullable side of an outer
    join") — reported to the lead; remove this override once accounts/actions.py orders by pk."""
    from django.contrib.auth import get_user_model

    from safercities.accounts.models import Membership

    user = get_user_model().objects.create_user(username="nora", password="correct horse battery staple", is_staff=True)
    Membership.objects.create(user=user, city=None, role="network_admin")
    return user
