"""Areas importer: formats, CRS, geometry repair, hierarchy and every hostile input we could think of."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from django.db.models.query import QuerySet

from safercities.ingest.models import ImportRun
from safercities.places import importers
from safercities.places.importers import import_areas
from safercities.places.models import Area, AreaPopulation

SQUARE = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
BOWTIE = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]


def feature(code=None, name=None, geometry=None, **props):
    properties = dict(props)
    if code is not None:
        properties["code"] = code
    if name is not None:
        properties["name"] = name
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": geometry if geometry is not None else {"type": "Polygon", "coordinates": SQUARE},
    }


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_geojson(tmp_path: Path, features: list, name: str = "areas.geojson", **extra) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": features}), encoding="utf-8")
    return path


def snapshot(city):
    areas = list(Area.objects.filter(city=city).order_by("code").values())
    populations = list(AreaPopulation.objects.filter(area__city=city).order_by("pk").values())
    return areas, populations


def messages(report) -> str:
    return " | ".join(f"{e.row}:{e.field}:{e.message}" for e in report.errors)


# ------------------------------------------------------------------------------------------ basics


def test_geojson_import_stores_geometry_centroid_bbox_and_geodesic_area(city, tmp_path):
    path = write_geojson(
        tmp_path,
        [
            feature("D1", "Centro", {"type": "Polygon", "coordinates": SQUARE}),
            feature("P1", "Station", {"type": "Point", "coordinates": [-99.123456789, 19.4]}),
        ],
    )
    report = import_areas(city, path, level="district")
    assert report.ok, messages(report)
    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    d1 = Area.objects.get(city=city, code="D1")
    assert d1.name == "Centro" and d1.level == "district" and d1.parent is None
    assert (d1.min_lon, d1.min_lat, d1.max_lon, d1.max_lat) == (0, 0, 1, 1)
    assert d1.centroid_lon == pytest.approx(0.5) and d1.centroid_lat == pytest.approx(0.5, abs=1e-3)
    # A 1°×1° cell at the equator: R²·Δλ·(sin φ2 − sin φ1) with the authalic radius, ≈ 12,364 km².
    spherical = 6371.0072**2 * math.radians(1) * math.sin(math.radians(1))
    assert d1.area_km2 == pytest.approx(spherical, rel=5e-3)
    assert d1.geometry["type"] == "Polygon"
    # RFC 7946: the exterior ring runs counter-clockwise.
    assert shapely.Polygon(d1.geometry["coordinates"][0]).exterior.is_ccw
    p1 = Area.objects.get(city=city, code="P1")
    assert p1.geometry == {"type": "Point", "coordinates": [-99.1234568, 19.4]}  # 7 decimals
    assert (p1.centroid_lon, p1.centroid_lat, p1.area_km2) == (-99.1234568, 19.4, 0)
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.OK


def test_level_from_property_and_default(city, tmp_path):
    path = write_geojson(tmp_path, [feature("A", "A", level="colonia"), feature("B", "B", square(2, 2))])
    assert import_areas(city, path).ok
    assert dict(Area.objects.filter(city=city).values_list("code", "level")) == {"A": "colonia", "B": "area"}


def test_field_mapping_is_case_insensitive_and_numbers_become_codes(city, tmp_path):
    features = [
        {"type": "Feature", "properties": {"CVE": 7.0, "NOMBRE": "Siete"}, "geometry": square(0, 0)},
        {"type": "Feature", "properties": {"CVE": 12, "NOMBRE": "Doce"}, "geometry": square(1, 1)},
    ]
    report = import_areas(city, write_geojson(tmp_path, features), code_field="cve", name_field="nombre")
    assert report.ok, messages(report)
    assert dict(Area.objects.filter(city=city).values_list("code", "name")) == {"7": "Siete", "12": "Doce"}


def test_utf8_bom_and_single_feature(city, tmp_path):
    path = tmp_path / "bom.geojson"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(feature("Ñ1", "Peñón")).encode())
    report = import_areas(city, path)
    assert report.ok, messages(report)
    assert Area.objects.get(city=city, code="Ñ1").name == "Peñón"


def test_code_template(city, tmp_path):
    features = [
        feature(name="Balfour", geometry={"type": "Point", "coordinates": [28.6, -26.6]}, PROV="MP", NAME="Balfour"),
        feature(name="Balfour", geometry={"type": "Point", "coordinates": [26.6, -32.5]}, PROV="EC", NAME="Balfour"),
    ]
    path = write_geojson(tmp_path, features)
    report = import_areas(city, path, code_template="{PROV}-{NAME}", level="station")
    assert report.ok, messages(report)
    assert sorted(Area.objects.filter(city=city).values_list("code", flat=True)) == ["EC-Balfour", "MP-Balfour"]


def test_code_template_problems(city, tmp_path):
    features = [feature(name="X", PROV="MP", NAME="A"), feature(name="Y", geometry=square(3, 3), PROV="", NAME="B")]
    path = write_geojson(tmp_path, features)
    report = import_areas(city, path, code_template="{PROV}-{NAME}")
    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [(2, "code")]
    assert "'PROV'" in report.errors[0].message and "empty" in report.errors[0].message
    report = import_areas(city, path, code_template="{PROV.__class__}")
    assert not report.ok and report.errors[0].row == 0 and "property names in braces" in report.errors[0].message
    report = import_areas(city, path, code_template="{NOPE}-{NAME}")
    assert not report.ok and "no property 'NOPE'" in messages(report)
    assert not Area.objects.exists()


# ---------------------------------------------------------------------------------- other formats


def _write_shapefile(directory: Path, rows: list[tuple[str, str, shapely.Geometry]], crs: str | None) -> Path:
    from pyogrio.raw import write

    directory.mkdir(exist_ok=True)
    path = directory / "zones.shp"
    wkb = np.array([shapely.to_wkb(g) for _c, _n, g in rows], dtype=object)
    fields = [np.array([c for c, _n, _g in rows], dtype=object), np.array([n for _c, n, _g in rows], dtype=object)]
    write(str(path), wkb, fields, ["CODE", "NAME"], geometry_type="Polygon", crs=crs, driver="ESRI Shapefile")
    return path


def test_zipped_shapefile_with_declared_utm_crs_is_reprojected(city, tmp_path):
    # UTM 14N (EPSG:32614) easting 500,000 is the central meridian −99°; northing 2,000,000 m is 18.0887°N.
    ring = shapely.Polygon([(500000, 2000000), (501000, 2000000), (501000, 2001000), (500000, 2001000)])
    shp = _write_shapefile(tmp_path / "shp", [("Z1", "Zona uno", ring)], crs="EPSG:32614")
    archive = tmp_path / "zones.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, f"data/{part.name}")
    report = import_areas(city, archive)
    assert report.ok, messages(report)
    assert any("EPSG:32614" in note for note in report.notes)
    area = Area.objects.get(city=city, code="Z1")
    assert area.min_lon == pytest.approx(-99.0, abs=1e-7)
    assert area.min_lat == pytest.approx(18.0887089, abs=2e-7)
    assert area.area_km2 == pytest.approx(1.0, rel=2e-3)  # 1 km × 1 km (UTM scale factor 0.9996 near the meridian)


def test_bare_shapefile_with_sidecars_and_missing_dbf(city, tmp_path):
    shp = _write_shapefile(tmp_path / "bare", [("S1", "Sur", shapely.box(10, 10, 10.1, 10.1))], crs="EPSG:4326")
    report = import_areas(city, shp)
    assert report.ok, messages(report)
    assert Area.objects.get(city=city, code="S1").area_km2 > 100
    shp.with_suffix(".dbf").unlink()
    report = import_areas(city, shp)
    assert not report.ok and ".dbf" in report.errors[0].message


def test_geopackage_layers(city, tmp_path):
    from pyogrio.raw import write

    path = tmp_path / "areas.gpkg"
    for layer, code in (("districts", "D"), ("blocks", "B")):
        wkb = np.array([shapely.to_wkb(shapely.box(0, 0, 0.1, 0.1))], dtype=object)
        fields = [np.array([code], dtype=object), np.array([f"{layer} one"], dtype=object)]
        write(
            str(path),
            wkb,
            fields,
            ["code", "name"],
            layer=layer,
            driver="GPKG",
            crs="EPSG:4326",
            geometry_type="Polygon",
        )
    report = import_areas(city, path)
    assert not report.ok and "--layer" in report.errors[0].message and "blocks" in report.errors[0].message
    report = import_areas(city, path, layer="blocks")
    assert report.ok, messages(report)
    assert list(Area.objects.filter(city=city).values_list("code", "name")) == [("B", "blocks one")]
    assert "no layer 'roads'" in messages(import_areas(city, path, layer="roads"))


# ------------------------------------------------------------------------------------------- CRS


def test_projected_metres_without_declaration_are_rejected_with_hint(city, tmp_path):
    path = write_geojson(tmp_path, [feature("U", "Utm", square(500000, 2000000, 1000))])
    report = import_areas(city, path)
    assert not report.ok
    assert report.errors[0].row == 0 and "--crs" in report.errors[0].message
    assert not Area.objects.exists()
    report = import_areas(city, path, crs="EPSG:32614")
    assert report.ok, messages(report)
    area = Area.objects.get(city=city, code="U")
    assert (area.min_lon, round(area.min_lat, 6)) == (-99.0, 18.088709)


def test_geojson_crs_member_is_honoured_and_conflicting_crs_option_refused(city, tmp_path):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32614"}}
    path = write_geojson(tmp_path, [feature("U", "Utm", square(500000, 2000000, 1000))], crs=crs)
    report = import_areas(city, path, crs="EPSG:32615")
    assert not report.ok and "drop --crs" in report.errors[0].message
    report = import_areas(city, path)
    assert report.ok, messages(report)
    assert Area.objects.get(city=city, code="U").min_lon == -99.0


def test_bad_crs_option(city, tmp_path):
    report = import_areas(city, write_geojson(tmp_path, [feature("A", "A")]), crs="EPSG:999999")
    assert not report.ok and "--crs" in report.errors[0].message


# ------------------------------------------------------------------------------------ geometries


def test_bowtie_is_repaired_and_reported(city, tmp_path):
    path = write_geojson(tmp_path, [feature("BT", "Bow tie", {"type": "Polygon", "coordinates": BOWTIE})])
    report = import_areas(city, path)
    assert report.ok, messages(report)
    assert any("repaired 1 invalid geometry" in note and "Self-intersection" in note for note in report.notes)
    area = Area.objects.get(city=city, code="BT")
    geometry = shapely.geometry.shape(area.geometry)
    assert geometry.is_valid and geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 2
    assert shapely.area(geometry) == pytest.approx(0.5)


def star(n: int, k: int, x: float = -98.2, y: float = 19.0, radius: float = 0.01) -> dict:
    """The star polygon {n/k}: a ring through n points of a circle, k steps at a time, crossing itself
    n·(k − 1) times (a pentagram {5/2} five times); n and k share no divisor, so it is one ring."""
    assert math.gcd(n, k) == 1
    ring = [
        [x + radius * math.cos(2 * math.pi * (i * k % n) / n), y + radius * math.sin(2 * math.pi * (i * k % n) / n)]
        for i in range(n)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.mark.parametrize(("n", "k"), [(5, 2), (31, 10), (41, 20)])
def test_tangled_star_is_repaired_into_a_valid_area_that_keeps_its_centre(city, tmp_path, n, k):
    """Up to the documented crossing limit a tangle is repaired (279 and 779 crossings here), and the
    repair keeps the area the ring encloses: the star's centre, which an even-odd repair would cut out."""
    path = write_geojson(tmp_path, [feature("ST", "Star", star(n, k))])
    report = import_areas(city, path)
    assert report.ok, messages(report)
    assert any("repaired 1 invalid geometry: feature 1 (ST: Self-intersection" in note for note in report.notes)
    geometry = shapely.geometry.shape(Area.objects.get(city=city, code="ST").geometry)
    assert geometry.is_valid and geometry.geom_type in {"Polygon", "MultiPolygon"} and geometry.area > 0
    assert geometry.contains(shapely.Point(-98.2, 19.0))
    assert shapely.get_coordinates(geometry)[:, 0].max() <= -98.19  # nothing added outside the ring


