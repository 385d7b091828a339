from __future__ import annotations

import pytest

from safercities.incidents.aggregation import aggregate_incidents
from safercities.incidents.importers import import_incidents
from safercities.incidents.models import Incident
from safercities.indicators.models import Observation
from safercities.places.models import AreaPopulation

HEADER = "id,time,category,lat,lon\n"


def values(city, indicator: str) -> dict[tuple[str, str], float]:
    rows = Observation.objects.filter(city=city, indicator__code=indicator)
    return {(o.area.code, o.period): o.value for o in rows.select_related("area")}


@pytest.fixture
def populated(city, areas):
    AreaPopulation.objects.create(area=areas["N1"], year=2023, population=1_000)
    AreaPopulation.objects.create(area=areas["N1"], year=2025, population=9_999)  # later than the data: unused
    AreaPopulation.objects.create(area=areas["D1"], year=2020, population=20_000)
    return areas


def test_sum_and_rate_by_hand(city, populated, write):
    path = write(
        HEADER + "1,2024-01-10 10:00,fire,0.5,0.5\n"  # N1 (and D1)
        "2,2024-01-11 10:00,fire,0.5,0.5\n"  # N1 (and D1)
        "3,2024-01-12 10:00,fire,1.5,1.5\n"  # D1 only
        "4,2024-01-31 23:30,fire,0.5,1.5\n"  # N2, 23:30 local on the last day: still January
        "5,2024-02-01 00:30,fire,0.5,1.5\n"  # N2, February
        "6,2024-01-20 10:00,homicide,0.5,0.5\n"  # N1 (and D1)
        "7,2024-01-20 10:00,homicide,1,3\n"  # D2: no population → skipped
        "8,2024-01-20 10:00,homicide,10,10\n"  # outside every area: not counted anywhere
    )
    report = import_incidents(city, path)
    assert report.ok, report.errors
    assert values(city, "fire-incidents") == {
        ("N1", "2024-01"): 2.0,
        ("N2", "2024-01"): 1.0,
        ("N2", "2024-02"): 1.0,
        ("D1", "2024-01"): 4.0,
        ("D1", "2024-02"): 1.0,
    }
    # rate = count / population × 100,000 (population of the latest year at or before 2024)
    assert values(city, "homicide-incidents") == {("N1", "2024-01"): 100.0, ("D1", "2024-01"): 5.0}
    obs = Observation.objects.get(indicator__code="homicide-incidents", area__code="D1")
    assert (obs.numerator, obs.denominator, obs.quality, obs.source) == (1.0, 20_000.0, "official", "incidents")
    assert str(obs.period_start) == "2024-01-01" and str(obs.period_end) == "2024-01-31"
    # The violent-crime rate counts homicides too.
    assert values(city, "violent-crime-rate")[("N1", "2024-01")] == 100.0

    again = aggregate_incidents(city)
    assert (again["created"], again["updated"]) == (0, 0)
    assert again["unchanged"] == Observation.objects.filter(source="incidents").count()
    assert "D2 2024" in again["without_population"]


def test_stale_cells_set_to_zero_and_months_filter(city, populated, write):
    import_incidents(city, write(HEADER + "1,2024-01-10,fire,0.5,0.5\n2,2024-02-10,fire,0.5,0.5\n"))
    assert values(city, "fire-incidents")[("N1", "2024-01")] == 1.0
    Incident.objects.filter(external_id="1").delete()
    Incident.objects.filter(external_id="2").update(category="flood")
    limited = aggregate_incidents(city, months=["2024-01"])
    assert values(city, "fire-incidents")[("N1", "2024-01")] == 0.0
    assert values(city, "fire-incidents")[("N1", "2024-02")] == 1.0  # outside the months asked for
    assert limited["updated"] == 2  # N1 and D1 in January
    result = aggregate_incidents(city)
    assert values(city, "fire-incidents")[("N1", "2024-02")] == 0.0
    assert values(city, "flood-incidents")[("N1", "2024-02")] == 1.0
    assert result["zeroed"] >= 2


def test_community_quality_and_manual_cells_kept(city, populated, write):
    Observation.objects.create(
        city=city,
        indicator=city.indicators.get(code="fire-incidents"),
        area=populated["D1"],
        period="2024-01",
        period_type="month",
        period_start="2024-01-01",
        period_end="2024-01-31",
        value=42,
        source="fire brigade yearbook",
    )
    report = import_incidents(city, write(HEADER + "1,2024-01-10,fire,0.5,0.5\n"), source="community")
    assert report.ok
    n1 = Observation.objects.get(indicator__code="fire-incidents", area__code="N1")
    assert n1.quality == "community"
    assert values(city, "fire-incidents")[("D1", "2024-01")] == 42  # the hand-entered value stays
    assert aggregate_incidents(city)["kept_manual"] == 1


def test_import_without_aggregation(city, populated, write):
    report = import_incidents(city, write(HEADER + "1,2024-01-10,fire,0.5,0.5\n"), aggregate=False)
    assert report.ok and Incident.objects.count() == 1
    assert not Observation.objects.filter(source="incidents").exists()
