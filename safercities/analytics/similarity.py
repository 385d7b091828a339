"""Peer cities: how alike two cities' human-security profiles and sizes are ("cities like mine").

Method
------
Each city is a profile of eight features: its seven dimension scores (0–10, the city-level mean of
its latest published default-index results) and ``log10`` of its population. The distance between
two cities is a **standardised, weighted Euclidean distance** over the features both have:

``d(a, b) = sqrt( (W / W_ab) · Σ_j w_j · ((a_j − b_j) / s_j)² )``

- ``s_j`` is the standard deviation of feature ``j`` over all profiles compared (the target and its
  candidates, population form ``ddof=0``), so a feature with a wide spread does not dominate; when
  fewer than two profiles have the feature, or all have the same value, ``s_j = 1``.
- ``w_j`` are the weights (``DEFAULT_WEIGHTS``): the seven dimensions share 0.75 equally
  (0.75 / 7 each) and size (``log10`` population) has 0.25 — the profile matters more than size,
  but a city of 50,000 and one of 5 million are not close peers even with the same scores.
- Missing features: the sum runs over the features both cities have; ``W_ab`` is the total
  weight of those features and ``W`` the total weight of all features, so the distance is
  rescaled to the full feature set (as in Gower's treatment of missing values). A pair sharing
  fewer than ``min_dimensions`` dimension scores is not comparable and gets no distance.

Similarity for display is ``1 / (1 + d)`` (1 = identical). Ties are broken by the candidates' keys,
so the order never depends on the input order.

References: Gower, J. C. (1971). A general coefficient of similarity and some of its properties.
*Biometrics* 27(4), 857–871. Standardised Euclidean distance as in SciPy's ``seuclidean``.

Examples
--------
>>> me = CityProfile("me", {"personal": 6.0, "community": 5.0, "economic": 4.0}, population=1_000_000)
>>> a = CityProfile("a", {"personal": 6.0, "community": 5.0, "economic": 4.0}, population=1_000_000)
>>> b = CityProfile("b", {"personal": 2.0, "community": 1.0, "economic": 8.0}, population=50_000)
>>> [(p.key, round(p.distance, 3)) for p in rank_peers(me, [b, a])]
[('a', 0.0), ('b', 2.121)]

(Each of b's four squared standardised gaps is 4.5, so d = sqrt(4.5) whatever the weights.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DIMENSIONS: tuple[str, ...] = ("economic", "food", "health", "environmental", "personal", "community", "political")
POPULATION = "log_population"
DEFAULT_WEIGHTS: dict[str, float] = {**{d: 0.75 / len(DIMENSIONS) for d in DIMENSIONS}, POPULATION: 0.25}


@dataclass(frozen=True)
class CityProfile:
    """A city's features: dimension scores (``None`` or absent when unknown) and population."""

    key: str
    dimensions: Mapping[str, float | None] = field(default_factory=dict)
    population: float | None = None

    def features(self) -> dict[str, float]:
        """Known features only: the seven dimensions and ``log10`` of a positive population."""
        out = {d: float(v) for d, v in self.dimensions.items() if d in DIMENSIONS and v is not None and _finite(v)}
        if self.population is not None and _finite(self.population) and self.population > 0:
            out[POPULATION] = math.log10(float(self.population))
        return out


@dataclass(frozen=True)
class Peer:
    """One candidate's distance to the target, with the features the comparison used."""

    key: str
    distance: float
    similarity: float
    shared: tuple[str, ...]


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _spread(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 1.0
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return sd if sd > 0 else 1.0


def scales(profiles: Sequence[CityProfile]) -> dict[str, float]:
    """``s_j`` per feature: the standard deviation over the profiles (1 when undefined or zero)."""
    columns: dict[str, list[float]] = {name: [] for name in DEFAULT_WEIGHTS}
    for profile in profiles:
        for name, value in profile.features().items():
            columns[name].append(value)
    return {name: _spread(values) for name, values in columns.items()}


def distance(
    a: CityProfile,
    b: CityProfile,
    spread: Mapping[str, float],
    *,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    min_dimensions: int = 3,
) -> tuple[float, tuple[str, ...]] | None:
    """The rescaled standardised distance and the shared features, or None when not comparable."""
    fa, fb = a.features(), b.features()
    shared = tuple(name for name in weights if name in fa and name in fb and weights[name] > 0)
    if sum(1 for name in shared if name in DIMENSIONS) < min_dimensions:
        return None
    total = sum(w for w in weights.values() if w > 0)
    used = sum(weights[name] for name in shared)
    squared = sum(weights[name] * ((fa[name] - fb[name]) / spread.get(name, 1.0)) ** 2 for name in shared)
    return math.sqrt(squared * total / used), shared


def rank_peers(
    target: CityProfile,
    candidates: Sequence[CityProfile],
    *,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    min_dimensions: int = 3,
    limit: int | None = None,
) -> list[Peer]:
    """Candidates ordered from most to least alike; incomparable ones (too few shared dimensions) are left out.

    The target itself (same key) is never its own peer. Inputs are not modified.
    """
    if any(w < 0 or not _finite(w) for w in weights.values()):
        raise ValueError("weights must be finite and non-negative")
    others = [c for c in candidates if c.key != target.key]
    spread = scales([target, *others])
    peers = []
    for candidate in others:
        found = distance(target, candidate, spread, weights=weights, min_dimensions=min_dimensions)
        if found is None:
            continue
        d, shared = found
        peers.append(Peer(candidate.key, d, 1.0 / (1.0 + d), shared))
    peers.sort(key=lambda p: (p.distance, p.key))
    return peers if limit is None else peers[:limit]
