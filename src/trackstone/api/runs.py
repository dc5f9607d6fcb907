"""Runs on the wire: the info/data/inputs shape, and the run lifecycle and search requests."""

from __future__ import annotations

from typing import Annotated

import msgspec

from trackstone.api.experiments import lifecycle_stage_from_wire
from trackstone.api.inputs import (
    WireDatasetInput,
    WireModelInput,
    WireModelOutput,
    dataset_input_from_wire,
    dataset_input_to_wire,
)
from trackstone.api.messages import Request, Response, RunRequest
from trackstone.api.records import WireMetric, WireParam, WireTag
from trackstone.api.scalars import (
    Int64,
    RunStatusValue,
    ViewTypeValue,
    run_status,
    run_status_name,
    view_type,
    wire_number,
)
from trackstone.entities import (
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    ViewType,
)
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput, RunOutputs

__all__ = [
    "RUNS_MAX_RESULTS_DEFAULT",
    "RUNS_MAX_RESULTS_LIMIT",
    "CreateRun",
    "CreateRunResponse",
    "DeleteRun",
    "GetRun",
    "GetRunResponse",
    "RestoreRun",
    "SearchRuns",
    "SearchRunsResponse",
    "UpdateRun",
    "UpdateRunResponse",
    "WireRun",
    "WireRunData",
    "WireRunInfo",
    "WireRunInputs",
    "WireRunOutputs",
    "run_from_wire",
    "run_info_from_wire",
    "run_info_to_wire",
    "run_to_wire",
]

RUNS_MAX_RESULTS_DEFAULT = 1000
RUNS_MAX_RESULTS_LIMIT = 50_000


class WireRunInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A run's attributes; ``run_uuid`` repeats ``run_id`` for older clients."""

    run_id: str = ""
    run_uuid: str = ""
    run_name: str = ""
    experiment_id: str = ""
    user_id: str = ""
    status: RunStatusValue
    start_time: Int64 | None = None
    end_time: Int64 | None = None
    artifact_uri: str = ""
    lifecycle_stage: str = ""


