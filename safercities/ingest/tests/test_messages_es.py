"""The importers' messages follow the active language: Spanish in the Spanish wizard, English elsewhere.

The English text is a contract (tests, scripts against the command line and the API), so every Spanish
assertion here is paired with the exact English of the same file. Row numbers and field names never
change with the language: only the sentence does.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from safercities.indicators.importers import import_observations
from safercities.ingest.files import FileProblem, parse_date, parse_number, read_csv, read_table
from safercities.jobs import queue
from safercities.places.models import Area
from safercities.workspace.models import ImportUpload

pytestmark = pytest.mark.django_db


@pytest.fixture
def areas(city):
    return [Area.objects.create(city=city, code=f"N{i}", name=f"Barrio {i}", level="neighbourhood") for i in range(2)]


@pytest.fixture
def workspace_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWO_FACTOR_REQUIRED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _errors(report) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in report.errors]


# --- file-level problems (ingest/files.py) -----------------------------------------------------


def test_repeated_header_column_in_spanish_and_in_english(city, areas, tmp_path):
    path = _write(tmp_path, "dup.csv", b"indicator,area,area,period,value\nhomicide-rate,N0,N0,2024,1\n")
    with translation.override("es"):
        spanish = _errors(import_observations(city, path, dry_run=True))
    with translation.override("en"):
        english = _errors(import_observations(city, path, dry_run=True))
    assert english == [(0, "file", "the header repeats column(s) 'area'")]
    assert spanish == [(0, "file", "el encabezado repite la(s) columna(s) 'area'")]


def test_empty_file_and_wrong_kind_of_file(city, areas, tmp_path):
    empty = _write(tmp_path, "empty.csv", b"\xef\xbb\xbf \r\n")
    binary = _write(tmp_path, "data.csv", b"\x00\x01\x02 binary")
    with translation.override("es"):
        assert _errors(import_observations(city, empty, dry_run=True)) == [
            (0, "file", "el archivo 'empty.csv' está vacío")
        ]
        [(row, field, message)] = _errors(import_observations(city, binary, dry_run=True))
        assert (row, field) == (0, "file")
        assert message == "el archivo 'data.csv' es un archivo binario, pero una tabla debe ser csv o xlsx"
    [(_, _, english)] = _errors(import_observations(city, binary, dry_run=True))
    assert english == "the file 'data.csv' is a binary file, but a table must be csv or xlsx"


def test_broken_workbook_in_spanish(city, tmp_path):
    # A zip that claims to be a workbook but whose sheet is missing: openpyxl fails to open it.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all")
    path = _write(tmp_path, "broken.xlsx", buffer.getvalue())
    with translation.override("es"), pytest.raises(FileProblem, match=r"^no se puede abrir el libro: "):
        read_table(path)
    with pytest.raises(FileProblem, match=r"^the workbook cannot be opened: "):
        read_table(path)


def test_row_messages_of_the_reader_keep_their_row_number(tmp_path):
    path = _write(tmp_path, "rows.csv", b"a,b\n1,2\n1,2,3\n\nx\x00,y\n")
    with translation.override("es"):
        spanish = list(read_csv(path).rows)
    english = list(read_csv(path).rows)
    assert [number for number, _ in spanish] == [number for number, _ in english] == [1, 2, 4]
    assert english[1][1]["__error__"] == "has 3 fields but the header has 2"
    assert spanish[1][1]["__error__"] == "tiene 3 campos, pero el encabezado tiene 2"
    assert spanish[2][1]["__error__"].startswith("contiene un carácter NUL (\\x00)")
    assert english[2][1]["__error__"].startswith("contains a NUL character (\\x00)")


def test_cell_parsers_in_spanish_and_in_english():
    with translation.override("es"):
        for call, expected in [
            (lambda: parse_number("lots"), "'lots' no es un número"),
            (lambda: parse_number(""), "está vacío"),
            (lambda: parse_number(True), "es un valor sí/no, no un número"),
            (lambda: parse_number("inf"), "'inf' no es un número finito"),
            (
                lambda: parse_date("mañana"),
                "'mañana' no es una fecha (use ISO 8601, como 2024-03-15 14:30, o --date-format)",
            ),
            (lambda: parse_date("15/03", date_format="%Y"), "'15/03' no coincide con el formato de fecha '%Y'"),
        ]:
            with pytest.raises(ValueError) as caught:
                call()
            assert str(caught.value) == expected
    with pytest.raises(ValueError, match=r"^'lots' is not a number$"):
        parse_number("lots")
    with pytest.raises(ValueError, match=r"^'mañana' is not a date \(use ISO 8601"):
        parse_date("mañana")


# --- row messages of the observations importer (indicators/observation_import.py) ----------------

MALFORMED = (
    b"indicator,area,period,value\n"
    b"homicide-rate,N0,2024,12\n"
    b"homicide-rate,NOWHERE,2024,3\n"
    b"no-such-indicator,N1,2024,4\n"
    b"homicide-rate,N1,2024,lots\n"
    b"homicide-rate,N1,2024,5,extra\n"
    b"homicide-rate,,2024,6\n"
)


def test_malformed_observations_in_spanish_and_in_english(city, areas, tmp_path):
    path = _write(tmp_path, "bad.csv", MALFORMED)
    with translation.override("es"):
        spanish = _errors(import_observations(city, path, dry_run=True))
    with translation.override("en"):
        english = _errors(import_observations(city, path, dry_run=True))
    assert english == [
        (2, "area", "no area of this city has the code 'NOWHERE'"),
        (3, "indicator", "no indicator of this city has the code 'no-such-indicator'"),
        (4, "value", "the value 'lots' is not a number"),
        (5, "row", "this row cannot be read: has 5 fields but the header has 4"),
        (6, "area", "the area is empty"),
    ]
    assert spanish == [
        (2, "area", "ningún barrio de esta ciudad tiene el código 'NOWHERE'"),
        (3, "indicator", "ningún indicador de esta ciudad tiene el código 'no-such-indicator'"),
        (4, "value", "el valor 'lots' no es un número"),
        (5, "row", "no se puede leer esta fila: tiene 5 campos, pero el encabezado tiene 4"),
        (6, "area", "el barrio está vacío"),
    ]


def test_closest_names_hint_and_notes_in_spanish(city, areas, tmp_path):
    path = _write(tmp_path, "names.csv", b"indicator,area,period,value,comment\nhomicide-rate,Barrio 9,2024,1,x\n")
    with translation.override("es"):
        report = import_observations(city, path, dry_run=True, area_match="name")
    [(row, field, message)] = _errors(report)
    assert (row, field) == (1, "area")
    assert message.startswith("ningún barrio de esta ciudad se llama 'Barrio 9'; los más parecidos: Barrio ")
    assert report.notes == ["columnas no usadas: comment"]
    english = import_observations(city, path, dry_run=True, area_match="name")
    assert english.errors[0].message.startswith("no area of this city is named 'Barrio 9'; closest: Barrio ")
    assert english.notes == ["columns not used: comment"]


# --- row messages of the incidents importer (incidents/importers.py) ------------------------------

INCIDENTS = (
    b"time,category,lat,lon,area\n"
    b"2024-03-01 10:00,theft,19.43,-99.13,\n"
    b"2024-03-01 10:00,theft,north,-99.13,\n"
    b"2024-03-01 10:00,,19.43,-99.13,\n"
    b"2024-03-01 10:00,theft,95,-99.13,\n"
    b"2024-03-01 10:00,theft,,,ZZ\n"
    b"2999-01-01,theft,19.43,-99.13,\n"
)


def test_malformed_incidents_in_spanish_and_in_english(city, areas, tmp_path):
    from safercities.incidents.importers import import_incidents

    path = _write(tmp_path, "events.csv", INCIDENTS)
    with translation.override("es"):
        spanish = sorted(_errors(import_incidents(city, path, dry_run=True)))
    english = sorted(_errors(import_incidents(city, path, dry_run=True)))
    assert english == [
        (2, "lat", "'north' is not a number"),
        (3, "category", "is empty; every event needs a category"),
        (4, "lat", "95.0 is outside −90…90 degrees"),
        (4, "lat", "is empty; the event needs coordinates or an area code"),  # no usable point either
        (5, "area", "unknown area code 'ZZ'"),
        (6, "time", "is in the future (later than tomorrow)"),
    ]
    assert spanish == [
        (2, "lat", "'north' no es un número"),
        (3, "category", "está vacío; cada suceso necesita una categoría"),
        (4, "lat", "95.0 está fuera de −90…90 grados"),
        (4, "lat", "está vacío; el suceso necesita coordenadas o un código de barrio"),
        (5, "area", "código de barrio desconocido 'ZZ'"),
        (6, "time", "está en el futuro (después de mañana)"),
    ]


def test_the_api_answers_in_english_whatever_the_callers_language(client, ana, areas, workspace_settings):
    """Scripts match on the API's messages: a Spanish Accept-Language must not change them."""
    from safercities.api import tokens

    workspace_settings.API_THROTTLE_ANON = workspace_settings.API_THROTTLE_USER = ""
    _token, secret = tokens.create_token(user=ana, scopes="write")
    response = client.post(
        "/api/v1/cities/testville/imports/observations",
        {"file": SimpleUploadedFile("bad.csv", MALFORMED), "dry_run": "true"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9",
    )
    assert response.status_code == 422
    messages = [error["message"] for error in response.json()["error"]["details"]]
    assert "no area of this city has the code 'NOWHERE'" in messages
    assert not any("barrio" in message for message in messages)


# --- row messages of the areas and population importers (places/importers.py) -------------------

POPULATION = b"area,year,population\nN0,2024,1200\nZZ,2024,10\nN1,2024,-5\nN1,1700,10\nN0,2024,3\n"

AREAS = (
    b'{"type": "FeatureCollection", "features": ['
    b'{"type": "Feature", "properties": {"code": "A1", "name": "Uno"},'
    b' "geometry": {"type": "Point", "coordinates": [-99.1, 19.4]}},'
    b'{"type": "Feature", "properties": {"code": "", "name": "Dos"},'
    b' "geometry": {"type": "Point", "coordinates": [-99.2, 19.4]}},'
    b'{"type": "Feature", "properties": {"code": "A3", "name": "Tres"}, "geometry": null},'
    b'{"type": "Feature", "properties": {"code": "A1", "name": "Cuatro"},'
    b' "geometry": {"type": "Point", "coordinates": [-99.3, 19.4]}}'
    b"]}"
)


def test_malformed_population_in_spanish_and_in_english(city, areas, tmp_path):
    from safercities.places.importers import import_population

    path = _write(tmp_path, "population.csv", POPULATION)
    with translation.override("es"):
        spanish = _errors(import_population(city, path, dry_run=True))
    english = _errors(import_population(city, path, dry_run=True))
    assert english == [
        (2, "area", "no area with code 'ZZ' in this city"),
        (3, "population", "the population -5 is negative"),
        (4, "year", "the year 1700 is outside 1800–2200"),
        (5, "population", "repeats row 1: the same area 'N0', year 2024"),
    ]
    assert spanish == [
        (2, "area", "no hay ningún barrio con el código 'ZZ' en esta ciudad"),
        (3, "population", "la población -5 es un valor negativo"),
        (4, "year", "el año 1700 está fuera de 1800–2200"),
        (5, "population", "repite la fila 1: el mismo barrio 'N0', año 2024"),
    ]


def test_malformed_areas_in_spanish_and_in_english(city, tmp_path):
    from safercities.places.importers import import_areas

    path = _write(tmp_path, "areas.geojson", AREAS)
    with translation.override("es"):
        spanish = _errors(import_areas(city, path, dry_run=True))
    english = _errors(import_areas(city, path, dry_run=True))
    assert english == [
        (2, "code", "the code is empty"),
        (3, "geometry", "feature 3 has no geometry"),
        (4, "code", "the code 'A1' is used by feature 1 and feature 4"),
    ]
    assert spanish == [
        (2, "code", "el código está vacío"),
        (3, "geometry", "el elemento 3 no tiene geometría"),
        (4, "code", "el código 'A1' lo usan el elemento 1 y el elemento 4"),
    ]


def test_areas_file_that_is_not_geojson_in_spanish(city, tmp_path):
    from safercities.places.importers import import_areas

    path = _write(tmp_path, "areas.geojson", b'{"type": "Feature", "properties": {}, "geometry": null')
    with translation.override("es"):
        [(row, field, spanish)] = _errors(import_areas(city, path, dry_run=True))
    [(_, _, english)] = _errors(import_areas(city, path, dry_run=True))
    assert (row, field) == (0, "file")
    assert english.startswith("the file is not valid JSON: ") and " at line 1, column " in english
    assert spanish.startswith("el archivo no es JSON válido: ") and " en la línea 1, columna " in spanish


def test_zip_without_a_shapefile_in_spanish(city, tmp_path):
    from safercities.places.importers import import_areas

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "no shapefile here")
    path = _write(tmp_path, "areas.zip", buffer.getvalue())
    with translation.override("es"):
        [(row, field, spanish)] = _errors(import_areas(city, path, dry_run=True))
    [(_, _, english)] = _errors(import_areas(city, path, dry_run=True))
    assert (row, field) == (0, "file")
    assert english.startswith("the file 'areas.zip' is a zip archive without a shapefile (.shp) in it; areas must be")
    assert spanish.startswith("el archivo 'areas.zip' es un archivo zip sin shapefile (.shp) dentro; los barrios")


