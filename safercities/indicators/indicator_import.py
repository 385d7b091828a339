"""Import a city's indicator definitions from a CSV (or XLSX) table (INTERFACES.md, "Indicators").

Columns: ``code,name,dimension,unit,direction,aggregation`` are required; ``rate_per, description,
sdg_code, incident_categories`` are optional, as are the extensions ``name_es, description_es, unit_es,
source, disaggregations, threshold_amber, threshold_red, is_public``. Lists are ``;``-separated.

An indicator is matched by its code: a new code creates one, a known code updates it. An optional
column that the file lacks leaves that field as it is; a blank cell in a column the file has clears
it. The whole file is validated before anything is written, so one bad cell rejects the file and the
report names every problem by row and column.
"""

from __future__ import annotations

import difflib
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from safercities.indicators.models import DIMENSION_CODES, Dimension, Indicator
from safercities.ingest.files import Table, parse_number, read_table, sniff_kind
from safercities.ingest.report import ImportReport
from safercities.ingest.runner import ImportContext, run_import
from safercities.places.models import City

REQUIRED = ("code", "name", "dimension", "unit", "direction", "aggregation")
OPTIONAL = (
    "rate_per",
    "description",
    "sdg_code",
    "incident_categories",
    "name_es",
    "description_es",
    "unit_es",
    "source",
    "disaggregations",
    "threshold_amber",
    "threshold_red",
    "is_public",
)
KNOWN = REQUIRED + OPTIONAL
# Other spellings people use for the same column (the catalogue's own field names among them).
ALIASES = {"definition": "description", "official_code": "sdg_code", "definition_es": "description_es"}
OPTIONS = ("sheet", "encoding", "delimiter")

DIRECTIONS = [code for code, _label in Indicator.DIRECTIONS]
AGGREGATIONS = [code for code, _label in Indicator.AGGREGATIONS]


def _max_length(field: str) -> int:
    length = getattr(Indicator._meta.get_field(field), "max_length", None)
    return int(length) if length else 255


MAX_LENGTHS = {
    "code": _max_length("code"),
    "name": _max_length("name"),
    "unit": _max_length("unit"),
    "sdg_code": _max_length("official_code"),
    "source": _max_length("source"),
}
MAX_DEFINITION = 5_000
MAX_CATEGORY = 100  # Incident.category
MAX_RATE_PER = 2_147_483_647  # PositiveIntegerField on PostgreSQL

_CODE = re.compile(r"^\w[\w.-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BARE_SDG = re.compile(r"^\d{1,2}\.[0-9a-z]{1,2}\.\d{1,2}$")
_GROUPED_INTEGER = re.compile(r"^\d{1,3}([.,\u00a0\u202f ]\d{3})+$")
_TRUE = {"yes", "y", "true", "t", "1", "si", "sí", "s", "public", "público", "publico"}
_FALSE = {"no", "n", "false", "f", "0", "private", "privado"}

# Indicator fields written from a row, in the order they are compared.
FIELDS = (
    "name",
    "definition",
    "dimension_id",
    "unit",
    "direction",
    "aggregation",
    "rate_per",
    "official_code",
    "source",
    "disaggregations",
    "incident_categories",
    "threshold_amber",
    "threshold_red",
    "is_public",
    "translations",
)


@dataclass
class _Row:
    number: int
    code: str
    values: dict[str, Any]  # only the fields this file sets


def import_indicators(
    city: City,
    path: str | Path,
    *,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    **options: Any,
) -> ImportReport:
    """Create or update the city's indicators from ``path``; all rows or none (see the module docstring)."""
    return run_import(
        kind="indicators",
        city=city,
        path=path,
        importer=_import,
        user=user,
        dry_run=dry_run,
        options=options,
    )


def _import(ctx: ImportContext) -> None:
    report = ctx.report
    unknown = sorted(set(ctx.options) - set(OPTIONS))
    if unknown:
        report.add_error(
            0,
            "options",
            f"unknown option(s) {', '.join(map(repr, unknown))} for an indicators import; "
            f"known options: {', '.join(OPTIONS)}",
        )
        return
    with _readable(ctx.path) as path:
        table = read_table(
            path,
            encoding=ctx.options.get("encoding"),
            delimiter=ctx.options.get("delimiter"),
            sheet=ctx.options.get("sheet"),
        )
        existing = {indicator.code: indicator for indicator in ctx.city.indicators.all()}
        rows = _validate(ctx, table, existing)
    if report.ok:
        _write(ctx, rows, existing)


@contextmanager
def _readable(path: Path) -> Iterator[Path]:
    """``path``, or a copy named ``.xlsx`` when a workbook hides behind another extension.

    openpyxl refuses a workbook by its file name (``indicators.csv``) even when the bytes are right.
    """
    if sniff_kind(path) != "xlsx" or path.suffix.lower() in {".xlsx", ".xlsm"}:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="safercities-") as directory:
        copy = Path(directory) / "upload.xlsx"
        shutil.copyfile(path, copy)
        yield copy


