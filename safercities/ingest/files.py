"""Reading the files users actually have: sniffing, encodings, delimiters, numbers, dates, HXL.

Every reader raises :class:`FileProblem` with a sentence a user can act on; importers turn it into a
row-0 error. Row numbers count data rows from 1 as INTERFACES.md promises (blank rows keep their
number so that "row 17" is still row 17 in the user's spreadsheet).
"""

from __future__ import annotations

import codecs
import csv
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

# One field longer than this is refused (csv's own limit; a 10 MB cell is not data we can use).
MAX_FIELD_CHARS = 131_072
MAX_COLUMNS = 500


# What zipfile raises on damaged archives besides BadZipFile (found by tests/fuzz).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError, OSError)


class FileProblem(ValueError):
    """The file as a whole cannot be read: wrong type, undecodable, empty, malformed."""


def sniff_kind(path: Path) -> str:
    """What the bytes say the file is: csv, xlsx, geojson, shapefile-zip, gpkg, empty or binary."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        return "empty"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [name.lower() for name in archive.namelist()]
        except ZIP_ERRORS:
            # A damaged or exotic archive (zipfile also raises NotImplementedError, e.g. "zip file
            # version 9.7", and EOFError/ValueError on truncated directories).
            return "binary"
        if any(name.endswith(".shp") for name in names):
            return "shapefile-zip"
        if "[content_types].xml" in names and any(name.startswith("xl/") for name in names):
            return "xlsx"
        return "zip"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in {b"{", b"["}:
        return "geojson"
    if b"\x00" in head:
        return "binary"
    return "csv"


def check_kind(path: Path, expected: set[str], what: str) -> str:
    """Refuse a file whose content is not one of ``expected`` (extension lies are common)."""
    kind = sniff_kind(path)
    if kind == "empty":
        raise FileProblem(_("the file %(name)s is empty") % {"name": repr(path.name)})
    if kind not in expected:
        described = {
            "binary": _("a binary file"),
            "zip": _("a zip archive without a shapefile"),
            "csv": _("a text (CSV) file"),
            "xlsx": _("an Excel workbook"),
            "geojson": _("a JSON file"),
            "gpkg": _("a GeoPackage"),
            "shapefile-zip": _("a zipped shapefile"),
        }.get(kind, kind)
        # ``what`` comes from the caller, already translated; the kinds are file-type codes (csv, xlsx).
        raise FileProblem(
            _("the file %(name)s is %(described)s, but %(what)s must be %(kinds)s")
            % {
                "name": repr(path.name),
                "described": described,
                "what": what,
                "kinds": _(" or ").join(sorted(expected)),
            }
        )
    return kind


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else Windows-1252/Latin-1.

    The whole file is streamed through an incremental decoder because a Latin-1 "ñ" may first
    appear on row 90,000.
    """
    with open(path, "rb") as handle:
        first = handle.read(3)
        if first == codecs.BOM_UTF8:
            return "utf-8-sig"
        if first[:2] in {codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE}:
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            handle.seek(0)
            try:
                cp_decoder = codecs.getincrementaldecoder("cp1252")()
                while chunk := handle.read(1 << 20):
                    cp_decoder.decode(chunk)
            except UnicodeDecodeError:
                return "latin-1"
            return "cp1252"
    return "utf-8"


