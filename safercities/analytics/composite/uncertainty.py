"""Uncertainty and sensitivity of the index ranks to the methodological choices (Monte Carlo).

Each of ``n_draws`` draws picks, independently and uniformly at random,

* a normalisation method (default ``minmax`` or ``zscore``),
* an imputation method (``none``, ``dimension_mean``, ``median``),
* an aggregation across dimensions (``geometric``, ``arithmetic``),
* a set of weights: every nominal indicator weight and every dimension weight multiplied by an
  independent factor drawn from U(1 − s, 1 + s) (default s = 0.25, i.e. ±25 %), then re-scaled to sum
  to 1 within each dimension (indicators) and across dimensions,

and recomputes the index and the ranks. Per area we report the median rank and the 90 % rank
interval: the 5th and 95th percentiles of its ranks over the draws (``inverted_cdf`` percentiles, so
both ends are ranks actually reached).

Sensitivity: for each draw, the *average shift in rank* ``R̄s = mean_a |rank_a − nominal rank_a|``
(Saisana et al. 2005, eq. 3). For each discrete choice we estimate its first-order sensitivity index
``S = Var(E[R̄s | choice]) / Var(R̄s)`` by grouping the draws by the level of that choice (the
between-group share of the variance, a correlation ratio η²). For the continuous weight perturbation,
each draw is summarised by its distance from the nominal weights (sum of absolute differences over
indicator and dimension weights) and ``S`` is estimated the same way after cutting that distance into
ten equal-count bins (the given-data binning estimator, Plischke 2010); its Spearman correlation with
``R̄s`` is reported too. Because the choices are drawn independently, each ``S`` is the share of the
variance of the rank shift that the choice explains alone; the rest comes from interactions. With
1,000 draws the bias of the binned estimate is about (bins − 1)/draws ≈ 0.01.

Speed: every normalisation/imputation pair is computed once; the draws then differ only in weights and
the aggregation switch, so all draws sharing a pair are aggregated with one matrix product.

References
----------
Saisana, M., Saltelli, A. & Tarantola, S. (2005). Uncertainty and sensitivity analysis techniques as
tools for the quality assessment of composite indicators. *J. R. Stat. Soc. A* 168(2), 307–323.
OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, step 7.
Plischke, E. (2010). An effective algorithm for computing global sensitivity indices (EASI).
*Reliability Engineering & System Safety* 95(4), 354–360.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from safercities.analytics.composite.aggregate import combine, dimension_scores, impute, rank_descending
from safercities.analytics.composite.index import Prepared, _ranks_series, prepare, result_from
from safercities.analytics.composite.spec import (
    AGGREGATIONS,
    IMPUTATIONS,
    NORMALISATIONS,
    CompositeIndexError,
    IndexDefinition,
    IndicatorSpec,
)

_CHUNK = 128  # draws aggregated per matrix product: bounds memory to ~areas × 128 × dimensions floats


@dataclass(frozen=True)
class UncertaintyConfig:
    """Which methodological choices vary, and how much.

    Parameters
    ----------
    n_draws : int
        Monte Carlo draws (default 1,000).
    weight_spread : float
        Each weight is multiplied by U(1 − s, 1 + s); 0 keeps the nominal weights. Must be in [0, 1).
    normalisations, imputations, aggregations : tuple of str
        Levels each draw picks from, uniformly. A single level holds that choice fixed.
    coverage : float
        Probability content of the rank interval (0.90 → 5th–95th percentiles).
    bins : int
        Bins for the first-order index of the weight perturbation.
    """

    n_draws: int = 1000
    weight_spread: float = 0.25
    normalisations: tuple[str, ...] = ("minmax", "zscore")
    imputations: tuple[str, ...] = IMPUTATIONS
    aggregations: tuple[str, ...] = AGGREGATIONS
    coverage: float = 0.90
    bins: int = 10

    def __post_init__(self) -> None:
        if self.n_draws < 1:
            raise CompositeIndexError("n_draws must be at least 1")
        if not 0 <= self.weight_spread < 1:
            raise CompositeIndexError("weight_spread must be in [0, 1)")
        if not 0 < self.coverage < 1:
            raise CompositeIndexError("coverage must be strictly between 0 and 1")
        for name, levels, allowed in (
            ("normalisations", self.normalisations, NORMALISATIONS),
            ("imputations", self.imputations, IMPUTATIONS),
            ("aggregations", self.aggregations, AGGREGATIONS),
        ):
            if not levels or any(level not in allowed for level in levels):
                raise CompositeIndexError(f"{name} must be a non-empty selection of {', '.join(allowed)}")
            object.__setattr__(self, name, tuple(dict.fromkeys(levels)))

    @classmethod
    def fixed(cls, definition: IndexDefinition, n_draws: int = 100) -> UncertaintyConfig:
        """No perturbation at all: every draw reproduces the nominal index (a check, and a test)."""
        return cls(
            n_draws=n_draws,
            weight_spread=0.0,
            normalisations=(definition.normalisation,),
            imputations=(definition.imputation,),
            aggregations=(definition.aggregation,),
        )


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """Rank intervals per area and the sensitivity of ranks to each choice.

    Attributes
    ----------
    nominal_rank : pandas.Series
        Rank under the definition's own choices (Int64, ``<NA>`` when unscored).
    median_rank : pandas.Series
        Median rank over the draws.
    rank_low, rank_high : pandas.Series
        The rank interval (Int64): rank_low ≤ rank_high, rank 1 = least secure.
    score_low, score_high : pandas.Series
        The same percentiles of the score.
    sensitivity : pandas.DataFrame
        One row per choice (``normalisation``, ``imputation``, ``aggregation``, ``weights``) with
        ``first_order`` (share of the variance of the average rank shift explained by that choice
        alone) and ``correlation`` (Spearman, weights only), sorted by ``first_order``.
    shift_by_level : mapping
        Mean average-rank-shift of the draws at each level of each discrete choice.
    average_shift : ndarray, shape (n_draws,)
        ``R̄s`` of each draw.
    choices : pandas.DataFrame
        The choices of each draw and its weight distance.
    rank_draws : ndarray, shape (n_areas, n_draws)
        Ranks of every area in every draw (NaN when unscored).
    """

    config: UncertaintyConfig
    seed: int | None
    nominal_rank: pd.Series
    median_rank: pd.Series
    rank_low: pd.Series
    rank_high: pd.Series
    score_low: pd.Series
    score_high: pd.Series
    sensitivity: pd.DataFrame
    shift_by_level: Mapping[str, Mapping[str, float]]
    average_shift: np.ndarray
    choices: pd.DataFrame
    rank_draws: np.ndarray = field(repr=False)


def _renormalise(weights: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    if groups is None:
        return weights / weights.sum(axis=1, keepdims=True)
    totals = np.zeros((weights.shape[0], int(groups.max()) + 1))
    for k in range(totals.shape[1]):
        totals[:, k] = weights[:, groups == k].sum(axis=1)
    return weights / totals[:, groups]


def _first_order(y: np.ndarray, labels: np.ndarray) -> float:
    """Between-group share of the variance of ``y`` (correlation ratio η²)."""
    total = float(np.var(y))
    if total <= 0:
        return 0.0
    mean = y.mean()
    between = 0.0
    for level in np.unique(labels):
        group = y[labels == level]
        between += group.size * (group.mean() - mean) ** 2
    return float(between / (y.size * total))


def _draw_scores(
    prepared: Prepared,
    norm_levels: tuple[str, ...],
    imp_levels: tuple[str, ...],
    norm_idx: np.ndarray,
    imp_idx: np.ndarray,
    geometric: np.ndarray,
    indicator_w: np.ndarray,
    dimension_w: np.ndarray,
) -> np.ndarray:
    scores = np.full((len(prepared.areas), len(norm_idx)), np.nan)
    for n, method in enumerate(norm_levels):
        X = prepared.normalised(method)
        for m, imputation in enumerate(imp_levels):
            in_pair = (norm_idx == n) & (imp_idx == m)
            if not in_pair.any():
                continue
            filled, _ = impute(X, prepared.observed, prepared.membership, prepared.dimension_ok, imputation)
            # Geometric and arithmetic draws apart: each chunk then needs only one of the two means.
            for flag in (True, False):
                draws = np.flatnonzero(in_pair & (geometric == flag))
                for start in range(0, draws.size, _CHUNK):
                    chunk = draws[start : start + _CHUNK]
                    dims = dimension_scores(filled, indicator_w[chunk], prepared.membership)
                    scores[:, chunk] = combine(
                        dims, prepared.dimension_ok, dimension_w[chunk], geometric[chunk], prepared.min_dimensions
                    )
    return scores


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson's r of the average ranks (what ``scipy.stats.spearmanr`` computes; tested
    equal). Written out because scipy.stats costs ~1 s to import and nothing else on the index's path
    needs it — nor pandas' own Spearman, which imports it. NaN when either input is constant."""
    rx = pd.Series(x).rank(method="average").to_numpy()
    ry = pd.Series(y).rank(method="average").to_numpy()
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry) / denominator if denominator > 0 else math.nan


