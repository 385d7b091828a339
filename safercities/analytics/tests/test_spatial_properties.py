"""Spatial statistics: synthetic known answers, calibration, reproducibility and invariants."""

import json
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
import pytest

from safercities.analytics.spatial import (
    bh_adjust,
    empirical_bayes,
    from_neighbors,
    global_moran,
    hotspot_analysis,
    local_gi_star,
    local_moran,
    pairwise_correlations,
    significant,
    spatial_empirical_bayes,
)
from safercities.analytics.spatial.conditional import conditional_tail_counts, draw_positions


def lattice(rows: int, cols: int, *, order=None) -> tuple:
    """Queen lattice with codes 'r{row:02d}c{col:02d}', optionally listed in a given order."""
    codes = [f"r{r:02d}c{c:02d}" for r in range(rows) for c in range(cols)]
    neigh = {}
    for r in range(rows):
        for c in range(cols):
            neigh[f"r{r:02d}c{c:02d}"] = [
                f"r{r + dr:02d}c{c + dc:02d}"
                for dr in (-1, 0, 1)
                for dc in (-1, 0, 1)
                if (dr or dc) and 0 <= r + dr < rows and 0 <= c + dc < cols
            ]
    if order is not None:
        codes = [codes[i] for i in order]
        neigh = {c: neigh[c] for c in codes}
    return from_neighbors(neigh, name="queen"), codes


def planted(seed: int = 0) -> tuple:
    w, codes = lattice(20, 20)
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 1, len(codes))
    block = [i for i, c in enumerate(codes) if 5 <= int(c[1:3]) < 10 and 5 <= int(c[4:6]) < 10]
    values[block] += 6.0
    return w, codes, values, block


def test_planted_block_is_hot_and_hh():
    # Reference: synthetic known answer — a 5x5 block raised by 6 sd on a 20x20 lattice of N(0,1) noise.
    w, codes, values, block = planted()
    res = hotspot_analysis(values, w, permutations=999, seed=11)
    interior = [i for i in block if 6 <= int(codes[i][1:3]) <= 8 and 6 <= int(codes[i][4:6]) <= 8]
    assert all(res.units[i].hotspot == "hot" for i in interior)
    assert all(res.units[i].lisa == "HH" for i in interior)
    assert sum(u.hotspot == "hot" for u in res.units) >= 16
    # Nothing far from the block is called hot.
    far = [i for i, c in enumerate(codes) if not (3 <= int(c[1:3]) <= 11 and 3 <= int(c[4:6]) <= 11)]
    assert not any(res.units[i].hotspot == "hot" for i in far)
    assert res.moran.I > 0.3 and res.moran.p_value == pytest.approx(0.002)


def test_random_values_false_positive_rate():
    # Reference: calibration of a valid test — under spatial randomness, uncorrected two-sided pseudo
    # p-values flag about alpha of the units; the "directed" (GeoDa) convention about 2 alpha; and BH
    # at q = alpha flags something in at most about alpha of the maps (FDR = FWER under the global null).
    w, _ = lattice(20, 20)
    raw = directed = maps_with_fdr_hits = 0
    runs = 15
    for s in range(runs):
        y = np.random.default_rng(100 + s).normal(size=w.n)
        two = local_gi_star(y, w, permutations=199, seed=s, correction="none")
        raw += sum(h is not None for h in two.hotspot)
        one = local_gi_star(y, w, permutations=199, seed=s, correction="none", alternative="directed")
        directed += sum(h is not None for h in one.hotspot)
        maps_with_fdr_hits += any(significant(two.p_value, 0.05, "fdr_bh"))
    total = runs * w.n
    assert 0.03 < raw / total < 0.07
    assert 0.075 < directed / total < 0.13
    assert maps_with_fdr_hits <= 3


def test_conditional_kernel_is_exact_against_enumeration():
    # Reference: exact conditional distribution by enumeration — unit 0 has k = 3 neighbours; its
    # neighbour sum is a uniform 3-subset of the other 6 values (C(6,3) = 20 subsets).
    y = np.array([5.0, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0])
    w = from_neighbors({"a": ["c", "d", "f"], "b": ["a"], "c": ["a"], "d": ["a"], "e": ["f"], "f": ["e"], "g": []},
                       name="t")  # fmt: skip
    observed, counts = conditional_tail_counts(y, w, permutations=20_000, seed=5)
    assert observed[0] == 11.0
    sums = [sum(s) for s in combinations(y[1:], 3)]
    exact_ge = sum(s >= 11.0 for s in sums) / comb(6, 3)
    exact_le = sum(s <= 11.0 for s in sums) / comb(6, 3)
    assert 0.2 < exact_ge < 0.8
    assert abs(counts.less_equal[0] / 20_000 - exact_le) < 5 * np.sqrt(exact_le * (1 - exact_le) / 20_000)
    se = np.sqrt(exact_ge * (1 - exact_ge) / 20_000)
    assert abs(counts.greater_equal[0] / 20_000 - exact_ge) < 5 * se
    # Unit "e" (k = 1, neighbour f = 6): P(one other value >= 6) = 2/6 (values 6 and 7 among the 6 others).
    assert abs(counts.greater_equal[4] / 20_000 - 2 / 6) < 5 * np.sqrt(2 / 6 * 4 / 6 / 20_000)
    assert counts.greater_equal[6] == 0  # island


