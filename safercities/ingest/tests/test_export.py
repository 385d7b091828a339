"""Exports: the promised columns and shapes, HXL rows, and masking of incidents by default."""

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from safercities.incidents.models import Incident, IncidentCategory
from safercities.indicators.models import Observation
from safercities.places.models import Area, AreaPopulation


@pytest.fixture
def data(city):
    district = Area.objects.create(city=city, code="D1", name="Centro", level="district", area_km2=2.0)
    hood = Area.objects.create(
        city=city,
        code="N1",
        name="Norte",
        level="neighbourhood",
        parent=district,
        centroid_lat=19.0,
        centroid_lon=-98.2,
    )
    AreaPopulation.objects.create(area=hood, year=2023, population=1000)
    AreaPopulation.objects.create(area=hood, year=2024, population=1100)
    indicator = city.indicators.first()
    Observation.objects.create(
        city=city,
        indicator=indicator,
        area=hood,
        period="2024-03",
        period_type="month",
        period_start=dt.date(2024, 3, 1),
        period_end=dt.date(2024, 3, 31),
        value=12.5,
        sex="female",
    )
    IncidentCategory.objects.create(city=city, code="harassment", name="Harassment", sensitive=True)
    tz = dt.UTC
    for i in range(12):
        Incident.objects.create(
            city=city,
            fingerprint=f"f{i}",
            occurred_at=dt.datetime(2024, 3, 1, 12, tzinfo=tz),
            category="robbery",
            lat=19.0 + i * 1e-5,
            lon=-98.2,
            area=hood,
        )
    Incident.objects.create(
        city=city,
        fingerprint="s1",
        occurred_at=dt.datetime(2024, 3, 2, tzinfo=tz),
        category="harassment",
        lat=19.001,
        lon=-98.201,
        area=hood,
    )
    return indicator


def run(*args):
    out = io.StringIO()
    call_command("export", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_observations_csv_has_import_columns(data):
    rows = list(csv.reader(io.StringIO(run("observations", "--city", "testville"))))
    assert rows[0][:4] == ["indicator", "area", "period", "value"]
    assert rows[1][:5] == [data.code, "N1", "2024-03", "12.5", "female"]


def test_observations_hxl_and_json(data):
    rows = list(csv.reader(io.StringIO(run("observations", "--city", "testville", "--format", "hxl"))))
    assert rows[1][0] == "#indicator+code" and rows[2][1] == "N1"
    payload = json.loads(run("observations", "--city", "testville", "--format", "json"))
    assert payload["observations"][0]["value"] == 12.5 and payload["observations"][0]["sex"] == "female"


def test_filter_by_period_and_bad_period(data):
    assert (
        len(
            json.loads(run("observations", "--city", "testville", "--format", "json", "--period", "2023"))[
                "observations"
            ]
        )
        == 0
    )
    with pytest.raises(CommandError, match="not a recognised code"):
        run("observations", "--city", "testville", "--period", "March")


def test_areas_geojson_and_xlsx(data, tmp_path):
    collection = json.loads(run("areas", "--city", "testville", "--format", "geojson"))
    props = {f["properties"]["code"]: f["properties"] for f in collection["features"]}
    assert props["N1"]["parent"] == "D1" and props["N1"]["population"] == 1100
    target = tmp_path / "areas.xlsx"
    call_command(
        "export", "areas", "--city", "testville", "--format", "xlsx", "--output", str(target), stderr=io.StringIO()
    )
    sheet = openpyxl.load_workbook(target).active
    assert [c.value for c in sheet[1]][:2] == ["code", "name"]
    assert sheet[2][0].value == "#adm+code"


def test_incidents_are_masked_unless_full(data):
    with pytest.raises(CommandError, match="masked"):
        run("incidents", "--city", "testville")
    masked = json.loads(run("incidents", "--city", "testville", "--format", "geojson"))
    counts = {f["properties"]["category"]: f["properties"]["count"] for f in masked["features"]}
    assert counts == {"robbery": 12}  # the single sensitive report is withheld, not placed
    assert masked["withheld"] == 1
    assert "19.0" not in json.dumps([f["properties"] for f in masked["features"]])
    full = list(csv.reader(io.StringIO(run("incidents", "--city", "testville", "--full"))))
    assert len(full) == 1 + 13 and full[0][:3] == ["id", "time", "category"]


def test_unknown_city(db):
    with pytest.raises(CommandError, match="no city"):
        run("areas", "--city", "nowhere")
