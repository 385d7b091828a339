"""``import_incidents``: one CSV row per event, streamed in chunks, validated whole, then merged.

Two passes keep memory bounded for files of millions of rows (docs/import-incidents.md):

1. **Validate** chunk by chunk (``settings.IMPORT_CHUNK_ROWS``): every problem is reported with its row
   and field; what survives is kept only as compact arrays (float64 coordinates, int64 epoch seconds,
   small-int category codes, the area id, the h3 cell and a 20-byte content digest per row).
2. **Write**, only when no row failed: stage the rows chunk by chunk and merge them in one statement
   (``COPY`` + ``INSERT … ON CONFLICT`` on PostgreSQL; see :mod:`safercities.incidents.bulk`), then
   re-aggregate the monthly observations, all inside the runner's single transaction.
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from safercities.incidents.bulk import merger
from safercities.incidents.models import Incident, IncidentCategory
from safercities.incidents.spatial import AreaIndex, h3_cells, h3_strings
from safercities.ingest.files import FileProblem, check_kind, parse_date, read_csv
from safercities.ingest.models import MAX_STORED_ERRORS
from safercities.ingest.report import ImportReport
from safercities.ingest.runner import ImportContext, run_import
from safercities.places.models import Area, City

OPTIONS = {
    "time_field",
    "category_field",
    "lat_field",
    "lon_field",
    "area_field",
    "id_field",
    "date_format",
    "delimiter",
    "encoding",
    "source",
    "aggregate",
}
DEFAULT_COLUMNS = {
    "time": ("time", "occurred_at", "date"),
    "category": ("category",),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "longitude"),
    "area": ("area",),
    "id": ("id",),
}
# Categories created on the fly are sensitive (published only coarsened) when their code is one of these.
SENSITIVE_CATEGORIES = {"sexual_violence", "harassment", "domestic_violence"}
FINGERPRINT_VERSION = b"sc-incident-v1"
MAX_ID_CHARS = 100
MAX_CATEGORY_CHARS = 100
_NO_TIME = np.iinfo(np.int64).min
_OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_FALLBACK_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)


def import_incidents(
    city: City, path: str | Path, *, user: AbstractBaseUser | None = None, dry_run: bool = False, **options: Any
) -> ImportReport:
    """Import one CSV of events into ``city``; all-or-nothing, idempotent, every error reported."""
    return run_import(
        kind="incidents", city=city, path=path, importer=_import, user=user, dry_run=dry_run, options=options
    )


def category_code(text: str) -> str:
    """The stored code of a category as written in a file: ``"Sexual violence"`` → ``sexual_violence``."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


# --------------------------------------------------------------------------------------------------
# Validation pass


@dataclass
class _Columns:
    time: str
    category: str
    lat: str | None
    lon: str | None
    area: str | None
    id: str | None


@dataclass
class _Accumulator:
    """What the validation pass keeps: compact arrays, one entry per valid row, in file order."""

    numbers: list[np.ndarray] = field(default_factory=list)
    epoch: list[np.ndarray] = field(default_factory=list)
    lat: list[np.ndarray] = field(default_factory=list)
    lon: list[np.ndarray] = field(default_factory=list)
    category: list[np.ndarray] = field(default_factory=list)
    area: list[np.ndarray] = field(default_factory=list)
    cell: list[np.ndarray] = field(default_factory=list)
    digest: list[np.ndarray] = field(default_factory=list)
    ids: list[np.ndarray] = field(default_factory=list)
    id_digest: list[np.ndarray] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    category_names: dict[str, str] = field(default_factory=dict)

    def concat(self, name: str, dtype: Any) -> np.ndarray:
        parts = getattr(self, name)
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


