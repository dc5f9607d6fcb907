"""Runs in SQL: create, read (set-based, several at once), update, soft-delete, restore, purge."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from trackstone.clock import Clock
from trackstone.entities import (
    DatasetInput,
    LifecycleStage,
    Metric,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
)
from trackstone.entities.validation import MAX_RUN_NAME_LENGTH, check_length
from trackstone.errors import InvalidParameter, InvalidState, NotFound
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.experiments import parse_experiment_id
from trackstone.store.sql.registry_guard import refuse_needed_runs
from trackstone.store.sql.rows import (
    RUN_INFO_COLUMNS,
    dataset_input_from_rows,
    metric_from_values,
    run_from_parts,
    run_info_from_row,
)
from trackstone.store.sql.run_names import generate_run_name

__all__ = ["RUN_NAME_TAG", "LockedRun", "RunRepository", "load_runs", "lock_run"]

RUN_NAME_TAG = "mlflow.runName"
E = schema.experiments
R = schema.runs
ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value
# Bound on the ids in one IN (...) list: below SQLite's and PostgreSQL's parameter limits.
_CHUNK = 5000
_MAX_USER_ID_LENGTH = 256


class LockedRun:
    """The few columns write paths need about a run, read under a row lock."""

    __slots__ = ("experiment_id", "lifecycle_stage", "run_id", "run_pk")

    def __init__(self, run_id: str, run_pk: int, lifecycle_stage: str, experiment_id: int):
        self.run_id = run_id
        self.run_pk = run_pk
        self.lifecycle_stage = lifecycle_stage
        self.experiment_id = experiment_id

    def require_active(self, action: str) -> None:
        """Raise InvalidState unless the run is active."""
        if self.lifecycle_stage != ACTIVE:
            raise InvalidState(
                f"cannot {action} run {self.run_id}: it is deleted (restore it first)"
            )


def lock_run(connection: Connection, run_id: str, lock: bool = True) -> LockedRun:
    """Find a run by its public id (locking its row on PostgreSQL); NotFound if absent."""
    if not isinstance(run_id, str) or not run_id or len(run_id) > 32:
        raise NotFound(f"run {run_id!r} does not exist")
    query = select(R.c.run_pk, R.c.lifecycle_stage, R.c.experiment_id).where(R.c.run_uuid == run_id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"run {run_id!r} does not exist")
    return LockedRun(run_id, row[0], row[1], row[2])


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _key_filter(placeholder: str, column: str) -> str:
    """Return a condition matching ``column`` against one bound array of run keys."""
    if placeholder == "?":
        return f"{column} IN (SELECT value FROM json_each(?))"
    return f"{column} = ANY(%s)"


def _fetch(cursor: Any, sql: str, keys: Any) -> list[Any]:
    cursor.execute(sql, (keys,))
    rows: list[Any] = cursor.fetchall()
    return rows


def _load_inputs(cursor: Any, placeholder: str, keys: Any) -> dict[int, list[DatasetInput]]:
    rows = _fetch(
        cursor,
        'SELECT i.run_pk, i.input_pk, d.name, d.digest, d.source_type, d.source, d."schema",'
        f" d.profile FROM {schema.inputs.name} i JOIN {schema.datasets.name} d"
        f" ON d.dataset_pk = i.dataset_pk WHERE {_key_filter(placeholder, 'i.run_pk')}"
        " ORDER BY i.run_pk, i.input_pk",
        keys,
    )
    if not rows:
        return {}
    tags: dict[int, list[tuple[str, str]]] = {}
    tag_rows = _fetch(
        cursor,
        f"SELECT t.input_pk, t.key, t.value FROM {schema.input_tags.name} t"
        f" JOIN {schema.inputs.name} i ON i.input_pk = t.input_pk"
        f" WHERE {_key_filter(placeholder, 'i.run_pk')} ORDER BY t.input_pk, t.key",
        keys,
    )
    for input_pk, key, value in tag_rows:
        tags.setdefault(input_pk, []).append((key, value))
    found: dict[int, list[DatasetInput]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(
            dataset_input_from_rows(tuple(row[2:]), tags.get(row[1], ()))
        )
    return found


def _run_sql(placeholder: str) -> tuple[str, str, str, str]:
    """Return the info, latest-metric, param and tag queries of ``load_runs``."""
    columns = ", ".join(f"r.{column.name}" for column in RUN_INFO_COLUMNS)
    return (
        f"SELECT r.run_pk, {columns} FROM {R.name} r WHERE {_key_filter(placeholder, 'r.run_pk')}",
        "SELECT run_pk, key, value, is_nan, is_negative_zero, timestamp, step"
        f" FROM {schema.latest_metrics.name} WHERE {_key_filter(placeholder, 'run_pk')}"
        " ORDER BY run_pk, key",
        f"SELECT run_pk, key, value FROM {schema.params.name}"
        f" WHERE {_key_filter(placeholder, 'run_pk')}",
        f"SELECT run_pk, key, value FROM {schema.tags.name}"
        f" WHERE {_key_filter(placeholder, 'run_pk')}",
    )


def load_runs(connection: Connection, run_pks: Sequence[int]) -> dict[int, Run]:
    """Return the runs with these keys, with data and inputs, in a few set-based queries.

    A hot path (every search page): each query goes through the driver cursor with the keys
    bound as one array (a JSON array on SQLite), skipping SQLAlchemy's statement expansion and
    row processing; driver errors are translated by the enclosing ``Database.read``/``write``.
    """
    found: dict[int, Run] = {}
    if not run_pks:
        return found
    sqlite = connection.dialect.name == "sqlite"
    placeholder = "?" if sqlite else "%s"
    info_sql, latest_sql, param_sql, tag_sql = _run_sql(placeholder)
    unchecked = Metric.unchecked
    cursor = connection.connection.cursor()
    try:
        for pks in _chunks(run_pks):
            keys: Any = json.dumps([int(pk) for pk in pks]) if sqlite else [int(pk) for pk in pks]
            infos = {row[0]: run_info_from_row(row[1:]) for row in _fetch(cursor, info_sql, keys)}
            latest: dict[int, list[Metric]] = {pk: [] for pk in infos}
            for pk, key, value, is_nan, negative_zero, ts, step in _fetch(cursor, latest_sql, keys):
                if is_nan or negative_zero:
                    metric = metric_from_values(key, value, is_nan, negative_zero, ts, step)
                else:
                    metric = unchecked(key, float(value), ts, step)
                latest[pk].append(metric)
            param_map: dict[int, dict[str, str]] = {pk: {} for pk in infos}
            for pk, key, value in _fetch(cursor, param_sql, keys):
                param_map[pk][key] = value
            tag_map: dict[int, dict[str, str]] = {pk: {} for pk in infos}
            for pk, key, value in _fetch(cursor, tag_sql, keys):
                tag_map[pk][key] = value
            inputs = _load_inputs(cursor, placeholder, keys)
            for pk, info in infos.items():
                found[pk] = run_from_parts(
                    info, tuple(latest[pk]), param_map[pk], tag_map[pk], tuple(inputs.get(pk, ()))
                )
    finally:
        cursor.close()
    return found


def _check_run_name(run_name: str) -> str:
    return check_length("run_name", run_name, MAX_RUN_NAME_LENGTH)


class RunRepository:
    """Reads and writes run rows (logging lives in ``batches``)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._insert_run = insert(R)

    def create(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int | None,
        tags: Sequence[RunTag],
        run_name: str | None,
    ) -> Run:
        """Insert a RUNNING run into an active experiment and return it."""
        tag_map = {tag.key: tag.value for tag in tags}
        tagged_name = tag_map.get(RUN_NAME_TAG)
        if run_name and tagged_name is not None and tagged_name != run_name:
            raise InvalidParameter(
                f"run_name {run_name!r} and tag {RUN_NAME_TAG} {tagged_name!r} disagree"
            )
        name = _check_run_name(run_name or tagged_name or generate_run_name())
        check_length("user_id", user_id or "", _MAX_USER_ID_LENGTH)
        tag_map[RUN_NAME_TAG] = name
        pk = parse_experiment_id(experiment_id)
        run_id = uuid.uuid4().hex
        start = self._clock.now_ms() if start_time is None else start_time
        with self._db.write() as connection:
            query = select(E.c.lifecycle_stage, E.c.artifact_location).where(
                E.c.experiment_id == pk
            )
            if connection.dialect.name == "postgresql":
                # Hold off a concurrent delete_experiment until this run is in.
                query = query.with_for_update(read=True)
            found = connection.execute(query).first()
            if found is None:
                raise NotFound(f"experiment {experiment_id!r} does not exist")
            stage, location = found
            if stage != ACTIVE:
                raise InvalidState(
                    f"cannot create a run in experiment {experiment_id}: it is deleted"
                )
            info = RunInfo(
                run_id=run_id,
                experiment_id=str(pk),
                run_name=name,
                user_id=user_id or "",
                status=RunStatus.RUNNING,
                start_time=start,
                end_time=None,
                artifact_uri=f"{location.rstrip('/')}/{run_id}/artifacts",
                lifecycle_stage=LifecycleStage.ACTIVE,
            )
            result = connection.execute(
                self._insert_run,
                {
                    "run_uuid": run_id,
                    "name": name,
                    "experiment_id": pk,
                    "user_id": info.user_id,
                    "status": info.status.value,
                    "start_time": start,
                    "end_time": None,
                    "artifact_uri": info.artifact_uri,
                    "lifecycle_stage": ACTIVE,
                    "deleted_time": None,
                    "deleted_with_experiment": False,
                },
            )
            assert result.inserted_primary_key is not None
            run_pk = int(result.inserted_primary_key[0])
            connection.execute(
                insert(schema.tags),
                [{"run_pk": run_pk, "key": k, "value": v} for k, v in tag_map.items()],
            )
        # Everything a new run holds is known here: no need to read it back.
        return run_from_parts(info, (), {}, tag_map, ())

    def get(self, run_id: str) -> Run:
        """Return a run with its latest metrics, params, tags and inputs."""
        with self._db.read() as connection:
            locked = lock_run(connection, run_id, lock=False)
            return load_runs(connection, [locked.run_pk])[locked.run_pk]

    def update_info(
        self,
        run_id: str,
        status: RunStatus | None,
        end_time: int | None,
        run_name: str | None,
    ) -> RunInfo:
        """Change status, end time and/or name of an active run."""
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = RunStatus.parse(status).value
        if end_time is not None:
            values["end_time"] = end_time
        if run_name is not None:
            values["name"] = _check_run_name(run_name)
        with self._db.write() as connection:
            locked = lock_run(connection, run_id)
            locked.require_active("update")
            if values:
                connection.execute(update(R).where(R.c.run_pk == locked.run_pk).values(**values))
            if run_name is not None:
                set_run_name_tag(connection, locked.run_pk, run_name)
            row = connection.execute(
                select(*RUN_INFO_COLUMNS).where(R.c.run_pk == locked.run_pk)
            ).one()
            return run_info_from_row(row)

    def delete(self, run_id: str) -> None:
        """Soft-delete a run (a run already deleted keeps its deletion time)."""
        with self._db.write() as connection:
            locked = lock_run(connection, run_id)
            if locked.lifecycle_stage == DELETED:
                return
            connection.execute(
                update(R)
                .where(R.c.run_pk == locked.run_pk)
                .values(
                    lifecycle_stage=DELETED,
                    deleted_time=self._clock.now_ms(),
                    deleted_with_experiment=False,
                )
            )

    def restore(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        with self._db.write() as connection:
            locked = lock_run(connection, run_id)
            connection.execute(
                update(R)
                .where(R.c.run_pk == locked.run_pk)
                .values(lifecycle_stage=ACTIVE, deleted_time=None, deleted_with_experiment=False)
            )

    def list_deleted(self, older_than_ms: int | None) -> list[RunInfo]:
        """Return deleted runs, optionally only those deleted at least that long ago."""
        query = select(*RUN_INFO_COLUMNS).where(R.c.lifecycle_stage == DELETED)
        if older_than_ms is not None:
            query = query.where(R.c.deleted_time <= self._clock.now_ms() - older_than_ms)
        with self._db.read() as connection:
            rows = connection.execute(query.order_by(R.c.run_pk)).all()
        return [run_info_from_row(row) for row in rows]

    def purge(self, run_id: str) -> None:
        """Hard-delete a deleted run and everything logged to it."""
        with self._db.write() as connection:
            locked = lock_run(connection, run_id)
            if locked.lifecycle_stage != DELETED:
                raise InvalidState(f"cannot purge run {run_id}: it is active (delete it first)")
            refuse_needed_runs(connection, R.c.run_pk == locked.run_pk, f"purge run {run_id}")
            for table in (schema.metrics, schema.latest_metrics, schema.params, schema.tags):
                connection.execute(delete(table).where(table.c.run_pk == locked.run_pk))
            connection.execute(delete(R).where(R.c.run_pk == locked.run_pk))


def set_run_name_tag(connection: Connection, run_pk: int, name: str) -> None:
    """Store ``name`` as the run's mlflow.runName tag."""
    tags = schema.tags
    changed = connection.execute(
        update(tags).where(tags.c.run_pk == run_pk, tags.c.key == RUN_NAME_TAG).values(value=name)
    ).rowcount
    if not changed:
        connection.execute(insert(tags).values(run_pk=run_pk, key=RUN_NAME_TAG, value=name))