@pytest.mark.parametrize("dry_run", [False, True])
def test_star_with_too_many_crossings_is_refused_naming_row_and_reason(city, tmp_path, dry_run):
    """A {101/50} star crosses itself 4,949 times: over the limit, so the feature is refused (its row,
    the field and why) and the file's good feature is not written either."""
    assert importers.MAX_SELF_INTERSECTIONS < 101 * 49
    path = write_geojson(tmp_path, [feature("OK", "Fine", square(-98.3, 19.0)), feature("ST", "Star", star(101, 50))])
    report = import_areas(city, path, dry_run=dry_run)
    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [(2, "geometry")]
    message = report.errors[0].message
    assert message.startswith("feature 2 ") and "crosses itself more than 1,000 times" in message
    assert "Self-intersection" in message and "GIS" in message
    assert report.created == report.updated == report.unchanged == 0
    assert not Area.objects.filter(city=city).exists()


def test_crossing_count_is_exact_below_the_limit_and_stops_above_it(monkeypatch):
    """The count is exact below the limit (a pentagram crosses itself 5 times, a bow-tie once, a square
    never; shared vertices and repeated points are not crossings); above it, counting stops after the
    chunk of segments that passed the limit instead of counting all 79,799 crossings of a {401/200}."""
    shape = shapely.geometry.shape
    assert importers._self_intersections(shape(star(5, 2)), 10) == 5
    assert importers._self_intersections(shape({"type": "Polygon", "coordinates": BOWTIE}), 10) == 1
    repeated = [[0, 0], [1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [0, 0]]
    assert importers._self_intersections(shape({"type": "Polygon", "coordinates": [repeated]}), 10) == 0
    assert importers._self_intersections(shape(star(31, 10)), 10**6) == 31 * 9
    assert importers._self_intersections(shape(star(401, 200)), 10**6) == 401 * 199
    monkeypatch.setattr(importers, "PAIR_BUDGET", 401 * 10)  # chunks of 10 segments
    assert 50 < importers._self_intersections(shape(star(401, 200)), 50) <= 10 * 2 * 199


def test_geometry_rejections_name_feature_and_reason(city, tmp_path):
    features = [
        feature("OK", "Fine", square(0, 0)),
        feature("E1", "Empty", {"type": "Polygon", "coordinates": []}),
        feature("E2", "Flat", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}),
        feature("E3", "Line", {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
        feature("E4", "Far", {"type": "Point", "coordinates": [0, 95]}),
        {"type": "Feature", "properties": {"code": "E5", "name": "Null"}, "geometry": None},
        feature("E6", "Garbage", {"type": "Polygon", "coordinates": [["a", "b"]]}),
        "not a feature",
    ]
    report = import_areas(city, write_geojson(tmp_path, features))
    assert not report.ok
    by_row = {e.row: e.message for e in report.errors}
    assert sorted(by_row) == [2, 3, 4, 5, 6, 7, 8]
    assert "empty" in by_row[2]
    assert "cannot be repaired" in by_row[3]
    assert "LineString" in by_row[4]
    assert "out of range" in by_row[5]
    assert "no geometry" in by_row[6]
    assert "cannot be read" in by_row[7]
    assert "not a GeoJSON Feature" in by_row[8]
    assert all(by_row[row].startswith(f"feature {row} ") for row in by_row)
    assert report.created == 0 and not Area.objects.exists()


# ----------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b'{"hello": "world"}', "not GeoJSON"),
        (b"[1, 2, 3]", "not GeoJSON"),
        (b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
        (b'{"type": "FeatureCollection", "features": []}', "no features"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "binary file"),
        (b"code,name\nA,B\n", "text (CSV) file"),
        (b'{"type": "FeatureCollection", "features": [], "x": "\xff"}', "not UTF-8"),
    ],
)
def test_files_that_are_not_areas(city, tmp_path, content, expected):
    path = tmp_path / "areas.geojson"
    path.write_bytes(content)
    report = import_areas(city, path)
    assert not report.ok
    assert report.errors[0].row == 0 and expected in report.errors[0].message
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.REJECTED


def test_zip_without_shapefile(city, tmp_path):
    path = tmp_path / "areas.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "no shapes here")
    report = import_areas(city, path)
    assert not report.ok and "zip archive without a shapefile" in report.errors[0].message


def test_zip_with_shp_but_no_dbf(city, tmp_path):
    path = tmp_path / "areas.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.shp", b"\x00\x00\x27\x0a")
        zf.writestr("a.shx", b"\x00\x00\x27\x0a")
    report = import_areas(city, path)
    assert not report.ok and "not its .dbf" in report.errors[0].message


