"""The records of a baseline check: one rule, one metric's verdict, the whole report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trackstone.entities.registry import BaselineOrigin

__all__ = ["BaselineReport", "MetricCheck", "Rule", "RuleOperator"]

# ">=": the deviation must be at least the threshold (higher is better, e.g. accuracy >= -0.02).
# "<=": the deviation must be at most the threshold (lower is better, e.g. latency <= 0.1).
# "~=": the absolute deviation must be at most the threshold (either way is bad).
RuleOperator = Literal[">=", "<=", "~="]


@dataclass(frozen=True)
class Rule:
    """One metric's tolerance: ``deviation <op> threshold``.

    The deviation is ``observed - baseline`` when ``relative`` is False, else
    ``(observed - baseline) / |baseline|``. ``observed`` is the mean of the production values
    of the last ``window_s`` seconds (when None: the check's default window, else all values up
    to the check's instant). Text form and parsing: ``trackstone.monitoring.rules``.
    """

    metric: str
    operator: RuleOperator
    threshold: float
    relative: bool = False
    window_s: float | None = None


@dataclass(frozen=True)
class MetricCheck:
    """The verdict on one rule; ``reason`` says why when it could not be judged or failed."""

    rule: Rule
    baseline: float | None
    observed: float | None
    observations: int
    deviation: float | None
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class BaselineReport:
    """Every rule's verdict for one model version at ``checked_at`` (ms since the epoch)."""

    name: str
    version: str
    baseline_origin: BaselineOrigin
    checked_at: int
    checks: tuple[MetricCheck, ...]

    @property
    def passed(self) -> bool:
        """True when every rule passed."""
        return all(check.passed for check in self.checks)
