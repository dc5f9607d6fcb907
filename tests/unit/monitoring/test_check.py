"""check_against_baseline: a table of verdicts (pass/fail, abs/rel, windows, missing data, NaN)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pytest

from trackstone.entities.registry import Baseline, BaselineOrigin, ProductionMetric
from trackstone.errors import InvalidParameter
from trackstone.monitoring.check import check_against_baseline, observation_span
from trackstone.monitoring.report import Rule
from trackstone.monitoring.rules import parse_rule

NOW = 1_700_000_000_000
HOUR_MS = 3_600_000
NAN = math.nan
INF = math.inf


def _points(key: str, *values_and_ages_h: tuple[float, float]) -> list[ProductionMetric]:
    """Points of ``key``: (value, age in hours before NOW; negative = after NOW)."""
    return [
        ProductionMetric(key, value, NOW - round(age_h * HOUR_MS))
        for value, age_h in values_and_ages_h
    ]


def _same(actual: float | None, expected: float | None) -> bool:
    """Equal up to rounding, with None == None and NaN == NaN."""
    if actual is None or expected is None:
        return actual is expected
    if math.isnan(expected):
        return math.isnan(actual)
    return actual == pytest.approx(expected, rel=1e-9, abs=1e-12)


ACC = {"accuracy": 0.9}

_Case = tuple[
    str, Mapping[str, float], list[ProductionMetric], str, float | None,
    bool, float | None, float | None, int, str,
]  # fmt: skip

CASES: list[_Case] = [
    # id, baseline, observations, rule, default window (s),
    #   passed, observed, deviation, observations counted, reason fragment
    ("abs pass", ACC, _points("accuracy", (0.89, 1)), "accuracy>=-0.02", None,
     True, 0.89, -0.01, 1, ""),
    ("abs fail", ACC, _points("accuracy", (0.85, 1)), "accuracy>=-0.02", None,
     False, 0.85, -0.05, 1, "deviation -0.05 is below the threshold -0.02"),
    ("abs boundary passes despite rounding", ACC, _points("accuracy", (0.88, 1)),
     "accuracy>=-0.02", None, True, 0.88, -0.02, 1, ""),
    ("rel pass", ACC, _points("accuracy", (0.891, 1)), "accuracy>=-0.02rel", None,
     True, 0.891, -0.01, 1, ""),
    ("rel fail", ACC, _points("accuracy", (0.864, 1)), "accuracy>=-0.02rel", None,
     False, 0.864, -0.04, 1, "relative deviation -4% is below the threshold -2%"),
    ("percent is relative", ACC, _points("accuracy", (0.864, 1)), "accuracy>=-5%", None,
     True, 0.864, -0.04, 1, ""),
    ("rel uses |baseline|", {"margin": -2.0}, _points("margin", (-1.0, 1)),
     "margin>=0.4rel", None, True, -1.0, 0.5, 1, ""),
    ("<= pass", {"latency_ms": 40.0}, _points("latency_ms", (44, 1), (46, 2)),
     "latency_ms<=5", None, True, 45.0, 5.0, 2, ""),
    ("<= fail", {"latency_ms": 40.0}, _points("latency_ms", (46, 1)),
     "latency_ms<=5", None, False, 46.0, 6.0, 1, "deviation +6 is above the threshold 5"),
    ("~= pass below", {"loss": 0.3}, _points("loss", (0.26, 1)), "loss~=0.05", None,
     True, 0.26, -0.04, 1, ""),
    ("~= fail below", {"loss": 0.3}, _points("loss", (0.2, 1)), "loss~=0.05", None,
     False, 0.2, -0.1, 1, "deviation -0.1 is further than 0.05 from 0"),
    ("~= fail above", {"loss": 0.3}, _points("loss", (0.4, 1)), "loss~=0.05", None,
     False, 0.4, 0.1, 1, "deviation +0.1 is further than 0.05 from 0"),
    ("~= relative fail", {"loss": 0.5}, _points("loss", (0.6, 1)), "loss~=10%", None,
     False, 0.6, 0.2, 1, "relative deviation +20% is further than 10% from 0"),
    ("mean of the window", ACC, _points("accuracy", (0.80, 1), (0.90, 2), (1.0, 3)),
     "accuracy>=0", None, True, 0.9, 0.0, 3, ""),
    ("rule window drops old points", ACC,
     _points("accuracy", (0.80, 1), (0.82, 5), (0.99, 30), (0.99, 40)),
     "accuracy>=-0.02@24h", None, False, 0.81, -0.09, 2, "below the threshold"),
    ("no window reads every point", ACC,
     _points("accuracy", (0.80, 1), (0.82, 5), (0.99, 30), (0.99, 40)),
     "accuracy>=-0.02", None, True, 0.9, 0.0, 4, ""),
    ("default window applies", ACC,
     _points("accuracy", (0.80, 1), (0.82, 5), (0.99, 30), (0.99, 40)),
     "accuracy>=-0.02", 86_400.0, False, 0.81, -0.09, 2, "below the threshold"),
    ("rule window beats the default", ACC,
     _points("accuracy", (0.80, 1), (0.82, 5), (0.99, 30), (0.99, 40)),
     "accuracy>=-0.02@2d", 3600.0, True, 0.9, 0.0, 4, ""),
    ("window edge is inclusive", ACC, _points("accuracy", (0.9, 24), (0.0, 24.001)),
     "accuracy>=0@24h", None, True, 0.9, 0.0, 1, ""),
    ("points after now are ignored", ACC, _points("accuracy", (0.9, 1), (0.0, -1)),
     "accuracy>=0", None, True, 0.9, 0.0, 1, ""),
    ("other keys are ignored", ACC, _points("accuracy", (0.9, 1)) + _points("loss", (9, 1)),
     "accuracy>=0", None, True, 0.9, 0.0, 1, ""),
    ("no baseline value", {"loss": 0.3}, _points("accuracy", (0.9, 1)), "accuracy>=0", None,
     False, None, None, 1, "no baseline value for 'accuracy'"),
    ("empty baseline", {}, _points("accuracy", (0.9, 1)), "accuracy>=0", None,
     False, None, None, 1, "no baseline value for 'accuracy'"),
    ("no observations at all", ACC, [], "accuracy>=0", None,
     False, None, None, 0, "no observations of 'accuracy' up to now"),
    ("no observations in the window", ACC, _points("accuracy", (0.9, 30)),
     "accuracy>=0@1d", None, False, None, None, 0, "no observations of 'accuracy' in the last 1d"),
    ("NaN observed fails", ACC, _points("accuracy", (0.9, 1), (NAN, 2)), "accuracy>=-1", None,
     False, NAN, None, 2, "1 of 2 observations are NaN"),
    ("NaN outside the window is ignored", ACC, _points("accuracy", (0.9, 1), (NAN, 30)),
     "accuracy>=-1@1d", None, True, 0.9, 0.0, 1, ""),
    ("infinite observed fails", {"latency_ms": 40.0}, _points("latency_ms", (INF, 1)),
     "latency_ms<=5", None, False, INF, None, 1, "the observed mean is inf"),
    ("both infinities fail", {"latency_ms": 40.0},
     _points("latency_ms", (INF, 1), (-INF, 2)), "latency_ms<=5", None,
     False, NAN, None, 2, "the observed mean is nan"),
    ("NaN baseline fails", {"accuracy": NAN}, _points("accuracy", (0.9, 1)), "accuracy>=0",
     None, False, None, None, 1, "the baseline value of 'accuracy' is nan"),
    ("zero baseline cannot be judged relatively", {"errors": 0.0}, _points("errors", (0.0, 1)),
     "errors<=0.1rel", None, False, 0.0, None, 1, "the baseline is 0"),
    ("zero baseline is fine absolutely", {"errors": 0.0}, _points("errors", (0.05, 1)),
     "errors<=0.1", None, True, 0.05, 0.05, 1, ""),
    ("huge values do not overflow the mean", {"big": 1.5e308},
     _points("big", (1.6e308, 1), (1.6e308, 2)), "big~=1e308", None,
     True, 1.6e308, 1e307, 2, ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("baseline", "observations", "rule", "default_window_s", "passed", "observed", "deviation",
     "count", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)  # fmt: skip
def test_check_one_rule(
    baseline: Mapping[str, float],
    observations: list[ProductionMetric],
    rule: str,
    default_window_s: float | None,
    passed: bool,
    observed: float | None,
    deviation: float | None,
    count: int,
    reason: str,
) -> None:
    report = check_against_baseline(
        "churn",
        "3",
        Baseline(baseline, BaselineOrigin.EXPLICIT),
        observations,
        [parse_rule(rule)],
        now_ms=NOW,
        default_window_s=default_window_s,
    )
    (check,) = report.checks
    assert (check.passed, report.passed) == (passed, passed)
    assert check.observations == count
    assert _same(check.observed, observed)
    assert _same(check.deviation, deviation)
    assert _same(check.baseline, baseline.get(check.rule.metric))
    if reason:
        assert reason in check.reason
    else:
        assert check.reason == ""


def test_report_names_the_version_the_origin_and_the_time() -> None:
    report = check_against_baseline(
        "churn",
        "7",
        Baseline({"accuracy": 0.9}, BaselineOrigin.SOURCE_RUN),
        _points("accuracy", (0.9, 1)),
        [parse_rule("accuracy>=0")],
        now_ms=NOW,
    )
    assert (report.name, report.version, report.baseline_origin, report.checked_at) == (
        "churn",
        "7",
        BaselineOrigin.SOURCE_RUN,
        NOW,
    )


def test_every_rule_gets_a_verdict_in_order_and_one_failure_fails_the_report() -> None:
    report = check_against_baseline(
        "churn",
        "1",
        Baseline({"accuracy": 0.9, "latency_ms": 40.0}, BaselineOrigin.EXPLICIT),
        _points("accuracy", (0.89, 1)) + _points("latency_ms", (50.0, 1)),
        [
            parse_rule("accuracy>=-0.02"),
            parse_rule("latency_ms<=5"),
            parse_rule("accuracy>=-1@30m"),
        ],
        now_ms=NOW,
        default_window_s=7200.0,
    )
    assert [(c.rule.metric, c.passed) for c in report.checks] == [
        ("accuracy", True),
        ("latency_ms", False),
        ("accuracy", False),
    ]
    # Each check's rule carries the window actually used.
    assert [c.rule.window_s for c in report.checks] == [7200.0, 7200.0, 1800.0]
    assert report.checks[2].reason == "no observations of 'accuracy' in the last 30m"
    assert report.passed is False


def test_no_rules_is_refused_rather_than_passed() -> None:
    with pytest.raises(InvalidParameter, match="rules: give at least one rule"):
        check_against_baseline("churn", "1", Baseline({}, BaselineOrigin.NONE), [], [], now_ms=NOW)


def test_a_bad_rule_object_is_refused() -> None:
    with pytest.raises(InvalidParameter, match=r"rules\[0\]\.window_s"):
        check_against_baseline(
            "churn",
            "1",
            Baseline({}, BaselineOrigin.NONE),
            [],
            [Rule("a", ">=", 0.0, False, -5.0)],
            now_ms=NOW,
        )


@pytest.mark.parametrize(
    ("rules", "default_window_s", "span"),
    [
        (["a>=0@1h"], None, (NOW - HOUR_MS, NOW)),
        (["a>=0@1h", "b>=0@1d"], None, (NOW - 24 * HOUR_MS, NOW)),
        (["a>=0@1h", "b>=0"], None, (None, NOW)),
        (["a>=0@1h", "b>=0"], 7200.0, (NOW - 2 * HOUR_MS, NOW)),
    ],
)
def test_observation_span(
    rules: Sequence[str], default_window_s: float | None, span: tuple[int | None, int]
) -> None:
    assert observation_span([parse_rule(r) for r in rules], NOW, default_window_s) == span
