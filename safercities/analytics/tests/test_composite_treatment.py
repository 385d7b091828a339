"""Skewness treatment: COINr's winsorise-then-log rule."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from safercities.analytics.composite import (
    IndexDefinition,
    IndicatorSpec,
    TreatmentConfig,
    compute_index,
    kurtosis,
    skewness,
    treat_indicator,
)


def test_skewness_and_kurtosis_match_the_type_2_estimators():
    # Reference: e1071/Excel type-2 estimators (COINr skew/kurt) = scipy.stats with bias=False.
    x = np.random.default_rng(5).lognormal(0, 1, 50)
    assert skewness(x) == pytest.approx(stats.skew(x, bias=False))
    assert kurtosis(x) == pytest.approx(stats.kurtosis(x, fisher=True, bias=False))
    assert skewness(np.append(x, np.nan)) == pytest.approx(skewness(x))  # NaN ignored


def test_single_outlier_is_winsorised():
    # Reference: COINr winsorise() example x = c(1:10, 30, 100): skew 3.06, kurtosis 9.74 fail the rule;
    # replacing 100 by the next value, 30, gives skew 1.71 < 2 → passes after one point.
    x = np.array([*range(1, 11), 30.0, 100.0])
    treated, record = treat_indicator(x, TreatmentConfig(), "x")
    assert record.action == "winsorised" and record.points == 1
    assert record.skew_before == pytest.approx(3.0632, abs=1e-4)
    assert record.kurtosis_before == pytest.approx(9.7414, abs=1e-4)
    assert treated[-1] == 30.0 and treated[-2] == 30.0
    assert x[-1] == 100.0  # input untouched


def test_lognormal_column_is_log_transformed_and_order_kept():
    # Reference: COINr Treat() — winsorising 5 points cannot tame a lognormal(0, 1) sample of 200
    # (skew ≈ 5.7), so the original is log-transformed with log(x − min + 0.01·range); the result
    # passes (|skew| < 2) and keeps the order of the areas.
    x = np.random.default_rng(3).lognormal(0, 1, 200)
    treated, record = treat_indicator(x, TreatmentConfig(), "y")
    assert record.action == "log"
    assert abs(record.skew_after) < 2
    offset = 0.01 * (x.max() - x.min())
    assert np.allclose(treated, np.log(x - x.min() + offset))
    assert stats.spearmanr(x, treated).statistic == pytest.approx(1.0)


def test_left_skew_is_mirrored():
    # Reference: our extension of log_CT (methodology §2) — −log(max − x + c) for left skew, order kept.
    x = -np.random.default_rng(3).lognormal(0, 1, 200)
    treated, record = treat_indicator(x, TreatmentConfig(), "y")
    assert record.action == "log" and record.skew_before < -2
    assert stats.spearmanr(x, treated).statistic == pytest.approx(1.0)


def test_symmetric_data_and_small_samples_are_left_alone():
    # Reference: COINr check_SkewKurt — a normal sample passes; fewer than min_values values are skipped.
    normal = np.random.default_rng(1).normal(size=100)
    assert treat_indicator(normal, TreatmentConfig())[1].action == "none"
    assert treat_indicator(np.array([1.0, 2, 3, 1000]), TreatmentConfig())[1].action == "skipped"
    disabled = treat_indicator(np.random.default_rng(3).lognormal(0, 1, 200), TreatmentConfig(enabled=False))
    assert disabled[1].action == "skipped"


def test_index_records_treatments_and_skips_goalposted_indicators():
    # Reference: methodology §2 — treated indicators are listed; goalposts/targets are never treated.
    rng = np.random.default_rng(8)
    data = pd.DataFrame({"skewed": rng.lognormal(0, 1, 100), "fixed": rng.lognormal(0, 1, 100)})
    specs = {
        "skewed": IndicatorSpec("health", True),
        "fixed": IndicatorSpec("personal", True, goalposts=(0, 10)),
    }
    result = compute_index(data, specs)
    actions = {t.indicator: t.action for t in result.treatments}
    assert actions["fixed"] == "skipped"
    assert actions["skewed"] in ("winsorised", "log")
    assert [t.indicator for t in result.treated] == ["skewed"]
    untreated = compute_index(data, specs, IndexDefinition(treatment=TreatmentConfig(enabled=False)))
    # Either treatment spreads the crowded bottom of the distribution: the median area moves up the 0–10 scale.
    assert result.normalised["skewed"].median() > untreated.normalised["skewed"].median()
