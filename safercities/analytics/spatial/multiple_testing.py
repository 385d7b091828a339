"""Multiple-testing control for local statistics: Benjamini-Hochberg FDR and Bonferroni.

A hot-spot map tests every unit at once; at ``alpha = 0.05`` a city of 2,000 cells shows about 100
"significant" cells on pure noise. The Benjamini-Hochberg step-up procedure keeps the expected
share of false discoveries among the flagged units at or below ``q``; Bonferroni keeps the chance
of *any* false discovery below ``alpha`` (stricter, fewer hot spots). ``NaN`` p-values (islands,
pairs with too few observations) are neither tested nor counted in ``m``.

References
----------
Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate: a practical and
powerful approach to multiple testing. *Journal of the Royal Statistical Society B* 57(1), 289-300.
Caldas de Castro, M. and Singer, B. H. (2006). Controlling the false discovery rate: a new
application to account for multiple and dependent tests in local statistics of spatial association.
*Geographical Analysis* 38(2), 180-208.

Examples
--------
The fifteen p-values of Benjamini & Hochberg's (1995) worked example: Bonferroni rejects three
hypotheses, the FDR procedure four.

>>> p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262,
...      0.5719, 0.6528, 0.7590, 1.000]
>>> int(significant(p, alpha=0.05, correction="bonferroni").sum()), int(significant(p, 0.05).sum())
(3, 4)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["CORRECTIONS", "bh_adjust", "significant"]

CORRECTIONS = ("fdr_bh", "bonferroni", "none")


def bh_adjust(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values ("q-values"); ``NaN`` stays ``NaN``.

    ``q_(i) = min_{j >= i} m p_(j) / j``, capped at 1, so that ``q <= alpha`` exactly when BH at
    level ``alpha`` rejects.

    Examples
    --------
    >>> bh_adjust([0.01, 0.04, 0.03, float("nan")]).round(4).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv, kind="mergesort")
    ranked = pv[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(q, 1.0)
    out[ok] = adj
    return out


def significant(p_values: Sequence[float] | np.ndarray, alpha: float = 0.05, correction: str = "fdr_bh") -> np.ndarray:
    """Boolean mask of the units declared significant under ``correction`` (``NaN`` -> ``False``)."""
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    p = np.asarray(p_values, dtype=float)
    ok = ~np.isnan(p)
    if correction == "none":
        return ok & (np.nan_to_num(p, nan=1.0) <= alpha)
    if correction == "bonferroni":
        m = max(int(ok.sum()), 1)
        return ok & (np.nan_to_num(p, nan=1.0) <= alpha / m)
    return ok & (np.nan_to_num(bh_adjust(p), nan=1.0) <= alpha)
