"""The model registry tables as SQLAlchemy Core objects (migration 0003 owns their DDL).

A registered model has a surrogate integer key (``model_pk``) that every child row uses, so a
rename touches one row. ``last_version`` counts the versions ever created, so that a number
is never handed out twice even after deletes. ``run_id`` of a version is NULL when it names no
run, so that a filter such as ``run_id != 'x'`` is false for it, as for an absent tag.
Production metric values are stored like run metrics (``value`` + ``is_nan`` + a negative
zero flag), because SQLite turns a NaN into NULL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Table,
    Text,
)

from trackstone.store.sql.schema import KEY, metadata

__all__ = [
    "model_aliases",
    "model_baselines",
    "model_version_tags",
    "model_versions",
    "production_metrics",
    "registered_model_tags",
    "registered_models",
]


registered_models = Table(
    "registered_models",
    metadata,
    Column("model_pk", KEY, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("last_version", Integer, nullable=False),
    sqlite_autoincrement=True,
)


def _model_fk(primary_key: bool = True) -> Column[int]:
    return Column(
        "model_pk",
        KEY,
        ForeignKey("registered_models.model_pk", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def _version_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["model_pk", "version"],
        ["model_versions.model_pk", "model_versions.version"],
        ondelete="CASCADE",
    )


registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    _model_fk(),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    _model_fk(),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("source", Text, nullable=False),
    Column("storage_location", Text, nullable=False),
    Column("run_id", String(32)),
    Column("run_link", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("current_stage", String(20), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=False),
    Column("model_id", String(64), nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    _model_fk(),
    Column("alias", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
    _version_fk(),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    _model_fk(),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    _version_fk(),
)

production_metrics = Table(
    "production_metrics",
    metadata,
    _model_fk(),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("key", String(250), primary_key=True),
    Column("timestamp", BigInteger, primary_key=True),
    Column("value", Double, primary_key=True),
    Column("is_nan", Boolean, primary_key=True),
    Column("is_negative_zero", Boolean, nullable=False),
    _version_fk(),
)

model_baselines = Table(
    "model_baselines",
    metadata,
    _model_fk(),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("key", String(250), primary_key=True),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("is_negative_zero", Boolean, nullable=False),
    _version_fk(),
)