def sniff_delimiter(header_line: str) -> str:
    """Comma, semicolon, tab or pipe: whichever splits the header line (outside quotes) most."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class Table:
    """A header and its rows; ``rows`` yields ``(row_number, {column: text})``."""

    columns: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    delimiter: str = ","
    encoding: str = "utf-8"
    hashtags: dict[str, str] = field(default_factory=dict)


def _clean_header(names: list[Any]) -> list[str]:
    return [str(name if name is not None else "").strip().lstrip("\ufeff") for name in names]


def _is_hxl_row(values: list[Any]) -> bool:
    filled = [str(v).strip() for v in values if v is not None and str(v).strip()]
    return bool(filled) and all(v.startswith("#") for v in filled)


def _check_header(columns: list[str]) -> None:
    if not any(columns):
        raise FileProblem(_("the first row (the header) is empty"))
    if len(columns) > MAX_COLUMNS:
        raise FileProblem(
            _("the header has %(n)s columns; at most %(limit)s are supported")
            % {"n": len(columns), "limit": MAX_COLUMNS}
        )
    named = [c for c in columns if c]
    duplicates = sorted({c for c in named if named.count(c) > 1})
    if duplicates:
        raise FileProblem(_("the header repeats column(s) %(columns)s") % {"columns": ", ".join(map(repr, duplicates))})


def read_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Open a CSV for streaming. Blank rows are skipped but keep their number."""
    encoding = encoding or detect_encoding(path)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FileProblem(_("unknown encoding %(encoding)s") % {"encoding": repr(encoding)}) from None
    handle = open(path, encoding=encoding, newline="", errors="strict")  # noqa: SIM115 — closed by the generator
    try:
        first_line = handle.readline(MAX_FIELD_CHARS + 1)
    except UnicodeDecodeError as exc:
        handle.close()
        raise FileProblem(
            _("the file is not valid %(encoding)s: %(reason)s") % {"encoding": encoding, "reason": exc.reason}
        ) from None
    if len(first_line) > MAX_FIELD_CHARS:
        handle.close()
        raise FileProblem(_("the header line is too long to be a CSV header"))
    delimiter = delimiter or sniff_delimiter(first_line)
    handle.seek(0)
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        raise FileProblem(_("the file has no header row")) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        handle.close()
        raise FileProblem(_("the header row cannot be read: %(reason)s") % {"reason": exc}) from None
    columns = _clean_header(header)
    hashtags: dict[str, str] = {}
    # An HXL hashtag row right under the header is metadata, not data.
    pending: list[str] | None = None
    first_row_error: str | None = None
    try:
        second = next(reader, None)
    except csv.Error as exc:
        second = None
        first_row_error = _csv_error_message(exc)
    except UnicodeDecodeError as exc:
        second = None
        first_row_error = _invalid_text(encoding, exc)
    if second is not None and _is_hxl_row(second):
        hashtags = {col: str(tag).strip() for col, tag in zip(columns, second, strict=False) if str(tag).strip()}
    elif _is_hxl_row(header):
        # A file with hashtags only: the hashtags are the header.
        hashtags = {tag: tag for tag in columns if tag}
        pending = second
    else:
        pending = second
    _check_header(columns)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        try:
            if first_row_error is not None:
                number += 1
                yield number, {"__error__": first_row_error}
            if pending is not None:
                number += 1
                if any(cell.strip() for cell in pending):
                    yield number, _as_row(columns, pending, number)
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    number += 1
                    yield number, {"__error__": _csv_error_message(exc)}
                    continue
                except UnicodeDecodeError as exc:
                    number += 1
                    yield number, {"__error__": _invalid_text(encoding, exc)}
                    return
                number += 1
                if not any(cell.strip() for cell in values):
                    continue
                yield number, _as_row(columns, values, number)
        finally:
            handle.close()

    return Table(columns=columns, rows=rows(), delimiter=delimiter, encoding=encoding, hashtags=hashtags)


def _invalid_text(encoding: str, exc: UnicodeDecodeError) -> str:
    return _("the text is not valid %(encoding)s: %(reason)s") % {"encoding": encoding, "reason": exc.reason}


def _csv_error_message(exc: csv.Error) -> str:
    # csv's own wording stays English: it names the parser's state, and users search for it as is.
    message = str(exc)
    if "field larger than field limit" in message:
        return _("a field is longer than %(limit)s characters") % {"limit": f"{MAX_FIELD_CHARS:,}"}
    return _("the row cannot be read as CSV: %(reason)s") % {"reason": message}


