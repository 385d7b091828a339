"""Issue 8: properties of the four importers for any generated set of rows.

- All or nothing: a file is imported whole (the table grows by exactly what the report says) or
  rejected with every problem naming its row and field, and then nothing at all is written.
- Every bad row is reported (not only the first), and a file of good rows is never refused.
- Re-importing an imported file changes nothing.
- Exporting and importing back changes nothing (observations and areas).
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from pathlib import Path

import shapely.geometry
from django.core.management import call_command
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from safercities.incidents.importers import import_incidents
from safercities.incidents.models import Incident
from safercities.indicators.importers import import_indicators, import_observations
from safercities.indicators.models import Indicator, Observation
from safercities.places.importers import import_areas
from safercities.places.models import Area
from safercities.portal.tests.factories import build_small_city

BAD = object()  # marks a generated cell the importer must refuse


@contextmanager
def rolled_back():
    """Each Hypothesis example starts from the same database: its writes are undone afterwards."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def write_csv(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    path = folder / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def check_report(report, *, n_rows: int, before: int, after: int, bad_rows: set[int]) -> None:
    """The shared contract: all or nothing, every error with row and field, every bad row named."""
    if report.ok:
        assert not bad_rows, f"rows {sorted(bad_rows)} were accepted"
        assert after - before == report.created
        return
    assert after == before, "a rejected import wrote rows"
    assert report.created == report.updated == report.unchanged == 0
    assert report.errors and report.error_count == len(report.errors)
    for error in report.errors:
        assert 0 <= error.row <= n_rows and error.field and error.message.strip(), error
    reported = {error.row for error in report.errors}
    if 0 not in reported:  # a file-level error (e.g. a column missing from every row) names the file
        assert bad_rows <= reported, f"rows {sorted(bad_rows - reported)} are bad but were not reported"


def cell(strategy_good, strategy_bad):
    """A (text, is_bad) pair: mostly good cells, sometimes bad ones."""
    return st.one_of(
        strategy_good.map(lambda v: (v, False)),
        strategy_good.map(lambda v: (v, False)),
        strategy_good.map(lambda v: (v, False)),
        strategy_bad.map(lambda v: (v, True)),
    )


# --- observations --------------------------------------------------------------------------------

observation_row = st.tuples(
    cell(st.sampled_from(["homicide-rate", "unemployment-rate"]), st.sampled_from(["no-such-indicator"])),
    cell(st.sampled_from(["A1", "A2", "A3"]), st.sampled_from(["NOWHERE", "A9"])),
    cell(
        st.sampled_from(["2021", "2022", "2023Q2", "2024-03", "2024-11", "2023W07"]),
        st.sampled_from(["2024-13", "yesterday", "20X4"]),
    ),
    cell(
        st.integers(0, 99).map(str) | st.floats(0, 99, allow_nan=False).map(lambda x: f"{x:.3f}"),
        st.sampled_from(["abc", "12x", "NaN", "1e999"]),
    ),
)


@given(rows=st.lists(observation_row, min_size=1, max_size=12))
def test_observations_all_or_nothing_and_reimport_changes_nothing(city, tmp_path, rows):
    build_city(city)
    with rolled_back():
        text = [[value for value, _bad in row] for row in rows]
        bad = {i + 1 for i, row in enumerate(rows) if any(b for _v, b in row)}
        keys = [(r[0], r[1], r[2]) for r in text]
        duplicated = {i + 1 for i, key in enumerate(keys) if keys.count(key) > 1}
        path = write_csv(tmp_path, "obs.csv", ["indicator", "area", "period", "value"], text)
        before = Observation.objects.count()
        report = import_observations(city, path)
        check_report(report, n_rows=len(rows), before=before, after=Observation.objects.count(), bad_rows=bad)
        if not bad and not duplicated:
            assert report.ok, [e.as_dict() for e in report.errors]
        if report.ok:
            again = import_observations(city, path)
            assert again.ok and again.created == again.updated == 0
            assert Observation.objects.count() == before + report.created


