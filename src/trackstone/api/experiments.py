"""Experiments on the wire: their JSON shape, the experiment requests and responses."""

from __future__ import annotations

from typing import Annotated

import msgspec

from trackstone.api.messages import Request, Response
from trackstone.api.records import WireTag, tags_to_wire
from trackstone.api.scalars import Int64, ViewTypeValue, view_type
from trackstone.entities import Experiment, ExperimentTag, LifecycleStage, ViewType
from trackstone.errors import InvalidParameter

__all__ = [
    "EXPERIMENTS_MAX_RESULTS_DEFAULT",
    "EXPERIMENTS_MAX_RESULTS_LIMIT",
    "CreateExperiment",
    "CreateExperimentResponse",
    "DeleteExperiment",
    "DeleteExperimentTag",
    "GetExperiment",
    "GetExperimentByName",
    "GetExperimentResponse",
    "RestoreExperiment",
    "SearchExperiments",
    "SearchExperimentsResponse",
    "SetExperimentTag",
    "UpdateExperiment",
    "WireExperiment",
    "experiment_from_wire",
    "experiment_tags_from_wire",
    "experiment_to_wire",
    "lifecycle_stage_from_wire",
]

EXPERIMENTS_MAX_RESULTS_DEFAULT = 1000
EXPERIMENTS_MAX_RESULTS_LIMIT = 50_000


class WireExperiment(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An experiment: ``experiment_id`` is a string, ``tags`` a list of ``{key, value}``."""

    experiment_id: str = ""
    name: str = ""
    artifact_location: str = ""
    lifecycle_stage: str = ""
    last_update_time: Int64 | None = None
    creation_time: Int64 | None = None
    tags: list[WireTag] = msgspec.field(default_factory=list)


class CreateExperiment(Request, kw_only=True, frozen=True):
    """POST experiments/create: create an experiment with a unique name."""

    name: str
    artifact_location: str | None = None
    tags: list[WireTag] = msgspec.field(default_factory=list)


class CreateExperimentResponse(Response, kw_only=True):
    """The id of the new experiment."""

    experiment_id: str = ""


class GetExperiment(Request, kw_only=True, frozen=True):
    """GET experiments/get: an experiment by id (deleted ones too)."""

    experiment_id: str


class GetExperimentByName(Request, kw_only=True, frozen=True):
    """GET experiments/get-by-name: an experiment by exact name."""

    experiment_name: str


class GetExperimentResponse(Response, kw_only=True):
    """One experiment."""

    experiment: WireExperiment | None = None


class SearchExperiments(Request, kw_only=True, frozen=True):
    """GET or POST experiments/search: a page of experiments matching a filter."""

    max_results: Annotated[int, msgspec.Meta(ge=1, le=EXPERIMENTS_MAX_RESULTS_LIMIT)] = (
        EXPERIMENTS_MAX_RESULTS_DEFAULT
    )
    page_token: str | None = None
    filter_string: str | None = msgspec.field(default=None, name="filter")
    order_by: list[str] = msgspec.field(default_factory=list)
    view_type: ViewTypeValue = "ACTIVE_ONLY"

    @property
    def view(self) -> ViewType:
        """The lifecycle stages to return."""
        return view_type(self.view_type)


class SearchExperimentsResponse(Response, kw_only=True):
    """A page of experiments and the token of the next page (absent at the end)."""

    experiments: list[WireExperiment] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


class UpdateExperiment(Request, kw_only=True, frozen=True):
    """POST experiments/update: rename an experiment (no change without ``new_name``)."""

    experiment_id: str
    new_name: str | None = None


class DeleteExperiment(Request, kw_only=True, frozen=True):
    """POST experiments/delete: soft-delete an experiment and its runs."""

    experiment_id: str


class RestoreExperiment(Request, kw_only=True, frozen=True):
    """POST experiments/restore: bring back a soft-deleted experiment."""

    experiment_id: str


class SetExperimentTag(Request, kw_only=True, frozen=True):
    """POST experiments/set-experiment-tag: set or overwrite an experiment tag."""

    experiment_id: str
    key: str
    value: str


class DeleteExperimentTag(Request, kw_only=True, frozen=True):
    """POST experiments/delete-experiment-tag: remove an experiment tag."""

    experiment_id: str
    key: str


def experiment_to_wire(experiment: Experiment) -> WireExperiment:
    """Return the wire form of an experiment."""
    return WireExperiment(
        experiment_id=experiment.experiment_id,
        name=experiment.name,
        artifact_location=experiment.artifact_location,
        lifecycle_stage=experiment.lifecycle_stage.value,
        last_update_time=experiment.last_update_time,
        creation_time=experiment.creation_time,
        tags=tags_to_wire(experiment.tags),
    )


def experiment_from_wire(wire: WireExperiment) -> Experiment:
    """Return the ``Experiment`` a wire experiment describes."""
    return Experiment(
        experiment_id=wire.experiment_id,
        name=wire.name,
        artifact_location=wire.artifact_location,
        lifecycle_stage=lifecycle_stage_from_wire(wire.lifecycle_stage),
        tags={tag.key: tag.value for tag in wire.tags},
        creation_time=wire.creation_time,
        last_update_time=wire.last_update_time,
    )


def experiment_tags_from_wire(items: list[WireTag], field: str = "tags") -> list[ExperimentTag]:
    """Return validated experiment tags; a bad one raises InvalidParameter naming its index."""
    result = []
    for index, item in enumerate(items):
        try:
            result.append(ExperimentTag(item.key, item.value))
        except InvalidParameter as error:
            raise InvalidParameter(f"{field}[{index}]: {error.message}") from None
    return result


def lifecycle_stage_from_wire(value: str) -> LifecycleStage:
    """Return the stage a wire string names; an absent stage means active."""
    if not value:
        return LifecycleStage.ACTIVE
    try:
        return LifecycleStage(value)
    except ValueError:
        raise InvalidParameter(
            f"lifecycle_stage: must be 'active' or 'deleted', got {value!r}"
        ) from None
