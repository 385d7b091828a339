"""The 4W sheet (who does what, where, when) as HXL-hashtagged CSV and XLSX: export and import.

The sheet has one row per activity, a header row of labels and an HXL hashtag row under it
(docs/crises.md lists the columns). Export → import → export gives the same sheet: every stored field
has a column, codes and labels are written the way the importer reads them, and the ``#activity+code``
column keeps each row's identity so a re-import updates (or leaves unchanged) instead of duplicating.
Text a spreadsheet would run as a formula is written with a leading quote (``ingest.cells``) and the
importer takes that quote off again.

The importer reads with ``ingest.files`` (encodings, delimiters, the HXL row, XLSX) and answers with
``ingest.report.ImportReport`` (row, field, message): it checks every row first and writes nothing
unless the whole file is valid, in one transaction.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation

from safercities.crises.models import REACHED_FIELDS, Activity, Crisis, Organisation, OrgType, Sector
from safercities.ingest.cells import csv_writer, safe_row, unescape_cell
from safercities.ingest.files import FileProblem, parse_date, parse_number, read_table
from safercities.ingest.report import ImportReport
from safercities.places.models import Area

MAX_ROWS = 20_000


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    tag: str


COLUMNS: tuple[Column, ...] = (
    Column("ref", "Activity code", "#activity+code"),
    Column("org_name", "Organisation", "#org+name"),
    Column("org_acronym", "Acronym", "#org+acronym"),
    Column("org_type", "Organisation type", "#org+type"),
    Column("sector", "Sector", "#sector+cluster"),
    Column("description", "Activity", "#activity+name"),
    Column("area_code", "Area code", "#adm2+code"),
    Column("area_name", "Area", "#adm2+name"),
    Column("start", "Start", "#date+start"),
    Column("end", "End", "#date+end"),
    Column("status", "Status", "#status"),
    Column("reached_f_children", "Girls (0-17)", "#reached+f+children"),
    Column("reached_m_children", "Boys (0-17)", "#reached+m+children"),
    Column("reached_f_adults", "Women (18-59)", "#reached+f+adults"),
    Column("reached_m_adults", "Men (18-59)", "#reached+m+adults"),
    Column("reached_f_elderly", "Older women (60+)", "#reached+f+elderly"),
    Column("reached_m_elderly", "Older men (60+)", "#reached+m+elderly"),
    Column("reached_total", "People reached", "#reached"),
)
REQUIRED = ("org_name", "sector", "description", "area_code", "start", "status")

# Other spellings of the same HXL columns seen in partners' sheets (attributes are unordered in HXL).
ALIASES = {
    "#loc+code": "#adm2+code",
    "#adm3+code": "#adm2+code",
    "#loc+name": "#adm2+name",
    "#adm3+name": "#adm2+name",
    "#sector": "#sector+cluster",
    "#sector+name": "#sector+cluster",
    "#activity": "#activity+name",
    "#activity+description": "#activity+name",
    "#activity+id": "#activity+code",
    "#org": "#org+name",
    "#org+impl": "#org+name",
    "#org+impl+name": "#org+name",
    "#org+type+name": "#org+type",
    "#reached+total": "#reached",
}
ATTRIBUTE_ALIASES = {"adult": "adults", "child": "children", "elders": "elderly", "older": "elderly"}

SECTOR_SYNONYMS = {
    "water, sanitation and hygiene": Sector.WASH,
    "agua, saneamiento e higiene": Sector.WASH,
    "camp coordination and camp management": Sector.CCCM,
    "coordinación y gestión de campamentos": Sector.CCCM,
    "etc": Sector.ETC,
    "fsc": Sector.FOOD,
    "food": Sector.FOOD,
    "emergency shelter and nfi": Sector.SHELTER,
    "shelter/nfi": Sector.SHELTER,
    "gbv": Sector.PROTECTION,
    "protección": Sector.PROTECTION,
    "alojamiento": Sector.SHELTER,
    "albergue": Sector.SHELTER,
    "salud": Sector.HEALTH,
    "seguridad alimentaria": Sector.FOOD,
    "educación": Sector.EDUCATION,
    "logística": Sector.LOGISTICS,
    "nutrición": Sector.NUTRITION,
    "recuperación temprana": Sector.EARLY_RECOVERY,
    "telecomunicaciones de emergencia": Sector.ETC,
    "child protection": Sector.PROTECTION,
}
ORG_TYPE_SYNONYMS = {
    "un": OrgType.UN,
    "un agency": OrgType.UN,
    "ingo": OrgType.INGO,
    "nngo": OrgType.NNGO,
    "ngo": OrgType.NNGO,
    "local ngo": OrgType.NNGO,
    "rcrc": OrgType.RED_CROSS,
    "red cross": OrgType.RED_CROSS,
    "gov": OrgType.GOVERNMENT,
    "cbo": OrgType.COMMUNITY,
}


STATUS_SYNONYMS = {
    "en curso": "ongoing",
    "planificada": "planned",
    "planificado": "planned",
    "completada": "completed",
    "completado": "completed",
    "terminada": "completed",
    "finished": "completed",
    "active": "ongoing",
}


def normalise_tag(tag: str) -> str:
    """``#Reached +children +F`` → ``#reached+children+f`` with attributes sorted (HXL ignores order)."""
    parts = [p.strip().lower() for p in str(tag).replace(" ", "").split("+") if p.strip()]
    if not parts or not parts[0].startswith("#"):
        return ""
    attributes = sorted({ATTRIBUTE_ALIASES.get(a, a) for a in parts[1:]})
    canonical = "+".join([parts[0], *attributes])
    aliased = ALIASES.get(canonical, canonical)
    return "+".join([aliased.split("+")[0], *sorted(aliased.split("+")[1:])])