@given(
    rows=st.lists(
        observation_row.filter(lambda r: not any(b for _v, b in r)),
        min_size=1,
        max_size=10,
        unique_by=lambda r: (r[0][0], r[1][0], r[2][0]),
    )
)
def test_observations_export_then_import_changes_nothing(city, tmp_path, rows):
    build_city(city)
    with rolled_back():
        path = write_csv(
            tmp_path,
            "obs.csv",
            ["indicator", "area", "period", "value"],
            [[value for value, _bad in row] for row in rows],
        )
        assert import_observations(city, path).ok
        first = tmp_path / "export-1.csv"
        call_command("export", "observations", "--city", city.slug, "--output", str(first))
        count = Observation.objects.count()
        back = import_observations(city, first)
        assert back.ok and back.created == back.updated == 0, back.as_dict()
        assert Observation.objects.count() == count
        second = tmp_path / "export-2.csv"
        call_command("export", "observations", "--city", city.slug, "--output", str(second))
        assert first.read_bytes() == second.read_bytes()


# --- indicators ----------------------------------------------------------------------------------

indicator_row = st.tuples(
    st.integers(0, 5).map(lambda i: (f"fuzz-{i}", False)),
    cell(st.sampled_from(["Robos", "Lesiones", "Niñez"]), st.sampled_from([""])),
    cell(st.sampled_from(["personal", "economic", "health", "community"]), st.sampled_from(["nope", "PERSONAL!"])),
    cell(st.sampled_from(["per 100k", "%", "count"]), st.nothing()),
    cell(st.sampled_from(["higher_is_worse", "higher_is_better"]), st.sampled_from(["sideways"])),
    cell(st.sampled_from(["sum", "mean"]), st.sampled_from(["median-ish"])),
)


@given(rows=st.lists(indicator_row, min_size=1, max_size=8))
def test_indicators_all_or_nothing_and_reimport_changes_nothing(city, tmp_path, rows):
    with rolled_back():
        text = [[value for value, _bad in row] for row in rows]
        bad = {i + 1 for i, row in enumerate(rows) if any(b for _v, b in row)}
        codes = [r[0] for r in text]
        duplicated = {i + 1 for i, code in enumerate(codes) if codes.count(code) > 1}
        header = ["code", "name", "dimension", "unit", "direction", "aggregation"]
        path = write_csv(tmp_path, "ind.csv", header, text)
        before = Indicator.objects.count()
        report = import_indicators(city, path)
        check_report(report, n_rows=len(rows), before=before, after=Indicator.objects.count(), bad_rows=bad)
        if not bad and not duplicated:
            assert report.ok, [e.as_dict() for e in report.errors]
        if report.ok:
            again = import_indicators(city, path)
            assert again.ok and again.created == again.updated == 0, again.as_dict()


# --- incidents -----------------------------------------------------------------------------------

incident_row = st.tuples(
    cell(
        st.sampled_from(["2024-03-01T10:00", "2024-03-02 22:15", "2024-02-29T00:00:00-06:00", "01/03/2024 08:00"]),
        st.sampled_from(["not a date", "2024-02-30T10:00", "31/31/2024"]),
    ),
    cell(st.sampled_from(["robbery", "assault", "burglary"]), st.sampled_from([""])),
    cell(st.floats(19.0001, 19.0099).map(lambda x: f"{x:.5f}"), st.sampled_from(["north", "95.5", "-91"])),
    cell(st.floats(-98.1999, -98.1701).map(lambda x: f"{x:.5f}"), st.sampled_from(["west", "200", "-181"])),
)


@given(rows=st.lists(incident_row, min_size=1, max_size=12))
def test_incidents_all_or_nothing_and_reimport_changes_nothing(city, tmp_path, rows):
    build_city(city)
    with rolled_back():
        text = [[value for value, _bad in row] for row in rows]
        bad = {i + 1 for i, row in enumerate(rows) if any(b for _v, b in row)}
        path = write_csv(tmp_path, "inc.csv", ["occurred_at", "category", "lat", "lon"], text)
        before = Incident.objects.count()
        report = import_incidents(city, path)
        check_report(report, n_rows=len(rows), before=before, after=Incident.objects.count(), bad_rows=bad)
        if not bad:
            assert report.ok, [e.as_dict() for e in report.errors]
        if report.ok:
            again = import_incidents(city, path)
            assert again.ok and again.created == 0, again.as_dict()
            assert Incident.objects.count() == before + report.created


# --- areas ---------------------------------------------------------------------------------------


def square(i: int, j: int) -> dict:
    x, y, s = -99.0 + i * 0.01, 18.0 + j * 0.01, 0.009
    return {"type": "Polygon", "coordinates": [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]]}


