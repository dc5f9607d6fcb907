"""Experiments in SQL: create, read, rename, tag, soft-delete, restore and purge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, delete, insert, select, update

from trackstone.clock import Clock
from trackstone.entities import Experiment, ExperimentTag, LifecycleStage
from trackstone.entities.experiment import check_experiment_name
from trackstone.errors import AlreadyExists, InvalidState, NotFound
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.registry_guard import lock_runs, refuse_needed_runs
from trackstone.store.sql.rows import EXPERIMENT_COLUMNS, experiment_from_row

__all__ = ["ExperimentRepository", "parse_experiment_id"]

E = schema.experiments
ET = schema.experiment_tags
R = schema.runs
ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value
_INT32_MAX = 2**31 - 1


def parse_experiment_id(experiment_id: object) -> int:
    """Return the stored integer id for an API id such as ``"3"``; NotFound if it cannot be."""
    text = str(experiment_id).strip()
    if text.isdigit() and int(text) <= _INT32_MAX:
        return int(text)
    raise NotFound(f"experiment {experiment_id!r} does not exist")


def load_experiments(connection: Connection, ids: Sequence[int]) -> dict[int, Experiment]:
    """Return the experiments with these ids, with their tags, keyed by id."""
    if not ids:
        return {}
    tags: dict[int, dict[str, str]] = {i: {} for i in ids}
    tag_rows = connection.execute(
        select(ET.c.experiment_id, ET.c.key, ET.c.value).where(ET.c.experiment_id.in_(ids))
    )
    for experiment_id, key, value in tag_rows:
        tags[experiment_id][key] = value
    rows = connection.execute(select(*EXPERIMENT_COLUMNS).where(E.c.experiment_id.in_(ids)))
    return {row[0]: experiment_from_row(row, tags[row[0]]) for row in rows}


class _ReadSql:
    """The driver-level statements of the one-experiment reads (``get``, ``get_by_name``):
    the experiment's columns and its tags as one JSON object, in one statement."""

    def __init__(self, dialect: str, placeholder: str) -> None:
        columns = ", ".join(f"e.{column.name}" for column in EXPERIMENT_COLUMNS)
        aggregate = (
            "json_group_object(key, value)"
            if dialect == "sqlite"
            else "json_object_agg(key, value)::text"
        )
        tags = f"(SELECT {aggregate} FROM {ET.name} t WHERE t.experiment_id = e.experiment_id)"
        select_from = f"SELECT {columns}, {tags} FROM {E.name} e"
        self.by_id = f"{select_from} WHERE e.experiment_id = {placeholder}"
        self.by_name = f"{select_from} WHERE e.name = {placeholder}"


_decode_tags = msgspec.json.Decoder(dict[str, str]).decode


def _read_experiment(cursor: Any, query: str, key: object) -> Experiment | None:
    """Return the experiment ``query`` finds by ``key`` through a driver cursor, or None."""
    cursor.execute(query, (key,))
    row = cursor.fetchone()
    if row is None:
        return None
    return experiment_from_row(row[:-1], _decode_tags(row[-1]) if row[-1] else {})


def lock_experiment(connection: Connection, experiment_id: int) -> tuple[str, int | None]:
    """Return (lifecycle_stage, deleted_time) of an experiment, locking its row; NotFound."""
    query = select(E.c.lifecycle_stage, E.c.deleted_time).where(E.c.experiment_id == experiment_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"experiment {experiment_id} does not exist")
    return row[0], row[1]


def _require_active(connection: Connection, experiment_id: int, action: str) -> None:
    stage, _ = lock_experiment(connection, experiment_id)
    if stage != ACTIVE:
        raise InvalidState(
            f"cannot {action} experiment {experiment_id}: it is deleted (restore it first)"
        )


def _check_name_free(connection: Connection, name: str) -> None:
    taken = connection.execute(select(E.c.experiment_id).where(E.c.name == name)).first()
    if taken is not None:
        raise AlreadyExists(
            f"experiment name {name!r} is already used by experiment {taken[0]} "
            "(deleted experiments keep their name until purged)"
        )