# --- the wizard in Spanish ---------------------------------------------------------------------


def _upload(client, content: bytes, name: str, language: str = "es"):
    return client.post(
        f"/{language}/workspace/testville/imports/new/",
        {"kind": "observations", "file": SimpleUploadedFile(name, content)},
    )


def test_wizard_in_spanish_shows_spanish_messages(client, ana, areas, workspace_settings):
    client.force_login(ana)
    response = _upload(client, MALFORMED, "bad.csv")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "ningún barrio de esta ciudad tiene el código &#x27;NOWHERE&#x27;" in page
    assert "no se puede leer esta fila: tiene 5 campos, pero el encabezado tiene 4" in page
    assert "no area of this city" not in page and "cannot be read" not in page
    response = _upload(client, b"indicator,area,area,period,value\nhomicide-rate,N0,N0,2024,1\n", "dup.csv")
    page = client.get(response["Location"]).content.decode()
    assert "el encabezado repite la(s) columna(s) &#x27;area&#x27;" in page


def test_wizard_in_english_keeps_the_english_text(client, ana, areas, workspace_settings):
    client.force_login(ana)
    response = _upload(client, MALFORMED, "bad.csv", language="en")
    page = client.get(response["Location"]).content.decode()
    assert "no area of this city has the code &#x27;NOWHERE&#x27;" in page
    assert "ningún" not in page


def test_background_check_runs_in_the_language_of_whoever_started_it(client, ana, areas, workspace_settings):
    workspace_settings.IMPORT_BACKGROUND_BYTES = 10  # every file goes through the queue
    client.force_login(ana)
    _upload(client, b"indicator,area,area,period,value\nhomicide-rate,N0,N0,2024,1\n", "dup.csv")
    the_upload = ImportUpload.objects.get()
    assert the_upload.job.params["language"] == "es"
    with translation.override("en"):  # the worker's own language must not matter
        assert queue.run_pending() >= 1
    the_upload.refresh_from_db()
    assert the_upload.status == ImportUpload.REJECTED
    [error] = the_upload.check_run.errors
    assert error["row"] == 0 and error["field"] == "file"
    assert error["message"] == "el encabezado repite la(s) columna(s) 'area'"
