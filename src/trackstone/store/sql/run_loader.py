"""Load runs by key, with their data, inputs and outputs, in a few set-based queries.

The read behind every search page (``load_runs``) and ``get_run`` (``read_run``). Each query
goes through the driver cursor with the keys bound as one array (a JSON array on SQLite),
skipping SQLAlchemy's statement expansion and row processing; driver errors are translated by
the enclosing ``Database.read``/``write``/``read_cursor``. ``read_run`` finds one run by its
public id with the same statements narrowed to one key (``= ?``), one fewer query than
looking the key up first. On SQLite each run's params and tags arrive as one JSON object
built by ``json_group_object`` and decoded in C: a page of 1,000 runs holds 13,000 of them,
and fetching them as rows cost more than twice as much. Logged models a run consumed come
with ``read_run`` only (runs/get), as in MLflow; the models it produced come with both.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection

from trackstone.entities import DatasetInput, Metric, Run
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput
from trackstone.store.sql import schema
from trackstone.store.sql.gc_pause import paused_gc
from trackstone.store.sql.logged_model_tables import run_model_inputs, run_model_outputs
from trackstone.store.sql.rows import (
    RUN_INFO_COLUMNS,
    dataset_input_from_rows,
    point_value_sql,
    run_from_parts,
    run_info_from_row,
)

__all__ = ["load_runs", "read_run", "read_runs"]

R = schema.runs
# Bound on the keys in one query: below SQLite's and PostgreSQL's parameter limits.
_CHUNK = 5000
_decode_map = msgspec.json.Decoder(dict[str, str]).decode
# Where the run key and info columns of ``run_by_id`` end.
_INFO_END = 1 + len(RUN_INFO_COLUMNS)


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _key_filter(sqlite: bool, column: str, single: bool = False) -> str:
    """Return a condition matching ``column`` against one bound array of run keys (or one key
    when ``single``)."""
    if single:
        return f"{column} = {'?' if sqlite else '%s'}"
    if sqlite:
        return f"{column} IN (SELECT value FROM json_each(?))"
    return f"{column} = ANY(%s)"


def _fetch(cursor: Any, sql: str, keys: Any) -> list[Any]:
    cursor.execute(sql, (keys,))
    rows: list[Any] = cursor.fetchall()
    return rows


class _Queries:
    """The statements of ``load_runs`` for one dialect (of ``read_run`` when ``single``)."""

    def __init__(self, sqlite: bool, single: bool = False) -> None:
        self.sqlite = sqlite

        def keyed(column: str) -> str:
            return _key_filter(sqlite, column, single)

        columns = ", ".join(f"r.{column.name}" for column in RUN_INFO_COLUMNS)
        self.infos = f"SELECT r.run_pk, {columns} FROM {R.name} r WHERE {keyed('r.run_pk')}"
        # One run by public id, with its params and tags as JSON objects and whether it has
        # inputs: one statement where five were.
        mark = "?" if sqlite else "%s"
        aggregate = (
            "json_group_object(key, value)" if sqlite else "json_object_agg(key, value)::text"
        )
        maps = ", ".join(
            f"(SELECT {aggregate} FROM {table.name} WHERE run_pk = r.run_pk)"
            for table in (schema.params, schema.tags)
        )
        self.run_by_id = (
            f"SELECT r.run_pk, {columns}, {maps},"
            f" EXISTS (SELECT 1 FROM {schema.inputs.name} i WHERE i.run_pk = r.run_pk),"
            f" EXISTS (SELECT 1 FROM {run_model_inputs.name} mi WHERE mi.run_pk = r.run_pk),"
            f" EXISTS (SELECT 1 FROM {run_model_outputs.name} mo WHERE mo.run_pk = r.run_pk)"
            f" FROM {R.name} r WHERE r.run_uuid = {mark}"
        )
        self.model_inputs = (
            f"SELECT run_pk, model_id FROM {run_model_inputs.name}"
            f" WHERE {keyed('run_pk')} ORDER BY run_pk, model_id"
        )
        self.model_outputs = (
            f"SELECT run_pk, model_id, step FROM {run_model_outputs.name}"
            f" WHERE {keyed('run_pk')} ORDER BY run_pk, step, model_id"
        )
        self.latest = (
            f"SELECT run_pk, key, {point_value_sql('sqlite' if sqlite else 'postgresql')},"
            f" timestamp, step FROM {schema.latest_metrics.name}"
            f" WHERE {keyed('run_pk')} ORDER BY run_pk, key"
        )
        self.maps = {
            table.name: self._map_sql(table.name, keyed("run_pk"))
            for table in (schema.params, schema.tags)
        }
        self.inputs = (
            'SELECT i.run_pk, i.input_pk, d.name, d.digest, d.source_type, d.source, d."schema",'
            f" d.profile FROM {schema.inputs.name} i JOIN {schema.datasets.name} d"
            f" ON d.dataset_pk = i.dataset_pk WHERE {keyed('i.run_pk')}"
            " ORDER BY i.run_pk, i.input_pk"
        )
        self.input_tags = (
            f"SELECT t.input_pk, t.key, t.value FROM {schema.input_tags.name} t"
            f" JOIN {schema.inputs.name} i ON i.input_pk = t.input_pk"
            f" WHERE {keyed('i.run_pk')} ORDER BY t.input_pk, t.key"
        )

    def _map_sql(self, table: str, condition: str) -> str:
        if self.sqlite:
            return (
                f"SELECT run_pk, json_group_object(key, value) FROM {table}"
                f" WHERE {condition} GROUP BY run_pk"
            )
        return f"SELECT run_pk, key, value FROM {table} WHERE {condition}"


_QUERIES = {True: _Queries(True), False: _Queries(False)}
_SINGLE_QUERIES = {True: _Queries(True, single=True), False: _Queries(False, single=True)}


def _maps(cursor: Any, queries: _Queries, table: str, keys: Any) -> dict[int, dict[str, str]]:
    """Return each run's key/value map of ``table`` (params or tags); runs without none."""
    rows = _fetch(cursor, queries.maps[table], keys)
    if queries.sqlite:
        return {pk: _decode_map(document) for pk, document in rows}
    found: dict[int, dict[str, str]] = {}
    for pk, key, value in rows:
        mapping = found.get(pk)
        if mapping is None:
            mapping = found[pk] = {}
        mapping[key] = value
    return found


