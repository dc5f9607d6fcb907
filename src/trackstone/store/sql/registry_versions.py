"""Model versions in SQL: create (numbering + source resolution), read, stages, tags, delete.

Numbers come from the model row's ``last_version`` counter, bumped by one ``UPDATE ...
RETURNING``: the update locks the model row (PostgreSQL) or runs under SQLite's single
writer, so concurrent registrations get distinct numbers and a deleted number is never
handed out again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from trackstone.clock import Clock
from trackstone.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    ModelVersionTag,
)
from trackstone.errors import InvalidParameter, NotFound
from trackstone.store.sql.engine import Database
from trackstone.store.sql.registry_checks import (
    MAX_USER_ID_LENGTH,
    check_model_name,
    check_tags,
    check_text,
    parse_version,
)
from trackstone.store.sql.registry_rows import (
    find_model,
    find_version,
    version_not_found,
    versions_from_rows,
)
from trackstone.store.sql.registry_sources import (
    ResolvedSource,
    logged_model_location,
    resolve_source,
    run_artifact_uri,
)
from trackstone.store.sql.registry_tables import (
    model_aliases,
    model_baselines,
    model_version_tags,
    model_versions,
    production_metrics,
    registered_models,
)
from trackstone.store.sql.upserts import dialect_insert

__all__ = ["SqlModelVersions"]

M = registered_models
V = model_versions
VT = model_version_tags
_VERSION_CHILDREN = (production_metrics, model_baselines, model_version_tags, model_aliases)
_ACTIVE_STAGES = (ModelVersionStage.STAGING, ModelVersionStage.PRODUCTION)


class SqlModelVersions:
    """The version-level half of the SQL registry."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        insert_for = dialect_insert(db.dialect)
        tags = insert_for(VT)
        self._upsert_tag = tags.on_conflict_do_update(
            index_elements=[VT.c.model_pk, VT.c.version, VT.c.key],
            set_={"value": tags.excluded.value},
        )

    def create(
        self,
        name: str,
        source: str,
        run_id: str,
        tags: Sequence[ModelVersionTag],
        run_link: str,
        description: str,
        user_id: str,
        model_id: str,
    ) -> ModelVersion:
        """Create the next version of ``name``; resolve ``source`` into its storage location."""
        check_model_name(name)
        if not isinstance(source, str) or not source.strip():
            raise InvalidParameter(f"source: must not be empty, got {source!r}")
        tag_map = check_tags("tags", tags)
        run_id = check_text("run_id", run_id, 32)
        model_id = check_text("model_id", model_id, 64)
        run_link = check_text("run_link", run_link)
        description = check_text("description", description)
        user_id = check_text("user_id", user_id, MAX_USER_ID_LENGTH)
        now = self._clock.now_ms()
        with self._db.write() as connection:
            counted = connection.execute(
                update(M)
                .where(M.c.name == name)
                .values(last_version=M.c.last_version + 1, last_updated_timestamp=now)
                .returning(M.c.model_pk, M.c.last_version)
            ).first()
            if counted is None:
                raise NotFound(f"registered model {name!r} does not exist")
            model_pk, number = int(counted[0]), int(counted[1])
            resolved = _resolve(connection, source, run_id, model_id)
            row: dict[str, Any] = {
                "model_pk": model_pk,
                "version": number,
                "source": source,
                "storage_location": resolved.storage_location,
                "run_id": resolved.run_id or None,
                "run_link": run_link,
                "description": description,
                "user_id": user_id,
                "current_stage": ModelVersionStage.NONE.value,
                "status": ModelVersionStatus.READY.value,
                "status_message": "",
                "model_id": resolved.model_id,
                "creation_timestamp": now,
                "last_updated_timestamp": now,
            }
            connection.execute(insert(V), [row])
            if tag_map:
                connection.execute(
                    insert(VT),
                    [
                        {"model_pk": model_pk, "version": number, "key": k, "value": v}
                        for k, v in tag_map.items()
                    ],
                )
        return ModelVersion(
            name=name,
            version=str(number),
            creation_timestamp=now,
            last_updated_timestamp=now,
            source=source,
            run_id=resolved.run_id,
            description=description,
            user_id=user_id,
            run_link=run_link,
            model_id=resolved.model_id,
            storage_location=resolved.storage_location,
            tags=tag_map,
        )

    def get(self, name: str, version: str | int) -> ModelVersion:
        """Return one version with its tags and aliases."""
        number = parse_version(version)
        with self._db.read() as connection:
            return versions_from_rows(connection, [find_version(connection, name, number)])[0]

    def update(self, name: str, version: str | int, description: str) -> ModelVersion:
        """Set a version's description."""
        number = parse_version(version)
        description = check_text("description", description)
        with self._db.write() as connection:
            model_pk = self._require(connection, name, number)
            connection.execute(
                update(V)
                .where(V.c.model_pk == model_pk, V.c.version == number)
                .values(description=description, last_updated_timestamp=self._clock.now_ms())
            )
            return versions_from_rows(connection, [find_version(connection, name, number)])[0]

    def transition(
        self,
        name: str,
        version: str | int,
        stage: ModelVersionStage | str,
        archive_existing_versions: bool,
    ) -> ModelVersion:
        """Move a version to ``stage``, archiving the others of that stage when asked."""
        number = parse_version(version)
        target = ModelVersionStage.parse(stage)
        if archive_existing_versions and target not in _ACTIVE_STAGES:
            raise InvalidParameter(
                f"archive_existing_versions: only applies when moving to Staging or "
                f"Production, not {target.value}"
            )
        now = self._clock.now_ms()
        with self._db.write() as connection:
            model_pk = self._require(connection, name, number)
            if archive_existing_versions:
                connection.execute(
                    update(V)
                    .where(
                        V.c.model_pk == model_pk,
                        V.c.version != number,
                        V.c.current_stage == target.value,
                    )
                    .values(
                        current_stage=ModelVersionStage.ARCHIVED.value,
                        last_updated_timestamp=now,
                    )
                )
            connection.execute(
                update(V)
                .where(V.c.model_pk == model_pk, V.c.version == number)
                .values(current_stage=target.value, last_updated_timestamp=now)
            )
            connection.execute(
                update(M).where(M.c.model_pk == model_pk).values(last_updated_timestamp=now)
            )
            return versions_from_rows(connection, [find_version(connection, name, number)])[0]

    def delete(self, name: str, version: str | int) -> None:
        """Delete a version with its tags, aliases and monitoring data."""
        number = parse_version(version)
        with self._db.write() as connection:
            model_pk = self._require(connection, name, number)
            for table in _VERSION_CHILDREN:
                connection.execute(
                    delete(table).where(table.c.model_pk == model_pk, table.c.version == number)
                )
            connection.execute(delete(V).where(V.c.model_pk == model_pk, V.c.version == number))
            connection.execute(
                update(M)
                .where(M.c.model_pk == model_pk)
                .values(last_updated_timestamp=self._clock.now_ms())
            )

    def download_uri(self, name: str, version: str | int) -> str:
        """Return the artifact URI the version's files are read from."""
        found = self.get(name, version)
        return found.storage_location or found.source

    def set_tag(self, name: str, version: str | int, tag: ModelVersionTag) -> None:
        """Set or overwrite one tag of a version."""
        number = parse_version(version)
        tag_map = check_tags("tag", [tag])
        with self._db.write() as connection:
            model_pk = self._require(connection, name, number)
            connection.execute(
                self._upsert_tag,
                [
                    {"model_pk": model_pk, "version": number, "key": k, "value": v}
                    for k, v in tag_map.items()
                ],
            )

    def delete_tag(self, name: str, version: str | int, key: str) -> None:
        """Remove one tag of a version; a key it does not have is a no-op, as in MLflow."""
        number = parse_version(version)
        with self._db.write() as connection:
            model_pk = self._require(connection, name, number)
            connection.execute(
                delete(VT).where(VT.c.model_pk == model_pk, VT.c.version == number, VT.c.key == key)
            )

    @staticmethod
    def _require(connection: Connection, name: str, number: int) -> int:
        """Return the model key of an existing version (model row locked on PostgreSQL)."""
        model = find_model(connection, name, lock=True)
        found = connection.execute(
            select(V.c.version).where(V.c.model_pk == model.model_pk, V.c.version == number)
        ).first()
        if found is None:
            raise version_not_found(name, number)
        return model.model_pk


def _resolve(connection: Connection, source: str, run_id: str, model_id: str) -> ResolvedSource:
    """Resolve the source, then check and complete the run and logged model it names."""
    resolved = resolve_source(connection, source)
    if run_id:
        run_artifact_uri(connection, run_id, "run_id")
    if model_id and model_id != resolved.model_id:
        _, model_run_id = logged_model_location(connection, model_id, "model_id")
        resolved = ResolvedSource(
            resolved.storage_location, resolved.run_id or model_run_id, model_id
        )
    return ResolvedSource(
        resolved.storage_location, run_id or resolved.run_id, resolved.model_id or model_id
    )
