"""Database expressions for the compute's large reads (portable between PostgreSQL and SQLite)."""

from __future__ import annotations

from typing import Any

from django.db.models import Func, IntegerField

EPOCH_JULIAN_DAY = 2440587.5  # 1970-01-01 as a Julian day (SQLite's ``julianday``)


class DayNumber(Func):
    """A date column as days since 1970-01-01 — numpy's ``datetime64[D]`` count.

    Why: a read of ~1 M rows spends most of its time turning ``date`` objects (PostgreSQL's driver) or
    ISO text (SQLite) into numpy dates — 0.9 s per column of 900,000 rows, against 0.02 s for integers.
    PostgreSQL subtracts dates to an integer; on SQLite ``julianday(date) − 2440587.5`` is a whole
    number, so the CAST is exact."""

    output_field = IntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return super().as_sql(compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        template = f"CAST(julianday(%(expressions)s) - {EPOCH_JULIAN_DAY} AS INTEGER)"
        return super().as_sql(compiler, connection, template=template, **extra)
