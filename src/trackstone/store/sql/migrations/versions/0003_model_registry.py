"""Add the model registry: models, versions, aliases, tags, production metrics, baselines.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# INTEGER on SQLite so that the column aliases the rowid; BIGINT elsewhere.
_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _model_fk() -> sa.Column[int]:
    return sa.Column(
        "model_pk",
        _KEY,
        sa.ForeignKey("registered_models.model_pk", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    )


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer, primary_key=True, nullable=False, autoincrement=False)


def _version_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_pk", "version"],
        ["model_versions.model_pk", "model_versions.version"],
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("model_pk", _KEY, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        # The highest version number ever handed out: numbers are never reused.
        sa.Column("last_version", sa.Integer, nullable=False),
        sa.UniqueConstraint("name", name="uq_registered_models_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "registered_model_tags",
        _model_fk(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "model_versions",
        _model_fk(),
        _version(),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("storage_location", sa.Text, nullable=False),
        # No foreign key: a version outlives the run it came from, as in MLflow.
        sa.Column("run_id", sa.String(32)),
        sa.Column("run_link", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text, nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_index("ix_model_versions_created", "model_versions", ["creation_timestamp"])
    op.create_index("ix_model_versions_updated", "model_versions", ["last_updated_timestamp"])
    op.create_index("ix_model_versions_stage", "model_versions", ["model_pk", "current_stage"])
    op.create_table(
        "model_aliases",
        _model_fk(),
        sa.Column("alias", sa.String(255), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        _version_fk(),
    )
    op.create_index("ix_model_aliases_version", "model_aliases", ["model_pk", "version"])
    op.create_table(
        "model_version_tags",
        _model_fk(),
        _version(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _version_fk(),
    )
    # The primary key (version, key, timestamp first) serves reads of one series by time;
    # a repeated identical point hits it and is stored once.
    op.create_table(
        "production_metrics",
        _model_fk(),
        _version(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("timestamp", sa.BigInteger, primary_key=True),
        sa.Column("value", sa.Double, primary_key=True),
        sa.Column("is_nan", sa.Boolean, primary_key=True),
        sa.Column("is_negative_zero", sa.Boolean, nullable=False),
        _version_fk(),
    )
    op.create_table(
        "model_baselines",
        _model_fk(),
        _version(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("is_negative_zero", sa.Boolean, nullable=False),
        _version_fk(),
    )


def downgrade() -> None:
    for table in (
        "model_baselines",
        "production_metrics",
        "model_version_tags",
        "model_aliases",
        "model_versions",
        "registered_model_tags",
        "registered_models",
    ):
        op.drop_table(table)
