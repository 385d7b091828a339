"""``import_incidents``: one CSV row per event, read in chunks, validated whole, then merged.

Two passes keep memory bounded for files of millions of rows (docs/import-incidents.md):

1. **Validate** chunk by chunk (``settings.IMPORT_CHUNK_ROWS``): the file is read with pandas' C parser
   (all cells as text) and every check is an array operation; a file that parser cannot take as it is
   (a row with more fields than the header, a field over the size limit, an unterminated quote, an
   undecodable byte) is read again from the start with the ``csv`` module, which reports such rows one by
   one. Every problem is reported with its row and field; what survives is kept only as compact arrays
   (float64 coordinates, int64 epoch seconds, small-int category and month codes, the area id, the h3 cell
   and a 20-byte content digest per row).
2. **Write**, only when no row failed: rows sorted by time are staged chunk by chunk and merged (binary
   ``COPY`` of compact columns on PostgreSQL; straight into the table on SQLite when the city has no
   incident yet; see :mod:`safercities.incidents.bulk`), then the monthly observations are re-aggregated,
   all inside the runner's single transaction.
"""

from __future__ import annotations

import hashlib
import re
import zlib
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from safercities.incidents.bulk import Stage, binary_copy, merger, pg_timestamps
from safercities.incidents.models import Incident, IncidentCategory
from safercities.incidents.spatial import AreaIndex, h3_cells, h3_strings
from safercities.ingest.cells import unescape_cell
from safercities.ingest.files import MAX_FIELD_CHARS, FileProblem, Table, _is_hxl_row, check_kind, parse_date, read_csv
from safercities.ingest.models import MAX_STORED_ERRORS, ImportRun
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

    def roles(self) -> dict[str, str]:
        """Role (``time``, ``category``, …) → column name, for the columns the file has."""
        names = {"time": self.time, "category": self.category, "lat": self.lat, "lon": self.lon}
        names |= {"area": self.area, "id": self.id}
        return {role: name for role, name in names.items() if name}


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
    month: list[np.ndarray] = field(default_factory=list)
    ids: list[np.ndarray] = field(default_factory=list)
    id_digest: list[np.ndarray] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    category_names: dict[str, str] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)

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


def _too_long(limit: int) -> str:
    return _("is longer than %(limit)s characters") % {"limit": limit}


