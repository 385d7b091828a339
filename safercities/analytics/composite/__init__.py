"""Composite Human Security Index: normalise, weight, aggregate and rank areas, with uncertainty.

Framework-free (numpy, pandas, scipy only). The functional model is R's COINr; the methods follow the
OECD/JRC *Handbook on Constructing Composite Indicators* (2008) and the JRC INFORM risk index. The
full method, with every formula and default, is in ``docs/methodology-index.md``.

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame(
...     {"unemployment": [5.0, 20.0, 12.0], "homicide": [1.0, 30.0, 8.0], "water": [99.0, 60.0, 80.0]},
...     index=["north", "south", "centre"],
... )
>>> specs = {
...     "unemployment": IndicatorSpec("economic", higher_is_worse=True),
...     "homicide": IndicatorSpec("personal", higher_is_worse=True, goalposts=(0, 40)),
...     "water": IndicatorSpec("health", higher_is_worse=False),
... }
>>> result = compute_index(data, specs)
>>> result.ranks.to_dict()
{'north': 3, 'south': 1, 'centre': 2}

References
----------
OECD & JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User Guide*.
Marin-Ferrer, M., Vernaccini, L. & Poljansek, K. (2017). *INFORM Index for Risk Management: Concept and
Methodology, Version 2017*. JRC EUR 28655 EN.
Saisana, M., Saltelli, A. & Tarantola, S. (2005). *J. R. Stat. Soc. A* 168(2), 307–323.
Nicoletti, G., Scarpetta, S. & Boylaud, O. (2000). OECD Economics Department Working Paper 226.
"""

from safercities.analytics.composite.index import CompositeIndexResult, compute_index, prepare
from safercities.analytics.composite.normalise import normalise, normalise_array
from safercities.analytics.composite.spec import (
    AGGREGATIONS,
    DIMENSIONS,
    IMPUTATIONS,
    NORMALISATIONS,
    WEIGHTINGS,
    CompositeIndexError,
    IndexDefinition,
    IndicatorSpec,
    TreatmentConfig,
)
from safercities.analytics.composite.treatment import Treatment, kurtosis, skewness, treat_frame, treat_indicator
from safercities.analytics.composite.uncertainty import UncertaintyConfig, UncertaintyResult, assess_uncertainty
from safercities.analytics.composite.weights import PCAWeights, pca_weights, varimax

__all__ = [
    "AGGREGATIONS",
    "DIMENSIONS",
    "IMPUTATIONS",
    "NORMALISATIONS",
    "WEIGHTINGS",
    "CompositeIndexError",
    "CompositeIndexResult",
    "IndexDefinition",
    "IndicatorSpec",
    "PCAWeights",
    "Treatment",
    "TreatmentConfig",
    "UncertaintyConfig",
    "UncertaintyResult",
    "assess_uncertainty",
    "compute_index",
    "kurtosis",
    "normalise",
    "normalise_array",
    "pca_weights",
    "prepare",
    "skewness",
    "treat_frame",
    "treat_indicator",
    "varimax",
]