class ExperimentRepository:
    """Reads and writes experiment rows."""

    def __init__(self, db: Database, clock: Clock, artifact_root: str) -> None:
        self._db = db
        self._clock = clock
        self._artifact_root = artifact_root.rstrip("/") or "/"
        self._read_sql = _ReadSql(db.dialect, db.placeholder)

    def default_location(self, experiment_id: int) -> str:
        """Return ``<artifact_root>/<experiment_id>``."""
        return f"{self._artifact_root.rstrip('/')}/{experiment_id}"

    def ensure_default(self) -> None:
        """Give the Default experiment made by the migration its location and times."""
        with self._db.read() as connection:
            row = connection.execute(
                select(E.c.artifact_location).where(E.c.experiment_id == 0)
            ).first()
        if row is None or row[0]:
            return
        now = self._clock.now_ms()
        with self._db.write() as connection:
            connection.execute(
                update(E)
                .where(E.c.experiment_id == 0, E.c.artifact_location == "")
                .values(
                    artifact_location=self.default_location(0),
                    creation_time=now,
                    last_update_time=now,
                )
            )

    def create(
        self, name: str, artifact_location: str | None, tags: Sequence[ExperimentTag]
    ) -> str:
        """Insert an experiment and return its id."""
        check_experiment_name(name)
        now = self._clock.now_ms()
        try:
            with self._db.write() as connection:
                _check_name_free(connection, name)
                result = connection.execute(
                    insert(E).values(
                        name=name,
                        artifact_location=artifact_location or "",
                        lifecycle_stage=ACTIVE,
                        creation_time=now,
                        last_update_time=now,
                    )
                )
                assert result.inserted_primary_key is not None
                experiment_id = int(result.inserted_primary_key[0])
                if not artifact_location:
                    connection.execute(
                        update(E)
                        .where(E.c.experiment_id == experiment_id)
                        .values(artifact_location=self.default_location(experiment_id))
                    )
                unique_tags = {tag.key: tag.value for tag in tags}
                if unique_tags:
                    connection.execute(
                        insert(ET),
                        [
                            {"experiment_id": experiment_id, "key": k, "value": v}
                            for k, v in unique_tags.items()
                        ],
                    )
        except AlreadyExists as error:
            if "already used" in error.message:
                raise
            raise AlreadyExists(f"experiment name {name!r} is already used") from error
        return str(experiment_id)

    def get(self, experiment_id: str) -> Experiment:
        """Return one experiment with its tags."""
        pk = parse_experiment_id(experiment_id)
        with self._db.read_cursor() as cursor:
            found = _read_experiment(cursor, self._read_sql.by_id, pk)
        if found is None:
            raise NotFound(f"experiment {experiment_id!r} does not exist")
        return found

    def get_by_name(self, name: str) -> Experiment | None:
        """Return the experiment named exactly ``name``, or None."""
        with self._db.read_cursor() as cursor:
            return _read_experiment(cursor, self._read_sql.by_name, name)

    def rename(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment."""
        check_experiment_name(new_name)
        pk = parse_experiment_id(experiment_id)
        with self._db.write() as connection:
            _require_active(connection, pk, "rename")
            current = connection.execute(select(E.c.name).where(E.c.experiment_id == pk)).scalar()
            if current == new_name:
                return
            _check_name_free(connection, new_name)
            connection.execute(
                update(E)
                .where(E.c.experiment_id == pk)
                .values(name=new_name, last_update_time=self._clock.now_ms())
            )

    def set_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        """Set or overwrite a tag on an active experiment."""
        pk = parse_experiment_id(experiment_id)
        with self._db.write() as connection:
            _require_active(connection, pk, "tag")
            changed = connection.execute(
                update(ET)
                .where(ET.c.experiment_id == pk, ET.c.key == tag.key)
                .values(value=tag.value)
            ).rowcount
            if not changed:
                connection.execute(
                    insert(ET).values(experiment_id=pk, key=tag.key, value=tag.value)
                )
            self._touch(connection, pk)

    def delete_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag; NotFound if the experiment has no such tag."""
        pk = parse_experiment_id(experiment_id)
        with self._db.write() as connection:
            _require_active(connection, pk, "untag")
            removed = connection.execute(
                delete(ET).where(ET.c.experiment_id == pk, ET.c.key == key)
            ).rowcount
            if not removed:
                raise NotFound(f"experiment {experiment_id} has no tag {key!r}")
            self._touch(connection, pk)

    def delete(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its active runs (marked to come back with it)."""
        pk = parse_experiment_id(experiment_id)
        now = self._clock.now_ms()
        with self._db.write() as connection:
            _require_active(connection, pk, "delete")
            connection.execute(
                update(E)
                .where(E.c.experiment_id == pk)
                .values(lifecycle_stage=DELETED, deleted_time=now, last_update_time=now)
            )
            connection.execute(
                update(R)
                .where(R.c.experiment_id == pk, R.c.lifecycle_stage == ACTIVE)
                .values(lifecycle_stage=DELETED, deleted_time=now, deleted_with_experiment=True)
            )

    def restore(self, experiment_id: str) -> None:
        """Restore a deleted experiment and exactly the runs its deletion took with it."""
        pk = parse_experiment_id(experiment_id)
        with self._db.write() as connection:
            stage, _ = lock_experiment(connection, pk)
            if stage != DELETED:
                raise InvalidState(f"cannot restore experiment {experiment_id}: it is not deleted")
            connection.execute(
                update(E)
                .where(E.c.experiment_id == pk)
                .values(
                    lifecycle_stage=ACTIVE, deleted_time=None, last_update_time=self._clock.now_ms()
                )
            )
            connection.execute(
                update(R)
                .where(R.c.experiment_id == pk, R.c.deleted_with_experiment.is_(True))
                .values(lifecycle_stage=ACTIVE, deleted_time=None, deleted_with_experiment=False)
            )

    def list_deleted(self, older_than_ms: int | None) -> list[Experiment]:
        """Return deleted experiments, optionally only those deleted at least that long ago."""
        query = select(E.c.experiment_id).where(E.c.lifecycle_stage == DELETED)
        if older_than_ms is not None:
            query = query.where(E.c.deleted_time <= self._clock.now_ms() - older_than_ms)
        with self._db.read() as connection:
            ids = list(connection.execute(query.order_by(E.c.experiment_id)).scalars())
            found = load_experiments(connection, ids)
        return [found[i] for i in ids]

    def purge(self, experiment_id: str) -> None:
        """Hard-delete a deleted experiment with all its runs and their records."""
        pk = parse_experiment_id(experiment_id)
        with self._db.write() as connection:
            stage, _ = lock_experiment(connection, pk)
            if stage != DELETED:
                raise InvalidState(
                    f"cannot purge experiment {experiment_id}: it is active (delete it first)"
                )
            lock_runs(connection, R.c.experiment_id == pk)
            refuse_needed_runs(
                connection, R.c.experiment_id == pk, f"purge experiment {experiment_id}"
            )
            # Children go first so that SQLite need not walk the cascades row by row.
            run_pks = select(R.c.run_pk).where(R.c.experiment_id == pk)
            for table in (schema.metrics, schema.latest_metrics, schema.params, schema.tags):
                connection.execute(delete(table).where(table.c.run_pk.in_(run_pks)))
            connection.execute(delete(R).where(R.c.experiment_id == pk))
            connection.execute(delete(E).where(E.c.experiment_id == pk))

    def _touch(self, connection: Connection, pk: int) -> None:
        connection.execute(
            update(E).where(E.c.experiment_id == pk).values(last_update_time=self._clock.now_ms())
        )
