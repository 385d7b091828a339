"""The batched Mann–Kendall test gives, row by row, the numbers and alerts of the single-series test."""

import numpy as np
import pytest

from safercities.analytics.early_warning.trend import SustainedTrend, mann_kendall
from safercities.analytics.early_warning.trend_batch import mann_kendall_batch, sustained_trend_batch

FIELDS = ("n", "s", "var_s", "z", "p_value", "tau", "slope", "slope_lower", "slope_upper", "intercept", "t_last")


def _rows(seed: int, rows: int = 400, n: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    trend = rng.normal(0, 0.4, size=(rows, 1)) * np.arange(n)
    values = trend + rng.normal(0, 1, size=(rows, n))
    values[: rows // 4] = np.round(values[: rows // 4])  # many ties
    values[rows // 4 : rows // 3] = rng.poisson(1.0, size=(rows // 3 - rows // 4, n))  # counts, ties, zeros
    values[-3] = 5.0  # constant: S = 0, Var(S) = 0
    values[-2] = np.arange(n)  # perfect trend
    values[-1, ::2] = 1.0  # alternating ties
    return values


@pytest.mark.parametrize("n", [3, 5, 12, 24])
def test_every_row_equals_the_single_series_test(n):
    values = _rows(seed=n, n=n)
    batch = mann_kendall_batch(values)
    assert len(batch) == len(values)
    for i, row in enumerate(values):
        single = mann_kendall(row)
        got = batch.result(i)
        for name in FIELDS:
            assert getattr(got, name) == getattr(single, name), (i, name)
        assert got == single


def test_options_and_missing_values_follow_the_single_series_test():
    values = _rows(seed=7, rows=60)
    values[5, 3] = np.nan  # a missing value: delegated, times kept
    for kwargs in ({"alpha": 0.1}, {"continuity_correction": False}, {"hamed_rao": True, "max_lag": 3}):
        batch = mann_kendall_batch(values, **kwargs)
        for i, row in enumerate(values):
            assert batch.result(i) == mann_kendall(row, **kwargs), (i, kwargs)
    assert mann_kendall_batch(values).result(5).n == 11


def test_input_is_not_modified_and_bad_shapes_are_refused():
    values = _rows(seed=3, rows=20)
    copy = values.copy()
    mann_kendall_batch(values)
    np.testing.assert_array_equal(values, copy)
    with pytest.raises(ValueError, match="two-dimensional"):
        mann_kendall_batch([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least 3"):
        mann_kendall_batch([[1.0, 2.0]])


@pytest.mark.parametrize("unit", ["month", "year"])
def test_sustained_trend_alerts_equal_the_single_detector(unit):
    values = _rows(seed=11, rows=300)
    worse = ["higher" if i % 3 else "lower" for i in range(len(values))]
    alerts = sustained_trend_batch(values, worse, unit=unit)
    flagged = 0
    for i, row in enumerate(values):
        single = SustainedTrend(last=len(row), worse=worse[i], unit=unit).fit(row).detect()
        if single.severity is None:
            assert alerts[i] is None, i
        else:
            flagged += 1
            assert alerts[i] == single, i
    assert flagged > 20  # the data has real trends in both directions
    assert {a.severity for a in alerts if a} == {"amber", "red"}


def test_sustained_trend_batch_checks_its_arguments():
    with pytest.raises(ValueError, match="worse"):
        sustained_trend_batch([[1, 2, 3]], ["up"])
    with pytest.raises(ValueError, match="one 'worse'"):
        sustained_trend_batch([[1, 2, 3], [3, 2, 1]], ["higher"])
    with pytest.raises(ValueError, match="alpha_red"):
        sustained_trend_batch([[1, 2, 3]], ["higher"], alpha=0.01, alpha_red=0.05)
