"""The survey estimator and its disclosure control, as pure functions (no Django).

Shares are unweighted proportions of respondents with a Wilson score interval (Wilson 1927), which
stays inside [0, 1] and keeps its coverage for small samples and shares near 0 or 1, where the Wald
interval fails (Brown, Cai & DasGupta 2001, *Statistical Science* 16(2)).

Examples
--------
>>> lo, hi = wilson_interval(81, 263)
>>> round(lo, 4), round(hi, 4)
(0.2553, 0.3662)
>>> wilson_interval(0, 0)
(None, None)
"""

from __future__ import annotations

import math

import numpy as np

from safercities.analytics.disclosure import suppression_mask

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval of a proportion ``successes / n`` (``(None, None)`` when n = 0)."""
    if n <= 0:
        return None, None
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def suppress_table(
    table: np.ndarray, threshold: int, *, hidden_rows: np.ndarray | None = None, hidden_cols: np.ndarray | None = None
) -> np.ndarray:
    """Cells of a 2-D table of respondent counts to withhold, margins published.

    Starts from ``analytics.disclosure.suppression_mask`` (primary and secondary suppression) and adds
    whole rows and columns whose margin is itself withheld (``hidden_rows``/``hidden_cols``): all
    their non-zero cells are hidden, otherwise the margin could be rebuilt from the cells. Hiding
    them can leave a line with one hidden cell, so the rule is re-applied — with every hidden non-zero
    cell presented as a count of 1, i.e. as a primary suppression — until nothing changes. The mask
    only grows, so the loop ends.
    """
    counts = np.asarray(table, dtype=float)
    mask = suppression_mask(counts, threshold)
    if hidden_rows is not None:
        mask[np.asarray(hidden_rows, dtype=bool)] |= counts[np.asarray(hidden_rows, dtype=bool)] > 0
    if hidden_cols is not None:
        cols = np.asarray(hidden_cols, dtype=bool)
        mask[:, cols] |= counts[:, cols] > 0
    while True:
        presented = np.where(mask & (counts > 0), 1.0, counts)
        again = suppression_mask(presented, threshold) | mask
        if np.array_equal(again, mask):
            return mask
        mask = again
