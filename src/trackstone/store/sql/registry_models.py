"""Registered models in SQL: create, read, describe, rename, delete, tags, aliases.

Every write is one transaction. A model's children are deleted explicitly (the foreign keys
cascade too, but a database opened without SQLite's ``foreign_keys`` pragma would not).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, func, insert, select, update

from trackstone.clock import Clock
from trackstone.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    RegisteredModel,
    RegisteredModelTag,
)
from trackstone.errors import AlreadyExists, InvalidParameter, NotFound
from trackstone.store.sql.engine import Database
from trackstone.store.sql.registry_checks import (
    MAX_USER_ID_LENGTH,
    check_alias,
    check_model_name,
    check_tags,
    check_text,
    parse_version,
)
from trackstone.store.sql.registry_rows import (
    MODEL_COLUMNS,
    VERSION_COLUMNS,
    ModelRow,
    find_model,
    models_from_rows,
    version_not_found,
    versions_from_rows,
)
from trackstone.store.sql.registry_tables import (
    model_aliases,
    model_baselines,
    model_version_tags,
    model_versions,
    production_metrics,
    registered_model_tags,
    registered_models,
)
from trackstone.store.sql.upserts import dialect_insert

__all__ = ["LATEST_ALIAS", "SqlRegisteredModels", "alias_target", "load_model"]

M = registered_models
MT = registered_model_tags
V = model_versions
A = model_aliases
LATEST_ALIAS = "latest"
# Children first, so that no foreign key is ever left dangling mid-transaction.
_MODEL_CHILDREN = (
    production_metrics,
    model_baselines,
    model_version_tags,
    model_aliases,
    model_versions,
    registered_model_tags,
)


def load_model(connection: Connection, name: str) -> RegisteredModel:
    """Return a model with tags, aliases and latest versions; NotFound if there is none."""
    rows = connection.execute(select(*MODEL_COLUMNS).where(M.c.name == name)).all()
    if not rows:
        raise NotFound(f"registered model {name!r} does not exist")
    return models_from_rows(connection, rows)[0]


def alias_target(connection: Connection, model: ModelRow, alias: str) -> int:
    """Return the version number ``alias`` points at.

    ``latest`` (any letter case; it cannot be set as an alias) names the highest version, and
    NotFound if the model has none. An alias the model does not have is InvalidParameter,
    MLflow's code for it (``INVALID_PARAMETER_VALUE``), not NotFound.
    """
    if alias.lower() == LATEST_ALIAS:
        number = connection.execute(
            select(func.max(V.c.version)).where(V.c.model_pk == model.model_pk)
        ).scalar()
        if number is None:
            raise NotFound(f"registered model {model.name!r} has no version for 'latest'")
        return int(number)
    number = connection.execute(
        select(A.c.version).where(A.c.model_pk == model.model_pk, A.c.alias == alias)
    ).scalar()
    if number is None:
        raise InvalidParameter(f"alias: registered model {model.name!r} has no alias {alias!r}")
    return int(number)


def _name_taken(connection: Connection, name: str) -> bool:
    return connection.execute(select(M.c.model_pk).where(M.c.name == name)).first() is not None


class SqlRegisteredModels:
    """The model-level half of the SQL registry."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        insert_for = dialect_insert(db.dialect)
        tags = insert_for(MT)
        self._upsert_tag = tags.on_conflict_do_update(
            index_elements=[MT.c.model_pk, MT.c.key], set_={"value": tags.excluded.value}
        )
        aliases = insert_for(A)
        self._upsert_alias = aliases.on_conflict_do_update(
            index_elements=[A.c.model_pk, A.c.alias], set_={"version": aliases.excluded.version}
        )

    def create(
        self,
        name: str,
        tags: Sequence[RegisteredModelTag],
        description: str,
        user_id: str,
    ) -> RegisteredModel:
        """Create a model with no versions; AlreadyExists if the name is taken."""
        name = check_model_name(name)
        tag_map = check_tags("tags", tags)
        description = check_text("description", description)
        user_id = check_text("user_id", user_id, MAX_USER_ID_LENGTH)
        now = self._clock.now_ms()
        with self._db.write() as connection:
            if _name_taken(connection, name):
                raise AlreadyExists(f"registered model {name!r} already exists")
            model_pk = connection.execute(
                insert(M)
                .values(
                    name=name,
                    description=description,
                    user_id=user_id,
                    creation_timestamp=now,
                    last_updated_timestamp=now,
                    last_version=0,
                )
                .returning(M.c.model_pk)
            ).scalar_one()
            if tag_map:
                connection.execute(
                    insert(MT),
                    [{"model_pk": model_pk, "key": k, "value": v} for k, v in tag_map.items()],
                )
        return RegisteredModel(
            name=name,
            creation_timestamp=now,
            last_updated_timestamp=now,
            description=description,
            user_id=user_id,
            tags=tag_map,
        )

    def get(self, name: str) -> RegisteredModel:
        """Return a model with its tags, aliases and latest version per stage."""
        with self._db.read() as connection:
            return load_model(connection, name)

    def update(self, name: str, description: str) -> RegisteredModel:
        """Set a model's description."""
        description = check_text("description", description)
        with self._db.write() as connection:
            self._touch(connection, name, description=description)
            return load_model(connection, name)

    def rename(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow through the model key."""
        new_name = check_model_name(new_name, "new_name")
        with self._db.write() as connection:
            find_model(connection, name, lock=True)
            if new_name != name and _name_taken(connection, new_name):
                raise AlreadyExists(f"new_name: registered model {new_name!r} already exists")
            self._touch(connection, name, name=new_name)
            return load_model(connection, new_name)

    def delete(self, name: str) -> None:
        """Delete a model with its versions, tags, aliases and monitoring data."""
        with self._db.write() as connection:
            model = find_model(connection, name, lock=True)
            for table in _MODEL_CHILDREN:
                connection.execute(delete(table).where(table.c.model_pk == model.model_pk))
            connection.execute(delete(M).where(M.c.model_pk == model.model_pk))

    def latest_versions(
        self, name: str, stages: Sequence[ModelVersionStage | str]
    ) -> list[ModelVersion]:
        """Return the newest version of each asked stage (every stage when none is asked)."""
        wanted = {ModelVersionStage.parse(stage).value for stage in stages or ()}
        with self._db.read() as connection:
            model = load_model(connection, name)
        return [
            version
            for version in model.latest_versions
            if not wanted or version.current_stage.value in wanted
        ]

    def set_tag(self, name: str, tag: RegisteredModelTag) -> None:
        """Set or overwrite one tag."""
        tag_map = check_tags("tag", [tag])
        with self._db.write() as connection:
            model = find_model(connection, name, lock=True)
            connection.execute(
                self._upsert_tag,
                [{"model_pk": model.model_pk, "key": k, "value": v} for k, v in tag_map.items()],
            )

    def delete_tag(self, name: str, key: str) -> None:
        """Remove one tag; a key the model does not have is a no-op, as in MLflow."""
        with self._db.write() as connection:
            model = find_model(connection, name, lock=True)
            connection.execute(delete(MT).where(MT.c.model_pk == model.model_pk, MT.c.key == key))

    def set_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point ``alias`` at ``version``; one upsert, so it moves atomically."""
        alias = check_alias(alias, reserved_too=True)
        number = parse_version(version)
        with self._db.write() as connection:
            model = find_model(connection, name, lock=True)
            exists = connection.execute(
                select(V.c.version).where(V.c.model_pk == model.model_pk, V.c.version == number)
            ).first()
            if exists is None:
                raise version_not_found(name, number)
            connection.execute(
                self._upsert_alias,
                [{"model_pk": model.model_pk, "alias": alias, "version": number}],
            )

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove an alias; an alias the model does not have is a no-op, as in MLflow."""
        alias = check_alias(alias, reserved_too=False)
        with self._db.write() as connection:
            model = find_model(connection, name, lock=True)
            connection.execute(delete(A).where(A.c.model_pk == model.model_pk, A.c.alias == alias))

    def version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """Return the version an alias (or ``latest``) names; see ``alias_target``."""
        alias = check_alias(alias, reserved_too=False)
        with self._db.read() as connection:
            model = find_model(connection, name)
            number = alias_target(connection, model, alias)
            rows = connection.execute(
                select(*VERSION_COLUMNS)
                .select_from(V.join(M, M.c.model_pk == V.c.model_pk))
                .where(V.c.model_pk == model.model_pk, V.c.version == number)
            ).all()
            return versions_from_rows(connection, rows)[0]

    def _touch(self, connection: Connection, model_name: str, **values: object) -> None:
        result = connection.execute(
            update(M)
            .where(M.c.name == model_name)
            .values(last_updated_timestamp=self._clock.now_ms(), **values)
        )
        if result.rowcount == 0:
            raise NotFound(f"registered model {model_name!r} does not exist")
