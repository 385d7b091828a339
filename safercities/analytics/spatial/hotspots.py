"""One call for a hot-spot map: global Moran's I, local Gi* and Local Moran on the same weights.

:func:`hotspot_analysis` takes one value per unit and a :class:`~.weights.SpatialWeights`, and
returns a :class:`HotspotResult` whose :meth:`~HotspotResult.as_dict` is the ``hotspots`` JSON of
INTERFACES.md. Units with a missing value are dropped before the analysis (their links disappear)
and reported with ``null`` statistics; islands follow the island policy of :mod:`.weights`.

Gi*, Local Moran and Moran's I use the same seed, so the whole result reproduces exactly.
Gi* and Local Moran share one set of conditional permutations (same seed, same draws, computed once),
so their p-values are consistent with each other.

The global Moran's I is one test, not one per unit: it gets ``min(permutations, 999)`` relabellings
(``moran_permutations``): its two-sided pseudo p then has a Monte Carlo standard error of about 0.01
at p = 0.05 (2·sqrt(p/2 · (1 − p/2) / R)) and reaches down to 0.002; the local statistics keep
every permutation the false-discovery control needs (docs/methodology-spatial.md §5). The count used
is reported in ``moran.permutations``.

References
----------
Getis & Ord (1992); Ord & Getis (1995); Anselin (1995); Moran (1950); Benjamini & Hochberg (1995):
see the modules :mod:`.getis_ord`, :mod:`.lisa`, :mod:`.moran`, :mod:`.multiple_testing`.

Examples
--------
An 8 x 8 lattice (queen neighbours) with a high 4 x 4 block in one corner:

>>> from shapely.geometry import box
>>> from safercities.analytics.spatial.weights import queen_weights
>>> cells = [box(x, y, x + 1, y + 1) for y in range(8) for x in range(8)]
>>> codes = [f"c{y}{x}" for y in range(8) for x in range(8)]
>>> values = {c: 10.0 + int(c[2]) / 10 if c[1] < "4" and c[2] < "4" else 1.0 + int(c[1]) / 10 for c in codes}
>>> res = hotspot_analysis(values, queen_weights(cells, codes), permutations=999, seed=3)
>>> res.as_dict()["weights"], round(res.moran.I, 3), res.moran.p_value
('queen', 0.745, 0.002)
>>> res.units[9].as_dict()["hotspot"], res.units[9].as_dict()["lisa"]
('hot', 'HH')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .conditional import conditional_tail_counts
from .getis_ord import local_gi_star
from .lisa import local_moran
from .moran import MoranResult, global_moran
from .weights import SpatialWeights

__all__ = ["MORAN_PERMUTATIONS", "HotspotResult", "HotspotUnit", "hotspot_analysis"]

MORAN_PERMUTATIONS = 999  # the global test's relabellings at most (one test: no multiplicity to beat)


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class HotspotUnit:
    code: str
    value: float | None
    gi_z: float | None
    gi_p: float | None
    hotspot: str | None
    lisa: str | None
    lisa_i: float | None = None
    lisa_p: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "value": _num(self.value),
            "gi_z": _num(self.gi_z),
            "gi_p": _num(self.gi_p),
            "hotspot": self.hotspot,
            "lisa": self.lisa,
        }


@dataclass(frozen=True)
class HotspotResult:
    weights: str
    moran: MoranResult
    units: tuple[HotspotUnit, ...]
    alpha: float
    correction: str
    alternative: str
    seed: int
    islands: tuple[str, ...]
    dropped: tuple[str, ...]

    def as_dict(self, *, indicator: str | None = None, period: str | None = None) -> dict[str, object]:
        """INTERFACES.md's hotspots JSON (``NaN`` becomes ``null``); extra keys say how it was made."""
        moran = {k: (_num(v) if isinstance(v, float) else v) for k, v in self.moran.as_dict().items()}
        return {
            "indicator": indicator,
            "period": period,
            "weights": self.weights,
            "moran": moran,
            "units": [u.as_dict() for u in self.units],
            "alpha": self.alpha,
            "correction": self.correction,
            "alternative": self.alternative,
            "seed": self.seed,
            "islands": list(self.islands),
        }