TAG_TO_FIELD = {normalise_tag(c.tag): c.field for c in COLUMNS}
LABEL_TO_FIELD = {c.label.lower(): c.field for c in COLUMNS}


def _choice_lookup(choices: type, synonyms: dict[str, str]) -> dict[str, str]:
    """Codes, English and Spanish labels and common synonyms, lower-cased, to the stored code."""
    table = {value.lower(): value for value in choices.values}
    for language in ("en", "es"):
        with translation.override(language):
            table.update({str(label).lower(): value for value, label in choices.choices})
    table.update({k.lower(): str(v) for k, v in synonyms.items()})
    return table


def english(choices: type, value: str) -> str:
    with translation.override("en"):
        return str(dict(choices.choices).get(value, value))


# --- export ----------------------------------------------------------------------------------------


def export_rows(crisis: Crisis) -> list[list[Any]]:
    """One list of cell values per activity, in the order of ``COLUMNS`` (ordered by code)."""
    rows = []
    activities = crisis.activities.select_related("organisation", "area").order_by("ref")
    for activity in activities:
        org = activity.organisation
        rows.append(
            [
                activity.ref,
                org.name,
                org.acronym,
                english(OrgType, org.org_type),
                english(Sector, activity.sector),
                activity.description,
                activity.area.code,
                activity.area.name,
                activity.start.isoformat(),
                activity.end.isoformat() if activity.end else "",
                activity.status,
                *(getattr(activity, name) for name in REACHED_FIELDS),
                activity.reached,
            ]
        )
    return rows


