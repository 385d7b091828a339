"""The 4W sheet: HXL round trips without loss (CSV and XLSX), idempotent re-import, named errors."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from safercities.crises import fourw
from safercities.crises.models import Activity, Organisation
from safercities.crises.tests.factories import SHEET, build_crisis

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(city):
    return build_crisis(city)


def write(tmp_path: Path, text: str, name: str = "sheet.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_activities_and_organisations(world, tmp_path):
    crisis = world["crisis"]
    report = fourw.import_sheet(crisis, write(tmp_path, SHEET))
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (4, 4, 0, 0)
    assert Organisation.objects.filter(city=crisis.city).count() == 3
    clinic = Activity.objects.get(crisis=crisis, description="Mobile clinic")
    assert clinic.sector == "health" and clinic.status == "ongoing" and clinic.reached == 118
    assert clinic.organisation.org_type == "red_cross" and clinic.ref.startswith("A-")


def test_reimport_is_idempotent(world, tmp_path):
    crisis = world["crisis"]
    fourw.import_sheet(crisis, write(tmp_path, SHEET))
    again = fourw.import_sheet(crisis, write(tmp_path, SHEET, "again.csv"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert crisis.activities.count() == 4


def test_csv_round_trip_is_byte_identical(world, tmp_path):
    crisis = world["crisis"]
    fourw.import_sheet(crisis, write(tmp_path, SHEET))
    first = fourw.export_csv(crisis)
    assert first.splitlines()[1].startswith("#activity+code,#org+name,#org+acronym,#org+type,#sector+cluster")
    report = fourw.import_sheet(crisis, write(tmp_path, first, "export.csv"))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert fourw.export_csv(crisis) == first
    # Into an empty crisis: the export alone rebuilds the same sheet.
    crisis.activities.all().delete()
    report = fourw.import_sheet(crisis, write(tmp_path, first, "export2.csv"))
    assert report.created == 4
    assert fourw.export_csv(crisis) == first


def test_xlsx_round_trip_keeps_every_cell(world, tmp_path):
    crisis = world["crisis"]
    fourw.import_sheet(crisis, write(tmp_path, SHEET))
    path = tmp_path / "export.xlsx"
    path.write_bytes(fourw.export_xlsx(crisis))
    before = fourw.sheet_values(path)
    csv_values = fourw.sheet_values(write(tmp_path, fourw.export_csv(crisis), "same.csv"))
    assert before == csv_values  # the workbook holds exactly what the CSV holds
    crisis.activities.all().delete()
    report = fourw.import_sheet(crisis, path)
    assert report.ok and report.created == 4, report.errors
    again = tmp_path / "again.xlsx"
    again.write_bytes(fourw.export_xlsx(crisis))
    assert fourw.sheet_values(again) == before


def test_partner_workbook_with_real_dates_and_aliases(world, tmp_path):
    """Excel date cells, #loc+code, attributes in another order and +adult are all read."""
    from datetime import date

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Org", "Cluster", "What", "Where", "From", "Status", "F kids", "M adults"])
    sheet.append(
        [
            "#org+name",
            "#sector",
            "#activity+description",
            "#loc+code",
            "#date+start",
            "#status",
            "#reached+children+f",
            "#reached+adult+m",
        ]
    )
    sheet.append(["Salud Ya", "Salud", "Vaccination", "A3", date(2024, 6, 10), "En curso", 12, 7])
    path = tmp_path / "partner.xlsx"
    workbook.save(path)
    report = fourw.import_sheet(world["crisis"], path)
    assert report.ok, report.errors
    activity = Activity.objects.get(description="Vaccination")
    assert (activity.sector, activity.status, activity.area.code) == ("health", "ongoing", "A3")
    assert (activity.reached_f_children, activity.reached_m_adults, activity.reached) == (12, 7, 19)


