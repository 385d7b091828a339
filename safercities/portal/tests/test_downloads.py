"""Downloads: every format, the disclosure rules in each, who may download, and a round trip."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import h3
import openpyxl
import pytest

from safercities.analytics import disclosure
from safercities.incidents.models import Incident, IncidentCategory
from safercities.indicators.importers import import_observations
from safercities.places.actions import create_city
from safercities.places.models import Area
from safercities.portal.tests.factories import LAT0, LON0, SIDE, build_small_city

URL = "/en/cities/testville/download/{}"


@pytest.fixture
def small(city):
    data = build_small_city(city)
    IncidentCategory.objects.create(city=city, code="fire", name="Fire")
    IncidentCategory.objects.create(city=city, code="harassment", name="Harassment", sensitive=True)
    when = datetime(2024, 5, 1, 12, tzinfo=UTC)
    rows = []
    # 12 fires in one spot (published at resolution 8), 2 fires elsewhere (too few: withheld),
    # 14 harassment reports in one spot: published, but never finer than resolution 7.
    spots = [("fire", LAT0 + SIDE / 2, LON0 + SIDE / 2, 12), ("fire", LAT0 + 0.3, LON0 + 0.3, 2)]
    spots.append(("harassment", LAT0 + SIDE / 2, LON0 + 2.5 * SIDE, 14))
    n = 0
    for category, lat, lon, count in spots:
        for i in range(count):
            n += 1
            rows.append(
                Incident(
                    city=city,
                    fingerprint=f"f{n}",
                    occurred_at=when + timedelta(hours=n),
                    category=category,
                    lat=lat + i * 1e-5,
                    lon=lon,
                    month="2024-05",
                )
            )
    Incident.objects.bulk_create(rows)
    return data


def _csv(response) -> tuple[list[str], list[dict]]:
    text = b"".join(response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(text)))
    header, tags = lines[0], lines[1]
    return tags, [dict(zip(header, line, strict=True)) for line in lines[2:]]


def _xlsx(response) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[2:]]


def _fires(rows: list[dict]) -> dict[str, dict]:
    return {r["area"]: r for r in rows if r["indicator"] == "fire-incidents" and not r.get("sex")}


def test_observations_csv_has_hxl_row_and_withholds_small_counts(client, small):
    response = client.get(URL.format("observations.csv"))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="testville-observations.csv"' in response["Content-Disposition"]
    tags, rows = _csv(response)
    assert tags[:3] == ["#indicator+code", "#adm+code", "#date+period"] and tags[-1] == "#meta+suppressed"
    fires = _fires(rows)
    assert fires["A1"]["value"] == "" and fires["A1"]["suppressed"] == "true"
    # Secondary suppression, as on the map: with the total public, 12 would give 3 away.
    assert fires["A2"]["value"] == "" and fires["A2"]["suppressed"] == "true"
    assert fires["A3"]["value"] == "20" and fires["A3"]["suppressed"] == "false"
    assert not any(r["indicator"] == "suicide-rate" for r in rows), "non-public indicator exported"
    # A rate on a numerator of 2 is withheld too; breakdowns one at a time, no numerators.
    disability = [r for r in rows if r["disability"]]
    assert disability and all(r["value"] == "" and r["suppressed"] == "true" for r in disability)
    female = next(r for r in rows if r["sex"] == "female" and r["indicator"] == "unemployment-rate")
    assert female["value"] == "21" and female["numerator"] == ""


@pytest.mark.parametrize("fmt", ["xlsx", "json"])
def test_observations_xlsx_and_json_withhold_the_same_cells(client, small, fmt):
    response = client.get(URL.format(f"observations.{fmt}"))
    assert response.status_code == 200
    rows = _xlsx(response) if fmt == "xlsx" else json.loads(response.content)["observations"]
    fires = _fires(rows)
    assert fires["A1"]["value"] is None and fires["A2"]["value"] is None
    assert fires["A3"]["value"] == 20
    assert {r["area"] for r in rows if r["suppressed"] in (True, "true")} >= {"A1", "A2"}
    values = [r["value"] for r in rows if r["indicator"] == "fire-incidents"]
    assert all(v is None or v == 0 or v >= disclosure.DEFAULT_THRESHOLD for v in values)


def test_observations_filters_and_404s(client, small):
    rows = json.loads(client.get(URL.format("observations.json") + "?indicator=unemployment-rate&period=2023").content)
    assert {r["indicator"] for r in rows["observations"]} == {"unemployment-rate"}
    assert {r["period"] for r in rows["observations"]} == {"2023"}
    assert client.get(URL.format("observations.csv") + "?indicator=suicide-rate").status_code == 404
    assert client.get(URL.format("observations.csv") + "?period=nonsense").status_code == 404
    assert client.get(URL.format("observations.geojson")).status_code == 404
    assert client.get(URL.format("secrets.csv")).status_code == 404
    assert client.get(URL.format("observations.pdf")).status_code == 404


def test_alerts_are_protected_and_without_explanation(client, small):
    tags, rows = _csv(client.get(URL.format("alerts.csv")))
    assert "#description" not in tags
    assert rows[0]["observed"] == "" and rows[0]["expected"] == "" and rows[0]["suppressed"] == "true"
    body = client.get(URL.format("alerts.json")).content.decode()
    assert "observed 3 against" not in body and '"observed": null' in body
    assert _xlsx(client.get(URL.format("alerts.xlsx")))[0]["observed"] is None


def test_incidents_are_masked_cells_only(client, small):
    data = json.loads(client.get(URL.format("incidents.geojson")).content)
    assert data["features"], "expected published cells"
    for feature in data["features"]:
        props = feature["properties"]
        sensitive = props["category"] == "harassment"
        k = disclosure.SENSITIVE_THRESHOLD if sensitive else disclosure.DEFAULT_THRESHOLD
        assert props["count"] >= k
        assert h3.get_resolution(props["h3"]) == props["resolution"]
        if sensitive:
            assert props["resolution"] <= disclosure.SENSITIVE_RESOLUTION
    assert {f["properties"]["category"] for f in data["features"]} == {"fire", "harassment"}
    assert data["withheld"] == 2
    tags, rows = _csv(client.get(URL.format("incidents.csv")))
    assert "#geo+h3" in tags and all(int(r["count"]) >= disclosure.DEFAULT_THRESHOLD for r in rows)
    assert all(int(r["resolution"]) <= 7 for r in rows if r["category"] == "harassment")
    assert all(r["count"] >= 5 for r in _xlsx(client.get(URL.format("incidents.xlsx"))))
    listed = json.loads(client.get(URL.format("incidents.json")).content)
    assert sorted(r["count"] for r in listed["incidents"]) == [12, 14] and listed["withheld"] == 2
    # No coordinate of an event leaves: only cell centres.
    text = client.get(URL.format("incidents.csv")).getvalue().decode()
    assert f"{LAT0 + SIDE / 2:.5f}" not in text


def test_index_and_areas(client, small):
    tags, rows = _csv(client.get(URL.format("index.csv")))
    assert [r["area"] for r in rows] == ["A3", "A2", "A1"] and rows[0]["rank_high"] == "1"
    assert "#indicator+index+score+economic" in tags and rows[0]["food"] == ""
    index = json.loads(client.get(URL.format("index.geojson")).content)
    assert index["features"][0]["geometry"]["type"] == "Polygon"
    assert index["features"][0]["properties"]["score"] == 8.2
    areas = json.loads(client.get(URL.format("areas.geojson")).content)
    assert {f["properties"]["code"] for f in areas["features"]} == {"C", "A1", "A2", "A3"}
    assert _xlsx(client.get(URL.format("areas.xlsx")))[0]["code"]
    assert client.get(URL.format("alerts.geojson")).status_code == 404
    assert client.get(URL.format("index.csv") + "?period=1999").status_code == 404


def test_non_public_city_is_404_except_for_members(client, small, city, alice):
    city.is_public = False
    city.save(update_fields=["is_public"])
    for name in ("observations.csv", "index.json", "areas.geojson", "alerts.csv", "incidents.geojson"):
        assert client.get(URL.format(name)).status_code == 404, name
    client.force_login(alice)
    assert client.get(URL.format("index.json")).status_code == 200


def test_exported_observations_import_back_into_a_fresh_city(client, small, city, tmp_path):
    response = client.get(URL.format("observations.csv"))
    path = tmp_path / "observations.csv"
    path.write_bytes(b"".join(response.streaming_content))
    fresh = create_city(slug="copyville", name="Copyville", country="MX")
    copies: dict[str, Area] = {}
    for area in Area.objects.filter(city=city).order_by("parent_id", "id"):
        copies[area.code] = Area.objects.create(
            city=fresh,
            code=area.code,
            name=area.name,
            level=area.level,
            parent=copies.get(area.parent.code) if area.parent else None,
            geometry=area.geometry,
        )
    report = import_observations(fresh, path, filter=["suppressed!=true"])
    assert report.ok, report.errors
    assert report.created > 0

    def published(content: bytes) -> set[tuple]:
        _tags, rows = _csv_text(content.decode())
        return {
            (r["indicator"], r["area"], r["period"], r["value"], r["sex"], r["age_group"], r["disability"])
            for r in rows
            if r["suppressed"] == "false"
        }

    again = client.get("/en/cities/copyville/download/observations.csv")
    assert published(b"".join(again.streaming_content)) == published(path.read_bytes())


def _csv_text(text: str) -> tuple[list[str], list[dict]]:
    lines = list(csv.reader(io.StringIO(text)))
    return lines[1], [dict(zip(lines[0], line, strict=True)) for line in lines[2:]]


def test_breakdowns_of_a_withheld_total_are_withheld(client, small):
    # Barrio Bravo's 12 fires are withheld (secondary suppression); by sex they would add back up to 12.
    from safercities.portal.tests.factories import _obs

    _obs(small["fires"].city, small["fires"], small["areas"][1], 7, sex="female")
    _obs(small["fires"].city, small["fires"], small["areas"][1], 5, sex="male")
    rows = json.loads(client.get(URL.format("observations.json") + "?indicator=fire-incidents").content)
    by_sex = [r for r in rows["observations"] if r["area"] == "A2" and r["sex"]]
    assert len(by_sex) == 2 and all(r["value"] is None and r["suppressed"] for r in by_sex)
