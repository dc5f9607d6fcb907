"""``ExperimentStats``: run counts and last activity of experiments, for the web UI's list.

A store that can answer these cheaply exposes an ``ExperimentStatsReader`` as its
``experiment_stats`` attribute (``SqlStore`` does); ``experiment_stats_of(store)`` finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from trackstone.errors import NotFound

__all__ = [
    "EXPERIMENT_STATS_MAX_IDS",
    "ExperimentStats",
    "ExperimentStatsReader",
    "experiment_stats_of",
]

EXPERIMENT_STATS_MAX_IDS = 1000


@dataclass(frozen=True)
class ExperimentStats:
    """How many runs an experiment holds and when one last started or ended.

    ``last_run_time_ms`` is the latest start or end time of its active runs, None without any.
    """

    experiment_id: str
    active_runs: int
    deleted_runs: int
    last_run_time_ms: int | None


@runtime_checkable
class ExperimentStatsReader(Protocol):
    """Answers run counts of several experiments in one query."""

    def experiment_stats(self, experiment_ids: Sequence[str]) -> list[ExperimentStats]:
        """Return the stats of each existing experiment of ``experiment_ids``, in that order.

        Ids of experiments that do not exist are left out. Raises ``InvalidParameter`` for
        more than ``EXPERIMENT_STATS_MAX_IDS`` ids or an id that is not a number.
        """
        ...


def experiment_stats_of(store: object) -> ExperimentStatsReader:
    """Return the experiment stats reader a tracking store holds.

    Raises:
        NotFound: the store cannot count runs per experiment.
    """
    reader = getattr(store, "experiment_stats", None)
    if not isinstance(reader, ExperimentStatsReader):
        raise NotFound(f"{type(store).__name__} keeps no experiment stats")
    return reader
