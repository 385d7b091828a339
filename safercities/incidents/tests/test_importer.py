from __future__ import annotations

from datetime import UTC, datetime

import h3
import pytest

from safercities.incidents import bulk
from safercities.incidents.importers import import_incidents
from safercities.incidents.models import Incident, IncidentCategory
from safercities.indicators.models import Observation
from safercities.ingest.models import ImportRun

HEADER = "id,time,category,lat,lon\n"


def by_id(city) -> dict[str, Incident]:
    return {i.external_id: i for i in Incident.objects.filter(city=city).select_related("area")}


def test_happy_path_assigns_smallest_area_and_h3(city, areas, write):
    path = write(
        HEADER + "a,2024-03-01 10:00,Assault,0.5,0.5\n"  # N1 (inside D1 too)
        "b,2024-03-01 11:00,assault,0.5,1.5\n"  # N2
        "c,2024-03-02 12:00,robbery,1.5,0.5\n"  # D1 only
        "d,2024-03-03 12:00,fire,1,3\n"  # D2
        "e,2024-03-04 12:00,fire,10,10\n"  # outside every area: kept, unassigned
        "f,2024-03-04 13:00,fire,0.5,1.0\n"  # on the N1/N2 edge: the smaller, N1
        "g,2024-03-05 08:00,fire,19.4326,-99.1332\n"  # a known h3 cell
    )
    report = import_incidents(city, path)
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (7, 7, 0, 0)
    assert report.unassigned == 2
    assert report.as_dict()["unassigned"] == 2
    rows = by_id(city)
    assert {k: (v.area.code if v.area else None) for k, v in rows.items()} == {
        "a": "N1",
        "b": "N2",
        "c": "D1",
        "d": "D2",
        "e": None,
        "f": "N1",
        "g": None,
    }
    assert rows["g"].h3_cell == "894995b845bffff"
    assert rows["a"].h3_cell == h3.latlng_to_cell(0.5, 0.5, city.h3_resolution)
    assert rows["a"].category == "assault" and rows["b"].category == "assault"
    assert rows["a"].occurred_at == datetime(2024, 3, 1, 16, 0, tzinfo=UTC)  # 10:00 in Mexico City = UTC−6
    assert rows["a"].fingerprint == "a" and rows["a"].source == "official"
    assert set(IncidentCategory.objects.filter(city=city).values_list("code", flat=True)) >= {"assault", "fire"}
    run = ImportRun.objects.get(pk=report.import_run_id)
    assert (run.status, run.created, run.unassigned) == ("ok", 7, 2)


def test_area_code_instead_of_coordinates(city, areas, write):
    path = write("when;type;district\n2024-01-05;fire;D2\n2024-01-06;fire;N1\n")
    report = import_incidents(city, path, time_field="when", category_field="type", area_field="district")
    assert report.ok, report.errors
    assert sorted(Incident.objects.values_list("area__code", flat=True)) == ["D2", "N1"]
    assert set(Incident.objects.values_list("h3_cell", flat=True)) == {""}
    assert report.unassigned == 0


def test_hostile_rows_are_all_reported_and_nothing_written(city, areas, write):
    path = write(
        "id,time,category,lat,lon,area\n"
        "1,2024-01-01,fire,0.5,0.5,\n"  # fine
        "2,yesterday-ish,fire,0.5,0.5,\n"  # unparsable time
        "3,2999-01-01,fire,0.5,0.5,\n"  # future
        "4,2024-01-01,,0.5,0.5,\n"  # empty category
        "5,2024-01-01,fire,95,0.5,\n"  # latitude out of range
        "6,2024-01-01,fire,0.5,east,\n"  # not a number
        "7,2024-01-01,fire,,,\n"  # neither coordinates nor area
        "8,2024-01-01,fire,,,ZZ9\n"  # unknown area code
        "9,2024-01-01,fire,0.5,,\n"  # only one coordinate
        ",2024-01-01,fire,0.5,0.5,\n"  # id missing
        "11,,fire,0.5,0.5,\n"  # time missing
    )
    report = import_incidents(city, path)
    assert not report.ok
    found = {(e.row, e.field) for e in report.errors}
    assert found == {
        (2, "time"),
        (3, "time"),
        (4, "category"),
        (5, "lat"),
        (6, "lon"),
        (7, "lat"),
        (8, "area"),
        (9, "lat"),
        (10, "id"),
        (11, "time"),
    }
    messages = {e.row: e.message for e in report.errors}
    assert "future" in messages[3] and "ZZ9" in messages[8] and "not a number" in messages[6]
    assert report.created == 0
    assert not Incident.objects.exists()
    assert not IncidentCategory.objects.filter(city=city).exists()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"time,category,lat,lon\n", "no data rows"),
        (b"time,category,lat,lon\n\n\n", "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"PK\x03\x04" + b"\x00" * 60, "must be csv"),
        (b"when,what\n2024-01-01,fire\n", "no time column"),
        (b"time,category\n2024-01-01,fire\n", "neither coordinates"),
    ],
)
def test_bad_files_are_rejected_with_a_file_error(city, areas, write, content, needle):
    report = import_incidents(city, write(content))
    assert not report.ok
    assert report.errors[0].row == 0
    assert needle in report.errors[0].message
    assert not Incident.objects.exists()


