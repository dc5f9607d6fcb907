"""Judge a model version's production observations against its baseline, rule by rule.

For each rule: ``observed`` is the mean of the rule metric's values with a timestamp in
``[now - window, now]`` (the rule's window, else the caller's default, else every value up to
``now``; values stamped after ``now`` are ignored so that a check "as of" a past instant is
reproducible). Then the deviation (``observed - baseline``, or divided by ``|baseline|`` for a
relative rule) is compared with the threshold; a deviation equal to the threshold up to
floating-point rounding passes (``0.88 - 0.90 >= -0.02`` holds).

A check never passes on missing or broken data. It fails, with a reason, when:

- the baseline has no value for the metric, or that value is NaN or infinite;
- no observation falls in the window;
- an observation in the window is NaN, or their mean is infinite: NaN in production usually
  means a broken model or pipeline, and averaging it away would hide exactly that;
- the rule is relative and the baseline is 0 (no ratio exists: write an absolute rule).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

from trackstone.entities.registry import Baseline, ProductionMetric
from trackstone.monitoring.report import BaselineReport, MetricCheck, Rule
from trackstone.monitoring.rules import format_duration, parse_rules

__all__ = ["check_against_baseline", "observation_span"]

# A deviation this close to the threshold counts as equal to it (decimal baselines and
# thresholds are not exact in binary floating point).
_REL_TOLERANCE = 1e-9
_ABS_TOLERANCE = 1e-12


def _window_ms(rule: Rule, default_window_s: float | None) -> int | None:
    window_s = rule.window_s if rule.window_s is not None else default_window_s
    return None if window_s is None else round(window_s * 1000)


def observation_span(
    rules: Sequence[Rule], now_ms: int, default_window_s: float | None = None
) -> tuple[int | None, int]:
    """Return the ``(start_ms, end_ms)`` range a check of ``rules`` reads (start None: all).

    Callers fetch only these observations (``get_production_metrics(start_timestamp=...,
    end_timestamp=...)``) before calling ``check_against_baseline``.
    """
    starts: list[int] = []
    for rule in rules:
        window_ms = _window_ms(rule, default_window_s)
        if window_ms is None:
            return None, now_ms
        starts.append(now_ms - window_ms)
    return (min(starts) if starts else now_ms), now_ms


def check_against_baseline(
    name: str,
    version: str,
    baseline: Baseline,
    observations: Iterable[ProductionMetric],
    rules: Sequence[Rule],
    *,
    now_ms: int,
    default_window_s: float | None = None,
) -> BaselineReport:
    """Judge every rule against the baseline and the observations; no I/O.

    Args:
        name: the registered model's name (copied into the report).
        version: the version checked (copied into the report).
        baseline: the version's baseline (``RegistryStore.get_model_version_baseline``).
        observations: production points, any keys and times (others than the rules' are
            ignored).
        rules: the rules, parsed (``parse_rules``); validated again here.
        now_ms: the instant the check is made "as of" (ms since the epoch).
        default_window_s: the window of rules that name none (None: every observation).

    Returns:
        One ``MetricCheck`` per rule, in order; each check's rule carries the window actually
        used. ``report.passed`` is True only when every rule passed.

    Raises:
        InvalidParameter: no rules, or a rule with a bad field.

    Example:
        >>> from trackstone.entities.registry import BaselineOrigin
        >>> from trackstone.monitoring.rules import parse_rule
        >>> report = check_against_baseline(
        ...     "churn", "3",
        ...     Baseline({"accuracy": 0.9}, BaselineOrigin.EXPLICIT),
        ...     [ProductionMetric("accuracy", 0.87, 1_000)],
        ...     [parse_rule("accuracy>=-0.02rel")],
        ...     now_ms=2_000,
        ... )
        >>> report.passed, round(report.checks[0].deviation, 4)
        (False, -0.0333)
    """
    checked = parse_rules(rules)
    by_key: dict[str, list[ProductionMetric]] = {}
    for point in observations:
        by_key.setdefault(point.key, []).append(point)
    checks = tuple(
        _check_rule(rule, baseline, by_key.get(rule.metric, []), now_ms, default_window_s)
        for rule in checked
    )
    return BaselineReport(
        name=name,
        version=version,
        baseline_origin=baseline.origin,
        checked_at=now_ms,
        checks=checks,
    )


def _window_text(window_ms: int | None) -> str:
    return "up to now" if window_ms is None else f"in the last {format_duration(window_ms / 1000)}"


def _check_rule(
    rule: Rule,
    baseline: Baseline,
    points: Sequence[ProductionMetric],
    now_ms: int,
    default_window_s: float | None,
) -> MetricCheck:
    window_ms = _window_ms(rule, default_window_s)
    used = replace(rule, window_s=None if window_ms is None else window_ms / 1000)
    start_ms = None if window_ms is None else now_ms - window_ms
    values = [
        p.value
        for p in points
        if p.timestamp <= now_ms and (start_ms is None or p.timestamp >= start_ms)
    ]
    expected = baseline.metrics.get(rule.metric)

    def failed(reason: str, observed: float | None = None) -> MetricCheck:
        return MetricCheck(used, expected, observed, len(values), None, False, reason)

    if expected is None:
        return failed(f"no baseline value for {rule.metric!r}")
    if not math.isfinite(expected):
        return failed(f"the baseline value of {rule.metric!r} is {expected!r}; it cannot be judged")
    if not values:
        return failed(f"no observations of {rule.metric!r} {_window_text(window_ms)}")
    nans = sum(1 for value in values if math.isnan(value))
    if nans:
        return failed(f"{nans} of {len(values)} observations are NaN", math.nan)
    observed = _mean(values)
    if not math.isfinite(observed):
        return failed(f"the observed mean is {observed!r}", observed)
    if rule.relative and expected == 0:
        return failed(
            "the baseline is 0, so a relative deviation cannot be judged; use an absolute rule",
            observed,
        )
    deviation = observed - expected
    if rule.relative:
        deviation /= abs(expected)
    passed = _holds(rule, deviation)
    reason = "" if passed else _breach(rule, deviation)
    return MetricCheck(used, expected, observed, len(values), deviation, passed, reason)


def _mean(values: Sequence[float]) -> float:
    if any(math.isinf(value) for value in values):
        total = sum(values)  # inf, -inf, or NaN when both signs occur
        return total / len(values)
    try:
        return math.fsum(values) / len(values)
    except OverflowError:
        # Huge finite values whose sum overflows: their mean still fits.
        return math.fsum(value / len(values) for value in values)


def _breach(rule: Rule, deviation: float) -> str:
    if rule.relative:
        # Relative deviations read best as percentages: "-3.556% is below -2%".
        kind, shown, limit = (
            "relative deviation",
            f"{deviation * 100:+.4g}%",
            f"{rule.threshold * 100:g}%",
        )
    else:
        kind, shown, limit = "deviation", f"{deviation:+.6g}", f"{rule.threshold:g}"
    if rule.operator == "~=":
        return f"{kind} {shown} is further than {limit} from 0"
    side = "below" if rule.operator == ">=" else "above"
    return f"{kind} {shown} is {side} the threshold {limit}"


def _holds(rule: Rule, deviation: float) -> bool:
    size = abs(deviation) if rule.operator == "~=" else deviation
    if math.isclose(size, rule.threshold, rel_tol=_REL_TOLERANCE, abs_tol=_ABS_TOLERANCE):
        return True
    if rule.operator == ">=":
        return size >= rule.threshold
    return size <= rule.threshold
