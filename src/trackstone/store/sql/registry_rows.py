"""Find registry rows and build entities from them, with tags and aliases in one query per table.

A page of versions or models loads its children with one query per child table (keyed by the
page's model keys, in chunks), never one query per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from trackstone.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    RegisteredModel,
    RegisteredModelAlias,
)
from trackstone.errors import NotFound
from trackstone.store.sql.registry_tables import (
    model_aliases,
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)

__all__ = [
    "MODEL_COLUMNS",
    "VERSION_COLUMNS",
    "ModelRow",
    "find_model",
    "find_version",
    "models_from_rows",
    "version_not_found",
    "versions_from_rows",
]

M = registered_models
V = model_versions
MT = registered_model_tags
VT = model_version_tags
A = model_aliases
_CHUNK = 5000

MODEL_COLUMNS = (
    M.c.model_pk,
    M.c.name,
    M.c.description,
    M.c.user_id,
    M.c.creation_timestamp,
    M.c.last_updated_timestamp,
)
VERSION_COLUMNS = (
    V.c.model_pk,
    V.c.version,
    M.c.name,
    V.c.source,
    V.c.storage_location,
    V.c.run_id,
    V.c.run_link,
    V.c.description,
    V.c.user_id,
    V.c.current_stage,
    V.c.status,
    V.c.status_message,
    V.c.model_id,
    V.c.creation_timestamp,
    V.c.last_updated_timestamp,
)
_STAGES = {stage.value: stage for stage in ModelVersionStage}
_STATUSES = {status.value: status for status in ModelVersionStatus}


@dataclass(frozen=True)
class ModelRow:
    """The key and name of a registered model found by name."""

    model_pk: int
    name: str


def find_model(connection: Connection, name: object, lock: bool = False) -> ModelRow:
    """Return the model named ``name`` (row-locked on PostgreSQL if asked); NotFound if none."""
    if not isinstance(name, str) or not name:
        raise NotFound(f"registered model {name!r} does not exist")
    query = select(M.c.model_pk).where(M.c.name == name)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    model_pk = connection.execute(query).scalar()
    if model_pk is None:
        raise NotFound(f"registered model {name!r} does not exist")
    return ModelRow(int(model_pk), name)


def version_not_found(name: str, version: int) -> NotFound:
    """Return the error for a missing version of an existing (or missing) model."""
    return NotFound(f"model version {version} of registered model {name!r} does not exist")


def find_version(connection: Connection, name: object, version: int) -> Any:
    """Return the ``VERSION_COLUMNS`` row of a version; NotFound naming model or version."""
    model = find_model(connection, name)
    row = connection.execute(
        select(*VERSION_COLUMNS)
        .select_from(V.join(M, M.c.model_pk == V.c.model_pk))
        .where(V.c.model_pk == model.model_pk, V.c.version == version)
    ).first()
    if row is None:
        raise version_not_found(model.name, version)
    return row


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _children(
    connection: Connection,
    table: Any,
    value_columns: Sequence[Any],
    wanted: set[tuple[int, int]],
) -> dict[tuple[int, int], list[Any]]:
    """Return the child rows of the ``wanted`` (model_pk, version) pairs, keyed by pair.

    The pairs are bound as one array and joined to the child table's primary key, so exactly
    the page's children are read (a range over model keys and versions read several times
    more rows than it kept). The driver cursor skips SQLAlchemy's per-row processing.
    """
    values = ", ".join(f"t.{column.name}" for column in value_columns)
    pairs = sorted(wanted)
    if connection.dialect.name == "sqlite":
        # One integer per pair: model_pk in the high bits, the version in the low 32 bits.
        sql = (
            f"SELECT t.model_pk, t.version, {values} FROM json_each(?) AS j"
            f" JOIN {table.name} AS t ON t.model_pk = (j.value >> 32)"
            " AND t.version = (j.value & 4294967295)"
        )
        packed = [(pk << 32) | version for pk, version in pairs]
        parameters: Any = (json.dumps(packed),)
    else:
        sql = (
            f"SELECT t.model_pk, t.version, {values}"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS j(model_pk, version)"
            f" JOIN {table.name} AS t ON t.model_pk = j.model_pk AND t.version = j.version"
        )
        parameters = ([pk for pk, _ in pairs], [version for _, version in pairs])
    found: dict[tuple[int, int], list[Any]] = {}
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        for pk, version, *row in cursor.fetchall():
            found.setdefault((pk, version), []).append(row)
    finally:
        cursor.close()
    return found


def versions_from_rows(connection: Connection, rows: Sequence[Any]) -> list[ModelVersion]:
    """Build versions (with tags and aliases) from ``VERSION_COLUMNS`` rows, in their order."""
    if not rows:
        return []
    wanted = {(pk, number) for pk, number, *_ in rows}
    tags = _children(connection, VT, (VT.c.key, VT.c.value), wanted)
    aliases = _children(connection, A, (A.c.alias,), wanted)
    no_tags: dict[str, str] = {}
    stages, statuses = _STAGES, _STATUSES
    versions = []
    # A search page may hold 200,000 rows: unpack each row once, skip empty children.
    for row in rows:
        (pk, number, name, source, location, run_id, run_link, description, user_id) = row[:9]
        (stage, status, status_message, model_id, created, updated) = row[9:15]
        version_tags = tags.get((pk, number))
        version_aliases = aliases.get((pk, number))
        versions.append(
            ModelVersion(
                name=name,
                version=str(number),
                creation_timestamp=created,
                last_updated_timestamp=updated,
                source=source,
                run_id=run_id or "",
                description=description,
                user_id=user_id,
                current_stage=stages[stage],
                status=statuses[status],
                status_message=status_message,
                run_link=run_link,
                model_id=model_id,
                storage_location=location,
                tags=dict(version_tags) if version_tags else no_tags,
                aliases=tuple(sorted(a for (a,) in version_aliases)) if version_aliases else (),
            )
        )
    return versions


def _latest_versions(
    connection: Connection, model_pks: Sequence[int]
) -> dict[int, list[ModelVersion]]:
    """Return the newest version of each stage of each model, by model key."""
    latest: dict[int, list[ModelVersion]] = {}
    for pks in _chunks(model_pks):
        newest = (
            select(V.c.model_pk, func.max(V.c.version).label("version"))
            .where(V.c.model_pk.in_(pks))
            .group_by(V.c.model_pk, V.c.current_stage)
            .subquery()
        )
        rows = connection.execute(
            select(*VERSION_COLUMNS)
            .select_from(
                V.join(M, M.c.model_pk == V.c.model_pk).join(
                    newest,
                    and_(newest.c.model_pk == V.c.model_pk, newest.c.version == V.c.version),
                )
            )
            .order_by(V.c.model_pk, V.c.version)
        ).all()
        for row, version in zip(rows, versions_from_rows(connection, rows), strict=True):
            latest.setdefault(row[0], []).append(version)
    return latest


def models_from_rows(connection: Connection, rows: Sequence[Any]) -> list[RegisteredModel]:
    """Build models (tags, aliases, latest versions) from ``MODEL_COLUMNS`` rows, in order."""
    if not rows:
        return []
    model_pks = sorted({row[0] for row in rows})
    tags: dict[int, dict[str, str]] = {}
    aliases: dict[int, list[RegisteredModelAlias]] = {}
    for pks in _chunks(model_pks):
        for model_pk, key, value in connection.execute(
            select(MT.c.model_pk, MT.c.key, MT.c.value).where(MT.c.model_pk.in_(pks))
        ):
            tags.setdefault(model_pk, {})[key] = value
        for model_pk, alias, version in connection.execute(
            select(A.c.model_pk, A.c.alias, A.c.version)
            .where(A.c.model_pk.in_(pks))
            .order_by(A.c.model_pk, A.c.alias)
        ):
            aliases.setdefault(model_pk, []).append(RegisteredModelAlias(alias, str(version)))
    latest = _latest_versions(connection, model_pks)
    return [
        RegisteredModel(
            name=row[1],
            description=row[2],
            user_id=row[3],
            creation_timestamp=row[4],
            last_updated_timestamp=row[5],
            tags=tags.get(row[0], {}),
            aliases=tuple(aliases.get(row[0], ())),
            latest_versions=tuple(latest.get(row[0], ())),
        )
        for row in rows
    ]
