"""Fixed amber/red threshold alerts on any indicator value, aware of which direction is worse.

A city sets levels for an indicator ("amber above 12 homicides per 100,000, red above 20"; "amber below
60 % feeling safe, red below 45 %"). The rule is deliberately simple and transparent: it compares the
value with the levels, nothing else. The higher level wins when both are crossed.

Examples
--------
>>> rule = ThresholdRule(amber=12, red=20, direction="higher")
>>> rule.evaluate(25).severity, rule.evaluate(15).severity, rule.evaluate(5).severity
('red', 'amber', None)
>>> ThresholdRule(amber=60, red=45, direction="lower").evaluate(50).severity
'amber'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DIRECTIONS = ("higher", "lower")  # the direction in which the indicator gets WORSE


@dataclass(frozen=True)
class ThresholdResult:
    value: float
    severity: str | None  # "amber" | "red" | None
    level: float | None  # the level that was crossed
    explanation: str


@dataclass(frozen=True)
class ThresholdRule:
    """Amber and red levels for one indicator; either may be ``None``.

    ``direction`` says which way is worse: ``"higher"`` alerts on values strictly above a level,
    ``"lower"`` on values strictly below it. For ``higher`` the red level
    must not be below the amber one, for ``lower`` not above it.
    """

    amber: float | None = None
    red: float | None = None
    direction: str = "higher"
    unit: str = ""

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {self.direction!r}")
        if self.amber is None and self.red is None:
            raise ValueError("give an amber level, a red level or both")
        for name in ("amber", "red"):
            level = getattr(self, name)
            if level is not None and not math.isfinite(level):
                raise ValueError(f"the {name} level must be a finite number")
        if self.amber is not None and self.red is not None:
            wrong = self.red < self.amber if self.direction == "higher" else self.red > self.amber
            if wrong:
                side = "below" if self.direction == "higher" else "above"
                raise ValueError(f"the red level {self.red:g} is {side} the amber level {self.amber:g}")

    def _crossed(self, value: float, level: float | None) -> bool:
        if level is None:
            return False
        return value > level if self.direction == "higher" else value < level

    def evaluate(self, value: float) -> ThresholdResult:
        """Grade one value; NaN (missing) never alerts."""
        value = float(value)
        unit = f" {self.unit}" if self.unit else ""
        word = "above" if self.direction == "higher" else "below"
        if math.isnan(value):
            return ThresholdResult(value, None, None, "no value reported")
        for severity, level in (("red", self.red), ("amber", self.amber)):
            if self._crossed(value, level):
                text = f"value {value:g}{unit} is {word} the {severity} level {level:g}{unit}"
                return ThresholdResult(value, severity, level, text)
        levels = ", ".join(
            f"{s} {lv:g}{unit}" for s, lv in (("amber", self.amber), ("red", self.red)) if lv is not None
        )
        return ThresholdResult(value, None, None, f"value {value:g}{unit} is within the levels ({levels})")
