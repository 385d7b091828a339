"""The demo city's perception surveys: called by ``safercities demo`` after the data and users are loaded.

One round (2026Q1, districts) with 300 synthetic answer sheets drawn from a fixed seed, then the
community observations computed from them. Women and persons with disabilities are drawn as feeling
less safe after dark, and young women as more often harassed, so that the groups differ visibly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from django.db import transaction

from safercities.places.models import Area, City
from safercities.surveys import actions
from safercities.surveys.models import PLACES, SurveyResponse, SurveyRound

PERIOD = "2026Q1"
RESPONSES = 300


def _sheet(rng: random.Random, areas: list[Area], weights: list[float]) -> dict:
    area = rng.choices(areas, weights=weights)[0]
    sex = rng.choices(["female", "male", "other", "prefer_not"], weights=[50, 46, 1, 3])[0]
    age = rng.choices(["15-29", "30-59", "60+", "prefer_not"], weights=[32, 48, 17, 3])[0]
    disability = rng.choices(["with_disability", "without_disability", "prefer_not"], weights=[9, 88, 3])[0]
    p_safe = 0.62 - 0.18 * (sex == "female") - 0.12 * (disability == "with_disability") + 0.02 * (area.pk % 5)
    night = rng.choices(
        ["very_safe", "safe", "unsafe", "very_unsafe"],
        weights=[p_safe * 0.3, p_safe * 0.7, 0.6 * (1 - p_safe), 0.4 * (1 - p_safe)],
    )[0]
    day = rng.choices(["very_safe", "safe", "unsafe", "very_unsafe"], weights=[40, 45, 10, 5])[0]
    p_harassed = 0.08 + 0.14 * (sex == "female") + 0.08 * (age == "15-29")
    harassment = rng.choices(["yes", "no", "prefer_not"], weights=[p_harassed, 0.95 - p_harassed, 0.05])[0]
    places = sorted(rng.sample(PLACES[:-1], k=rng.choice([0, 1, 1, 2, 3])))
    return {
        "area": area,
        "avoided_area": rng.choice(areas) if places and rng.random() < 0.5 else None,
        "day_feeling": day,
        "night_feeling": night,
        "places_avoided": places,
        "harassment": harassment,
        "sex": sex,
        "age_group": age,
        "disability": disability,
    }


def build(city: City, *, say: Callable[[str], None]) -> None:
    """Create this app's demo records; a re-run changes nothing."""
    if SurveyRound.objects.filter(city=city, period=PERIOD).exists():
        return
    level = "district" if Area.objects.filter(city=city, level="district").exists() else None
    if level is None:
        level = Area.objects.filter(city=city).values_list("level", flat=True).order_by("level").first()
    if level is None:
        return
    with transaction.atomic():  # all or nothing, so that a failed run is simply run again
        _build(city, level, say)


def _build(city: City, level: str, say: Callable[[str], None]) -> None:
    survey = actions.create_round(
        city=city, title="Safety perception survey, early 2026", period=PERIOD, area_level=level
    )
    areas = list(Area.objects.filter(city=city, level=level).order_by("code"))
    rng = random.Random(2026)
    weights = [1.0 + (i % 4) for i in range(len(areas))]
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                city=city, round=survey, submitted_on=date(2026, 2, 1 + i % 28), **_sheet(rng, areas, weights)
            )
            for i in range(RESPONSES)
        ]
    )
    result = actions.compute_observations(survey=survey)
    say(
        f"perception survey {PERIOD}: {RESPONSES} responses, {result.written} observations ({result.withheld} withheld)"
    )