def _latest(cursor: Any, queries: _Queries, keys: Any) -> dict[int, list[Metric]]:
    unchecked, nan = Metric.unchecked, math.nan
    latest: dict[int, list[Metric]] = {}
    current_pk: Any = None
    points: list[Metric] = []
    for pk, key, value, ts, step in _fetch(cursor, queries.latest, keys):
        if pk != current_pk:  # rows come ordered by run
            current_pk = pk
            points = latest[pk] = []
        points.append(unchecked(key, nan if value is None else value, ts, step))
    return latest


def _inputs(cursor: Any, queries: _Queries, keys: Any) -> dict[int, list[DatasetInput]]:
    rows = _fetch(cursor, queries.inputs, keys)
    if not rows:
        return {}
    tags: dict[int, list[tuple[str, str]]] = {}
    for input_pk, key, value in _fetch(cursor, queries.input_tags, keys):
        tags.setdefault(input_pk, []).append((key, value))
    found: dict[int, list[DatasetInput]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(
            dataset_input_from_rows(tuple(row[2:]), tags.get(row[1], ()))
        )
    return found


def _model_inputs(cursor: Any, queries: _Queries, keys: Any) -> dict[int, list[LoggedModelInput]]:
    found: dict[int, list[LoggedModelInput]] = {}
    for pk, model_id in _fetch(cursor, queries.model_inputs, keys):
        found.setdefault(pk, []).append(LoggedModelInput(model_id))
    return found


def _model_outputs(cursor: Any, queries: _Queries, keys: Any) -> dict[int, list[LoggedModelOutput]]:
    found: dict[int, list[LoggedModelOutput]] = {}
    for pk, model_id, step in _fetch(cursor, queries.model_outputs, keys):
        found.setdefault(pk, []).append(LoggedModelOutput(model_id, step))
    return found


def load_runs(connection: Connection, run_pks: Sequence[int]) -> dict[int, Run]:
    """Return the runs with these keys (those that exist), with data and inputs."""
    if not run_pks:
        return {}
    cursor = connection.connection.cursor()
    try:
        return read_runs(cursor, connection.dialect.name == "sqlite", run_pks)
    finally:
        cursor.close()


def read_runs(cursor: Any, sqlite: bool, run_pks: Sequence[int]) -> dict[int, Run]:
    """Return the runs with these keys (those that exist) read through a driver cursor."""
    found: dict[int, Run] = {}
    queries = _QUERIES[sqlite]
    with paused_gc():
        for pks in _chunks(run_pks):
            numbers = [int(pk) for pk in pks]
            keys: Any = json.dumps(numbers) if sqlite else numbers
            infos = [
                (row[0], run_info_from_row(row[1:])) for row in _fetch(cursor, queries.infos, keys)
            ]
            latest = _latest(cursor, queries, keys)
            params = _maps(cursor, queries, schema.params.name, keys)
            tags = _maps(cursor, queries, schema.tags.name, keys)
            inputs = _inputs(cursor, queries, keys)
            outputs = _model_outputs(cursor, queries, keys)
            for pk, info in infos:
                found[pk] = run_from_parts(
                    info,
                    tuple(latest.get(pk, ())),
                    params.get(pk) or {},
                    tags.get(pk) or {},
                    tuple(inputs.get(pk, ())),
                    model_outputs=tuple(outputs.get(pk, ())),
                )
    return found


def read_run(cursor: Any, sqlite: bool, run_id: str) -> Run | None:
    """Return the run whose public id is ``run_id`` read through a driver cursor, or None."""
    queries = _SINGLE_QUERIES[sqlite]
    rows = _fetch(cursor, queries.run_by_id, run_id)
    if not rows:
        return None
    pk, *info_row = rows[0][:_INFO_END]
    params, tags, has_inputs, has_model_inputs, has_model_outputs = rows[0][_INFO_END:]
    latest = _latest(cursor, queries, pk)
    inputs = _inputs(cursor, queries, pk) if has_inputs else {}
    model_inputs = _model_inputs(cursor, queries, pk) if has_model_inputs else {}
    model_outputs = _model_outputs(cursor, queries, pk) if has_model_outputs else {}
    return run_from_parts(
        run_info_from_row(info_row),
        tuple(latest.get(pk, ())),
        _decode_map(params) if params else {},
        _decode_map(tags) if tags else {},
        tuple(inputs.get(pk, ())),
        tuple(model_inputs.get(pk, ())),
        tuple(model_outputs.get(pk, ())),
    )
