"""The naive "mean + 2 SD" rule, kept as the comparison baseline for the Farrington detector.

Method
------
For period ``t0`` take the ``baseline`` periods that end ``guard`` periods before it (default: the
previous 52 weeks / 24 months, no guard), compute their mean ``m`` and sample standard deviation ``s``
and flag ``t0`` when the count exceeds ``m + k·s`` (``k = 2``; red). The amber line is ``m + k_amber·s``
(``k_amber = 1.5``). This is what many dashboards do; it ignores seasonality, trend, the skewness of
small counts and past outbreaks in the baseline, which is why we benchmark Farrington against it
(``bench/bench_early_warning.py``). ``p_value`` is the normal tail ``P(Z ≥ (y − m)/s)``.

References
----------
Shewhart, W.A. (1931). *Economic Control of Quality of Manufactured Product*. Van Nostrand (control
limits at the mean plus a multiple of the standard deviation).

Noufaily, A. et al. (2013). *Statistics in Medicine* 32(7), 1206–1222 (why the naive rule is not enough
for seasonal, overdispersed counts).

Examples
--------
>>> counts = [10, 12, 9, 11, 10, 13, 9, 10, 11, 12, 30]
>>> d = NaiveMeanSD("week", baseline=10).fit(counts).detect().detections[-1]
>>> round(d.expected, 1), round(d.upper, 1), d.alarm
(10.7, 13.4, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from safercities.analytics.early_warning.detection import (
    INSUFFICIENT_HISTORY,
    NO_OBSERVATION,
    Detection,
    DetectionResult,
    describe_exceedance,
)
from safercities.analytics.early_warning.series import CountSeries, as_count_series, check_frequency, resolve_positions

METHOD = "mean-plus-2sd"
DEFAULT_BASELINE = {"week": 52, "month": 24}


class NaiveMeanSD:
    """Flag a period whose count exceeds the recent mean by more than ``k`` standard deviations.

    Parameters
    ----------
    frequency : {"week", "month"}
    baseline : int, optional
        Number of past periods in the baseline: 52 weeks / 24 months.
    guard : int
        Periods skipped between the baseline and the evaluated period (0).
    k, k_amber : float
        Multiples of the standard deviation for the red (2) and amber (1.5) lines.
    """

    def __init__(
        self,
        frequency: str = "week",
        *,
        baseline: int | None = None,
        guard: int = 0,
        k: float = 2.0,
        k_amber: float = 1.5,
    ) -> None:
        self.frequency = frequency
        self.baseline = baseline
        self.guard = guard
        self.k = k
        self.k_amber = k_amber

    def _resolved(self) -> int:
        check_frequency(self.frequency)
        n = DEFAULT_BASELINE[self.frequency] if self.baseline is None else int(self.baseline)
        if n < 3 or self.guard < 0 or not 0 < self.k_amber <= self.k:
            raise ValueError("need baseline ≥ 3, guard ≥ 0 and 0 < k_amber ≤ k")
        return n

    def fit(self, counts: pd.Series | Sequence[float] | np.ndarray) -> NaiveMeanSD:
        self._resolved()
        self.series_ = as_count_series(counts, self.frequency)
        return self

    def detect(self, last: int | None = 1, positions: Sequence[int] | None = None) -> DetectionResult:
        n = self._resolved()
        series = self.series_
        params = (
            ("frequency", self.frequency),
            ("baseline", n),
            ("guard", self.guard),
            ("k", self.k),
            ("k_amber", self.k_amber),
        )
        found = tuple(self._evaluate(series, k, n) for k in resolve_positions(series, last, positions))
        return DetectionResult(method=METHOD, parameters=params, detections=found)

    def _evaluate(self, series: CountSeries, t0: int, n: int) -> Detection:
        observed = series.values[t0]
        end = t0 - self.guard  # exclusive
        window = series.values[max(0, end - n) : max(0, end)]
        window = window[~np.isnan(window)]
        unit = series.frequency
        reason, text = None, ""
        if np.isnan(observed):
            reason, text = NO_OBSERVATION, f"no count was reported for this {unit}."
        elif end - n < 0 or 2 * len(window) < n:
            reason, text = INSUFFICIENT_HISTORY, f"insufficient history: the rule needs {n} past {unit}s."
        if reason is not None:
            return Detection(
                period=series.labels[t0],
                position=t0,
                observed=None if np.isnan(observed) else float(observed),
                expected=None,
                upper=None,
                upper_amber=None,
                alarm=False,
                severity=None,
                p_value=None,
                explanation=text,
                method=METHOD,
                reason=reason,
            )
        mean = float(window.mean())
        sd = float(window.std(ddof=1))
        upper, upper_amber = mean + self.k * sd, mean + self.k_amber * sd
        y = float(observed)
        # With no variation at all, anything above the mean is "infinitely" unusual.
        p_value = float(stats.norm.sf((y - mean) / sd)) if sd > 0 else float(y <= mean)
        severity = "red" if y > upper else "amber" if y > upper_amber else None
        alpha = float(stats.norm.sf(self.k))
        alpha_amber = float(stats.norm.sf(self.k_amber))
        explanation = describe_exceedance(
            observed=y,
            expected=mean,
            upper=upper,
            upper_amber=upper_amber,
            severity=severity,
            p_value=p_value,
            alpha=round(alpha, 3),
            alpha_amber=round(alpha_amber, 3),
            baseline=f"mean and standard deviation ({sd:.1f}) of the previous {len(window)} {unit}s",
        )
        return Detection(
            period=series.labels[t0],
            position=t0,
            observed=y,
            expected=mean,
            upper=upper,
            upper_amber=upper_amber,
            alarm=severity == "red",
            severity=severity,
            p_value=p_value if math.isfinite(p_value) else None,
            explanation=explanation,
            method=METHOD,
            n_reference=len(window),
        )
