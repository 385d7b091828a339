"""The pilot boundary and population files (/work/shared/data) import with the documented commands.

Expected values are computed here from the files themselves with the json and csv modules (or read
with pyogrio, not through the importer), so a wrong mapping or a lost row shows up as a difference.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from safercities.places.importers import import_areas, import_population
from safercities.places.models import Area, AreaPopulation

_ROOT = Path(__file__).resolve().parents[3]
# shared/ sits beside the repository (in CI too); SAFERCITIES_REAL_DATA overrides.
DATA = Path(os.environ.get("SAFERCITIES_REAL_DATA") or _ROOT.parent / "shared" / "data")
STATES = DATA / "mexico" / "inegi_states.geojson"
CONAPO = DATA / "mexico" / "conapo_population_by_municipality.csv"
STATIONS = DATA / "south-africa" / "stations" / "stations.shp"

# Outside CI a checkout without the pilot data skips these; in CI a missing folder must fail, not skip.
pytestmark = pytest.mark.skipif(
    not DATA.is_dir() and not os.environ.get("CI"), reason=f"the real pilot data is not at {DATA}"
)

STATE_OPTIONS = {
    "code_field": "CVE_ENT",
    "name_field": "NOM_ENT",
    "level": "state",
    "parent_code": "00",
    "parent_name": "Nacional",
    "parent_level": "country",
}
CONAPO_OPTIONS = {"area_field": "CVE", "area_code_prefix": 2, "wide": "1990-2040"}
STATION_OPTIONS = {"code_template": "{PROV}-{NAME}", "name_field": "NAME", "level": "station"}


def _conapo_state_totals(year: str) -> dict[str, int]:
    totals: Counter[str] = Counter()
    with open(CONAPO, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            totals[row["CVE"][:2]] += int(row[year])
    return dict(totals)


@pytest.mark.slow
def test_inegi_states_and_conapo_population(city):
    expected = {
        f["properties"]["CVE_ENT"]: f["properties"]["NOM_ENT"]
        for f in json.loads(STATES.read_text(encoding="utf-8"))["features"]
    }
    report = import_areas(city, STATES, **STATE_OPTIONS)
    assert report.ok, report.errors[:5]
    assert (report.rows, report.created, report.updated, report.unchanged) == (32, 32, 0, 0)
    states = Area.objects.filter(city=city, level="state")
    assert dict(states.values_list("code", "name")) == expected
    assert sorted(expected) == [f"{n:02d}" for n in range(1, 33)]
    national = Area.objects.get(city=city, code="00")
    assert (national.name, national.level, national.parent) == ("Nacional", "country", None)
    assert states.filter(parent=national).count() == 32
    cdmx = Area.objects.get(city=city, code="09")
    assert cdmx.name == "Ciudad de México"
    assert 19.0 < cdmx.centroid_lat < 19.6 and -99.4 < cdmx.centroid_lon < -98.9
    assert 1_400 < cdmx.area_km2 < 1_550  # INEGI gives 1,494 km²
    chihuahua = Area.objects.get(city=city, code="08")
    assert chihuahua.name == "Chihuahua" and 240_000 < chihuahua.area_km2 < 255_000  # INEGI: 247,455 km²
    assert all(area.geometry["type"] in {"Polygon", "MultiPolygon"} for area in states)

    population = import_population(city, CONAPO, **CONAPO_OPTIONS)
    assert population.ok, population.errors[:5]
    assert population.rows == 2475
    assert (population.created, population.updated, population.unchanged) == (32 * 51, 0, 0)
    totals = _conapo_state_totals("2020")
    stored = dict(
        AreaPopulation.objects.filter(area__city=city, year=2020, sex="", age_group="").values_list(
            "area__code", "population"
        )
    )
    assert stored == totals
    assert stored["01"] == sum(
        int(row["2020"]) for row in csv.DictReader(CONAPO.open(encoding="utf-8")) if row["CVE"].startswith("01")
    )
    again = import_population(city, CONAPO, **CONAPO_OPTIONS, total_code="00")
    assert (again.created, again.updated, again.unchanged) == (51, 0, 32 * 51)
    national = AreaPopulation.objects.get(area__city=city, area__code="00", year=2020, sex="", age_group="")
    assert national.population == sum(totals.values())


def test_inegi_states_reimport_is_unchanged(city):
    assert import_areas(city, STATES, **STATE_OPTIONS).created == 32
    again = import_areas(city, STATES, **STATE_OPTIONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 32)
    assert Area.objects.filter(city=city).count() == 33


def test_saps_stations_bare_shapefile(other_city):
    import shapely
    from pyogrio.raw import read

    meta, _fids, geometries, (names, provinces) = read(str(STATIONS))
    points = {f"{p}-{n}": shapely.from_wkb(g) for n, p, g in zip(names, provinces, geometries, strict=True)}
    report = import_areas(other_city, STATIONS, **STATION_OPTIONS)
    assert report.ok, report.errors[:5]
    assert (report.rows, report.created) == (1132, 1132)
    stations = Area.objects.filter(city=other_city)
    assert stations.count() == 1132 == len(points)
    assert set(stations.values_list("level", flat=True)) == {"station"}
    assert set(stations.values_list("area_km2", flat=True)) == {0}
    repeated = Counter(stations.values_list("name", flat=True))
    assert sorted(name for name, n in repeated.items() if n > 1) == ["Balfour", "Heidelberg", "Middelburg", "Richmond"]
    aberdeen = stations.get(code="EC-Aberdeen")
    assert (aberdeen.name, aberdeen.centroid_lon, aberdeen.centroid_lat) == ("Aberdeen", 24.06098, -32.47634)
    assert aberdeen.geometry == {"type": "Point", "coordinates": [24.06098, -32.47634]}
    for code in ("GP-Hillbrow", "WC-Cape Town Central", "MP-Balfour", "NC-Richmond", "KZN-Richmond"):
        area = stations.get(code=code)
        assert (area.centroid_lon, area.centroid_lat) == pytest.approx((points[code].x, points[code].y), abs=1e-7)
    again = import_areas(other_city, STATIONS, **STATION_OPTIONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1132)


def test_cli_commands_of_the_docs(city, capsys):
    """The exact commands in docs/import-areas.md (dry runs, so they stay fast)."""
    call_command(
        "import",
        "areas",
        str(STATIONS),
        "--city",
        city.slug,
        "--code-template",
        "{PROV}-{NAME}",
        "--name-field",
        "NAME",
        "--level",
        "station",
        "--dry-run",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["rows"], out["created"], out.get("dry_run")) == ("ok", 1132, 1132, True)
    assert not Area.objects.exists()