def test_draws_are_distinct_within_each_permutation():
    # Reference: sampling without replacement — every row of positions holds distinct units.
    for n in (8, 50_000):
        d = draw_positions(n, 7, 500, seed=3)
        assert d.shape == (500, 7) and d.min() >= 0 and d.max() < n
        assert all(len(set(row)) == 7 for row in d)


def test_same_seed_same_p_values_and_order_independence():
    # Reference: reproducibility invariant — same seed, same p-values; permuting the input order
    # permutes every output (draws are made over units sorted by code).
    w, codes, values, _ = planted(3)
    a = hotspot_analysis(values, w, permutations=199, seed=42)
    b = hotspot_analysis(values, w, permutations=199, seed=42)
    assert a == b
    c = hotspot_analysis(values, w, permutations=199, seed=43)
    assert [u.gi_p for u in a.units] != [u.gi_p for u in c.units]
    perm = np.random.default_rng(0).permutation(len(codes))
    w2, codes2 = lattice(20, 20, order=perm)
    d = hotspot_analysis(values[perm], w2, permutations=199, seed=42)
    by_code = {u.code: u for u in a.units}
    for u in d.units:  # identical up to floating-point summation order
        ref = by_code[u.code]
        assert (u.gi_p, u.hotspot, u.lisa, u.lisa_p) == (ref.gi_p, ref.hotspot, ref.lisa, ref.lisa_p)
        assert u.gi_z == pytest.approx(ref.gi_z, abs=1e-12) and u.lisa_i == pytest.approx(ref.lisa_i, abs=1e-12)
    assert d.moran.p_value == a.moran.p_value and d.moran.I == pytest.approx(a.moran.I, abs=1e-12)


def test_inputs_not_mutated():
    # Reference: house rule — inputs are never mutated.
    w, _, values, _ = planted(1)
    before = values.copy()
    values.setflags(write=True)
    local_gi_star(values, w, permutations=99, seed=1)
    local_moran(values, w, permutations=99, seed=1)
    global_moran(values, w, permutations=99, seed=1)
    np.testing.assert_array_equal(values, before)
    with pytest.raises(ValueError):
        w.indices[0] = 3  # read-only
    with pytest.raises(AttributeError):
        w.name = "other"


def test_islands_and_missing_values_are_null_and_untested():
    # Reference: island policy (docs/methodology-spatial.md) — islands keep a place in the mean but get
    # null local statistics and labels; units with a missing value are dropped and reported null.
    w, codes = lattice(6, 6)
    neigh = {c: list(w.neighbors(c)) for c in codes}
    neigh["island"] = []
    wi = from_neighbors(neigh, name="queen")
    values = {c: float(i % 7) for i, c in enumerate(codes)} | {"island": 100.0, codes[0]: None}
    res = hotspot_analysis(values, wi, permutations=99, seed=1, correction="none", alpha=0.5)
    out = {u["code"]: u for u in res.as_dict()["units"]}
    assert out["island"] == {"code": "island", "value": 100.0, "gi_z": None, "gi_p": None, "hotspot": None,
                             "lisa": None}  # fmt: skip
    assert out[codes[0]]["value"] is None and out[codes[0]]["gi_z"] is None
    assert res.islands == ("island",) and res.dropped == (codes[0],)
    assert any(u["hotspot"] for u in out.values())  # the others are still tested
    gi = local_gi_star([values[c] or 0.0 for c in wi.codes], wi, permutations=99, seed=1)
    assert np.isnan(gi.p_value[-1]) and gi.hotspot[-1] is None


def test_json_shape_of_interfaces():
    # Reference: INTERFACES.md hotspots JSON keys.
    w, codes, values, _ = planted(2)
    out = hotspot_analysis(pd.Series(values, index=codes), w, permutations=99, seed=1).as_dict(
        indicator="VIOL", period="2024"
    )
    json.dumps(out, allow_nan=False)
    assert {"indicator", "period", "weights", "moran", "units"} <= set(out)
    assert out["indicator"] == "VIOL" and out["weights"] == "queen"
    assert set(out["moran"]) == {"I", "expected", "z", "p_value", "permutations"}
    assert set(out["units"][0]) == {"code", "value", "gi_z", "gi_p", "hotspot", "lisa"}
    assert {u["hotspot"] for u in out["units"]} <= {"hot", "cold", None}
    assert {u["lisa"] for u in out["units"]} <= {"HH", "LL", "HL", "LH", None}


