"""Trackstone-only model version endpoints: lineage, production metrics, baseline and checks."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.experiments import experiment_to_wire
from trackstone.api.messages import EmptyResponse
from trackstone.api.monitoring import (
    CheckModelVersion,
    CheckModelVersionResponse,
    GetModelVersionBaseline,
    GetModelVersionLineage,
    GetProductionMetrics,
    GetProductionMetricsResponse,
    LogProductionMetrics,
    ModelVersionLineageResponse,
    RunIdsInUse,
    RunIdsInUseResponse,
    SetModelVersionBaseline,
    baseline_to_wire,
    baseline_values_from_wire,
    production_metric_to_wire,
    production_metrics_from_wire,
    report_to_wire,
    rule_from_wire,
)
from trackstone.api.registry import model_version_to_wire
from trackstone.api.runs import run_to_wire
from trackstone.clock import SystemClock
from trackstone.monitoring.report import BaselineReport, Rule
from trackstone.server.bodies import parse, respond
from trackstone.store.base import TrackingStore
from trackstone.store.registry import (
    PRODUCTION_METRICS_MAX_RESULTS_DEFAULT,
    RegistryStore,
    registry_of,
)

__all__ = [
    "check_model_version",
    "get_model_version_baseline",
    "get_model_version_lineage",
    "get_production_metrics",
    "log_production_metrics",
    "run_ids_in_use",
    "set_model_version_baseline",
]


async def get_model_version_lineage(request: Request, store: TrackingStore) -> Response:
    """Answer a version with its source run and that run's experiment."""
    message = await parse(request, GetModelVersionLineage)
    lineage = await run_in_threadpool(
        registry_of(store).get_model_version_lineage, message.name, message.version
    )
    return respond(
        ModelVersionLineageResponse(
            model_version=model_version_to_wire(lineage.model_version),
            run=None if lineage.run is None else run_to_wire(lineage.run),
            experiment=(
                None if lineage.experiment is None else experiment_to_wire(lineage.experiment)
            ),
        )
    )


async def run_ids_in_use(request: Request, store: TrackingStore) -> Response:
    """Answer those of the run ids asked that some model version still needs."""
    message = await parse(request, RunIdsInUse)
    used = await run_in_threadpool(registry_of(store).run_ids_in_use, message.run_ids)
    return respond(RunIdsInUseResponse(run_ids=sorted(used)))


async def log_production_metrics(request: Request, store: TrackingStore) -> Response:
    """Append production observations to a version."""
    message = await parse(request, LogProductionMetrics)
    metrics = production_metrics_from_wire(message.metrics)
    await run_in_threadpool(
        registry_of(store).log_production_metrics, message.name, message.version, metrics
    )
    return respond(EmptyResponse())


async def get_production_metrics(request: Request, store: TrackingStore) -> Response:
    """Answer one page of a version's observations in a time range, oldest first."""
    message = await parse(request, GetProductionMetrics)
    metrics = await run_in_threadpool(
        registry_of(store).get_production_metrics,
        message.name,
        message.version,
        message.key,
        message.start_timestamp,
        message.end_timestamp,
        message.max_results or PRODUCTION_METRICS_MAX_RESULTS_DEFAULT,
        message.page_token,
    )
    return respond(
        GetProductionMetricsResponse(
            metrics=[production_metric_to_wire(m) for m in metrics],
            next_page_token=metrics.token,
        )
    )


async def set_model_version_baseline(request: Request, store: TrackingStore) -> Response:
    """Replace a version's explicit baseline."""
    message = await parse(request, SetModelVersionBaseline)
    values = baseline_values_from_wire(message.metrics)
    await run_in_threadpool(
        registry_of(store).set_model_version_baseline, message.name, message.version, values
    )
    return respond(EmptyResponse())


async def get_model_version_baseline(request: Request, store: TrackingStore) -> Response:
    """Answer a version's baseline and its origin."""
    message = await parse(request, GetModelVersionBaseline)
    baseline = await run_in_threadpool(
        registry_of(store).get_model_version_baseline, message.name, message.version
    )
    return respond(baseline_to_wire(baseline))


async def check_model_version(request: Request, store: TrackingStore) -> Response:
    """Judge a version's production values against its baseline; answer the report."""
    from trackstone.monitoring.rules import parse_rules

    message = await parse(request, CheckModelVersion)
    rules = parse_rules([rule_from_wire(item) for item in message.rules])
    now_ms = SystemClock().now_ms() if message.now_ms is None else message.now_ms
    report = await run_in_threadpool(
        _check,
        registry_of(store),
        message.name,
        str(message.version),
        rules,
        now_ms,
        message.default_window_s,
    )
    return respond(CheckModelVersionResponse(report=report_to_wire(report)))


def _check(
    registry: RegistryStore,
    name: str,
    version: str,
    rules: tuple[Rule, ...],
    now_ms: int,
    default_window_s: float | None,
) -> BaselineReport:
    """Read the baseline and only the observations the rules' windows cover, then judge."""
    from trackstone.monitoring.check import check_against_baseline, observation_span

    model_version = registry.get_model_version(name, version)
    baseline = registry.get_model_version_baseline(name, version)
    start_ms, end_ms = observation_span(rules, now_ms, default_window_s)
    observations = registry.get_production_metrics(
        name, version, start_timestamp=start_ms, end_timestamp=end_ms
    )
    return check_against_baseline(
        name,
        model_version.version,
        baseline,
        observations,
        rules,
        now_ms=now_ms,
        default_window_s=default_window_s,
    )
