"""Runs linked to logged models in SQL: models a run consumed or produced, and model metrics.

A model metric is a point of the run's own metrics that is also recorded against a model
(MLflow 3's ``log_metric(..., model_id=...)``): ``log_model_metrics`` writes the run's point
and the model's record in one transaction through ``BatchWriter``. Links to inputs and
outputs, like MLflow's, may name any model id; a metric must name a stored model.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from sqlalchemy import Connection, Insert, select

from trackstone.entities.logged_model import LoggedModelMetric
from trackstone.entities.metric import Metric, Param, RunTag
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput
from trackstone.entities.validation import check_item_types
from trackstone.errors import NotFound
from trackstone.store.sql.batches import BatchWriter
from trackstone.store.sql.engine import Database
from trackstone.store.sql.logged_model_tables import (
    logged_model_metrics,
    logged_models,
    run_model_inputs,
    run_model_outputs,
)
from trackstone.store.sql.runs import LockedRun, lock_run
from trackstone.store.sql.upserts import Upserts, dialect_insert

__all__ = ["ModelLinks", "read_model_metrics"]

MM = logged_model_metrics
_METRIC_COLUMNS = (
    MM.c.model_id,
    MM.c.key,
    MM.c.value,
    MM.c.is_nan,
    MM.c.is_negative_zero,
    MM.c.timestamp,
    MM.c.step,
    MM.c.run_id,
    MM.c.dataset_name,
    MM.c.dataset_digest,
)


class ModelLinks:
    """Records which models runs consumed and produced, and metrics logged against models."""

    def __init__(self, db: Database) -> None:
        self._db = db
        insert_for = dialect_insert(db.dialect)
        self._insert_inputs = insert_for(run_model_inputs).on_conflict_do_nothing()
        self._insert_outputs = insert_for(run_model_outputs).on_conflict_do_nothing()
        self._insert_metrics = insert_for(MM).on_conflict_do_nothing()
        self._batches: BatchWriter | None = None

    def log_model_inputs(self, run_id: str, models: Sequence[LoggedModelInput]) -> None:
        """Record models an active run consumed (each once)."""
        check_item_types("models", models, LoggedModelInput)
        rows: dict[str, dict[str, object]] = {m.model_id: {"model_id": m.model_id} for m in models}
        self._link(run_id, "log inputs to", self._insert_inputs, list(rows.values()))

    def log_model_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record models an active run produced; a model already recorded keeps its step."""
        check_item_types("models", models, LoggedModelOutput)
        rows: dict[str, dict[str, object]] = {}
        for model in models:
            rows.setdefault(model.model_id, {"model_id": model.model_id, "step": model.step})
        self._link(run_id, "log outputs to", self._insert_outputs, list(rows.values()))

    def log_model_metrics(
        self,
        run_id: str,
        metrics: Sequence[LoggedModelMetric],
        run_metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Append the points to an active run's metrics and record each against its model;
        store ``run_metrics``, ``params`` and ``tags`` in the same transaction.

        All or nothing. Raises NotFound (run, or a model id no model has), InvalidState
        (run deleted), InvalidParameter (a bad item, more than 1000 points).
        """
        check_item_types("metrics", metrics, LoggedModelMetric)
        if self._batches is None:
            self._batches = BatchWriter(self._db, Upserts(self._db.dialect))
        points = [*run_metrics, *(item.metric for item in metrics)]
        record = functools.partial(self._record_metrics, metrics)
        self._batches.log_batch(run_id, points, params, tags, also=record)

    def _link(
        self, run_id: str, action: str, statement: Insert, rows: list[dict[str, object]]
    ) -> None:
        with self._db.write() as connection:
            run = lock_run(connection, run_id)
            run.require_active(action)
            if rows:
                for row in rows:
                    row["run_pk"] = run.run_pk
                connection.execute(statement, rows)

    def _record_metrics(
        self, metrics: Sequence[LoggedModelMetric], connection: Connection, run: LockedRun
    ) -> None:
        wanted = sorted({item.model_id for item in metrics})
        if not wanted:
            return
        known = set(
            connection.execute(
                select(logged_models.c.model_id).where(logged_models.c.model_id.in_(wanted))
            ).scalars()
        )
        for model_id in wanted:
            if model_id not in known:
                raise NotFound(f"metrics: logged model {model_id!r} does not exist")
        connection.execute(self._insert_metrics, [_metric_row(run.run_id, m) for m in metrics])


def _metric_row(run_id: str, item: LoggedModelMetric) -> dict[str, object]:
    value = item.metric.value
    is_nan = value != value
    return {
        "model_id": item.model_id,
        "run_id": run_id,
        "key": item.metric.key,
        "step": item.metric.step,
        "timestamp": item.metric.timestamp,
        "value": 0.0 if is_nan else value,
        "is_nan": is_nan,
        "is_negative_zero": not is_nan and value == 0.0 and math.copysign(1.0, value) < 0,
        "dataset_name": item.dataset_name or "",
        "dataset_digest": item.dataset_digest or "",
    }


def read_model_metrics(
    connection: Connection, model_ids: Sequence[str]
) -> dict[str, list[LoggedModelMetric]]:
    """Return the metrics of these models, each model's in the order they were recorded."""
    found: dict[str, list[LoggedModelMetric]] = {}
    if not model_ids:
        return found
    rows = connection.execute(
        select(*_METRIC_COLUMNS).where(MM.c.model_id.in_(model_ids)).order_by(MM.c.metric_pk)
    )
    for model_id, key, value, is_nan, negative_zero, ts, step, run_id, name, digest in rows:
        number = math.nan if is_nan else (-0.0 if negative_zero else float(value))
        found.setdefault(model_id, []).append(
            LoggedModelMetric(
                model_id,
                Metric.unchecked(key, number, ts, step),
                dataset_name=name or None,
                dataset_digest=digest or None,
                run_id=run_id,
            )
        )
    return found
