"""'Cities like mine' from what each city published: index profiles and population."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from safercities.monitoring.models import IndexDefinition, IndexResult
from safercities.places.actions import create_city
from safercities.places.models import Area, AreaPopulation
from safercities.practices import peers

pytestmark = pytest.mark.django_db

DIMS = ("economic", "food", "health", "environmental", "personal", "community", "political")


def build(slug: str, scores: list[dict[str, float]], population: int, *, published: bool = True, period: str = "2024"):
    city = create_city(slug=slug, name=slug.title(), country="MX", timezone="UTC")
    definition = IndexDefinition.objects.create(
        city=city, slug="hsi", name="HSI", is_default=True, is_published=published
    )
    top = Area.objects.create(city=city, code="C", name=slug, level="city")
    AreaPopulation.objects.create(area=top, year=2023, population=population)
    for i, dims in enumerate(scores):
        area = Area.objects.create(city=city, code=f"A{i}", name=f"A{i}", level="district", parent=top)
        AreaPopulation.objects.create(area=area, year=2023, population=population // len(scores))
        IndexResult.objects.create(
            city=city, definition=definition, area=area, period=period, level="district", score=5, dimensions=dims
        )
    return city


def flat(value: float, **over: float | None) -> dict[str, float | None]:
    return {**dict.fromkeys(DIMS, value), **over}


def test_profile_is_the_mean_of_the_latest_period_and_population():
    city = build("alpha", [flat(2.0), flat(4.0, food=None)], 1_000_000)
    # An older period is ignored.
    definition = city.index_definitions.get()
    IndexResult.objects.create(
        city=city,
        definition=definition,
        area=city.areas.get(code="A0"),
        period="2023",
        level="district",
        dimensions=flat(9.0),
    )
    profile = peers.profile(city)
    assert profile.dimensions["economic"] == pytest.approx(3.0)
    assert profile.dimensions["food"] == pytest.approx(2.0)  # the one area that has it
    assert profile.population == 1_000_000


def test_peers_ranked_closest_first_only_public_and_published():
    me = build("me", [flat(5.0)], 800_000)
    twin = build("twin", [flat(5.1)], 900_000)
    far = build("far", [flat(9.0, personal=1.0)], 20_000)
    hidden = build("hidden", [flat(5.0)], 800_000)
    hidden.is_public = False
    hidden.save()
    build("unpublished", [flat(5.0)], 800_000, published=False)
    build("sparse", [{"personal": 5.0, "community": 5.0}], 800_000)  # two dimensions: not comparable
    found = peers.peers_of(me)
    assert [p.city.slug for p in found] == ["twin", "far"]
    assert found[0].peer.similarity > found[1].peer.similarity
    page = Client().get(reverse("practices:city", args=[me.slug])).content.decode()
    assert "Twin" in page and "Hidden" not in page and "Unpublished" not in page
    assert twin.slug and far.slug


def test_a_city_without_an_index_has_no_peers():
    lonely = create_city(slug="lonely", name="Lonely", country="MX", timezone="UTC")
    build("other", [flat(5.0)], 1000)
    assert peers.peers_of(lonely) == []
    assert "No comparable city yet" in Client().get(reverse("practices:city", args=["lonely"])).content.decode()