def export_csv(crisis: Crisis) -> str:
    """The sheet as CSV text (UTF-8, comma, LF): labels, hashtags, rows."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow([c.label for c in COLUMNS])
    writer.writerow([c.tag for c in COLUMNS])
    writer.writerows(safe_row(row) for row in export_rows(crisis))
    return buffer.getvalue()


def export_xlsx(crisis: Crisis) -> bytes:
    """The sheet as a workbook with one sheet "4W": labels, hashtags, rows (dates as ISO text)."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("4W")
    sheet.append([c.label for c in COLUMNS])
    sheet.append([c.tag for c in COLUMNS])
    for row in export_rows(crisis):
        sheet.append(safe_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_values(path: Path) -> list[list[str]]:
    """Every cell of a CSV or XLSX sheet as text (header and hashtag rows included): to compare sheets."""
    table = read_table(path)
    head = [table.columns, [table.hashtags.get(c, "") for c in table.columns]]
    return head + [[_text(row.get(c)) for c in table.columns] for _n, row in table.rows]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- import ----------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    ref: str
    org_name: str
    org_acronym: str
    org_type: str
    sector: str
    description: str
    area: Area
    start: date
    end: date | None
    status: str
    reached: dict[str, int]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # Our own export wrote "'=x" for "=x" (spreadsheet safety): read back what was stored.
    return unescape_cell(str(value).strip())


def _map_columns(columns: list[str], hashtags: dict[str, str], report: ImportReport) -> dict[str, str]:
    """field → column of the file, by hashtag (preferred) or by our header label."""
    mapping: dict[str, str] = {}
    if not hashtags and any(columns) and all(c.startswith("#") for c in columns if c):
        hashtags = {c: c for c in columns if c}  # a sheet whose only header row is the hashtags
    if hashtags:
        for column, tag in hashtags.items():
            field = TAG_TO_FIELD.get(normalise_tag(tag))
            if field is None:
                report.notes.append(f"column {column or tag!r} ({tag}) is not part of the 4W sheet and was ignored")
                continue
            if field in mapping:
                report.add_error(0, tag, "two columns carry the same hashtag")
                continue
            mapping[field] = column
    else:
        for column in columns:
            field = LABEL_TO_FIELD.get(column.strip().lower())
            if field is not None:
                mapping[field] = column
    for field in REQUIRED:
        if field not in mapping:
            column = next(c for c in COLUMNS if c.field == field)
            report.add_error(0, column.tag, f"the sheet has no column {column.label!r} (hashtag {column.tag})")
    return mapping


def derived_ref(org_name: str, sector: str, description: str, area_code: str, start: date) -> str:
    """A stable code for a row that has none: the same activity always gets the same code."""
    key = "|".join([org_name.lower(), sector, description.lower(), area_code, start.isoformat()])
    return "A-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value if not hasattr(value, "date") else value.date()  # datetime → date
    return parse_date(value).date()


def parse_sheet(crisis: Crisis, path: Path, report: ImportReport) -> list[ParsedRow]:
    """Read and check every row; errors go to ``report`` (row, field, message)."""
    try:
        table = read_table(path)
    except FileProblem as exc:
        report.add_error(0, "file", str(exc))
        return []
    mapping = _map_columns(table.columns, table.hashtags, report)
    if not report.ok:
        return []
    sectors = _choice_lookup(Sector, SECTOR_SYNONYMS)
    org_types = _choice_lookup(OrgType, ORG_TYPE_SYNONYMS)
    statuses = _choice_lookup(_StatusChoices, STATUS_SYNONYMS)
    areas = {a.code: a for a in Area.objects.filter(city=crisis.city)}
    tag_of = {c.field: c.tag for c in COLUMNS}
    parsed: list[ParsedRow] = []
    refs: dict[str, int] = {}
    orgs: dict[str, tuple[str, str, int]] = {}
    for number, row in table.rows:
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.add_error(number, "file", f"the sheet has more than {MAX_ROWS:,} rows")
            break
        if "__error__" in row:
            report.add_error(number, "row", row["__error__"])
            continue
        before = report.error_count
        cells = {field: _cell(row.get(column)) for field, column in mapping.items()}

        def fail(field: str, message: str, number: int = number) -> None:
            report.add_error(number, tag_of[field], message)

        for field in REQUIRED:
            if not cells.get(field):
                fail(field, "is empty")
        org_name, description = cells.get("org_name", ""), cells.get("description", "")
        for field, limit in (("org_name", 200), ("org_acronym", 40), ("description", 500), ("ref", 64)):
            if len(cells.get(field, "")) > limit:
                fail(field, f"is longer than {limit} characters")
        sector = sectors.get(cells.get("sector", "").lower(), "")
        if cells.get("sector") and not sector:
            known = ", ".join(english(Sector, s) for s in Sector.values)
            fail("sector", f"{cells['sector'][:40]!r} is not an IASC cluster ({known})")
        org_type = OrgType.OTHER
        if cells.get("org_type"):
            org_type = org_types.get(cells["org_type"].lower(), "")
            if not org_type:
                fail("org_type", f"{cells['org_type'][:40]!r} is not an organisation type")
        status = statuses.get(cells.get("status", "").lower(), "")
        if cells.get("status") and not status:
            fail("status", f"{cells['status'][:40]!r} is not planned, ongoing or completed")
        area = areas.get(cells.get("area_code", ""))
        if cells.get("area_code") and area is None:
            fail("area_code", f"no area with code {cells['area_code'][:40]!r} in this city")
        start = end = None
        if cells.get("start"):
            try:
                start = _date(row.get(mapping["start"]))
            except ValueError as exc:
                fail("start", str(exc))
        if cells.get("end"):
            try:
                end = _date(row.get(mapping["end"]))
            except ValueError as exc:
                fail("end", str(exc))
        if start and end and end < start:
            fail("end", "is before the start")
        reached: dict[str, int] = {}
        for field in REACHED_FIELDS:
            reached[field] = _count(cells.get(field, ""), field, fail)
        total = _count(cells.get("reached_total", ""), "reached_total", fail) if cells.get("reached_total") else None
        if total is not None and total != sum(reached.values()):
            fail(
                "reached_total",
                f"says {total} but the people reached by sex and age add up to {sum(reached.values())}"
                " (give the breakdown; the total alone cannot be stored)",
            )
        if org_name:
            acronym = cells.get("org_acronym", "")
            seen = orgs.get(org_name.lower())
            if seen and (seen[0], seen[1]) != (acronym, org_type):
                fail("org_name", f"is given a different acronym or type than on row {seen[2]}")
            elif not seen:
                orgs[org_name.lower()] = (acronym, org_type, number)
        if report.error_count > before:
            continue
        assert start is not None and area is not None
        ref = cells.get("ref") or derived_ref(org_name, sector, description, area.code, start)
        if ref in refs:
            fail("ref", f"repeats the activity code of row {refs[ref]}")
            continue
        refs[ref] = number
        parsed.append(
            ParsedRow(
                number=number,
                ref=ref,
                org_name=org_name,
                org_acronym=cells.get("org_acronym", ""),
                org_type=org_type,
                sector=sector,
                description=description,
                area=area,
                start=start,
                end=end,
                status=status,
                reached=reached,
            )
        )
    if report.rows == 0 and report.ok:
        report.add_error(0, "file", "the sheet has no activity rows")
    return parsed


class _StatusChoices:
    values = [Activity.PLANNED, Activity.ONGOING, Activity.COMPLETED]
    choices = Activity.STATUSES


def _count(text: str, field: str, fail: Any) -> int:
    if not text:
        return 0
    try:
        number = parse_number(text)
    except ValueError as exc:
        fail(field, str(exc))
        return 0
    if number < 0 or not number.is_integer() or number > 2_000_000_000:
        fail(field, f"{text[:20]!r} is not a whole number of people")
        return 0
    return int(number)


def import_sheet(crisis: Crisis, path: Path, *, user: Any = None, dry_run: bool = False) -> ImportReport:
    """Validate the whole sheet, then write it in one transaction (or nothing at all)."""
    report = ImportReport(dry_run=dry_run)
    rows = parse_sheet(crisis, path, report)
    if not report.ok:
        return report
    with transaction.atomic():
        orgs = {o.name.lower(): o for o in Organisation.objects.filter(city=crisis.city)}
        existing = {a.ref: a for a in crisis.activities.all()}
        for row in rows:
            org = orgs.get(row.org_name.lower())
            if org is None:
                org = Organisation(city=crisis.city, name=row.org_name)
                orgs[row.org_name.lower()] = org
            if org.pk is None or (org.acronym, org.org_type) != (row.org_acronym, row.org_type):
                org.acronym, org.org_type = row.org_acronym, row.org_type
                if not dry_run:
                    org.save()
                elif org.pk is None:
                    org.pk = -1  # seen in this dry run
            values = {
                "organisation_id": org.pk,
                "sector": row.sector,
                "description": row.description,
                "area_id": row.area.pk,
                "start": row.start,
                "end": row.end,
                "status": row.status,
                **row.reached,
            }
            activity = existing.get(row.ref)
            if activity is None:
                report.created += 1
                if not dry_run:
                    Activity.objects.create(city=crisis.city, crisis=crisis, ref=row.ref, **values)
                continue
            changed = {k: v for k, v in values.items() if getattr(activity, k) != v}
            if not changed:
                report.unchanged += 1
                continue
            report.updated += 1
            if not dry_run:
                for key, value in changed.items():
                    setattr(activity, key, value)
                activity.save(update_fields=[k.removesuffix("_id") for k in changed])
    if not dry_run and (report.created or report.updated):
        from safercities.audit.trail import record

        record(
            action="crises.4w_import",
            user=user,
            obj=crisis,
            after={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
        )
    return report
