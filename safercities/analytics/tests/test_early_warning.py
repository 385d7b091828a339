"""Tests of the Farrington detector, the naive rule, thresholds and alert candidates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from safercities.analytics.early_warning import (
    AlertCandidate,
    Farrington,
    NaiveMeanSD,
    ThresholdRule,
    deduplicate,
    from_detections,
    from_threshold,
)
from safercities.analytics.early_warning.farrington import (
    anscombe_residuals,
    noufaily_threshold,
    reweighting_weights,
    seasonal_blocks,
)
from safercities.analytics.early_warning.simulate import outbreak_cases


def poisson_series(seed: int, n: int = 6 * 52, lam: float = 10.0) -> np.ndarray:
    return np.random.default_rng(seed).poisson(lam, size=n).astype(float)


# --- surveillance's published unit-test vectors -------------------------------------------------------


def test_weights_all_below_threshold_are_one():
    # Reference: R surveillance tests/testthat/test-farringtonFlexible.R, "gamma = 1 if everything below the threshold"
    assert reweighting_weights(np.zeros(10), threshold=0).tolist() == [1.0] * 10


def test_weights_case_checked_by_hand():
    # Reference: R surveillance tests/testthat/test-farringtonFlexible.R, "A case that was checked by hand"
    s = np.array([0.0] * 5 + [2.0] * 5)
    w = reweighting_weights(s, threshold=0)
    np.testing.assert_allclose(w[:5], 1.6)
    np.testing.assert_allclose(w[5:], 0.4)
    assert w.sum() == pytest.approx(10)


@pytest.mark.parametrize(
    ("phi", "method", "expected"),
    [
        # Reference: R surveillance tests/testthat/test-farringtonFlexible.R, "THRESHOLD FUNCTION NOUFAILY"
        # (predFit = log 5, predSeFit = log 2, alpha = 0.05, y = 11): (lower, upper, P(Y >= y))
        (1.5, "muan", (8.0, 24.0, 0.8597797)),
        (1.0, "muan", (9.0, 22.0, 0.9093099)),
        (1.5, "nbPlugin", (1.0, 10.0, 0.03763657)),
        (1.0, "nbPlugin", (2.0, 9.0, 0.01369527)),
    ],
)
def test_noufaily_threshold_matches_surveillance(phi, method, expected):
    lower, upper, prob = noufaily_threshold(math.log(5), math.log(2), phi, 0.05, 11, method)
    assert (lower, upper) == expected[:2]
    assert prob == pytest.approx(expected[2], abs=1e-6)


def test_anscombe_residuals_zero_for_perfect_fit():
    # Reference: R surveillance test "residuals should be zero" (y equal to the fitted means)
    mu = np.array([1.0, 2.7, 7.4, 20.1])
    assert np.allclose(anscombe_residuals(mu, mu, np.full(4, 0.25), 1.0), 0)


@pytest.mark.parametrize("p", [1, 8])
def test_seasonal_blocks_window_length_and_levels(p):
    # Reference: R surveillance "BLOCKS FUNCTION" tests: the windows hold w+1+b(2w+1) points, p levels,
    # and the blocks have roughly the same length each year.
    b, w, k = 3, 3, 400
    refs = [k - 52 * j for j in range(b + 1)]
    start, levels = seasonal_blocks(refs, w, p)
    assert start == k - 52 * b - w
    assert int(np.sum(levels == p)) == w + 1 + b * (2 * w + 1)
    assert set(np.unique(levels[~np.isnan(levels)]).astype(int)) == set(range(1, p + 1))
    if p > 1:
        sizes = [int(np.sum(levels == lvl)) for lvl in range(1, p)]
        assert max(sizes) - min(sizes) <= b
        assert not np.isnan(levels).any()


def test_monthly_reference_points_one_year_apart():
    # Reference: R surveillance "We get the expected timepoints with monthly data": 48 -> 48, 36, 24, 12 (1-based)
    f = Farrington("month", b=3).fit(np.ones(60))
    assert f._references(f.series_, 47) == [47, 35, 23, 11]


# --- synthetic series with known answers ----------------------------------------------------------------


@pytest.mark.slow
def test_false_positive_rate_near_alpha_on_stationary_poisson():
    red = amber_or_red = total = 0
    for seed in range(30):
        result = Farrington("week").fit(poisson_series(seed)).detect(last=8)
        for d in result.detections:
            total += 1
            red += d.alarm
            amber_or_red += d.severity is not None
    assert total == 240
    # alpha = 0.01 (red) and 0.05 (amber); quantiles of a discrete law are conservative.
    assert red / total <= 0.03
    assert 0.005 <= amber_or_red / total <= 0.10


def test_large_injected_outbreak_is_flagged():
    y = poisson_series(7)
    y[-1] += 40  # ~ 12 SD of a Poisson(10)
    d = Farrington("week").fit(y).detect().detections[-1]
    assert d.alarm and d.severity == "red"
    assert d.observed > d.upper >= d.expected
    assert "threshold" in d.explanation and "observed" in d.explanation


def test_threshold_at_least_expected_and_p_values_valid():
    y = np.random.default_rng(3).negative_binomial(4, 0.3, size=6 * 52).astype(float)
    for d in Farrington("week").fit(y).detect(last=10).detections:
        assert d.upper >= d.expected
        assert d.upper_amber <= d.upper
        assert 0 <= d.p_value <= 1
        assert d.phi >= 1


def test_phi_one_gives_poisson_quantile():
    d = Farrington("week").fit(np.full(6 * 52, 10.0)).detect().detections[-1]
    assert d.phi == 1.0
    assert d.expected == pytest.approx(10.0)
    assert d.upper == stats.poisson.ppf(0.99, d.expected)
    assert d.upper_amber == stats.poisson.ppf(0.95, d.expected)


def test_downweighting_lowers_baseline_after_past_outbreak():
    y = poisson_series(11)
    n = len(y)
    y = y + outbreak_cases(n, n - 1 - 52, 120, rng=np.random.default_rng(5))  # same week last year
    with_rw = Farrington("week").fit(y).detect().detections[-1]
    without = Farrington("week", reweight=False).fit(y).detect().detections[-1]
    assert with_rw.expected < without.expected
    assert with_rw.upper <= without.upper


def test_trend_is_used_when_clear():
    t = np.arange(6 * 52)
    y = np.random.default_rng(2).poisson(5 * np.exp(0.004 * t)).astype(float)
    d = Farrington("week").fit(y).detect().detections[-1]
    assert d.trend_used is True and d.trend_coefficient > 0
    flat = Farrington("week", trend=False).fit(y).detect().detections[-1]
    assert d.expected > flat.expected


def test_insufficient_history_gives_no_alarm():
    y = poisson_series(1, n=3 * 52)
    y[-1] = 500
    d = Farrington("week").fit(y).detect().detections[-1]
    assert d.alarm is False and d.reason == "insufficient history"
    assert d.expected is None and "insufficient history" in d.explanation


def test_missing_observation_and_too_few_cases():
    y = poisson_series(4, lam=0.3)
    y[-2] = np.nan
    y[-5:-2] = 0
    y[-1] = 3  # 3 cases in the last 4 weeks: below the 5-in-4 rule
    out = Farrington("week").fit(y).detect(last=2).detections
    assert out[0].reason == "no observation" and not out[0].alarm
    assert out[1].reason == "too few recent cases" and not out[1].alarm
    assert out[1].upper is not None


def test_monthly_series_with_period_codes():
    codes = [f"{year}-{month:02d}" for year in range(2018, 2025) for month in range(1, 13)]
    values = np.random.default_rng(8).poisson(30, size=len(codes)).astype(float)
    values[-1] = 80
    series = pd.Series(values, index=codes)
    before = series.copy()
    result = Farrington("month").fit(series).detect(last=3)
    assert [d.period for d in result.detections] == ["2024-10", "2024-11", "2024-12"]
    assert result.detections[-1].alarm
    assert dict(result.parameters)["w"] == 1 and dict(result.parameters)["no_periods"] == 4
    pd.testing.assert_series_equal(series, before)  # inputs are never mutated


def test_weekly_dates_and_irregular_series():
    dates = pd.date_range("2018-01-01", periods=6 * 52 + 3, freq="7D")
    y = pd.Series(poisson_series(9, n=len(dates)), index=dates)
    d = Farrington("week").fit(y).detect().detections[-1]
    assert d.period == f"{dates[-1].isocalendar()[0]}W{dates[-1].isocalendar()[1]:02d}"
    with pytest.raises(ValueError, match="not regular"):
        Farrington("week").fit(y.drop(dates[100]))


@pytest.mark.parametrize(
    "kwargs", [{"frequency": "day"}, {"alpha": 0.1, "alpha_amber": 0.05}, {"threshold_method": "delta"}, {"b": 0}]
)
def test_bad_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError):
        Farrington(**kwargs).fit(np.ones(400))


def test_negative_counts_rejected():
    with pytest.raises(ValueError, match="negative"):
        Farrington().fit([1, 2, -1])


# --- naive rule -----------------------------------------------------------------------------------------


def test_naive_rule_by_hand():
    counts = [10, 12, 9, 11, 10, 13, 9, 10, 11, 12, 30]
    d = NaiveMeanSD("week", baseline=10).fit(counts).detect().detections[-1]
    window = np.array(counts[:10], dtype=float)
    assert d.expected == pytest.approx(window.mean())
    assert d.upper == pytest.approx(window.mean() + 2 * window.std(ddof=1))
    assert d.alarm and d.severity == "red"
    d2 = NaiveMeanSD("week", baseline=10).fit(counts[:-1] + [13]).detect().detections[-1]
    assert d2.severity == "amber" and not d2.alarm  # 10.7 + 1.5 × 1.34 = 12.7 < 13 < 13.4


def test_naive_insufficient_history():
    d = NaiveMeanSD("week").fit(np.ones(20)).detect().detections[-1]
    assert d.reason == "insufficient history" and not d.alarm


# --- thresholds -----------------------------------------------------------------------------------------


def test_threshold_rule_directions():
    higher = ThresholdRule(amber=12, red=20, direction="higher", unit="per 100,000")
    assert [higher.evaluate(v).severity for v in (25, 20, 15, 12, 5)] == ["red", "amber", "amber", None, None]
    lower = ThresholdRule(amber=60, red=45, direction="lower")
    assert [lower.evaluate(v).severity for v in (40, 50, 60, 70)] == ["red", "amber", None, None]
    assert ThresholdRule(red=3).evaluate(4).level == 3
    assert higher.evaluate(float("nan")).severity is None
    assert "above the red level 20" in higher.evaluate(25).explanation


@pytest.mark.parametrize(
    "kwargs",
    [{"amber": 20, "red": 12}, {"amber": 40, "red": 60, "direction": "lower"}, {}, {"red": 1, "direction": "up"}],
)
def test_threshold_rule_validation(kwargs):
    with pytest.raises(ValueError):
        ThresholdRule(**kwargs)


# --- alert candidates -----------------------------------------------------------------------------------


def test_alert_candidates_and_dedup():
    y = poisson_series(7)
    y[-1] += 40
    result = Farrington("week").fit(y).detect(last=3)
    found = from_detections("syndrome", "ward-1", result)
    assert len(found) == sum(d.severity is not None for d in result.detections)
    red = found[-1]
    assert red.severity == "red" and red.observed == result.detections[-1].observed
    assert red.dedup_key == ("syndrome", "ward-1", result.detections[-1].period, "exceedance")
    amber = AlertCandidate("syndrome", "ward-1", red.period, "exceedance", "amber", 1.0, 1.0, 1.0, "x")
    other = from_threshold("rate", "ward-2", "2024", ThresholdRule(amber=1).evaluate(2))
    kept = deduplicate([amber, None, red, other, amber])
    assert {c.dedup_key: c.severity for c in kept} == {red.dedup_key: "red", other.dedup_key: "amber"}
    assert [c.dedup_key for c in kept] == sorted(c.dedup_key for c in kept)
    assert deduplicate(reversed(kept)) == kept  # deterministic whatever the input order
    with pytest.raises(ValueError):
        AlertCandidate("a", "b", "c", "spike", "red", None, None, None, "")
