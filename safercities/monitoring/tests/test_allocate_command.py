"""``safercities allocate``: need from an indicator or the stored index, amounts adding up exactly."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from safercities.indicators.models import Observation
from safercities.monitoring.models import IndexDefinition, IndexResult
from safercities.places.models import Area, AreaPopulation


@pytest.fixture
def areas(city):
    result = []
    for i, (pop, score) in enumerate([(1000, 2.0), (2000, 5.0), (3000, 8.0)], start=1):
        area = Area.objects.create(city=city, code=f"N{i}", name=f"Barrio {i}", level="neighbourhood")
        AreaPopulation.objects.create(area=area, year=2024, population=pop)
        result.append((area, score))
    return result


def allocate(*args):
    out = io.StringIO()
    call_command("allocate", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_allocate_by_index(city, areas):
    definition = IndexDefinition.objects.create(city=city, slug="hsi", name="HSI", is_default=True)
    for rank, (area, score) in enumerate(reversed(areas), start=1):
        IndexResult.objects.create(
            city=city,
            definition=definition,
            area=area,
            period="2024",
            level="neighbourhood",
            score=score,
            rank=rank,
            dimensions={"personal": score / 2},
        )
    data = allocate("--city", "testville", "--budget", "1000000")
    amounts = {a["code"]: a["amount"] for a in data["areas"]}
    # Reference: claims 2×1000, 5×2000, 8×3000 = 2,000 + 10,000 + 24,000 of 36,000.
    assert amounts == {"N1": pytest.approx(55555.56), "N2": pytest.approx(277777.78), "N3": pytest.approx(666666.67)}
    assert round(sum(amounts.values()), 2) == 1_000_000
    assert data["equity"]["concentration_index"] > 0 and data["period"] == "2024"
    by_dimension = allocate("--city", "testville", "--budget", "900", "--need", "personal", "--floor", "100")
    assert round(sum(a["amount"] for a in by_dimension["areas"]), 2) == 900


def test_allocate_by_indicator_higher_is_better(city, areas):
    indicator = city.indicators.filter(direction="higher_is_better").first()
    for (area, _score), value in zip(areas, [90.0, 60.0, 30.0], strict=True):
        Observation.objects.create(
            city=city,
            indicator=indicator,
            area=area,
            period="2024",
            period_type="year",
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            value=value,
        )
    data = allocate("--city", "testville", "--budget", "100", "--need", indicator.code)
    amounts = {a["code"]: a["amount"] for a in data["areas"]}
    # Need = distance below the best (90): 0, 30, 60 → claims 0, 60,000, 180,000.
    assert amounts == {"N1": 0.0, "N2": 25.0, "N3": 75.0}


def test_allocate_errors_are_clear(city, areas):
    with pytest.raises(CommandError, match="no index results yet"):
        allocate("--city", "testville", "--budget", "100")
    with pytest.raises(CommandError, match="neither 'index'"):
        allocate("--city", "testville", "--budget", "100", "--need", "unknown-thing")
    with pytest.raises(CommandError, match="not a recognised code"):
        allocate("--city", "testville", "--budget", "100", "--period", "someday")


def test_an_impossible_allocation_is_a_command_error_in_the_users_terms(city, areas):
    definition = IndexDefinition.objects.create(city=city, slug="hsi", name="HSI", is_default=True)
    for rank, (area, score) in enumerate(reversed(areas), start=1):
        IndexResult.objects.create(
            city=city, definition=definition, area=area, period="2024", level="neighbourhood", score=score, rank=rank
        )
    with pytest.raises(
        CommandError, match=r"the caps add up to 300\.00 \(3 areas × 100\.00\), less than the budget of 1,000\.00"
    ):
        allocate("--city", "testville", "--budget", "1000", "--cap", "100")
    with pytest.raises(CommandError, match=r"the floors add up to 1,500\.00 \(3 areas × 500\.00\), more than"):
        allocate("--city", "testville", "--budget", "1000", "--floor", "500")
    with pytest.raises(CommandError, match="not a whole number of units of 0.01"):
        allocate("--city", "testville", "--budget", "1000.005")
    with pytest.raises(CommandError, match="too large to split exactly into units of 0.01"):
        allocate("--city", "testville", "--budget", "1e15")
    with pytest.raises(CommandError, match="the budget must be a finite number ≥ 0, not nan"):
        allocate("--city", "testville", "--budget", "nan")
    with pytest.raises(CommandError, match="the rounding unit must be a finite number > 0, not 0"):
        allocate("--city", "testville", "--budget", "1000", "--unit", "0")
    # The same budget in whole units is allocated exactly.
    data = allocate("--city", "testville", "--budget", "1e15", "--unit", "1")
    assert sum(a["amount"] for a in data["areas"]) == 1e15
