"""Trackstone-only maintenance endpoints: list soft-deleted runs and experiments, purge them.

These back ``trackstone gc`` against a remote server; MLflow has no equivalent (its ``gc``
opens the database directly). Purging acts only on records that are already soft-deleted.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from trackstone.api.experiments import WireExperiment
from trackstone.api.messages import Request, Response
from trackstone.api.runs import WireRunInfo
from trackstone.api.scalars import INT64_MAX

__all__ = [
    "ListDeletedExperiments",
    "ListDeletedExperimentsResponse",
    "ListDeletedRuns",
    "ListDeletedRunsResponse",
    "PurgeExperiment",
    "PurgeRun",
]

# An age: negative ones mean nothing and would overflow ``now - age`` in the database.
AgeMs = Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]


class ListDeletedRuns(Request, kw_only=True, frozen=True):
    """GET trackstone/runs/list-deleted: soft-deleted runs, by age (``older_than_ms``)."""

    older_than_ms: AgeMs | None = None


class ListDeletedRunsResponse(Response, kw_only=True):
    """The soft-deleted runs' infos."""

    runs: list[WireRunInfo] = msgspec.field(default_factory=list)


class ListDeletedExperiments(Request, kw_only=True, frozen=True):
    """GET trackstone/experiments/list-deleted: soft-deleted experiments by age."""

    older_than_ms: AgeMs | None = None


class ListDeletedExperimentsResponse(Response, kw_only=True):
    """The soft-deleted experiments."""

    experiments: list[WireExperiment] = msgspec.field(default_factory=list)


class PurgeRun(Request, kw_only=True, frozen=True):
    """POST trackstone/runs/purge: remove a soft-deleted run's records for good."""

    run_id: str


class PurgeExperiment(Request, kw_only=True, frozen=True):
    """POST trackstone/experiments/purge: remove a soft-deleted experiment and its runs."""

    experiment_id: str
