"""Disclosure control for public outputs: small-count suppression and geographic masking.

Two rules from DESIGN.md ("do no harm"), both configurable per city:

1. **Small counts** (Hundepool et al. 2012, *Statistical Disclosure Control*, ch. 5): a count ``c``
   with ``0 < c < k`` is suppressed (primary suppression). Where a total is also published, one
   suppressed cell in a row or column could be recovered by subtraction, so a second cell is
   suppressed too (secondary suppression): the smallest unsuppressed non-zero cell of that line,
   repeated until every line with a suppression has at least two (or none). Zeros are published:
   a zero reveals nobody. Default ``k = 5``.
2. **Geographic masking** of points: each point is snapped to an h3 cell (never jittered — jitter can
   be averaged away and misplaces points); a cell holding fewer than ``k`` points is rolled up to its
   parent cell, repeatedly, down to a coarsest resolution; what is still under ``k`` there is withheld.
   Defaults: general incidents at resolution 8 with ``k = 5``; sensitive categories (gender-based
   violence, harassment) at resolution 7 with ``k = 10``.

Examples
--------
>>> suppress_counts([12, 3, 0, 7], threshold=5)
[12, None, 0, None]
>>> suppress_counts([12, 3, 0, 7], threshold=5, with_total=False)
[12, None, 0, 7]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import h3
import numpy as np

DEFAULT_THRESHOLD = 5
SENSITIVE_THRESHOLD = 10
DEFAULT_RESOLUTION = 8
SENSITIVE_RESOLUTION = 7


def _primary(counts: np.ndarray, threshold: int) -> np.ndarray:
    return (counts > 0) & (counts < threshold)


def _secondary_line(counts: np.ndarray, hidden: np.ndarray) -> bool:
    """Hide one more cell in a line with exactly one hidden cell; return whether anything changed."""
    if hidden.sum() != 1:
        return False
    candidates = np.where(~hidden & (counts > 0))[0]
    if len(candidates) == 0:
        return False  # the lone suppressed cell is the only non-zero one: the total itself is small
    smallest = candidates[np.argmin(counts[candidates])]
    hidden[smallest] = True
    return True


def suppression_mask(counts: np.ndarray, threshold: int = DEFAULT_THRESHOLD, *, with_totals: bool = True) -> np.ndarray:
    """Boolean mask of cells to withhold in a 1-D or 2-D table of counts.

    ``with_totals`` says that row (and, for 2-D, column) totals are published beside the cells, which
    is what makes secondary suppression necessary.
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim not in (1, 2):
        raise ValueError("counts must be a 1-D or 2-D table")
    if np.any(table < 0) or not np.all(np.isfinite(table)):
        raise ValueError("counts must be finite and non-negative")
    hidden = _primary(table, threshold)
    if not with_totals:
        return hidden
    if table.ndim == 1:
        _secondary_line(table, hidden)
        return hidden
    changed = True
    while changed:
        changed = False
        for i in range(table.shape[0]):
            changed |= _secondary_line(table[i], hidden[i])
        for j in range(table.shape[1]):
            column = hidden[:, j].copy()
            if _secondary_line(table[:, j], column):
                hidden[:, j] = column
                changed = True
    return hidden


def suppress_counts(
    counts: Sequence[float], threshold: int = DEFAULT_THRESHOLD, *, with_total: bool = True
) -> list[float | None]:
    """The counts with suppressed cells as ``None`` (for a list published with its total)."""
    array = np.asarray(counts, dtype=float)
    mask = suppression_mask(array, threshold, with_totals=with_total)
    return [
        None if hide else (int(v) if float(v).is_integer() else float(v)) for v, hide in zip(array, mask, strict=True)
    ]


def suppressed_total(counts: Sequence[float], threshold: int = DEFAULT_THRESHOLD) -> float | None:
    """A published total, itself withheld when it is a small count."""
    total = float(np.sum(counts))
    return None if 0 < total < threshold else total


@dataclass(frozen=True)
class MaskedCell:
    """One published unit: an h3 cell (possibly coarser than asked), its centre and its count."""

    cell: str
    resolution: int
    lat: float
    lon: float
    count: int


@dataclass(frozen=True)
class MaskResult:
    cells: tuple[MaskedCell, ...]
    withheld: int  # points in units that stayed under k even at the coarsest resolution

    def as_features(self) -> list[dict[str, object]]:
        """GeoJSON features of the published cells (polygons of the cells, never the points)."""
        features = []
        for cell in self.cells:
            ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell.cell)]
            ring.append(ring[0])
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {"h3": cell.cell, "resolution": cell.resolution, "count": cell.count},
                }
            )
        return features


def mask_points(
    lat: Sequence[float],
    lon: Sequence[float],
    *,
    resolution: int = DEFAULT_RESOLUTION,
    threshold: int = DEFAULT_THRESHOLD,
    coarsest: int | None = None,
) -> MaskResult:
    """Snap points to h3 cells, rolling sparse cells up to parents until each holds ≥ ``threshold``.

    ``coarsest`` (default ``resolution − 3``) bounds the roll-up; counts still under the threshold
    there are withheld and only their number is reported.
    """
    lat_arr, lon_arr = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if lat_arr.shape != lon_arr.shape:
        raise ValueError("lat and lon must have the same length")
    ok = np.isfinite(lat_arr) & np.isfinite(lon_arr) & (np.abs(lat_arr) <= 90) & (np.abs(lon_arr) <= 180)
    coarsest = max(0, resolution - 3) if coarsest is None else coarsest
    if not 0 <= coarsest <= resolution <= 15:
        raise ValueError("resolutions must satisfy 0 ≤ coarsest ≤ resolution ≤ 15")
    counts: dict[str, int] = {}
    for la, lo in zip(lat_arr[ok], lon_arr[ok], strict=True):
        cell = h3.latlng_to_cell(float(la), float(lo), resolution)
        counts[cell] = counts.get(cell, 0) + 1
    published: dict[str, int] = {}
    level = resolution
    while counts:
        small = {cell: n for cell, n in counts.items() if n < threshold}
        for cell, n in counts.items():
            if n >= threshold:
                published[cell] = published.get(cell, 0) + n
        if level == coarsest or not small:
            withheld = sum(small.values())
            break
        level -= 1
        rolled: dict[str, int] = {}
        for cell, n in small.items():
            parent = h3.cell_to_parent(cell, level)
            rolled[parent] = rolled.get(parent, 0) + n
        counts = rolled
    else:
        withheld = 0
    cells = []
    for cell in sorted(published):
        centre_lat, centre_lon = h3.cell_to_latlng(cell)
        cells.append(MaskedCell(cell, h3.get_resolution(cell), centre_lat, centre_lon, published[cell]))
    return MaskResult(cells=tuple(cells), withheld=int(withheld) + int((~ok).sum()))
