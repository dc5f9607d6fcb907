"""Runs as a pandas DataFrame with MLflow's ``search_runs`` column names.

Columns: ``run_id``, ``experiment_id``, ``status``, ``artifact_uri``, ``start_time``,
``end_time`` (UTC timestamps), then ``metrics.<key>`` (float, NaN when missing),
``params.<key>`` and ``tags.<key>`` (str, None when missing), each group sorted by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trackstone.entities import Run, RunStatus

if TYPE_CHECKING:
    import pandas

__all__ = ["BASE_COLUMNS", "runs_to_frame"]

# Enum ``.value`` is a descriptor call; a dict lookup is several times faster per row.
_STATUS_NAMES = {status: status.value for status in RunStatus}

BASE_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def _grouped(prefix: str, maps: list[dict[str, Any]], missing: Any) -> dict[str, list[Any]]:
    keys = sorted({key for mapping in maps for key in mapping})
    return {f"{prefix}.{key}": [mapping.get(key, missing) for mapping in maps] for key in keys}


def _ms(times: list[int | None]) -> list[float]:
    # NaN becomes NaT; floats hold every millisecond timestamp exactly (below 2**53).
    return [float("nan") if t is None else float(t) for t in times]


def runs_to_frame(runs: Sequence[Run]) -> pandas.DataFrame:
    """Return one row per run, in the order given.

    Example:
        >>> runs_to_frame([]).columns.tolist()[:3]
        ['run_id', 'experiment_id', 'status']
    """
    import pandas

    infos = [run.info for run in runs]
    columns: dict[str, Any] = {
        "run_id": [info.run_id for info in infos],
        "experiment_id": [info.experiment_id for info in infos],
        "status": [_STATUS_NAMES[info.status] for info in infos],
        "artifact_uri": [info.artifact_uri for info in infos],
        "start_time": pandas.to_datetime(_ms([i.start_time for i in infos]), unit="ms", utc=True),
        "end_time": pandas.to_datetime(_ms([i.end_time for i in infos]), unit="ms", utc=True),
    }
    columns.update(_grouped("metrics", [run.data.metrics for run in runs], float("nan")))
    # Object columns keep None for a missing param or tag, as MLflow's frames do.
    for prefix, maps in (
        ("params", [r.data.params for r in runs]),
        ("tags", [r.data.tags for r in runs]),
    ):
        for key, values in _grouped(prefix, maps, None).items():
            columns[key] = pandas.Series(values, dtype=object)
    frame: pandas.DataFrame = pandas.DataFrame(columns)
    return frame