def _validate(ctx: ImportContext, table: Table, existing: dict[str, Indicator]) -> list[_Row]:
    """Every row checked and every problem reported; the rows to write when there is none."""
    report = ctx.report
    columns = _map_columns(table.columns, report)
    if not report.ok:
        return []
    decimal_comma = table.delimiter == ";"
    existing_folded = {code.casefold(): code for code in existing}
    dimensions: dict[str, Dimension] = {}
    for dimension in Dimension.objects.all():
        # The code, and the English and translated names ("Personal security", "Seguridad personal").
        names = [dimension.code, dimension.name] + [t.get("name", "") for t in (dimension.translations or {}).values()]
        dimensions.update({name.lower(): dimension for name in names if name})
    seen: dict[str, tuple[int, str]] = {}
    rows: list[_Row] = []
    for number, raw in table.rows:
        report.rows += 1
        if "__error__" in raw:
            report.add_error(number, "row", f"this row cannot be read: {raw['__error__']}")
            continue
        cells = {name: raw.get(original) for name, original in columns.items()}
        code = _text(cells.get("code"))
        folded = code.casefold()
        if code and folded in seen:
            first_row, first_code = seen[folded]
            what = "is" if first_code == code else f"differs only in letter case from {first_code!r},"
            report.add_error(
                number, "code", f"the code {code[:64]!r} {what} already on row {first_row}; list each indicator once"
            )
        elif code:
            seen[folded] = (number, code)
            if code not in existing and folded in existing_folded:
                report.add_error(
                    number,
                    "code",
                    f"the code {code[:64]!r} differs only in letter case from the existing indicator "
                    f"{existing_folded[folded]!r}; use the same spelling to update it",
                )
        row = _validate_row(number, cells, report, existing, dimensions, decimal_comma)
        if row is not None:
            rows.append(row)
    if report.rows == 0:
        report.add_error(0, "file", "the file has a header but no data rows")
    return rows


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _map_columns(header: list[str], report: ImportReport) -> dict[str, str]:
    """Our column name → the file's column name; report missing, doubled and misspelt columns."""
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for original in header:
        if not original:
            continue
        name = _normalise_header(original)
        name = ALIASES.get(name, name)
        if name in KNOWN:
            if name in columns:
                report.add_error(0, original, f"the columns {columns[name]!r} and {original!r} both give {name!r}")
            columns[name] = original
            continue
        close = difflib.get_close_matches(name, KNOWN, n=1, cutoff=0.8)
        if close:
            report.add_error(0, original, f"unknown column {original!r} — did you mean {close[0]!r}?")
        else:
            ignored.append(original)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        report.add_error(
            0,
            "header",
            f"missing required column(s) {', '.join(missing)}; the header must include {','.join(REQUIRED)}",
        )
    if ignored:
        report.notes.append(f"ignored column(s) {', '.join(map(repr, ignored))}, which are not indicator fields")
    return columns


