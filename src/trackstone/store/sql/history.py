"""Metric history: every point of a metric page by page, and a downsampled view for charts.

Downsampling cuts a run's step range into equal buckets and keeps, per bucket, the first and
last point and the points with the lowest and highest value (NaN never counts as either), so a
spike survives however many points are dropped. Each bucket costs two index seeks and one
aggregate range scan in the database; window functions were measured 20-40x slower on SQLite
because they sort the whole range once per ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from trackstone.entities import Metric, PagedList
from trackstone.entities.validation import check_max_results
from trackstone.errors import InvalidParameter
from trackstone.store.base import METRIC_HISTORY_MAX_RESULTS_LIMIT, MetricWithRunId
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.gc_pause import paused_gc
from trackstone.store.sql.page_token import PageToken, decode_token, encode_token, fingerprint
from trackstone.store.sql.rows import metrics_from_rows, point_value_sql, points_from_rows
from trackstone.store.sql.runs import lock_run

__all__ = ["HistoryReader"]

M = schema.metrics
_POINTS_PER_BUCKET = 4


class _BucketQueries:
    """The four per-bucket statements: extremes by index seek, then value lookups."""

    def __init__(self, mark: str) -> None:
        base = (
            "SELECT step, timestamp, value, is_nan, is_negative_zero FROM metrics "
            f"WHERE run_pk = {mark} AND key = {mark} AND step >= {mark} AND step <= {mark}"
        )
        self.first = base + " ORDER BY step, timestamp, value, is_nan LIMIT 1"
        self.last = base + " ORDER BY step DESC, timestamp DESC, value DESC, is_nan DESC LIMIT 1"
        self.extremes = (
            "SELECT min(value), max(value) FROM metrics "
            f"WHERE run_pk = {mark} AND key = {mark} AND step >= {mark} AND step <= {mark} "
            "AND NOT is_nan"
        )
        self.at_value = (
            base + f" AND NOT is_nan AND value = {mark} ORDER BY step, timestamp, value LIMIT 1"
        )


def _bucket_points(cursor: Any, sql: _BucketQueries, bounds: tuple[Any, ...]) -> list[Any]:
    """Return a bucket's first, last, lowest and highest points (fewer when they coincide).

    The first and last points are index seeks; the lowest and highest values come from one
    aggregate scan of the bucket and are then located by an early-exit scan, skipped when
    the first or last point already holds them (as for monotonic metrics).
    """
    cursor.execute(sql.first, bounds)
    first = cursor.fetchone()
    if first is None:
        return []
    cursor.execute(sql.last, bounds)
    last = cursor.fetchone()
    points = [tuple(first), tuple(last)]
    cursor.execute(sql.extremes, bounds)
    low, high = cursor.fetchone()
    for value in (low, high):
        if value is None:
            continue
        if any(not point[3] and point[2] == value for point in points):
            continue
        cursor.execute(sql.at_value, (*bounds, value))
        found = cursor.fetchone()
        if found is not None:
            points.append(tuple(found))
    return points


def _history_sql(dialect: str, placeholder: str, after: bool, limited: bool) -> str:
    marks = [placeholder] * 4
    sql = (
        f"SELECT step, timestamp, {point_value_sql(dialect)} FROM metrics "
        f"WHERE run_pk = {placeholder} AND key = {placeholder}"
    )
    if after:
        sql += f" AND (step, timestamp, value, is_nan) > ({', '.join(marks)})"
    sql += " ORDER BY step, timestamp, value, is_nan"
    if limited:
        sql += f" LIMIT {placeholder}"
    return sql


class HistoryReader:
    """Reads metric points."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def history(
        self, run_id: str, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        """Return a page of a metric's points ordered by step, then timestamp."""
        if max_results is not None:
            check_max_results(max_results, METRIC_HISTORY_MAX_RESULTS_LIMIT)
        marker = fingerprint("metric-history", run_id, key)
        position = decode_token(page_token, marker).position if page_token else None
        if position is not None and len(position) != 4:
            raise InvalidParameter("page_token: not a metric history token")
        sql = _history_sql(
            self._db.dialect, self._db.placeholder, position is not None, max_results is not None
        )
        args: list[Any] = [key, *(position or ())]
        if max_results is not None:
            args.append(max_results + 1)
        with paused_gc():
            with self._db.read() as connection:
                run = lock_run(connection, run_id, lock=False)
                cursor = self._db.cursor(connection)
                try:
                    cursor.execute(sql, (run.run_pk, *args))
                    rows = cursor.fetchall()
                finally:
                    cursor.close()
            token = None
            if max_results is not None and len(rows) > max_results:
                rows = rows[:max_results]
                step, ts, value = rows[-1]
                # NaN is stored as 0.0 with its flag set; -0.0 equals the stored 0 in SQL.
                position = (step, ts, 0.0, True) if value is None else (step, ts, value, False)
                token = encode_token(PageToken(fingerprint=marker, position=position))
            points = points_from_rows(key, rows)
        return PagedList(points, token=token)

    def downsampled(
        self,
        run_ids: Sequence[str],
        key: str,
        max_points: int,
        start_step: int | None,
        end_step: int | None,
    ) -> list[MetricWithRunId]:
        """Return at most about ``max_points`` points per run, keeping each bucket's extremes."""
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
            raise InvalidParameter(f"max_points: must be a positive integer, got {max_points!r}")
        if start_step is not None and end_step is not None and start_step > end_step:
            raise InvalidParameter(
                f"start_step: must not exceed end_step, got {start_step} > {end_step}"
            )
        result: list[MetricWithRunId] = []
        with self._db.read() as connection:
            for run_id in dict.fromkeys(run_ids):
                run = lock_run(connection, run_id, lock=False)
                points = self._sample_run(
                    connection, run.run_pk, key, max_points, start_step, end_step
                )
                result.extend(MetricWithRunId(run_id, point) for point in points)
        return result

    def _sample_run(
        self,
        connection: Connection,
        run_pk: int,
        key: str,
        max_points: int,
        start_step: int | None,
        end_step: int | None,
    ) -> list[Metric]:
        where = [M.c.run_pk == run_pk, M.c.key == key]
        if start_step is not None:
            where.append(M.c.step >= start_step)
        if end_step is not None:
            where.append(M.c.step <= end_step)
        order = (M.c.step, M.c.timestamp, M.c.value, M.c.is_nan)
        query = select(*order, M.c.is_negative_zero).where(*where).order_by(*order)
        # Read at most one point too many: enough to tell whether sampling is needed.
        rows = connection.execute(query.limit(max_points + 1)).all()
        if len(rows) <= max_points:
            return metrics_from_rows(key, rows)
        low = rows[0][0]
        high = connection.execute(select(func.max(M.c.step)).where(*where)).scalar_one()
        buckets = max(1, max_points // _POINTS_PER_BUCKET)
        width = max(1, -(-(high - low + 1) // buckets))
        sql = _BucketQueries(self._db.placeholder)
        cursor = self._db.cursor(connection)
        chosen: set[tuple[Any, ...]] = set()
        try:
            for first_step in range(low, high + 1, width):
                bounds = (run_pk, key, first_step, min(high, first_step + width - 1))
                chosen.update(_bucket_points(cursor, sql, bounds))
        finally:
            cursor.close()
        ordered = sorted(chosen, key=lambda row: (row[0], row[1], row[2], row[3]))
        return metrics_from_rows(key, ordered)
