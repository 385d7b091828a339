"""The real pilot datasets (/work/shared/data) import with the documented options and adapter files.

Areas are created directly here (importing boundaries is the areas importer's job) with the codes and
names the project's conventions give them: INEGI state codes and names, ``{PROV}-{NAME}`` stations.
Expected values were read from the files with awk, independently of the importer.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import date
from pathlib import Path

import pytest
from django.db.models import Sum

from safercities.indicators.models import Dimension, Indicator, Observation
from safercities.indicators.observation_import import import_observations
from safercities.places.models import Area

_ROOT = Path(__file__).resolve().parents[3]
# shared/ sits beside the repository (in CI too); SAFERCITIES_REAL_DATA overrides.
DATA = Path(os.environ.get("SAFERCITIES_REAL_DATA") or _ROOT.parent / "shared" / "data")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
VICTIMS = DATA / "mexico" / "sesnsp_victims_monthly_by_state.csv"
CARPETAS = DATA / "mexico" / "sesnsp_investigations_by_state_2026_latin1.csv"
STATES = DATA / "mexico" / "inegi_states.geojson"
SAPS = DATA / "south-africa" / "saps_crime_by_station_fy2003_2012.csv"

# Outside CI a checkout without the pilot data skips these; in CI a missing folder must fail, not skip.
pytestmark = pytest.mark.skipif(
    not DATA.is_dir() and not os.environ.get("CI"), reason=f"the real pilot data is not at {DATA}"
)

VICTIMS_OPTIONS = {
    "indicator_field": "delito",
    "indicator_match": "name",
    "area_field": "entidad",
    "area_match": "name",
    "area_map": str(EXAMPLES / "mexico" / "sesnsp-entidades.csv"),
    "period_field": "isodate",
    "period_kind": "month",
    "value_field": "total",
    "source": "SESNSP via lapanquecita/incidencia-delictiva",
}
CARPETAS_OPTIONS = {
    "wide": "Enero-Diciembre",
    "period_template": "{Año}-{month:02d}",
    "area_field": "Clave_Ent",
    "indicator_field": "Subtipo de delito",
    "indicator_map": str(EXAMPLES / "mexico" / "sesnsp-carpetas-map.csv"),
    "sum_duplicates": True,
    "source": "SESNSP via lapanquecita/incidencia-delictiva",
}
SAPS_OPTIONS = {
    "wide": "2003-2012",
    "period_template": "{column}April",
    "area_template": "{province}-{station}",
    "indicator_field": "crime",
    "indicator_match": "name",
    "source": "SAPS via afrith/sa-crime-stats",
}


def add_indicators(city, path: Path) -> int:
    """The adapter's indicator definitions, created directly (the indicators importer is tested apart)."""
    dimensions = {d.code: d for d in Dimension.objects.all()}
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    Indicator.objects.bulk_create(
        Indicator(
            city=city,
            code=row["code"],
            name=row["name"],
            definition=row["description"],
            dimension=dimensions[row["dimension"]],
            unit=row["unit"],
            direction=row["direction"],
            aggregation=row["aggregation"],
        )
        for row in rows
    )
    return len(rows)


def add_mexican_states(city) -> None:
    nacional = Area.objects.create(city=city, code="00", name="Nacional", level="country")
    features = json.loads(STATES.read_text(encoding="utf-8"))["features"]
    Area.objects.bulk_create(
        Area(
            city=city,
            code=f["properties"]["CVE_ENT"],
            name=f["properties"]["NOM_ENT"],
            level="state",
            parent=nacional,
        )
        for f in features
    )


def add_saps_stations(city) -> None:
    with open(SAPS, encoding="utf-8", newline="") as handle:
        stations = sorted({(row["province"], row["station"]) for row in csv.DictReader(handle)})
    Area.objects.bulk_create(
        Area(city=city, code=f"{province}-{name}", name=name, level="station") for province, name in stations
    )


def value(indicator: str, area: str, period: str) -> float:
    return Observation.objects.get(indicator__code=indicator, area__code=area, period=period).value


