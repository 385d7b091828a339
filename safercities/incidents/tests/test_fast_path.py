"""The fast reader (pandas' C parser, vectorised checks, compact staging) against the promises of the slow one."""

from __future__ import annotations

import hashlib
import struct
from datetime import UTC, datetime

import pytest

from safercities.incidents.aggregation import aggregate_incidents
from safercities.incidents.importers import import_incidents
from safercities.incidents.models import Incident
from safercities.indicators.models import Observation
from safercities.ingest.models import ImportRun

HEADER = "id,time,category,lat,lon\n"


def test_ragged_row_falls_back_to_csv_reader_without_double_counting(city, areas, write, settings):
    settings.IMPORT_CHUNK_ROWS = 1  # the bad time is validated (fast path) before the ragged row is met
    path = write(HEADER + "1,not a time,fire,0.5,0.5\n2,2024-01-01,fire,0.5,0.5\n3,2024-01-01,fire,0.5,0.5,extra\n")
    report = import_incidents(city, path)
    assert [(e.row, e.field) for e in report.errors] == [(1, "time"), (3, "row")]
    assert report.error_count == 2 and report.rows == 3
    assert "has 6 fields but the header has 5" in report.errors[1].message
    assert not Incident.objects.exists()


def test_trailing_empty_field_is_not_ragged(city, areas, write):
    report = import_incidents(city, write(HEADER + "1,2024-01-01,fire,0.5,0.5,\n"))
    assert report.ok, report.errors
    assert report.created == 1


def test_hxl_row_and_blank_rows_keep_row_numbers_across_chunks(city, areas, write, settings):
    settings.IMPORT_CHUNK_ROWS = 2
    text = (
        "time,category,lat,lon\n#date,#category,#geo+lat,#geo+lon\n"
        "2024-01-01,fire,0.5,0.5\n\n  ,  ,,\n2024-01-01,,0.5,0.5\n2024-13-45,fire,0.5,0.5\n"
    )
    report = import_incidents(city, write(text))
    assert [(e.row, e.field) for e in report.errors] == [(4, "category"), (5, "time")]
    assert report.rows == 3


def test_mixed_time_spellings_after_a_fast_first_value(city, areas, write):
    text = (
        HEADER + "a,2024-03-15 10:00:00,fire,0.5,0.5\n"
        "b,2024-03-15T10:00:00-06:00,fire,0.5,0.5\n"
        "c,15/03/2024 10:00,fire,0.5,0.5\n"
        "d,45366.41666666666,fire,0.5,0.5\n"
        "e,2024-03-15 10:00:00.000,fire,0.5,0.5\n"
    )
    report = import_incidents(city, write(text))
    assert report.ok, report.errors
    times = dict(Incident.objects.values_list("external_id", "occurred_at"))
    assert set(times.values()) == {datetime(2024, 3, 15, 16, 0, tzinfo=UTC)}, times


def test_fingerprint_without_ids_is_the_documented_sha1(city, areas, write):
    """Fingerprints must not change between versions, or a re-import would duplicate old imports."""
    report = import_incidents(city, write("time,category,lat,lon\n2024-03-01 10:00,Assault,0.5,0.25\n"))
    assert report.ok, report.errors

    def key(text: str) -> int:
        return int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "big", signed=True)

    epoch = int(datetime(2024, 3, 1, 16, 0, tzinfo=UTC).timestamp())
    record = struct.pack("<qqqqq", epoch, 5_000_000, 2_500_000, key("assault"), key(""))
    expected = hashlib.sha1(b"sc-incident-v1" + record).hexdigest()
    assert list(Incident.objects.values_list("fingerprint", flat=True)) == [expected]


