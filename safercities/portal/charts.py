"""Small time-series charts as inline SVG drawing instructions (a table always carries the same data).

Django-free like :mod:`maps`: a list of (label, value) points becomes polylines, dots and axis labels
in a fixed view box; gaps (None) break the line rather than bridging missing periods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: tuple[str, ...]  # polyline "points" attributes, one per run without gaps
    dots: tuple[tuple[float, float, str, float], ...]  # x, y, label, value
    y_min: float
    y_max: float
    first_label: str
    last_label: str

    @property
    def baseline(self) -> float:
        return self.height - 18


def line_chart(
    points: Sequence[tuple[str, float | None]], *, width: int = 320, height: int = 120, dots: bool = True
) -> Chart | None:
    """Scale the points into the box; None when fewer than two values exist (no line to draw).

    >>> c = line_chart([("2022", 1.0), ("2023", None), ("2024", 3.0)])
    >>> len(c.lines), c.y_min, c.y_max
    (2, 1.0, 3.0)
    """
    values = [v for _label, v in points if v is not None]
    if len(values) < 2:
        return None
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    left, right, top, bottom = 4.0, width - 4.0, 8.0, height - 18.0
    step = (right - left) / max(len(points) - 1, 1)
    runs: list[list[str]] = [[]]
    marks = []
    for i, (label, value) in enumerate(points):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        x = round(left + i * step, 1)
        y = round(bottom - (value - low) / (high - low) * (bottom - top), 1)
        runs[-1].append(f"{x},{y}")
        if dots:
            marks.append((x, y, label, value))
    lines = tuple(" ".join(run) for run in runs if run)
    return Chart(width, height, lines, tuple(marks), min(values), max(values), points[0][0], points[-1][0])


@dataclass(frozen=True)
class Trend:
    """How the latest value compares with the one before, read in the indicator's direction."""

    change: float | None
    direction: str  # "up", "down", "flat" or "" (unknown)
    better: bool | None


def trend(values: Sequence[float | None], *, higher_is_worse: bool, tolerance: float = 0.02) -> Trend:
    """Latest versus previous available value; changes within ``tolerance`` (relative) are flat.

    >>> trend([10, None, 12], higher_is_worse=True)
    Trend(change=2, direction='up', better=False)
    """
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return Trend(None, "", None)
    previous, latest = known[-2], known[-1]
    change = latest - previous
    if abs(change) <= tolerance * max(abs(previous), 1e-9):
        return Trend(change, "flat", None)
    direction = "up" if change > 0 else "down"
    return Trend(change, direction, (change < 0) == higher_is_worse)
