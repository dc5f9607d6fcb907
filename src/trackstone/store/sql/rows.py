"""Turn database rows into entities (rows read back were validated when they were written).

Runs are built without calling their dataclass constructors: a frozen dataclass's
``__init__`` sets each field through ``object.__setattr__``, which made building a
``RunInfo`` four times slower than filling its ``__dict__`` (every search page builds
thousands). A unit test keeps the two ways equal field for field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from trackstone.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
)
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput, RunOutputs
from trackstone.store.sql import schema

__all__ = [
    "EXPERIMENT_COLUMNS",
    "RUN_INFO_COLUMNS",
    "dataset_input_from_rows",
    "experiment_from_row",
    "metric_from_values",
    "metrics_from_rows",
    "point_value_sql",
    "points_from_rows",
    "run_from_parts",
    "run_info_from_row",
    "stored_value",
]

E = schema.experiments
R = schema.runs

EXPERIMENT_COLUMNS = (
    E.c.experiment_id,
    E.c.name,
    E.c.artifact_location,
    E.c.lifecycle_stage,
    E.c.creation_time,
    E.c.last_update_time,
)
RUN_INFO_COLUMNS = (
    R.c.run_uuid,
    R.c.experiment_id,
    R.c.name,
    R.c.user_id,
    R.c.status,
    R.c.start_time,
    R.c.end_time,
    R.c.artifact_uri,
    R.c.lifecycle_stage,
)

_STAGES = {stage.value: stage for stage in LifecycleStage}
_new_object = object.__new__
# Inputs and outputs are immutable and most runs have none: they share one empty value.
_NO_INPUTS = RunInputs()
_NO_OUTPUTS = RunOutputs()
_STATUSES = {status.value: status for status in RunStatus}


def stored_value(value: float) -> tuple[float, bool, bool]:
    """Return the stored (value, is_nan, is_negative_zero) columns of a metric value."""
    if value != value:  # NaN
        return 0.0, True, False
    return value, False, value == 0.0 and math.copysign(1.0, value) < 0


def metric_from_values(
    key: str, value: float, is_nan: bool, negative_zero: bool, timestamp: int, step: int
) -> Metric:
    """Build a Metric from stored columns without re-running validation (hot path)."""
    if is_nan:
        value = math.nan
    elif negative_zero:
        value = -0.0
    else:
        value = float(value)
    return Metric.unchecked(key, value, timestamp, step)


def metrics_from_rows(key: str, rows: Iterable[Sequence[Any]]) -> list[Metric]:
    """Build Metrics from (step, timestamp, value, is_nan, is_negative_zero) rows, fast."""
    unchecked, nan = Metric.unchecked, math.nan
    return [
        unchecked(key, nan if is_nan else (-0.0 if negative_zero else value), timestamp, step)
        for step, timestamp, value, is_nan, negative_zero in rows
    ]


def point_value_sql(dialect: str) -> str:
    """Return a stored point's value as one column: NULL for NaN, -0.0 from its flag.

    Reading three columns instead of five saves a sixth of a 100,000-point history read.
    PostgreSQL reads ``-0.0`` as a numeric, which has no negative zero: it gets a float8.
    Sort by the stored columns, not by this one.
    """
    negative_zero = "CAST('-0' AS DOUBLE PRECISION)" if dialect == "postgresql" else "-0.0"
    # Named apart: PostgreSQL would call it "value", and ORDER BY value would sort by it.
    return (
        f"CASE WHEN is_nan THEN NULL WHEN is_negative_zero THEN {negative_zero}"
        " ELSE value END AS point_value"
    )


def points_from_rows(key: str, rows: Iterable[Sequence[Any]]) -> list[Metric]:
    """Build Metrics from (step, timestamp, ``point_value_sql``) rows, fast."""
    unchecked, nan = Metric.unchecked, math.nan
    return [
        unchecked(key, nan if value is None else value, timestamp, step)
        for step, timestamp, value in rows
    ]


def experiment_from_row(row: Sequence[Any], tags: dict[str, str]) -> Experiment:
    """Build an Experiment from a row of ``EXPERIMENT_COLUMNS`` and its tags."""
    experiment_id, name, location, stage, created, updated = row
    return Experiment(
        experiment_id=str(experiment_id),
        name=name,
        artifact_location=location,
        lifecycle_stage=_STAGES[stage],
        tags=tags,
        creation_time=created,
        last_update_time=updated,
    )


def run_info_from_row(row: Sequence[Any]) -> RunInfo:
    """Build a RunInfo from a row of ``RUN_INFO_COLUMNS``."""
    run_id, experiment_id, name, user_id, status, start, end, artifact_uri, stage = row
    info = _new_object(RunInfo)
    info.__dict__.update(
        run_id=run_id,
        experiment_id=str(experiment_id),
        run_name=name,
        user_id=user_id,
        status=_STATUSES[status],
        start_time=start,
        end_time=end,
        artifact_uri=artifact_uri,
        lifecycle_stage=_STAGES[stage],
    )
    return info


def dataset_input_from_rows(
    dataset_row: Sequence[Any], tag_rows: Iterable[tuple[str, str]]
) -> DatasetInput:
    """Build a DatasetInput from (name, digest, source_type, source, schema, profile) and tags."""
    name, digest, source_type, source, schema_text, profile = dataset_row
    dataset = Dataset(
        name=name,
        digest=digest,
        source_type=source_type,
        source=source,
        schema=schema_text,
        profile=profile,
    )
    return DatasetInput(dataset=dataset, tags=tuple(InputTag(k, v) for k, v in tag_rows))


def run_from_parts(
    info: RunInfo,
    latest: tuple[Metric, ...],
    params: dict[str, str],
    tags: dict[str, str],
    dataset_inputs: tuple[DatasetInput, ...],
    model_inputs: tuple[LoggedModelInput, ...] = (),
    model_outputs: tuple[LoggedModelOutput, ...] = (),
) -> Run:
    """Assemble a Run."""
    data = _new_object(RunData)
    data.__dict__.update(latest_metrics=latest, params=params, tags=tags)
    if dataset_inputs or model_inputs:
        inputs = _new_object(RunInputs)
        inputs.__dict__.update(dataset_inputs=dataset_inputs, model_inputs=model_inputs)
    else:
        inputs = _NO_INPUTS
    outputs = RunOutputs(model_outputs) if model_outputs else _NO_OUTPUTS
    run = _new_object(Run)
    run.__dict__.update(info=info, data=data, inputs=inputs, outputs=outputs)
    return run
