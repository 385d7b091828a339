"""Turn what callers pass (a pandas Series or a plain sequence) into a regular count series.

Detectors need positions that are exactly one period apart. A Series may be indexed by dates
(``DatetimeIndex``, ``PeriodIndex``) or by the project's period codes (``2024W05``, ``2024-03``,
parsed with :mod:`safercities.analytics.periods`); either way the periods must be consecutive — a
missing week is a row with NaN, never a gap, so that "52 weeks ago" means the same week last year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from safercities.analytics.periods import parse_period

FREQUENCIES = {"week": 52, "month": 12}


@dataclass(frozen=True)
class CountSeries:
    values: np.ndarray  # float, NaN = missing; a private copy
    labels: tuple[str, ...]
    dates: pd.DatetimeIndex | None  # period starts, when known
    frequency: str

    @property
    def per_year(self) -> int:
        return FREQUENCIES[self.frequency]


def check_frequency(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {sorted(FREQUENCIES)}, not {frequency!r}")
    return frequency


def _label(date: pd.Timestamp, frequency: str) -> str:
    if frequency == "week":
        iso = date.isocalendar()
        return f"{iso[0]:04d}W{iso[1]:02d}"
    return f"{date.year:04d}-{date.month:02d}"


def _dates_from_index(index: pd.Index, frequency: str) -> pd.DatetimeIndex | None:
    if isinstance(index, pd.PeriodIndex):
        return pd.DatetimeIndex(index.start_time)
    if isinstance(index, pd.DatetimeIndex):
        return index.tz_localize(None) if index.tz is not None else index
    if len(index) and all(isinstance(x, str) for x in index):
        periods = [parse_period(x) for x in index]
        kinds = {p.kind for p in periods}
        if kinds != {frequency}:
            raise ValueError(f"period codes are of kind {sorted(kinds)}, expected {frequency!r}")
        return pd.DatetimeIndex([pd.Timestamp(p.start) for p in periods])
    return None


def _check_regular(dates: pd.DatetimeIndex, frequency: str) -> None:
    if len(dates) < 2:
        return
    if frequency == "week":
        steps = np.diff(dates.asi8) / (7 * 86_400 * 10**9)
    else:
        months = dates.year * 12 + dates.month
        steps = np.diff(np.asarray(months))
    bad = np.flatnonzero(steps != 1)
    if len(bad):
        i = int(bad[0])
        raise ValueError(
            f"the series is not regular between {_label(dates[i], frequency)} and {_label(dates[i + 1], frequency)}: "
            f"give one row per {frequency}, in order, with NaN for a missing value"
        )


def as_count_series(counts: pd.Series | Sequence[float] | np.ndarray, frequency: str) -> CountSeries:
    """Validate and copy ``counts``; never modifies the caller's object."""
    check_frequency(frequency)
    if isinstance(counts, pd.Series):
        values = pd.to_numeric(counts, errors="raise").to_numpy(dtype=float, copy=True)
        dates = _dates_from_index(counts.index, frequency)
        if dates is not None:
            dates = dates.as_unit("ns")  # positions are compared in nanoseconds
            _check_regular(dates, frequency)
            labels = tuple(_label(d, frequency) for d in dates)
        else:
            labels = tuple(str(x) for x in counts.index)
    else:
        values = np.array(counts, dtype=float, copy=True)
        dates = None
        labels = tuple(str(i) for i in range(len(values)))
    if values.ndim != 1:
        raise ValueError("counts must be one-dimensional")
    finite = values[np.isfinite(values)]
    if np.any(finite < 0):
        raise ValueError("counts cannot be negative")
    values[~np.isfinite(values)] = np.nan
    return CountSeries(values=values, labels=labels, dates=dates, frequency=frequency)


def resolve_positions(series: CountSeries, last: int | None, positions: Sequence[int] | None) -> list[int]:
    """The positions to evaluate: the ``last`` n periods, or explicit (possibly negative) positions."""
    n = len(series.values)
    if positions is not None:
        out = []
        for p in positions:
            q = int(p) + n if int(p) < 0 else int(p)
            if not 0 <= q < n:
                raise IndexError(f"position {p} is outside a series of {n} periods")
            out.append(q)
        return out
    last = 1 if last is None else int(last)
    if last < 1:
        raise ValueError("last must be at least 1")
    return list(range(max(0, n - last), n))
