"""Monte Carlo uncertainty and sensitivity of the index ranks (Saisana, Saltelli & Tarantola 2005)."""

import numpy as np
import pandas as pd
import pytest

from safercities.analytics.composite import (
    DIMENSIONS,
    IndexDefinition,
    IndicatorSpec,
    UncertaintyConfig,
    assess_uncertainty,
    compute_index,
)


def _case(n_areas=60, seed=0):
    # One latent factor plus noise: areas differ clearly, so ranks are meaningful but not fixed.
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n_areas)
    columns, specs = {}, {}
    for d, dimension in enumerate(DIMENSIONS):
        for j in range(3):
            code = f"{dimension[:3]}{j}"
            worse = (d + j) % 2 == 0
            values = 50 + 10 * (latent if worse else -latent) + 8 * rng.normal(size=n_areas)
            values[rng.random(n_areas) < 0.05] = np.nan
            columns[code] = values
            specs[code] = IndicatorSpec(dimension, worse)
    return pd.DataFrame(columns, index=[f"z{i:03d}" for i in range(n_areas)]), specs


DATA, SPECS = _case()


def test_interval_contains_the_nominal_rank():
    # Reference: Saisana et al. (2005) §4 — the nominal ranking is one of the sampled configurations'
    # neighbourhood; on well-correlated data every nominal rank lies in its 90 % interval.
    u = assess_uncertainty(DATA, SPECS, config=UncertaintyConfig(n_draws=300), seed=1)
    scored = u.nominal_rank.notna()
    assert scored.all()
    assert ((u.rank_low <= u.nominal_rank) & (u.nominal_rank <= u.rank_high))[scored].all()
    assert (u.rank_low <= u.median_rank).all() and (u.median_rank <= u.rank_high).all()
    assert (u.rank_high - u.rank_low).max() > 0  # the perturbation does move ranks
    assert u.rank_draws.shape == (60, 300)
    assert set(u.choices["normalisation"]) == {"minmax", "zscore"}


def test_zero_perturbation_gives_a_degenerate_interval():
    # Reference: definition — with no choice varied every draw is the nominal index, so the interval
    # collapses to the nominal rank and the scores to the nominal score; no choice has any effect.
    for definition in (IndexDefinition(), IndexDefinition(normalisation="zscore", aggregation="arithmetic")):
        nominal = compute_index(DATA, SPECS, definition)
        u = assess_uncertainty(DATA, SPECS, definition, UncertaintyConfig.fixed(definition, n_draws=20), seed=3)
        assert (u.rank_low == nominal.ranks).all() and (u.rank_high == nominal.ranks).all()
        assert np.allclose(u.score_low, nominal.scores) and np.allclose(u.score_high, nominal.scores)
        assert np.all(u.average_shift == 0)
        assert (u.sensitivity["first_order"] == 0).all()


def test_same_seed_same_result_different_seed_different_draws():
    # Reference: STYLE.md — explicit seeds make every stochastic result reproducible.
    config = UncertaintyConfig(n_draws=100)
    a = assess_uncertainty(DATA, SPECS, config=config, seed=11)
    b = assess_uncertainty(DATA, SPECS, config=config, seed=11)
    c = assess_uncertainty(DATA, SPECS, config=config, seed=12)
    assert np.array_equal(a.rank_draws, b.rank_draws)
    pd.testing.assert_frame_equal(a.sensitivity, b.sensitivity)
    assert not np.array_equal(a.rank_draws, c.rank_draws)


def test_only_aggregation_varies_explains_all_the_rank_shift():
    # Reference: hand derivation of the first-order index S = Var(E[R̄s|X]) / Var(R̄s) — when the draws
    # differ only in the aggregation, R̄s is 0 in every geometric (nominal) draw and one fixed positive
    # value in every arithmetic draw: all variance is between the two groups, S = 1.
    config = UncertaintyConfig(n_draws=50, weight_spread=0.0, normalisations=("minmax",), imputations=("none",))
    u = assess_uncertainty(DATA, SPECS, config=config, seed=5)
    arithmetic = u.choices["aggregation"] == "arithmetic"
    assert np.all(u.average_shift[~arithmetic.to_numpy()] == 0)
    assert np.all(u.average_shift[arithmetic.to_numpy()] > 0)
    assert u.sensitivity.loc["aggregation", "first_order"] == pytest.approx(1.0)
    assert u.sensitivity.loc["normalisation", "first_order"] == 0.0
    assert u.sensitivity.index[0] == "aggregation"
    assert u.shift_by_level["aggregation"]["geometric"] == 0.0


def test_weight_perturbation_alone_is_picked_up():
    # Reference: Saisana et al. (2005) — with only the weights perturbed, larger departures from the
    # nominal weights shift ranks more (positive rank correlation), and the binned first-order index
    # of the weights is well above its ≈ (bins − 1)/draws bias.
    config = UncertaintyConfig(
        n_draws=400, weight_spread=0.5, normalisations=("minmax",), imputations=("none",), aggregations=("geometric",)
    )
    u = assess_uncertainty(DATA, SPECS, config=config, seed=9)
    assert u.sensitivity.loc["weights", "correlation"] > 0.3
    assert u.sensitivity.loc["weights", "first_order"] > 0.1
    assert u.sensitivity.index[0] == "weights"


def test_unscored_areas_have_no_interval():
    # Reference: INFORM rule — an area without enough dimensions has no score, so no rank and no interval.
    data = DATA.copy()
    data.loc["z000", [c for c in data.columns if not c.startswith(("eco", "foo"))]] = np.nan
    u = assess_uncertainty(data, SPECS, config=UncertaintyConfig(n_draws=30), seed=2)
    assert pd.isna(u.nominal_rank["z000"]) and pd.isna(u.rank_low["z000"]) and np.isnan(u.median_rank["z000"])
    assert u.rank_high.dropna().max() <= 59
    records = {r["code"]: r for r in compute_index(data, SPECS).records(u)}
    assert records["z000"]["rank_interval"] is None
    assert records["z001"]["rank_interval"] == [int(u.rank_low["z001"]), int(u.rank_high["z001"])]


@pytest.mark.slow
def test_full_size_run_has_the_expected_shapes():
    # Reference: task statement — 1,000 draws on 2,000 areas × 40 indicators (timing is in bench/, not here).
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.normal(size=(2000, 40)), columns=[f"i{j}" for j in range(40)])
    specs = {c: IndicatorSpec(DIMENSIONS[j % 7], j % 2 == 0) for j, c in enumerate(data.columns)}
    u = assess_uncertainty(data, specs, seed=0)
    assert u.rank_draws.shape == (2000, 1000)
    assert u.rank_low.notna().all() and (u.rank_low <= u.rank_high).all()


def test_spearman_equals_scipy_spearmanr_with_ties_and_is_nan_for_constant_input():
    """Source: the definition (Pearson's r of average ranks) as scipy.stats.spearmanr implements it."""
    from scipy.stats import spearmanr

    from safercities.analytics.composite.uncertainty import _spearman

    rng = np.random.default_rng(11)
    for _ in range(20):
        x = rng.integers(0, 15, 200).astype(float)  # many ties
        y = rng.normal(size=200)
        y[::5] = y[0]
        assert _spearman(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    assert np.isnan(_spearman(np.ones(10), np.arange(10.0)))
