"""Population importer: long and wide tables, prefix aggregation, name matching, hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.db.models.query import QuerySet

from safercities.ingest.models import ImportRun
from safercities.places.importers import import_population
from safercities.places.models import Area, AreaPopulation


@pytest.fixture
def states(city):
    for code, name in (("01", "Aguascalientes"), ("09", "Ciudad de México"), ("16", "Michoacán de Ocampo")):
        Area.objects.create(city=city, code=code, name=name, level="state")
    return city


def write(tmp_path: Path, text: str, name: str = "pop.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def table(city) -> dict[tuple[str, int, str, str], int]:
    return {
        (p.area.code, p.year, p.sex, p.age_group): p.population
        for p in AreaPopulation.objects.filter(area__city=city).select_related("area")
    }


def errors(report) -> list[tuple[int, str]]:
    return [(e.row, e.field) for e in report.errors]


def test_long_format_with_sex_and_age_group(states, tmp_path):
    path = write(
        tmp_path,
        "area,year,population,sex,age_group\n"
        "01,2020,1425607,,\n"
        "01,2020,730000,mujeres,\n"
        "01,2020,695607,Hombres,\n"
        "09,2020,120000,female,15-29\n",
    )
    report = import_population(states, path)
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (4, 4, 0, 0)
    assert table(states) == {
        ("01", 2020, "", ""): 1425607,
        ("01", 2020, "female", ""): 730000,
        ("01", 2020, "male", ""): 695607,
        ("09", 2020, "female", "15-29"): 120000,
    }


def test_wide_by_year_with_range(states, tmp_path):
    path = write(tmp_path, "code,name,2019,2020,2021,note\n01,Ags,100,110,,x\n09,CDMX,200,210,220,y\n")
    report = import_population(states, path, area_field="code", wide="2019-2021")
    assert report.ok, report.errors
    assert report.created == 5
    assert any("1 blank cell(s) skipped" in note for note in report.notes)
    assert table(states)[("09", 2021, "", "")] == 220
    assert ("01", 2021, "", "") not in table(states)


def test_wide_column_that_is_not_a_year(states, tmp_path):
    path = write(tmp_path, "area,2020,note\n01,5,x\n")
    report = import_population(states, path, wide="2020-note")
    assert not report.ok and errors(report) == [(0, "note")] and "not a year" in report.errors[0].message
    report = import_population(states, path, wide="1990-2040")
    assert not report.ok and "neither a column nor a range" in report.errors[0].message


def test_prefix_aggregates_municipalities_into_states(states, tmp_path):
    path = write(
        tmp_path,
        "CVE,Entidad,Municipio,2020,2021\n"
        "01001,Aguascalientes,Aguascalientes,900,910\n"
        "01002,Aguascalientes,Asientos,50,51\n"
        "09002,CDMX,Azcapotzalco,400,399\n",
    )
    report = import_population(states, path, area_field="CVE", area_code_prefix=2, wide="2020-2021")
    assert report.ok, report.errors
    assert (report.rows, report.created) == (3, 4)
    assert table(states) == {
        ("01", 2020, "", ""): 950,
        ("01", 2021, "", ""): 961,
        ("09", 2020, "", ""): 400,
        ("09", 2021, "", ""): 399,
    }
    assert any("6 source values summed into 4" in note for note in report.notes)


def test_total_code_sums_every_row_into_a_national_area(states, tmp_path):
    Area.objects.create(city=states, code="00", name="Nacional", level="country")
    path = write(tmp_path, "CVE,2020\n01001,900\n01002,50\n09002,400\n")
    report = import_population(states, path, area_field="CVE", area_code_prefix=2, wide="2020", total_code="00")
    assert report.ok, report.errors
    assert table(states) == {("01", 2020, "", ""): 950, ("09", 2020, "", ""): 400, ("00", 2020, "", ""): 1350}
    own_row = write(tmp_path, "area,year,population\n00,2020,5\n01,2020,4\n", name="own.csv")
    report = import_population(states, own_row, total_code="00")
    assert errors(report) == [(1, "area")] and "sums itself" in report.errors[0].message
    report = import_population(states, own_row, total_code="99")
    assert not report.ok and "--total-code '99' is not an area" in report.errors[0].message


def test_prefix_warns_about_codes_of_different_lengths(states, tmp_path):
    path = write(tmp_path, "CVE,2020\n01001,5\n9002,6\n")
    report = import_population(states, path, area_field="CVE", area_code_prefix=2, wide="2020")
    assert not report.ok  # "90" is no state: the lost leading zero is caught as an unknown area …
    path = write(tmp_path, "CVE,2020\n01001,5\n0902,6\n", name="short.csv")
    report = import_population(states, path, area_field="CVE", area_code_prefix=2, wide="2020")
    assert report.ok  # … and when it happens to land on one, the note says so
    assert any("different lengths (4, 5 characters)" in note for note in report.notes)


def test_prefix_unknown_and_too_short(states, tmp_path):
    path = write(tmp_path, "CVE,2020\n33001,5\n1,7\n")
    report = import_population(states, path, area_field="CVE", area_code_prefix=2, wide="2020")
    assert errors(report) == [(1, "CVE"), (2, "CVE")]
    assert "no area with code '33' (the first 2 characters of '33001')" in report.errors[0].message
    assert "shorter than --area-code-prefix 2" in report.errors[1].message


def test_prefix_with_name_match_is_a_usage_error(states, tmp_path):
    path = write(tmp_path, "area,year,population\n01,2020,5\n")
    report = import_population(states, path, area_code_prefix=2, area_match="name")
    assert not report.ok and "--area-code-prefix works on codes" in report.errors[0].message


def test_match_by_name_ignores_case_and_accents(states, tmp_path):
    path = write(tmp_path, "estado;año;población\nMICHOACAN DE OCAMPO;2020;4748846\nciudad de méxico;2020;9209944\n")
    report = import_population(
        states, path, area_field="estado", area_match="name", year_field="año", population_field="población"
    )
    assert report.ok, report.errors
    assert table(states) == {("16", 2020, "", ""): 4748846, ("09", 2020, "", ""): 9209944}


def test_ambiguous_name(states, tmp_path):
    Area.objects.create(city=states, code="X", name="Aguascalientes", level="municipality")
    path = write(tmp_path, "area,year,population\nAguascalientes,2020,5\n")
    report = import_population(states, path, area_match="name")
    assert errors(report) == [(1, "area")] and "belongs to 2 areas" in report.errors[0].message


def test_latin1_semicolon_and_decimal_thousands(states, tmp_path):
    text = "area;year;population;sex\n09;2020;9.209.944;Total\n16;2020;4748846;ambos\n"
    report = import_population(states, write(tmp_path, text, encoding="latin-1"))
    assert report.ok, report.errors
    assert table(states)[("09", 2020, "", "")] == 9209944


def test_xlsx(states, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["area", 2019, 2020])
    sheet.append(["01", 1000, 1010])
    sheet.append(["09", 2000.0, None])
    path = tmp_path / "pop.xlsx"
    workbook.save(path)
    report = import_population(states, path, wide="2019-2020")
    assert report.ok, report.errors
    assert table(states) == {("01", 2019, "", ""): 1000, ("01", 2020, "", ""): 1010, ("09", 2019, "", ""): 2000}


def test_hostile_values_each_named(states, tmp_path):
    path = write(
        tmp_path,
        "area,year,population,sex\n"
        "01,2020,many,\n"  # 1 non-numeric
        "01,2021,-4,\n"  # 2 negative
        "01,2022,2.5,\n"  # 3 fraction
        "01,20x0,5,\n"  # 4 impossible year
        "01,1700,5,\n"  # 5 year out of range
        "77,2020,5,\n"  # 6 unknown area
        "01,2023,,\n"  # 7 empty value
        ",2023,5,\n"  # 8 empty area
        "01,2024,5,alien\n"  # 9 unknown sex
        "01,2025,5,,extra\n",  # 10 too many fields
    )
    report = import_population(states, path)
    assert not report.ok
    assert errors(report) == [
        (1, "population"),
        (2, "population"),
        (3, "population"),
        (4, "year"),
        (5, "year"),
        (6, "area"),
        (7, "population"),
        (8, "area"),
        (9, "sex"),
        (10, "row"),
    ]
    text = " | ".join(e.message for e in report.errors)
    for expected in ("not a number", "negative", "whole number", "1800–2200", "no area with code '77'", "is empty"):
        assert expected in text
    assert report.created == 0 and not AreaPopulation.objects.exists()


def test_duplicated_source_rows_are_errors(states, tmp_path):
    path = write(tmp_path, "area,year,population\n01,2020,5\n09,2020,6\n01,2020,5\n")
    report = import_population(states, path)
    assert errors(report) == [(3, "population")] and "repeats row 1" in report.errors[0].message
    wide = write(tmp_path, "CVE,2020\n01001,5\n01001,5\n", name="wide.csv")
    report = import_population(states, wide, area_field="CVE", area_code_prefix=2, wide="2020")
    assert errors(report) == [(2, "2020")] and "repeats row 1" in report.errors[0].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"area,year,population\n", "no data rows"),
        (b"area,year,population\n\n\n", "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b'{"type": "FeatureCollection"}', "JSON file"),
        (b"zone,yr,pop\n01,2020,5\n", "no column 'area'"),
    ],
)
def test_files_that_are_not_population_tables(states, tmp_path, content, expected):
    path = tmp_path / "pop.csv"
    path.write_bytes(content)
    report = import_population(states, path)
    assert not report.ok and report.errors[0].row == 0 and expected in report.errors[0].message


def test_ten_megabyte_field(states, tmp_path):
    path = write(tmp_path, "area,year,population\n01,2020,5\n" + "09,2020," + "9" * (10 * 1024 * 1024) + "\n")
    report = import_population(states, path)
    assert errors(report) == [(2, "row")] and "longer than" in report.errors[0].message
    assert not AreaPopulation.objects.exists()


def test_trailing_blank_rows_and_bom(states, tmp_path):
    path = write(tmp_path, "\ufeffarea,year,population\n01,2020,5\n,,\n\n")
    report = import_population(states, path)
    assert report.ok, report.errors
    assert table(states) == {("01", 2020, "", ""): 5}


def test_unknown_option(states, tmp_path):
    report = import_population(states, write(tmp_path, "area,year,population\n01,2020,5\n"), colour="red")
    assert not report.ok and "unknown option" in report.errors[0].message


def test_idempotent_and_update(states, tmp_path):
    path = write(tmp_path, "area,year,population\n01,2020,5\n09,2020,6\n")
    assert import_population(states, path).created == 2
    again = import_population(states, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = import_population(states, write(tmp_path, "area,year,population\n01,2020,7\n09,2020,6\n"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert table(states)[("01", 2020, "", "")] == 7


def test_dry_run(states, tmp_path):
    report = import_population(states, write(tmp_path, "area,year,population\n01,2020,5\n"), dry_run=True)
    assert report.ok and report.created == 1
    assert not AreaPopulation.objects.exists()
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.DRY_RUN


def test_fault_mid_write(states, tmp_path, monkeypatch):
    area = Area.objects.get(city=states, code="01")
    AreaPopulation.objects.create(area=area, year=2019, population=1)
    before = list(AreaPopulation.objects.values())
    path = write(tmp_path, "area,year,population\n01,2019,2\n09,2020,6\n")
    real = QuerySet.bulk_create

    def faulty(self, objs, *args, **kwargs):
        real(self, objs, *args, **kwargs)
        raise RuntimeError("power cut")

    monkeypatch.setattr(QuerySet, "bulk_create", faulty)
    with pytest.raises(RuntimeError):
        import_population(states, path)
    monkeypatch.undo()
    assert list(AreaPopulation.objects.values()) == before


def test_cli_population(states, tmp_path, capsys):
    path = write(tmp_path, "CVE,2020\n01001,5\n01002,6\n")
    call_command(
        "import",
        "population",
        str(path),
        "--city",
        states.slug,
        "--area-field",
        "CVE",
        "--area-code-prefix",
        "2",
        "--wide",
        "2020",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["rows"], out["created"]) == ("ok", 2, 1)
    assert table(states) == {("01", 2020, "", ""): 11}
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "population", str(path), "--city", states.slug)
    assert exit_info.value.code == 1
