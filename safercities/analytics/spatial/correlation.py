"""Interconnections: which indicators or dimensions move together across the city's areas?

For every pair of columns of an areas-by-indicators table we report Pearson's ``r`` (linear
association) and Spearman's ``rho`` (monotone association, robust to outliers and skewed counts),
each with its two-sided p-value and a Benjamini-Hochberg q-value computed over all pairs of the
same method — a table of 21 dimension pairs tested at 0.05 would otherwise show one "link" by
chance alone.

Pairwise-complete: each pair uses the areas where both values are present, so one sparse indicator
does not shrink every other pair. A pair with fewer than ``min_n`` areas (or a constant column) gets
``NaN`` and is left out of the FDR correction.

Caveat for the analyst: areas are not independent (neighbours resemble each other: see Moran's I),
so these p-values are optimistic under spatial autocorrelation (Clifford, Richardson & Hémon 1989).
Read them as a screen, not as proof of a link.

References
----------
Pearson, K. (1896). Mathematical contributions to the theory of evolution III. *Phil. Trans. R.
Soc. A* 187, 253-318.
Spearman, C. (1904). The proof and measurement of association between two things. *American
Journal of Psychology* 15(1), 72-101.
Benjamini, Y. and Hochberg, Y. (1995). *JRSS B* 57(1), 289-300.
Clifford, P., Richardson, S. and Hémon, D. (1989). Assessing the significance of the correlation
between two spatial processes. *Biometrics* 45(1), 123-134.

Examples
--------
Anscombe's (1973) first data set has r = 0.816 (published to three decimals).

>>> import pandas as pd
>>> x = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
>>> y = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]
>>> tab = pairwise_correlations(pd.DataFrame({"x": x, "y": y}))
>>> tab[["x", "y", "method", "n"]].values.tolist()
[['x', 'y', 'pearson', 11], ['x', 'y', 'spearman', 11]]
>>> round(float(tab["r"].iloc[0]), 3)
0.816
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from .multiple_testing import bh_adjust

__all__ = ["COLUMNS", "pairwise_correlations"]

COLUMNS = ["x", "y", "method", "n", "r", "p_value", "q_value"]
METHODS = ("pearson", "spearman")


def pairwise_correlations(table: pd.DataFrame, *, methods: tuple[str, ...] = METHODS, min_n: int = 8) -> pd.DataFrame:
    """Tidy frame of pairwise correlations between the columns of ``table`` (rows = areas).

    Parameters
    ----------
    table : pandas.DataFrame
        Areas in rows, indicators/dimensions in columns (numeric; ``NaN`` = missing). Not modified.
    methods : tuple of {"pearson", "spearman"}
        Which coefficients to compute.
    min_n : int
        Fewest complete areas for a pair to be tested (at least 3).

    Returns
    -------
    pandas.DataFrame
        Columns ``x, y, method, n, r, p_value, q_value``; one row per pair and method, pairs in
        column order.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown correlation methods: {unknown}")
    if min_n < 3:
        raise ValueError("min_n must be at least 3")
    data = table.apply(pd.to_numeric, errors="raise").astype(float)
    rows = []
    for a, b in combinations(list(data.columns), 2):
        both = data[[a, b]].dropna()
        n = len(both)
        xa, xb = both[a].to_numpy(), both[b].to_numpy()
        testable = n >= min_n and np.ptp(xa) > 0 and np.ptp(xb) > 0
        for method in methods:
            r = p = float("nan")
            if testable:
                res = stats.pearsonr(xa, xb) if method == "pearson" else stats.spearmanr(xa, xb)
                r, p = float(res[0]), float(res[1])
            rows.append({"x": str(a), "y": str(b), "method": method, "n": n, "r": r, "p_value": p})
    out = pd.DataFrame(rows, columns=COLUMNS[:-1])
    out["q_value"] = np.nan
    for method in methods:
        sel = out["method"] == method
        if sel.any():
            out.loc[sel, "q_value"] = bh_adjust(out.loc[sel, "p_value"].to_numpy())
    return out.reset_index(drop=True)
