"""Early warning: is this week's (or month's) count unusual, has a fixed level been crossed, is there a
sustained trend? Framework-free; see docs/methodology-early-warning.md.

- :class:`Farrington` — the improved Farrington method (Noufaily et al. 2013) for counts;
- :func:`farrington_batch` — the same, for many series sharing one time index at once;
- :class:`NaiveMeanSD` — the mean + 2 SD rule, the comparison baseline;
- :class:`ThresholdRule` — fixed amber/red levels on any indicator;
- :func:`mann_kendall`, :class:`SustainedTrend` — Mann–Kendall test with Sen's slope;
- :mod:`.alerts` — detector outputs → de-duplicated alert candidates.
"""

from safercities.analytics.early_warning.alerts import (
    AlertCandidate,
    deduplicate,
    from_detections,
    from_threshold,
    from_trend,
)
from safercities.analytics.early_warning.batch import farrington_batch
from safercities.analytics.early_warning.detection import Detection, DetectionResult
from safercities.analytics.early_warning.farrington import Farrington
from safercities.analytics.early_warning.naive import NaiveMeanSD
from safercities.analytics.early_warning.thresholds import ThresholdResult, ThresholdRule
from safercities.analytics.early_warning.trend import SustainedTrend, TrendAlert, TrendResult, mann_kendall

__all__ = [
    "AlertCandidate",
    "Detection",
    "DetectionResult",
    "Farrington",
    "NaiveMeanSD",
    "SustainedTrend",
    "ThresholdResult",
    "ThresholdRule",
    "TrendAlert",
    "TrendResult",
    "deduplicate",
    "farrington_batch",
    "from_detections",
    "from_threshold",
    "from_trend",
    "mann_kendall",
]
