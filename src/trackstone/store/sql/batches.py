"""Atomic log_batch: check the whole batch, then write params, tags and metrics in one go.

Order inside the one write transaction: lock the run (NotFound / InvalidState), compare params
with those stored (InvalidParameter on a different value), then insert params, upsert tags,
insert metric points (a retried point is dropped by the primary key) and move each key's latest
point forward. Any failure rolls everything back.

Statements go through the driver cursor, compiled once per store: for a small batch (ten
params, five metrics) SQLAlchemy's per-call statement handling cost more than the SQL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, delete
from sqlalchemy.sql.dml import Insert

from trackstone.entities import Metric, Param, RunTag
from trackstone.entities.validation import (
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MAX_RECORDS_PER_BATCH,
    MAX_RUN_NAME_LENGTH,
    MAX_TAGS_PER_BATCH,
    check_item_types,
    check_length,
)
from trackstone.errors import InvalidParameter, NotFound
from trackstone.store.base import MetricPoint
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.runs import RUN_NAME_TAG, LockedRun, lock_run
from trackstone.store.sql.upserts import (
    LATEST_KEYS_PER_STATEMENT,
    POINT_ROWS_PER_STATEMENT,
    Upserts,
    latest_of_keys,
    points_insert,
)

__all__ = ["BatchWriter", "check_batch"]

P = schema.params


def check_batch(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> dict[str, str]:
    """Check batch sizes and in-batch param duplicates; return the params as a dict."""
    for field, items, limit in (
        ("metrics", metrics, MAX_METRICS_PER_BATCH),
        ("params", params, MAX_PARAMS_PER_BATCH),
        ("tags", tags, MAX_TAGS_PER_BATCH),
    ):
        if len(items) > limit:
            raise InvalidParameter(
                f"{field}: a batch holds at most {limit} {field}, got {len(items)}"
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_RECORDS_PER_BATCH:
        raise InvalidParameter(
            f"metrics, params and tags: at most {MAX_RECORDS_PER_BATCH} in total, got {total} "
            f"({len(metrics)} metrics, {len(params)} params, {len(tags)} tags)"
        )
    check_item_types("params", params, Param)
    check_item_types("tags", tags, RunTag)
    param_map: dict[str, str] = {}
    for param in params:
        seen = param_map.setdefault(param.key, param.value)
        if seen != param.value:
            raise InvalidParameter(
                f"param {param.key!r}: logged twice in one batch with different values "
                f"({seen!r} and {param.value!r})"
            )
    for tag in tags:
        if tag.key == RUN_NAME_TAG:
            check_length(f"tag {RUN_NAME_TAG!r} value", tag.value, MAX_RUN_NAME_LENGTH)
    return param_map


_MetricRow = tuple[int, str, int, int, float, bool, bool]


def _beats(new: _MetricRow, old: _MetricRow) -> bool:
    """Whether ``new`` is a later latest point than ``old`` (step, timestamp, value; NaN low)."""
    if new[2] != old[2]:
        return new[2] > old[2]
    if new[3] != old[3]:
        return new[3] > old[3]
    if new[5] or old[5]:
        return old[5] and not new[5]
    return new[4] > old[4]


def metric_rows(
    run_pk: int, metrics: Sequence[Metric]
) -> tuple[list[_MetricRow], list[dict[str, Any]]]:
    """Return the stored rows of ``metrics`` and, per key, the row of the newest point.

    One pass, since this runs for every point logged.
    """
    rows: list[_MetricRow] = []
    best: dict[str, _MetricRow] = {}
    copysign = math.copysign
    for metric in metrics:
        if type(metric) is not Metric and not isinstance(metric, Metric):
            raise InvalidParameter(
                f"metrics[{len(rows)}]: must be a Metric, got {type(metric).__name__}"
            )
        value = metric.value
        if value != value:
            row = (run_pk, metric.key, metric.step, metric.timestamp, 0.0, True, False)
        else:
            negative_zero = value == 0.0 and copysign(1.0, value) < 0
            row = (run_pk, metric.key, metric.step, metric.timestamp, value, False, negative_zero)
        rows.append(row)
        current = best.get(row[1])
        if current is None or _beats(row, current):
            best[row[1]] = row
    latest = [
        {
            "run_pk": run_pk,
            "key": key,
            "step": step,
            "timestamp": timestamp,
            "value": value,
            "is_nan": is_nan,
            "is_negative_zero": negative_zero,
        }
        for _, key, step, timestamp, value, is_nan, negative_zero in best.values()
    ]
    return rows, latest


class _DriverInsert:
    """An INSERT compiled once to the driver's SQL, run with ``executemany`` of dict rows."""

    __slots__ = ("_order", "sql")

    def __init__(self, statement: Insert, dialect: Dialect, columns: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        self.sql = str(compiled)
        # Positional styles (SQLite's ?) need each row as a tuple in the compiled order;
        # named ones (psycopg's %(name)s) take the dicts as they are.
        positions = compiled.positiontup
        self._order = itemgetter(*positions) if positions else None

    def run(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        order = self._order
        cursor.executemany(self.sql, [order(row) for row in rows] if order else rows)


_ROW_COLUMNS = ("run_pk", "key", "value")
_LATEST_COLUMNS = ("run_pk", "key", "value", "is_nan", "is_negative_zero", "timestamp", "step")


def _statement_chunks(
    points: Sequence[MetricPoint],
) -> Iterator[tuple[int, Sequence[MetricPoint]]]:
    """Cut ``points`` into chunks of the sizes ``points_insert`` has (rows, chunk).

    Big chunks first; the last one is padded with copies of its last point up to the
    smallest size, which the primary key then drops as duplicates.
    """
    first, total = 0, len(points)
    for rows in POINT_ROWS_PER_STATEMENT:
        while total - first >= rows:
            yield rows, points[first : first + rows]
            first += rows
    if first < total:
        rest = list(points[first:])
        rows = POINT_ROWS_PER_STATEMENT[-1]
        yield rows, rest + [rest[-1]] * (rows - len(rest))


def _plain_values(points: Sequence[MetricPoint]) -> bool:
    """Whether every value is finite and non-zero (checked at C speed for the common case)."""
    values = [point[1] for point in points]
    # A NaN or infinity makes the sum non-finite (so may an overflow: then we merely take the
    # slow path); ``in`` compares with ==, so -0.0 is found too.
    return math.isfinite(sum(values)) and 0.0 not in values


class BatchWriter:
    """Writes batches of metrics, params and tags to runs."""

    def __init__(self, db: Database, upserts: Upserts) -> None:
        self._db = db
        self._upserts = upserts
        dialect = db.engine.dialect
        self._params = _DriverInsert(upserts.params, dialect, _ROW_COLUMNS)
        self._tags = _DriverInsert(upserts.tags, dialect, _ROW_COLUMNS)
        self._latest = _DriverInsert(upserts.latest_metrics, dialect, _LATEST_COLUMNS)
        mark = db.placeholder
        keys = f"IN (SELECT value FROM json_each({mark}))" if db.is_sqlite else f"= ANY({mark})"
        self._stored_params_sql = (
            f"SELECT key, value FROM {P.name} WHERE run_pk = {mark} AND key {keys}"
        )
        self._rename_sql = f"UPDATE {schema.runs.name} SET name = {mark} WHERE run_pk = {mark}"

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
        also: Callable[[Connection, LockedRun], None] | None = None,
    ) -> None:
        """Store the batch atomically (see the module docstring for the order of checks).

        ``also`` writes more in the same transaction once the run is known active (the links
        of model metrics); what it raises rolls the whole batch back.
        """
        param_map = check_batch(metrics, params, tags)
        with self._db.write() as connection:
            run = lock_run(connection, run_id)
            run.require_active("log to")
            if also is not None:
                also(connection, run)
            rows, latest = metric_rows(run.run_pk, metrics) if metrics else ([], [])
            cursor = self._db.cursor(connection)
            try:
                if param_map:
                    self._write_params(cursor, run.run_pk, param_map)
                if tags:
                    self._write_tags(cursor, run.run_pk, tags)
                if rows:
                    self._write_metric_rows(cursor, rows, latest)
            finally:
                cursor.close()

    def _write_params(self, cursor: Any, run_pk: int, params: dict[str, str]) -> None:
        keys: Any = json.dumps(list(params)) if self._db.is_sqlite else list(params)
        cursor.execute(self._stored_params_sql, (run_pk, keys))
        stored: dict[str, str] = dict(cursor.fetchall())
        for key, value in params.items():
            old = stored.get(key)
            if old is not None and old != value:
                raise InvalidParameter(
                    f"param {key!r}: already logged with value {old!r}, cannot change it to "
                    f"{value!r} (params are write-once)"
                )
        new = [
            {"run_pk": run_pk, "key": k, "value": v} for k, v in params.items() if k not in stored
        ]
        if new:
            self._params.run(cursor, new)

    def _write_tags(self, cursor: Any, run_pk: int, tags: Sequence[RunTag]) -> None:
        latest = {tag.key: tag.value for tag in tags}
        self._tags.run(
            cursor, [{"run_pk": run_pk, "key": k, "value": v} for k, v in latest.items()]
        )
        if RUN_NAME_TAG in latest:
            cursor.execute(self._rename_sql, (latest[RUN_NAME_TAG], run_pk))

    def _write_metrics(
        self, connection: Connection, rows: list[_MetricRow], latest: list[dict[str, Any]]
    ) -> None:
        cursor = self._db.cursor(connection)
        try:
            self._write_metric_rows(cursor, rows, latest)
        finally:
            cursor.close()

    def _write_metric_rows(
        self, cursor: Any, rows: list[_MetricRow], latest: list[dict[str, Any]]
    ) -> None:
        if self._upserts.metrics_by_arrays:
            columns = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(self._upserts.metrics_sql, columns)
        else:
            cursor.executemany(self._upserts.metrics_sql, rows)
        self._latest.run(cursor, latest)

    def log_metric_rows(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        """Store already-valid (key, value, timestamp, step) points in one transaction.

        No size limit. On SQLite, points with only finite non-zero values go in multi-row
        VALUES statements (see ``upserts.points_insert``); others take the row-by-row path of
        ``log_batch``.
        """
        if not points:
            return
        with self._db.write() as connection:
            run = lock_run(connection, run_id)
            run.require_active("log to")
            if self._upserts.points_by_values and _plain_values(points):
                keys = list(set(map(itemgetter(0), points)))
                cursor = self._db.cursor(connection)
                try:
                    for rows, chunk in _statement_chunks(points):
                        cursor.execute(points_insert(rows), [run.run_pk, *chain(*chunk)])
                    for first in range(0, len(keys), LATEST_KEYS_PER_STATEMENT):
                        chunk_keys = keys[first : first + LATEST_KEYS_PER_STATEMENT]
                        cursor.execute(latest_of_keys(len(chunk_keys)), (run.run_pk, *chunk_keys))
                finally:
                    cursor.close()
                return
            unchecked = Metric.unchecked
            metrics = [unchecked(key, value, ts, step) for key, value, ts, step in points]
            self._write_metrics(connection, *metric_rows(run.run_pk, metrics))

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from an active run; NotFound if the run has no such tag."""
        tags = schema.tags
        with self._db.write() as connection:
            run = lock_run(connection, run_id)
            run.require_active("delete a tag of")
            removed = connection.execute(
                delete(tags).where(tags.c.run_pk == run.run_pk, tags.c.key == key)
            ).rowcount
            if not removed:
                raise NotFound(f"run {run_id} has no tag {key!r}")
