"""The demo records: built once, a re-run changes nothing, the walk's lighting finding is an observation."""

from __future__ import annotations

import pytest

from safercities.community import accountability, demo
from safercities.community.models import Action, Appraisal, WorkingGroup
from safercities.indicators.models import Observation
from safercities.places.models import Area

pytestmark = pytest.mark.django_db


def test_demo_builds_once_and_feeds_the_lighting_indicator(city):
    for i, code in enumerate(("N010", "N011", "N061", "N062")):
        Area.objects.create(
            city=city, code=code, name=code, level="neighbourhood", centroid_lat=19 + i / 100, centroid_lon=-98.2
        )
    said: list[str] = []
    demo.build(city, say=said.append)
    counts = (
        WorkingGroup.objects.count(),
        Appraisal.objects.count(),
        Action.objects.count(),
        Observation.objects.count(),
    )
    assert counts[:3] == (2, 3, 6)
    lighting = Observation.objects.get(indicator__code="audit-poor-lighting", area__code="N061", period="2025Q4")
    assert lighting.value == 50.0 and lighting.quality == Observation.COMMUNITY
    assert set(Action.objects.values_list("status", flat=True)) == {"planned", "in_progress", "done", "dropped"}
    assert Action.objects.filter(indicators__code="audit-poor-lighting").count() == 2
    # All three recommendations have actions; the walk's (N061) and the focus group's (N010) have an area,
    # the meeting's has none, and this test city has no city-level area: two rows, each 1 of 1 answered.
    answered = Observation.objects.filter(indicator__code=accountability.CODE)
    assert sorted(answered.values_list("area__code", "value", "numerator", "denominator")) == [
        ("N010", 100.0, 1.0, 1.0),
        ("N061", 100.0, 1.0, 1.0),
    ]
    demo.build(city, say=said.append)
    again = (
        WorkingGroup.objects.count(),
        Appraisal.objects.count(),
        Action.objects.count(),
        Observation.objects.count(),
    )
    assert again == counts
    assert "already in place" in said[-1]


def test_demo_skips_a_city_without_its_areas(city):
    said: list[str] = []
    demo.build(city, say=said.append)
    assert not WorkingGroup.objects.exists() and "skipped" in said[0]
