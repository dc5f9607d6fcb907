"""Production monitoring in SQL: a version's observed metric series and its baseline.

Points are stored like run metrics (value + NaN flag + negative-zero flag) with the whole point
in the primary key, so a batch sent twice is stored once (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, tuple_

from trackstone.entities import PagedList
from trackstone.entities.registry import Baseline, BaselineOrigin, ProductionMetric
from trackstone.entities.validation import (
    check_int64,
    check_key,
    check_max_results,
    check_metric_value,
)
from trackstone.errors import InvalidParameter
from trackstone.store.registry import (
    PRODUCTION_METRICS_MAX_RESULTS_LIMIT,
    check_production_batch,
)
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.page_token import PageToken, decode_token, encode_token, fingerprint
from trackstone.store.sql.registry_checks import check_metric_values, parse_version
from trackstone.store.sql.registry_rows import find_model, version_not_found
from trackstone.store.sql.registry_tables import model_baselines, model_versions, production_metrics
from trackstone.store.sql.rows import metric_from_values, stored_value
from trackstone.store.sql.upserts import dialect_insert

__all__ = ["RegistryMonitoring"]

P = production_metrics
B = model_baselines
V = model_versions
_POINT_COLUMNS = (P.c.key, P.c.timestamp, P.c.value, P.c.is_nan, P.c.is_negative_zero)
# The series order, which is also the keyset of its pages (every column of the primary key
# but the version's, so a position names one point).
_ORDER = (P.c.timestamp, P.c.key, P.c.is_nan, P.c.value)


def _float(value: float, is_nan: bool, negative_zero: bool) -> float:
    return metric_from_values("", value, is_nan, negative_zero, 0, 0).value


class RegistryMonitoring:
    """Production metrics and baselines of model versions."""

    def __init__(self, db: Database) -> None:
        self._db = db
        insert_for = dialect_insert(db.dialect)
        self._insert_point = insert_for(P).on_conflict_do_nothing()

    def log(self, name: str, version: str | int, metrics: Sequence[ProductionMetric]) -> None:
        """Append points to a version's series, all or none; repeats are stored once."""
        number = parse_version(version)
        check_production_batch(metrics)
        points: dict[tuple[str, int, float, bool], bool] = {}
        for index, metric in enumerate(metrics):
            key = check_key(f"metrics[{index}].key", metric.key)
            value = check_metric_value(f"metrics[{index}].value", metric.value)
            timestamp = check_int64(f"metrics[{index}].timestamp", metric.timestamp)
            stored, is_nan, negative_zero = stored_value(value)
            points.setdefault((key, timestamp, stored, is_nan), negative_zero)
        with self._db.write() as connection:
            model_pk = _require(connection, name, number)
            if not points:
                return
            rows = [
                {
                    "model_pk": model_pk,
                    "version": number,
                    "key": key,
                    "timestamp": timestamp,
                    "value": value,
                    "is_nan": is_nan,
                    "is_negative_zero": negative_zero,
                }
                for (key, timestamp, value, is_nan), negative_zero in points.items()
            ]
            connection.execute(self._insert_point, rows)

    def read(
        self,
        name: str,
        version: str | int,
        key: str | None,
        start_timestamp: int | None,
        end_timestamp: int | None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[ProductionMetric]:
        """Return a version's points, oldest first, of one key and within [start, end] if given:
        one page of ``max_results`` (keyset paging on the sort columns), or all of them."""
        number = parse_version(version)
        limit = (
            None
            if max_results is None
            else check_max_results(max_results, PRODUCTION_METRICS_MAX_RESULTS_LIMIT)
        )
        query = select(*_POINT_COLUMNS)
        if key is not None:
            query = query.where(P.c.key == key)
        if start_timestamp is not None:
            start = check_int64("start_timestamp", start_timestamp)
            query = query.where(P.c.timestamp >= start)
        if end_timestamp is not None:
            query = query.where(P.c.timestamp <= check_int64("end_timestamp", end_timestamp))
        marker = fingerprint(
            "production-metrics", name, number, key, start_timestamp, end_timestamp
        )
        if page_token:
            query = query.where(tuple_(*_ORDER) > tuple_(*_position(page_token, marker)))
        query = query.order_by(*_ORDER)
        if limit is not None:
            query = query.limit(limit + 1)
        with self._db.read() as connection:
            model_pk = _require(connection, name, number)
            rows = connection.execute(
                query.where(P.c.model_pk == model_pk, P.c.version == number)
            ).all()
        token = None
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            token = encode_token(PageToken(marker, position=(last[1], last[0], last[3], last[2])))
        points = [
            ProductionMetric(key=row[0], value=_float(row[2], row[3], row[4]), timestamp=row[1])
            for row in rows
        ]
        return PagedList(points, token=token)

    def set_baseline(self, name: str, version: str | int, metrics: Mapping[str, float]) -> None:
        """Replace a version's explicit baseline (an empty mapping clears it)."""
        number = parse_version(version)
        values = check_metric_values("metrics", metrics)
        with self._db.write() as connection:
            model_pk = _require(connection, name, number)
            connection.execute(delete(B).where(B.c.model_pk == model_pk, B.c.version == number))
            if values:
                rows = []
                for key, value in values.items():
                    stored, is_nan, negative_zero = stored_value(value)
                    rows.append(
                        {
                            "model_pk": model_pk,
                            "version": number,
                            "key": key,
                            "value": stored,
                            "is_nan": is_nan,
                            "is_negative_zero": negative_zero,
                        }
                    )
                connection.execute(insert(B), rows)

    def baseline(self, name: str, version: str | int) -> Baseline:
        """Return the explicit baseline, else the source run's latest metrics, else none."""
        number = parse_version(version)
        with self._db.read() as connection:
            model_pk = _require(connection, name, number)
            explicit = connection.execute(
                select(B.c.key, B.c.value, B.c.is_nan, B.c.is_negative_zero).where(
                    B.c.model_pk == model_pk, B.c.version == number
                )
            ).all()
            if explicit:
                values = {row[0]: _float(row[1], row[2], row[3]) for row in explicit}
                return Baseline(values, BaselineOrigin.EXPLICIT)
            run_id = connection.execute(
                select(V.c.run_id).where(V.c.model_pk == model_pk, V.c.version == number)
            ).scalar()
            latest = schema.latest_metrics
            runs = schema.runs
            rows: Sequence[Any] = []
            if run_id:
                rows = connection.execute(
                    select(latest.c.key, latest.c.value, latest.c.is_nan, latest.c.is_negative_zero)
                    .select_from(latest.join(runs, runs.c.run_pk == latest.c.run_pk))
                    .where(runs.c.run_uuid == run_id)
                ).all()
        if not rows:
            return Baseline({}, BaselineOrigin.NONE)
        values = {row[0]: _float(row[1], row[2], row[3]) for row in rows}
        return Baseline(values, BaselineOrigin.SOURCE_RUN)


def _position(page_token: str, marker: str) -> tuple[int, str, bool, float]:
    """Return the sort values of the last point of the page before ``page_token``."""
    position = decode_token(page_token, marker).position
    if position is None or len(position) != len(_ORDER):
        raise InvalidParameter(f"page_token: {page_token!r} is not a page of this series")
    timestamp, key, is_nan, value = position
    if not (
        isinstance(timestamp, int)
        and isinstance(key, str)
        and isinstance(is_nan, bool)
        and isinstance(value, (int, float))
    ):
        raise InvalidParameter(f"page_token: {page_token!r} is not a page of this series")
    return timestamp, key, is_nan, float(value)


def _require(connection: Connection, name: str, number: int) -> int:
    model = find_model(connection, name)
    found = connection.execute(
        select(V.c.version).where(V.c.model_pk == model.model_pk, V.c.version == number)
    ).first()
    if found is None:
        raise version_not_found(name, number)
    return model.model_pk
