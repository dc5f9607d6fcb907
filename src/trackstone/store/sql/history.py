"""Metric history: every point of a metric page by page, and a downsampled view for charts.

Downsampling cuts a run's step range into equal buckets and keeps, per bucket, the first and
last point and the points with the lowest and highest value (NaN never counts as either), so a
spike survives however many points are dropped. The selection runs in SQL with window
functions (SQLite >= 3.25, PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select, text, tuple_

from trackstone.entities import Metric, PagedList
from trackstone.errors import InvalidParameter
from trackstone.store.base import METRIC_HISTORY_MAX_RESULTS_LIMIT, MetricWithRunId
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.page_token import PageToken, decode_token, encode_token, fingerprint
from trackstone.store.sql.rows import metric_from_values
from trackstone.store.sql.runs import lock_run

__all__ = ["HistoryReader"]

M = schema.metrics
_POINTS_PER_BUCKET = 4

_DOWNSAMPLE_SQL = text(
    """
    SELECT step, timestamp, value, is_nan, is_negative_zero FROM (
        SELECT step, timestamp, value, is_nan, is_negative_zero,
            row_number() OVER (PARTITION BY b ORDER BY step, timestamp) AS r_first,
            row_number() OVER (PARTITION BY b ORDER BY step DESC, timestamp DESC) AS r_last,
            row_number() OVER (PARTITION BY b ORDER BY is_nan, value, step, timestamp) AS r_min,
            row_number() OVER (PARTITION BY b ORDER BY is_nan, value DESC, step, timestamp)
                AS r_max
        FROM (
            SELECT step, timestamp, value, is_nan, is_negative_zero, (step - :lo) / :width AS b
            FROM metrics
            WHERE run_pk = :run_pk AND key = :key AND step >= :lo AND step <= :hi
        ) AS bucketed
    ) AS ranked
    WHERE r_first = 1 OR r_last = 1 OR r_min = 1 OR r_max = 1
    ORDER BY step, timestamp, value, is_nan
    """
)


def _metrics(key: str, rows: Any) -> list[Metric]:
    return [
        metric_from_values(key, value, nan, negative_zero, ts, step)
        for step, ts, value, nan, negative_zero in rows
    ]


class HistoryReader:
    """Reads metric points."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def history(
        self, run_id: str, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        """Return a page of a metric's points ordered by step, then timestamp."""
        if max_results is not None and not 1 <= max_results <= METRIC_HISTORY_MAX_RESULTS_LIMIT:
            raise InvalidParameter(
                f"max_results: must be between 1 and {METRIC_HISTORY_MAX_RESULTS_LIMIT}, "
                f"got {max_results}"
            )
        marker = fingerprint("metric-history", run_id, key)
        position = decode_token(page_token, marker).position if page_token else None
        order = (M.c.step, M.c.timestamp, M.c.value, M.c.is_nan)
        query = select(*order, M.c.is_negative_zero).where(M.c.key == key).order_by(*order)
        if position is not None:
            if len(position) != len(order):
                raise InvalidParameter("page_token: not a metric history token")
            query = query.where(tuple_(*order) > tuple_(*position))
        if max_results is not None:
            query = query.limit(max_results + 1)
        with self._db.read() as connection:
            run = lock_run(connection, run_id, lock=False)
            rows = connection.execute(query.where(M.c.run_pk == run.run_pk)).all()
        token = None
        if max_results is not None and len(rows) > max_results:
            rows = rows[:max_results]
            step, ts, value, nan, _ = rows[-1]
            token = encode_token(
                PageToken(fingerprint=marker, position=(step, ts, value, bool(nan)))
            )
        return PagedList(_metrics(key, rows), token=token)

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
        count, low, high = connection.execute(
            select(func.count(), func.min(M.c.step), func.max(M.c.step)).where(*where)
        ).one()
        if count <= max_points:
            order = (M.c.step, M.c.timestamp, M.c.value, M.c.is_nan)
            query = select(*order, M.c.is_negative_zero).where(*where).order_by(*order)
            rows = connection.execute(query).all()
            return _metrics(key, rows)
        buckets = max(1, max_points // _POINTS_PER_BUCKET)
        span = high - low + 1
        width = max(1, -(-span // buckets))
        rows = connection.execute(
            _DOWNSAMPLE_SQL,
            {"run_pk": run_pk, "key": key, "lo": low, "hi": high, "width": width},
        ).all()
        return _metrics(key, rows)