def test_corrupt_shapefile(city, tmp_path):
    path = tmp_path / "broken.shp"
    path.write_bytes(b"\x00\x00\x27\x0a" + b"\x00" * 20)
    path.with_suffix(".shx").write_bytes(b"\x00\x00\x27\x0a")
    path.with_suffix(".dbf").write_bytes(b"\x03")
    report = import_areas(city, path)
    assert not report.ok and report.errors[0].row == 0 and "cannot be read" in report.errors[0].message


def test_missing_code_and_name_properties(city, tmp_path):
    features = [{"type": "Feature", "properties": {"CVE": "1", "NOM": "Uno"}, "geometry": square(0, 0)}]
    report = import_areas(city, write_geojson(tmp_path, features))
    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [(0, "code"), (0, "name")]
    assert "--code-field" in report.errors[0].message and "CVE, NOM" in report.errors[0].message
    report = import_areas(city, write_geojson(tmp_path, features), code_field="CLAVE", name_field="NOM")
    assert not report.ok and "no property 'CLAVE'" in report.errors[0].message


def test_empty_code_or_name_in_one_feature(city, tmp_path):
    features = [feature("A", "A"), feature("", "B", square(2, 2)), feature("C", None, square(3, 3))]
    report = import_areas(city, write_geojson(tmp_path, features))
    assert [(e.row, e.field) for e in report.errors] == [(2, "code"), (3, "name")]


