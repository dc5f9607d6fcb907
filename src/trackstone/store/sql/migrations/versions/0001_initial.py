"""Create the tracking tables and the Default experiment (id 0).

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# INTEGER on SQLite so that the column aliases the rowid; BIGINT elsewhere.
_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _run_fk(primary_key: bool = True) -> sa.Column[int]:
    return sa.Column(
        "run_pk",
        _KEY,
        sa.ForeignKey("runs.run_pk", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def _experiment_fk(primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    experiments = op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger),
        sa.Column("last_update_time", sa.BigInteger),
        sa.Column("deleted_time", sa.BigInteger),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "experiment_tags",
        _experiment_fk(primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("run_pk", _KEY, primary_key=True, autoincrement=True),
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("name", sa.String(250), nullable=False),
        _experiment_fk(),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger),
        sa.Column("end_time", sa.BigInteger),
        sa.Column("artifact_uri", sa.Text, nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("deleted_time", sa.BigInteger),
        sa.Column("deleted_with_experiment", sa.Boolean, nullable=False),
        sa.UniqueConstraint("run_uuid", name="uq_runs_run_uuid"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_runs_experiment_start", "runs", ["experiment_id", "start_time"])
    op.create_index("ix_runs_deleted", "runs", ["lifecycle_stage", "deleted_time"])
    for table in ("params", "tags"):
        op.create_table(
            table,
            _run_fk(),
            sa.Column("key", sa.String(250), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
    # One row per point; the primary key spans every column so a retried point is stored once.
    op.create_table(
        "metrics",
        _run_fk(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("step", sa.BigInteger, primary_key=True),
        sa.Column("timestamp", sa.BigInteger, primary_key=True),
        sa.Column("value", sa.Double, primary_key=True),
        sa.Column("is_nan", sa.Boolean, primary_key=True),
        # SQLite stores -0.0 as 0 in a REAL column: this flag brings the sign back.
        sa.Column("is_negative_zero", sa.Boolean, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "latest_metrics",
        _run_fk(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("is_negative_zero", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "datasets",
        sa.Column("dataset_pk", _KEY, primary_key=True, autoincrement=True),
        _experiment_fk(),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", sa.String(36), nullable=False),
        sa.Column("source_type", sa.String(36), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("schema", sa.Text),
        sa.Column("profile", sa.Text),
        sa.UniqueConstraint("experiment_id", "name", "digest", name="uq_datasets_identity"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "inputs",
        sa.Column("input_pk", _KEY, primary_key=True, autoincrement=True),
        _run_fk(primary_key=False),
        sa.Column(
            "dataset_pk",
            _KEY,
            sa.ForeignKey("datasets.dataset_pk", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("context", sa.String(500), nullable=False),
        sa.UniqueConstraint("run_pk", "dataset_pk", "context", name="uq_inputs_use"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_inputs_dataset", "inputs", ["dataset_pk"])
    op.create_table(
        "input_tags",
        sa.Column(
            "input_pk",
            _KEY,
            sa.ForeignKey("inputs.input_pk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.String(500), nullable=False),
    )
    # The store fills in the artifact location and times of the Default experiment when it
    # first opens the database, because only it knows the artifact root and the clock.
    op.bulk_insert(
        experiments,
        [
            {
                "experiment_id": 0,
                "name": "Default",
                "artifact_location": "",
                "lifecycle_stage": "active",
                "creation_time": None,
                "last_update_time": None,
                "deleted_time": None,
            }
        ],
    )


def downgrade() -> None:
    for table in (
        "input_tags",
        "inputs",
        "datasets",
        "latest_metrics",
        "metrics",
        "tags",
        "params",
        "runs",
        "experiment_tags",
        "experiments",
    ):
        op.drop_table(table)
