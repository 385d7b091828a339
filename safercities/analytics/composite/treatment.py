"""Outlier treatment of skewed indicators: COINr's two-stage rule (winsorise, else log-transform).

A few extreme areas can dominate a min-max normalised indicator (everyone else is squeezed near 0),
so heavily skewed indicators are treated *before* normalisation. The rule is the JRC audit default as
coded in COINr's ``Treat()``:

1. An indicator passes when ``|skew| < 2`` **or** ``kurtosis < 3.5`` (sample-adjusted skewness and
   excess kurtosis, the Excel / e1071 "type 2" estimators).
2. A failing indicator is winsorised: the most extreme value(s) on the side of the skew take the value
   of the next one in, repeated until it passes or ``max_winsorised`` points have been changed.
3. If it still fails, the winsorisation is undone and the *original* values are log-transformed:
   ``log(x − min + 0.01·(max − min))`` (COINr's ``log_CT``) for right skew; for left skew the mirror
   image ``−log(max − x + 0.01·(max − min))`` (our extension, so the order of areas is kept).

Both treatments keep the order of areas (they are monotone), so no area overtakes another; they only
change distances. Indicators with fixed goalposts or a target are never treated: their scale was set
on purpose in raw units.

References
----------
OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, section 1.5 (outliers).
Becker, W. (2023). COINr: Composite Indicator Construction and Analysis, R package, ``Treat()``,
``winsorise()``, ``log_CT()``, ``check_SkewKurt()``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from safercities.analytics.composite.spec import TreatmentConfig


@dataclass(frozen=True)
class Treatment:
    """What happened to one indicator.

    ``action`` is ``"none"`` (passed), ``"winsorised"``, ``"log"`` or ``"skipped"`` (too few values,
    fixed goalposts or target, or treatment disabled — ``note`` says which).
    """

    indicator: str
    action: str
    points: int = 0
    skew_before: float = float("nan")
    kurtosis_before: float = float("nan")
    skew_after: float = float("nan")
    kurtosis_after: float = float("nan")
    note: str = ""


def skewness(values: np.ndarray) -> float:
    """Sample-adjusted skewness ``G1`` (Excel ``SKEW``, e1071 type 2, COINr ``skew``), NaNs ignored.

    Examples
    --------
    >>> round(skewness(np.array([1.0, 2.0, 3.0, 10.0])), 6)
    1.763633
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 3:
        return float("nan")
    d = x - x.mean()
    m2 = np.sum(d**2)
    if m2 == 0:
        return 0.0
    g1 = np.sqrt(n) * np.sum(d**3) / m2**1.5
    return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(values: np.ndarray) -> float:
    """Sample-adjusted excess kurtosis ``G2`` (Excel ``KURT``, e1071 type 2, COINr ``kurt``), NaNs ignored.

    Examples
    --------
    >>> round(kurtosis(np.array([1.0, 2.0, 3.0, 10.0, 4.0])), 6)
    3.152
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 4:
        return float("nan")
    d = x - x.mean()
    m2 = np.sum(d**2)
    if m2 == 0:
        return 0.0
    r = n * np.sum(d**4) / m2**2
    return float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def _passes(x: np.ndarray, config: TreatmentConfig) -> tuple[bool, float, float]:
    sk, kt = skewness(x), kurtosis(x)
    return bool(abs(sk) < config.skew_threshold or kt < config.kurtosis_threshold), sk, kt


def treat_indicator(values: np.ndarray, config: TreatmentConfig, name: str = "") -> tuple[np.ndarray, Treatment]:
    """Apply the two-stage rule to one indicator; returns a new array and the record.

    Parameters
    ----------
    values : array of float
        Raw values, NaN = missing (kept as NaN).
    config : TreatmentConfig
        Thresholds and the winsorisation limit.
    name : str
        Indicator code for the record.

    Examples
    --------
    One outlier among eleven ordinary values is winsorised (it takes the next value down):

    >>> x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100])
    >>> treated, record = treat_indicator(x, TreatmentConfig(), "x")
    >>> record.action, record.points, float(treated.max())
    ('winsorised', 1, 10.0)
    """
    x = np.array(values, dtype=float)  # a copy: the caller's array is never touched
    finite = np.isfinite(x)
    if not config.enabled:
        return x, Treatment(name, "skipped", note="treatment disabled")
    if finite.sum() < config.min_values:
        return x, Treatment(name, "skipped", note=f"fewer than {config.min_values} values")
    ok, sk0, kt0 = _passes(x, config)
    if ok:
        return x, Treatment(name, "none", 0, sk0, kt0, sk0, kt0)

    w = x.copy()
    changed = np.zeros(x.shape, dtype=bool)
    while not ok and changed.sum() < config.max_winsorised:
        vals = w[finite]
        high = skewness(w) >= 0  # right skew: the outliers are at the top
        extreme = vals.max() if high else vals.min()
        rest = vals[vals < extreme] if high else vals[vals > extreme]
        if rest.size == 0:
            break
        hit = finite & (w == extreme)
        w[hit] = rest.max() if high else rest.min()
        changed |= hit
        ok, sk, kt = _passes(w, config)
    if ok:
        return w, Treatment(name, "winsorised", int(changed.sum()), sk0, kt0, sk, kt)

    lo, hi = np.nanmin(x), np.nanmax(x)
    offset = 0.01 * (hi - lo)
    logged = np.log(x - lo + offset) if sk0 >= 0 else -np.log(hi - x + offset)
    ok, sk, kt = _passes(logged, config)
    note = "" if ok else "still skewed after the log transform"
    return logged, Treatment(name, "log", int(finite.sum()), sk0, kt0, sk, kt, note)


def treat_frame(
    data: pd.DataFrame, config: TreatmentConfig, skip: dict[str, str] | None = None
) -> tuple[pd.DataFrame, tuple[Treatment, ...]]:
    """Treat every column of ``data`` (a new frame is returned); ``skip`` maps columns to a reason to leave them.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]})
    >>> treated, log = treat_frame(frame, TreatmentConfig())
    >>> [t.action for t in log], frame["a"].max()
    (['winsorised'], np.float64(100.0))
    """
    skip = skip or {}
    columns: dict[str, np.ndarray] = {}
    records: list[Treatment] = []
    for code in data.columns:
        if code in skip:
            columns[code] = data[code].to_numpy(dtype=float, copy=True)
            records.append(Treatment(str(code), "skipped", note=skip[code]))
            continue
        treated, record = treat_indicator(data[code].to_numpy(dtype=float), config, str(code))
        columns[code] = treated
        records.append(record)
    return pd.DataFrame(columns, index=data.index, columns=data.columns), tuple(records)