def test_duplicate_codes_name_both_positions(city, tmp_path):
    features = [feature("A", "One"), feature("B", "Two", square(2, 2)), feature("A", "Three", square(3, 3))]
    report = import_areas(city, write_geojson(tmp_path, features))
    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [(3, "code")]
    assert "feature 1 and feature 3" in report.errors[0].message
    assert not Area.objects.exists()


def test_ten_megabyte_property(city, tmp_path):
    huge = "x" * (10 * 1024 * 1024)
    features = [feature("A", huge), feature("B", "Fine", square(2, 2), notes=huge)]
    report = import_areas(city, write_geojson(tmp_path, features))
    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [(1, "name")]
    assert "10,485,760 characters" in report.errors[0].message and len(report.errors[0].message) < 200
    report = import_areas(city, write_geojson(tmp_path, [feature(huge, "Name")]))
    assert not report.ok and "at most 64" in report.errors[0].message


def test_unknown_option_is_refused(city, tmp_path):
    report = import_areas(city, write_geojson(tmp_path, [feature("A", "A")]), colour="blue")
    assert not report.ok and "unknown option" in report.errors[0].message and "colour" in report.errors[0].message


def test_population_year_without_field_is_refused(city, tmp_path):
    report = import_areas(city, write_geojson(tmp_path, [feature("A", "A")]), population_year=2020)
    assert not report.ok and "go together" in report.errors[0].message