def test_huge_field_and_unknown_option(city, areas, write):
    huge = write(HEADER + "1,2024-01-01,fire,0.5,0.5\n2,2024-01-01," + "x" * 10_000_000 + ",0.5,0.5\n")
    report = import_incidents(city, huge)
    assert [(e.row, e.field) for e in report.errors] == [(2, "row")]
    assert "longer than" in report.errors[0].message
    report = import_incidents(city, write(HEADER + "1,2024-01-01,fire,0.5,0.5\n", "ok.csv"), colour="red")
    assert not report.ok and "unknown option" in report.errors[0].message
    report = import_incidents(city, write(HEADER + "1,2024-01-01,fire,0.5,0.5\n", "ok.csv"), time_field="nope")
    assert not report.ok and "'nope'" in report.errors[0].message
    assert not Incident.objects.exists()


def test_latin1_semicolon_decimal_comma_and_trailing_blank_rows(city, areas, write):
    text = "id;fecha;categoría;lat;lon\nx1;15/03/2024 10:00;Agresión sexual;0,5;0,5\nx2;45366;robo;0,5;1,5\n;;;;\n\n"
    path = write(text, encoding="latin-1")
    report = import_incidents(city, path, time_field="fecha", category_field="categoría")
    assert report.ok, report.errors
    assert report.rows == 2
    rows = by_id(city)
    assert rows["x1"].category == "agresión_sexual"
    assert rows["x1"].area.code == "N1" and rows["x2"].area.code == "N2"
    assert rows["x1"].occurred_at == datetime(2024, 3, 15, 16, 0, tzinfo=UTC)
    # Excel serial 45366 is 2024-03-15 (midnight, city time).
    assert rows["x2"].occurred_at == datetime(2024, 3, 15, 6, 0, tzinfo=UTC)


def test_utf8_bom_and_offsets(city, areas, write):
    text = (
        "\ufeffid,occurred_at,category,latitude,longitude\n"
        "1,2024-01-31T23:30:00-06:00,fire,0.5,0.5\n"
        "2,2024-02-01T05:30Z,fire,0.5,0.5\n"
    )
    report = import_incidents(city, write(text))
    assert report.ok, report.errors
    times = set(Incident.objects.values_list("occurred_at", flat=True))
    assert times == {datetime(2024, 2, 1, 5, 30, tzinfo=UTC)}


def test_sensitive_categories_created(city, areas, write):
    report = import_incidents(city, write(HEADER + "1,2024-01-01,Sexual violence,0.5,0.5\n2,2024-01-01,fire,0.5,0.5\n"))
    assert report.ok
    flags = dict(IncidentCategory.objects.filter(city=city).values_list("code", "sensitive"))
    assert flags["sexual_violence"] is True and flags["fire"] is False