class _Errors:
    """Adds errors to the report, keeping at most MAX_STORED_ERRORS in memory (the count stays exact)."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report

    def add(self, row: int, field_name: str, message: str) -> None:
        if len(self.report.errors) < MAX_STORED_ERRORS:
            self.report.add_error(row, field_name, message)
        else:
            self.report.error_count += 1


def _resolve_columns(columns: list[str], options: dict[str, Any]) -> _Columns:
    lower = {name.lower(): name for name in columns if name}

    def pick(option: str, role: str, required: bool) -> str | None:
        given = options.get(option)
        if given:
            if given in columns:
                return given
            if given.lower() in lower:
                return lower[given.lower()]
            raise FileProblem(
                f"there is no column {given!r} (given with --{option.replace('_', '-')}); "
                f"the header has: {', '.join(repr(c) for c in columns if c)}"
            )
        for candidate in DEFAULT_COLUMNS[role]:
            if candidate in lower:
                return lower[candidate]
        if required:
            names = " or ".join(repr(c) for c in DEFAULT_COLUMNS[role])
            raise FileProblem(
                f"no {role} column: name it {names} or give --{option.replace('_', '-')}; "
                f"the header has: {', '.join(repr(c) for c in columns if c)}"
            )
        return None

    resolved = _Columns(
        time=pick("time_field", "time", True) or "",
        category=pick("category_field", "category", True) or "",
        lat=pick("lat_field", "lat", False),
        lon=pick("lon_field", "lon", False),
        area=pick("area_field", "area", False),
        id=pick("id_field", "id", False),
    )
    if (resolved.lat is None) != (resolved.lon is None):
        raise FileProblem("the file has a latitude column but no longitude column (or the other way round)")
    if resolved.lat is None and resolved.area is None:
        raise FileProblem(
            "the file has neither coordinates (columns 'lat' and 'lon', or --lat-field/--lon-field) "
            "nor an area code column ('area' or --area-field)"
        )
    return resolved


def _to_epoch(values: pd.Series) -> np.ndarray:
    """UTC-aware datetimes → int64 epoch seconds (``_NO_TIME`` for NaT)."""
    out = np.full(len(values), _NO_TIME, dtype=np.int64)
    ok = values.notna().to_numpy()
    if ok.any():
        utc = values[ok].dt.tz_convert("UTC").dt.tz_localize(None)
        out[ok] = utc.to_numpy().astype("datetime64[s]").astype(np.int64)
    return out


def _localize(naive: pd.Series, tz: zoneinfo.ZoneInfo) -> pd.Series:
    """Naive local times → aware; an ambiguous hour (DST end) reads as the first one, like ``fold=0``."""
    return naive.dt.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")


def _parse_times(text: pd.Series, tz: zoneinfo.ZoneInfo, date_format: str | None) -> tuple[np.ndarray, dict[int, str]]:
    """Epoch seconds for each value, and ``{position: reason}`` for those that are not times."""
    n = len(text)
    epoch = np.full(n, _NO_TIME, dtype=np.int64)
    problems: dict[int, str] = {}
    empty = (text == "").to_numpy()
    for position in np.flatnonzero(empty):
        problems[int(position)] = "is empty; every event needs the date and time it happened"
    todo = ~empty
    if date_format:
        parsed = pd.to_datetime(text[todo], format=date_format, errors="coerce")
        if getattr(parsed.dt, "tz", None) is None:
            parsed = _localize(parsed, tz)
        epoch[todo] = _to_epoch(parsed)
    else:
        serial = todo & text.str.fullmatch(_SERIAL.pattern).to_numpy()
        if serial.any():
            days = pd.to_numeric(text[serial], errors="coerce").to_numpy()
            good = (days >= 20_000) & (days <= 80_000)
            naive = pd.Series(pd.Timestamp("1899-12-30") + pd.to_timedelta(np.where(good, days, np.nan), unit="D"))
            epoch[serial] = _to_epoch(_localize(naive.dt.round("s"), tz))
        rest = todo & ~serial
        offset = rest & text.str.contains(_OFFSET.pattern, regex=True, flags=re.IGNORECASE).to_numpy()
        if offset.any():
            epoch[offset] = _to_epoch(pd.to_datetime(text[offset], format="ISO8601", utc=True, errors="coerce"))
        naive_mask = rest & ~offset
        if naive_mask.any():
            parsed = pd.to_datetime(text[naive_mask], format="ISO8601", errors="coerce")
            epoch[naive_mask] = _to_epoch(_localize(parsed, tz))
        for fmt in _FALLBACK_FORMATS:
            missing = todo & (epoch == _NO_TIME)
            if not missing.any():
                break
            parsed = pd.to_datetime(text[missing], format=fmt, errors="coerce")
            if parsed.notna().any():
                epoch[missing] = np.where(parsed.notna().to_numpy(), _to_epoch(_localize(parsed, tz)), _NO_TIME)
    # Whatever the vectorised readers left: the shared one-by-one reader decides and explains.
    for position in np.flatnonzero(todo & (epoch == _NO_TIME)):
        try:
            value = parse_date(text.iat[position], tz=tz, date_format=date_format)
        except (ValueError, OverflowError) as exc:
            problems[int(position)] = str(exc)
        else:
            epoch[position] = int(value.timestamp())
    return epoch, problems


def _parse_coordinate(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Decimal degrees (a decimal comma is accepted); returns values and a mask of unreadable cells."""
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    values = numbers.to_numpy(dtype=np.float64, copy=True)
    bad = (text != "").to_numpy() & ~np.isfinite(values)
    values[bad] = np.nan
    return values, bad