def _text(value: Any) -> str:
    """A cell as text; Excel numbers such as ``100000.0`` lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _validate_row(
    number: int,
    cells: dict[str, Any],
    report: ImportReport,
    existing: dict[str, Indicator],
    dimensions: dict[str, Dimension],
    decimal_comma: bool,
) -> _Row | None:
    """The fields one row sets, or ``None`` after reporting every problem of the row."""
    errors_before = report.error_count

    def error(field: str, message: str) -> None:
        report.add_error(number, field, message)

    def text(field: str, *, required: bool = False, lines: bool = False) -> str:
        value = _text(cells.get(field))
        if required and not value:
            error(field, "is required and empty")
        limit = MAX_LENGTHS.get(field, MAX_DEFINITION)
        if len(value) > limit:
            error(field, f"is {len(value):,} characters long; at most {limit:,} are allowed")
            value = value[:limit]
        if (_CONTROL_EXCEPT_LINES if lines else _CONTROL).search(value):
            error(field, "contains control characters (invisible characters such as tabs or line breaks)")
        return value

    code = text("code", required=True)
    if code and not _CODE.match(code) and len(code) <= MAX_LENGTHS["code"] and not _CONTROL.search(code):
        error(
            "code",
            f"{code[:40]!r} is not a valid code: use letters, digits, '-', '_' or '.', with no spaces",
        )
    current = existing.get(code)
    values: dict[str, Any] = {"name": text("name", required=True), "unit": text("unit", required=True)}

    dimension_text = _text(cells.get("dimension"))
    if dimension_text.lower() not in dimensions:
        error(
            "dimension",
            f"{dimension_text[:40]!r} is not a dimension; use one of {', '.join(DIMENSION_CODES)}"
            if dimension_text
            else f"is required and empty; use one of {', '.join(DIMENSION_CODES)}",
        )
    else:
        values["dimension_id"] = dimensions[dimension_text.lower()].pk

    direction = _choice(cells.get("direction"))
    if direction not in DIRECTIONS:
        given = _text(cells.get("direction"))[:40]
        error("direction", f"{given!r} is not a direction; use {' or '.join(DIRECTIONS)}")
    values["direction"] = direction
    aggregation = _choice(cells.get("aggregation"))
    if aggregation not in AGGREGATIONS:
        error(
            "aggregation",
            f"{_text(cells.get('aggregation'))[:40]!r} is not an aggregation; use {', '.join(AGGREGATIONS)}",
        )
    values["aggregation"] = aggregation

    rate_per_given = bool(_text(cells.get("rate_per")))
    if "rate_per" in cells:
        values["rate_per"] = _rate_per(cells["rate_per"], error)
    rate_per = values.get("rate_per", current.rate_per if current else None)
    if aggregation == "rate" and not rate_per and not rate_per_given:
        error(
            "rate_per",
            "aggregation 'rate' needs rate_per, the number of people per which the rate is given (e.g. 100000)",
        )

    if "description" in cells:
        values["definition"] = text("description", lines=True)
    if "sdg_code" in cells:
        official = text("sdg_code")
        values["official_code"] = f"SDG {official}" if _BARE_SDG.match(official) else official
    if "source" in cells:
        values["source"] = text("source")
    if "incident_categories" in cells:
        categories = _list(cells["incident_categories"])
        for category in categories:
            if len(category) > MAX_CATEGORY or _CONTROL.search(category):
                error("incident_categories", f"{category[:40]!r} is not a valid incident category code")
        if categories and aggregation == "mean":
            error(
                "incident_categories",
                "incidents are counted, so an indicator that counts incident categories must aggregate by sum or rate",
            )
        values["incident_categories"] = categories
    if "disaggregations" in cells:
        disaggregations = [item.lower() for item in _list(cells["disaggregations"])]
        bad = [item for item in disaggregations if item not in Indicator.DISAGGREGATIONS]
        if bad:
            error(
                "disaggregations",
                f"{', '.join(map(repr, bad))} cannot be a disaggregation; use {', '.join(Indicator.DISAGGREGATIONS)}",
            )
        values["disaggregations"] = disaggregations
    for field in ("threshold_amber", "threshold_red"):
        if field in cells:
            values[field] = _optional_number(cells[field], decimal_comma, lambda message, f=field: error(f, message))
    _check_thresholds(values, current, direction, error)
    if "is_public" in cells:
        flag = _text(cells["is_public"]).lower()
        if flag and flag not in _TRUE | _FALSE:
            error("is_public", f"{flag[:40]!r} is not yes or no")
        values["is_public"] = flag not in _FALSE

    spanish = {
        key: text(column, lines=column == "description_es")
        for key, column in (("name", "name_es"), ("definition", "description_es"), ("unit", "unit_es"))
        if column in cells
    }
    if spanish:
        translations = dict(current.translations or {}) if current else {}
        es = dict(translations.get("es", {}))
        for key, value in spanish.items():
            if value:
                es[key] = value
            else:
                es.pop(key, None)
        if es:
            translations["es"] = es
        else:
            translations.pop("es", None)
        values["translations"] = translations

    if report.error_count > errors_before:
        return None
    return _Row(number=number, code=code, values=values)


def _choice(value: Any) -> str:
    """``Higher is worse`` and ``higher-is-worse`` mean ``higher_is_worse``."""
    return re.sub(r"[\s-]+", "_", _text(value).lower())


def _list(value: Any) -> list[str]:
    """A ``;``-separated cell as a list without blanks or repeats, in the file's order."""
    items: list[str] = []
    for item in _text(value).split(";"):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    return items