MALFORMED = [
    ("Organisation,Sector\n#org+name,#sector+cluster\nX,Health\n", 0, "#activity+name"),
    (SHEET.replace(",Health,", ",Astrology,"), 1, "#sector+cluster"),
    (SHEET.replace(",A1,2024-06-03", ",Z9,2024-06-03"), 1, "#adm2+code"),
    (SHEET.replace("2024-06-03,2024-07-31", "2024-06-03,2024-05-01"), 1, "#date+end"),
    (SHEET.replace("2024-06-03", "someday"), 1, "#date+start"),
    (SHEET.replace(",ongoing,20,", ",maybe,20,"), 1, "#status"),
    (SHEET.replace(",20,18,", ",-20,18,"), 1, "#reached+f+children"),
    (SHEET.replace(",6,4,118", ",6,4,999"), 1, "#reached"),
    (
        SHEET.replace("Agua Para Todos,APT,national NGO,WASH,Hygiene", "Agua Para Todos,APX,national NGO,WASH,Hygiene"),
        3,
        "#org+name",
    ),
    (SHEET.replace(",Mobile clinic,", ",,"), 1, "#activity+name"),
]


@pytest.mark.parametrize(("text", "row", "field"), MALFORMED)
def test_malformed_sheets_name_the_error_and_write_nothing(world, tmp_path, text, row, field):
    crisis = world["crisis"]
    report = fourw.import_sheet(crisis, write(tmp_path, text))
    assert not report.ok
    assert any(e.row == row and e.field == field for e in report.errors), report.errors
    assert crisis.activities.count() == 0
    assert not Organisation.objects.filter(city=crisis.city).exists()


def test_all_or_nothing_with_one_bad_row_among_good(world, tmp_path):
    crisis = world["crisis"]
    bad = (
        SHEET
        + "Otra,OT,other,Health,Ok row,A3,2024-06-03,,ongoing,1,1,1,1,1,1,6\n"
        + "Otra,OT,other,Health,Bad,A3,not a date,,ongoing,,,,,,,\n"
    )
    report = fourw.import_sheet(crisis, write(tmp_path, bad))
    assert report.error_count == 1 and report.errors[0].row == 6
    assert crisis.activities.count() == 0


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02binary",
        b"PK\x03\x04broken zip",
        b'{"type": "FeatureCollection"}',
        "é,ü\n".encode("latin-1") * 3,
    ],
)
def test_hostile_files_are_refused_cleanly(world, tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    report = fourw.import_sheet(world["crisis"], path)
    assert not report.ok and report.errors[0].row == 0
    assert world["crisis"].activities.count() == 0


def test_duplicate_activity_codes_are_refused(world, tmp_path):
    text = fourw.export_csv(world["crisis"])  # header only
    rows = "\n".join(["X1,Org,,other,Health,Thing,A1,A1name,2024-06-01,,ongoing,1,0,0,0,0,0,1"] * 2)
    report = fourw.import_sheet(world["crisis"], write(tmp_path, text + rows + "\n"))
    assert [(e.row, e.field) for e in report.errors] == [(2, "#activity+code")]


def test_dry_run_counts_without_writing(world, tmp_path):
    report = fourw.import_sheet(world["crisis"], write(tmp_path, SHEET), dry_run=True)
    assert report.ok and report.created == 4 and report.dry_run
    assert world["crisis"].activities.count() == 0


def test_normalise_tag_ignores_order_case_and_spaces():
    assert fourw.normalise_tag("#Reached +F +Children") == fourw.normalise_tag("#reached+children+f")
    assert fourw.normalise_tag("#loc+code") == "#adm2+code"
    assert fourw.normalise_tag("not a tag") == ""


def test_export_xlsx_is_a_workbook(world):
    workbook = openpyxl.load_workbook(io.BytesIO(fourw.export_xlsx(world["crisis"])))
    assert workbook.sheetnames == ["4W"]


def test_a_workbook_whose_only_header_is_the_hashtag_row(world, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["#org+name", "#sector+cluster", "#activity+name", "#adm2+code", "#date+start", "#status"])
    sheet.append(["Org", "Education", "Temporary classrooms", "A2", "2024-06-20", "planned"])
    path = tmp_path / "tags-only.xlsx"
    workbook.save(path)
    report = fourw.import_sheet(world["crisis"], path)
    assert report.ok and report.created == 1, report.errors