def _digests(records: np.ndarray) -> np.ndarray:
    """SHA-1 of each fixed-width binary record, as an array of 20-byte strings."""
    width = records.dtype.itemsize
    buffer = records.tobytes()
    out = np.empty(len(records), dtype="S20")
    out[:] = [hashlib.sha1(FINGERPRINT_VERSION + buffer[i : i + width]).digest() for i in range(0, len(buffer), width)]
    return out


def _text_keys(values: np.ndarray) -> np.ndarray:
    """A stable 64-bit key per distinct text (first 8 bytes of its SHA-1), computed once per distinct value."""
    uniques, inverse = np.unique(values, return_inverse=True)
    keys = np.array(
        [int.from_bytes(hashlib.sha1(str(u).encode()).digest()[:8], "big", signed=True) for u in uniques],
        dtype=np.int64,
    )
    return keys[inverse] if len(uniques) else np.zeros(len(values), dtype=np.int64)


@dataclass
class _Checker:
    city: City
    columns: _Columns
    tz: zoneinfo.ZoneInfo
    date_format: str | None
    area_codes: dict[str, int]
    areas: AreaIndex
    errors: _Errors
    acc: _Accumulator
    latest: int  # epoch seconds: the start of the day after tomorrow, city time

    def check(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        """Validate one chunk; append the valid rows' compact arrays to the accumulator."""
        cols = self.columns
        readable = []
        for number, row in chunk:
            if "__error__" in row:  # a row the CSV reader could not split: one error, no guesses about fields
                self.errors.add(number, "row", str(row["__error__"]))
            else:
                readable.append((number, row))
        chunk = readable
        if not chunk:
            return
        numbers = np.array([number for number, _row in chunk], dtype=np.int64)
        bad = np.zeros(len(chunk), dtype=bool)

        def column(name: str | None) -> pd.Series:
            if name is None:
                return pd.Series([""] * len(chunk), dtype=object)
            return pd.Series([str(row.get(name) or "").strip() for _n, row in chunk], dtype=object)

        # Time.
        epoch, problems = _parse_times(column(cols.time), self.tz, self.date_format)
        for position, reason in problems.items():
            self.errors.add(int(numbers[position]), cols.time, f"{reason}" if reason.startswith("is ") else reason)
            bad[position] = True
        valid_time = epoch != _NO_TIME
        future = valid_time & (epoch >= self.latest)
        too_old = valid_time & (epoch < -2_208_988_800)  # 1900-01-01
        for position in np.flatnonzero(future):
            self.errors.add(int(numbers[position]), cols.time, "is in the future (later than tomorrow)")
        for position in np.flatnonzero(too_old):
            self.errors.add(int(numbers[position]), cols.time, "is before 1900; check the date format")
        bad |= future | too_old

        # Category.
        raw_category = column(cols.category)
        distinct = {text: category_code(text) for text in pd.unique(raw_category)}
        codes = raw_category.map(distinct)
        for position in np.flatnonzero((codes == "").to_numpy()):
            self.errors.add(int(numbers[position]), cols.category, "is empty; every event needs a category")
            bad[position] = True
        for position in np.flatnonzero((codes.str.len() > MAX_CATEGORY_CHARS).to_numpy()):
            self.errors.add(int(numbers[position]), cols.category, f"is longer than {MAX_CATEGORY_CHARS} characters")
            bad[position] = True

        # Coordinates and area.
        lat_text, lon_text = column(cols.lat), column(cols.lon)
        lat, lat_bad = _parse_coordinate(lat_text)
        lon, lon_bad = _parse_coordinate(lon_text)
        for position in np.flatnonzero(lat_bad):
            self.errors.add(
                int(numbers[position]), cols.lat or "lat", f"{lat_text.iat[position][:40]!r} is not a number"
            )
        for position in np.flatnonzero(lon_bad):
            self.errors.add(
                int(numbers[position]), cols.lon or "lon", f"{lon_text.iat[position][:40]!r} is not a number"
            )
        lat_range = np.isfinite(lat) & ((lat < -90) | (lat > 90))
        lon_range = np.isfinite(lon) & ((lon < -180) | (lon > 180))
        for position in np.flatnonzero(lat_range):
            self.errors.add(int(numbers[position]), cols.lat or "lat", f"{lat[position]} is outside −90…90 degrees")
        for position in np.flatnonzero(lon_range):
            self.errors.add(int(numbers[position]), cols.lon or "lon", f"{lon[position]} is outside −180…180 degrees")
        half = np.isfinite(lat) != np.isfinite(lon)
        half &= ~(lat_bad | lon_bad)
        for position in np.flatnonzero(half):
            self.errors.add(
                int(numbers[position]),
                cols.lat or "lat",
                "has only one of latitude and longitude; give both or neither",
            )
        bad |= lat_bad | lon_bad | lat_range | lon_range | half
        has_point = np.isfinite(lat) & np.isfinite(lon) & ~lat_range & ~lon_range

        area_text = column(cols.area)
        area_id = np.zeros(len(chunk), dtype=np.int64)
        given = (area_text != "").to_numpy()
        for position in np.flatnonzero(given):
            code = area_text.iat[position]
            found = self.area_codes.get(code)
            if found is None:
                self.errors.add(int(numbers[position]), cols.area or "area", f"unknown area code {code[:64]!r}")
                bad[position] = True
            else:
                area_id[position] = found
        nowhere = ~has_point & ~given & ~(lat_bad | lon_bad | half)
        for position in np.flatnonzero(nowhere):
            where = "coordinates or an area code" if cols.area else "coordinates"
            self.errors.add(
                int(numbers[position]), cols.lat or cols.area or "lat", f"is empty; the event needs {where}"
            )
        bad |= nowhere

        # Source id.
        id_text = column(cols.id)
        if cols.id:
            for position in np.flatnonzero((id_text == "").to_numpy()):
                self.errors.add(
                    int(numbers[position]), cols.id, "is empty; every row needs its id (or leave --id-field out)"
                )
                bad[position] = True
            for position in np.flatnonzero((id_text.str.len() > MAX_ID_CHARS).to_numpy()):
                self.errors.add(int(numbers[position]), cols.id, f"is longer than {MAX_ID_CHARS} characters")
                bad[position] = True

        keep = ~bad
        if not keep.any() or not self.errors.report.ok:
            return  # once the file is rejected, only errors matter: keep no arrays
        lat, lon = np.where(has_point, lat, np.nan)[keep], np.where(has_point, lon, np.nan)[keep]
        codes_kept = codes.to_numpy(dtype=object)[keep]
        category_index = np.empty(len(codes_kept), dtype=np.int16)
        for position, code in enumerate(codes_kept):
            index = self.acc.categories.get(code)
            if index is None:
                index = self.acc.categories[code] = len(self.acc.categories)
                self.acc.category_names[code] = raw_category.iat[int(np.flatnonzero(keep)[position])][:200]
            category_index[position] = index
        # Coordinates decide the area when present (smallest containing polygon); the code is the fallback.
        assigned = self.areas.assign(lon, lat)
        kept_area = np.where(np.isfinite(lat), assigned, 0)
        kept_area = np.where(kept_area == 0, area_id[keep], kept_area)

        record = np.zeros(int(keep.sum()), dtype=[("t", "<i8"), ("y", "<i8"), ("x", "<i8"), ("c", "<i8"), ("a", "<i8")])
        record["t"] = epoch[keep]
        record["y"] = np.where(np.isfinite(lat), np.round(np.nan_to_num(lat) * 1e7), _NO_TIME).astype(np.int64)
        record["x"] = np.where(np.isfinite(lon), np.round(np.nan_to_num(lon) * 1e7), _NO_TIME).astype(np.int64)
        record["c"] = _text_keys(codes_kept.astype(str))
        record["a"] = _text_keys(area_text.to_numpy(dtype=object)[keep].astype(str))

        self.acc.numbers.append(numbers[keep])
        self.acc.epoch.append(epoch[keep])
        self.acc.lat.append(lat)
        self.acc.lon.append(lon)
        self.acc.category.append(category_index)
        self.acc.area.append(kept_area)
        self.acc.cell.append(h3_cells(lat, lon, self.city.h3_resolution))
        self.acc.digest.append(_digests(record))
        if cols.id:
            ids = id_text.to_numpy(dtype=object)[keep].astype(str)
            self.acc.ids.append(ids)
            self.acc.id_digest.append(_digests(np.array(list(map(str.encode, ids)), dtype=f"S{MAX_ID_CHARS * 4}")))


def _group_ranks(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each element: its rank among equal keys (file order) and the position of the first equal key."""
    n = len(keys)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    start_at = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank, first = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - start_at
    first[order] = order[start_at]
    return rank, first


def _hex(digests: np.ndarray) -> np.ndarray:
    octets = np.frombuffer(digests.tobytes(), dtype=np.uint8).reshape(-1, 20)
    table = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    nibbles = np.empty((len(digests), 40), dtype=np.uint8)
    nibbles[:, 0::2] = table[octets >> 4]
    nibbles[:, 1::2] = table[octets & 0xF]
    return nibbles.reshape(-1).view("S40").astype("U40")


# --------------------------------------------------------------------------------------------------
# The import


def _import(ctx: ImportContext) -> None:
    options = dict(ctx.options)
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise FileProblem(f"unknown option(s) for an incidents import: {', '.join(unknown)}")
    source = options.get("source", Incident.OFFICIAL)
    if source not in {Incident.OFFICIAL, Incident.COMMUNITY}:
        raise FileProblem(f"--source must be 'official' or 'community', not {source!r}")
    aggregate = options.get("aggregate", True) not in {False, "false", "False", "0"}
    city, report = ctx.city, ctx.report
    report.unassigned = 0
    check_kind(ctx.path, {"csv"}, "an incidents file")
    table = read_csv(ctx.path, encoding=options.get("encoding"), delimiter=options.get("delimiter"))
    columns = _resolve_columns(table.columns, options)
    tz = zoneinfo.ZoneInfo(city.timezone)

    area_rows = list(Area.objects.filter(city=city).values_list("id", "code", "area_km2", "geometry"))
    area_codes = {code: area_id for area_id, code, _km2, _geometry in area_rows}
    polygons = [(i, c, k, g) for i, c, k, g in area_rows if k and k > 0 and g]
    index, skipped = AreaIndex.from_areas(polygons)
    if skipped:
        report.notes.append(f"{len(skipped)} area(s) have a boundary that cannot be read and were left out")

    today = datetime.now(tz).date()
    latest = int(datetime.combine(today + timedelta(days=2), time(0), tzinfo=tz).timestamp())
    acc = _Accumulator()
    checker = _Checker(
        city=city,
        columns=columns,
        tz=tz,
        date_format=options.get("date_format"),
        area_codes=area_codes,
        areas=index,
        errors=_Errors(report),
        acc=acc,
        latest=latest,
    )
    chunk_rows = max(1, int(settings.IMPORT_CHUNK_ROWS))
    chunk: list[tuple[int, dict[str, Any]]] = []
    for item in table.rows:
        report.rows += 1
        chunk.append(item)
        if len(chunk) >= chunk_rows:
            checker.check(chunk)
            chunk = []
    if chunk:
        checker.check(chunk)
    del chunk
    if report.rows == 0:
        raise FileProblem("the file has a header but no data rows")
    if not report.ok:
        if report.error_count > len(report.errors):
            report.notes.append(
                f"{report.error_count - len(report.errors)} further error(s) are counted but not listed"
            )
        return

    numbers = acc.concat("numbers", np.int64)
    digest = acc.concat("digest", "S20")
    keep = np.ones(len(numbers), dtype=bool)
    if columns.id:
        ids = acc.concat("ids", object)
        rank, first = _group_ranks(acc.concat("id_digest", "S20"))
        repeated = np.flatnonzero(rank > 0)
        same = digest[repeated] == digest[first[repeated]]
        for position in repeated[~same]:
            report.add_error(
                int(numbers[position]),
                columns.id,
                f"id {ids[position][:40]!r} is also on row {numbers[first[position]]} with different values",
            )
        if not report.ok:
            return
        keep[repeated] = False
        if repeated.size:
            report.notes.append(f"{repeated.size} row(s) repeat an earlier row with the same id and were counted once")
        fingerprints = np.array(
            [i if len(i) <= 64 else hashlib.sha1(b"id:" + i.encode()).hexdigest() for i in ids], dtype=object
        )
    else:
        ids = None
        # Identical rows are distinct events: the n-th copy gets the n-th fingerprint, in every import.
        rank, _first = _group_ranks(digest)
        fingerprints = _hex(digest).astype(object)
        for position in np.flatnonzero(rank > 0):
            fingerprints[position] = hashlib.sha1(digest[position] + b"#%d" % rank[position]).hexdigest()

    _write(ctx, acc, keep, fingerprints, ids, source)
    if aggregate:
        from safercities.incidents.aggregation import aggregate_incidents

        result = aggregate_incidents(city)
        report.notes.append(
            "observations from incidents: "
            f"{result['created']} created, {result['updated']} updated, {result['unchanged']} unchanged"
        )


def _write(
    ctx: ImportContext,
    acc: _Accumulator,
    keep: np.ndarray,
    fingerprints: np.ndarray,
    ids: np.ndarray | None,
    source: str,
) -> None:
    city, report = ctx.city, ctx.report
    existing = set(IncidentCategory.objects.filter(city=city).values_list("code", flat=True))
    new = [
        IncidentCategory(city=city, code=code, name=acc.category_names[code], sensitive=code in SENSITIVE_CATEGORIES)
        for code in acc.categories
        if code not in existing
    ]
    IncidentCategory.objects.bulk_create(new)
    if new:
        report.notes.append(
            f"{len(new)} new incident categor{'y' if len(new) == 1 else 'ies'}: " + ", ".join(c.code for c in new[:20])
        )

    code_of = np.array(list(acc.categories), dtype=object)
    epoch = acc.concat("epoch", np.int64)[keep]
    lat = acc.concat("lat", np.float64)[keep]
    lon = acc.concat("lon", np.float64)[keep]
    category = code_of[acc.concat("category", np.int16)[keep]] if len(code_of) else np.empty(0, dtype=object)
    area = acc.concat("area", np.int64)[keep]
    cells = h3_strings(acc.concat("cell", np.uint64)[keep])
    fingerprints = fingerprints[keep]
    external = ids[keep] if ids is not None else np.full(len(epoch), "", dtype=object)
    report.unassigned = int((area == 0).sum())

    meta = Incident._meta
    names = [
        "city",
        "fingerprint",
        "external_id",
        "occurred_at",
        "category",
        "lat",
        "lon",
        "area",
        "h3_cell",
        "source",
        "import_run",
        "victim_sex",
        "victim_age_group",
    ]
    columns = [meta.get_field(name).column for name in names]
    target = merger(
        meta.db_table,
        columns,
        key=columns[:2],
        compare=columns[2:10],
        insert_only=columns[11:],
        order_by=columns[3],
    )
    postgres = target.vendor == "postgresql"
    chunk_rows = max(1, int(settings.IMPORT_CHUNK_ROWS))
    for start in range(0, len(epoch), chunk_rows):
        stop = start + chunk_rows
        stamps = epoch[start:stop].astype("datetime64[s]").astype(str)
        stamps = (
            np.char.add(np.char.replace(stamps, "T", " "), "+00:00") if postgres else np.char.replace(stamps, "T", " ")
        )
        lats = lat[start:stop]
        lons = lon[start:stop]
        n = len(lats)
        rows = zip(
            [city.pk] * n,
            fingerprints[start:stop].tolist(),
            external[start:stop].tolist(),
            stamps.tolist(),
            category[start:stop].tolist(),
            pd.Series(lats).astype(object).where(np.isfinite(lats), None).tolist(),
            pd.Series(lons).astype(object).where(np.isfinite(lons), None).tolist(),
            pd.Series(area[start:stop]).astype(object).where(area[start:stop] > 0, None).tolist(),
            cells[start:stop].tolist(),
            [source] * n,
            [ctx.run.pk] * n,
            [""] * n,
            [""] * n,
            strict=True,
        )
        target.add(rows)
    counts = target.merge()
    report.created = counts.created
    report.updated = counts.updated
    report.unchanged = len(epoch) - counts.created - counts.updated