# ------------------------------------------------------------------------------------- hierarchy


def test_parents_may_come_later_in_the_file(city, tmp_path):
    features = [
        feature("N1", "Barrio", square(0, 0), parent="D1", level="neighbourhood"),
        feature("D1", "Distrito", square(0, 0, 0.5), parent="C", level="district"),
        feature("C", "Ciudad", square(0, 0, 1), level="city"),
    ]
    report = import_areas(city, write_geojson(tmp_path, features))
    assert report.ok, messages(report)
    assert Area.objects.get(city=city, code="N1").parent.code == "D1"
    assert Area.objects.get(city=city, code="D1").parent.code == "C"
    assert Area.objects.get(city=city, code="C").parent is None


def test_parent_may_be_an_existing_area(city, tmp_path):
    existing = Area.objects.create(city=city, code="C", name="Ciudad")
    features = [{"type": "Feature", "properties": {"id": "D", "n": "Dist", "up": "C"}, "geometry": square(0, 0)}]
    report = import_areas(city, write_geojson(tmp_path, features), code_field="id", name_field="n", parent_field="up")
    assert report.ok, messages(report)
    assert Area.objects.get(city=city, code="D").parent == existing


def test_unknown_parent(city, other_city, tmp_path):
    Area.objects.create(city=other_city, code="X", name="Elsewhere")  # another city's area is not a parent
    features = [feature("A", "A", parent="X")]
    report = import_areas(city, write_geojson(tmp_path, features))
    assert not report.ok
    assert (report.errors[0].row, report.errors[0].field) == (1, "parent")
    assert "'X' is neither in the file nor an area of this city" in report.errors[0].message


