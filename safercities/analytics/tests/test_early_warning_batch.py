"""The batched Farrington evaluator gives the single-series results, series by series and period by period."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import safercities.analytics.early_warning.batch as batch_module
from safercities.analytics.early_warning import Farrington, farrington_batch
from safercities.analytics.early_warning.batch import _near_tie, _near_tie_significant
from safercities.analytics.early_warning.farrington import shown_expected

NUMBERS = ("observed", "expected", "upper", "upper_amber", "p_value", "phi", "trend_coefficient")


def differences(single, batched) -> list[tuple[str, object, object]]:
    """Fields that differ: numbers beyond 1e-6 relative, anything else at all (text, flags, severity)."""
    out = []
    for field in single.__dataclass_fields__:
        a, b = getattr(single, field), getattr(batched, field)
        if field in NUMBERS and a is not None and b is not None:
            if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12):
                out.append((field, a, b))
        elif a != b:
            out.append((field, a, b))
    return out


def random_counts(seed: int, n_series: int, n_periods: int, frequency: str) -> pd.DataFrame:
    """Poisson and negative-binomial series, with trend, seasonality, zeros, outbreaks, short histories,
    NaN gaps, all-zero and constant series."""
    rng = np.random.default_rng(seed)
    per_year = 12 if frequency == "month" else 52
    t = np.arange(n_periods)
    rows = []
    for _ in range(n_series):
        level = rng.choice([0.05, 0.3, 1.0, 3.0, 10.0, 40.0])
        slope = rng.choice([0.0, 0.0, 0.01, -0.01]) * 12 / per_year
        amplitude = rng.choice([0.0, 0.5])
        mu = level * np.exp(slope * (t - n_periods) + amplitude * np.sin(2 * np.pi * t / per_year))
        if rng.random() < 0.5:
            y = rng.poisson(mu).astype(float)
        else:
            phi = rng.choice([1.5, 3.0])
            y = rng.negative_binomial(mu / (phi - 1), 1 / phi).astype(float)
        if rng.random() < 0.2:  # an outbreak in the last 30 periods
            start = rng.integers(n_periods - 30, n_periods)
            y[start : start + 3] += rng.poisson(5 * np.sqrt(level) + 3, size=len(y[start : start + 3]))
        if rng.random() < 0.1:  # a short history
            y[: rng.integers(0, n_periods)] = np.nan
        if rng.random() < 0.1:  # gaps
            y[rng.integers(0, n_periods, size=4)] = np.nan
        if rng.random() < 0.05:
            y[:] = 0
        if rng.random() < 0.03:
            y[:] = 7
        rows.append(y)
    if frequency == "month":
        columns = pd.period_range("2015-01", periods=n_periods, freq="M").strftime("%Y-%m")
    else:
        columns = pd.date_range("2015-01-05", periods=n_periods, freq="7D")
    return pd.DataFrame(rows, columns=columns, index=[f"area-{i}" for i in range(n_series)])


def assert_same_as_single(counts: pd.DataFrame, frequency: str, last: int, **parameters) -> int:
    """Compare every series and period; return how many periods were actually evaluated."""
    before = counts.copy()
    results = farrington_batch(counts, frequency, last=last, **parameters)
    pd.testing.assert_frame_equal(counts, before)  # inputs are never mutated
    assert len(results) == len(counts)
    evaluated = 0
    for i, (_, row) in enumerate(counts.iterrows()):
        single = Farrington(frequency, **parameters).fit(row).detect(last=last)
        assert results[i].parameters == single.parameters
        assert len(results[i].detections) == len(single.detections)
        for a, b in zip(single.detections, results[i].detections, strict=True):
            assert differences(a, b) == [], (i, a.period)
            evaluated += a.evaluated
    return evaluated


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_monthly_batch_equals_single(seed):
    evaluated = assert_same_as_single(random_counts(seed, 70, 84, "month"), "month", 3)
    assert evaluated > 150  # most periods are really evaluated, not skipped


@pytest.mark.slow
def test_weekly_batch_equals_single():
    evaluated = assert_same_as_single(random_counts(4, 40, 330, "week"), "week", 2)
    assert evaluated > 60


def test_shorter_reference_and_other_parameters_equal_single():
    # b = 4 years (the platform's choice with 5 years of data): baseline means are often ties like 9/12.
    counts = random_counts(5, 40, 60, "month")
    assert assert_same_as_single(counts, "month", 3, b=4) > 80
    assert assert_same_as_single(counts.iloc[:15], "month", 2, b=3, trend=False, reweight=False) > 20
    # (muan on a series whose reference windows are all 0 overflows in the single-series method too: not here)
    busy = pd.DataFrame(np.random.default_rng(6).negative_binomial(4, 0.3, size=(15, 60)), columns=counts.columns)
    assert assert_same_as_single(busy.astype(float), "month", 2, b=3, threshold_method="muan", limit54=None) == 30


def test_detects_outbreak_and_handles_special_series():
    months = pd.period_range("2018-01", periods=84, freq="M").strftime("%Y-%m")
    rng = np.random.default_rng(8)
    counts = pd.DataFrame(rng.poisson(30, size=(5, 84)), columns=months, dtype=float)
    counts.iloc[0, -1] = 90  # outbreak
    counts.iloc[1] = 0.0  # nothing ever reported
    counts.iloc[2, -1] = np.nan  # newest month missing
    counts.iloc[3, :70] = np.nan  # too short
    counts.iloc[4] = 12.0  # constant: an exact fit, handed to the single-series method
    results = farrington_batch(counts, "month", last=1)
    d = [r.detections[-1] for r in results]
    assert d[0].alarm and d[0].severity == "red" and d[0].period == "2024-12"
    assert d[1].expected == 0.0 and d[1].upper == 0.0 and not d[1].alarm
    assert d[2].reason == "no observation" and d[2].observed is None
    assert d[3].reason == "insufficient history" and d[3].expected is None
    assert d[4].phi == 1.0 and d[4].expected == pytest.approx(12.0)
    assert_same_as_single(counts, "month", 1)


def test_non_convergent_fit_falls_back_to_single(monkeypatch):
    counts = random_counts(6, 12, 84, "month")
    real_glm = batch_module._glm
    calls = []

    def failing_glm(Y, X, prior, start):
        fits = real_glm(Y, X, prior, start)
        ok = fits.ok.copy()
        ok[::2] = False  # pretend every other series did not converge
        return batch_module._GLMFits(ok, fits.params, fits.cov, fits.scale, fits.df_resid, fits.fitted)

    real_single = batch_module._single

    def spy(*args):
        calls.append(args[3])
        return real_single(*args)

    monkeypatch.setattr(batch_module, "_glm", failing_glm)
    monkeypatch.setattr(batch_module, "_single", spy)
    assert_same_as_single(counts, "month", 2)
    assert len(calls) > 0


def test_plain_array_and_validation():
    values = np.random.default_rng(2).poisson(10, size=(3, 6 * 52)).astype(float)
    results = farrington_batch(values, "week", last=2)
    for row, result in zip(values, results, strict=True):
        single = Farrington("week").fit(row).detect(last=2)
        assert [differences(a, b) for a, b in zip(single.detections, result.detections, strict=True)] == [[], []]
        assert result.detections[-1].period == str(6 * 52 - 1)
    with pytest.raises(ValueError, match="negative"):
        farrington_batch(-values, "week")
    with pytest.raises(ValueError, match="two-dimensional"):
        farrington_batch(values[0], "week")
    with pytest.raises(ValueError):
        farrington_batch(values, "day")
    with pytest.raises(ValueError, match="not regular"):
        months = pd.period_range("2018-01", periods=84, freq="M").strftime("%Y-%m")
        farrington_batch(pd.DataFrame(values[:, :84], columns=months).drop(columns=months[10]), "month")


def test_rounding_helpers():
    assert _near_tie(np.array([0.75, 0.7500000000000002, 0.74, 1.25]), 1).tolist() == [True, True, False, True]
    assert _near_tie_significant(np.array([0.0125, 0.013, 0.0]), 2).tolist() == [True, False, False]
    # The printed expected value no longer depends on the last bit of the fit.
    assert shown_expected(0.7499999999999998) == shown_expected(0.7500000000000002) == 0.75
