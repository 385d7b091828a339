"""Turn detector outputs into alert candidates the Django side can store and de-duplicate.

An alert is identified by ``(indicator, area, period, kind)``: re-running a detector over the same
data proposes the same keys, so storing candidates with that unique key is idempotent. When two
candidates share a key (e.g. an amber and a red exceedance from two runs), the more severe one wins.
The JSON shape matches INTERFACES.md's ``alerts`` (``id`` and ``status`` are added when stored).

Examples
--------
>>> from safercities.analytics.early_warning.thresholds import ThresholdRule
>>> c = from_threshold("16.1.1", "ward-3", "2024", ThresholdRule(amber=12, red=20).evaluate(25))
>>> c.dedup_key, c.severity
(('16.1.1', 'ward-3', '2024', 'threshold'), 'red')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from safercities.analytics.early_warning.detection import SEVERITIES, DetectionResult
from safercities.analytics.early_warning.thresholds import ThresholdResult
from safercities.analytics.early_warning.trend import TrendAlert

KINDS = ("exceedance", "threshold", "trend")
_RANK = {None: 0, "amber": 1, "red": 2}


@dataclass(frozen=True)
class AlertCandidate:
    indicator: str
    area: str
    period: str
    kind: str  # exceedance | threshold | trend
    severity: str  # amber | red
    observed: float | None
    expected: float | None
    upper: float | None
    explanation: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}")

    @property
    def dedup_key(self) -> tuple[str, str, str, str]:
        return (self.indicator, self.area, self.period, self.kind)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def from_detections(indicator: str, area: str, result: DetectionResult) -> list[AlertCandidate]:
    """One ``exceedance`` candidate per period graded amber or red by a count detector."""
    return [
        AlertCandidate(
            indicator=indicator,
            area=area,
            period=d.period,
            kind="exceedance",
            severity=d.severity,
            observed=d.observed,
            expected=d.expected,
            upper=d.upper,
            explanation=d.explanation,
        )
        for d in result.detections
        if d.severity is not None
    ]


def from_threshold(indicator: str, area: str, period: str, result: ThresholdResult) -> AlertCandidate | None:
    """A ``threshold`` candidate when a fixed level was crossed; ``upper`` is the level crossed."""
    if result.severity is None:
        return None
    return AlertCandidate(
        indicator, area, period, "threshold", result.severity, result.value, None, result.level, result.explanation
    )


def from_trend(indicator: str, area: str, period: str, alert: TrendAlert) -> AlertCandidate | None:
    """A ``trend`` candidate dated at the last period of the tested window (``expected`` = the value of
    Sen's trend line there; ``observed``/``upper`` are not defined for a trend)."""
    if alert.severity is None:
        return None
    r = alert.result
    fitted_last = r.intercept + r.slope * r.t_last
    return AlertCandidate(indicator, area, period, "trend", alert.severity, None, fitted_last, None, alert.explanation)


def deduplicate(candidates: Iterable[AlertCandidate | None]) -> list[AlertCandidate]:
    """Keep one candidate per key — the most severe, the first seen on ties — in a stable key order."""
    best: dict[tuple[str, str, str, str], AlertCandidate] = {}
    for c in candidates:
        if c is None:
            continue
        current = best.get(c.dedup_key)
        if current is None or _RANK[c.severity] > _RANK[current.severity]:
            best[c.dedup_key] = c
    return [best[k] for k in sorted(best)]