def test_idempotent_with_ids_and_update_of_changed_row(city, areas, write):
    text = HEADER + "a,2024-01-01 10:00,fire,0.5,0.5\nb,2024-01-02 10:00,fire,1.5,0.5\n"
    first = import_incidents(city, write(text))
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = import_incidents(city, write(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = import_incidents(city, write(text.replace("b,2024-01-02 10:00,fire", "b,2024-01-02 10:00,flood")))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert by_id(city)["b"].category == "flood"
    assert Incident.objects.count() == 2


def test_repeated_id_same_row_counted_once_different_rejected(city, areas, write):
    report = import_incidents(city, write(HEADER + "a,2024-01-01,fire,0.5,0.5\na,2024-01-01,fire,0.5,0.5\n"))
    assert report.ok and report.created == 1 and Incident.objects.count() == 1
    assert any("counted once" in note for note in report.notes)
    report = import_incidents(city, write(HEADER + "z,2024-01-01,fire,0.5,0.5\nz,2024-01-01,flood,0.5,0.5\n"))
    assert [(e.row, e.field) for e in report.errors] == [(2, "id")]
    assert "row 1" in report.errors[0].message
    assert Incident.objects.count() == 1


def test_idempotent_without_ids_keeps_identical_events(city, areas, write, settings):
    settings.IMPORT_CHUNK_ROWS = 2  # identical rows in different chunks still get distinct fingerprints
    text = "time,category,lat,lon\n" + "2024-01-01 10:00,fire,0.5,0.5\n" * 3 + "2024-01-01 10:00,fire,0.5,1.5\n"
    first = import_incidents(city, write(text))
    assert (first.created, first.unchanged) == (4, 0)
    assert Incident.objects.values("fingerprint").distinct().count() == 4
    again = import_incidents(city, write(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    more = import_incidents(city, write(text + "2024-01-01 10:00,fire,0.5,0.5\n"))
    assert (more.created, more.unchanged) == (1, 4)
    assert Incident.objects.count() == 5


def test_dry_run_writes_nothing_but_counts(city, areas, write):
    report = import_incidents(city, write(HEADER + "a,2024-01-01,fire,0.5,0.5\n"), dry_run=True)
    assert report.ok and report.dry_run and report.created == 1
    assert not Incident.objects.exists()
    assert not IncidentCategory.objects.filter(city=city).exists()
    assert not Observation.objects.filter(source="incidents").exists()


def test_fault_mid_write_leaves_database_as_before(city, areas, write, settings, monkeypatch):
    settings.IMPORT_CHUNK_ROWS = 2
    import_incidents(city, write(HEADER + "a,2024-01-01,fire,0.5,0.5\n"))
    before = (
        list(Incident.objects.values_list("fingerprint", "category", "area_id")),
        list(IncidentCategory.objects.values_list("code", flat=True)),
        list(Observation.objects.values_list("indicator_id", "area_id", "period", "value")),
    )
    assert before[2], "the first import wrote observations"
    calls = []
    real_add = {cls: cls.add for cls in (bulk.PostgresMerger, bulk.SqliteMerger)}

    def failing_add(self, rows):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("disk on fire")
        return real_add[type(self)](self, rows)

    monkeypatch.setattr(bulk.PostgresMerger, "add", failing_add)
    monkeypatch.setattr(bulk.SqliteMerger, "add", failing_add)
    rows = "".join(f"r{i},2024-02-0{i + 1},flood,0.5,1.5\n" for i in range(5))
    with pytest.raises(RuntimeError):
        import_incidents(city, write(HEADER + "a,2024-01-01,fire,0.5,0.7\n" + rows))
    assert len(calls) == 2
    after = (
        list(Incident.objects.values_list("fingerprint", "category", "area_id")),
        list(IncidentCategory.objects.values_list("code", flat=True)),
        list(Observation.objects.values_list("indicator_id", "area_id", "period", "value")),
    )
    assert after == before
    assert ImportRun.objects.filter(status="failed").count() == 1


def test_chunked_import_equals_single_chunk(city, areas, write, settings):
    lines = [
        f"{i},2024-0{1 + i % 3}-1{i % 9} 0{i % 9}:15,{('flood', 'fire')[i % 2]},{i % 19 / 10},{i % 37 / 10}\n"
        for i in range(60)
    ]
    path = write(HEADER + "".join(lines))
    settings.IMPORT_CHUNK_ROWS = 7
    report = import_incidents(city, path)
    assert report.ok and report.created == 60
    chunked = sorted(Incident.objects.values_list("fingerprint", "area_id", "h3_cell", "occurred_at"))
    Incident.objects.all().delete()
    settings.IMPORT_CHUNK_ROWS = 100_000
    report = import_incidents(city, path)
    assert report.created == 60
    assert sorted(Incident.objects.values_list("fingerprint", "area_id", "h3_cell", "occurred_at")) == chunked