def test_parent_cycle(city, tmp_path):
    features = [
        feature("A", "A", parent="B"),
        feature("B", "B", square(2, 2), parent="C"),
        feature("C", "C", square(3, 3), parent="A"),
        feature("D", "D", square(4, 4), parent="A"),
        feature("E", "E", square(5, 5), parent="E"),
    ]
    report = import_areas(city, write_geojson(tmp_path, features))
    assert not report.ok
    rows = {e.row: e.message for e in report.errors}
    assert sorted(rows) == [1, 5]  # the cycle is reported once; D only hangs off it
    assert "A → B → C → A" in rows[1]
    assert "E → E" in rows[5]
    assert not Area.objects.exists()


def test_cycle_through_existing_areas(city, tmp_path):
    a = Area.objects.create(city=city, code="A", name="A")
    Area.objects.create(city=city, code="B", name="B", parent=a)
    report = import_areas(city, write_geojson(tmp_path, [feature("A", "A", parent="B")]))
    assert not report.ok and "A → B → A" in report.errors[0].message
    assert Area.objects.get(code="A").parent is None


def test_parent_code_option_creates_and_reuses_a_root(city, tmp_path):
    path = write_geojson(tmp_path, [feature("01", "Uno"), feature("02", "Dos", square(2, 2))])
    options = {"parent_code": "00", "parent_name": "Nacional", "parent_level": "country", "level": "state"}
    report = import_areas(city, path, **options)
    assert report.ok, messages(report)
    assert (report.rows, report.created) == (2, 2)
    root = Area.objects.get(city=city, code="00")
    assert (root.name, root.level, root.geometry) == ("Nacional", "country", None)
    assert set(root.children.values_list("code", flat=True)) == {"01", "02"}
    again = import_areas(city, path, **options)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Area.objects.filter(city=city).count() == 3
    clash = import_areas(city, write_geojson(tmp_path, [feature("00", "Uno")]), parent_code="00")
    assert not clash.ok and "also given as --parent-code" in clash.errors[0].message


# ------------------------------------------------------------------------------------ population


def test_population_field(city, tmp_path):
    features = [feature("A", "A", pob="1,234"), feature("B", "B", square(2, 2), pob=None)]
    path = write_geojson(tmp_path, features)
    report = import_areas(city, path, population_field="pob", population_year=2020)
    assert report.ok, messages(report)
    assert list(AreaPopulation.objects.values_list("area__code", "year", "sex", "population")) == [
        ("A", 2020, "", 1234)
    ]
    assert any("1 feature(s) have no population" in n for n in report.notes)
    features[0]["properties"]["pob"] = 1300
    report = import_areas(city, write_geojson(tmp_path, features), population_field="pob", population_year=2020)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert AreaPopulation.objects.get().population == 1300


def test_non_numeric_population(city, tmp_path):
    features = [feature("A", "A", pob="many"), feature("B", "B", square(2, 2), pob=-5), feature("C", "C", pob=2.5)]
    report = import_areas(city, write_geojson(tmp_path, features), population_field="pob", population_year=2020)
    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [(1, "pob"), (2, "pob"), (3, "pob")]
    assert "not a number" in report.errors[0].message
    assert "negative" in report.errors[1].message and "whole number" in report.errors[2].message
    assert not Area.objects.exists() and not AreaPopulation.objects.exists()


# --------------------------------------------------------------------------- idempotence, dry run, faults