def test_constant_values_give_nulls_not_errors():
    # Reference: no variation, no clustering — every local statistic is null.
    w, codes = lattice(5, 5)
    res = hotspot_analysis([3.0] * 25, w, permutations=99, seed=1)
    assert all(u.gi_z is None and u.hotspot is None and u.lisa is None for u in res.units)
    json.dumps(res.as_dict(), allow_nan=False)


def test_bonferroni_is_stricter_than_fdr():
    # Reference: Bonferroni controls FWER, BH the FDR: Bonferroni flags a subset of BH's units.
    w, _, values, _ = planted(4)
    fdr = local_gi_star(values, w, permutations=999, seed=2)
    bon = local_gi_star(values, w, permutations=999, seed=2, correction="bonferroni")
    f = {i for i, h in enumerate(fdr.hotspot) if h}
    b = {i for i, h in enumerate(bon.hotspot) if h}
    assert b <= f and len(b) < len(f)


def test_benjamini_hochberg_worked_example():
    # Reference: Benjamini & Hochberg (1995), section 4: of 15 p-values, Bonferroni rejects 3, BH rejects 4.
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
         0.6528, 0.7590, 1.000]  # fmt: skip
    assert significant(p, 0.05, "fdr_bh").sum() == 4
    assert significant(p, 0.05, "bonferroni").sum() == 3
    assert bh_adjust(p)[3] == pytest.approx(0.0095 * 15 / 4)


def test_gi_star_and_lisa_labels_distinguish_outliers():
    # Reference: Anselin (1995) — a single high value among low neighbours is an HL outlier for LISA,
    # while Gi*'s neighbourhood (mostly low) is not hot.
    w, codes = lattice(9, 9)
    y = np.zeros(81)
    y[40] = 50.0  # centre
    y += np.random.default_rng(0).normal(0, 0.1, 81)
    li = local_moran(y, w, permutations=999, seed=1, correction="none")
    assert li.quadrant[40] == "HL"
    assert all(li.quadrant[i] == "LH" for i in (30, 31, 32, 39, 41, 48, 49, 50))


def test_eb_shrinks_small_populations_more():
    # Reference: Marshall (1991) — shrinkage factor 1 - C_i = (theta/b_i) / (A + theta/b_i) falls with b_i.
    e = [0, 9, 10, 80, 100, 3]
    b = [100, 1_000, 5_000, 20_000, 40_000, 3_000]
    res = empirical_bayes(e, b)
    order = np.argsort(b)
    assert np.all(np.diff(np.array(res.shrinkage)[order]) < 0)
    assert 0 < min(res.shrinkage) and max(res.shrinkage) < 1
    # All equal rates: nothing to learn, the rates are pooled to theta (A truncated at 0).
    flat = empirical_bayes([1, 2, 4], [100, 200, 400])
    assert flat.smoothed == pytest.approx((0.01, 0.01, 0.01))
    with pytest.raises(ValueError, match="positive population"):
        empirical_bayes([1, 2], [100, 0])


def test_spatial_eb_island_keeps_its_rate():
    # Reference: Anselin, Lozano & Koschinsky (2006) — a unit's window is itself plus neighbours;
    # an island's window is itself, so its rate is unchanged.
    w = from_neighbors({"a": ["b"], "b": ["a"], "c": []}, name="t")
    res = spatial_empirical_bayes([1, 30, 5], [1000, 1000, 100], w)
    assert res.smoothed[2] == pytest.approx(0.05)


def test_pairwise_correlations_anscombe_and_missing():
    # Reference: Anscombe (1973), "Graphs in statistical analysis": all four data sets have r = 0.816.
    x = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
    ys = {
        "y1": [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68],
        "y2": [9.14, 8.14, 8.74, 8.77, 9.26, 8.10, 6.13, 3.10, 9.13, 7.26, 4.74],
        "y3": [7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73],
    }
    tab = pairwise_correlations(pd.DataFrame({"x": x, **ys}))
    pear = tab[(tab.method == "pearson") & (tab.x == "x")]
    assert [round(r, 3) for r in pear.r] == [0.816, 0.816, 0.816]
    assert list(tab.columns) == ["x", "y", "method", "n", "r", "p_value", "q_value"]
    assert len(tab) == 2 * comb(4, 2)
    np.testing.assert_allclose(tab[tab.method == "pearson"].q_value, bh_adjust(tab[tab.method == "pearson"].p_value))
    # Pairwise-complete counts and the minimum n.
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "b": [2, 4, 5, 4, 5, 7, 8, 9, 10, 12],
                          "c": [1, None, 3, None, 5, None, 7, 8, 9, 10]})  # fmt: skip
    before = frame.copy()
    t = pairwise_correlations(frame, min_n=8)
    assert t.set_index(["x", "y", "method"]).loc[("a", "c", "spearman"), "n"] == 7
    assert np.isnan(t.set_index(["x", "y", "method"]).loc[("a", "c", "spearman"), "r"])
    assert t.set_index(["x", "y", "method"]).loc[("a", "b", "spearman"), "r"] > 0.9
    pd.testing.assert_frame_equal(frame, before)
