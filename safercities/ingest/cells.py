"""Spreadsheet safety: cells that Excel or LibreOffice would run as a formula (CSV/DDE injection).

Resident-written text (report descriptions, comments, survey answers, names, 4W entries, audit
values) reaches the CSV and XLSX files that officials open in a spreadsheet. A text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read there as a formula
(``=HYPERLINK(...)`` leaks data with one click; DDE payloads run programs). Following OWASP's "CSV
Injection" advice, every export writer passes each data cell through :func:`safe_cell`, which puts a
single quote in front of such text: the spreadsheet then shows it as text. Numbers, dates, booleans
and blanks are left as they are, so a real negative number stays a number; only text is escaped
(``"-5"`` typed in a text field is text). HXL hashtag rows start with ``#`` and are never touched.

An export that is meant to be imported again reads its cells through :func:`unescape_cell`, which
removes exactly that one quote, so export → import gives back the stored text. For that to hold for
every text, text that already starts with quotes followed by a trigger (``'=x``) gets one more quote
too (``''=x``), and the importer removes one quote from any run of quotes followed by a trigger.

A carriage return inside a cell needs one more guard in CSV: Python's ``csv`` module quotes a field only
for the characters of its line terminator, so with our ``\n`` a bare ``\r`` is written unquoted, and a
spreadsheet starts a new row there — ``note\r=HYPERLINK(...)`` would put an unescaped formula at the
start of a row. :func:`csv_writer` quotes every text cell of such a row.

Reference: OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's list)."""

QUOTE = "'"


def _quoted_trigger(text: str) -> bool:
    """``text`` is zero or more quotes followed by a trigger character."""
    return text.lstrip(QUOTE).startswith(TRIGGERS)


def safe_cell(value: Any) -> Any:
    """The value to write into a CSV or XLSX cell: text starting with a trigger gets a leading ``'``.

    Anything that is not ``str`` (numbers, ``None``, dates, booleans) is returned unchanged, so
    that typed cells keep their type. Text of quotes then a trigger (``'=x``) also gets one more
    quote, so that :func:`unescape_cell` gives it back exactly.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("@SUM(A1)"), safe_cell("'=x")
    ("'=1+1", "'@SUM(A1)", "''=x")
    >>> safe_cell("-5"), safe_cell(-5), safe_cell("#adm+code"), safe_cell(None)
    ("'-5", -5, '#adm+code', None)
    """
    if isinstance(value, str) and _quoted_trigger(value):
        return QUOTE + value
    return value


def safe_row(values: Any) -> list[Any]:
    """:func:`safe_cell` applied to every cell of one row."""
    return [safe_cell(value) for value in values]


def unescape_cell(value: Any) -> Any:
    """The inverse of :func:`safe_cell` for importers: drop one leading ``'`` that precedes a trigger.

    Exactly one quote is removed, and only from quotes followed by a trigger character, so
    ``unescape_cell(safe_cell(text)) == text`` for every text, and ``'hello`` stays as it is.

    >>> unescape_cell("'=1+1"), unescape_cell("''=1"), unescape_cell("'hello"), unescape_cell(3)
    ('=1+1', "'=1", "'hello", 3)
    """
    if isinstance(value, str) and value.startswith(QUOTE) and _quoted_trigger(value):
        return value[1:]
    return value


class _LineWriter:
    """``csv.writer`` with ``\n`` line ends whose rows never split at a carriage return."""

    def __init__(self, stream: Any) -> None:
        self._plain = csv.writer(stream, lineterminator="\n")
        self._quoted = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row (cells already passed through :func:`safe_cell`); returns what the stream's write did."""
        cells = list(row)
        if any(isinstance(cell, str) and "\r" in cell for cell in cells):
            return self._quoted.writerow(cells)
        return self._plain.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: Any) -> _LineWriter:
    """A CSV writer for exports (comma, ``\n``), like ``csv.writer``, that quotes a row holding a ``\r``.

    It does not escape: pass the data cells through :func:`safe_cell` first.

    >>> import io
    >>> out = io.StringIO()
    >>> _ = csv_writer(out).writerow(["a", "note\\r=1", 2])
    >>> out.getvalue() == '"a","note\\r=1",2\\n'
    True
    """
    return _LineWriter(stream)