area_feature = st.tuples(
    st.integers(0, 6).map(lambda i: f"Z{i}"),
    cell(st.sampled_from(["Norte", "Sur", "Peñón", "Ciudad Vieja"]), st.just("n" * 201)),
    st.integers(0, 30),
    st.booleans(),  # code missing (bad)
)


@settings(max_examples=10)
@given(features=st.lists(area_feature, min_size=1, max_size=6))
def test_areas_all_or_nothing_reimport_and_round_trip(city, tmp_path, features):
    with rolled_back():
        collection = {"type": "FeatureCollection", "features": []}
        bad = set()
        for index, (code, (name, bad_name), offset, missing_code) in enumerate(features):
            properties = {"name": name} if missing_code else {"code": code, "name": name}
            collection["features"].append(
                {"type": "Feature", "properties": properties, "geometry": square(offset, index)}
            )
            if bad_name or missing_code:
                bad.add(index + 1)
        codes = [f[0] for f in features if not f[3]]
        duplicated = len(codes) != len(set(codes))
        path = tmp_path / "areas.geojson"
        path.write_text(json.dumps(collection), encoding="utf-8")
        before = Area.objects.count()
        report = import_areas(city, path, level="neighbourhood")
        check_report(report, n_rows=len(features), before=before, after=Area.objects.count(), bad_rows=bad)
        if not bad and not duplicated:
            assert report.ok, [e.as_dict() for e in report.errors]
        if not report.ok:
            return
        again = import_areas(city, path, level="neighbourhood")
        assert again.ok and again.created == again.updated == 0, again.as_dict()
        out = io.StringIO()
        call_command("export", "areas", "--city", city.slug, "--format", "geojson", stdout=out)
        exported = tmp_path / "export.geojson"
        exported.write_text(out.getvalue(), encoding="utf-8")
        stored = {a.code: shapely.geometry.shape(a.geometry) for a in Area.objects.filter(city=city)}
        back = import_areas(city, exported, level="neighbourhood")
        assert back.ok and back.created == back.updated == 0, back.as_dict()
        # The same shapes come back, vertex for vertex.
        for area in Area.objects.filter(city=city):
            assert shapely.equals_identical(shapely.geometry.shape(area.geometry), stored[area.code])


def test_area_export_then_import_is_unchanged(city, tmp_path):
    """Export → import → export, three times over: every area stays "unchanged" (set_precision used to
    rotate the rings on each pass, so each re-import reported "updated"), the exports are identical
    byte for byte, and the stored rings keep RFC 7946's right-hand rule (exterior counter-clockwise,
    holes clockwise) whatever orientation the input had."""
    x, y = -99.0, 18.0
    outer = [[x, y], [x, y + 0.02], [x + 0.02, y + 0.02], [x + 0.02, y], [x, y]]  # clockwise on purpose
    hole = [[x + 0.005, y + 0.005], [x + 0.01, y + 0.005], [x + 0.01, y + 0.01], [x + 0.005, y + 0.005]]  # ccw
    features = [
        {"type": "Feature", "properties": {"code": "Z0", "name": "Norte"}, "geometry": square(0, 0)},
        {
            "type": "Feature",
            "properties": {"code": "Z1", "name": "Sur"},
            "geometry": {"type": "Polygon", "coordinates": [outer, hole]},
        },
        {
            "type": "Feature",
            "properties": {"code": "Z2", "name": "Islas"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [square(5, 5)["coordinates"], square(3, 3)["coordinates"]],
            },
        },
    ]
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    assert import_areas(city, path, level="neighbourhood").ok
    exports = []
    for turn in range(3):
        out = io.StringIO()
        call_command("export", "areas", "--city", city.slug, "--format", "geojson", stdout=out)
        exports.append(out.getvalue())
        exported = tmp_path / f"export-{turn}.geojson"
        exported.write_text(exports[-1], encoding="utf-8")
        back = import_areas(city, exported, level="neighbourhood")
        assert back.ok and (back.created, back.updated, back.unchanged) == (0, 0, 3), back.as_dict()
    assert exports[0] == exports[1] == exports[2]
    for area in Area.objects.filter(city=city):
        for polygon in shapely.get_parts(shapely.geometry.shape(area.geometry)):
            assert polygon.exterior.is_ccw, area.code
            assert not any(ring.is_ccw for ring in polygon.interiors), area.code


def build_city(city) -> None:
    if not Area.objects.filter(city=city, code="A1").exists():
        build_small_city(city)