def test_non_ascii_and_long_ids(city, areas, write):
    long_id = "x" * 80
    text = HEADER + f"café-1,2024-01-01,robo agravado,0.5,0.5\n{long_id},2024-01-02,fire,0.5,1.5\n"
    report = import_incidents(city, write(text))
    assert report.ok, report.errors
    rows = {i.external_id: i for i in Incident.objects.all()}
    assert rows["café-1"].fingerprint == "café-1"
    assert rows["café-1"].category == "robo_agravado"
    assert rows[long_id].fingerprint == hashlib.sha1(b"id:" + long_id.encode()).hexdigest()
    again = import_incidents(city, write(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_month_is_local_and_set_by_save(city, areas, write):
    # 23:30 on 31 January in Mexico City is already February in UTC: the month is the local one.
    report = import_incidents(city, write(HEADER + "a,2024-01-31 23:30,fire,0.5,0.5\n"))
    assert report.ok, report.errors
    incident = Incident.objects.get()
    assert incident.occurred_at.month == 2 and incident.month == "2024-01"
    made = Incident.objects.create(
        city=city, fingerprint="by-hand", occurred_at=datetime(2024, 7, 1, 5, 0, tzinfo=UTC), category="fire"
    )
    assert made.month == "2024-06"


def test_rows_without_month_are_still_aggregated(city, areas, write):
    import_incidents(city, write(HEADER + "a,2024-01-10 10:00,fire,0.5,0.5\n"))
    Incident.objects.bulk_create(  # bypasses save(): no month
        [
            Incident(
                city=city,
                fingerprint="bulk",
                occurred_at=datetime(2024, 2, 1, 5, 0, tzinfo=UTC),  # 31 January 23:00 local
                category="fire",
                area=areas["N1"],
            )
        ]
    )
    assert Incident.objects.filter(month="").count() == 1
    aggregate_incidents(city)
    value = Observation.objects.get(indicator__code="fire-incidents", area__code="N1", period="2024-01").value
    assert value == 2.0


def test_deletes_still_set_null_through_the_orm(city, areas, write):
    report = import_incidents(city, write(HEADER + "a,2024-01-10,fire,0.5,0.5\nb,2024-01-10,fire,1,3\n"))
    assert report.ok
    areas["N1"].delete()
    assert Incident.objects.get(external_id="a").area_id is None
    ImportRun.objects.filter(pk=report.import_run_id).delete()
    assert not Incident.objects.filter(import_run__isnull=False).exists()
    assert Incident.objects.count() == 2


@pytest.mark.parametrize("existing", [False, True])
def test_first_import_and_later_import_give_the_same_rows(city, other_city, areas, write, existing):
    """The fresh path (nothing of this city yet) and the merge path store identical rows."""
    if existing:
        import_incidents(city, write(HEADER + "zz,2023-12-31,fire,0.5,0.5\n", "first.csv"))
    text = HEADER + "a,2024-01-10 10:00,Fire,0.5,0.5\nb,2024-01-11,flood,,\n"
    text = text.replace("b,2024-01-11,flood,,", "b,2024-01-11,flood,1.5,0.5")
    report = import_incidents(city, write(text), source="community")
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    a = Incident.objects.get(city=city, external_id="a")
    assert (a.category, a.source, a.area.code, a.month, a.import_run_id) == (
        "fire",
        "community",
        "N1",
        "2024-01",
        report.import_run_id,
    )
    assert a.h3_cell and len(a.h3_cell) == 15
    assert (a.victim_sex, a.victim_age_group, a.lat, a.lon) == ("", "", 0.5, 0.5)


def test_migration_backfills_local_months(city, areas):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("safercities.incidents.migrations.0002_month_leaner_indexes_unenforced_fks")
    Incident.objects.bulk_create(
        [
            Incident(city=city, fingerprint="x", occurred_at=datetime(2024, 2, 1, 5, 0, tzinfo=UTC), category="fire"),
            Incident(city=city, fingerprint="y", occurred_at=datetime(2024, 2, 1, 7, 0, tzinfo=UTC), category="fire"),
        ]
    )
    migration.fill_months(apps, None)
    assert dict(Incident.objects.values_list("fingerprint", "month")) == {"x": "2024-01", "y": "2024-02"}