def test_reimport_is_idempotent_and_updates_are_counted(city, tmp_path):
    features = [feature("A", "Alfa", square(0, 0)), feature("B", "Bravo", {"type": "Polygon", "coordinates": BOWTIE})]
    path = write_geojson(tmp_path, features)
    assert import_areas(city, path).created == 2
    before = snapshot(city)
    again = import_areas(city, path)
    assert (again.rows, again.created, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert snapshot(city) == before
    features[0]["properties"]["name"] = "Alpha"
    third = import_areas(city, write_geojson(tmp_path, features))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert Area.objects.get(city=city, code="A").name == "Alpha"


def test_same_shape_with_other_ring_start_or_orientation_is_unchanged(city, tmp_path):
    """A stored ring that starts elsewhere or runs the other way (rows written before geometries were
    stored in one canonical form, or edited by hand) is the same area: "unchanged", not rewritten. A
    vertex moved by 1e-7° (the stored precision) is a change and is counted and written."""
    path = write_geojson(tmp_path, [feature("A", "Alfa", square(0, 0))])
    assert import_areas(city, path).created == 1
    area = Area.objects.get(city=city, code="A")
    ring = area.geometry["coordinates"][0][:-1]
    rotated = [*ring[2:], *ring[:2]]
    area.geometry = {"type": "Polygon", "coordinates": [[*rotated, rotated[0]][::-1]]}
    area.save(update_fields=["geometry"])
    before = snapshot(city)
    again = import_areas(city, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert snapshot(city) == before
    moved = square(0, 0)
    moved["coordinates"][0][2][0] += 1e-7
    changed = import_areas(city, write_geojson(tmp_path, [feature("A", "Alfa", moved)]))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    assert Area.objects.get(city=city, code="A").max_lon == pytest.approx(0.01 + 1e-7, abs=1e-12)


def test_other_city_is_untouched(city, other_city, tmp_path):
    Area.objects.create(city=other_city, code="A", name="Theirs")
    assert import_areas(city, write_geojson(tmp_path, [feature("A", "Ours")])).created == 1
    assert Area.objects.get(city=other_city, code="A").name == "Theirs"


def test_dry_run_writes_nothing_but_counts(city, tmp_path):
    path = write_geojson(tmp_path, [feature("A", "A"), feature("B", "B", square(2, 2), parent="A")])
    report = import_areas(city, path, dry_run=True, parent_code="ROOT")
    assert report.ok and report.dry_run
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert not Area.objects.exists()
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.DRY_RUN


def test_fault_mid_write_leaves_database_unchanged(city, tmp_path, monkeypatch):
    Area.objects.create(city=city, code="A", name="Old name")
    before = snapshot(city)
    features = [feature("A", "New name"), feature("B", "B", square(2, 2), parent="A", pob=5)]
    path = write_geojson(tmp_path, features)
    real = QuerySet.bulk_update

    def faulty(self, objs, fields, **kwargs):
        real(self, objs, fields, **kwargs)  # the rows are written …
        raise RuntimeError("disk on fire")  # … and then the process fails

    monkeypatch.setattr(QuerySet, "bulk_update", faulty)
    with pytest.raises(RuntimeError):
        import_areas(city, path, population_field="pob", population_year=2020)
    monkeypatch.undo()
    assert snapshot(city) == before
    assert ImportRun.objects.filter(status=ImportRun.FAILED).count() == 1


# ------------------------------------------------------------------------------------------- CLI


def test_cli_areas_with_code_template_and_parent(city, tmp_path, capsys):
    features = [feature(name="X", geometry={"type": "Point", "coordinates": [28, -26]}, PROV="GP", NAME="X")]
    path = write_geojson(tmp_path, features)
    call_command(
        "import",
        "areas",
        str(path),
        "--city",
        city.slug,
        "--code-template",
        "{PROV}-{NAME}",
        "--level",
        "station",
        "--parent-code",
        "ZA",
        "--parent-name",
        "South Africa",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["created"]) == ("ok", 1)
    assert Area.objects.get(city=city, code="GP-X").parent.name == "South Africa"
    bad = write_geojson(tmp_path, [feature("", "X")], name="bad.geojson")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "areas", str(bad), "--city", city.slug)
    assert exit_info.value.code == 1
    assert "row 1, code: the code is empty" in capsys.readouterr().out
