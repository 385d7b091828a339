"""The observations importer: long, wide, HXL and XLSX files, and every hostile case of the brief."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from safercities.indicators import observation_import
from safercities.indicators.models import Dimension, Indicator, Observation
from safercities.indicators.observation_import import fold, import_observations
from safercities.ingest.models import ImportRun
from safercities.places.models import Area

HEADER = "indicator,area,period,value\n"


@pytest.fixture
def setup(city):
    """Two areas and two indicators in the test city (the importer only reads them)."""
    personal = Dimension.objects.get(code="personal")
    Area.objects.bulk_create(
        [
            Area(city=city, code="22", name="Querétaro", level="state"),
            Area(city=city, code="19", name="Nuevo León", level="state"),
            Area(city=city, code="01", name="Aguascalientes", level="state"),
        ]
    )
    Indicator.objects.bulk_create(
        [
            Indicator(
                city=city,
                code="hom",
                name="Intentional homicides",
                dimension=personal,
                unit="victims",
                direction="higher_is_worse",
                aggregation="sum",
                translations={"es": {"name": "Homicidio doloso"}},
            ),
            Indicator(
                city=city,
                code="rate",
                name="Safe after dark",
                dimension=personal,
                unit="%",
                direction="higher_is_better",
                aggregation="mean",
            ),
        ]
    )
    return city


def write(tmp_path: Path, text: str, name: str = "obs.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def values(city) -> dict[tuple[str, str, str, str], float]:
    return {
        (o.indicator.code, o.area.code, o.period, o.sex): o.value
        for o in Observation.objects.filter(city=city).select_related("indicator", "area")
    }


def messages(report) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in report.errors]


# ------------------------------------------------------------------------------------------ long


def test_long_csv_creates_observations_with_city_run_and_period(setup, tmp_path):
    path = write(tmp_path, HEADER + "hom,22,2024-03,12\nhom,19,2024Q1,30.5\nrate,22,2024,61\nhom,22,2024W05,3\n")
    report = import_observations(setup, path)
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (4, 4, 0, 0)
    quarter = Observation.objects.get(period="2024Q1")
    assert (quarter.value, quarter.period_type, quarter.period_start, quarter.period_end) == (
        30.5,
        "quarter",
        date(2024, 1, 1),
        date(2024, 3, 31),
    )
    assert quarter.city == setup and quarter.quality == "official"
    assert set(Observation.objects.values_list("import_run_id", flat=True)) == {report.import_run_id}
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.OK
    assert Observation.objects.get(period="2024W05").period_start == date(2024, 1, 29)


def test_reimport_is_unchanged_and_a_changed_value_is_one_update(setup, tmp_path):
    path = write(tmp_path, HEADER + "hom,22,2024-01,0.3\nhom,22,2024-02,5\n")
    assert import_observations(setup, path).created == 2
    again = import_observations(setup, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # 0.1 + 0.2 is not 0.3 in floating point, but it is the same value.
    Observation.objects.filter(period="2024-01").update(value=0.1 + 0.2)
    assert import_observations(setup, path).unchanged == 2
    changed = write(tmp_path, HEADER + "hom,22,2024-01,0.3\nhom,22,2024-02,6\n", "changed.csv")
    report = import_observations(setup, changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Observation.objects.get(period="2024-02").value == 6
    assert Observation.objects.get(period="2024-02").import_run_id == report.import_run_id
    assert Observation.objects.count() == 2


def test_optional_columns_and_disaggregations(setup, tmp_path):
    text = (
        "indicator,area,period,value,sex,age_group,disability,numerator,denominator,quality,source\n"
        "rate,22,2024,40,F,15-24,,4,10,community,Survey 2024\n"
        "rate,22,2024,50,hombre,15-24,,5,10,estimated,\n"
        "rate,22,2024,45,,,,,,,\n"
        "rate,22,2024,44,Mujer,25-34,,,,,\n"
    )
    report = import_observations(setup, write(tmp_path, text), source="Default source")
    assert report.ok, report.errors
    assert report.created == 4
    female = Observation.objects.get(sex="female", age_group="15-24")
    assert (female.numerator, female.denominator, female.quality, female.source) == (4, 10, "community", "Survey 2024")
    male = Observation.objects.get(sex="male")
    assert (male.quality, male.source) == ("estimated", "Default source")
    assert Observation.objects.get(sex="", age_group="").numerator is None


def test_invalid_sex_quality_and_negative_counts_name_row_and_field(setup, tmp_path):
    text = (
        "indicator,area,period,value,sex,numerator,denominator,quality\n"
        "rate,22,2024,40,x,1,2,official\n"
        "rate,22,2024,40,female,-1,2,official\n"
        "rate,22,2024,40,male,1,-2,guess\n"
    )
    report = import_observations(setup, write(tmp_path, text))
    assert not report.ok
    found = {(row, field) for row, field, _ in messages(report)}
    assert found == {(1, "sex"), (2, "numerator"), (3, "denominator"), (3, "quality")}
    assert "'x' is not female, male, other or blank" in report.errors[0].message
    assert Observation.objects.count() == 0


# ------------------------------------------------------------------------------------------ hostile


def test_unknown_area_and_indicator_codes_are_listed_with_closest(setup, tmp_path):
    path = write(tmp_path, HEADER + "hom,22,2024,1\nhomm,22,2024,1\nhom,99,2024,1\nhom,Querétaro,2024,1\n")
    report = import_observations(setup, path)
    assert report.status == "rejected" and report.created == 0
    rows = messages(report)
    assert rows[0][:2] == (2, "indicator") and "'homm'" in rows[0][2] and "closest: hom" in rows[0][2]
    assert rows[1][:2] == (3, "area") and "no area of this city has the code '99'" in rows[1][2]
    assert rows[2][:2] == (4, "area") and "--area-match name" in rows[2][2]
    assert Observation.objects.count() == 0
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.REJECTED


def test_non_numeric_values_are_errors(setup, tmp_path):
    path = write(tmp_path, HEADER + "hom,22,2024,twelve\nhom,19,2024,\nhom,01,2024,1e999\n")
    report = import_observations(setup, path)
    assert [(e.row, e.field) for e in report.errors] == [(1, "value"), (2, "value"), (3, "value")]
    assert "'twelve' is not a number" in report.errors[0].message
    assert "is empty" in report.errors[1].message


@pytest.mark.parametrize("period", ["2024-13", "2024Q5", "2023W53", "2023-02-30", "1492", "last year", ""])
def test_impossible_periods_are_errors(setup, tmp_path, period):
    report = import_observations(setup, write(tmp_path, HEADER + f"hom,22,{period},1\n"))
    assert [(e.row, e.field) for e in report.errors] == [(1, "period")]
    assert Observation.objects.count() == 0


def test_empty_file_and_header_only_are_rejected(setup, tmp_path):
    empty = import_observations(setup, write(tmp_path, "", "empty.csv"))
    assert messages(empty) == [(0, "file", "the file 'empty.csv' is empty")]
    header_only = import_observations(setup, write(tmp_path, HEADER + "\n\n", "header.csv"))
    assert messages(header_only) == [(0, "file", "the file has a header but no data rows")]


def test_a_ten_megabyte_field_is_an_error_not_a_crash(setup, tmp_path):
    huge = "9" * 10_000_000
    path = write(tmp_path, HEADER + "hom,19,2024,1\nhom,22,2024," + huge + "\nhom,01,2024,x\n")
    report = import_observations(setup, path)
    assert [(e.row, e.field) for e in report.errors] == [(2, "row"), (3, "value")]
    assert "longer than 131,072 characters" in report.errors[0].message
    # On the first row too (where the reader also looks for an HXL hashtag row).
    first = import_observations(setup, write(tmp_path, HEADER + "hom,22,2024," + huge + "\n", "first.csv"))
    assert [(e.row, e.field) for e in first.errors] == [(1, "row")]
    assert "longer than 131,072 characters" in first.errors[0].message
    assert Observation.objects.count() == 0


def test_file_content_decides_not_the_extension(setup, tmp_path):
    png = tmp_path / "obs.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100))
    report = import_observations(setup, png)
    assert messages(report) == [(0, "file", "the file 'obs.csv' is a binary file, but a table must be csv or xlsx")]
    # A CSV that calls itself .xlsx is still a good CSV.
    report = import_observations(setup, write(tmp_path, HEADER + "hom,22,2024,1\n", "really-a-csv.xlsx"))
    assert report.ok and report.created == 1


def test_utf8_bom_latin1_and_trailing_blank_rows(setup, tmp_path):
    bom = write(tmp_path, "\ufeff" + HEADER + "hom,22,2024,1\n\n\n", "bom.csv")
    report = import_observations(setup, bom)
    assert report.ok and report.rows == 1 and report.created == 1
    latin = write(tmp_path, "indicator,area,period,value\nhom,Querétaro,2025,7\n,,,\n", "latin.csv", "latin-1")
    report = import_observations(setup, latin, area_match="name")
    assert report.ok, report.errors
    assert values(setup)[("hom", "22", "2025", "")] == 7


def test_semicolon_file_reads_decimal_commas(setup, tmp_path):
    path = write(tmp_path, "indicator;area;period;value\nrate;22;2024;12,5\nrate;19;2024;1.234,5\n")
    report = import_observations(setup, path)
    assert report.ok, report.errors
    assert values(setup)[("rate", "22", "2024", "")] == 12.5
    assert values(setup)[("rate", "19", "2024", "")] == 1234.5


def test_duplicated_rows_name_both_rows_unless_summed(setup, tmp_path):
    path = write(tmp_path, HEADER + "hom,22,2024,1\nhom,19,2024,2\nhom,22,2024,1\nhom,22,2024-01,4\n")
    report = import_observations(setup, path)
    assert [(e.row, e.field) for e in report.errors] == [(3, "value")]
    assert "repeats the observation of row 1" in report.errors[0].message
    assert "--sum-duplicates" in report.errors[0].message
    summed = import_observations(setup, path, sum_duplicates=True)
    assert summed.ok and summed.created == 3
    assert values(setup)[("hom", "22", "2024", "")] == 2


def test_dry_run_counts_and_writes_nothing(setup, tmp_path):
    path = write(tmp_path, HEADER + "hom,22,2024,1\nhom,19,2024,2\n")
    report = import_observations(setup, path, dry_run=True)
    assert report.ok and report.dry_run and report.created == 2
    assert Observation.objects.count() == 0
    assert ImportRun.objects.get(pk=report.import_run_id).status == ImportRun.DRY_RUN
    assert "dry run" in report.summary()


def test_a_fault_in_the_middle_of_the_write_leaves_the_database_as_it_was(setup, tmp_path, monkeypatch):
    first = write(tmp_path, HEADER + "hom,22,2024,1\n", "first.csv")
    assert import_observations(setup, first).created == 1
    before = values(setup)
    rows = "".join(f"hom,19,{year},{year}\n" for year in range(1900, 2100))
    path = write(tmp_path, HEADER + "hom,22,2024,99\n" + rows, "big.csv")
    real_insert = observation_import.insert_observations

    def insert_some_then_fail(rows):
        real_insert(rows[:50])
        assert Observation.objects.count() == 51  # the fault really comes after rows were written
        assert Observation.objects.get(area__code="22").value == 99  # … and after the update
        raise RuntimeError("disk full")

    monkeypatch.setattr(observation_import, "insert_observations", insert_some_then_fail)
    with pytest.raises(RuntimeError):
        import_observations(setup, path)
    assert values(setup) == before
    assert Observation.objects.count() == 1


def test_unknown_option_and_missing_columns_are_file_errors(setup, tmp_path):
    path = write(tmp_path, HEADER + "hom,22,2024,1\n")
    report = import_observations(setup, path, colour="blue")
    assert report.errors[0].row == 0 and "unknown option(s) colour" in report.errors[0].message
    report = import_observations(setup, write(tmp_path, "indicator,place,period,value\nhom,22,2024,1\n", "x.csv"))
    assert report.errors[0].row == 0
    assert "no area column" in report.errors[0].message and "'place'" in report.errors[0].message
    report = import_observations(setup, path, value_field="amount")
    assert "--value-field 'amount': the file has no such column" in report.errors[0].message


def test_areas_of_another_city_are_unknown(setup, other_city, tmp_path):
    Area.objects.create(city=other_city, code="ZZ", name="Elsewhere")
    report = import_observations(setup, write(tmp_path, HEADER + "hom,ZZ,2024,1\n"))
    assert not report.ok and report.errors[0].field == "area"
    assert Observation.objects.count() == 0


# ------------------------------------------------------------------------------------------ matching


def test_area_names_match_without_case_accents_or_extra_spaces(setup, tmp_path):
    text = (
        HEADER
        + "hom,  QUERETARO ,2024,1\nhom,nuevo   leon,2024,2\nhom,Nuevo Laredo,2024,3\nhom,Querétaro de Arteaga,2024,4\n"
    )
    report = import_observations(setup, write(tmp_path, text), area_match="name")
    assert [(e.row, e.field) for e in report.errors] == [(3, "area"), (4, "area")]
    assert "no area of this city is named 'Nuevo Laredo'; closest: Nuevo León (19)" in report.errors[0].message
    assert report.errors[1].message.endswith("closest: Querétaro (22)")
    text = HEADER + "hom,  QUERETARO ,2024,1\nhom,nuevo   leon,2024,2\n"
    assert import_observations(setup, write(tmp_path, text, "ok.csv"), area_match="name").created == 2


def test_ambiguous_area_name_is_an_error(setup, tmp_path):
    Area.objects.create(city=setup, code="EC-Balfour", name="Balfour")
    Area.objects.create(city=setup, code="MP-Balfour", name="Balfour")
    report = import_observations(setup, write(tmp_path, HEADER + "hom,Balfour,2024,1\n"), area_match="name")
    assert "fits 2 areas (EC-Balfour, MP-Balfour)" in report.errors[0].message


def test_indicator_names_match_in_any_language(setup, tmp_path):
    text = HEADER + "homicidio DOLOSO,22,2024,1\nSafe after dark,22,2024,50\n"
    report = import_observations(setup, write(tmp_path, text), indicator_match="name")
    assert report.ok, report.errors
    assert set(values(setup)) == {("hom", "22", "2024", ""), ("rate", "22", "2024", "")}


def test_maps_translate_the_files_names_to_codes(setup, tmp_path):
    area_map = write(tmp_path, "value,code,note\nQuerétaro de Arteaga,22,long name\nNacional,00,\n", "areas.csv")
    indicator_map = write(tmp_path, "value,code\nHomicidios,hom\n", "indicators.csv")
    text = "delito,entidad,mes,total\nHomicidios,Querétaro de Arteaga,2024-01,5\nHomicidios,Nuevo León,2024-01,6\n"
    report = import_observations(
        setup,
        write(tmp_path, text),
        indicator_field="delito",
        indicator_map=str(indicator_map),
        area_field="entidad",
        area_match="name",
        area_map=str(area_map),
        period_field="mes",
        value_field="total",
    )
    assert report.ok, report.errors
    assert values(setup) == {("hom", "22", "2024-01", ""): 5, ("hom", "19", "2024-01", ""): 6}
    nacional = write(tmp_path, "delito,entidad,mes,total\nHomicidios,Nacional,2024-01,11\n", "nacional.csv")
    report = import_observations(
        setup,
        nacional,
        indicator_field="delito",
        indicator_map=str(indicator_map),
        area_field="entidad",
        area_map=str(area_map),
        period_field="mes",
        value_field="total",
    )
    assert "'Nacional' is mapped to area code '00', which this city does not have" in report.errors[0].message


def test_area_codes_written_as_numbers_keep_their_leading_zeros(setup, tmp_path):
    report = import_observations(setup, write(tmp_path, HEADER + "hom,1,2024,1\n"))
    assert report.ok and values(setup) == {("hom", "01", "2024", ""): 1}


def test_filters_keep_and_drop_rows(setup, tmp_path):
    text = "indicator,area,period,value,kind\nhom,22,2024,1,a\nhom,19,2024,2,b\nhom,01,2024,3,c\nhom,01,2025,4,\n"
    path = write(tmp_path, text)
    report = import_observations(setup, path, filter=["kind=A", "kind=b"])
    assert report.ok and report.rows == 4 and report.created == 2
    assert "2 row(s) left out by --filter" in report.notes
    Observation.objects.all().delete()
    report = import_observations(setup, path, filter=["kind!=a", "kind!="])
    assert set(values(setup)) == {("hom", "19", "2024", ""), ("hom", "01", "2024", "")}
    assert "--filter 'kind' must look like" in import_observations(setup, path, filter=["kind"]).errors[0].message


# ------------------------------------------------------------------------------------------ periods


def test_dates_become_days_or_the_period_of_the_requested_kind(setup, tmp_path):
    setup.financial_year_start_month = 4
    setup.save()
    path = write(tmp_path, HEADER + "hom,22,2015-01-01,1\nhom,19,2015-03-31,2\nhom,01,2015-04-01 00:00:00,3\n")
    assert set(import_observations(setup, path, dry_run=True).notes) == set()
    kinds = {}
    for kind in ("day", "month", "quarter", "year", "fy"):
        Observation.objects.all().delete()
        report = import_observations(setup, path, period_kind=kind)
        assert report.ok, (kind, report.errors)
        kinds[kind] = sorted(Observation.objects.values_list("period", "period_type"))
    assert kinds["day"] == [("2015-01-01", "day"), ("2015-03-31", "day"), ("2015-04-01", "day")]
    assert kinds["month"] == [("2015-01", "month"), ("2015-03", "month"), ("2015-04", "month")]
    assert kinds["quarter"] == [("2015Q1", "quarter"), ("2015Q1", "quarter"), ("2015Q2", "quarter")]
    assert kinds["year"] == [("2015", "year")] * 3
    assert kinds["fy"] == [("2014April", "fy"), ("2014April", "fy"), ("2015April", "fy")]


def test_a_period_coarser_than_the_requested_kind_is_an_error(setup, tmp_path):
    report = import_observations(
        setup, write(tmp_path, HEADER + "hom,22,2015,1\nhom,22,2015-02,1\n"), period_kind="month"
    )
    assert [(e.row, e.field) for e in report.errors] == [(1, "period")]
    assert "does not fit in one month" in report.errors[0].message


# ------------------------------------------------------------------------------------------ HXL


def test_hxl_hashtags_find_columns_whatever_the_header_says(setup, tmp_path):
    text = (
        "Indicador,Estado,Nivel superior,Fecha,Valor,Sexo,Calidad\n"
        "#indicator+code,#adm2+code,#adm1+code,#date+period,#indicator+value+num,#meta+sex,#meta+quality\n"
        "hom,22,MX,2024-01,4,mujer,community\n"
        "hom,19,MX,2024-01,5,,\n"
    )
    report = import_observations(setup, write(tmp_path, text))
    assert report.ok, report.errors
    assert values(setup) == {("hom", "22", "2024-01", "female"): 4, ("hom", "19", "2024-01", ""): 5}
    assert Observation.objects.get(area__code="22").quality == "community"


def test_hxl_hashtags_as_the_only_header(setup, tmp_path):
    text = "#indicator+code,#loc+code,#date,#value\nhom,22,2024,4\n"
    report = import_observations(setup, write(tmp_path, text))
    assert report.ok, report.errors
    assert values(setup) == {("hom", "22", "2024", ""): 4}


def test_a_field_option_may_name_a_hashtag(setup, tmp_path):
    text = "a,b,c,d,e\n#indicator+code,#adm1+code,#date+period,#affected+num,#value\nhom,22,2024,4,9\n"
    report = import_observations(setup, write(tmp_path, text), value_field="#affected")
    assert report.ok, report.errors
    assert values(setup) == {("hom", "22", "2024", ""): 4}


def test_export_shaped_csv_imports_back_unchanged(setup, tmp_path):
    first = write(tmp_path, HEADER + "hom,22,2024-01,4\nrate,19,2024,55.5\n", "first.csv")
    import_observations(setup, first, quality="estimated", source="Encuesta")
    rows = [
        "indicator,indicator_name,area,area_name,period,value,sex,age_group,disability,numerator,denominator,quality,source",
        "#indicator+code,#indicator+name,#adm1+code,#adm1+name,#date+period,#indicator+value+num,#meta+sex,#meta+age,"
        "#meta+disability,#indicator+num+numerator,#indicator+num+denominator,#meta+quality,#meta+source",
    ]
    for o in Observation.objects.select_related("indicator", "area"):
        rows.append(
            f"{o.indicator.code},{o.indicator.name},{o.area.code},{o.area.name},{o.period},{o.value},{o.sex},"
            f"{o.age_group},{o.disability},,,{o.quality},{o.source}"
        )
    report = import_observations(setup, write(tmp_path, "\n".join(rows) + "\n", "export.csv"))
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert "columns not used: indicator_name, area_name" in report.notes


# ------------------------------------------------------------------------------------------ XLSX


def test_xlsx_with_typed_cells(setup, tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Datos"
    sheet.append(["indicator", "area", "period", "value"])
    sheet.append(["hom", 22, datetime(2024, 3, 1), 7])  # noqa: DTZ001 — Excel cells have no time zone
    sheet.append(["hom", 1, "2024-04", 8.5])
    sheet.append([None, None, None, None])
    path = tmp_path / "obs.xlsx"
    workbook.save(path)
    report = import_observations(setup, path, sheet="Datos", period_kind="month")
    assert report.ok, report.errors
    assert values(setup) == {("hom", "22", "2024-03", ""): 7, ("hom", "01", "2024-04", ""): 8.5}
    missing = import_observations(setup, path, sheet="Nope")
    assert "the workbook has no sheet 'Nope'" in missing.errors[0].message


# ------------------------------------------------------------------------------------------ wide


def test_wide_years_become_financial_years_and_blank_cells_are_skipped(setup, tmp_path):
    text = "station,province,crime,2003,2004,2005\nQro,22,Homicidio doloso,6,7,\nNL,19,Homicidio doloso,1,,2\n"
    Area.objects.create(city=setup, code="22-Qro", name="Querétaro station")
    Area.objects.create(city=setup, code="19-NL", name="Monterrey station")
    options = {
        "wide": "2003-2005",
        "period_template": "{column}April",
        "area_template": "{province}-{station}",
        "indicator_field": "crime",
        "indicator_match": "name",
    }
    report = import_observations(setup, write(tmp_path, text), **options)
    assert report.ok, report.errors
    assert (report.rows, report.created) == (2, 4)
    assert "2 blank wide cell(s) skipped (not yet published)" in report.notes
    assert values(setup) == {
        ("hom", "22-Qro", "2003April", ""): 6,
        ("hom", "22-Qro", "2004April", ""): 7,
        ("hom", "19-NL", "2003April", ""): 1,
        ("hom", "19-NL", "2005April", ""): 2,
    }
    fy = Observation.objects.get(period="2003April", area__code="22-Qro")
    assert (fy.period_type, fy.period_start, fy.period_end) == ("fy", date(2003, 4, 1), date(2004, 3, 31))
    again = import_observations(setup, write(tmp_path, text), **options)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_wide_spanish_months_with_the_year_from_a_column_and_summed_subtypes(setup, tmp_path):
    text = (
        "Año,Clave_Ent,Subtipo,Modalidad,Enero,Febrero,Marzo,Abril\n"
        "2026,22,Homicidio doloso,Con arma de fuego,4,3,2,\n"
        "2026,22,Homicidio doloso,Con arma blanca,1,1,1,\n"
        "2026,01,Homicidio doloso,Con arma blanca,0,0,0,\n"
    )
    options = {
        "wide": "Enero-Abril",
        "period_template": "{Año}-{month:02d}",
        "area_field": "Clave_Ent",
        "indicator_field": "Subtipo",
        "indicator_match": "name",
    }
    path = write(tmp_path, text, encoding="latin-1")
    report = import_observations(setup, path, **options)
    assert [(e.row, e.field) for e in report.errors] == [(2, "Enero"), (2, "Febrero"), (2, "Marzo")]
    report = import_observations(setup, path, sum_duplicates=True, **options)
    assert report.ok, report.errors
    assert report.created == 6
    assert values(setup)[("hom", "22", "2026-01", "")] == 5
    assert values(setup)[("hom", "22", "2026-03", "")] == 3
    assert values(setup)[("hom", "01", "2026-02", "")] == 0
    assert not Observation.objects.filter(period="2026-04").exists()


def test_wide_columns_as_a_list_without_template_and_bad_specs(setup, tmp_path):
    text = "indicator,area,2023Q4,2024Q1,notes\nhom,22,1,2,x\n"
    path = write(tmp_path, text)
    report = import_observations(setup, path, wide="2023Q4, 2024Q1")
    assert report.ok and report.created == 2
    assert set(values(setup)) == {("hom", "22", "2023Q4", ""), ("hom", "22", "2024Q1", "")}
    bad = import_observations(setup, path, wide="2023Q4-2025Q1")
    assert "--wide '2023Q4-2025Q1' is neither a column nor a range" in bad.errors[0].message
    notes = import_observations(setup, path, wide="notes")
    assert notes.errors[0].field == "notes" and "'x' is not a number" in notes.errors[0].message
    template = import_observations(setup, path, wide="2023Q4", period_template="{quarter}")
    assert "names 'quarter'" in template.errors[0].message


# ------------------------------------------------------------------------------------------ scale


def test_many_rows_in_one_bulk_import(setup, tmp_path):
    areas = [Area(city=setup, code=f"A{i:03d}", name=f"Area {i}") for i in range(100)]
    Area.objects.bulk_create(areas)
    lines = [HEADER.strip()]
    for i in range(100):
        for month in range(1, 13):
            for year in range(2015, 2020):
                lines.append(f"hom,A{i:03d},{year}-{month:02d},{i + month}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    report = import_observations(setup, path)
    assert report.ok and report.created == 6000
    assert Observation.objects.filter(city=setup).count() == 6000
    again = import_observations(setup, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6000)
    lines2 = [lines[0]] + [f"{line}5" for line in lines[1:3001]]  # 3,000 values ×10 (+5)
    report = import_observations(setup, write(tmp_path, "\n".join(lines2) + "\n", "revised.csv"))
    assert (report.created, report.updated, report.unchanged) == (0, 3000, 0)
    first = Observation.objects.get(area__code="A000", period="2015-01")
    assert (first.value, first.import_run_id) == (15, report.import_run_id)
    assert Observation.objects.get(area__code="A099", period="2019-12").value == 111


def test_fold_ignores_case_accents_and_spacing():
    assert fold("  Querétaro   de  ARTEAGA ") == "queretaro de arteaga"
    assert fold("Neglect and ill-treatment of children ") == fold("neglect and ill-treatment of children")


def test_command_line_passes_the_observation_options(setup, tmp_path, capsys):
    from django.core.management import call_command

    text = "Año,Clave,Enero,Febrero\n2026,22,4,\n"
    path = write(tmp_path, text)
    call_command(
        "import",
        "observations",
        str(path),
        "--city",
        setup.slug,
        "--indicator",
        "Homicidio doloso",
        "--indicator-match",
        "name",
        "--area-field",
        "Clave",
        "--wide",
        "Enero-Febrero",
        "--period-template",
        "{Año}-{month:02d}",
        "--filter",
        "Clave!=19",
        "--json",
    )
    assert '"created": 1' in capsys.readouterr().out
    assert values(setup) == {("hom", "22", "2026-01", ""): 4}
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "observations", str(path), "--city", setup.slug, "--indicator", "nope")
    assert exit_info.value.code == 1
