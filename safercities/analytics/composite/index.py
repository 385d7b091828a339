"""The Composite Human Security Index of a set of areas: one call from raw indicators to ranked scores.

Pipeline (each step documented in its module and in ``docs/methodology-index.md``):

1. treatment of skewed indicators (:mod:`.treatment`),
2. normalisation to 0–10, higher = less secure (:mod:`.normalise`),
3. coverage rule and imputation (:mod:`.aggregate`),
4. weights — equal, custom or PCA (:mod:`.weights`), re-scaled to sum to 1 within each dimension,
5. weighted arithmetic mean within dimensions, geometric (default) or arithmetic across dimensions,
6. ranks, 1 = least secure.

References
----------
OECD & JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User Guide*. OECD.
Marin-Ferrer, M., Vernaccini, L. & Poljansek, K. (2017). *INFORM Index for Risk Management: Concept
and Methodology, Version 2017*. JRC EUR 28655 EN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from safercities.analytics.composite.aggregate import combine, coverage, dimension_scores, impute, rank_descending
from safercities.analytics.composite.normalise import _spec_arrays, normalise_array
from safercities.analytics.composite.spec import DIMENSIONS, CompositeIndexError, IndexDefinition, IndicatorSpec
from safercities.analytics.composite.treatment import Treatment, treat_frame
from safercities.analytics.composite.weights import pca_weights


@dataclass(frozen=True, eq=False)
class Prepared:
    """Inputs checked and turned into arrays once; shared by the index and its uncertainty analysis."""

    areas: pd.Index
    indicators: tuple[str, ...]
    dimensions: tuple[str, ...]
    membership: np.ndarray  # (indicators, dimensions) 0/1
    treated: np.ndarray  # (areas, indicators) after the skewness treatment
    observed: np.ndarray  # (areas, indicators) bool
    coverage: np.ndarray  # (areas, dimensions)
    dimension_ok: np.ndarray  # (areas, dimensions) bool
    worse: np.ndarray
    goal_lo: np.ndarray
    goal_hi: np.ndarray
    target: np.ndarray
    weights: np.ndarray  # (indicators,), sum 1 within each dimension
    dimension_weights: np.ndarray  # (dimensions,), sum 1
    min_dimensions: int
    treatments: tuple[Treatment, ...]
    notes: tuple[str, ...]

    def normalised(self, method: str) -> np.ndarray:
        return normalise_array(self.treated, self.worse, method, self.goal_lo, self.goal_hi, self.target)


def _select(data: pd.DataFrame, specs: Mapping[str, IndicatorSpec], definition: IndexDefinition) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise CompositeIndexError("data must be a pandas DataFrame (areas as rows, indicators as columns)")
    if data.index.has_duplicates:
        dupes = sorted({str(v) for v in data.index[data.index.duplicated()]})
        raise CompositeIndexError(f"area codes appear more than once: {', '.join(dupes[:10])}")
    if data.columns.has_duplicates:
        raise CompositeIndexError("indicator codes appear more than once in the columns")
    columns = {str(c): c for c in data.columns}
    if definition.indicators is None:
        chosen = [c for c in columns if c in specs]
    else:
        chosen = list(dict.fromkeys(definition.indicators))
        absent = [c for c in chosen if c not in columns]
        if absent:
            raise CompositeIndexError(f"indicator(s) in the definition but not in the data: {', '.join(absent)}")
    unspecified = [c for c in chosen if c not in specs]
    if unspecified:
        raise CompositeIndexError(f"no specification for indicator(s): {', '.join(unspecified)}")
    if not chosen:
        raise CompositeIndexError("the index has no indicators (no data column has a specification)")
    if len(data.index) == 0:
        raise CompositeIndexError("the data has no areas")
    frame = data[[columns[c] for c in chosen]].copy()
    frame.columns = pd.Index(chosen)
    for code in chosen:
        try:
            frame[code] = pd.to_numeric(frame[code], errors="raise").astype(float)
        except (TypeError, ValueError) as exc:
            raise CompositeIndexError(f"indicator {code}: values must be numbers ({exc})") from None
    if np.isinf(frame.to_numpy()).any():
        bad = [c for c in chosen if np.isinf(frame[c].to_numpy()).any()]
        raise CompositeIndexError(f"indicator(s) with infinite values: {', '.join(bad)}")
    return frame


def _nominal_weights(
    definition: IndexDefinition,
    specs: Mapping[str, IndicatorSpec],
    indicators: list[str],
    dim_of: np.ndarray,
    normalised: np.ndarray,
    dimensions: tuple[str, ...],
) -> tuple[np.ndarray, list[str]]:
    notes: list[str] = []
    n_dim = len(dimensions)
    if definition.weighting == "equal":
        raw = np.ones(len(indicators))
    elif definition.weighting == "custom":
        custom = definition.weights or {}
        raw = np.array(
            [custom.get(c, specs[c].weight if specs[c].weight is not None else 1.0) for c in indicators], dtype=float
        )
    else:
        raw = np.ones(len(indicators))
        for k in range(n_dim):
            cols = np.flatnonzero(dim_of == k)
            if cols.size < 2:
                continue
            block = normalised[:, cols]
            complete = block[np.isfinite(block).all(axis=1)]
            try:
                result = pca_weights(complete)
            except ValueError as exc:
                notes.append(f"{dimensions[k]}: equal weights instead of PCA ({exc})")
                continue
            raw[cols] = result.weights
            if result.explained < 0.6:
                notes.append(
                    f"{dimensions[k]}: PCA components explain only {result.explained:.0%} of the variance (< 60 %)"
                )
    totals = np.bincount(dim_of, weights=raw, minlength=n_dim)
    if np.any(totals <= 0):
        raise CompositeIndexError("every dimension needs at least one indicator with a positive weight")
    return raw / totals[dim_of], notes


def prepare(
    data: pd.DataFrame, specs: Mapping[str, IndicatorSpec], definition: IndexDefinition | None = None
) -> Prepared:
    """Validate the inputs and compute everything that does not depend on a methodological choice.

    Raises
    ------
    CompositeIndexError
        With a plain-English reason, for any input the index cannot be computed from.
    """
    definition = definition or IndexDefinition()
    frame = _select(data, specs, definition)
    indicators = list(frame.columns)
    dimensions = tuple(d for d in DIMENSIONS if any(specs[c].dimension == d for c in indicators))
    dim_of = np.array([dimensions.index(specs[c].dimension) for c in indicators])
    membership = np.zeros((len(indicators), len(dimensions)))
    membership[np.arange(len(indicators)), dim_of] = 1.0

    skip = {
        c: "fixed goalposts or target: scale set in raw units"
        for c in indicators
        if specs[c].goalposts is not None or specs[c].target is not None
    }
    treated_frame, treatments = treat_frame(frame, definition.treatment, skip)
    treated = treated_frame.to_numpy(dtype=float)
    observed = np.isfinite(frame.to_numpy(dtype=float))
    cover = coverage(observed, membership)
    dimension_ok = (cover >= definition.min_coverage - 1e-12) & (cover > 0)

    worse, lo, hi, target = _spec_arrays(indicators, specs)
    nominal_normalised = normalise_array(treated, worse, definition.normalisation, lo, hi, target)
    weights, notes = _nominal_weights(definition, specs, indicators, dim_of, nominal_normalised, dimensions)

    given = definition.dimension_weights or {}
    dim_raw = np.array([given.get(d, 1.0) for d in dimensions], dtype=float)
    if dim_raw.sum() <= 0:
        raise CompositeIndexError("dimension weights must not all be zero")
    min_dimensions = definition.min_dimensions if definition.min_dimensions is not None else min(4, len(dimensions))
    if min_dimensions > len(dimensions):
        raise CompositeIndexError(
            f"min_dimensions is {min_dimensions} but the index has only {len(dimensions)} dimension(s)"
        )
    return Prepared(
        areas=frame.index.copy(),
        indicators=tuple(indicators),
        dimensions=dimensions,
        membership=membership,
        treated=treated,
        observed=observed,
        coverage=cover,
        dimension_ok=dimension_ok,
        worse=worse,
        goal_lo=lo,
        goal_hi=hi,
        target=target,
        weights=weights,
        dimension_weights=dim_raw / dim_raw.sum(),
        min_dimensions=min_dimensions,
        treatments=treatments,
        notes=tuple(notes),
    )


def _none_if_nan(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


@dataclass(frozen=True, eq=False)
class CompositeIndexResult:
    """The index of each area and everything needed to explain it.

    Attributes
    ----------
    definition : IndexDefinition
    scores : pandas.Series
        Index score per area on 0–10 (higher = less secure); NaN when the area has too few dimensions.
    ranks : pandas.Series
        1 = least secure; ties share the best rank; ``<NA>`` for areas without a score.
    dimension_scores : pandas.DataFrame
        Areas × dimensions, 0–10; NaN where the coverage rule fails.
    normalised : pandas.DataFrame
        Areas × indicators, 0–10 after treatment, normalisation and imputation (NaN = missing).
    imputed : pandas.DataFrame
        ``True`` for each imputed cell of ``normalised``.
    coverage : pandas.DataFrame
        Share of each dimension's indicators each area has.
    treatments : tuple of Treatment
        One record per indicator (``action`` ``none``, ``winsorised``, ``log`` or ``skipped``).
    weights : pandas.Series
        Indicator weights used (sum to 1 within each dimension).
    dimension_weights : pandas.Series
        Dimension weights used (sum to 1).
    notes : tuple of str
        Warnings worth showing an analyst (e.g. PCA fell back to equal weights).
    """

    definition: IndexDefinition
    scores: pd.Series
    ranks: pd.Series
    dimension_scores: pd.DataFrame
    normalised: pd.DataFrame
    imputed: pd.DataFrame
    coverage: pd.DataFrame
    treatments: tuple[Treatment, ...]
    weights: pd.Series
    dimension_weights: pd.Series
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def treated(self) -> tuple[Treatment, ...]:
        """The indicators that were winsorised or log-transformed."""
        return tuple(t for t in self.treatments if t.action in ("winsorised", "log"))

    def records(self, uncertainty: Any = None) -> list[dict[str, Any]]:
        """One dict per area in the shape of INTERFACES.md's ``index`` JSON (without the area name).

        Every one of the seven dimensions is present, ``None`` where it has no score. With an
        :class:`~safercities.analytics.composite.uncertainty.UncertaintyResult`, ``rank_interval``
        is ``[low, high]``; otherwise ``None``.
        """
        # Whole columns as Python lists, then one pass: ``.loc`` per area and dimension cost ~0.1 ms each.
        codes = self.scores.index
        scores = self.scores.to_numpy(dtype=float).tolist()
        ranks = self.ranks.astype(object).where(self.ranks.notna(), None).tolist()
        dimension_scores = {
            d: self.dimension_scores[d].to_numpy(dtype=float).tolist() if d in self.dimension_scores.columns else None
            for d in DIMENSIONS
        }
        if uncertainty is not None:
            low = uncertainty.rank_low.reindex(codes)
            lows = low.astype(object).where(low.notna(), None).tolist()
            highs = uncertainty.rank_high.reindex(codes).astype(object).tolist()
        out = []
        for i, code in enumerate(codes):
            rank = ranks[i]
            interval = None
            if uncertainty is not None and lows[i] is not None:
                interval = [int(lows[i]), int(highs[i])]
            out.append(
                {
                    "code": code,
                    "score": _none_if_nan(scores[i]),
                    "rank": None if rank is None else int(rank),
                    "rank_interval": interval,
                    "dimensions": {
                        d: None if values is None else _none_if_nan(values[i]) for d, values in dimension_scores.items()
                    },
                }
            )
        return out


def _ranks_series(ranks: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    return pd.Series(pd.array([None if np.isnan(r) else int(r) for r in ranks], dtype="Int64"), index=index, name=name)


def result_from(prepared: Prepared, definition: IndexDefinition) -> CompositeIndexResult:
    """Compute the nominal index from prepared inputs (the same code path as one Monte Carlo draw)."""
    X = prepared.normalised(definition.normalisation)
    filled, flags = impute(X, prepared.observed, prepared.membership, prepared.dimension_ok, definition.imputation)
    dims = dimension_scores(filled, prepared.weights[None, :], prepared.membership)
    scores = combine(
        dims,
        prepared.dimension_ok,
        prepared.dimension_weights[None, :],
        np.array([definition.aggregation == "geometric"]),
        prepared.min_dimensions,
    )[:, 0]
    dims = np.where(prepared.dimension_ok, dims[:, 0, :], np.nan)
    areas = prepared.areas
    indicators = list(prepared.indicators)
    dimensions = list(prepared.dimensions)
    return CompositeIndexResult(
        definition=definition,
        scores=pd.Series(scores, index=areas, name="score"),
        ranks=_ranks_series(rank_descending(scores), areas, "rank"),
        dimension_scores=pd.DataFrame(dims, index=areas, columns=dimensions),
        normalised=pd.DataFrame(filled, index=areas, columns=indicators),
        imputed=pd.DataFrame(flags, index=areas, columns=indicators),
        coverage=pd.DataFrame(prepared.coverage, index=areas, columns=dimensions),
        treatments=prepared.treatments,
        weights=pd.Series(prepared.weights, index=indicators, name="weight"),
        dimension_weights=pd.Series(prepared.dimension_weights, index=dimensions, name="weight"),
        notes=prepared.notes,
    )


def compute_index(
    data: pd.DataFrame, specs: Mapping[str, IndicatorSpec], definition: IndexDefinition | None = None
) -> CompositeIndexResult:
    """Compute a composite index from raw indicator values.

    Parameters
    ----------
    data : pandas.DataFrame
        Raw values: index = area codes, columns = indicator codes, NaN = missing. Not modified.
    specs : mapping of str to IndicatorSpec
        Dimension, direction and optional goalposts/target/weight of each indicator.
    definition : IndexDefinition, optional
        Indicators and methods; the default uses every specified indicator (so all seven dimensions
        when the data covers them), min-max normalisation, equal weights, no imputation and
        geometric aggregation across dimensions.

    Returns
    -------
    CompositeIndexResult

    References
    ----------
    OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, steps 4–8.
    Marin-Ferrer et al. (2017). *INFORM Index for Risk Management: Concept and Methodology*.

    Examples
    --------
    Three areas, two dimensions of one indicator each; "b" is worst on both:

    >>> data = pd.DataFrame({"homicide": [2.0, 10.0, 6.0], "water": [90.0, 50.0, 70.0]}, index=["a", "b", "c"])
    >>> specs = {"homicide": IndicatorSpec("personal", True), "water": IndicatorSpec("health", False)}
    >>> result = compute_index(data, specs)
    >>> result.scores.round(3).tolist(), result.ranks.tolist()
    ([0.0, 10.0, 5.0], [3, 1, 2])
    >>> result.dimension_scores.loc["c"].tolist()
    [5.0, 5.0]
    """
    definition = definition or IndexDefinition()
    return result_from(prepare(data, specs, definition), definition)
