"""Coverage, imputation and aggregation, vectorised over many weight sets at once.

The functions work on plain arrays so that the nominal index and every Monte Carlo draw of the
uncertainty analysis run through the *same* code: the nominal index is simply one draw.

Conventions: ``X`` is ``(areas, indicators)`` on 0–10 with NaN for a missing value; ``G`` is the
``(indicators, dimensions)`` 0/1 membership matrix; weights are ``(draws, indicators)`` and
``(draws, dimensions)``.

Within a dimension (OECD/JRC Handbook, section 6.2; INFORM):
    ``D_ak = Σ_i w_i x_ai / Σ_i w_i``  over the indicators *i* of dimension *k* that area *a* has —
    missing indicators are skipped and the weights of the others re-scaled ("available-case" mean).
Across dimensions, over the dimensions *k* the area has, with weights ``v_k``:
    arithmetic ``S_a = Σ v_k D_ak / Σ v_k``;
    geometric  ``S_a = exp(Σ v_k ln(D_ak + 1) / Σ v_k) − 1`` — the weighted geometric mean of
    ``D + 1``, minus 1. The offset lets a dimension score of 0 (the best area on every indicator)
    enter without forcing the whole index to 0, as INFORM does for its 0–10 components; the result
    stays between the smallest and largest dimension score, so on 0–10.

References
----------
OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, sections 1.4 (missing data) and 1.7
(aggregation; geometric aggregation limits compensability).
Marin-Ferrer, M., Vernaccini, L. & Poljansek, K. (2017). *INFORM Index for Risk Management: Concept
and Methodology*. JRC EUR 28655 EN (geometric mean across dimensions, 0–10 scale, missing-data rules).
"""

from __future__ import annotations

import numpy as np

from safercities.analytics.composite.spec import IMPUTATIONS, CompositeIndexError

#: Scores are ranked after rounding to this many decimals: differences below 1e-9 on a 0–10 scale are
#: floating-point noise, and rounding keeps ranks identical whatever the order of the areas.
RANK_DECIMALS = 9