def test_example_adapter_files_are_consistent():
    with open(EXAMPLES / "mexico" / "sesnsp-entidades.csv", encoding="utf-8") as handle:
        entidades = list(csv.DictReader(handle))
    features = json.loads(STATES.read_text(encoding="utf-8"))["features"]
    inegi = {f["properties"]["CVE_ENT"]: f["properties"]["NOM_ENT"] for f in features}
    assert {row["code"] for row in entidades} == set(inegi) | {"00"}
    assert all(inegi.get(row["code"], "Nacional") == row["inegi_name"] for row in entidades)
    with open(EXAMPLES / "mexico" / "sesnsp-carpetas-map.csv", encoding="utf-8") as handle:
        mapped = {row["code"] for row in csv.DictReader(handle)}
    with open(EXAMPLES / "mexico" / "sesnsp-carpetas-indicators.csv", encoding="utf-8") as handle:
        defined = {row["code"] for row in csv.DictReader(handle)}
    assert mapped == defined and len(defined) == 79
    for path in EXAMPLES.glob("*/*indicators.csv"):
        with open(path, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert all(len(row["code"]) <= 64 and row["aggregation"] == "sum" for row in rows), path
        assert len({row["code"] for row in rows}) == len(rows), path


def test_example_indicator_files_pass_the_indicators_importer(city):
    module = pytest.importorskip("safercities.indicators.indicator_import")
    for path, count in (
        (EXAMPLES / "mexico" / "sesnsp-indicators.csv", 15),
        (EXAMPLES / "mexico" / "sesnsp-carpetas-indicators.csv", 79),
        (EXAMPLES / "south-africa" / "saps-indicators.csv", 29),
    ):
        report = module.import_indicators(city, path)
        assert report.ok, (path.name, report.errors[:5])
        assert report.created == count


@pytest.mark.slow
def test_sesnsp_victims_by_state_and_month(city):
    add_mexican_states(city)
    assert add_indicators(city, EXAMPLES / "mexico" / "sesnsp-indicators.csv") == 15
    report = import_observations(city, VICTIMS, **VICTIMS_OPTIONS)
    assert report.ok, report.errors[:5]
    # 33 entities (32 states and Nacional) × 15 crimes × 121 months (2015-01 … 2025-01)
    assert (report.rows, report.created, report.updated) == (59_895, 59_895, 0)
    # Coahuila de Zaragoza, México, Michoacán de Ocampo and Veracruz de Ignacio de la Llave are
    # Coahuila, Estado de México, Michoacán and Veracruz in INEGI's boundaries: the area map bridges them.
    assert value("mx-victimas-homicidio-doloso", "14", "2019-06") == 224
    june = Observation.objects.get(indicator__code="mx-victimas-homicidio-doloso", area__code="14", period="2019-06")
    assert (june.period_type, june.period_start, june.period_end) == ("month", date(2019, 6, 1), date(2019, 6, 30))
    assert june.source.startswith("SESNSP")
    feminicidio = Observation.objects.filter(indicator__code="mx-victimas-feminicidio", period="2024-12")
    states = feminicidio.filter(area__level="state").aggregate(total=Sum("value"))["total"]
    assert states == feminicidio.get(area__code="00").value == 61
    assert Observation.objects.filter(area__code="05").count() == 15 * 121
    again = import_observations(city, VICTIMS, **VICTIMS_OPTIONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 59_895)


def test_sesnsp_2026_investigations_wide_latin1_summed_to_subtype(city):
    add_mexican_states(city)
    assert add_indicators(city, EXAMPLES / "mexico" / "sesnsp-carpetas-indicators.csv") == 79
    report = import_observations(city, CARPETAS, **CARPETAS_OPTIONS)
    assert report.ok, report.errors[:5]
    # 32 states × 79 subtypes × 3 published months; April … December are blank (not yet published).
    assert (report.rows, report.created) == (3_648, 32 * 79 * 3)
    assert f"{3_648 * 9} blank wide cell(s) skipped (not yet published)" in report.notes
    # Jalisco, homicidio doloso: 12 + 50 + 8 + 3 in January over four modalities.
    assert value("mx-carpetas-homicidio-doloso", "14", "2026-01") == 73
    assert value("mx-carpetas-homicidio-doloso", "14", "2026-02") == 50
    assert value("mx-carpetas-homicidio-doloso", "14", "2026-03") == 60
    assert not Observation.objects.filter(period="2026-04").exists()
    again = import_observations(city, CARPETAS, **CARPETAS_OPTIONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 32 * 79 * 3)


@pytest.mark.slow
def test_saps_stations_wide_by_financial_year(city):
    add_saps_stations(city)
    assert add_indicators(city, EXAMPLES / "south-africa" / "saps-indicators.csv") == 29
    report = import_observations(city, SAPS, **SAPS_OPTIONS)
    assert report.ok, report.errors[:5]
    # 1,132 stations × 29 categories × 10 financial years
    assert (report.rows, report.created) == (32_828, 328_280)
    assert value("za-saps-murder", "EC-Aberdeen", "2003April") == 6
    # The same name in two provinces is two stations.
    assert value("za-saps-murder", "EC-Balfour", "2005April") == 9
    assert value("za-saps-murder", "MP-Balfour", "2010April") == 13
    assert value("za-saps-murder", "KZN-Richmond", "2006April") == 30
    fy = Observation.objects.filter(period="2012April").first()
    assert (fy.period_type, fy.period_start, fy.period_end) == ("fy", date(2012, 4, 1), date(2013, 3, 31))
    # The category with a trailing space in the file still matches its indicator.
    assert Observation.objects.filter(indicator__code="za-saps-neglect-and-ill-treatment-of-children").count() == 11_320
