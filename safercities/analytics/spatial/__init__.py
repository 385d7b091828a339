"""Spatial hot spots and interconnections: weights, Moran's I, Gi*, LISA, EB smoothing, correlations.

Framework-free (numpy, scipy, shapely, h3, libpysal, esda). Start from :func:`hotspot_analysis`;
the method notes for analysts are in ``docs/methodology-spatial.md``.
"""

from .correlation import pairwise_correlations
from .getis_ord import GiStarResult, local_gi_star
from .hotspots import HotspotResult, HotspotUnit, hotspot_analysis
from .lisa import LocalMoranResult, local_moran
from .moran import MoranResult, global_moran
from .multiple_testing import bh_adjust, significant
from .smoothing import SmoothedRates, empirical_bayes, spatial_empirical_bayes
from .weights import (
    SpatialWeights,
    distance_weights,
    from_libpysal,
    from_neighbors,
    h3_weights,
    knn_weights,
    queen_weights,
    rook_weights,
)

__all__ = [
    "GiStarResult",
    "HotspotResult",
    "HotspotUnit",
    "LocalMoranResult",
    "MoranResult",
    "SmoothedRates",
    "SpatialWeights",
    "bh_adjust",
    "distance_weights",
    "empirical_bayes",
    "from_libpysal",
    "from_neighbors",
    "global_moran",
    "h3_weights",
    "hotspot_analysis",
    "knn_weights",
    "local_gi_star",
    "local_moran",
    "pairwise_correlations",
    "queen_weights",
    "rook_weights",
    "significant",
    "spatial_empirical_bayes",
]
