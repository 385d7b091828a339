"""PCA-derived weights (Nicoletti et al. 2000) on synthetic data with a known factor structure."""

import numpy as np
import pandas as pd
import pytest

from safercities.analytics.composite import IndexDefinition, IndicatorSpec, compute_index, pca_weights, varimax


def test_single_factor_gives_weights_proportional_to_squared_loadings():
    # Reference: population computation — x_j = a_j·f + √(1 − a_j²)·e_j with a = (0.9, 0.8, 0.7, 0.6) has
    # correlation matrix R = aaᵀ + diag(1 − a²), eigenvalues 2.688, 0.600, 0.446, 0.265: only the first
    # exceeds 1, so one component is kept and (no rotation) the weights are its squared loadings scaled
    # to sum 1 (OECD/JRC Handbook §6.1). The sample estimate must be close to the population one.
    a = np.array([0.9, 0.8, 0.7, 0.6])
    R = np.outer(a, a) + np.diag(1 - a**2)
    eigenvalues, vectors = np.linalg.eigh(R)
    expected = vectors[:, -1] ** 2 * eigenvalues[-1]
    expected = expected / expected.sum()
    rng = np.random.default_rng(42)
    n = 20000
    f = rng.normal(size=n)
    X = f[:, None] * a + rng.normal(size=(n, 4)) * np.sqrt(1 - a**2)
    result = pca_weights(X)
    assert result.n_components == 1
    assert sum(result.weights) == pytest.approx(1.0)
    assert np.allclose(result.weights, expected, atol=0.01)
    assert list(result.weights) == sorted(result.weights, reverse=True)
    assert result.eigenvalues[0] == pytest.approx(eigenvalues[-1], abs=0.05)


def test_two_blocks_are_separated_by_varimax():
    # Reference: Handbook §6.1 — with two independent blocks each indicator is assigned to its own block's
    # component; equal loadings inside each block give equal weights inside it.
    rng = np.random.default_rng(0)
    n = 5000
    f, g = rng.normal(size=n), rng.normal(size=n)
    X = np.column_stack(
        [f + 0.5 * rng.normal(size=n) for _ in range(3)] + [g + 0.5 * rng.normal(size=n) for _ in range(2)]
    )
    result = pca_weights(X)
    assert result.n_components == 2
    w = np.array(result.weights)
    assert np.allclose(w[:3], w[0], atol=0.01) and np.allclose(w[3:], w[3], atol=0.01)
    assert w.sum() == pytest.approx(1.0)


def test_varimax_keeps_communalities_and_simplifies():
    # Reference: Kaiser (1958) — an orthogonal rotation keeps each row's sum of squares and increases
    # the varimax criterion (variance of squared loadings per column).
    L = np.array([[0.7, 0.5], [0.6, 0.6], [0.5, -0.6], [0.6, -0.5]])
    rotated = varimax(L)
    assert np.allclose((rotated**2).sum(axis=1), (L**2).sum(axis=1))

    def criterion(M):
        return float(np.sum(np.var(M**2, axis=0)))

    assert criterion(rotated) > criterion(L)


def test_pca_weighting_in_the_index_sums_to_one_per_dimension():
    # Reference: task statement — PCA weights must sum to 1 within a dimension; a dimension with one
    # indicator keeps weight 1; too little complete data falls back to equal weights with a note.
    rng = np.random.default_rng(4)
    f = rng.normal(size=200)
    data = pd.DataFrame(
        {
            "e1": f + rng.normal(size=200),
            "e2": f + 0.3 * rng.normal(size=200),
            "e3": f + 2 * rng.normal(size=200),
            "p1": rng.normal(size=200),
        }
    )
    specs = {c: IndicatorSpec("economic", True) for c in ("e1", "e2", "e3")} | {"p1": IndicatorSpec("personal", True)}
    result = compute_index(data, specs, IndexDefinition(weighting="pca"))
    assert result.weights[["e1", "e2", "e3"]].sum() == pytest.approx(1.0)
    assert result.weights["p1"] == pytest.approx(1.0)
    assert result.weights["e2"] > result.weights["e1"] > result.weights["e3"]  # tighter link → more weight

    sparse = data.copy()
    sparse.loc[2:, "e1"] = np.nan  # only two complete rows in the economic dimension
    fallback = compute_index(sparse, specs, IndexDefinition(weighting="pca", min_coverage=0.5))
    assert fallback.weights[["e1", "e2", "e3"]].tolist() == pytest.approx([1 / 3] * 3)
    assert any("economic" in note for note in fallback.notes)