def _align(values: Mapping[str, float | None] | pd.Series | Sequence[float], weights: SpatialWeights) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = {str(k): v for k, v in values.items()}
    if isinstance(values, Mapping):
        unknown = sorted(set(map(str, values)) - set(weights.codes))
        if unknown:
            raise KeyError(f"values for units that are not in the weights: {unknown[:5]}")
        got = {str(k): v for k, v in values.items()}
        raw = [got.get(c) for c in weights.codes]
    else:
        raw = list(values)
        if len(raw) != weights.n:
            raise ValueError(f"expected {weights.n} values in the order of the weights, got {len(raw)}")
    return np.array([np.nan if v is None else float(v) for v in raw], dtype=float)


def hotspot_analysis(
    values: Mapping[str, float | None] | pd.Series | Sequence[float],
    weights: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alpha: float = 0.05,
    fdr: bool = True,
    correction: str | None = None,
    alternative: str = "two-sided",
    moran_permutations: int | None = None,
) -> HotspotResult:
    """Moran's I, Gi* hot/cold spots and LISA clusters for one indicator.

    Parameters
    ----------
    values : mapping code -> value, pandas Series indexed by code, or sequence in ``weights.codes`` order
        ``None``/``NaN`` marks a missing value (the unit is dropped from the analysis). Not modified.
    weights : SpatialWeights
        Binary neighbours; the name is reported.
    permutations : int
        Permutations for every pseudo p-value.
    seed : int
        One seed for the whole analysis.
    alpha : float
        Level (``q`` of the FDR) at which units are labelled.
    fdr : bool
        Benjamini-Hochberg control (default) or none; overridden by ``correction``.
    correction : {"fdr_bh", "bonferroni", "none"}, optional
        Explicit multiple-testing correction.
    alternative : {"two-sided", "directed"}
        Pseudo p-value convention (``directed`` reproduces GeoDa's).
    moran_permutations : int, optional
        Relabellings of the global Moran's I (default ``min(permutations, MORAN_PERMUTATIONS)``).
    """
    corr = correction or ("fdr_bh" if fdr else "none")
    y = _align(values, weights)
    present = ~np.isnan(y)
    dropped = tuple(c for c, ok in zip(weights.codes, present, strict=True) if not ok)
    w = weights if present.all() else weights.subset(c for c, ok in zip(weights.codes, present, strict=True) if ok)
    yv = y[present]
    if moran_permutations is None:
        moran_permutations = min(permutations, MORAN_PERMUTATIONS)
    moran = global_moran(yv, w, permutations=moran_permutations, seed=seed, alternative=alternative)
    local = {"permutations": permutations, "seed": seed, "alpha": alpha, "correction": corr, "alternative": alternative}
    counts = None
    if permutations >= 1 and w.n >= 4 and int(w.cardinalities.max()) + 1 <= w.n:
        _, counts = conditional_tail_counts(yv, w, permutations=permutations, seed=seed)
    gi = local_gi_star(yv, w, tail_counts=counts, **local)
    li = local_moran(yv, w, tail_counts=counts, **local)
    pos = {c: i for i, c in enumerate(w.codes)}
    units = []
    for code, value in zip(weights.codes, y, strict=True):
        i = pos.get(code)
        if i is None:
            units.append(HotspotUnit(code, None, None, None, None, None))
            continue
        units.append(
            HotspotUnit(
                code=code,
                value=float(value),
                gi_z=_num(gi.z[i]),
                gi_p=_num(gi.p_value[i]),
                hotspot=gi.hotspot[i],
                lisa=li.label[i],
                lisa_i=_num(li.I[i]),
                lisa_p=_num(li.p_value[i]),
            )
        )
    return HotspotResult(
        weights=weights.name,
        moran=moran,
        units=tuple(units),
        alpha=alpha,
        correction=corr,
        alternative=alternative,
        seed=seed,
        islands=w.islands,
        dropped=dropped,
    )