def _rate_per(value: Any, error: Any) -> int | None:
    """A positive whole number of people; ``100,000``, ``100.000`` and ``100 000`` all mean 100000."""
    text = _text(value)
    if not text:
        return None
    if _GROUPED_INTEGER.match(text):
        text = re.sub(r"\D", "", text)
    try:
        number = parse_number(text)
    except ValueError as exc:
        error("rate_per", f"{exc}; give the number of people per which the rate is given, e.g. 100000")
        return None
    if number <= 0 or not number.is_integer() or number > MAX_RATE_PER:
        error("rate_per", f"{text[:40]!r} is not a positive whole number of people (e.g. 1000, 100000)")
        return None
    return int(number)


def _optional_number(value: Any, decimal_comma: bool, error: Any) -> float | None:
    if _text(value) == "":
        return None
    try:
        return parse_number(value, decimal_comma=decimal_comma)
    except ValueError as exc:
        error(f"{exc}; a threshold is a number in the indicator's unit, or blank for none")
        return None


def _check_thresholds(values: dict[str, Any], current: Indicator | None, direction: str, error: Any) -> None:
    """Amber must be reached before red in the direction in which the indicator gets worse."""
    amber = values.get("threshold_amber", current.threshold_amber if current else None)
    red = values.get("threshold_red", current.threshold_red if current else None)
    if amber is None or red is None or direction not in DIRECTIONS:
        return
    if direction == Indicator.HIGHER_IS_WORSE and not amber < red:
        error("threshold_red", f"higher is worse, so the red threshold ({red:g}) must be above amber ({amber:g})")
    if direction == Indicator.HIGHER_IS_BETTER and not amber > red:
        error("threshold_red", f"higher is better, so the red threshold ({red:g}) must be below amber ({amber:g})")


def _write(ctx: ImportContext, rows: list[_Row], existing: dict[str, Indicator]) -> None:
    """Create the new codes, update the changed ones, count the rest as unchanged."""
    report = ctx.report
    new: list[Indicator] = []
    changed: list[Indicator] = []
    changed_fields: set[str] = set()
    for row in rows:
        indicator = existing.get(row.code)
        if indicator is None:
            new.append(Indicator(city=ctx.city, code=row.code, **row.values))
            continue
        differences = [
            field for field in FIELDS if field in row.values and getattr(indicator, field) != row.values[field]
        ]
        if not differences:
            report.unchanged += 1
            continue
        for field in differences:
            setattr(indicator, field, row.values[field])
        changed.append(indicator)
        changed_fields.update(differences)
    if changed:
        Indicator.objects.bulk_update(changed, sorted(changed_fields))
    if new:
        Indicator.objects.bulk_create(new)
    report.created = len(new)
    report.updated = len(changed)
