"""Composite index: hand-computed examples, invariants, missing data and aggregation."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from safercities.analytics.composite import (
    DIMENSIONS,
    CompositeIndexError,
    IndexDefinition,
    IndicatorSpec,
    compute_index,
    normalise,
)

# Three areas × four indicators, two dimensions (used by the hand-computed tests below).
HAND_DATA = pd.DataFrame(
    {"e1": [10.0, 20.0, 40.0], "e2": [80.0, 50.0, 60.0], "p1": [1.0, 3.0, 2.0], "p2": [10.0, 50.0, 20.0]},
    index=["a", "b", "c"],
)
HAND_SPECS = {
    "e1": IndicatorSpec("economic", higher_is_worse=True),
    "e2": IndicatorSpec("economic", higher_is_worse=False),
    "p1": IndicatorSpec("personal", higher_is_worse=True),
    "p2": IndicatorSpec("personal", higher_is_worse=True, goalposts=(0, 40)),
}


def test_hand_computed_minmax_geometric():
    # Reference: hand computation (OECD/JRC Handbook Table 3 min-max; INFORM geometric mean with +1 offset).
    # e1 (worse, observed 10..40): (x−10)/30·10 → a 0, b 3.333, c 10
    # e2 (better, observed 50..80): (80−x)/30·10 → a 0, b 10, c 6.667
    # p1 (worse, 1..3): a 0, b 10, c 5;  p2 (goalposts 0..40, clipped): a 2.5, b 10, c 5
    # economic = mean(e1, e2): a 0, b 6.667, c 8.333;  personal = mean(p1, p2): a 1.25, b 10, c 5
    # geometric: a √(1·2.25)−1 = 0.5; b √(7.667·11)−1 = 8.18332; c √(9.333·6)−1 = √56−1 = 6.48331
    result = compute_index(HAND_DATA, HAND_SPECS)
    assert result.normalised.loc["b", "e1"] == pytest.approx(10 / 3)
    assert result.normalised.loc["b", "p2"] == 10.0  # 50 is beyond the goalpost 40: clipped
    assert result.dimension_scores.loc["c", "economic"] == pytest.approx(25 / 3)
    assert result.dimension_scores.loc["a", "personal"] == pytest.approx(1.25)
    assert result.scores.to_dict() == pytest.approx({"a": 0.5, "b": math.sqrt(23 / 3 * 11) - 1, "c": math.sqrt(56) - 1})
    assert result.ranks.to_dict() == {"a": 3, "b": 1, "c": 2}
    assert list(result.dimension_scores.columns) == ["economic", "personal"]


def test_hand_computed_arithmetic():
    # Reference: hand computation — arithmetic means of the dimension scores above:
    # a (0 + 1.25)/2 = 0.625; b (6.667 + 10)/2 = 8.3333; c (8.333 + 5)/2 = 6.6667.
    result = compute_index(HAND_DATA, HAND_SPECS, IndexDefinition(aggregation="arithmetic"))
    assert result.scores.to_dict() == pytest.approx({"a": 0.625, "b": 25 / 3, "c": 20 / 3})


def test_geometric_penalises_imbalance_relative_to_arithmetic():
    # Reference: OECD/JRC Handbook §1.7 — geometric aggregation is less compensatory; by the AM–GM
    # inequality the geometric mean of (D+1) never exceeds the arithmetic mean, with equality only
    # when the dimension scores are equal.
    arithmetic = compute_index(HAND_DATA, HAND_SPECS, IndexDefinition(aggregation="arithmetic")).scores
    geometric = compute_index(HAND_DATA, HAND_SPECS).scores
    assert (geometric <= arithmetic + 1e-12).all()
    assert (geometric < arithmetic).all()  # no area here has equal dimension scores
    # Equal dimension scores: both give the same value. Reference: hand computation, (5+1)·(5+1) → 6 − 1 = 5.
    balanced = pd.DataFrame({"e1": [0.0, 5.0, 10.0], "p1": [0.0, 5.0, 10.0]}, index=["a", "b", "c"])
    specs = {"e1": HAND_SPECS["e1"], "p1": HAND_SPECS["p1"]}
    assert compute_index(balanced, specs).scores["b"] == pytest.approx(5.0)


def test_hand_computed_zscore():
    # Reference: hand computation — e1 = 10, 20, 40: mean 23.333, sample sd √233.33 = 15.2753;
    # z = −0.872872, −0.218218, 1.091089; 0–10 score = 10·(z + 3)/6 = 3.545214, 4.636304, 6.818482.
    out = normalise(HAND_DATA[["e1"]], HAND_SPECS, "zscore")["e1"]
    assert out.tolist() == pytest.approx([3.545214, 4.636304, 6.818482], abs=1e-6)
    # Clipping at ±3 SD: one extreme area among 20 equal ones has z = (n−1)/√n = 4.36 > 3 → 10.
    x = pd.DataFrame({"e1": [0.0] * 19 + [1.0]})
    assert normalise(x, HAND_SPECS, "zscore")["e1"].iloc[-1] == 10.0


def test_hand_computed_distance_to_target():
    # Reference: hand computation (SDSN SDG Index distance to target, capped): e1 target 15, worst
    # observed 40 → (x − 15)/25·10: 10 → 0 (meets the target, no credit beyond), 20 → 2, 40 → 10.
    specs = {**HAND_SPECS, "e1": IndicatorSpec("economic", True, target=15)}
    assert normalise(HAND_DATA[["e1"]], specs, "target")["e1"].tolist() == pytest.approx([0.0, 2.0, 10.0])
    # A "higher is better" indicator with target 70 and worst observed 50: (70 − x)/20·10 → 0, 10, 5.
    specs = {"e2": IndicatorSpec("economic", False, target=70)}
    assert normalise(HAND_DATA[["e2"]], specs, "target")["e2"].tolist() == pytest.approx([0.0, 10.0, 5.0])


def test_constant_indicator_gets_the_midpoint():
    # Reference: methodology-index.md §3 — no spread, no information: every area gets 5.
    frame = pd.DataFrame({"e1": [3.0, 3.0, 3.0]})
    for method in ("minmax", "zscore", "target"):
        assert normalise(frame, HAND_SPECS, method)["e1"].tolist() == [5.0, 5.0, 5.0]


# --- missing data -----------------------------------------------------------------------------------

MISSING_DATA = pd.DataFrame(
    {
        "e1": [1.0, 2.0, 3.0, 4.0],
        "e2": [4.0, np.nan, 2.0, 1.0],
        "e3": [np.nan, np.nan, 0.0, 10.0],
        "p1": [5.0, 1.0, 2.0, 3.0],
        "h1": [1.0, 2.0, 4.0, 3.0],
    },
    index=["a", "b", "c", "d"],
)
MISSING_SPECS = {
    "e1": IndicatorSpec("economic", True),
    "e2": IndicatorSpec("economic", True),
    "e3": IndicatorSpec("economic", True),
    "p1": IndicatorSpec("personal", True),
    "h1": IndicatorSpec("health", True),
}


def test_coverage_rule_and_minimum_dimensions():
    # Reference: INFORM missing-data rule as configured here — a dimension needs ≥ 2/3 of its indicators;
    # an index of 3 dimensions needs all 3 (default min(4, 3)). b has 1/3 of economic → no economic
    # score → only 2 dimensions → no index score and no rank.
    result = compute_index(MISSING_DATA, MISSING_SPECS)
    assert result.coverage.loc["a", "economic"] == pytest.approx(2 / 3)
    assert math.isnan(result.dimension_scores.loc["b", "economic"])
    assert not math.isnan(result.dimension_scores.loc["b", "personal"])
    assert math.isnan(result.scores["b"]) and pd.isna(result.ranks["b"])
    assert sorted(result.ranks.dropna().astype(int).tolist()) == [1, 2, 3]
    records = {r["code"]: r for r in result.records()}
    assert records["b"]["score"] is None and records["b"]["rank"] is None
    assert records["b"]["dimensions"]["economic"] is None
    assert set(records["a"]["dimensions"]) == set(DIMENSIONS)
    # Relaxing the rules scores b.
    relaxed = compute_index(MISSING_DATA, MISSING_SPECS, IndexDefinition(min_coverage=1 / 3))
    assert not math.isnan(relaxed.scores["b"])
    fewer = compute_index(MISSING_DATA, MISSING_SPECS, IndexDefinition(min_dimensions=2))
    assert not math.isnan(fewer.scores["b"]) and math.isnan(fewer.dimension_scores.loc["b", "economic"])


def test_imputation_none_reweights_available_indicators():
    # Reference: hand computation — a's economic = mean(e1, e2) normalised: e1 (1..4) → 0; e2 (1..4) → 10;
    # mean 5 (weights 1/2, 1/2 re-scaled over the two indicators a has).
    result = compute_index(MISSING_DATA, MISSING_SPECS)
    assert result.dimension_scores.loc["a", "economic"] == pytest.approx(5.0)
    assert not result.imputed.to_numpy().any()
    assert math.isnan(result.normalised.loc["a", "e3"])


def test_imputation_median_and_dimension_mean_flag_cells():
    # Reference: hand computation — e3 normalised over c, d: 0 and 10 → median 5. a's economic with the
    # median: (0 + 10 + 5)/3 = 5. Dimension mean fills a's e3 with mean(0, 10) = 5. b's gaps are in a
    # dimension that fails the coverage rule, so they are not imputed (imputation never rescues one).
    for method in ("median", "dimension_mean"):
        result = compute_index(MISSING_DATA, MISSING_SPECS, IndexDefinition(imputation=method))
        assert result.normalised.loc["a", "e3"] == pytest.approx(5.0)
        assert result.imputed.loc["a", "e3"]
        assert not result.imputed.loc["b", "e2"] and not result.imputed.loc["b", "e3"]
        assert int(result.imputed.to_numpy().sum()) == 1
        assert result.dimension_scores.loc["a", "economic"] == pytest.approx(5.0)
    # The flags are the only difference visible in the normalised matrix.
    none = compute_index(MISSING_DATA, MISSING_SPECS)
    median = compute_index(MISSING_DATA, MISSING_SPECS, IndexDefinition(imputation="median"))
    changed = none.normalised.isna() & median.normalised.notna()
    assert changed.equals(median.imputed)


def test_median_imputation_changes_scores_when_the_median_differs():
    # Reference: hand computation — e3 observed for c (0) and d (10), but now b, c, d have it with 0, 0, 10:
    # median 0. a's economic with median imputation: (0 + 10 + 0)/3 = 3.333 vs 5 without.
    data = MISSING_DATA.copy()
    data.loc["b", "e3"] = 0.0
    data.loc["c", "e3"] = 0.0
    result = compute_index(data, MISSING_SPECS, IndexDefinition(imputation="median"))
    assert result.dimension_scores.loc["a", "economic"] == pytest.approx(10 / 3)


# --- weights and definitions ----------------------------------------------------------------------


def test_custom_weights_and_dimension_weights():
    # Reference: hand computation — economic with weights e1: 3, e2: 1 for b: e1 = 3.333, e2 = 10 →
    # (3·3.333 + 1·10)/4 = 5; personal b = 10. Dimension weights 3:1, arithmetic: b = (3·5 + 1·10)/4 = 6.25.
    definition = IndexDefinition(
        weighting="custom", weights={"e1": 3, "e2": 1}, dimension_weights={"economic": 3}, aggregation="arithmetic"
    )
    result = compute_index(HAND_DATA, HAND_SPECS, definition)
    assert result.weights.to_dict() == pytest.approx({"e1": 0.75, "e2": 0.25, "p1": 0.5, "p2": 0.5})
    assert result.dimension_weights.to_dict() == pytest.approx({"economic": 0.75, "personal": 0.25})
    assert result.dimension_scores.loc["b", "economic"] == pytest.approx(5.0)
    assert result.scores["b"] == pytest.approx(6.25)


def test_spec_weight_used_by_custom_weighting_only():
    # Reference: IndexDefinition docstring — "equal" ignores IndicatorSpec.weight; "custom" reads it.
    specs = {**HAND_SPECS, "e1": IndicatorSpec("economic", True, weight=3.0)}
    assert compute_index(HAND_DATA, specs).weights["e1"] == pytest.approx(0.5)
    assert compute_index(HAND_DATA, specs, IndexDefinition(weighting="custom")).weights["e1"] == pytest.approx(0.75)


def test_definition_selects_indicators_and_round_trips():
    # Reference: task statement — a city may define several indices from the same data.
    safety = IndexDefinition(name="Personal safety", indicators=("p1", "p2"))
    result = compute_index(HAND_DATA, HAND_SPECS, safety)
    assert list(result.dimension_scores.columns) == ["personal"]
    assert result.scores.to_dict() == pytest.approx({"a": 1.25, "b": 10.0, "c": 5.0})  # one dimension: its score
    assert IndexDefinition.from_dict(safety.to_dict()) == safety
    with pytest.raises(CompositeIndexError, match="unknown index definition keys"):
        IndexDefinition.from_dict({"nmae": "typo"})


@pytest.mark.parametrize(
    ("data", "definition", "message"),
    [
        (HAND_DATA.assign(e1=["1", "x", "3"]), None, "e1: values must be numbers"),
        (HAND_DATA.assign(e1=[1.0, np.inf, 3.0]), None, "infinite"),
        (HAND_DATA, IndexDefinition(indicators=("e1", "zz")), "not in the data: zz"),
        (pd.concat([HAND_DATA, HAND_DATA.iloc[:1]]), None, "more than once: a"),
        (HAND_DATA, IndexDefinition(min_dimensions=3), "only 2 dimension"),
        (HAND_DATA, IndexDefinition(weighting="custom", weights={"e1": 0, "e2": 0}), "positive weight"),
    ],
)
def test_bad_inputs_are_refused_with_a_reason(data, definition, message):
    # Reference: helper brief — plain-English errors, never a traceback from deep inside numpy.
    with pytest.raises(CompositeIndexError, match=message):
        compute_index(data, HAND_SPECS, definition)


def test_bad_specs_are_refused():
    # Reference: INDICATORS.md — the seven dimensions; goalposts need lo < hi.
    with pytest.raises(CompositeIndexError, match="dimension"):
        IndicatorSpec("happiness", True)
    with pytest.raises(CompositeIndexError, match="goalposts"):
        IndicatorSpec("food", True, goalposts=(5, 5))


def test_inputs_are_not_mutated():
    # Reference: STYLE.md — analytics never mutate their inputs.
    data = MISSING_DATA.copy()
    before = data.copy()
    compute_index(data, MISSING_SPECS, IndexDefinition(imputation="median"))
    pd.testing.assert_frame_equal(data, before)


# --- invariants on random data --------------------------------------------------------------------


def _random_case(seed: int, n_areas: int = 40, per_dimension: int = 2):
    rng = np.random.default_rng(seed)
    columns, specs = {}, {}
    for d, dimension in enumerate(DIMENSIONS):
        for j in range(per_dimension):
            code = f"{dimension[:3]}{j}"
            values = rng.lognormal(0, 1, n_areas) if (d + j) % 4 == 0 else rng.normal(50, 10, n_areas)
            values[rng.random(n_areas) < 0.1] = np.nan
            columns[code] = values
            specs[code] = IndicatorSpec(dimension, higher_is_worse=bool(rng.integers(2)))
    return pd.DataFrame(columns, index=[f"area{i}" for i in range(n_areas)]), specs


ALL_METHODS = list(itertools.product(("minmax", "zscore", "target"), ("geometric", "arithmetic"), ("none", "median")))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("normalisation", "aggregation", "imputation"), ALL_METHODS)
def test_invariants(seed, normalisation, aggregation, imputation):
    # Reference: OECD/JRC Handbook ch. 6 and the task's invariants — scores on [0, 10], weights sum to 1
    # within each dimension and across dimensions, ranks 1..n on scored areas, order independence.
    data, specs = _random_case(seed)
    definition = IndexDefinition(normalisation=normalisation, aggregation=aggregation, imputation=imputation)
    result = compute_index(data, specs, definition)
    scored = result.scores.dropna()
    assert len(scored) > 0
    assert ((scored >= 0) & (scored <= 10)).all()
    dims = result.dimension_scores.stack().dropna()
    assert ((dims >= 0) & (dims <= 10)).all()
    by_dimension = result.weights.groupby(lambda c: specs[c].dimension).sum()
    assert np.allclose(by_dimension, 1.0)
    assert result.dimension_weights.sum() == pytest.approx(1.0)
    assert sorted(result.ranks.dropna().astype(int)) == list(range(1, len(scored) + 1))

    order = np.random.default_rng(seed + 100).permutation(len(data))
    shuffled = compute_index(data.iloc[order], specs, definition)
    pd.testing.assert_series_equal(shuffled.scores.loc[data.index], result.scores, check_exact=False, rtol=1e-12)
    pd.testing.assert_series_equal(shuffled.ranks.loc[data.index], result.ranks)


@pytest.mark.parametrize("normalisation", ["minmax", "zscore", "target"])
def test_direction_flip_gives_the_same_index(normalisation):
    # Reference: methodology §1 — "higher is worse" of x equals "higher is better" of −x (the skewness
    # treatment is mirrored too, so lognormal columns are included on purpose).
    data, specs = _random_case(7)
    flipped = {c: IndicatorSpec(s.dimension, not s.higher_is_worse) for c, s in specs.items()}
    definition = IndexDefinition(normalisation=normalisation)
    a = compute_index(data, specs, definition)
    b = compute_index(-data, flipped, definition)
    assert [t.action for t in a.treatments] == [t.action for t in b.treatments]
    pd.testing.assert_series_equal(a.scores, b.scores, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize(("normalisation", "aggregation"), [("minmax", "geometric"), ("zscore", "arithmetic")])
def test_area_worst_on_every_indicator_ranks_first(normalisation, aggregation):
    # Reference: task invariant — worst on every indicator (max where higher is worse, min otherwise).
    data, specs = _random_case(3)
    data = data.copy()
    for code, spec in specs.items():
        data.loc["area5", code] = data[code].max() + 1 if spec.higher_is_worse else data[code].min() - 1
    result = compute_index(data, specs, IndexDefinition(normalisation=normalisation, aggregation=aggregation))
    assert result.ranks["area5"] == 1
    assert (result.scores.drop("area5").dropna() < result.scores["area5"]).all()


@pytest.mark.parametrize("normalisation", ["minmax", "zscore", "target"])
@pytest.mark.parametrize("aggregation", ["geometric", "arithmetic"])
def test_monotone_in_a_higher_is_worse_indicator(normalisation, aggregation):
    # Reference: task invariant — raising one area's value of a "higher is worse" indicator never lowers
    # that area's score (treatment off so the winsorise/log decision cannot switch between runs).
    data, specs = _random_case(11)
    definition = IndexDefinition(
        normalisation=normalisation, aggregation=aggregation, treatment={"enabled": False}, min_coverage=0.5
    )
    worse = [c for c, s in specs.items() if s.higher_is_worse]
    rng = np.random.default_rng(0)
    for code in worse:
        area = data.index[int(rng.integers(len(data)))]
        if pd.isna(data.loc[area, code]):
            continue
        before = compute_index(data, specs, definition).scores[area]
        for bump in (0.5, 5.0, 500.0):
            bumped = data.copy()
            bumped.loc[area, code] += bump
            after = compute_index(bumped, specs, definition).scores[area]
            if not math.isnan(before):
                assert after >= before - 1e-12


def test_ties_share_the_best_rank():
    # Reference: competition ranking ("1224"), as COINr's rank(ties.method = "min").
    data = pd.DataFrame({"e1": [1.0, 5.0, 5.0, 9.0]}, index=list("abcd"))
    result = compute_index(data, {"e1": HAND_SPECS["e1"]})
    assert result.ranks.tolist() == [4, 2, 2, 1]
