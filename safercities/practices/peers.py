"""'Cities like mine': turns what each city made public into profiles for analytics.similarity.

A city's profile: the mean over its areas of each dimension score of its latest published default
index (the finest level of that period: the level with most results), and its population (the
largest total over its area levels in the latest year with population). Only public cities with a
published index enter; a private city's own page may compare itself with them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Sum

from safercities.analytics.similarity import DIMENSIONS, CityProfile, Peer, rank_peers
from safercities.monitoring.models import IndexDefinition, IndexResult
from safercities.places.models import AreaPopulation, City


@dataclass(frozen=True)
class PeerCity:
    city: City
    peer: Peer
    profile: CityProfile


def _latest_period(definition: IndexDefinition) -> str | None:
    periods = list(definition.results.values_list("period", flat=True).distinct())
    return max(periods, key=lambda p: (len(p) == 4 and p.isdigit(), p)) if periods else None


def index_profile(city: City) -> dict[str, float | None]:
    """City-level mean of each dimension score in the latest published default-index results."""
    definition = IndexDefinition.objects.filter(city=city, is_published=True).order_by("-is_default", "name").first()
    if definition is None:
        return {}
    period = _latest_period(definition)
    if period is None:
        return {}
    levels = (
        IndexResult.objects.filter(definition=definition, period=period)
        .values("level")
        .annotate(n=Count("id"))
        .order_by("-n", "level")
    )
    if not levels:
        return {}
    rows = IndexResult.objects.filter(definition=definition, period=period, level=levels[0]["level"])
    sums: dict[str, list[float]] = defaultdict(list)
    for dims in rows.values_list("dimensions", flat=True):
        for code, value in (dims or {}).items():
            if code in DIMENSIONS and isinstance(value, (int, float)):
                sums[code].append(float(value))
    return {code: (sum(sums[code]) / len(sums[code]) if sums[code] else None) for code in DIMENSIONS}


def population(city: City) -> float | None:
    totals = AreaPopulation.objects.filter(area__city=city, sex="", age_group="")
    year = totals.order_by("-year").values_list("year", flat=True).first()
    if year is None:
        return None
    by_level = totals.filter(year=year).values("area__level").annotate(total=Sum("population"))
    return float(max(row["total"] for row in by_level)) if by_level else None


def profile(city: City) -> CityProfile:
    return CityProfile(city.slug, index_profile(city), population(city))


def peers_of(city: City, *, limit: int = 5) -> list[PeerCity]:
    """The public cities most alike ``city``, closest first."""
    target = profile(city)
    candidates = {c.slug: c for c in City.objects.filter(is_public=True).exclude(pk=city.pk)}
    profiles = {slug: profile(c) for slug, c in candidates.items()}
    ranked = rank_peers(target, list(profiles.values()), limit=limit)
    return [PeerCity(candidates[p.key], p, profiles[p.key]) for p in ranked]