def coverage(observed: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Share of each dimension's indicators that each area has, ``(areas, dimensions)``.

    Examples
    --------
    >>> observed = np.array([[True, True, False], [False, False, True]])
    >>> G = np.array([[1, 0], [1, 0], [0, 1]])
    >>> coverage(observed, G)
    array([[1., 0.],
           [0., 1.]])
    """
    counts = observed.astype(float) @ membership
    return counts / membership.sum(axis=0)


def impute(
    X: np.ndarray, observed: np.ndarray, membership: np.ndarray, dimension_ok: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Fill missing normalised values; returns the new array and the ``imputed`` flags.

    Only cells of dimensions that pass the coverage rule are filled: imputation completes a
    dimension, it never rescues one with too little data.

    ``none``
        nothing is filled; aggregation re-scales the weights over what the area has.
    ``dimension_mean``
        the unweighted mean of the area's observed normalised indicators of the same dimension
        (with equal weights this gives the same dimension score as ``none``; the filled matrix is
        what differs).
    ``median``
        the indicator's median over the areas that have it (Handbook 1.4: unconditional median).

    Examples
    --------
    >>> X = np.array([[2.0, np.nan], [4.0, 8.0], [6.0, 6.0]])
    >>> observed, G, ok = np.isfinite(X), np.array([[1.0], [1.0]]), np.array([[True], [True], [True]])
    >>> filled, flags = impute(X, observed, G, ok, "median")
    >>> filled[0].tolist(), flags[0].tolist()
    ([2.0, 7.0], [False, True])
    >>> impute(X, observed, G, ok, "dimension_mean")[0][0].tolist()
    [2.0, 2.0]
    """
    if method not in IMPUTATIONS:
        raise CompositeIndexError(f"imputation must be one of {', '.join(IMPUTATIONS)}; got {method!r}")
    fillable = ~observed & (dimension_ok.astype(float) @ membership.T > 0)
    if method == "none" or not fillable.any():
        return X.copy(), np.zeros(X.shape, dtype=bool)
    if method == "dimension_mean":
        sums = np.where(observed, X, 0.0) @ membership
        counts = observed.astype(float) @ membership
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts
        candidate = means[:, np.argmax(membership, axis=1)]
    else:
        finite = np.isfinite(X)
        medians = np.array([np.median(X[finite[:, j], j]) if finite[:, j].any() else np.nan for j in range(X.shape[1])])
        candidate = np.broadcast_to(medians, X.shape)
    fill = fillable & np.isfinite(candidate)
    return np.where(fill, candidate, X), fill


def dimension_scores(X: np.ndarray, weights: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Weighted mean of each dimension's available indicators, for several weight sets at once.

    Parameters
    ----------
    X : ndarray, shape (n_areas, n_indicators)
        Normalised values, NaN = missing.
    weights : ndarray, shape (n_draws, n_indicators)
        Indicator weights of each draw.
    membership : ndarray, shape (n_indicators, n_dimensions)

    Returns
    -------
    ndarray, shape (n_areas, n_draws, n_dimensions)
        NaN where the area has no indicator (with positive weight) in the dimension. One matrix
        product for all draws: ``X @ (w ⊗ G)``.

    Examples
    --------
    >>> X = np.array([[2.0, 4.0, 9.0], [np.nan, 6.0, 1.0]])
    >>> G = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> dimension_scores(X, np.array([[0.75, 0.25, 1.0]]), G)[:, 0, :]
    array([[2.5, 9. ],
           [6. , 1. ]])
    """
    n_areas, n_ind = X.shape
    n_draws = weights.shape[0]
    n_dim = membership.shape[1]
    available = np.isfinite(X)
    expanded = (weights[:, :, None] * membership[None, :, :]).transpose(1, 0, 2).reshape(n_ind, n_draws * n_dim)
    numerator = (np.where(available, X, 0.0) @ expanded).reshape(n_areas, n_draws, n_dim)
    denominator = (available.astype(float) @ expanded).reshape(n_areas, n_draws, n_dim)
    out = np.full(numerator.shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def combine(
    dims: np.ndarray,
    dimension_ok: np.ndarray,
    dimension_weights: np.ndarray,
    geometric: np.ndarray,
    min_dimensions: int,
) -> np.ndarray:
    """Aggregate dimension scores into index scores, ``(areas, draws)``.

    Parameters
    ----------
    dims : ndarray, shape (n_areas, n_draws, n_dimensions)
    dimension_ok : ndarray of bool, shape (n_areas, n_dimensions)
        The coverage rule's verdict; other dimensions are left out.
    dimension_weights : ndarray, shape (n_draws, n_dimensions)
    geometric : ndarray of bool, shape (n_draws,)
        Geometric (with the +1 offset) or arithmetic mean, per draw.
    min_dimensions : int
        Areas with fewer usable dimensions get NaN.

    Examples
    --------
    >>> dims = np.array([[[0.0, 8.0]]])
    >>> ok, v = np.array([[True, True]]), np.array([[0.5, 0.5]])
    >>> float(combine(dims, ok, v, np.array([False]), 2)[0, 0])
    4.0
    >>> round(float(combine(dims, ok, v, np.array([True]), 2)[0, 0]), 9)  # sqrt(1 × 9) − 1
    2.0
    """
    valid = dimension_ok[:, None, :] & np.isfinite(dims)
    w = dimension_weights[None, :, :] * valid
    total = w.sum(axis=2)
    values = np.where(valid, dims, 0.0)
    geometric = np.asarray(geometric, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        if geometric.all():
            scores = np.expm1(np.einsum("adk,adk->ad", w, np.log1p(values)) / total)
        elif not geometric.any():
            scores = np.einsum("adk,adk->ad", w, values) / total
        else:
            arithmetic_score = np.einsum("adk,adk->ad", w, values) / total
            geometric_score = np.expm1(np.einsum("adk,adk->ad", w, np.log1p(values)) / total)
            scores = np.where(geometric[None, :], geometric_score, arithmetic_score)
    scores = np.where((valid.sum(axis=2) >= min_dimensions) & (total > 0), scores, np.nan)
    return np.clip(scores, 0.0, 10.0)


def rank_descending(scores: np.ndarray) -> np.ndarray:
    """Competition ranks along axis 0, 1 = highest score (least secure); ties share the best rank; NaN stays NaN.

    Examples
    --------
    >>> rank_descending(np.array([2.0, 7.5, np.nan, 7.5, 1.0])).tolist()
    [3.0, 1.0, nan, 1.0, 4.0]
    """
    s = np.round(np.asarray(scores, dtype=float), RANK_DECIMALS)
    missing = ~np.isfinite(s)
    key = np.where(missing, np.inf, -s)
    order = np.argsort(key, axis=0, kind="stable")
    ordered = np.take_along_axis(key, order, axis=0)
    position = np.arange(key.shape[0]).reshape((-1,) + (1,) * (key.ndim - 1))
    starts = np.ones(ordered.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    # Each area takes the position of the first area of its tie group (competition ranking).
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=0)
    ranks = np.empty(key.shape, dtype=float)
    np.put_along_axis(ranks, order, first + 1.0, axis=0)
    return np.where(missing, np.nan, ranks)