def assess_uncertainty(
    data: pd.DataFrame,
    specs: Mapping[str, IndicatorSpec],
    definition: IndexDefinition | None = None,
    config: UncertaintyConfig | None = None,
    *,
    seed: int | None = None,
) -> UncertaintyResult:
    """Monte Carlo uncertainty and sensitivity analysis of an index's ranks.

    Parameters
    ----------
    data, specs, definition
        As for :func:`~safercities.analytics.composite.index.compute_index`; the nominal index is the
        definition's. PCA weights, when chosen, are computed once and perturbed like any others.
    config : UncertaintyConfig, optional
        Choices to vary (default: see :class:`UncertaintyConfig`).
    seed : int, optional
        Seed of ``numpy.random.default_rng``: the same seed gives the same result.

    Returns
    -------
    UncertaintyResult

    References
    ----------
    Saisana, M., Saltelli, A. & Tarantola, S. (2005). *J. R. Stat. Soc. A* 168(2), 307–323.
    OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, step 7.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame(rng.uniform(0, 100, (30, 4)), columns=["i1", "i2", "i3", "i4"])
    >>> dims = ["economic", "food", "health", "personal"]
    >>> specs = {c: IndicatorSpec(d, True) for c, d in zip(data.columns, dims)}
    >>> u = assess_uncertainty(data, specs, config=UncertaintyConfig(n_draws=200), seed=7)
    >>> bool(((u.rank_low <= u.nominal_rank) & (u.nominal_rank <= u.rank_high)).all())
    True
    >>> sorted(u.sensitivity.index)
    ['aggregation', 'imputation', 'normalisation', 'weights']
    """
    definition = definition or IndexDefinition()
    config = config or UncertaintyConfig()
    prepared = prepare(data, specs, definition)
    nominal = result_from(prepared, definition)
    rng = np.random.default_rng(seed)
    n = config.n_draws
    dim_of = np.argmax(prepared.membership, axis=1)

    # Always draw in the same order and amounts, so a seed means the same thing whatever the levels.
    norm_idx = rng.integers(len(config.normalisations), size=n)
    imp_idx = rng.integers(len(config.imputations), size=n)
    agg_idx = rng.integers(len(config.aggregations), size=n)
    s = config.weight_spread
    ind_factor = rng.uniform(1 - s, 1 + s, size=(n, len(prepared.indicators)))
    dim_factor = rng.uniform(1 - s, 1 + s, size=(n, len(prepared.dimensions)))
    indicator_w = _renormalise(prepared.weights[None, :] * ind_factor, dim_of)
    dimension_w = _renormalise(prepared.dimension_weights[None, :] * dim_factor, None)
    geometric = np.array([config.aggregations[i] == "geometric" for i in agg_idx])

    scores = _draw_scores(
        prepared, config.normalisations, config.imputations, norm_idx, imp_idx, geometric, indicator_w, dimension_w
    )
    ranks = rank_descending(scores)
    nominal_rank = nominal.ranks.to_numpy(dtype=float, na_value=np.nan)
    scored = np.isfinite(nominal_rank)

    lo_q, hi_q = (1 - config.coverage) / 2, 1 - (1 - config.coverage) / 2
    n_areas = len(prepared.areas)
    median = np.full(n_areas, np.nan)
    low = np.full(n_areas, np.nan)
    high = np.full(n_areas, np.nan)
    score_low = np.full(n_areas, np.nan)
    score_high = np.full(n_areas, np.nan)
    if scored.any():
        r = ranks[scored]
        complete = np.isfinite(r).all()
        quantile = np.quantile if complete else np.nanquantile
        median[scored] = np.median(r, axis=1) if complete else np.nanmedian(r, axis=1)
        low[scored] = quantile(r, lo_q, axis=1, method="inverted_cdf")
        high[scored] = quantile(r, hi_q, axis=1, method="inverted_cdf")
        sc = scores[scored]
        score_low[scored] = quantile(sc, lo_q, axis=1)
        score_high[scored] = quantile(sc, hi_q, axis=1)

    with np.errstate(invalid="ignore"):
        shifts = np.abs(ranks[scored] - nominal_rank[scored, None])
        average_shift = np.nanmean(shifts, axis=0) if scored.any() else np.zeros(n)
    distance = np.abs(indicator_w - prepared.weights).sum(axis=1) + np.abs(
        dimension_w - prepared.dimension_weights
    ).sum(axis=1)
    choices = pd.DataFrame(
        {
            "normalisation": np.array(config.normalisations, dtype=object)[norm_idx],
            "imputation": np.array(config.imputations, dtype=object)[imp_idx],
            "aggregation": np.array(config.aggregations, dtype=object)[agg_idx],
            "weight_distance": distance,
        }
    )
    rows = {}
    shift_by_level: dict[str, dict[str, float]] = {}
    for factor in ("normalisation", "imputation", "aggregation"):
        labels = choices[factor].to_numpy()
        rows[factor] = {"first_order": _first_order(average_shift, labels), "correlation": np.nan}
        shift_by_level[factor] = {
            str(level): float(average_shift[labels == level].mean()) for level in pd.unique(labels)
        }
    if s > 0 and n > config.bins:
        bins = np.minimum((np.argsort(np.argsort(distance)) * config.bins) // n, config.bins - 1)
        correlation = _spearman(distance, average_shift) if np.var(average_shift) > 0 else 0.0
        rows["weights"] = {"first_order": _first_order(average_shift, bins), "correlation": correlation}
    else:
        rows["weights"] = {"first_order": 0.0, "correlation": np.nan}
    sensitivity = pd.DataFrame.from_dict(rows, orient="index").sort_values("first_order", ascending=False)
    sensitivity.index.name = "choice"

    areas = prepared.areas
    return UncertaintyResult(
        config=config,
        seed=seed,
        nominal_rank=nominal.ranks,
        median_rank=pd.Series(median, index=areas, name="median_rank"),
        rank_low=_ranks_series(low, areas, "rank_low"),
        rank_high=_ranks_series(high, areas, "rank_high"),
        score_low=pd.Series(score_low, index=areas, name="score_low"),
        score_high=pd.Series(score_high, index=areas, name="score_high"),
        sensitivity=sensitivity,
        shift_by_level=shift_by_level,
        average_shift=average_shift,
        choices=choices,
        rank_draws=ranks,
    )
