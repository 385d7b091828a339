"""Normalisation to a common 0–10 scale on which a higher value always means *less* secure.

Three methods (OECD/JRC Handbook, section 5, Table 3):

``minmax``
    ``10 · (x − lo) / (hi − lo)`` clipped to [0, 10], with ``(lo, hi)`` the indicator's fixed
    goalposts when given (INFORM practice: comparable across years) and else the observed minimum and
    maximum. For a "higher is better" indicator the result is mirrored: ``10 − …``.
``zscore``
    ``z = ±(x − mean) / sd`` (sample sd; sign so that a positive z is worse), clipped to ±3 and mapped
    linearly to 0–10: ``10 · (z + 3) / 6``; the average area scores 5. Clipping (rather than a
    min-max of z, which would just reproduce ``minmax``) keeps what distinguishes the z-score: the
    scale is set by the spread of all areas, not by the two most extreme ones.
``target``
    Distance to target (SDSN SDG Index practice): ``10 · (x − target) / (worst − target)`` clipped to
    [0, 10], where ``worst`` is the worse goalpost or else the worst observed value; areas that meet
    the target score 0 and earn no credit for exceeding it. Without a target, the best goalpost or
    best observed value is used, which makes it identical to ``minmax``.

A constant indicator (no spread) carries no information on who is less secure: every area gets the
mid-point 5 (with ``target``, 0 when every area meets the target).

References
----------
OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, section 1.5 and Table 3.
Marin-Ferrer, M., Vernaccini, L. & Poljansek, K. (2017). *INFORM Index for Risk Management: Concept
and Methodology, Version 2017*. JRC Technical Report EUR 28655 EN (goalposts, 0–10 scale).
Lafortune, G. et al. (2018). *SDG Index and Dashboards: Detailed Methodology*. SDSN (distance to
target with capped values).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from safercities.analytics.composite.spec import NORMALISATIONS, CompositeIndexError, IndicatorSpec


def _spec_arrays(columns: list[str], specs: Mapping[str, IndicatorSpec]) -> tuple[np.ndarray, ...]:
    worse = np.array([specs[c].higher_is_worse for c in columns], dtype=bool)
    lo = np.array([specs[c].goalposts[0] if specs[c].goalposts else np.nan for c in columns], dtype=float)
    hi = np.array([specs[c].goalposts[1] if specs[c].goalposts else np.nan for c in columns], dtype=float)
    target = np.array([specs[c].target if specs[c].target is not None else np.nan for c in columns], dtype=float)
    return worse, lo, hi, target


def normalise_array(
    values: np.ndarray,
    worse: np.ndarray,
    method: str,
    goal_lo: np.ndarray | None = None,
    goal_hi: np.ndarray | None = None,
    target: np.ndarray | None = None,
) -> np.ndarray:
    """Normalise an ``(areas, indicators)`` array column by column; NaN stays NaN.

    Parameters
    ----------
    values : ndarray, shape (n_areas, n_indicators)
        Raw (or treated) values.
    worse : ndarray of bool, shape (n_indicators,)
        ``True`` where a higher raw value is worse.
    method : {"minmax", "zscore", "target"}
    goal_lo, goal_hi, target : ndarray, shape (n_indicators,), optional
        Goalposts and targets, NaN where not given.

    Returns
    -------
    ndarray
        Values on 0–10, higher = less secure.

    Examples
    --------
    >>> x = np.array([[0.0, 50.0], [5.0, 75.0], [10.0, 100.0]])
    >>> normalise_array(x, np.array([True, False]), "minmax")
    array([[ 0., 10.],
           [ 5.,  5.],
           [10.,  0.]])
    >>> normalise_array(x, np.array([True, False]), "target", target=np.array([2.0, np.nan]))
    array([[ 0.  , 10.  ],
           [ 3.75,  5.  ],
           [10.  ,  0.  ]])
    """
    if method not in NORMALISATIONS:
        raise CompositeIndexError(f"normalisation must be one of {', '.join(NORMALISATIONS)}; got {method!r}")
    x = np.asarray(values, dtype=float)
    n_ind = x.shape[1]
    nan = np.full(n_ind, np.nan)
    goal_lo = nan if goal_lo is None else np.asarray(goal_lo, dtype=float)
    goal_hi = nan if goal_hi is None else np.asarray(goal_hi, dtype=float)
    target = nan if target is None else np.asarray(target, dtype=float)
    worse = np.asarray(worse, dtype=bool)
    observed = np.isfinite(x).any(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        obs_min = np.where(observed, np.where(np.isfinite(x), x, np.inf).min(axis=0, initial=np.inf), np.nan)
        obs_max = np.where(observed, np.where(np.isfinite(x), x, -np.inf).max(axis=0, initial=-np.inf), np.nan)
        lo = np.where(np.isfinite(goal_lo), goal_lo, obs_min)
        hi = np.where(np.isfinite(goal_hi), goal_hi, obs_max)
        if method == "minmax":
            span = hi - lo
            v = np.clip((x - lo) / np.where(span > 0, span, 1.0), 0.0, 1.0)
            v = np.where(worse, v, 1.0 - v)
            out = np.where(span > 0, 10.0 * v, 5.0)
        elif method == "zscore":
            finite = np.isfinite(x)
            count = finite.sum(axis=0)
            mean = np.where(finite, x, 0.0).sum(axis=0) / np.where(count > 0, count, 1)
            dev = np.where(finite, x - mean, 0.0)
            sd = np.sqrt((dev**2).sum(axis=0) / np.where(count > 1, count - 1, 1))
            sd = np.where(count > 1, sd, 0.0)
            z = (x - mean) / np.where(sd > 0, sd, 1.0)
            z = np.where(worse, z, -z)
            out = np.where(sd > 0, 10.0 * (np.clip(z, -3.0, 3.0) + 3.0) / 6.0, 5.0)
        else:  # distance to target
            best = np.where(np.isfinite(target), target, np.where(worse, lo, hi))
            worst = np.where(worse, hi, lo)
            gap = np.where(worse, x - best, best - x)
            span = np.where(worse, worst - best, best - worst)
            has_target = np.isfinite(target)
            v = np.clip(gap / np.where(span > 0, span, 1.0), 0.0, 1.0)
            flat = np.where(has_target, np.where(gap > 0, 10.0, 0.0), 5.0)
            out = np.where(span > 0, 10.0 * v, flat)
    return np.where(np.isfinite(x), out, np.nan)


def normalise(data: pd.DataFrame, specs: Mapping[str, IndicatorSpec], method: str = "minmax") -> pd.DataFrame:
    """Normalise a data frame (areas × indicators) with each column's spec; returns a new frame.

    Examples
    --------
    >>> frame = pd.DataFrame({"homicide": [2.0, 4.0, 6.0]}, index=["a", "b", "c"])
    >>> normalise(frame, {"homicide": IndicatorSpec("personal", True)})["homicide"].tolist()
    [0.0, 5.0, 10.0]
    """
    columns = [str(c) for c in data.columns]
    missing = [c for c in columns if c not in specs]
    if missing:
        raise CompositeIndexError(f"no specification for indicator(s): {', '.join(missing)}")
    worse, lo, hi, target = _spec_arrays(columns, specs)
    out = normalise_array(data.to_numpy(dtype=float), worse, method, lo, hi, target)
    return pd.DataFrame(out, index=data.index, columns=data.columns)
