"""Sustained trends: the Mann–Kendall test with Sen's slope over the last N periods.

Method
------
For values ``x_1 … x_n`` (in time order; missing values are dropped, their times kept for the slope):

- ``S = Σ_{i<j} sign(x_j − x_i)`` (Mann 1945; Kendall 1975);
- ``Var(S) = [n(n−1)(2n+5) − Σ_p t_p(t_p−1)(2t_p+5)] / 18`` with ``t_p`` the size of the p-th group of
  tied values;
- ``Z = (S − 1)/√Var(S)`` if ``S > 0``, ``(S + 1)/√Var(S)`` if ``S < 0``, else 0 (continuity correction,
  optional); two-sided ``p = 2(1 − Φ(|Z|))``; Kendall's ``τ = S / (n(n−1)/2)``;
- optionally the Hamed & Rao (1998) correction for autocorrelation: ``Var*(S) = Var(S) · n/n*`` with
  ``n/n* = 1 + 2/(n(n−1)(n−2)) Σ_i (n−i)(n−i−1)(n−i−2) ρ_i`` over the lags ``i`` whose autocorrelation
  ``ρ_i`` of the ranks of the Sen-detrended series is significant at 5 %;
- Sen's (1968) slope: the median of ``(x_j − x_i)/(t_j − t_i)`` over all pairs, with the confidence
  interval of Gilbert (1987, §16.5): ranks ``(N' ∓ z_{1−α/2}√Var(S))/2`` (and ``+1`` for the upper end)
  among the ``N'`` ordered pairwise slopes.

A **sustained-trend alert** is raised when ``p < alpha`` (amber, 0.05) or ``p < alpha_red`` (red,
0.01) *and* the slope points in the direction that is worse for the indicator.

References
----------
Mann, H.B. (1945). Nonparametric tests against trend. *Econometrica* 13, 245–259.
Kendall, M.G. (1975). *Rank Correlation Methods*, 4th ed. Griffin.
Sen, P.K. (1968). Estimates of the regression coefficient based on Kendall's tau. *JASA* 63, 1379–1389.
Gilbert, R.O. (1987). *Statistical Methods for Environmental Pollution Monitoring*. Van Nostrand
Reinhold, ch. 16.
Hamed, K.H. & Rao, A.R. (1998). A modified Mann-Kendall trend test for autocorrelated data. *Journal of
Hydrology* 204, 182–196.

Examples
--------
>>> r = mann_kendall([1, 2, 3, 4, 5])
>>> r.s, round(r.var_s, 3), round(r.z, 4), round(r.p_value, 4), r.slope
(10, 16.667, 2.2045, 0.0275, 1.0)
>>> detector = SustainedTrend(last=12, worse="higher").fit([5, 6, 6, 7, 8, 8, 9, 11, 12, 12, 14, 15])
>>> detector.detect().severity
'red'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class TrendResult:
    n: int
    s: int
    var_s: float
    z: float
    p_value: float  # two-sided
    tau: float
    slope: float  # Sen's slope, per period
    slope_lower: float
    slope_upper: float
    intercept: float  # Sen's intercept: median(x - slope·t), t counted from 0 at the first value
    hamed_rao: bool
    correction: float  # n/n* (1 without the Hamed–Rao correction)
    t_last: float = 0.0  # time of the last non-missing value (same origin as the intercept)

    @property
    def direction(self) -> str:
        if self.s > 0:
            return "increasing"
        if self.s < 0:
            return "decreasing"
        return "no trend"


def _tie_term(x: np.ndarray) -> float:
    _, counts = np.unique(x, return_counts=True)
    counts = counts[counts > 1].astype(float)
    return float(np.sum(counts * (counts - 1) * (2 * counts + 5)))


def _mk_s(x: np.ndarray) -> int:
    diff = x[None, :] - x[:, None]
    return int(np.sum(np.sign(diff[np.triu_indices(len(x), 1)])))


def _pair_slopes(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(len(x), 1)
    return np.sort((x[j] - x[i]) / (t[j] - t[i]))


def _acf(x: np.ndarray, nlags: int) -> np.ndarray:
    d = x - x.mean()
    denom = float(np.dot(d, d))
    if denom == 0:
        return np.zeros(nlags + 1)
    return np.array([1.0] + [float(np.dot(d[: len(d) - k], d[k:])) / denom for k in range(1, nlags + 1)])


def mann_kendall(
    values: Sequence[float] | np.ndarray,
    *,
    alpha: float = 0.05,
    hamed_rao: bool = False,
    continuity_correction: bool = True,
    max_lag: int | None = None,
) -> TrendResult:
    """The Mann–Kendall test and Sen's slope for one series (NaN = missing; needs 3+ values).

    ``alpha`` sets the width of Sen's confidence interval (``1 − alpha``); ``max_lag`` caps the lags
    used by the Hamed–Rao correction (default: all).
    """
    raw = np.asarray(values, dtype=float)
    t = np.arange(len(raw), dtype=float)
    ok = np.isfinite(raw)
    x, t = raw[ok], t[ok]
    n = len(x)
    if n < 3:
        raise ValueError("the Mann-Kendall test needs at least 3 values")
    s = _mk_s(x)
    var_s = (n * (n - 1) * (2 * n + 5) - _tie_term(x)) / 18.0
    slopes = _pair_slopes(t, x)
    slope = float(np.median(slopes))
    correction = 1.0
    if hamed_rao and n > 3:
        ranks = stats.rankdata(x - slope * t)
        lags = n - 1 if max_lag is None else min(int(max_lag), n - 1)
        rho = _acf(ranks, lags)
        bound = stats.norm.ppf(0.975) / math.sqrt(n)
        i = np.arange(1, lags + 1)
        significant = np.abs(rho[1:]) > bound
        total = np.sum(((n - i) * (n - i - 1) * (n - i - 2) * rho[1:])[significant])
        correction = 1 + 2 * total / (n * (n - 1) * (n - 2))
        if correction <= 0:  # a degenerate estimate: fall back to the uncorrected variance
            correction = 1.0
        var_s *= correction
    sd = math.sqrt(var_s) if var_s > 0 else 0.0
    shift = 1 if continuity_correction else 0
    z = 0.0 if sd == 0 or s == 0 else (s - math.copysign(shift, s)) / sd
    p_value = float(2 * stats.norm.sf(abs(z)))
    c = stats.norm.ppf(1 - alpha / 2) * sd
    m = len(slopes)
    ranks_1based = np.arange(1, m + 1)
    lower = float(np.interp((m - c) / 2, ranks_1based, slopes))
    upper = float(np.interp((m + c) / 2 + 1, ranks_1based, slopes))
    intercept = float(np.median(x - slope * t))
    tau = s / (n * (n - 1) / 2)
    return TrendResult(
        n, s, var_s, z, p_value, tau, slope, lower, upper, intercept, hamed_rao, correction, float(t[-1])
    )


@dataclass(frozen=True)
class TrendAlert:
    result: TrendResult
    severity: str | None  # "amber" | "red" | None
    worse: str
    explanation: str

    @property
    def alert(self) -> bool:
        return self.severity is not None


class SustainedTrend:
    """Alert on a significant monotonic trend in the worse direction over the last ``last`` periods.

    Parameters
    ----------
    last : int
        Number of most recent periods tested (12).
    worse : {"higher", "lower"}
        Which direction is bad for the indicator.
    alpha, alpha_red : float
        Two-sided significance levels for amber (0.05) and red (0.01).
    hamed_rao : bool
        Correct the variance for autocorrelation (Hamed & Rao 1998); off by default.
    unit : str
        Name of one period in the explanation ("period", "week", "month").
    """

    def __init__(
        self,
        last: int = 12,
        *,
        worse: str = "higher",
        alpha: float = 0.05,
        alpha_red: float = 0.01,
        hamed_rao: bool = False,
        unit: str = "period",
    ) -> None:
        self.last = last
        self.worse = worse
        self.alpha = alpha
        self.alpha_red = alpha_red
        self.hamed_rao = hamed_rao
        self.unit = unit

    def fit(self, values: Sequence[float] | np.ndarray) -> SustainedTrend:
        if self.worse not in ("higher", "lower"):
            raise ValueError("worse must be 'higher' or 'lower'")
        if not 0 < self.alpha_red <= self.alpha < 1:
            raise ValueError("need 0 < alpha_red ≤ alpha < 1")
        if self.last < 3:
            raise ValueError("last must be at least 3")
        self.values_ = np.array(values, dtype=float, copy=True)[-int(self.last) :]
        return self

    def detect(self) -> TrendAlert:
        r = mann_kendall(self.values_, alpha=self.alpha, hamed_rao=self.hamed_rao)
        bad = (r.slope > 0 and self.worse == "higher") or (r.slope < 0 and self.worse == "lower")
        severity = None
        if bad and r.p_value < self.alpha_red:
            severity = "red"
        elif bad and r.p_value < self.alpha:
            severity = "amber"
        text = (
            f"over the last {r.n} {self.unit}s the values are {r.direction} "
            f"(Mann-Kendall S = {r.s}, p = {r.p_value:.2g}); "
            f"Sen's slope {r.slope:+.3g} per {self.unit} ({100 * (1 - self.alpha):g}% CI {r.slope_lower:+.3g} to "
            f"{r.slope_upper:+.3g})"
        )
        if severity:
            text += f" — a sustained trend in the worse direction ({severity})."
        elif bad:
            text += " — in the worse direction but not statistically clear."
        else:
            text += " — no sustained worsening."
        return TrendAlert(result=r, severity=severity, worse=self.worse, explanation=text)
