"""Result types shared by every early-warning detector (Farrington, naive mean + 2 SD).

A detector evaluates one period at a time and says what it expected, where it drew the line and
whether the observed count crossed it — in numbers and in a sentence an official can read
(DESIGN.md, "explain every number").

Severity grading follows CDC ESSENCE's two-level convention (red at p < 0.01, yellow/amber at
0.01 ≤ p < 0.05): ``upper`` is the red threshold (the detector's main alarm level) and
``upper_amber`` the lower, amber one. ``alarm`` is true only above ``upper``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

SEVERITIES = ("amber", "red")

# Reasons for not evaluating a period (``Detection.reason``).
INSUFFICIENT_HISTORY = "insufficient history"
NO_OBSERVATION = "no observation"
TOO_FEW_RECENT_CASES = "too few recent cases"
NO_CONVERGENCE = "model did not converge"


@dataclass(frozen=True)
class Detection:
    """What a detector concluded about one period.

    ``expected``/``upper`` are ``None`` when the period could not be evaluated (see ``reason``).
    Farrington-only fields (``phi``, ``trend_used``, ``trend_coefficient``) are ``None`` for
    detectors that do not estimate them.
    """

    period: str
    position: int
    observed: float | None
    expected: float | None
    upper: float | None
    upper_amber: float | None
    alarm: bool
    severity: str | None
    p_value: float | None
    explanation: str
    method: str
    reason: str | None = None
    phi: float | None = None
    trend_used: bool | None = None
    trend_coefficient: float | None = None
    n_reference: int | None = None

    @property
    def evaluated(self) -> bool:
        return self.reason is None or self.reason == TOO_FEW_RECENT_CASES


@dataclass(frozen=True)
class DetectionResult:
    """The detections of one run over a series, oldest period first."""

    method: str
    parameters: tuple[tuple[str, object], ...]
    detections: tuple[Detection, ...]

    @property
    def alarms(self) -> tuple[Detection, ...]:
        return tuple(d for d in self.detections if d.alarm)

    def to_frame(self) -> pd.DataFrame:
        """One row per evaluated period (a new frame; convenient for reports and tests)."""
        rows = [d.__dict__ for d in self.detections]
        return pd.DataFrame(rows, columns=list(Detection.__dataclass_fields__))


def format_count(value: float) -> str:
    """Counts print without decimals, model quantities with one."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def describe_exceedance(
    *,
    observed: float,
    expected: float,
    upper: float,
    upper_amber: float,
    severity: str | None,
    p_value: float | None,
    alpha: float,
    alpha_amber: float,
    baseline: str,
) -> str:
    """The sentence shown beside an alert: expected, threshold, observed, ratio and what it means."""
    ratio = f"{observed / expected:.1f}× the baseline" if expected > 0 else "no cases expected"
    head = f"expected {expected:.1f}, threshold {format_count(upper)}, observed {format_count(observed)} — {ratio}"
    chance = f"; a count this high happens by chance with probability {p_value:.2g}" if p_value is not None else ""
    if severity == "red":
        verdict = f"above the red threshold (false-alarm rate {alpha:g} per period)"
    elif severity == "amber":
        verdict = (
            f"above the amber threshold {format_count(upper_amber)} (false-alarm rate {alpha_amber:g}) "
            f"but not the red one"
        )
    else:
        verdict = "within the usual range"
    return f"{head}: {verdict}{chance}. Baseline: {baseline}."
