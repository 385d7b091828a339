"""Reporting periods: parse the codes users write and know where each period starts and ends.

Codes (INTERFACES.md): ``2024`` (year), ``2024Q1`` (quarter), ``2024-03`` (month), ``2024W05`` (ISO
week), ``2024-03-15`` (day), and financial years that start in another month as DHIS2 writes them:
``2012April`` is April 2012 – March 2013 (South African police statistics run April–March).
Common variants (``2024-Q1``, ``2024q1``, ``2024-W05``, ``202403``) are accepted and written back in
the canonical form, so that one period never appears under two codes.

Examples
--------
>>> p = parse_period("2012April")
>>> (p.code, p.kind, p.start.isoformat(), p.end.isoformat())
('2012April', 'fy', '2012-04-01', '2013-03-31')
>>> parse_period("2024-w5").code
'2024W05'
>>> parse_period("2024-02").end.isoformat()
'2024-02-29'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# DHIS2 writes some financial years with short names (2012Oct, 2012Nov); accept both spellings.
_MONTH_LOOKUP = {name.lower(): i + 1 for i, name in enumerate(MONTH_NAMES)}
_MONTH_LOOKUP.update({name[:3].lower(): i + 1 for i, name in enumerate(MONTH_NAMES)})
_MONTH_LOOKUP["sept"] = 9

KINDS = ("day", "week", "month", "quarter", "year", "fy")

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-?(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_FY = re.compile(r"^(\d{4})\s*([A-Za-z]{3,9})$")
_MIN_YEAR, _MAX_YEAR = 1800, 2200


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A reporting period; ordering is by start, then end."""

    start: date
    end: date
    code: str
    kind: str

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _check_year(year: int, text: str) -> None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ValueError(f"period {text!r}: year {year} is out of range {_MIN_YEAR}–{_MAX_YEAR}")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year:04d}", "year")


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    last_day = calendar.monthrange(year, first + 2)[1]
    return Period(date(year, first, 1), date(year, first + 2, last_day), f"{year:04d}Q{quarter}", "quarter")


def month_period(year: int, month: int) -> Period:
    last_day = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last_day), f"{year:04d}-{month:02d}", "month")


def week_period(year: int, week: int) -> Period:
    start = date.fromisocalendar(year, week, 1)
    return Period(start, start + timedelta(days=6), f"{year:04d}W{week:02d}", "week")


def day_period(day: date) -> Period:
    return Period(day, day, day.isoformat(), "day")


def financial_year_period(year: int, start_month: int) -> Period:
    """The financial year that starts on the first of ``start_month`` in ``year``."""
    if start_month == 1:
        return year_period(year)
    end_year, end_month = year + 1, start_month - 1
    last_day = calendar.monthrange(end_year, end_month)[1]
    code = f"{year:04d}{MONTH_NAMES[start_month - 1]}"
    return Period(date(year, start_month, 1), date(end_year, end_month, last_day), code, "fy")


def parse_period(text: str) -> Period:
    """Parse a period code; raise ``ValueError`` with a reason a user can act on."""
    raw = str(text).strip()
    if not raw:
        raise ValueError("period is empty")
    if m := _YEAR.match(raw):
        year = int(m.group(1))
        _check_year(year, raw)
        return year_period(year)
    if m := _QUARTER.match(raw):
        year = int(m.group(1))
        _check_year(year, raw)
        return quarter_period(year, int(m.group(2)))
    if m := _DAY.match(raw):
        year, month, day = (int(g) for g in m.groups())
        _check_year(year, raw)
        try:
            return day_period(date(year, month, day))
        except ValueError:
            raise ValueError(f"period {raw!r} is not a real date") from None
    if m := _MONTH.match(raw):
        year, month = int(m.group(1)), int(m.group(2))
        _check_year(year, raw)
        if not 1 <= month <= 12:
            raise ValueError(f"period {raw!r}: month {month} does not exist")
        return month_period(year, month)
    if m := _WEEK.match(raw):
        year, week = int(m.group(1)), int(m.group(2))
        _check_year(year, raw)
        try:
            return week_period(year, week)
        except ValueError:
            raise ValueError(f"period {raw!r}: {year} has no ISO week {week}") from None
    if m := _FY.match(raw):
        year = int(m.group(1))
        _check_year(year, raw)
        month = _MONTH_LOOKUP.get(m.group(2).lower())
        if month is None:
            raise ValueError(f"period {raw!r}: {m.group(2)!r} is not a month name")
        return financial_year_period(year, month)
    raise ValueError(
        f"period {raw!r} is not a recognised code (use 2024, 2024Q1, 2024-03, 2024W05, 2024-03-15 or 2012April)"
    )


def period_containing(day: date, kind: str, fy_start_month: int = 1) -> Period:
    """The period of ``kind`` that contains ``day`` (e.g. the month of an incident)."""
    if kind == "day":
        return day_period(day)
    if kind == "week":
        iso = day.isocalendar()
        return week_period(iso.year, iso.week)
    if kind == "month":
        return month_period(day.year, day.month)
    if kind == "quarter":
        return quarter_period(day.year, (day.month - 1) // 3 + 1)
    if kind == "year":
        return year_period(day.year)
    if kind == "fy":
        year = day.year if day.month >= fy_start_month else day.year - 1
        return financial_year_period(year, fy_start_month)
    raise ValueError(f"unknown period kind {kind!r}; use one of {', '.join(KINDS)}")


def shift(period: Period, steps: int) -> Period:
    """The period ``steps`` periods after (negative: before) ``period``, of the same kind."""
    if period.kind == "day":
        return day_period(period.start + timedelta(days=steps))
    if period.kind == "week":
        return period_containing(period.start + timedelta(weeks=steps), "week")
    if period.kind in {"month", "quarter"}:
        months = 1 if period.kind == "month" else 3
        index = period.start.year * 12 + period.start.month - 1 + steps * months
        return period_containing(date(index // 12, index % 12 + 1, 1), period.kind)
    if period.kind == "year":
        return year_period(period.start.year + steps)
    return financial_year_period(period.start.year + steps, period.start.month)
