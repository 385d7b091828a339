"""The indicators importer: the happy path, updates, idempotency, and every hostile file we know of."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from safercities.indicators.catalogue import load_catalogue
from safercities.indicators.indicator_import import import_indicators
from safercities.indicators.models import DIMENSION_CODES, Indicator
from safercities.ingest.models import ImportRun

REQUIRED_HEADER = "code,name,dimension,unit,direction,aggregation"
HEADER = "code,name,dimension,unit,direction,aggregation,rate_per,description,sdg_code,incident_categories"
GOOD = [
    "street-lights-out,Street lights out of order,community,% of street lights,higher_is_worse,mean,,"
    "Share of street lights out of order at month end.,,",
    "femicides,Femicides,personal,per 100000 women,higher_is_worse,rate,100000,Killings of women.,,homicide",
    "youth-unemployment,Youth unemployment,economic,%,higher_is_worse,mean,,,8.5.2,",
]
N_CATALOGUE = len(load_catalogue())


def write(tmp_path: Path, text: str, name: str = "indicators.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "indicators.csv") -> Path:
    return write(tmp_path, "\n".join([header, *rows]) + "\n", name)


def snapshot(city) -> list[dict]:
    return list(city.indicators.order_by("code").values())


def errors(report) -> list[tuple[int, str]]:
    return [(error.row, error.field) for error in report.errors]


# ---------------------------------------------------------------- the happy path


def test_creates_indicators(city, tmp_path):
    report = import_indicators(city, csv_file(tmp_path, *GOOD))
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert city.indicators.count() == N_CATALOGUE + 3
    femicides = city.indicators.get(code="femicides")
    assert femicides.dimension.code == "personal"
    assert femicides.aggregation == "rate" and femicides.rate_per == 100_000
    assert femicides.incident_categories == ["homicide"]
    assert femicides.definition == "Killings of women."
    assert city.indicators.get(code="youth-unemployment").official_code == "SDG 8.5.2"
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.OK


def test_reimport_is_idempotent(city, tmp_path):
    path = csv_file(tmp_path, *GOOD)
    import_indicators(city, path)
    before = snapshot(city)
    report = import_indicators(city, path)
    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert snapshot(city) == before


def test_updates_count_only_real_changes(city, tmp_path):
    import_indicators(city, csv_file(tmp_path, *GOOD))
    changed = GOOD[0].replace("Street lights out of order", "Street lights not working")
    report = import_indicators(city, csv_file(tmp_path, changed, GOOD[1], GOOD[2]))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert city.indicators.get(code="street-lights-out").name == "Street lights not working"


def test_updates_a_catalogue_indicator_and_keeps_fields_the_file_lacks(city, tmp_path):
    homicide = city.indicators.get(code="homicide-rate")
    spanish_before = homicide.translations["es"]["name"]
    path = csv_file(
        tmp_path,
        "homicide-rate,Homicide victims,personal,per 100000 population,higher_is_worse,rate,100000",
        header="code,name,dimension,unit,direction,aggregation,rate_per",
    )
    report = import_indicators(city, path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    homicide.refresh_from_db()
    assert homicide.name == "Homicide victims"
    # Columns the file does not have are left alone.
    assert homicide.official_code == "SDG 16.1.1"
    assert homicide.threshold_red == 10
    assert homicide.translations["es"]["name"] == spanish_before
    assert city.indicators.count() == N_CATALOGUE


def test_extension_columns(city, tmp_path):
    header = HEADER + ",name_es,description_es,unit_es,source,disaggregations,threshold_amber,threshold_red,is_public"
    row = (
        'lights,Lights out,community,%,higher_is_worse,mean,,,,,Luminarias apagadas,"Luminarias, apagadas.",%,'
        'Public works,sex; Age_Group;sex,"10,5",25,no'
    )
    report = import_indicators(city, csv_file(tmp_path, row, header=header))
    assert report.ok, report.errors
    lights = city.indicators.get(code="lights")
    assert lights.translations == {
        "es": {"name": "Luminarias apagadas", "definition": "Luminarias, apagadas.", "unit": "%"}
    }
    assert lights.translated("name", "es") == "Luminarias apagadas"
    assert lights.source == "Public works"
    assert lights.disaggregations == ["sex", "age_group"]
    assert (lights.threshold_amber, lights.threshold_red) == (10.5, 25.0)
    assert lights.is_public is False


def test_blank_cell_clears_and_aliases_and_case_insensitive_values(city, tmp_path):
    import_indicators(city, csv_file(tmp_path, GOOD[2]))
    path = csv_file(
        tmp_path,
        "youth-unemployment,Youth unemployment,Economic Security,%,Higher is worse,MEAN,,",
        header="Code,Name,Dimension,Unit,Direction,Aggregation,Official_Code,Definition",
    )
    report = import_indicators(city, path)
    assert report.ok, report.errors
    indicator = city.indicators.get(code="youth-unemployment")
    assert indicator.official_code == ""  # the column is there and the cell is blank: cleared
    assert indicator.direction == "higher_is_worse" and indicator.aggregation == "mean"
    assert report.updated == 1


def test_dry_run_writes_nothing_but_counts(city, tmp_path):
    before = snapshot(city)
    report = import_indicators(city, csv_file(tmp_path, *GOOD), dry_run=True)
    assert report.ok and report.dry_run
    assert report.created == 3
    assert snapshot(city) == before
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.DRY_RUN


def test_other_city_is_untouched(city, other_city, tmp_path):
    before = snapshot(other_city)
    import_indicators(city, csv_file(tmp_path, *GOOD))
    assert snapshot(other_city) == before


def test_xlsx(city, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "dimension", "unit", "direction", "aggregation", "rate_per", "threshold_red"])
    sheet.append(["rate-x", "Rate X", "health", "per 1000", "higher_is_worse", "rate", 1000.0, 7.5])
    sheet.append([None] * 8)  # a blank row keeps its number
    sheet.append(["rate-y", "Rate Y", "health", "per 1000", "higher_is_worse", "rate", "lots", None])
    path = tmp_path / "indicators.xlsx"
    workbook.save(path)
    report = import_indicators(city, path)
    assert errors(report) == [(3, "rate_per")]
    sheet.delete_rows(3, 2)
    workbook.save(path)
    report = import_indicators(city, path)
    assert report.ok, report.errors
    indicator = city.indicators.get(code="rate-x")
    assert (indicator.rate_per, indicator.threshold_red) == (1000, 7.5)


def test_command_line_json(city, tmp_path, capsys):
    call_command("import", "indicators", str(csv_file(tmp_path, *GOOD)), "--city", city.slug, "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "ok" and data["created"] == 3


def test_command_line_rejects_with_exit_status_1(city, tmp_path, capsys):
    bad = GOOD[0].replace("community", "safety")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "indicators", str(csv_file(tmp_path, bad)), "--city", city.slug)
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "row 1, dimension" in out and "nothing was written" in out


# ---------------------------------------------------------------- validation, every problem named


def test_every_field_error_is_reported_with_row_and_field(city, tmp_path):
    header = HEADER + ",disaggregations,threshold_amber,threshold_red,is_public"
    rows = [
        "a,A,safety,%,higher_is_worse,mean,,,,,,,,",  # 1 unknown dimension
        "b,B,personal,%,worse,mean,,,,,,,,",  # 2 bad direction
        "c,C,personal,%,higher_is_worse,median,,,,,,,,",  # 3 bad aggregation
        "d,D,personal,%,higher_is_worse,rate,,,,,,,,",  # 4 rate without rate_per
        "e,E,personal,%,higher_is_worse,rate,-5,,,,,,,",  # 5 negative rate_per
        "f,F,personal,%,higher_is_worse,rate,2.5,,,,,,,",  # 6 fractional rate_per
        "g,G,personal,%,higher_is_worse,mean,,,,,gender,,,",  # 7 bad disaggregation
        "h,H,personal,%,higher_is_worse,mean,,,,,,high,,",  # 8 non-numeric threshold
        "i,I,personal,%,higher_is_worse,mean,,,,,,20,10,",  # 9 thresholds the wrong way round
        "j k,J,personal,%,higher_is_worse,mean,,,,,,,,",  # 10 space in code
        f"{'x' * 65},X,personal,%,higher_is_worse,mean,,,,,,,,",  # 11 code too long
        "l\x07,L,personal,%,higher_is_worse,mean,,,,,,,,",  # 12 control character
        ",M,personal,%,higher_is_worse,mean,,,,,,,,",  # 13 no code
        "n,,personal,,higher_is_worse,mean,,,,,,,,",  # 14 no name, no unit
        "o,O,personal,%,higher_is_worse,mean,,,,homicide,,,,",  # 15 counting incidents by mean
        "p,P,personal,%,higher_is_worse,mean,,,,,,,,maybe",  # 16 bad yes/no
        "a,A again,personal,%,higher_is_worse,mean,,,,,,,,",  # 17 duplicate code
    ]
    before = snapshot(city)
    report = import_indicators(city, csv_file(tmp_path, *rows, header=header))
    assert not report.ok
    assert errors(report) == [
        (1, "dimension"),
        (2, "direction"),
        (3, "aggregation"),
        (4, "rate_per"),
        (5, "rate_per"),
        (6, "rate_per"),
        (7, "disaggregations"),
        (8, "threshold_amber"),
        (9, "threshold_red"),
        (10, "code"),
        (11, "code"),
        (12, "code"),
        (13, "code"),
        (14, "name"),
        (14, "unit"),
        (15, "incident_categories"),
        (16, "is_public"),
        (17, "code"),
    ]
    messages = {(e.row, e.field): e.message for e in report.errors}
    assert all(code in messages[(1, "dimension")] for code in DIMENSION_CODES)
    assert "higher_is_worse or higher_is_better" in messages[(2, "direction")]
    assert "row 1" in messages[(17, "code")]
    assert "at most 64" in messages[(11, "code")]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert snapshot(city) == before
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.REJECTED


def test_code_differing_only_in_case(city, tmp_path):
    report = import_indicators(
        city, csv_file(tmp_path, "Homicide-Rate,Homicides,personal,%,higher_is_worse,mean", header=REQUIRED_HEADER)
    )
    assert errors(report) == [(1, "code")]
    assert "'homicide-rate'" in report.errors[0].message


def test_duplicated_rows(city, tmp_path):
    report = import_indicators(city, csv_file(tmp_path, GOOD[0], GOOD[1], GOOD[0]))
    assert errors(report) == [(3, "code")]
    assert city.indicators.count() == N_CATALOGUE


def test_missing_and_misspelt_columns(city, tmp_path):
    path = csv_file(tmp_path, "a,A,personal,%,mean,,x", header="code,name,dimension,unit,aggregation,notes,descripton")
    report = import_indicators(city, path)
    assert errors(report) == [(0, "descripton"), (0, "header")]
    assert "did you mean 'description'" in report.errors[0].message
    assert "direction" in report.errors[1].message


def test_unknown_extra_columns_are_noted_not_fatal(city, tmp_path):
    report = import_indicators(city, csv_file(tmp_path, GOOD[0] + ",a note", header=HEADER + ",comments"))
    assert report.ok
    assert any("comments" in note for note in report.notes)


def test_too_many_fields(city, tmp_path):
    report = import_indicators(city, csv_file(tmp_path, GOOD[0] + ",extra,more"))
    assert errors(report) == [(1, "row")]


def test_unknown_option(city, tmp_path):
    report = import_indicators(city, csv_file(tmp_path, *GOOD), wide="2003-2012")
    assert errors(report) == [(0, "options")]
    assert city.indicators.count() == N_CATALOGUE


# ---------------------------------------------------------------- hostile files


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf\n\n", "empty"),
        ((HEADER + "\n").encode(), "no data rows"),
        ((HEADER + "\n\n  \n").encode(), "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b'{"type": "FeatureCollection", "features": []}', "JSON"),
        (b"PK\x03\x04not really a zip", "binary"),
    ],
    ids=["empty", "bom-only", "header-only", "header-and-blank-rows", "png", "geojson", "broken-zip"],
)
def test_files_that_are_not_indicator_tables(city, tmp_path, content, expected):
    path = tmp_path / "indicators.csv"
    path.write_bytes(content)
    report = import_indicators(city, path)
    assert not report.ok
    assert errors(report) == [(0, "file")]
    assert expected in report.errors[0].message
    assert city.indicators.count() == N_CATALOGUE


def test_missing_file(city, tmp_path):
    report = import_indicators(city, tmp_path / "nope.csv")
    assert errors(report) == [(0, "file")]


@pytest.mark.parametrize("position", [1, 2])
def test_huge_single_field(city, tmp_path, position):
    huge = f'big,Big,personal,%,higher_is_worse,mean,,"{"x" * 10_000_000}",,'
    rows = [huge, GOOD[0]] if position == 1 else [GOOD[0], huge, GOOD[1]]
    report = import_indicators(city, csv_file(tmp_path, *rows))
    assert not report.ok
    error = report.errors[0]
    assert (error.row, error.field) == (position, "row")
    assert "131,072" in error.message
    assert city.indicators.count() == N_CATALOGUE


def test_long_description_within_csv_limit_is_refused_politely(city, tmp_path):
    path = csv_file(tmp_path, f"big,Big,personal,%,higher_is_worse,mean,,{'y' * 6000},,")
    report = import_indicators(city, path)
    assert errors(report) == [(1, "description")]


def test_utf8_with_bom_and_accents(city, tmp_path):
    text = f"\ufeff{REQUIRED_HEADER},name_es\nninez,Children,personal,%,higher_is_worse,mean,Niñez\n"
    report = import_indicators(city, write(tmp_path, text))
    assert report.ok, report.errors
    assert city.indicators.get(code="ninez").translations["es"]["name"] == "Niñez"


def test_latin1_semicolons_and_decimal_commas(city, tmp_path):
    text = (
        "code;name;dimension;unit;direction;aggregation;rate_per;name_es;threshold_amber;threshold_red\n"
        "robo-vehiculo;Vehicle theft;personal;per 100000;higher_is_worse;rate;100.000;Robo de vehículo;12,5;20,75\n"
        "\n\n"  # trailing blank rows
    )
    report = import_indicators(city, write(tmp_path, text, encoding="latin-1"))
    assert report.ok, report.errors
    assert report.rows == 1
    indicator = city.indicators.get(code="robo-vehiculo")
    assert indicator.translations["es"]["name"] == "Robo de vehículo"
    assert indicator.rate_per == 100_000
    assert (indicator.threshold_amber, indicator.threshold_red) == (12.5, 20.75)


def test_xlsx_named_csv_is_read_by_content(city, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["code", "name", "dimension", "unit", "direction", "aggregation"])
    workbook.active.append(["w", "W", "food", "%", "higher_is_better", "mean"])
    path = tmp_path / "really-a-workbook.csv"
    workbook.save(path)
    report = import_indicators(city, path)
    assert report.ok, report.errors
    assert city.indicators.filter(code="w").exists()


# ---------------------------------------------------------------- all or nothing


def test_fault_mid_write_leaves_the_database_as_it_was(city, tmp_path, monkeypatch):
    import_indicators(city, csv_file(tmp_path, GOOD[0]))
    before = snapshot(city)
    real_bulk_create = Indicator.objects.bulk_create

    def failing_bulk_create(objects, *args, **kwargs):
        real_bulk_create(objects[:1], *args, **kwargs)  # some rows reach the database …
        raise RuntimeError("disk full")  # … then the write fails

    monkeypatch.setattr(Indicator.objects, "bulk_create", failing_bulk_create)
    updated = GOOD[0].replace("Street lights out of order", "Renamed")  # an update is written first
    with pytest.raises(RuntimeError):
        import_indicators(city, csv_file(tmp_path, updated, GOOD[1], GOOD[2]))
    assert snapshot(city) == before


def test_example_in_the_docs_imports(city, tmp_path):
    docs = Path(__file__).resolve().parents[3] / "docs" / "indicators.md"
    example = docs.read_text(encoding="utf-8").split("```csv\n", 1)[1].split("```", 1)[0]
    report = import_indicators(city, write(tmp_path, example))
    assert report.ok, report.errors
    # homicide-incidents and feel-safe-after-dark come with the catalogue; the lights one is new.
    assert (report.created, report.updated + report.unchanged) == (1, 2)
    assert city.indicators.get(code="feel-safe-after-dark").official_code == "SDG 16.1.4"
