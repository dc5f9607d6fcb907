"""Run counts and last activity of several experiments in one grouped query (the UI's list).

The query walks the runs of the asked experiments through ``ix_runs_experiment_start`` and
never touches params, tags or metrics, so it stays cheap with 100,000 runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func, select

from trackstone.entities import LifecycleStage
from trackstone.errors import InvalidParameter
from trackstone.store.experiment_stats import EXPERIMENT_STATS_MAX_IDS, ExperimentStats
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database

__all__ = ["SqlExperimentStats"]

E = schema.experiments
R = schema.runs
_ACTIVE = LifecycleStage.ACTIVE.value
_INT32_MAX = 2**31 - 1


def _parse_ids(experiment_ids: Sequence[str]) -> list[int]:
    if len(experiment_ids) > EXPERIMENT_STATS_MAX_IDS:
        raise InvalidParameter(
            f"experiment_ids: at most {EXPERIMENT_STATS_MAX_IDS} ids, got {len(experiment_ids)}"
        )
    ids = []
    for index, experiment_id in enumerate(experiment_ids):
        text = str(experiment_id).strip()
        if not text.isdigit() or int(text) > _INT32_MAX:
            raise InvalidParameter(
                f"experiment_ids[{index}]: must be an experiment id, got {experiment_id!r}"
            )
        ids.append(int(text))
    return ids


class SqlExperimentStats:
    """The ``ExperimentStatsReader`` of ``SqlStore``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def experiment_stats(self, experiment_ids: Sequence[str]) -> list[ExperimentStats]:
        ids = _parse_ids(experiment_ids)
        if not ids:
            return []
        active = R.c.lifecycle_stage == _ACTIVE
        counts = (
            select(
                R.c.experiment_id,
                func.sum(case((active, 1), else_=0)),
                func.count(),
                func.max(case((active, R.c.start_time), else_=None)),
                func.max(case((active, R.c.end_time), else_=None)),
            )
            .where(R.c.experiment_id.in_(ids))
            .group_by(R.c.experiment_id)
        )
        with self._db.read() as connection:
            existing = set(
                connection.execute(select(E.c.experiment_id).where(E.c.experiment_id.in_(ids)))
                .scalars()
                .all()
            )
            rows = {row[0]: row for row in connection.execute(counts)}
        result = []
        for experiment_id in dict.fromkeys(ids):
            if experiment_id not in existing:
                continue
            row = rows.get(experiment_id)
            if row is None:
                result.append(ExperimentStats(str(experiment_id), 0, 0, None))
                continue
            _, active_runs, all_runs, last_start, last_end = row
            times = [t for t in (last_start, last_end) if t is not None]
            result.append(
                ExperimentStats(
                    experiment_id=str(experiment_id),
                    active_runs=int(active_runs or 0),
                    deleted_runs=int(all_runs) - int(active_runs or 0),
                    last_run_time_ms=max(times) if times else None,
                )
            )
        return result
