"""Runs in SQL: create, read (set-based, several at once), update, soft-delete, restore, purge."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, update

from trackstone.clock import Clock
from trackstone.entities import (
    LifecycleStage,
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
from trackstone.store.sql.rows import RUN_INFO_COLUMNS, run_from_parts, run_info_from_row
from trackstone.store.sql.run_loader import load_runs, read_run
from trackstone.store.sql.run_names import generate_run_name

__all__ = ["RUN_NAME_TAG", "LockedRun", "RunRepository", "load_runs", "lock_run"]

RUN_NAME_TAG = "mlflow.runName"
E = schema.experiments
R = schema.runs
ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value
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


_LOCK_SQL = f"SELECT run_pk, lifecycle_stage, experiment_id FROM {R.name} WHERE run_uuid = "
# Every write to a run starts here: the driver cursor skips SQLAlchemy's statement building
# and result processing, most of this lookup's cost.
_LOCK_SQL_BY_DIALECT = {
    ("sqlite", False): _LOCK_SQL + "?",
    ("sqlite", True): _LOCK_SQL + "?",
    ("postgresql", False): _LOCK_SQL + "%s",
    ("postgresql", True): _LOCK_SQL + "%s FOR KEY SHARE",
}


def fetch_one(connection: Connection, sql: str, parameters: tuple[Any, ...]) -> Any:
    """Return the first row of a driver-level query (errors translated by the transaction)."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return cursor.fetchone()
    finally:
        cursor.close()


def _check_run_id(run_id: object) -> None:
    """Raise NotFound for what cannot be a run id (no query needed to know)."""
    if not isinstance(run_id, str) or not run_id or len(run_id) > 32:
        raise NotFound(f"run {run_id!r} does not exist")


def lock_run(connection: Connection, run_id: str, lock: bool = True) -> LockedRun:
    """Find a run by its public id (locking its row on PostgreSQL); NotFound if absent."""
    _check_run_id(run_id)
    row = fetch_one(connection, _LOCK_SQL_BY_DIALECT[connection.dialect.name, lock], (run_id,))
    if row is None:
        raise NotFound(f"run {run_id!r} does not exist")
    return LockedRun(run_id, row[0], row[1], row[2])


def _create_sql(dialect: str) -> tuple[str, str, str]:
    """Return the experiment check, run insert and tag insert of ``RunRepository.create``."""
    mark = "?" if dialect == "sqlite" else "%s"
    # FOR SHARE holds off a concurrent delete_experiment until this run is in (PostgreSQL;
    # SQLite's write transaction already excludes every other writer).
    share = " FOR SHARE" if dialect == "postgresql" else ""
    columns = (
        "run_uuid, name, experiment_id, user_id, status, start_time, end_time, artifact_uri,"
        " lifecycle_stage, deleted_time, deleted_with_experiment"
    )
    marks = ", ".join([mark] * 11)
    returning = "" if dialect == "sqlite" else " RETURNING run_pk"
    return (
        f"SELECT lifecycle_stage, artifact_location FROM {E.name}"
        f" WHERE experiment_id = {mark}{share}",
        f"INSERT INTO {R.name} ({columns}) VALUES ({marks}){returning}",
        f"INSERT INTO {schema.tags.name} (run_pk, key, value) VALUES ({mark}, {mark}, {mark})",
    )


class _UpdateSql:
    """The driver-level statements of ``RunRepository.update_info``."""

    _COLUMNS = ("status", "end_time", "name")

    def __init__(self, mark: str) -> None:
        self._mark = mark
        columns = ", ".join(column.name for column in RUN_INFO_COLUMNS)
        self.info = f"SELECT {columns} FROM {R.name} WHERE run_pk = {mark}"
        tags = schema.tags.name
        self.rename_tag = f"UPDATE {tags} SET value = {mark} WHERE run_pk = {mark} AND key = {mark}"
        self.name_tag = f"INSERT INTO {tags} (run_pk, key, value) VALUES ({mark}, {mark}, {mark})"

    def update(self, values: dict[str, Any]) -> str:
        """Return the UPDATE of ``values``' columns (status, end_time and/or name)."""
        assert set(values) <= set(self._COLUMNS)
        assignments = ", ".join(f"{column} = {self._mark}" for column in values)
        return f"UPDATE {R.name} SET {assignments} WHERE run_pk = {self._mark}"


def _check_run_name(run_name: str) -> str:
    return check_length("run_name", run_name, MAX_RUN_NAME_LENGTH)


class RunRepository:
    """Reads and writes run rows (logging lives in ``batches``)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._create_sql = _create_sql(db.dialect)
        self._update_sql = _UpdateSql(db.placeholder)

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
        experiment_sql, run_sql, tag_sql = self._create_sql
        with self._db.write() as connection:
            found = fetch_one(connection, experiment_sql, (pk,))
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
            row: tuple[Any, ...] = (run_id, name, pk, info.user_id, info.status.value, start)
            row += (None, info.artifact_uri, ACTIVE, None, False)
            cursor: Any = connection.connection.cursor()
            try:
                cursor.execute(run_sql, row)
                run_pk = cursor.lastrowid if self._db.is_sqlite else cursor.fetchone()[0]
                cursor.executemany(tag_sql, [(run_pk, k, v) for k, v in tag_map.items()])
            finally:
                cursor.close()
        # Everything a new run holds is known here: no need to read it back.
        return run_from_parts(info, (), {}, tag_map, ())

    def get(self, run_id: str) -> Run:
        """Return a run with its latest metrics, params, tags and inputs."""
        _check_run_id(run_id)
        with self._db.read_cursor() as cursor:
            run = read_run(cursor, self._db.is_sqlite, run_id)
        if run is None:
            raise NotFound(f"run {run_id!r} does not exist")
        return run

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
        sql = self._update_sql
        with self._db.write() as connection:
            locked = lock_run(connection, run_id)
            locked.require_active("update")
            cursor: Any = connection.connection.cursor()
            try:
                if values:
                    cursor.execute(sql.update(values), (*values.values(), locked.run_pk))
                if run_name is not None:
                    cursor.execute(sql.rename_tag, (run_name, locked.run_pk, RUN_NAME_TAG))
                    if cursor.rowcount == 0:
                        cursor.execute(sql.name_tag, (locked.run_pk, RUN_NAME_TAG, run_name))
                cursor.execute(sql.info, (locked.run_pk,))
                row = cursor.fetchone()
            finally:
                cursor.close()
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