def _as_row(columns: list[str], values: list[Any], number: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for index, value in enumerate(values):
        if isinstance(value, str) and "\x00" in value:
            # Python's csv module passes NUL characters through; PostgreSQL refuses them in text, and
            # they mean a binary or UTF-16 file read as text. Refuse the row here, on every database.
            row["__error__"] = _("contains a NUL character (\\x00): is the file binary, or UTF-16 without a BOM?")
        if index < len(columns):
            row[columns[index]] = value
        elif value is not None and str(value).strip():
            row["__error__"] = _("has %(n)s fields but the header has %(m)s") % {"n": len(values), "m": len(columns)}
    return row


def read_xlsx(path: Path, *, sheet: str | None = None) -> Table:
    """Open the first (or named) sheet of a workbook; cells keep their Excel types."""
    import openpyxl  # heavy import, only when needed

    try:
        # A file object, not the path: openpyxl refuses names that do not end in .xlsx, and an upload
        # may be called anything.
        workbook = openpyxl.load_workbook(open(path, "rb"), read_only=True, data_only=True)  # noqa: SIM115
    except Exception as exc:  # openpyxl raises many unrelated types on broken files
        raise FileProblem(_("the workbook cannot be opened: %(reason)s") % {"reason": _short(exc)}) from None
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    except (KeyError, IndexError):
        workbook.close()
        raise FileProblem(
            _("the workbook has no sheet %(sheet)s") % {"sheet": repr(sheet)}
            if sheet
            else _("the workbook has no sheet")
        ) from None
    iterator = worksheet.iter_rows(values_only=True)
    try:
        # read_only mode parses the sheet lazily: a damaged part fails here, not at load_workbook.
        header = next(iterator, None)
        second_row = next(iterator, None) if header is not None else None
    except Exception as exc:  # zipfile, XML and openpyxl errors alike
        workbook.close()
        raise FileProblem(_("the sheet cannot be read: %(reason)s") % {"reason": _short(exc)}) from None
    if header is None:
        workbook.close()
        raise FileProblem(_("the sheet is empty"))
    columns = _clean_header(list(header))
    while columns and not columns[-1]:
        columns.pop()
    hashtags: dict[str, str] = {}
    second = second_row
    pending = None
    if second is not None and _is_hxl_row(list(second)):
        hashtags = {col: str(tag).strip() for col, tag in zip(columns, second, strict=False) if tag}
    else:
        pending = second
    _check_header(columns)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        try:
            if pending is not None:
                number += 1
                if any(v is not None and str(v).strip() for v in pending):
                    yield number, _as_row(columns, list(pending), number)
            while True:
                try:
                    values = next(iterator)
                except StopIteration:
                    return
                except Exception as exc:  # a damaged part further down the sheet
                    message = _("the sheet cannot be read from here on: %(reason)s") % {"reason": _short(exc)}
                    yield number + 1, {"__error__": message}
                    return
                number += 1
                if not any(v is not None and str(v).strip() for v in values):
                    continue
                yield number, _as_row(columns, list(values), number)
        finally:
            workbook.close()

    return Table(columns=columns, rows=rows(), hashtags=hashtags, encoding="xlsx")


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "…"


def read_table(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None, sheet: str | None = None
) -> Table:
    """A CSV or XLSX file as a :class:`Table`, chosen by content rather than by extension."""
    kind = check_kind(path, {"csv", "xlsx"}, _("a table"))
    if kind == "xlsx":
        return read_xlsx(path, sheet=sheet)
    return read_csv(path, encoding=encoding, delimiter=delimiter)


_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_THOUSANDS_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")


def parse_number(value: Any, *, decimal_comma: bool = False) -> float:
    """A finite number from a cell: ``1234.5``, ``1,234.5``, ``1.234,5``, ``1234,5``, ``12 %``.

    ``decimal_comma`` says how to read an ambiguous ``1,234`` (semicolon-separated files use the
    decimal comma). Raises ``ValueError`` with the reason.
    """
    if isinstance(value, bool):
        raise ValueError(_("is a yes/no value, not a number"))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value if value is not None else "").strip().replace("\u00a0", "").replace(" ", "")
        if text.endswith("%"):
            text = text[:-1]
        if not text:
            raise ValueError(_("is empty"))
        if "," in text and "." in text:
            if _THOUSANDS_DOT.match(text):
                text = text.replace(".", "").replace(",", ".")
            elif _THOUSANDS_COMMA.match(text):
                text = text.replace(",", "")
            else:
                raise ValueError(_("%(value)s is not a number") % {"value": repr(value)})
        elif "," in text:
            if not decimal_comma and _THOUSANDS_COMMA.match(text):
                text = text.replace(",", "")
            elif text.count(",") == 1:
                text = text.replace(",", ".")
            else:
                raise ValueError(_("%(value)s is not a number") % {"value": repr(value)})
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("%(value)s is not a number") % {"value": repr(str(value)[:40])}) from None
    if not math.isfinite(number):
        raise ValueError(_("%(value)s is not a finite number") % {"value": repr(value)})
    return number


_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)


def parse_date(value: Any, *, tz: tzinfo = UTC, date_format: str | None = None) -> datetime:
    """An aware datetime from a cell: ISO 8601, a ``strptime`` format, or an Excel serial date.

    A value without a time zone is read in ``tz`` (the city's zone), never guessed.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    text = str(value if value is not None else "").strip()
    if not text:
        raise ValueError(_("is empty"))
    if date_format:
        try:
            parsed = datetime.strptime(text, date_format).replace(tzinfo=tz)
        except ValueError:
            raise ValueError(
                _("%(value)s does not match the date format %(format)s")
                % {"value": repr(text[:40]), "format": repr(date_format)}
            ) from None
        return parsed
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        serial = float(text)
        # Excel serial dates: 20000 is 1954, 80000 is 2119; anything else is a number, not a date.
        if 20_000 <= serial <= 80_000:
            return (_EXCEL_EPOCH + timedelta(days=serial)).replace(tzinfo=tz)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("/", "-"))
    except ValueError:
        pass
    else:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(
        _("%(value)s is not a date (use ISO 8601 such as 2024-03-15 14:30, or --date-format)")
        % {"value": repr(text[:40])}
    )


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