def _not_a_number(text: str) -> str:
    return _("%(value)s is not a number") % {"value": repr(text[:40])}


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
                _("there is no column %(column)s (given with %(flag)s); the header has: %(columns)s")
                % {
                    "column": repr(given),
                    "flag": f"--{option.replace('_', '-')}",
                    "columns": ", ".join(repr(c) for c in columns if c),
                }
            )
        for candidate in DEFAULT_COLUMNS[role]:
            if candidate in lower:
                return lower[candidate]
        if required:
            names = _(" or ").join(repr(c) for c in DEFAULT_COLUMNS[role])
            # ``role`` (time, category) is the column's default English name, as in the option.
            raise FileProblem(
                _("no %(role)s column: name it %(names)s or give %(flag)s; the header has: %(columns)s")
                % {
                    "role": role,
                    "names": names,
                    "flag": f"--{option.replace('_', '-')}",
                    "columns": ", ".join(repr(c) for c in columns if c),
                }
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
        raise FileProblem(_("the file has a latitude column but no longitude column (or the other way round)"))
    if resolved.lat is None and resolved.area is None:
        raise FileProblem(
            _(
                "the file has neither coordinates (columns 'lat' and 'lon', or --lat-field/--lon-field) "
                "nor an area code column ('area' or --area-field)"
            )
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
    if empty.any():
        message = _("is empty; every event needs the date and time it happened")
        for position in np.flatnonzero(empty):
            problems[int(position)] = message
    todo = ~empty
    if date_format:
        parsed = pd.to_datetime(text[todo], format=date_format, errors="coerce")
        if getattr(parsed.dt, "tz", None) is None:
            parsed = _localize(parsed, tz)
        epoch[todo] = _to_epoch(parsed)
    else:
        # Fast path: the shape of the first value names one strict ISO format, parsed in C for the whole
        # chunk; only the values it leaves go through the general readers below.
        fast = _fast_format(text, todo)
        if fast is not None:
            parsed = pd.to_datetime(text[todo], format=fast, errors="coerce")
            read = parsed.notna().to_numpy()
            if read.any():
                where = np.flatnonzero(todo)[read]
                epoch[where] = _to_epoch(_localize(parsed[read], tz))
            todo = todo & (epoch == _NO_TIME)
        serial = np.zeros(n, dtype=bool)
        if todo.any():
            serial[todo] = text[todo].str.fullmatch(_SERIAL.pattern).to_numpy(dtype=bool)
        if serial.any():
            days = pd.to_numeric(text[serial], errors="coerce").to_numpy()
            good = (days >= 20_000) & (days <= 80_000)
            naive = pd.Series(pd.Timestamp("1899-12-30") + pd.to_timedelta(np.where(good, days, np.nan), unit="D"))
            epoch[serial] = _to_epoch(_localize(naive.dt.round("s"), tz))
        rest = todo & ~serial
        offset = np.zeros(n, dtype=bool)
        if rest.any():
            offset[rest] = (
                text[rest].str.contains(_OFFSET.pattern, regex=True, flags=re.IGNORECASE).to_numpy(dtype=bool)
            )
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


_FAST_FORMATS = {
    (19, " "): "%Y-%m-%d %H:%M:%S",
    (19, "T"): "%Y-%m-%dT%H:%M:%S",
    (16, " "): "%Y-%m-%d %H:%M",
    (16, "T"): "%Y-%m-%dT%H:%M",
    (10, ""): "%Y-%m-%d",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _fast_format(text: pd.Series, todo: np.ndarray) -> str | None:
    """The strict ISO format that the first value to read has, if it has one (naive, no offset)."""
    first = np.flatnonzero(todo)
    if not first.size:
        return None
    value = text.iat[int(first[0])]
    if not _ISO_DATE.match(value):
        return None
    return _FAST_FORMATS.get((len(value), value[10:11]))


def _parse_coordinate(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Decimal degrees (a decimal comma is accepted); returns values and a mask of unreadable cells."""
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    given = (text != "").to_numpy()
    retry = given & ~np.isfinite(values)
    if retry.any():  # only the cells a plain number parse left: "19,43" → 19.43
        again = pd.to_numeric(text[retry].str.replace(",", ".", regex=False), errors="coerce")
        values[retry] = again.to_numpy(dtype=np.float64)
    bad = given & ~np.isfinite(values)
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
    inverse, uniques = pd.factorize(np.asarray(values, dtype=object), sort=False)
    keys = np.array(
        [int.from_bytes(hashlib.sha1(str(u).encode()).digest()[:8], "big", signed=True) for u in uniques],
        dtype=np.int64,
    )
    return keys[inverse] if len(uniques) else np.zeros(len(values), dtype=np.int64)


def _id_digests(ids: np.ndarray) -> np.ndarray:
    """SHA-1 of each id's UTF-8 bytes: a fixed-width key to find repeated ids (never stored)."""
    out = np.empty(len(ids), dtype="S20")
    out[:] = [hashlib.sha1(i.encode()).digest() for i in ids.tolist()]
    return out


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

    def check(self, numbers: np.ndarray, cells: dict[str, pd.Series]) -> None:
        """Validate one chunk (row numbers and stripped text per role); keep the valid rows' compact arrays."""
        cols = self.columns
        n = len(numbers)
        if not n:
            return
        bad = np.zeros(n, dtype=bool)
        blank = pd.Series(np.full(n, "", dtype=object), dtype=object)

        def column(role: str) -> pd.Series:
            return cells.get(role, blank)

        # Time.
        epoch, problems = _parse_times(column("time"), self.tz, self.date_format)
        for position, reason in problems.items():
            self.errors.add(int(numbers[position]), cols.time, f"{reason}" if reason.startswith("is ") else reason)
            bad[position] = True
        valid_time = epoch != _NO_TIME
        future = valid_time & (epoch >= self.latest)
        too_old = valid_time & (epoch < -2_208_988_800)  # 1900-01-01
        for position in np.flatnonzero(future):
            self.errors.add(int(numbers[position]), cols.time, _("is in the future (later than tomorrow)"))
        for position in np.flatnonzero(too_old):
            self.errors.add(int(numbers[position]), cols.time, _("is before 1900; check the date format"))
        bad |= future | too_old

        # Category: each distinct text is turned into its code once.
        raw_category = column("category")
        category_ix, distinct_texts = pd.factorize(raw_category, sort=False)
        distinct_codes = np.array([category_code(text) for text in distinct_texts], dtype=object)
        codes = distinct_codes[category_ix] if len(distinct_codes) else np.empty(0, dtype=object)
        empty_code = np.array([code == "" for code in distinct_codes], dtype=bool)
        long_code = np.array([len(code) > MAX_CATEGORY_CHARS for code in distinct_codes], dtype=bool)
        for position in np.flatnonzero(empty_code[category_ix]) if len(distinct_codes) else ():
            self.errors.add(int(numbers[position]), cols.category, _("is empty; every event needs a category"))
            bad[position] = True
        for position in np.flatnonzero(long_code[category_ix]) if len(distinct_codes) else ():
            self.errors.add(int(numbers[position]), cols.category, _too_long(MAX_CATEGORY_CHARS))
            bad[position] = True

        # Coordinates and area.
        lat_text, lon_text = column("lat"), column("lon")
        lat, lat_bad = _parse_coordinate(lat_text)
        lon, lon_bad = _parse_coordinate(lon_text)
        for position in np.flatnonzero(lat_bad):
            self.errors.add(int(numbers[position]), cols.lat or "lat", _not_a_number(lat_text.iat[position]))
        for position in np.flatnonzero(lon_bad):
            self.errors.add(int(numbers[position]), cols.lon or "lon", _not_a_number(lon_text.iat[position]))
        lat_range = np.isfinite(lat) & ((lat < -90) | (lat > 90))
        lon_range = np.isfinite(lon) & ((lon < -180) | (lon > 180))
        for position in np.flatnonzero(lat_range):
            self.errors.add(
                int(numbers[position]),
                cols.lat or "lat",
                _("%(value)s is outside −90…90 degrees") % {"value": lat[position]},
            )
        for position in np.flatnonzero(lon_range):
            self.errors.add(
                int(numbers[position]),
                cols.lon or "lon",
                _("%(value)s is outside −180…180 degrees") % {"value": lon[position]},
            )
        half = np.isfinite(lat) != np.isfinite(lon)
        half &= ~(lat_bad | lon_bad)
        for position in np.flatnonzero(half):
            self.errors.add(
                int(numbers[position]),
                cols.lat or "lat",
                _("has only one of latitude and longitude; give both or neither"),
            )
        bad |= lat_bad | lon_bad | lat_range | lon_range | half
        has_point = np.isfinite(lat) & np.isfinite(lon) & ~lat_range & ~lon_range

        area_text = column("area")
        area_id = np.zeros(n, dtype=np.int64)
        given = (area_text != "").to_numpy()
        if given.any():
            found = area_text[given].map(self.area_codes).to_numpy(dtype=np.float64, na_value=np.nan)
            unknown = np.flatnonzero(given)[~np.isfinite(found)]
            for position in unknown:
                code = area_text.iat[position]
                self.errors.add(
                    int(numbers[position]),
                    cols.area or "area",
                    _("unknown area code %(code)s") % {"code": repr(code[:64])},
                )
            bad[unknown] = True
            area_id[given] = np.nan_to_num(found, nan=0).astype(np.int64)
        nowhere = ~has_point & ~given & ~(lat_bad | lon_bad | half)
        for position in np.flatnonzero(nowhere):
            message = (
                _("is empty; the event needs coordinates or an area code")
                if cols.area
                else _("is empty; the event needs coordinates")
            )
            self.errors.add(int(numbers[position]), cols.lat or cols.area or "lat", message)
        bad |= nowhere

        # Source id.
        id_text = column("id")
        if cols.id:
            for position in np.flatnonzero((id_text == "").to_numpy()):
                self.errors.add(
                    int(numbers[position]), cols.id, _("is empty; every row needs its id (or leave --id-field out)")
                )
                bad[position] = True
            for position in np.flatnonzero((id_text.str.len() > MAX_ID_CHARS).to_numpy()):
                self.errors.add(int(numbers[position]), cols.id, _too_long(MAX_ID_CHARS))
                bad[position] = True

        keep = ~bad
        if not keep.any() or not self.errors.report.ok:
            return  # once the file is rejected, only errors matter: keep no arrays
        kept_at = np.flatnonzero(keep)
        lat, lon = np.where(has_point, lat, np.nan)[keep], np.where(has_point, lon, np.nan)[keep]
        codes_kept = codes[keep]
        # Category → small int, numbered in order of first appearance over the whole file.
        kept_ix, kept_distinct = pd.factorize(codes_kept, sort=False)
        first_at = np.unique(kept_ix, return_index=True)[1]
        lookup = np.empty(len(kept_distinct), dtype=np.int16)
        for j, code in enumerate(kept_distinct):
            index = self.acc.categories.get(code)
            if index is None:
                index = self.acc.categories[code] = len(self.acc.categories)
                self.acc.category_names[code] = raw_category.iat[int(kept_at[first_at[j]])][:200]
            lookup[j] = index
        category_index = lookup[kept_ix]
        # Coordinates decide the area when present (smallest containing polygon); the code is the fallback.
        assigned = self.areas.assign(lon, lat)
        kept_area = np.where(np.isfinite(lat), assigned, 0)
        kept_area = np.where(kept_area == 0, area_id[keep], kept_area)
        kept_epoch = epoch[keep]

        record = np.zeros(len(kept_at), dtype=[("t", "<i8"), ("y", "<i8"), ("x", "<i8"), ("c", "<i8"), ("a", "<i8")])
        record["t"] = kept_epoch
        record["y"] = np.where(np.isfinite(lat), np.round(np.nan_to_num(lat) * 1e7), _NO_TIME).astype(np.int64)
        record["x"] = np.where(np.isfinite(lon), np.round(np.nan_to_num(lon) * 1e7), _NO_TIME).astype(np.int64)
        record["c"] = _text_keys(codes_kept)
        record["a"] = _text_keys(area_text.to_numpy(dtype=object)[keep])

        self.acc.numbers.append(numbers[keep])
        self.acc.epoch.append(kept_epoch)
        self.acc.lat.append(lat)
        self.acc.lon.append(lon)
        self.acc.category.append(category_index)
        self.acc.area.append(kept_area)
        self.acc.month.append(self._months(kept_epoch))
        self.acc.cell.append(h3_cells(lat, lon, self.city.h3_resolution))
        self.acc.digest.append(_digests(record))
        if cols.id:
            ids = id_text.to_numpy(dtype=object)[keep]
            self.acc.ids.append(ids)
            self.acc.id_digest.append(_id_digests(ids))

    def _months(self, epoch: np.ndarray) -> np.ndarray:
        """The local month of each instant as a small int (``acc.months`` maps ``YYYY-MM`` to it)."""
        local = pd.to_datetime(epoch, unit="s", utc=True).tz_convert(self.tz)
        key = np.asarray(local.year, dtype=np.int32) * 100 + np.asarray(local.month, dtype=np.int32)
        distinct, inverse = np.unique(key, return_inverse=True)
        lookup = np.empty(len(distinct), dtype=np.int16)
        for j, value in enumerate(distinct.tolist()):
            code = f"{value // 100:04d}-{value % 100:02d}"
            lookup[j] = self.acc.months.setdefault(code, len(self.acc.months))
        return lookup[inverse.reshape(-1)]


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


def _lock_referenced_rows(ctx: ImportContext) -> None:
    """Keep the city, its areas and the run from being deleted until this import commits (PostgreSQL).

    Incident's foreign keys are not checked by the database (a per-row check was the largest cost of a
    large import, see models.py); this takes the same ``FOR KEY SHARE`` lock those checks would have taken,
    once per referenced row instead of once per incident. SQLite serialises writers, so it needs none.
    """
    if connection.vendor != "postgresql":
        return
    city_table, area_table = (
        connection.ops.quote_name(City._meta.db_table),
        connection.ops.quote_name(Area._meta.db_table),
    )
    run_table = connection.ops.quote_name(ImportRun._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {city_table} WHERE id = %s FOR KEY SHARE", [ctx.city.pk])
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {area_table} WHERE city_id = %s FOR KEY SHARE) AS a", [ctx.city.pk]
        )
        cursor.execute(f"SELECT 1 FROM {run_table} WHERE id = %s FOR KEY SHARE", [ctx.run.pk])


# --------------------------------------------------------------------------------------------------
# Reading


class _Fallback(Exception):
    """The fast reader met something only the csv module reports row by row; read the file again."""


def _release(table: Table) -> None:
    """Close the csv reader's file: the header is all the fast path needs from it."""
    next(table.rows, None)
    table.rows.close()


def _validate_fast(path: Path, table: Table, columns: _Columns, checker: _Checker, chunk_rows: int) -> None:
    """Read with pandas' C parser, every cell as text; blank rows are skipped but keep their number.

    Raises :class:`_Fallback` for what the csv path reports by row (more fields than the header, a field
    over ``MAX_FIELD_CHARS``, an unterminated quote, a byte that does not decode) or cannot read at all.
    """
    if len(table.delimiter) != 1:
        raise _Fallback
    width = len(table.columns)
    position = {role: table.columns.index(name) for role, name in columns.roles().items()}
    report = checker.errors.report
    try:
        reader = pd.read_csv(
            path,
            sep=table.delimiter,
            header=None,
            names=list(range(width)),
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            chunksize=chunk_rows,
            encoding=table.encoding,
            engine="c",
        )
    except (ValueError, UnicodeError, LookupError) as exc:
        raise _Fallback from exc
    record, hxl = 0, 0  # records read so far (the header is record 0); 1 if record 1 is an HXL hashtag row
    with reader:
        while True:
            try:
                frame = next(reader)
            except StopIteration:
                break
            except (ValueError, UnicodeError, OverflowError) as exc:  # pandas' ParserError is a ValueError
                raise _Fallback from exc
            first, record = record, record + len(frame)
            if frame.shape[1] != width:
                raise _Fallback
            # Plain object arrays and C-level map(): pandas' .str accessor costs a Python lambda per cell.
            texts = [frame[j].to_numpy(dtype=object) for j in range(width)]
            del frame
            if any(max(map(len, values), default=0) > MAX_FIELD_CHARS for values in texts):
                raise _Fallback
            take = np.ones(record - first, dtype=bool)
            if first == 0:
                take[0] = False  # the header
            if first <= 1 < record and _is_hxl_row([values[1 - first] for values in texts]):
                hxl = 1
                take[1 - first] = False
            stripped = {role: np.array(list(map(str.strip, texts[j])), dtype=object) for role, j in position.items()}
            for values in stripped.values():  # our exports' formula guard, taken off as the csv path does
                quoted = values.astype("U1") == "'"  # first characters, in C; rarely any
                if quoted.any():
                    values[quoted] = [unescape_cell(t) for t in values[quoted]]
            # Blank rows (every cell empty or spaces) are skipped; a non-empty cell we read settles most rows.
            filled = np.zeros(record - first, dtype=bool)
            for values in stripped.values():
                filled |= values != ""
            for j in sorted(set(range(width)) - set(position.values())):
                maybe = ~filled & (texts[j] != "")
                if maybe.any():
                    filled[maybe] = np.array(list(map(str.strip, texts[j][maybe])), dtype=object) != ""
            take &= filled
            numbers = (np.arange(first, record, dtype=np.int64) - hxl)[take]
            cells = {role: pd.Series(values[take], dtype=object) for role, values in stripped.items()}
            del texts, stripped
            report.rows += len(numbers)
            checker.check(numbers, cells)


def _validate_slow(table: Table, columns: _Columns, checker: _Checker, chunk_rows: int) -> None:
    """The csv module's rows (dicts), for files the fast reader hands over; same checks, chunk by chunk."""
    report = checker.errors.report
    roles = columns.roles()

    def check(chunk: list[tuple[int, dict[str, Any]]]) -> None:
        readable = []
        for number, row in chunk:
            if "__error__" in row:  # a row the CSV reader could not split: one error, no guesses about fields
                checker.errors.add(number, "row", str(row["__error__"]))
            else:
                readable.append((number, row))
        numbers = np.array([number for number, _row in readable], dtype=np.int64)
        cells = {
            role: pd.Series([unescape_cell(str(row.get(name) or "").strip()) for _n, row in readable], dtype=object)
            for role, name in roles.items()
        }
        checker.check(numbers, cells)

    chunk: list[tuple[int, dict[str, Any]]] = []
    for item in table.rows:
        report.rows += 1
        chunk.append(item)
        if len(chunk) >= chunk_rows:
            check(chunk)
            chunk = []
    if chunk:
        check(chunk)


# --------------------------------------------------------------------------------------------------
# The import


def _import(ctx: ImportContext) -> None:
    options = dict(ctx.options)
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise FileProblem(_("unknown option(s) for an incidents import: %(options)s") % {"options": ", ".join(unknown)})
    source = options.get("source", Incident.OFFICIAL)
    if source not in {Incident.OFFICIAL, Incident.COMMUNITY}:
        raise FileProblem(_("--source must be 'official' or 'community', not %(source)s") % {"source": repr(source)})
    aggregate = options.get("aggregate", True) not in {False, "false", "False", "0"}
    city, report = ctx.city, ctx.report
    report.unassigned = 0
    check_kind(ctx.path, {"csv"}, _("an incidents file"))
    encoding, delimiter = options.get("encoding"), options.get("delimiter")
    table = read_csv(ctx.path, encoding=encoding, delimiter=delimiter)
    _release(table)
    columns = _resolve_columns(table.columns, options)
    tz = zoneinfo.ZoneInfo(city.timezone)

    _lock_referenced_rows(ctx)
    area_rows = list(Area.objects.filter(city=city).values_list("id", "code", "area_km2", "geometry"))
    area_codes = {code: area_id for area_id, code, _km2, _geometry in area_rows}
    polygons = [(i, c, k, g) for i, c, k, g in area_rows if k and k > 0 and g]
    index, skipped = AreaIndex.from_areas(polygons)
    if skipped:
        report.notes.append(
            _("%(n)s area(s) have a boundary that cannot be read and were left out") % {"n": len(skipped)}
        )

    today = datetime.now(tz).date()
    latest = int(datetime.combine(today + timedelta(days=2), time(0), tzinfo=tz).timestamp())

    def new_checker() -> _Checker:
        return _Checker(
            city=city,
            columns=columns,
            tz=tz,
            date_format=options.get("date_format"),
            area_codes=area_codes,
            areas=index,
            errors=_Errors(report),
            acc=_Accumulator(),
            latest=latest,
        )

    chunk_rows = max(1, int(settings.IMPORT_CHUNK_ROWS))
    checker = new_checker()
    try:
        _validate_fast(ctx.path, table, columns, checker, chunk_rows)
    except _Fallback:
        # Start again with the csv module, which reports the rows pandas could not take one by one.
        report.rows, report.errors, report.error_count = 0, [], 0
        checker = new_checker()
        _validate_slow(read_csv(ctx.path, encoding=encoding, delimiter=delimiter), columns, checker, chunk_rows)
    acc = checker.acc
    if report.rows == 0:
        raise FileProblem(_("the file has a header but no data rows"))
    if not report.ok:
        if report.error_count > len(report.errors):
            report.notes.append(
                _("%(n)s further error(s) are counted but not listed") % {"n": report.error_count - len(report.errors)}
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
                _("id %(id)s is also on row %(row)s with different values")
                % {"id": repr(ids[position][:40]), "row": numbers[first[position]]},
            )
        if not report.ok:
            return
        keep[repeated] = False
        if repeated.size:
            report.notes.append(
                _("%(n)s row(s) repeat an earlier row with the same id and were counted once") % {"n": repeated.size}
            )
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
            _("observations from incidents: %(created)s created, %(updated)s updated, %(unchanged)s unchanged")
            % {"created": result["created"], "updated": result["updated"], "unchanged": result["unchanged"]}
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
            ngettext("%(n)s new incident category: %(codes)s", "%(n)s new incident categories: %(codes)s", len(new))
            % {"n": len(new), "codes": ", ".join(c.code for c in new[:20])}
        )

    # Rows in time order: the time-led indexes then grow at their right-hand edge.
    epoch = acc.concat("epoch", np.int64)[keep]
    order = np.argsort(epoch, kind="stable")
    epoch = epoch[order]
    lat = acc.concat("lat", np.float64)[keep][order]
    lon = acc.concat("lon", np.float64)[keep][order]
    category = acc.concat("category", np.int16)[keep][order]
    month = acc.concat("month", np.int16)[keep][order]
    area = acc.concat("area", np.int64)[keep][order]
    cells = acc.concat("cell", np.uint64)[keep][order]
    fingerprints = fingerprints[keep][order]
    external = ids[keep][order] if ids is not None else None
    report.unassigned = int((area == 0).sum())
    category_codes = list(acc.categories)
    month_codes = list(acc.months)

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
        "month",
        "import_run",
        "victim_sex",
        "victim_age_group",
    ]
    columns = [meta.get_field(name).column for name in names]
    # Compact stage for PostgreSQL: fixed-width binary columns, expanded to the target's in SQL.
    stage = Stage(
        columns=[
            ("fp", "bytea"),
            ("fp_len", "smallint"),
            ("ext", "bytea"),
            ("ext_len", "smallint"),
            ("t", "timestamptz"),
            ("cat", "smallint"),
            ("lat", "double precision"),
            ("lon", "double precision"),
            ("area", "bigint"),
            ("cell", "bigint"),
            ("m", "smallint"),
        ],
        expressions=[
            str(int(city.pk)),
            "convert_from(substring(fp from 1 for fp_len), 'UTF8')",
            "convert_from(substring(ext from 1 for ext_len), 'UTF8')",
            "t",
            "(%s::text[])[cat + 1]",
            "NULLIF(lat, 'NaN'::float8)",
            "NULLIF(lon, 'NaN'::float8)",
            "NULLIF(area, 0)",
            "CASE WHEN cell = 0 THEN '' ELSE lpad(to_hex(cell), 15, '0') END",
            "%s::text",
            "(%s::text[])[m + 1]",
            str(int(ctx.run.pk)),
            "''",
            "''",
        ],
        params=[category_codes, source, month_codes],
    )
    fresh = not Incident.objects.filter(city=city).exists()
    target = merger(
        meta.db_table,
        columns,
        key=columns[:2],
        compare=columns[2:11],
        insert_only=columns[12:],
        # No ORDER BY: the rows are staged already sorted by time, and a sort of a million wide rows would
        # spill to disk; the stage is read back in the order it was written.
        order_by=None,
        stage=stage,
        # One import per city at a time (PostgreSQL), so the fresh check and the plain insert stay true.
        lock_key=zlib.crc32(b"incidents-import") << 20 | int(city.pk),
        fresh=fresh,
    )
    if target.vendor == "postgresql":
        # Taken under the lock: re-check freshness now that no other import of this city can run.
        fresh = not Incident.objects.filter(city=city).exists()
        target.fresh = fresh
    fp_bytes, fp_len = _utf8(fingerprints)
    ext_bytes, ext_len = _utf8(external) if external is not None else _utf8(None, len(epoch))
    codes_of = np.array(category_codes, dtype=object)
    months_of = np.array(month_codes, dtype=object)
    chunk_rows = max(1, int(settings.IMPORT_CHUNK_ROWS))
    for start in range(0, len(epoch), chunk_rows):
        part = slice(start, start + chunk_rows)
        if target.vendor == "postgresql":
            target.add(
                binary_copy(
                    [
                        (fp_bytes.dtype.str, fp_bytes[part]),
                        (">i2", fp_len[part]),
                        (ext_bytes.dtype.str, ext_bytes[part]),
                        (">i2", ext_len[part]),
                        (">i8", pg_timestamps(epoch[part])),
                        (">i2", category[part]),
                        (">f8", lat[part]),
                        (">f8", lon[part]),
                        (">i8", area[part]),
                        (">i8", cells[part].view(np.int64)),
                        (">i2", month[part]),
                    ]
                )
            )
            continue
        n = len(epoch[part])
        stamps = np.datetime_as_string(epoch[part].astype("datetime64[s]"), unit="s")
        stamps.view(np.uint32).reshape(n, -1)[:, 10] = ord(" ")  # "YYYY-MM-DDTHH:MM:SS" → Django's SQLite form
        rows = list(
            zip(
                [city.pk] * n,
                fingerprints[part].tolist(),
                external[part].tolist() if external is not None else [""] * n,
                stamps.tolist(),
                codes_of[category[part]].tolist() if n else [],
                [None if v != v else v for v in lat[part].tolist()],
                [None if v != v else v for v in lon[part].tolist()],
                [v or None for v in area[part].tolist()],
                h3_strings(cells[part]).tolist(),
                [source] * n,
                months_of[month[part]].tolist() if n else [],
                [ctx.run.pk] * n,
                [""] * n,
                [""] * n,
                strict=True,
            )
        )
        target.add(rows)
    counts = target.merge()
    report.created = counts.created
    report.updated = counts.updated
    report.unchanged = len(epoch) - counts.created - counts.updated


def _utf8(texts: np.ndarray | None, n: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of each text as one fixed-width array (padded), and each one's byte length."""
    if texts is None:
        return np.zeros(n, dtype="S1"), np.zeros(n, dtype=np.int16)
    try:
        encoded = texts.astype("S")  # all ASCII: numpy encodes in C
    except UnicodeEncodeError:
        encoded = np.array([t.encode() for t in texts.tolist()], dtype="S")
    if encoded.dtype.itemsize == 0 or not len(encoded):
        return np.zeros(len(texts), dtype="S1"), np.zeros(len(texts), dtype=np.int16)
    return encoded, np.char.str_len(encoded).astype(np.int16)