class WireRunData(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A run's latest metric points, params and tags, each a list."""

    metrics: list[WireMetric] = msgspec.field(default_factory=list)
    params: list[WireParam] = msgspec.field(default_factory=list)
    tags: list[WireTag] = msgspec.field(default_factory=list)


class WireRunInputs(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The datasets and models a run consumed."""

    dataset_inputs: list[WireDatasetInput] = msgspec.field(default_factory=list)
    model_inputs: list[WireModelInput] = msgspec.field(default_factory=list)


class WireRunOutputs(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The models a run produced."""

    model_outputs: list[WireModelOutput] = msgspec.field(default_factory=list)


class WireRun(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A run: ``info``, ``data`` and ``inputs`` (``outputs`` when it produced models).

    ``inputs.model_inputs`` is filled by runs/get only: runs/search leaves it out, as MLflow
    does.
    """

    info: WireRunInfo
    data: WireRunData = msgspec.field(default_factory=WireRunData)
    inputs: WireRunInputs = msgspec.field(default_factory=WireRunInputs)
    outputs: WireRunOutputs | None = None


class CreateRun(Request, kw_only=True, frozen=True):
    """POST runs/create: start a RUNNING run in an experiment."""

    experiment_id: str
    user_id: str = ""
    run_name: str | None = None
    start_time: Int64 | None = None
    tags: list[WireTag] = msgspec.field(default_factory=list)


class CreateRunResponse(Response, kw_only=True):
    """The new run."""

    run: WireRun | None = None


class GetRun(RunRequest, kw_only=True, frozen=True):
    """GET runs/get: a run with its latest metrics, params, tags and inputs."""


class GetRunResponse(Response, kw_only=True):
    """One run."""

    run: WireRun | None = None


class UpdateRun(RunRequest, kw_only=True, frozen=True):
    """POST runs/update: change a run's status, end time and/or name."""

    status: RunStatusValue | None = None
    end_time: Int64 | None = None
    run_name: str | None = None

    @property
    def run_status(self) -> RunStatus | None:
        """The new status, if one was sent."""
        return None if self.status is None else run_status(self.status)


class UpdateRunResponse(Response, kw_only=True):
    """The run's info after the update."""

    run_info: WireRunInfo | None = None


class DeleteRun(Request, kw_only=True, frozen=True):
    """POST runs/delete: soft-delete a run."""

    run_id: str


class RestoreRun(Request, kw_only=True, frozen=True):
    """POST runs/restore: bring back a soft-deleted run."""

    run_id: str


class SearchRuns(Request, kw_only=True, frozen=True):
    """POST runs/search: a page of runs of some experiments matching a filter."""

    experiment_ids: list[str] = msgspec.field(default_factory=list)
    filter_string: str | None = msgspec.field(default=None, name="filter")
    run_view_type: ViewTypeValue = "ACTIVE_ONLY"
    max_results: Annotated[int, msgspec.Meta(ge=1, le=RUNS_MAX_RESULTS_LIMIT)] = (
        RUNS_MAX_RESULTS_DEFAULT
    )
    order_by: list[str] = msgspec.field(default_factory=list)
    page_token: str | None = None

    @property
    def view(self) -> ViewType:
        """The lifecycle stages to return."""
        return view_type(self.run_view_type)


class SearchRunsResponse(Response, kw_only=True):
    """A page of runs and the token of the next page (absent at the end)."""

    runs: list[WireRun] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


def run_info_to_wire(info: RunInfo) -> WireRunInfo:
    """Return the wire form of a run's info."""
    return WireRunInfo(
        run_id=info.run_id,
        run_uuid=info.run_id,
        run_name=info.run_name,
        experiment_id=info.experiment_id,
        user_id=info.user_id,
        status=run_status_name(info.status),
        start_time=info.start_time,
        end_time=info.end_time,
        artifact_uri=info.artifact_uri,
        lifecycle_stage=info.lifecycle_stage.value,
    )


def run_to_wire(run: Run) -> WireRun:
    """Return the wire form of a run (this runs once per run in a search: keep it lean)."""
    data = run.data
    return WireRun(
        info=run_info_to_wire(run.info),
        data=WireRunData(
            metrics=[
                WireMetric(m.key, wire_number(m.value), m.timestamp, m.step)
                for m in data.latest_metrics
            ],
            params=[WireParam(key, value) for key, value in data.params.items()],
            tags=[WireTag(key, value) for key, value in data.tags.items()],
        ),
        inputs=WireRunInputs(
            dataset_inputs=[dataset_input_to_wire(item) for item in run.inputs.dataset_inputs],
            model_inputs=[WireModelInput(model_id=m.model_id) for m in run.inputs.model_inputs],
        ),
        outputs=_outputs_to_wire(run.outputs),
    )


def _outputs_to_wire(outputs: RunOutputs) -> WireRunOutputs | None:
    if not outputs.model_outputs:
        return None
    return WireRunOutputs(
        model_outputs=[
            WireModelOutput(model_id=item.model_id, step=item.step)
            for item in outputs.model_outputs
        ]
    )


def run_info_from_wire(wire: WireRunInfo) -> RunInfo:
    """Return the ``RunInfo`` a wire run info describes."""
    return RunInfo(
        run_id=wire.run_id or wire.run_uuid,
        experiment_id=wire.experiment_id,
        run_name=wire.run_name,
        user_id=wire.user_id,
        status=run_status(wire.status),
        start_time=wire.start_time,
        end_time=wire.end_time,
        artifact_uri=wire.artifact_uri,
        lifecycle_stage=lifecycle_stage_from_wire(wire.lifecycle_stage),
    )


def run_from_wire(wire: WireRun) -> Run:
    """Return the ``Run`` a wire run describes."""
    data = wire.data
    return Run(
        info=run_info_from_wire(wire.info),
        data=RunData(
            latest_metrics=tuple(
                Metric(m.key, float(m.value), m.timestamp, m.step) for m in data.metrics
            ),
            params={param.key: param.value for param in data.params},
            tags={tag.key: tag.value for tag in data.tags},
        ),
        inputs=RunInputs(
            dataset_inputs=tuple(
                dataset_input_from_wire(item) for item in wire.inputs.dataset_inputs
            ),
            model_inputs=tuple(
                LoggedModelInput(item.model_id) for item in wire.inputs.model_inputs
            ),
        ),
        outputs=RunOutputs(
            model_outputs=tuple(
                LoggedModelOutput(item.model_id, item.step)
                for item in (wire.outputs.model_outputs if wire.outputs else ())
            )
        ),
    )
