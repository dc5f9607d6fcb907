"""Model version lineage and production monitoring on the wire (Trackstone-only endpoints).

Served under ``/api/2.0/trackstone/model-versions/...``. Versions are named like MLflow's
registry calls do (``name`` + ``version``, the version as a string or a number). Metric values
may be NaN or infinite, spelled ``"NaN"`` / ``"Infinity"`` / ``"-Infinity"`` as protobuf JSON
does.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from trackstone.api.experiments import WireExperiment
from trackstone.api.messages import Request, Response
from trackstone.api.registry import VersionValue, WireModelVersion
from trackstone.api.runs import WireRun
from trackstone.api.scalars import Int64, MetricValue, wire_number
from trackstone.entities.registry import Baseline, BaselineOrigin, ProductionMetric
from trackstone.errors import InvalidParameter
from trackstone.monitoring.report import BaselineReport, MetricCheck, Rule
from trackstone.monitoring.rules import format_rule
from trackstone.store.registry import (
    PRODUCTION_METRICS_MAX_RESULTS_LIMIT,
    PRODUCTION_METRICS_PER_CALL,
)

__all__ = [
    "RUN_IDS_IN_USE_PER_CALL",
    "BaselineOriginValue",
    "CheckModelVersion",
    "CheckModelVersionResponse",
    "GetModelVersionBaseline",
    "GetModelVersionBaselineResponse",
    "GetModelVersionLineage",
    "GetProductionMetrics",
    "GetProductionMetricsResponse",
    "LogProductionMetrics",
    "ModelVersionLineageResponse",
    "RunIdsInUse",
    "RunIdsInUseResponse",
    "SetModelVersionBaseline",
    "WireBaselineValue",
    "WireMetricCheck",
    "WireProductionMetric",
    "WireReport",
    "WireRule",
    "baseline_from_wire",
    "baseline_to_wire",
    "baseline_values_from_wire",
    "production_metric_to_wire",
    "production_metrics_from_wire",
    "report_to_wire",
    "rule_from_wire",
]

RUN_IDS_IN_USE_PER_CALL = 1000

BaselineOriginValue = Literal["explicit", "source_run", "none"]
RuleOperatorValue = Literal[">=", "<=", "~="]


class WireProductionMetric(msgspec.Struct, frozen=True, gc=False):
    """``{"key", "value", "timestamp"}``: one value observed in production (ms timestamp)."""

    key: str
    value: MetricValue
    timestamp: Int64


class WireBaselineValue(msgspec.Struct, frozen=True, gc=False):
    """``{"key", "value"}``: the value a version is expected to keep for one metric."""

    key: str
    value: MetricValue


# -- lineage -----------------------------------------------------------------------------


class GetModelVersionLineage(Request, kw_only=True, frozen=True):
    """GET trackstone/model-versions/lineage: a version with its run and experiment."""

    name: str
    version: VersionValue


class ModelVersionLineageResponse(Response, kw_only=True):
    """The version; its run and experiment unless it names no run or the run was purged."""

    model_version: WireModelVersion | None = None
    run: WireRun | None = None
    experiment: WireExperiment | None = None


class RunIdsInUse(Request, kw_only=True, frozen=True):
    """POST trackstone/model-versions/run-ids-in-use: which runs some version still needs
    (it names the run, or its files live in the run's artifacts); a read, for gc."""

    run_ids: Annotated[list[str], msgspec.Meta(max_length=RUN_IDS_IN_USE_PER_CALL)] = msgspec.field(
        default_factory=list
    )


class RunIdsInUseResponse(Response, kw_only=True):
    """Those of the run ids asked that are in use."""

    run_ids: list[str] = msgspec.field(default_factory=list)


# -- production metrics ------------------------------------------------------------------


class LogProductionMetrics(Request, kw_only=True, frozen=True):
    """POST trackstone/model-versions/production-metrics/log: append observed values."""

    name: str
    version: VersionValue
    metrics: Annotated[
        list[WireProductionMetric], msgspec.Meta(max_length=PRODUCTION_METRICS_PER_CALL)
    ] = msgspec.field(default_factory=list)


class GetProductionMetrics(Request, kw_only=True, frozen=True):
    """GET trackstone/model-versions/production-metrics/get: observations, oldest first."""

    name: str
    version: VersionValue
    key: str | None = None
    start_timestamp: Int64 | None = None
    end_timestamp: Int64 | None = None
    max_results: (
        Annotated[int, msgspec.Meta(ge=1, le=PRODUCTION_METRICS_MAX_RESULTS_LIMIT)] | None
    ) = None
    page_token: str | None = None


class GetProductionMetricsResponse(Response, kw_only=True):
    """One page of a version's observations in the range asked, oldest first
    (``PRODUCTION_METRICS_MAX_RESULTS_DEFAULT`` when the request names no ``max_results``)."""

    metrics: list[WireProductionMetric] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


# -- baseline ----------------------------------------------------------------------------


class SetModelVersionBaseline(Request, kw_only=True, frozen=True):
    """POST trackstone/model-versions/baseline/set: replace the explicit baseline (an empty
    list clears it, so the source run's metrics count again)."""

    name: str
    version: VersionValue
    metrics: list[WireBaselineValue] = msgspec.field(default_factory=list)


class GetModelVersionBaseline(Request, kw_only=True, frozen=True):
    """GET trackstone/model-versions/baseline/get: the baseline and where it comes from."""

    name: str
    version: VersionValue


class GetModelVersionBaselineResponse(Response, kw_only=True):
    """``metrics`` with their ``origin``: explicit, the source run's, or none."""

    metrics: list[WireBaselineValue] = msgspec.field(default_factory=list)
    origin: BaselineOriginValue = "none"


# -- checks ------------------------------------------------------------------------------


class WireRule(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """One rule in its mapping form: ``deviation <operator> threshold`` for ``metric``."""

    metric: str
    operator: RuleOperatorValue
    threshold: float
    relative: bool = False
    window_s: float | None = None


class CheckModelVersion(Request, kw_only=True, frozen=True):
    """POST trackstone/model-versions/check: judge production values against the baseline.

    Each rule is a mapping or its text form (``"accuracy>=-2%@24h"``). ``now_ms`` is the
    instant the check is made as of (the server's time when absent); ``default_window_s``
    applies to rules that name no window (every value up to ``now_ms`` when absent).
    """

    name: str
    version: VersionValue
    rules: Annotated[list[WireRule | str], msgspec.Meta(min_length=1, max_length=1000)]
    now_ms: Int64 | None = None
    default_window_s: Annotated[float, msgspec.Meta(gt=0)] | None = None


class WireMetricCheck(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The verdict on one rule (``baseline``, ``observed``, ``deviation`` absent when unknown);
    ``rule_text`` is the rule in the rule grammar (``format_rule``), which reads back to it."""

    rule: WireRule
    rule_text: str = ""
    baseline: MetricValue | None = None
    observed: MetricValue | None = None
    observations: int = 0
    deviation: MetricValue | None = None
    passed: bool
    reason: str = ""


class WireReport(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Every rule's verdict for one version; ``passed`` when all passed."""

    name: str = ""
    version: str = ""
    baseline_origin: BaselineOriginValue = "none"
    checked_at: Int64 | None = None
    passed: bool
    checks: list[WireMetricCheck] = msgspec.field(default_factory=list)


class CheckModelVersionResponse(Response, kw_only=True):
    """The report of one check."""

    report: WireReport | None = None


# -- conversions -------------------------------------------------------------------------


def production_metrics_from_wire(items: list[WireProductionMetric]) -> list[ProductionMetric]:
    """Return the observations (the store checks their keys)."""
    return [ProductionMetric(item.key, float(item.value), item.timestamp) for item in items]


def production_metric_to_wire(metric: ProductionMetric) -> WireProductionMetric:
    """Return the wire form of one observation."""
    return WireProductionMetric(metric.key, wire_number(metric.value), metric.timestamp)


def baseline_values_from_wire(
    items: list[WireBaselineValue], field: str = "metrics"
) -> dict[str, float]:
    """Return a baseline's values by key; a repeated key raises InvalidParameter naming it."""
    values: dict[str, float] = {}
    for index, item in enumerate(items):
        if item.key in values:
            raise InvalidParameter(f"{field}[{index}].key: {item.key!r} is given twice")
        values[item.key] = float(item.value)
    return values


def baseline_to_wire(baseline: Baseline) -> GetModelVersionBaselineResponse:
    """Return the wire form of a baseline."""
    return GetModelVersionBaselineResponse(
        metrics=[
            WireBaselineValue(key, wire_number(value)) for key, value in baseline.metrics.items()
        ],
        origin=baseline.origin.value,  # type: ignore[arg-type]  # the values are the literals
    )


def baseline_from_wire(wire: GetModelVersionBaselineResponse) -> Baseline:
    """Return the ``Baseline`` a response describes."""
    return Baseline(
        metrics={item.key: float(item.value) for item in wire.metrics},
        origin=BaselineOrigin(wire.origin),
    )


def rule_from_wire(item: WireRule | str) -> Rule | str:
    """Return a rule's mapping form as a ``Rule`` (text stays text for ``parse_rules``)."""
    if isinstance(item, str):
        return item
    return Rule(item.metric, item.operator, item.threshold, item.relative, item.window_s)


def _rule_to_wire(rule: Rule) -> WireRule:
    return WireRule(
        metric=rule.metric,
        operator=rule.operator,
        threshold=rule.threshold,
        relative=rule.relative,
        window_s=rule.window_s,
    )


def _optional_number(value: float | None) -> MetricValue | None:
    return None if value is None else wire_number(value)


def _check_to_wire(check: MetricCheck) -> WireMetricCheck:
    return WireMetricCheck(
        rule=_rule_to_wire(check.rule),
        rule_text=format_rule(check.rule),
        baseline=_optional_number(check.baseline),
        observed=_optional_number(check.observed),
        observations=check.observations,
        deviation=_optional_number(check.deviation),
        passed=check.passed,
        reason=check.reason,
    )


def report_to_wire(report: BaselineReport) -> WireReport:
    """Return the wire form of a check's report."""
    return WireReport(
        name=report.name,
        version=report.version,
        baseline_origin=report.baseline_origin.value,  # type: ignore[arg-type]
        checked_at=report.checked_at,
        passed=report.passed,
        checks=[_check_to_wire(check) for check in report.checks],
    )
