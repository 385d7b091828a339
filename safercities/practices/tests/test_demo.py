"""The demo library: six practices, one translated, one moderated comment; a re-run changes nothing."""

from __future__ import annotations

import pytest

from safercities.places.actions import create_city
from safercities.practices import demo, search
from safercities.practices.models import Comment, Practice

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_searchable(django_user_model):
    for name in ("demo-analyst", "demo-admin", "demo-resident"):
        django_user_model.objects.create_user(username=name)
    city = create_city(slug="demo", name="Demo", country="MX", timezone="UTC")
    said: list[str] = []
    demo.build(city, say=said.append)
    demo.build(city, say=said.append)
    assert Practice.objects.filter(city=city, status=Practice.PUBLISHED).count() == len(demo.PRACTICES) == 6
    assert len(said) == 1
    assert {p.language for p in Practice.objects.all()} == {"en", "es"}
    assert sum(p.has_translation for p in Practice.objects.all()) == 1
    assert Comment.objects.filter(status=Comment.APPROVED).count() == 1
    hits = search.search(Practice.objects.all(), "street lighting")
    assert hits and hits[0].practice.title_es.startswith("Alumbrado público")
