"""The Mann–Kendall test with Sen's slope for many series of one length at once.

Why
---
:func:`~safercities.analytics.early_warning.trend.mann_kendall` costs ~100 µs per series in numpy
overhead; a city's trend alerts test every area × indicator (tens of thousands of 12-month windows).
Every step of the test is a fixed set of pairwise operations on the ``n(n−1)/2`` pairs of a window, so
for a ``(series, n)`` array they become array operations along the rows.

Method
------
Exactly :func:`.trend.mann_kendall` (Mann 1945; Kendall 1975; Sen 1968; Gilbert 1987, §16.5), row by row:
``S`` as the sum of the signs of the pairwise differences, the tie-corrected ``Var(S)`` (tie groups from
the sorted rows), ``Z`` with the continuity correction, two-sided normal p-value, Kendall's ``τ``,
Sen's slope as the median of the pairwise slopes, its confidence limits by linear interpolation among the
ordered slopes, and Sen's intercept. Rows with a missing value (NaN), and the Hamed & Rao (1998)
autocorrelation correction, are delegated to the single-series function, so every row's numbers are
those of :func:`.trend.mann_kendall`.

References
----------
Mann, H.B. (1945). Nonparametric tests against trend. *Econometrica* 13, 245–259.
Kendall, M.G. (1975). *Rank Correlation Methods*, 4th ed. Griffin.
Sen, P.K. (1968). Estimates of the regression coefficient based on Kendall's tau. *JASA* 63, 1379–1389.
Gilbert, R.O. (1987). *Statistical Methods for Environmental Pollution Monitoring*. Van Nostrand
Reinhold, ch. 16.

Examples
--------
>>> batch = mann_kendall_batch([[1, 2, 3, 4, 5], [5, 4, 4, 2, 1]])
>>> batch.s.tolist(), [round(float(p), 4) for p in batch.p_value]
([10, -9], [0.0275, 0.0433])
>>> batch.result(0) == mann_kendall([1, 2, 3, 4, 5])
True
>>> alerts = sustained_trend_batch([[1, 2, 3, 4, 5], [5, 4, 4, 2, 1]], ["higher", "higher"], unit="year")
>>> [a.severity if a else None for a in alerts]
['amber', None]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from safercities.analytics.early_warning.trend import TrendAlert, TrendResult, mann_kendall


@dataclass(frozen=True)
class TrendBatch:
    """Mann–Kendall results for ``len(s)`` series; :meth:`result` gives row ``i`` as a :class:`TrendResult`."""

    n: np.ndarray
    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    tau: np.ndarray
    slope: np.ndarray
    slope_lower: np.ndarray
    slope_upper: np.ndarray
    intercept: np.ndarray
    correction: np.ndarray
    t_last: np.ndarray
    hamed_rao: bool = False

    def __len__(self) -> int:
        return len(self.s)

    def result(self, i: int) -> TrendResult:
        return TrendResult(
            int(self.n[i]),
            int(self.s[i]),
            float(self.var_s[i]),
            float(self.z[i]),
            float(self.p_value[i]),
            float(self.tau[i]),
            float(self.slope[i]),
            float(self.slope_lower[i]),
            float(self.slope_upper[i]),
            float(self.intercept[i]),
            self.hamed_rao,
            float(self.correction[i]),
            float(self.t_last[i]),
        )


def _tie_terms(x: np.ndarray) -> np.ndarray:
    """``Σ_p t_p(t_p−1)(2t_p+5)`` over the groups of tied values of each row."""
    rows, n = x.shape
    ordered = np.sort(x, axis=1)
    new_group = np.ones((rows, n), dtype=bool)
    new_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(new_group, axis=1) - 1  # group number within the row
    sizes = np.bincount((np.arange(rows)[:, None] * n + group).ravel(), minlength=rows * n).reshape(rows, n)
    sizes = sizes.astype(float)
    return np.sum(np.where(sizes > 1, sizes * (sizes - 1) * (2 * sizes + 5), 0.0), axis=1)


def _interp_rows(sorted_rows: np.ndarray, position: np.ndarray) -> np.ndarray:
    """``np.interp(position[r], [1, …, m], sorted_rows[r])`` for every row ``r``, with numpy's arithmetic
    (``slope · (x − x_j) + y_j``, the end values outside ``[1, m]``) so that the numbers are identical."""
    rows, m = sorted_rows.shape
    x = np.asarray(position, dtype=float)
    j = np.clip(np.floor(x).astype(int) - 1, 0, m - 2)  # 0-based: x_j = j + 1 ≤ x < j + 2
    r = np.arange(rows)
    y0, y1 = sorted_rows[r, j], sorted_rows[r, j + 1]
    inside = (y1 - y0) * (x - (j + 1)) + y0
    inside = np.where(x == j + 1, y0, inside)
    return np.where(x <= 1, sorted_rows[:, 0], np.where(x >= m, sorted_rows[:, -1], inside))


def mann_kendall_batch(
    values: Sequence[Sequence[float]] | np.ndarray,
    *,
    alpha: float = 0.05,
    hamed_rao: bool = False,
    continuity_correction: bool = True,
    max_lag: int | None = None,
) -> TrendBatch:
    """:func:`.trend.mann_kendall` on every row of a ``(series, n)`` array (``n ≥ 3``); never modifies it.

    Parameters are those of :func:`.trend.mann_kendall`. Rows holding NaN, and every row when
    ``hamed_rao`` is set, are computed by the single-series function.
    """
    raw = np.array(values, dtype=float, copy=True)
    if raw.ndim != 2:
        raise ValueError("values must be two-dimensional: one row per series")
    rows, n = raw.shape
    if n < 3:
        raise ValueError("the Mann-Kendall test needs at least 3 values")
    out = {
        name: np.zeros(rows)
        for name in ("var_s", "z", "p_value", "tau", "slope", "slope_lower", "slope_upper", "intercept")
    }
    out["n"] = np.full(rows, n, dtype=int)
    out["s"] = np.zeros(rows, dtype=int)
    out["correction"] = np.ones(rows)
    out["t_last"] = np.full(rows, float(n - 1))
    complete = np.isfinite(raw).all(axis=1) & (not hamed_rao)
    x = raw[complete]
    if len(x):
        t = np.arange(n, dtype=float)
        i, j = np.triu_indices(n, 1)
        diff = x[:, j] - x[:, i]
        s = np.sum(np.sign(diff), axis=1).astype(int)
        var_s = (n * (n - 1) * (2 * n + 5) - _tie_terms(x)) / 18.0
        slopes = np.sort(diff / (t[j] - t[i]), axis=1)
        slope = np.median(slopes, axis=1)
        sd = np.sqrt(np.where(var_s > 0, var_s, 0.0))
        shift = 1 if continuity_correction else 0
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where((sd == 0) | (s == 0), 0.0, (s - np.copysign(shift, s)) / sd)
        c = stats.norm.ppf(1 - alpha / 2) * sd
        m = slopes.shape[1]
        out["s"][complete] = s
        out["var_s"][complete] = var_s
        out["z"][complete] = z
        out["p_value"][complete] = 2 * stats.norm.sf(np.abs(z))
        out["tau"][complete] = s / (n * (n - 1) / 2)
        out["slope"][complete] = slope
        out["slope_lower"][complete] = _interp_rows(slopes, (m - c) / 2)
        out["slope_upper"][complete] = _interp_rows(slopes, (m + c) / 2 + 1)
        out["intercept"][complete] = np.median(x - slope[:, None] * t[None, :], axis=1)
    for row in np.flatnonzero(~complete):
        r = mann_kendall(
            raw[row], alpha=alpha, hamed_rao=hamed_rao, continuity_correction=continuity_correction, max_lag=max_lag
        )
        for name in ("n", "s", "var_s", "z", "p_value", "tau", "slope", "slope_lower", "slope_upper", "intercept"):
            out[name][row] = getattr(r, name)
        out["correction"][row] = r.correction
        out["t_last"][row] = r.t_last
    return TrendBatch(hamed_rao=hamed_rao, **out)


def sustained_trend_batch(
    values: Sequence[Sequence[float]] | np.ndarray,
    worse: Sequence[str],
    *,
    alpha: float = 0.05,
    alpha_red: float = 0.01,
    unit: str = "period",
) -> list[TrendAlert | None]:
    """:class:`.trend.SustainedTrend` (``last`` = the row length) on every row; ``None`` where no alert.

    Returns the same :class:`TrendAlert` (result, severity, explanation) as
    ``SustainedTrend(last=n, worse=worse[i], alpha=alpha, alpha_red=alpha_red, unit=unit).fit(row).detect()``
    for the rows that raise an alert (amber or red), and ``None`` for the others — a city only stores
    alerts, so their sentences are not built for the rest.
    """
    worse = list(worse)
    if any(w not in ("higher", "lower") for w in worse):
        raise ValueError("worse must be 'higher' or 'lower'")
    if not 0 < alpha_red <= alpha < 1:
        raise ValueError("need 0 < alpha_red ≤ alpha < 1")
    batch = mann_kendall_batch(values, alpha=alpha)
    if len(worse) != len(batch):
        raise ValueError("give one 'worse' direction per row")
    higher = np.array([w == "higher" for w in worse], dtype=bool)
    bad = ((batch.slope > 0) & higher) | ((batch.slope < 0) & ~higher)
    flagged = bad & (batch.p_value < alpha)
    alerts: list[TrendAlert | None] = [None] * len(batch)
    for i in np.flatnonzero(flagged):
        r = batch.result(int(i))
        severity = "red" if r.p_value < alpha_red else "amber"
        text = (
            f"over the last {r.n} {unit}s the values are {r.direction} "
            f"(Mann-Kendall S = {r.s}, p = {r.p_value:.2g}); "
            f"Sen's slope {r.slope:+.3g} per {unit} ({100 * (1 - alpha):g}% CI {r.slope_lower:+.3g} to "
            f"{r.slope_upper:+.3g})"
            f" — a sustained trend in the worse direction ({severity})."
        )
        alerts[int(i)] = TrendAlert(result=r, severity=severity, worse=worse[int(i)], explanation=text)
    return alerts


__all__ = ["TrendBatch", "mann_kendall_batch", "sustained_trend_batch"]
