"""What an index is made of: indicator specifications, the treatment rule and index definitions.

Everything here is a frozen dataclass validated on construction, so a definition that reaches the
computation is known to be coherent. ``IndexDefinition.to_dict``/``from_dict`` give the JSON shape
stored in a city's index configuration.

References
----------
OECD & JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User Guide*.
OECD Publishing, Paris. Steps 4–6 (imputation, normalisation, weighting and aggregation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

#: The seven human-security dimensions (UNDP Human Development Report 1994), in display order.
DIMENSIONS: tuple[str, ...] = ("economic", "food", "health", "environmental", "personal", "community", "political")

NORMALISATIONS: tuple[str, ...] = ("minmax", "zscore", "target")
IMPUTATIONS: tuple[str, ...] = ("none", "dimension_mean", "median")
WEIGHTINGS: tuple[str, ...] = ("equal", "custom", "pca")
AGGREGATIONS: tuple[str, ...] = ("geometric", "arithmetic")


class CompositeIndexError(ValueError):
    """The inputs or the definition do not allow an index to be computed; the message says why."""


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise CompositeIndexError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _frozen_weights(name: str, weights: Mapping[str, float] | None) -> Mapping[str, float] | None:
    if weights is None:
        return None
    clean: dict[str, float] = {}
    for code, value in weights.items():
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise CompositeIndexError(f"{name}: the weight of {code!r} must be a finite number ≥ 0; got {value!r}")
        clean[str(code)] = number
    return MappingProxyType(clean)


@dataclass(frozen=True)
class IndicatorSpec:
    """How one indicator enters the index.

    Parameters
    ----------
    dimension : str
        One of :data:`DIMENSIONS`.
    higher_is_worse : bool
        ``True`` when a higher raw value means less security (e.g. homicide rate); ``False`` when a
        higher value means more security (e.g. access to safe water). After normalisation a higher
        value always means *less* secure.
    goalposts : (float, float), optional
        Fixed ``(lo, hi)`` raw values mapped to the ends of the 0–10 scale by min-max normalisation,
        as INFORM does, so that scores are comparable across years; values outside are clipped.
    target : float, optional
        The raw value regarded as "secure enough" (e.g. an SDG target); used by the ``target``
        normalisation (distance to target).
    weight : float, optional
        Relative weight inside the dimension, used when the definition's weighting is ``custom``.

    Examples
    --------
    >>> IndicatorSpec("personal", higher_is_worse=True, goalposts=(0, 60)).goalposts
    (0.0, 60.0)
    """

    dimension: str
    higher_is_worse: bool
    goalposts: tuple[float, float] | None = None
    target: float | None = None
    weight: float | None = None

    def __post_init__(self) -> None:
        _check_choice("dimension", self.dimension, DIMENSIONS)
        if self.goalposts is not None:
            lo, hi = (float(v) for v in self.goalposts)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise CompositeIndexError(f"goalposts must be two finite numbers with lo < hi; got {self.goalposts!r}")
            object.__setattr__(self, "goalposts", (lo, hi))
        if self.target is not None:
            if not math.isfinite(float(self.target)):
                raise CompositeIndexError(f"target must be a finite number; got {self.target!r}")
            object.__setattr__(self, "target", float(self.target))
        if self.weight is not None and (not math.isfinite(float(self.weight)) or float(self.weight) < 0):
            raise CompositeIndexError(f"weight must be a finite number ≥ 0; got {self.weight!r}")


@dataclass(frozen=True)
class TreatmentConfig:
    """The skewness rule of COINr's ``Treat()`` (the JRC audit default).

    An indicator *fails* when ``|skewness| ≥ skew_threshold`` **and** ``kurtosis ≥ kurtosis_threshold``
    (sample-adjusted skewness and excess kurtosis, Excel/e1071 type 2). A failing indicator is
    winsorised one extreme at a time, on the side of the skew, up to ``max_winsorised`` points; if it
    still fails, the winsorisation is undone and the original values are log-transformed instead.

    Parameters
    ----------
    enabled : bool
        Switch the treatment off entirely.
    skew_threshold, kurtosis_threshold : float
        COINr defaults 2 and 3.5.
    max_winsorised : int
        COINr default 5.
    min_values : int
        Indicators with fewer observed values are left alone: skewness of a handful of areas is noise.
    """

    enabled: bool = True
    skew_threshold: float = 2.0
    kurtosis_threshold: float = 3.5
    max_winsorised: int = 5
    min_values: int = 10

    def __post_init__(self) -> None:
        if self.skew_threshold <= 0 or self.max_winsorised < 0 or self.min_values < 4:
            raise CompositeIndexError("treatment: skew_threshold > 0, max_winsorised ≥ 0 and min_values ≥ 4 required")


@dataclass(frozen=True)
class IndexDefinition:
    """A composite index: which indicators, how they are weighted and which methods are used.

    A city may define several (e.g. the full seven-dimension index and a "personal + community"
    safety index). The defaults follow the OECD/JRC Handbook and INFORM; see
    ``docs/methodology-index.md`` for why each was chosen.

    Parameters
    ----------
    name : str
        Display name.
    indicators : tuple of str, optional
        Indicator codes included; ``None`` means every indicator that has a spec and a data column.
    normalisation : {"minmax", "zscore", "target"}
        Default ``"minmax"`` (goalposts when given, else the observed range).
    imputation : {"none", "dimension_mean", "median"}
        Default ``"none"``: weights are re-scaled over the indicators an area has.
    weighting : {"equal", "custom", "pca"}
        Indicator weights inside each dimension. ``custom`` reads ``weights`` then ``IndicatorSpec.weight``
        (missing = 1). Weights are always re-scaled to sum to 1 within a dimension.
    weights : mapping, optional
        Custom indicator weights.
    dimension_weights : mapping, optional
        Weights of the dimensions across the index (missing = 1; default: all equal).
    aggregation : {"geometric", "arithmetic"}
        Across dimensions. Inside a dimension the weighted arithmetic mean is always used.
    min_coverage : float
        Share of a dimension's indicators an area must have for the dimension to be scored (default 2/3).
    min_dimensions : int, optional
        Dimensions an area must have to get an index score; default ``min(4, number of dimensions)``.
    treatment : TreatmentConfig
        The skewness rule.

    Examples
    --------
    >>> d = IndexDefinition(name="Safety", aggregation="arithmetic", dimension_weights={"personal": 2})
    >>> IndexDefinition.from_dict(d.to_dict()) == d
    True
    >>> IndexDefinition(normalisation="rank")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    safercities.analytics.composite.spec.CompositeIndexError: normalisation must be one of minmax, ...
    """

    name: str = "Composite Human Security Index"
    indicators: tuple[str, ...] | None = None
    normalisation: str = "minmax"
    imputation: str = "none"
    weighting: str = "equal"
    weights: Mapping[str, float] | None = None
    dimension_weights: Mapping[str, float] | None = None
    aggregation: str = "geometric"
    min_coverage: float = 2 / 3
    min_dimensions: int | None = None
    treatment: TreatmentConfig = field(default_factory=TreatmentConfig)

    def __post_init__(self) -> None:
        _check_choice("normalisation", self.normalisation, NORMALISATIONS)
        _check_choice("imputation", self.imputation, IMPUTATIONS)
        _check_choice("weighting", self.weighting, WEIGHTINGS)
        _check_choice("aggregation", self.aggregation, AGGREGATIONS)
        if not 0 < self.min_coverage <= 1:
            raise CompositeIndexError(f"min_coverage must be in (0, 1]; got {self.min_coverage!r}")
        if self.min_dimensions is not None and self.min_dimensions < 1:
            raise CompositeIndexError(f"min_dimensions must be at least 1; got {self.min_dimensions!r}")
        if self.indicators is not None:
            object.__setattr__(self, "indicators", tuple(str(code) for code in self.indicators))
        object.__setattr__(self, "weights", _frozen_weights("weights", self.weights))
        object.__setattr__(self, "dimension_weights", _frozen_weights("dimension_weights", self.dimension_weights))
        if self.dimension_weights is not None:
            for code in self.dimension_weights:
                _check_choice("dimension_weights key", code, DIMENSIONS)
        if isinstance(self.treatment, Mapping):
            object.__setattr__(self, "treatment", TreatmentConfig(**self.treatment))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (the shape stored in a city's index configuration)."""
        return {
            "name": self.name,
            "indicators": list(self.indicators) if self.indicators is not None else None,
            "normalisation": self.normalisation,
            "imputation": self.imputation,
            "weighting": self.weighting,
            "weights": dict(self.weights) if self.weights is not None else None,
            "dimension_weights": dict(self.dimension_weights) if self.dimension_weights is not None else None,
            "aggregation": self.aggregation,
            "min_coverage": self.min_coverage,
            "min_dimensions": self.min_dimensions,
            "treatment": asdict(self.treatment),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IndexDefinition:
        """Rebuild a definition from :meth:`to_dict` output; unknown keys are an error, missing keys take defaults."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise CompositeIndexError(f"unknown index definition keys: {', '.join(sorted(unknown))}")
        kwargs = dict(data)
        if kwargs.get("indicators") is not None:
            kwargs["indicators"] = tuple(kwargs["indicators"])
        if isinstance(kwargs.get("treatment"), Mapping):
            kwargs["treatment"] = TreatmentConfig(**kwargs["treatment"])
        return cls(**kwargs)
