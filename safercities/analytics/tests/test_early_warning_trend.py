"""Mann–Kendall and Sen's slope against hand-computed values and scipy's Kendall tau."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from safercities.analytics.early_warning import SustainedTrend, from_trend, mann_kendall


def test_strictly_increasing_five_values():
    # Reference: hand computation with Mann (1945) / Kendall (1975): S = 10, Var(S) = 5·4·15/18 = 16.667,
    # Z = (10 − 1)/4.0825 = 2.2045, p = 0.0275; Sen's slope = median of all pairwise slopes = 1.
    r = mann_kendall([1, 2, 3, 4, 5])
    assert r.s == 10 and r.tau == 1.0
    assert r.var_s == pytest.approx(16.6667, abs=1e-4)
    assert r.z == pytest.approx(2.2045, abs=1e-4)
    assert r.p_value == pytest.approx(0.0275, abs=1e-4)
    assert r.slope == 1.0 and r.direction == "increasing"


def test_ties_by_hand():
    # Reference: hand computation, Kendall (1975) tie correction: x = 1, 1, 2, 3 → S = 5,
    # Var(S) = (4·3·13 − 2·1·9)/18 = 7.6667, Z = 4/√7.6667 = 1.4446; pairwise slopes 0, ½, ⅔, 1, 1, 1 →
    # Sen's slope = (⅔ + 1)/2 = 0.8333.
    r = mann_kendall([1, 1, 2, 3])
    assert r.s == 5
    assert r.var_s == pytest.approx(7.6667, abs=1e-4)
    assert r.z == pytest.approx(1.4446, abs=1e-4)
    assert r.slope == pytest.approx(5 / 6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equivalence_with_scipy_kendalltau(seed):
    # Reference: without ties S = τ·n(n−1)/2 (Kendall 1975), and scipy's asymptotic Kendall test uses the
    # same variance, so Z without continuity correction and the p-value agree.
    x = np.random.default_rng(seed).normal(size=25) + 0.05 * np.arange(25)
    r = mann_kendall(x, continuity_correction=False)
    tau, p = stats.kendalltau(np.arange(25), x, method="asymptotic")
    assert r.s == round(tau * 25 * 24 / 2)
    assert r.p_value == pytest.approx(p, rel=1e-9)


def test_equivalence_with_scipy_when_values_tie():
    # Reference: with ties in x only, scipy's tau-b variance reduces to the Mann–Kendall tie-corrected variance.
    x = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9], dtype=float)
    r = mann_kendall(x, continuity_correction=False)
    _, p = stats.kendalltau(np.arange(len(x)), x, method="asymptotic")
    assert r.p_value == pytest.approx(p, rel=1e-9)


def test_missing_values_are_dropped_but_time_kept():
    r = mann_kendall([1, np.nan, 3, 4])
    assert r.n == 3 and r.slope == 1.0
    with pytest.raises(ValueError):
        mann_kendall([1, np.nan])


def test_sen_interval_contains_slope():
    x = 2.0 + 0.5 * np.arange(30) + np.random.default_rng(4).normal(0, 2, 30)
    r = mann_kendall(x)
    assert r.slope_lower <= r.slope <= r.slope_upper
    assert r.slope_lower < 0.5 < r.slope_upper


def test_hamed_rao_inflates_variance_for_autocorrelated_series():
    rng = np.random.default_rng(0)
    e = np.zeros(60)
    for i in range(1, 60):
        e[i] = 0.8 * e[i - 1] + rng.normal()
    x = 0.05 * np.arange(60) + e
    plain = mann_kendall(x)
    corrected = mann_kendall(x, hamed_rao=True)
    assert corrected.s == plain.s
    assert corrected.correction > 1 and corrected.var_s > plain.var_s
    assert corrected.p_value > plain.p_value


def test_sustained_trend_alert_only_in_worse_direction():
    rising = [5, 6, 6, 7, 8, 8, 9, 11, 12, 12, 14, 15]
    up = SustainedTrend(last=12, worse="higher").fit(rising).detect()
    assert up.severity == "red" and "worse direction" in up.explanation
    good_news = SustainedTrend(last=12, worse="lower").fit(rising).detect()
    assert good_news.severity is None
    noise = SustainedTrend(last=12).fit([5, 7, 6, 5, 7, 6, 5, 6, 7, 5, 6, 6]).detect()
    assert noise.severity is None
    candidate = from_trend("16.1.1", "ward-1", "2024-12", up)
    assert candidate.kind == "trend" and candidate.expected == pytest.approx(up.result.intercept + up.result.slope * 11)
    assert from_trend("16.1.1", "ward-1", "2024-12", noise) is None
    with pytest.raises(ValueError):
        SustainedTrend(worse="up").fit(rising)
